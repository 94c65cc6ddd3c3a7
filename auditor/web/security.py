"""Session cookie, CSRF tokens, the optional access token, and the security headers of every response."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

SESSION_COOKIE = "cdm_audit_session"
AUTH_COOKIE = "cdm_audit_auth"
CSRF_FIELD = "csrf_token"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    """Signs session ids, derives per-session CSRF tokens and checks the access token (when one is set)."""

    def __init__(self, token: str | None = None, secret: bytes | None = None):
        # A fresh secret per server start: sessions and CSRF tokens die with the server, which is fine
        # for a local tool and means nothing secret is stored on disk.
        self.secret = secret or secrets.token_bytes(32)
        self.token = token or None

    def _mac(self, purpose: str, value: str) -> str:
        """HMAC-SHA256 of value for one purpose, hex."""
        return hmac.new(self.secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def new_session(self) -> str:
        """A signed session cookie value: id.signature."""
        sid = secrets.token_urlsafe(18)
        return f"{sid}.{self._mac('session', sid)}"

    def session_id(self, cookie: str | None) -> str | None:
        """The session id when the cookie's signature is good, else None."""
        if not cookie or "." not in cookie:
            return None
        sid, sig = cookie.rsplit(".", 1)
        return sid if hmac.compare_digest(sig, self._mac("session", sid)) else None

    def csrf_token(self, sid: str) -> str:
        """The CSRF token of a session (stateless: derived from the session id)."""
        return self._mac("csrf", sid)

    def check_csrf(self, cookie: str | None, submitted: str | None) -> bool:
        """True when the form's token belongs to the session in the cookie."""
        sid = self.session_id(cookie)
        return bool(sid and submitted and hmac.compare_digest(submitted, self.csrf_token(sid)))

    def auth_cookie(self) -> str:
        """Cookie value proving the browser once presented the access token."""
        return self._mac("auth", self.token or "")

    def authorised(self, headers, cookies) -> bool:
        """No token configured, or a matching bearer token, or the auth cookie set after ?token=."""
        if not self.token:
            return True
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(auth[7:].strip(), self.token):
            return True
        return hmac.compare_digest(cookies.get(AUTH_COOKIE, ""), self.auth_cookie())

    def token_matches(self, value: str | None) -> bool:
        """Whether a ?token= value is the access token."""
        return bool(self.token and value and hmac.compare_digest(value, self.token))


def same_origin(headers) -> bool:
    """False only when the browser says the request comes from another site (Sec-Fetch-Site, else Origin)."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = headers.get("origin")
    # "null" is what a browser sends under Referrer-Policy: no-referrer; the CSRF token still guards forms.
    if not origin or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


def page_headers(nonce: str | None = None) -> dict[str, str]:
    """Security headers for the app's own pages: no external anything, scripts only with this page's nonce."""
    script = f"'nonce-{nonce}'" if nonce else "'none'"
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "
        f"script-src {script}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return {**common_headers(), "content-security-policy": csp}


def common_headers() -> dict[str, str]:
    """Headers for every response, including downloads and the report."""
    return {
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cache-control": "no-store",
    }
