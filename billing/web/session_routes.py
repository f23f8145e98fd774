"""Logging in and out: `/login` (form; POST throttled, CSRF-checked) and `/logout` (POST).

Logging in replaces the whole session with a new id (a new row of the store's sessions,
`billing.access.sessions`) and CSRF token, so a cookie planted before the login is worth
nothing after it; logging out deletes the row, so a copy of the cookie taken before is worth
nothing either.
"""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from billing.web import guard
from billing.web.portal import Portal, client_of
from billing.web.security import csrf_ok


def routes(portal: Portal) -> list[Route]:
    engine = portal.engine

    def login_form(request: Request) -> Response:
        return portal.page(request, "login.html")

    async def login(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            return PlainTextResponse("Forbidden: the form is stale or not ours; reload the page", status_code=403)
        name, password = str(form.get("user", "")), str(form.get("password", ""))
        # Argon2 and the store off the event loop: one login does not stall every other request
        outcome = await run_in_threadpool(guard.log_in, engine, portal.throttle, name, password, client_of(request))
        if outcome.throttled:
            return portal.page(request, "login.html", status=429,
                               error="Too many failed logins: wait a few minutes, then try again.")
        if outcome.user is None:
            return portal.page(request, "login.html", status=401, error="Login failed.")
        # a new session: nothing from before the login carries over, and a session the cookie held ends
        await run_in_threadpool(portal.sessions.end, request.session.get("sid"))
        sid = await run_in_threadpool(portal.sessions.open, outcome.user, client_of(request))
        request.session.clear()
        request.session.update({"user": outcome.user, "pw": guard.logged_in_stamp(engine, outcome.user),
                                "sid": sid, "csrf": secrets.token_urlsafe(32)})
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request.session, form.get("csrf")):
            return PlainTextResponse("Forbidden", status_code=403)
        if user := request.session.get("user"):
            await run_in_threadpool(guard.record, engine, user, "logout", user, client_of(request))
        await run_in_threadpool(portal.sessions.end, request.session.get("sid"))  # every copy of the cookie ends
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return [Route("/login", login_form, methods=["GET"]), Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"])]
