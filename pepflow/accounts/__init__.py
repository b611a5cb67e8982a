"""Who may sign in and what they may do: local accounts and passwords (``local``, ``passwords``),
sign-in throttling (``throttle``), a second factor (``totp``), the council's OpenID tokens
(``oidc_tokens``) and access to children and events (``access``, over ``role_table``).

May import: ``engine``, ``audit``, ``db``, ``rules``, ``config`` and the ground; not ``notify``.
"""
