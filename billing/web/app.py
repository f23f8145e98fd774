"""The portal's application: `create_app(engine, archive_root, secret)`.

The routes come from one module per part of the portal (each takes the shared `Portal` and
returns its routes); every route asks the role (`Portal.refused`), and nobody logged in is
sent to `/login` from a page and refused (403) a file.

The session is Starlette's signed cookie (HttpOnly, SameSite=Strict, `Secure` when
`https_only`) holding a session id whose row in the store (`billing.access.sessions`) must
be alive at every request.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from billing.web import (archive_routes, audit_log_routes, audit_routes, documents_routes, periods_routes,
                         session_routes, users_routes, verify_routes)
from billing.web.portal import HERE, Portal
from billing.web.security import SecurityHeaders

COOKIE = "xlbilling_session"
SESSION_SECONDS = 8 * 3600  # the cookie's; the session's own ends are the store's (`Lifetime`)
#: The parts of the portal, each a module with `routes(portal)`.
PARTS = (session_routes, archive_routes, documents_routes, periods_routes, audit_routes, audit_log_routes, users_routes,
         verify_routes)


def create_app(engine: Engine, archive_root: Path, secret: str, *, https_only: bool = False,
               throttle=None, sessions=None, public_keys=(), upload_limit: int | None = None,
               upload_dir: Path | None = None) -> Starlette:
    """The portal over the store `engine` and the archive folder `archive_root`; `secret` signs the
    sessions; `throttle`: the login throttle (default: the store's, `billing.access.throttle`);
    `sessions`: the store's sessions (default: `billing.access.sessions` with its lifetime);
    `public_keys`, `upload_limit`, `upload_dir`: see `Portal`."""
    portal = Portal(engine, archive_root, throttle, sessions, public_keys=public_keys, upload_limit=upload_limit,
                    upload_dir=upload_dir)
    routes = [route for part in PARTS for route in part.routes(portal)]
    routes.append(Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"))
    middleware = [Middleware(SecurityHeaders),
                  Middleware(SessionMiddleware, secret_key=secret, session_cookie=COOKIE, max_age=SESSION_SECONDS,
                             same_site="strict", https_only=https_only)]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.engine = engine  # for whoever holds the app (the tests, a future admin page)
    app.state.portal = portal
    return app
