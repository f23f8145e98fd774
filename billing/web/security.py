"""What every response carries, and the CSRF token every form carries.

Headers: a CSP allowing only this site's own files (no inline script or style), no framing,
no MIME sniffing, no referrer; pages behind the login are never cached (`no-store`).
CSRF: a random token kept in the signed session and put in each form; a POST whose form
does not bring the same token back is refused (403).
"""

from __future__ import annotations

import hmac
import secrets

HEADERS = {
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
#: Paths anyone may fetch and a cache may keep: the style sheet.
PUBLIC_PREFIX = "/static/"


class SecurityHeaders:
    """ASGI middleware: `HEADERS` on every response, and `Cache-Control: no-store` on all but `/static/`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        private = not scope["path"].startswith(PUBLIC_PREFIX)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in HEADERS and k.lower() != b"cache-control"]
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
                headers.append((b"cache-control", b"no-store" if private else b"public, max-age=3600"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(session: dict) -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, sent: object) -> bool:
    """Whether a form brought back the session's token (compared in constant time)."""
    expected = session.get("csrf")
    return isinstance(sent, str) and bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())
