"""Who may go where in the whole portal: every route the app serves × every role × anonymous.

The table below names each route's action (`billing.access.roles`); the first test fails when
the app serves a route the table does not name, so a new page cannot skip the matrix. Then,
for each route and visitor: anonymous visitors are sent to `/login` from a page and refused
(403) a file or a form; a role without the action is refused (403) with nothing of the
archive in the answer; a role with it gets the page or file (a form post with the session's
CSRF token and no fields is answered, never refused as forbidden).
"""

from __future__ import annotations

import re

import pytest

from billing.access import roles
from billing.access.users import add_user
from billing.sealing.keys import load_key
from billing.store import open_store
from billing.web.app import create_app
from tests.test_web import CHEAP, PASSWORD, ROLES, SECRET, client_of, csrf_of, log_in
from tests.tests_support import seal_books

#: (method, route as the app names it, a concrete path, the action it asks for)
ROUTES = [
    ("GET", "/", "/", "read"),
    ("GET", "/archive/{seq:int}", "/archive/1", "read"),
    ("GET", "/archive/{seq:int}/download", "/archive/1/download", "download"),
    ("GET", "/archive/{seq:int}/seal.json", "/archive/1/seal.json", "download"),
    ("GET", "/documents", "/documents", "read"),
    ("GET", "/documents/{seq:int}", "/documents/1", "read"),
    ("GET", "/documents/{seq:int}/file", "/documents/1/file", "download"),
    ("GET", "/periods", "/periods", "read"),
    ("GET", "/audit/numbers", "/audit/numbers", "audit"),
    ("GET", "/audit/chain", "/audit/chain", "audit"),
    ("GET", "/audit/log", "/audit/log", "audit"),
    ("GET", "/audit/export", "/audit/export", "export_audit"),
    ("GET", "/audit/export/{period}.zip", "/audit/export/2026-10.zip", "export_audit"),
    ("GET", "/verify", "/verify", "verify"),
    ("POST", "/verify", "/verify", "verify"),
    ("GET", "/upload", "/upload", "upload"),
    ("POST", "/upload", "/upload", "upload"),
    ("GET", "/users", "/users", "manage_users"),
    *[("POST", f"/users/{change}", f"/users/{change}", "manage_users")
      for change in ("add", "passwd", "disable", "enable", "remove")],
]
#: Routes everyone may use: logging in and out, the style sheet.
OPEN = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}
#: The routes that answer with a file, not a page.
FILES = {"/archive/1/download", "/archive/1/seal.json", "/documents/1/file", "/audit/export/2026-10.zip"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """Two closed, issued and sealed sample books (entries 1, 2; documents from 1) and one user per role."""
    home = tmp_path_factory.mktemp("matrix")
    db, root = f"sqlite:///{home / 'store.sqlite'}", home / "archive"
    seal_books(home, ("2026-10", "2026-11"), db, root, closed=True)
    engine = open_store(db)
    for role in ROLES:
        add_user(engine, f"{role}-user", role, PASSWORD, hasher=CHEAP)
    yield create_app(engine, root, SECRET, public_keys=(load_key(home / "signing-key.pem").public,))
    engine.dispose()


def test_the_table_names_every_route_the_portal_serves(app):
    served = {(method, route.path) for route in app.routes if getattr(route, "methods", None)
              for method in route.methods if method != "HEAD"}
    assert served - OPEN == {(method, route) for method, route, _, _ in ROUTES}


@pytest.fixture(scope="module")
def clients(app):
    """One logged-in client per role, and an anonymous one (None), each with its CSRF token."""
    made = {}
    for role in (None, *ROLES):
        client = client_of(app)
        if role is not None:
            assert log_in(client, f"{role}-user").status_code == 303
        made[role] = (client, csrf_of(client.get("/login").text))
    return made


def leaks_nothing(answer) -> bool:
    return answer.content in (b"", b"Forbidden")


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize(("method", "route", "path", "action"), ROUTES, ids=[f"{m} {p}" for m, _, p, _ in ROUTES])
def test_every_route_for_every_role(clients, method, route, path, action, role):
    client, token = clients[role]
    answer = client.get(path) if method == "GET" else client.post(path, data={"csrf": token})
    if role is None:
        if method == "GET" and path not in FILES:
            assert (answer.status_code, answer.headers.get("location")) == (303, "/login")
        else:
            assert answer.status_code == 403
        assert leaks_nothing(answer)
    elif not roles.may(role, action):
        assert answer.status_code == 403 and leaks_nothing(answer)
    elif method == "GET":
        assert answer.status_code == 200, answer.text[:300]
        if path not in FILES:
            assert f"{role}-user ({role})" in answer.text
    else:  # a form with the token and no fields: answered on its merits, not refused
        assert answer.status_code in (200, 303, 400, 404, 409, 422), answer.text[:300]
        assert not re.fullmatch(r"Forbidden.*", answer.text)
