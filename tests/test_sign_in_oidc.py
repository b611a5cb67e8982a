"""OpenID Connect (issue 22, first part): an ID token is accepted only when the provider signed
it and it is for this client, from this issuer, in date and for this browser's nonce; the
council's mapping of groups to roles decides who the person is, and no mapping, no sign-in."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from pydantic import ValidationError

from pepflow.config.settings import OidcSettings
from pepflow.accounts.oidc_tokens import OidcRefused, account_from_claims, check_id_token

ISSUER, CLIENT, NONCE = "https://login.example.gov.uk/tenant", "pepflow-client", "n-0S6_WzA2Mj"
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)
PROVIDER_KEY = RSAKey.generate_key(2048, parameters={"kid": "provider-1"})
JWKS = KeySet([PROVIDER_KEY]).as_dict(private=False)


def _token(key=PROVIDER_KEY, alg="RS256", **changes) -> str:
    claims = {"iss": ISSUER, "sub": "248289761001", "aud": CLIENT, "nonce": NONCE, "email": "Sam.Worker@council.gov.uk",
              "iat": int(NOW.timestamp()) - 10, "exp": int(NOW.timestamp()) + 300, "groups": ["g-social-workers"]}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": "provider-1"}, claims, key)


def _check(token: str, **overrides):
    options = {"issuer": ISSUER, "client_id": CLIENT, "nonce": NONCE, "now": NOW, **overrides}
    return check_id_token(token, JWKS, **options)


def test_an_id_token_signed_by_the_provider_for_this_client_and_nonce_is_accepted():
    assert _check(_token())["sub"] == "248289761001"


@pytest.mark.parametrize("token, why", [
    (lambda: _token(iss="https://evil.example/tenant"), "iss"),
    (lambda: _token(aud="another-client"), "aud"),
    (lambda: _token(nonce="someone-elses-nonce"), "nonce"),
    (lambda: _token(exp=int(NOW.timestamp()) - 120), "expired"),
    (lambda: _token(nonce=None), "nonce"),
    (lambda: _token(key=RSAKey.generate_key(2048, parameters={"kid": "provider-1"})), "signature"),
    (lambda: _token(aud=[CLIENT, "another-client"]), "other clients"),
])
def test_a_wrong_issuer_audience_nonce_expiry_or_signature_is_refused(token, why):
    with pytest.raises(OidcRefused) as refused:
        _check(token())
    assert why in str(refused.value).lower() or why in repr(refused.value).lower()


def test_a_token_signed_with_a_shared_secret_or_none_is_refused():
    """The HS256 trick: the provider's public key used as an HMAC secret; and alg "none"."""
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    body = _token().split(".")[1]
    header = part(json.dumps({"alg": "HS256", "kid": "provider-1"}).encode())
    mac = hmac.new(PROVIDER_KEY.as_pem(private=False), f"{header}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(OidcRefused):
        _check(f"{header}.{body}.{part(mac)}")
    with pytest.raises(OidcRefused):
        _check(f"{part(json.dumps({'alg': 'none'}).encode())}.{body}.")


def test_a_token_issued_a_little_ahead_of_our_clock_is_accepted_but_not_an_hour_ahead():
    assert _check(_token(iat=int(NOW.timestamp()) + 30))
    with pytest.raises(OidcRefused):
        _check(_token(iat=int(NOW.timestamp()) + 3600, exp=int(NOW.timestamp()) + 7200))


SETTINGS = OidcSettings(issuer=ISSUER, client_id=CLIENT, role_claim="groups", person_claim="employee_id",
                        roles={"g-vs-admins": "vs_admin", "g-social-workers": "social_worker"})


def test_the_first_mapping_in_the_file_that_matches_gives_the_role_and_the_person():
    who = account_from_claims({"sub": "1", "email": "Sam.Worker@council.gov.uk", "employee_id": "SW01",
                               "groups": ["g-social-workers", "g-vs-admins"]}, SETTINGS)
    assert (who.email, who.role, who.person_ref, who.matched) == ("sam.worker@council.gov.uk", "vs_admin", "SW01",
                                                                   "g-vs-admins")


def test_an_account_in_no_mapped_group_is_refused_naming_the_claim():
    with pytest.raises(OidcRefused, match="no pepflow role is mapped to this account's 'groups'"):
        account_from_claims({"sub": "1", "email": "a@council.gov.uk", "groups": ["g-finance"]}, SETTINGS)


def test_a_mapping_to_a_role_pepflow_does_not_have_is_refused_when_the_settings_are_read():
    with pytest.raises(ValidationError, match="not a role"):
        OidcSettings(issuer=ISSUER, client_id=CLIENT, roles={"g-x": "headteacher"})
    with pytest.raises(ValidationError):
        OidcSettings(issuer="http://login.example.gov.uk", client_id=CLIENT)  # not https


def test_the_council_maps_its_groups_to_roles_in_pepflow_toml(tmp_path):
    from pepflow.config import load_config
    from pepflow.errors import ConfigError

    (tmp_path / "pepflow.toml").write_text(
        '[settings.oidc]\nissuer = "https://login.microsoftonline.com/TENANT/v2.0"\nclient_id = "abc"\n'
        'roles = { "5d2b-vs-admins" = "vs_admin", "77aa-social-workers" = "social_worker" }\n')
    oidc = load_config(str(tmp_path)).settings.oidc
    assert list(oidc.roles.items()) == [("5d2b-vs-admins", "vs_admin"), ("77aa-social-workers", "social_worker")]
    (tmp_path / "pepflow.toml").write_text(
        '[settings.oidc]\nissuer = "https://login.example"\nclient_id = "abc"\nroles = { "g" = "carer" }\n')
    with pytest.raises(ConfigError, match="'carer', which is not a role"):
        load_config(str(tmp_path))
    assert load_config().settings.oidc is None  # the shipped settings: local accounts only
