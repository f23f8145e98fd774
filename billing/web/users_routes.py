"""The users page, for the `admin` role (`manage_users`): `/users` lists the users like
`xlbilling users list`; its forms POST to `/users/add`, `/users/passwd`, `/users/disable`,
`/users/enable` and `/users/remove`.

Every change is made by `billing.access.admin` — the functions `xlbilling users` calls — as
the logged-in admin from the client's address, so the rules (name, role, password length,
names unique in any case, the last enabled admin kept, nobody removing or disabling
themselves) and the audit log entry are the command line's. A refusal is shown on the page
with its message (400, or 409 for a name taken or the last admin, 404 for a user gone
meanwhile) and changes nothing; a change redirects back to the list with a note of what was
done (Post/Redirect/Get, so a reload does not repeat it). A password is typed twice, never
shown again, never logged.

A removed or disabled user, and one given a new password, is logged out at their next
request (`Portal.role_of` asks the store every time). An admin who sets their own password
is logged out too: they log in again with the new one.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from billing.web import guard
from billing.web.portal import Portal, client_of
from billing.web.security import csrf_ok

#: Refusal code (`billing.access.users.UserRefused.code`) → the page's status; any other: 400.
STATUS = {"duplicate_name": 409, "last_admin": 409, "unknown_user": 404}
_FLASH = "users_note"


def routes(portal: Portal) -> list[Route]:
    def users_page(request: Request, problem: str | None = None, status: int = 200, form: dict | None = None
                   ) -> Response:
        from billing.access.roles import ROLES
        from billing.access.users import MIN_PASSWORD_LENGTH, list_users

        note = request.session.pop(_FLASH, None) if status == 200 else None
        return portal.page(request, "users.html", status=status, users=list_users(portal.engine), roles=ROLES,
                           me=portal.user_of(request), note=note, problem=problem, form=form or {},
                           min_length=MIN_PASSWORD_LENGTH)

    def show(request: Request) -> Response:
        if (no := portal.refused(request, guard.MANAGE_USERS, page_route=True)) is not None:
            return no
        return users_page(request)

    def change(do):
        """A POST handler: role, then CSRF, then `do(actor, form)` (returning the note to show) off
        the event loop; a refusal re-renders the page with its message."""
        async def handler(request: Request) -> Response:
            no = await run_in_threadpool(portal.refused, request, guard.MANAGE_USERS, page_route=False)
            if no is not None:
                return no
            form = await request.form()
            if not csrf_ok(request.session, form.get("csrf")):
                return PlainTextResponse("Forbidden: the form is stale or not ours; reload the page", status_code=403)
            from billing.access.admin import Actor
            from billing.access.users import UserRefused

            fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
            actor = Actor(portal.user_of(request), client_of(request), portal_user=True)
            try:
                note = await run_in_threadpool(do, actor, fields)
            except UserRefused as refused:
                # what was typed comes back for correcting — except the passwords
                kept = {k: v for k, v in fields.items() if k in ("name", "role")}
                return await run_in_threadpool(users_page, request, str(refused), STATUS.get(refused.code, 400), kept)
            request.session[_FLASH] = note
            return RedirectResponse("/users", status_code=303)
        return handler

    def add(actor, form: dict) -> str:
        from billing.access import admin
        from billing.access.users import check_confirmed

        password = check_confirmed(form.get("password", ""), form.get("password2", ""))
        user = admin.add(portal.engine, actor, form.get("name", ""), form.get("role", ""), password)
        return f"Added {user.name} ({user.role})."

    def passwd(actor, form: dict) -> str:
        from billing.access import admin
        from billing.access.users import check_confirmed

        password = check_confirmed(form.get("password", ""), form.get("password2", ""))
        user = admin.set_password(portal.engine, actor, form.get("name", ""), password)
        return f"New password set for {user.name}; their sessions have ended."

    def disable(actor, form: dict) -> str:
        from billing.access import admin

        user = admin.set_disabled(portal.engine, actor, form.get("name", ""), True)
        return f"Disabled {user.name}: they cannot log in, their sessions have ended."

    def enable(actor, form: dict) -> str:
        from billing.access import admin

        return f"Enabled {admin.set_disabled(portal.engine, actor, form.get('name', ''), False).name}."

    def remove(actor, form: dict) -> str:
        from billing.access import admin
        from billing.access.users import UserRefused

        if form.get("confirm") != "yes":
            raise UserRefused("not_confirmed", "tick the box next to Remove to confirm the removal")
        user = admin.remove(portal.engine, actor, form.get("name", ""))
        return f"Removed {user.name} ({user.role}); their audit log entries stay."

    return [Route("/users", show, methods=["GET"]),
            Route("/users/add", change(add), methods=["POST"]),
            Route("/users/passwd", change(passwd), methods=["POST"]),
            Route("/users/disable", change(disable), methods=["POST"]),
            Route("/users/enable", change(enable), methods=["POST"]),
            Route("/users/remove", change(remove), methods=["POST"])]
