"""Notifications: templates, the outbox dispatcher and the mailers that deliver.

The sweep (``sweep``, ``replan``), the outbox and its dispatcher (``outbox``, ``recorder``, ``relay``,
``faults``), rendering (``render``, ``templates/``) and the mailers.

May import: ``engine``, ``audit``, ``db``, ``rules``, ``config`` and the ground; not ``accounts``.
"""
