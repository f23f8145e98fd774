"""The portal's application: `create_app(engine, archive_root, secret)`.

Routes: `/login` (form, POST throttled), `/logout` (POST), `/` (the archive list), and
`/archive/{n}`, `/archive/{n}/download`, `/archive/{n}/seal.json` for entry number `n`.
An entry is named only by its number: the file served is the one the index names under
the archive root, so nothing from the request reaches the file system. Every route asks
the role (`guard.may`); nobody logged in is sent to `/login` from a page and refused
(403) a download. Downloads are written to the audit log.

Pages and downloads are plain functions, which Starlette runs in its thread pool (they read
the store and hash files); the two form posts await the form and hand the rest to it too.

The session is Starlette's signed cookie (HttpOnly, SameSite=Strict, `Secure` when
`https_only`); logging in replaces the whole session with a new id and CSRF token, so a
cookie planted before the login is worth nothing after it.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import jinja2
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from billing.web import guard
from billing.web.listing import PAGE_SIZE, Query, archive_page, chain_length, entry_by_number
from billing.web.security import SecurityHeaders, csrf_ok, csrf_token

HERE = Path(__file__).parent
COOKIE = "xlbilling_session"
SESSION_SECONDS = 8 * 3600
MEDIA_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12"}
_UNSET = object()
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,150}")


def download_name(original: str, seq: int, suffix: str) -> str:
    """The file name a download is offered under: the archived name when it is plain, else `archive-N.xlsx`.

    >>> download_name('Billing 2026-10.xlsx', 3, '.xlsx'), download_name('a"b.xlsx', 3, '.xlsx')
    ('Billing 2026-10.xlsx', 'archive-3.xlsx')
    """
    return original if _SAFE_NAME.fullmatch(original) and original.lower().endswith(suffix) else f"archive-{seq}{suffix}"


def create_app(engine: Engine, archive_root: Path, secret: str, *, https_only: bool = False,
               throttle=None) -> Starlette:
    """The portal over the store `engine` and the archive folder `archive_root`; `secret` signs the
    sessions; `throttle`: the login throttle (default: the store's, `billing.access.throttle`)."""
    throttle = throttle or guard.throttle(engine)
    templates = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                                        autoescape=True))
    archive_root = Path(archive_root)

    def role_of(request: Request) -> str | None:
        """The logged-in user's role, asked of the store on every request; a session that no
        longer holds (user removed or disabled, password changed) is cleared."""
        session = request.session
        if getattr(request.state, "portal_role", _UNSET) is _UNSET:
            role = None
            if session.get("user"):
                role = guard.current(engine, session["user"], session.get("pw"))
                if role is None:
                    session.clear()
            request.state.portal_role = role
        return request.state.portal_role

    def page(request: Request, name: str, status: int = 200, **context) -> Response:
        session = request.session
        role = role_of(request)
        return templates.TemplateResponse(request, name, {"user": session.get("user") if role else None, "role": role,
                                                          "csrf": csrf_token(session), **context},
                                          status_code=status)

    def refused(request: Request, action: str, *, page_route: bool) -> Response | None:
        """None when the session's role may do `action`; else the refusal: to the login for a
        page when nobody is logged in, 403 otherwise."""
        role = role_of(request)
        if guard.may(role, action):
            return None
        if role is None and page_route:
            return RedirectResponse("/login", status_code=303)
        return PlainTextResponse("Forbidden", status_code=403)

    def login_form(request: Request) -> Response:
        return page(request, "login.html")

    async def login(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            return PlainTextResponse("Forbidden: the form is stale or not ours; reload the page", status_code=403)
        name, password = str(form.get("user", "")), str(form.get("password", ""))
        client = _client(request)
        # Argon2 and the store off the event loop: one login does not stall every other request
        outcome = await run_in_threadpool(guard.log_in, engine, throttle, name, password, client)
        if outcome.throttled:
            return page(request, "login.html", status=429,
                        error="Too many failed logins: wait a few minutes, then try again.")
        if outcome.user is None:
            return page(request, "login.html", status=401, error="Login failed.")
        request.session.clear()  # a new session: nothing from before the login carries over
        request.session.update({"user": outcome.user, "pw": guard.logged_in_stamp(engine, outcome.user),
                                "sid": secrets.token_urlsafe(32), "csrf": secrets.token_urlsafe(32)})
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            return PlainTextResponse("Forbidden", status_code=403)
        if user := request.session.get("user"):
            await run_in_threadpool(guard.record, engine, user, "logout", user, _client(request))
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    def archive_list(request: Request) -> Response:
        if (no := refused(request, guard.BROWSE, page_route=True)) is not None:
            return no
        query = Query.from_params(request.query_params)
        found = archive_page(engine, query)
        return page(request, "archive.html", query=query, found=found, page_size=PAGE_SIZE)

    def entry_of(request: Request):
        return entry_by_number(engine, request.path_params["seq"])

    def entry_page(request: Request) -> Response:
        if (no := refused(request, guard.BROWSE, page_route=True)) is not None:
            return no
        entry = entry_of(request)
        if entry is None:
            return page(request, "missing.html", status=404)
        record = _seal_record(archive_root, entry)
        return page(request, "entry.html", entry=entry, record=record, chain=chain_length(engine))

    def download(request: Request) -> Response:
        if (no := refused(request, guard.DOWNLOAD, page_route=False)) is not None:
            return no
        entry = entry_of(request)
        if entry is None:
            return PlainTextResponse("Not found", status_code=404)
        stored = _intact_file(archive_root, entry)
        if stored is None:
            return PlainTextResponse(f"Archive entry {entry.seq}: its file is missing or altered; "
                                     "run xlbilling archive check", status_code=500)
        guard.record(engine, request.session["user"], "download", f"archive entry {entry.seq} workbook {entry.sha256}",
                     _client(request))
        return FileResponse(stored, media_type=MEDIA_TYPES.get(entry.suffix, "application/octet-stream"),
                            filename=download_name(entry.original_name, entry.seq, entry.suffix))

    def seal_json(request: Request) -> Response:
        if (no := refused(request, guard.DOWNLOAD, page_route=False)) is not None:
            return no
        entry = entry_of(request)
        if entry is None:
            return PlainTextResponse("Not found", status_code=404)
        text = _seal_text(archive_root, entry)
        if text is None:
            return PlainTextResponse(f"Archive entry {entry.seq}: its file is missing or carries no seal",
                                     status_code=500)
        guard.record(engine, request.session["user"], "download", f"archive entry {entry.seq} seal record",
                     _client(request))
        name = download_name(entry.original_name, entry.seq, entry.suffix) + ".seal.json"
        return Response(text + "\n", media_type="application/json",
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    routes = [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", archive_list, methods=["GET"]),
        Route("/archive/{seq:int}", entry_page, methods=["GET"]),
        Route("/archive/{seq:int}/download", download, methods=["GET"]),
        Route("/archive/{seq:int}/seal.json", seal_json, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders),
                  Middleware(SessionMiddleware, secret_key=secret, session_cookie=COOKIE, max_age=SESSION_SECONDS,
                             same_site="strict", https_only=https_only)]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.engine = engine  # for whoever holds the app (the tests, a future admin page)
    return app


def _client(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: the proxy's, unless uvicorn is told to trust it)."""
    return request.client.host if request.client else "-"


def _intact_file(root: Path, entry) -> Path | None:
    """The archived file of `entry` if it is there with the bytes the index names."""
    from billing.sealing.archive import archived_path, file_sha256

    stored = archived_path(root, entry.sha256, entry.suffix)
    return stored if stored.is_file() and file_sha256(stored) == entry.sha256 else None


def _seal_text(root: Path, entry) -> str | None:
    """The seal record the archived workbook carries (the text `PATH.seal.json` holds), if any."""
    from billing.sealing.sealed_package import read_embedded
    from billing.workbook.package import Package

    stored = _intact_file(root, entry)
    if stored is None:
        return None
    with Package(stored) as pkg:
        return read_embedded(pkg).record


def _seal_record(root: Path, entry) -> dict | None:
    """The seal record as a dict, for the entry's page (None when it cannot be read)."""
    import json

    text = _seal_text(root, entry)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
