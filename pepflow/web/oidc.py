"""The council's OpenID provider as the web pages talk to it (authlib's OAuth 2 client over
httpx): discovery and the signing keys, read when first needed and kept; the authorization
address with PKCE (S256), state and nonce; and the code exchanged for tokens.  What the tokens
say is judged by ``pepflow.accounts.oidc_tokens``, which has no network."""

from __future__ import annotations

import threading
from typing import Any

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import OAuth2Error

from pepflow.config.settings import OidcSettings
from pepflow.accounts.oidc_tokens import OidcRefused

TIMEOUT_SECONDS = 10


class CouncilProvider:
    """One provider, for the life of the process."""

    def __init__(self, settings: OidcSettings, client_secret: str, redirect_uri: str):
        self.settings, self.client_secret, self.redirect_uri = settings, client_secret, redirect_uri
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=TIMEOUT_SECONDS, follow_redirects=False)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcRefused(f"the council's sign-in service could not be reached ({str(exc)[:120]})") from None

    def metadata(self) -> dict[str, Any]:
        """The discovery document, which must name the configured issuer (OpenID Connect
        Discovery 1.0 §4.3: a document for another issuer is refused)."""
        with self._lock:
            if self._metadata is None:
                found = self._get(self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration")
                if found.get("issuer") != self.settings.issuer:
                    raise OidcRefused(f"the sign-in service says its issuer is {str(found.get('issuer'))[:100]!r}, "
                                      f"not {self.settings.issuer!r} as pepflow.toml says")
                self._metadata = found
            return self._metadata

    def jwks(self, refresh: bool = False) -> dict[str, Any]:
        """The provider's signing keys (read again when a token names a key not yet seen)."""
        uri = self.metadata()["jwks_uri"]
        with self._lock:
            if self._jwks is None or refresh:
                self._jwks = self._get(uri)
            return self._jwks

    def _client(self) -> OAuth2Client:
        return OAuth2Client(client_id=self.settings.client_id, client_secret=self.client_secret,
                            scope=self.settings.scopes, redirect_uri=self.redirect_uri,
                            code_challenge_method="S256", timeout=TIMEOUT_SECONDS)

    def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        with self._client() as client:
            url, _ = client.create_authorization_url(self.metadata()["authorization_endpoint"], state=state,
                                                     code_verifier=code_verifier, nonce=nonce)
        return url

    def exchange(self, code: str, code_verifier: str) -> dict[str, Any]:
        """The tokens for an authorization code; the provider refuses a code used before."""
        try:
            with self._client() as client:
                token = client.fetch_token(self.metadata()["token_endpoint"], grant_type="authorization_code",
                                           code=code, code_verifier=code_verifier)
        except (OAuth2Error, OAuthError) as exc:  # a code used before, expired, or not for this client
            raise OidcRefused(f"the sign-in service refused the code: {exc.error}"
                              + (f" ({exc.description[:120]})" if exc.description else "")) from None
        except httpx.HTTPError as exc:
            raise OidcRefused(f"the council's sign-in service could not be reached ({str(exc)[:120]})") from None
        if not token.get("id_token"):
            raise OidcRefused("the sign-in service sent no ID token (is 'openid' among the scopes?)")
        return dict(token)

    def sign_out_url(self, after: str) -> str | None:
        """The provider's own sign-out, returning to ``after``, where it offers one."""
        end = self.metadata().get("end_session_endpoint")
        if not end:
            return None
        return str(httpx.URL(end, params={"client_id": self.settings.client_id, "post_logout_redirect_uri": after}))
