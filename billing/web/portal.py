"""What every route of the portal shares: the store, the archive, the templates, and the three
questions each request asks — who is this (`role_of`), may they (`refused`), and what to show
(`page`). Route modules (`billing.web.*_routes`) take a `Portal` and return their routes, so a
page is added by one module and one line in `billing.web.app`.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from billing.web import guard
from billing.web.security import csrf_token

HERE = Path(__file__).parent
_UNSET = object()


class Portal:
    """The portal's shared parts: `engine` (the store), `archive_root`, `throttle` (logins),
    `sessions` (the store's sessions, `billing.access.sessions.Sessions`), `public_keys` (the
    sealers' public keys seals are verified with; none: nothing can be verified), `upload_limit`
    (the most bytes an upload may have; default `XLBILLING_WEB_UPLOAD_MB`) and `upload_dir`
    (where uploads are received, each in a private folder of its own; default the system's
    temporary folder)."""

    def __init__(self, engine: Engine, archive_root: Path, throttle=None, sessions=None, *, public_keys=(),
                 upload_limit: int | None = None, upload_dir: Path | None = None):
        from billing.config import web_upload_limit

        self.engine = engine
        self.archive_root = Path(archive_root)
        self.throttle = throttle or guard.throttle(engine)
        self.sessions = sessions or guard.sessions(engine)
        self.public_keys = tuple(public_keys)
        self.upload_limit = upload_limit or web_upload_limit()
        self.upload_dir = upload_dir
        self.templates = Jinja2Templates(env=jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True))

    def role_of(self, request: Request) -> str | None:
        """The logged-in user's role, asked of the store once per request; a session that no
        longer holds (its row in the store ended: logged out, idle or too old; the user removed
        or disabled, the password changed) is cleared."""
        session = request.session
        if getattr(request.state, "portal_role", _UNSET) is _UNSET:
            role = None
            if session.get("user"):
                if self.sessions.touch(session.get("sid"), session["user"]):
                    role = guard.current(self.engine, session["user"], session.get("pw"))
                if role is None:
                    self.sessions.end(session.get("sid"))  # a user gone or changed: the row goes too
                    session.clear()
            request.state.portal_role = role
        return request.state.portal_role

    def user_of(self, request: Request) -> str | None:
        """The logged-in user's name (None when nobody is)."""
        return request.session.get("user") if self.role_of(request) else None

    def page(self, request: Request, name: str, status: int = 200, **context) -> Response:
        """The template `name` with the user, role, CSRF token and `context`."""
        role = self.role_of(request)
        return self.templates.TemplateResponse(
            request, name, {"user": self.user_of(request), "role": role, "may": lambda action: guard.may(role, action),
                            "csrf": csrf_token(request.session), **context}, status_code=status)

    def list_page(self, request: Request, name: str, query_type, fetch, **context) -> Response:
        """A searchable list (the template `name`): refused unless the role may read; the query is
        `query_type.from_params` of the request's parameters, `fetch(engine, query)` its page."""
        if (no := self.refused(request, guard.BROWSE, page_route=True)) is not None:
            return no
        query = query_type.from_params(request.query_params)
        return self.page(request, name, query=query, found=fetch(self.engine, query), **context)

    def named_row(self, request: Request, action: str, look_up, *, page_route: bool, what: str = "archive entry"):
        """(the row the path's number `seq` names, None) when the role may do `action` and
        `look_up(engine, seq)` finds it; else (None, the answer): the refusal of `refused`, or
        not found (the missing page for a page, plain text for a file)."""
        if (no := self.refused(request, action, page_route=page_route)) is not None:
            return None, no
        row = look_up(self.engine, request.path_params["seq"])
        if row is not None:
            return row, None
        if page_route:
            return None, self.page(request, "missing.html", status=404, what=what)
        return None, PlainTextResponse("Not found", status_code=404)

    def refused(self, request: Request, action: str, *, page_route: bool) -> Response | None:
        """None when the session's role may do `action`; else the refusal: to the login for a
        page when nobody is logged in, 403 otherwise."""
        role = self.role_of(request)
        if guard.may(role, action):
            return None
        if role is None and page_route:
            return RedirectResponse("/login", status_code=303)
        return PlainTextResponse("Forbidden", status_code=403)

    def record(self, request: Request, action: str, subject: str, detail: str = "") -> None:
        """Write into the audit log that the logged-in user did `action` on `subject` (`detail`: anything else)."""
        guard.record(self.engine, request.session["user"], action, subject, client_of(request), detail)


def client_of(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: the proxy's, unless uvicorn is told to trust it)."""
    return request.client.host if request.client else "-"
