"""Signing in with the council's own accounts (OpenID Connect): the pure part, with no
network and no clock of its own.

- ``OidcSettings`` (pepflow/config/settings.py): the ``[settings.oidc]`` table of pepflow.toml (the client secret only ever
  comes from the environment, ``PEPFLOW_OIDC_CLIENT_SECRET``).
- ``check_id_token``: the ID token's signature against the provider's published keys (RS256 or
  ES256 only: never "none", never a shared-secret algorithm a public key could be passed off
  as), its issuer, its audience (and authorised party), its expiry and issue time against the
  caller's clock, and the nonce this browser was given (OpenID Connect Core 1.0 §3.1.3.7).
- ``account_from_claims``: who the person is in pepflow, from the claims and the council's
  mapping of groups (or any claim) to roles: the first mapping in the file that matches wins,
  so a council lists its most trusted roles first.  No mapping, no sign-in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from pepflow.config.settings import OidcSettings

ALGORITHMS = ("RS256", "ES256")
CLOCK_LEEWAY_SECONDS = 60  # a provider's clock a little ahead of ours


class OidcRefused(Exception):
    """The provider's answer is not accepted; the message says why (for the security audit)."""


def check_id_token(id_token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str,
                   now: dt.datetime) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience, times and nonce are right."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=list(ALGORITHMS))
    except JoseError as exc:
        raise OidcRefused(f"the ID token's signature is not the provider's ({exc.error})") from None
    except ValueError as exc:
        raise OidcRefused(f"the ID token cannot be read ({str(exc)[:80]})") from None
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()), leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer}, sub={"essential": True},
        aud={"essential": True, "value": client_id}, exp={"essential": True}, iat={"essential": True},
        nonce={"essential": True, "value": nonce})
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise OidcRefused(f"the ID token was refused: {exc.description or exc.error}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise OidcRefused("the ID token is for other clients as well, and not authorised for this one")
    return claims


def names_a_key_not_in(id_token: str, jwks: dict[str, Any]) -> bool:
    """Whether the token is signed with a key (``kid``) the key set lacks: the provider has
    begun to use a new key, and its keys should be read again (once) before judging the token."""
    try:
        kid = extract_compact(id_token.encode()).headers().get("kid")
    except (JoseError, ValueError):
        return False  # unreadable: check_id_token says so
    return kid is not None and kid not in {key.get("kid") for key in jwks.get("keys", [])}


@dataclass(frozen=True)
class Identity:
    """Who signed in, as pepflow will know them."""

    subject: str
    email: str
    role: str
    person_ref: str | None
    matched: str  # the claim value whose mapping gave the role


def account_from_claims(claims: dict[str, Any], settings: OidcSettings) -> Identity:
    """The pepflow role (and person) for these claims, or OidcRefused naming what was missing."""
    email = str(claims.get(settings.email_claim) or claims.get("preferred_username") or "").strip().lower()
    if not email:
        raise OidcRefused(f"the provider sent no {settings.email_claim!r} claim")
    given = claims.get(settings.role_claim) or []
    values = {str(v) for v in (given if isinstance(given, list) else [given])}
    for value, role in settings.roles.items():
        if value in values:
            person = str(claims.get(settings.person_claim) or "").strip() if settings.person_claim else ""
            return Identity(str(claims["sub"]), email, role, person or None, value)
    raise OidcRefused(f"no pepflow role is mapped to this account's {settings.role_claim!r} "
                      f"({', '.join(sorted(values))[:200] or 'none sent'})")
