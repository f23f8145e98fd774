"""The portal's users page (`billing.web.users_routes`, through `billing.access.admin`, which
`xlbilling users` calls too) and the audit log view (`billing.web.audit_log_routes`): changes
through the page end the affected user's sessions and are audit-logged without passwords,
refusals change nothing and say why, the self and last-admin rules hold on the page and the
command line, only admins reach the users page and only auditors and billing the log, and
the log filters and pages in SQL without letting a hostile name into the HTML."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone

import pytest
from markupsafe import escape

from billing.access import admin, audit
from billing.access.users import UserRefused, add_user, authenticate, get_user, list_users
from billing.store import open_store
from billing.web.app import create_app
from test_web import CHEAP, PASSWORD, ROLES, SECRET, client_of, csrf_of, log_in
from tests_support import cli

NEW_PASSWORD = "a brand new long password"
CHANGES = ("/users/add", "/users/passwd", "/users/disable", "/users/enable", "/users/remove")


@pytest.fixture
def engine(store_url):
    """A fresh store with one user per role (`finance-user` … `admin-user`), on SQLite and on
    PostgreSQL when one is configured."""
    engine = open_store(store_url)
    for role in ROLES:
        add_user(engine, f"{role}-user", role, PASSWORD, hasher=CHEAP)
    yield engine
    engine.dispose()


@pytest.fixture
def app(engine, tmp_path):
    return create_app(engine, tmp_path / "archive", SECRET)


@pytest.fixture
def as_role(app):
    def make(role: str | None, password: str = PASSWORD):
        """A client logged in as `role`'s user (or as the user named `role`); None: nobody."""
        client = client_of(app)
        if role is not None:
            assert log_in(client, f"{role}-user" if role in ROLES else role, password).status_code == 303
        return client
    return make


def token(client) -> str:
    """The session's CSRF token, from a page every session may see."""
    page = client.get("/")
    return csrf_of(page.text if page.status_code == 200 else client.get("/login").text)


def post(client, path: str, **data):
    return client.post(path, data={"csrf": token(client), **data})


def user_changes(engine) -> list[tuple]:
    return [(e.user, e.action, e.subject, e.detail, e.remote_addr)
            for e in reversed(audit.entries(engine, limit=1000)) if e.action.startswith("user_")]


def error_of(page) -> str:
    return html.unescape(re.search(r'<p class="error">([^<]*)</p>', page.text).group(1))


def every_text(engine) -> str:
    return "\n".join(f"{e.user} {e.action} {e.subject} {e.detail}" for e in audit.entries(engine, limit=10_000))


# --- changes through the page ------------------------------------------------------------------

def test_add_passwd_disable_enable_remove_through_the_page_end_the_users_sessions(engine, as_role):
    boss = as_role("admin")
    added = post(boss, "/users/add", name="Carol", role="finance", password=PASSWORD, password2=PASSWORD)
    assert (added.status_code, added.headers["location"]) == (303, "/users")
    listed = boss.get("/users")
    assert "Added Carol (finance)." in listed.text and "Added" not in boss.get("/users").text  # the note shows once
    assert get_user(engine, "carol").role == "finance"

    carol = as_role("Carol")
    assert carol.get("/").status_code == 200
    assert post(boss, "/users/passwd", name="carol", password=NEW_PASSWORD, password2=NEW_PASSWORD).status_code == 303
    assert carol.get("/").headers["location"] == "/login"  # logged out at the next request
    assert authenticate(engine, "carol", PASSWORD, hasher=CHEAP) is None
    carol = as_role("Carol", NEW_PASSWORD)

    assert post(boss, "/users/disable", name="Carol").status_code == 303
    assert get_user(engine, "carol").disabled
    assert carol.get("/").headers["location"] == "/login"
    assert log_in(client_of(carol.app), "Carol", NEW_PASSWORD).status_code == 401
    assert 'class="disabled"' in boss.get("/users").text

    assert post(boss, "/users/enable", name="Carol").status_code == 303
    carol = as_role("Carol", NEW_PASSWORD)
    assert post(boss, "/users/remove", name="Carol", confirm="yes").status_code == 303
    assert get_user(engine, "carol") is None
    assert carol.get("/").headers["location"] == "/login"
    page = boss.get("/users")
    assert "Removed Carol (finance); their audit log entries stay." in page.text

    assert user_changes(engine) == [
        ("admin-user", "user_add", "Carol", "role finance", "testclient"),
        ("admin-user", "user_passwd", "Carol", "", "testclient"),
        ("admin-user", "user_disable", "Carol", "", "testclient"),
        ("admin-user", "user_enable", "Carol", "", "testclient"),
        ("admin-user", "user_remove", "Carol", "role finance", "testclient"),
    ]
    # passwords are never echoed nor logged
    assert PASSWORD not in every_text(engine) and NEW_PASSWORD not in every_text(engine)
    assert PASSWORD not in page.text and NEW_PASSWORD not in page.text


def test_the_list_shows_what_xlbilling_users_list_shows(engine, as_role):
    page = as_role("admin").get("/users").text
    rows = re.findall(r"<tr[^>]*>\s*<td>([^<(]+?)(?: \(you\))?</td><td>(\w+)</td>\s*<td>([^<]+)</td><td>([^<]+)</td>\s*"
                      r"<td>(\w+)</td>", page)
    assert rows == [(u.name, u.role, f"{u.created_at:%Y-%m-%d %H:%M}Z", f"{u.password_changed_at:%Y-%m-%d %H:%M}Z",
                     "disabled" if u.disabled else "enabled") for u in list_users(engine)]
    assert "admin-user (you)" in page
    assert 'name="password"' in page and 'value="' + PASSWORD not in page


def test_setting_ones_own_password_ends_ones_own_session(engine, as_role):
    boss = as_role("admin")
    assert post(boss, "/users/passwd", name="admin-user", password=NEW_PASSWORD,
                password2=NEW_PASSWORD).status_code == 303
    assert boss.get("/users").headers["location"] == "/login"
    assert as_role("admin", NEW_PASSWORD).get("/users").status_code == 200


# --- refusals ------------------------------------------------------------------------------------

LONG = PASSWORD
REFUSALS = [
    ("/users/add", {"name": "dave", "role": "finance", "password": "too short", "password2": "too short"}, 400,
     "a password needs at least 12 characters (this one has 9)"),
    ("/users/add", {"name": "FINANCE-user", "role": "auditor", "password": LONG, "password2": LONG}, 409,
     "a user named 'FINANCE-user' exists already (names ignore case)"),
    ("/users/add", {"name": "dave", "role": "boss", "password": LONG, "password2": LONG}, 400,
     "unknown role 'boss'; the roles are finance, auditor, billing, admin"),
    ("/users/add", {"name": "dave", "role": "finance", "password": LONG, "password2": LONG + "!"}, 400,
     "the two passwords differ; type the same one twice"),
    ("/users/add", {"name": "  ", "role": "finance", "password": LONG, "password2": LONG}, 400,
     "a user name cannot be empty"),
    ("/users/passwd", {"name": "finance-user", "password": "short", "password2": "short"}, 400,
     "a password needs at least 12 characters (this one has 5)"),
    ("/users/passwd", {"name": "finance-user", "password": LONG, "password2": NEW_PASSWORD}, 400,
     "the two passwords differ; type the same one twice"),
    ("/users/passwd", {"name": "nobody", "password": LONG, "password2": LONG}, 404, "no user named 'nobody'"),
    ("/users/remove", {"name": "admin-user", "confirm": "yes"}, 400,
     "you cannot remove yourself; another admin (or xlbilling users) can"),
    ("/users/remove", {"name": "ADMIN-USER", "confirm": "yes"}, 400,
     "you cannot remove yourself; another admin (or xlbilling users) can"),
    ("/users/disable", {"name": "admin-user"}, 400,
     "you cannot disable yourself; another admin (or xlbilling users) can"),
    ("/users/remove", {"name": "finance-user"}, 400, "tick the box next to Remove to confirm the removal"),
    ("/users/remove", {"name": "nobody", "confirm": "yes"}, 404, "no user named 'nobody'"),
    ("/users/disable", {"name": "nobody"}, 404, "no user named 'nobody'"),
]


@pytest.mark.parametrize(("path", "data", "status", "message"), REFUSALS)
def test_a_refusal_is_a_message_on_the_page_and_changes_nothing(engine, as_role, path, data, status, message):
    boss = as_role("admin")
    before = [(u, authenticate(engine, u.name, PASSWORD, hasher=CHEAP) is not None) for u in list_users(engine)]
    refused = post(boss, path, **data)
    assert refused.status_code == status
    assert error_of(refused) == message
    assert "Traceback" not in refused.text
    assert [(u, authenticate(engine, u.name, PASSWORD, hasher=CHEAP) is not None)
            for u in list_users(engine)] == before
    assert user_changes(engine) == []
    for secret in {data.get("password"), data.get("password2")} - {None}:
        assert secret not in refused.text  # the form comes back without the passwords
    if path == "/users/add":
        assert f'value="{escape(data["name"])}"' in refused.text  # the name comes back


@pytest.mark.parametrize("path", CHANGES)
@pytest.mark.parametrize("sent", [None, "", "forged-token"])
def test_a_change_without_the_sessions_csrf_token_is_refused(engine, as_role, path, sent):
    boss = as_role("admin")
    data = {"name": "finance-user", "role": "finance", "password": NEW_PASSWORD, "password2": NEW_PASSWORD,
            "confirm": "yes"}
    before = list_users(engine)
    refused = boss.post(path, data=data | ({} if sent is None else {"csrf": sent}))
    assert refused.status_code == 403
    assert list_users(engine) == before and user_changes(engine) == []


def test_a_token_of_another_admins_session_is_refused(engine, as_role):
    admin.add(engine, admin.Actor("test"), "second-admin", "admin", PASSWORD, hasher=CHEAP)
    other = token(as_role("second-admin"))
    boss = as_role("admin")
    assert boss.post("/users/disable", data={"csrf": other, "name": "finance-user"}).status_code == 403
    assert not get_user(engine, "finance-user").disabled


# --- the last admin: a rule of the domain, on the command line too --------------------------------

def test_the_last_enabled_admin_cannot_be_removed_or_disabled(engine, store_url, capsys):
    url = store_url
    for command in ("remove", "disable"):
        code, _, err = cli(capsys, "users", command, "admin-user", "--db", url)
        assert (code, err.strip()) == (2, "xlbilling: 'admin-user' is the last enabled admin: add or enable another "
                                          "admin first, so somebody can still manage the users")
    assert not get_user(engine, "admin-user").disabled
    cli_actor = admin.Actor("os:test")
    admin.add(engine, cli_actor, "second-admin", "admin", PASSWORD, hasher=CHEAP)
    code, _, err = cli(capsys, "users", "disable", "second-admin", "--db", url)
    assert (code, err.strip()) == (0, "Disabled second-admin")
    with pytest.raises(UserRefused) as refused:  # a disabled admin does not count
        admin.remove(engine, cli_actor, "admin-user")
    assert refused.value.code == "last_admin"
    code, _, err = cli(capsys, "users", "enable", "second-admin", "--db", url)
    assert (code, err.strip()) == (0, "Enabled second-admin")
    code, _, _ = cli(capsys, "users", "remove", "admin-user", "--db", url)
    assert code == 0 and get_user(engine, "admin-user") is None
    # the command line acts as the operating-system user: not a portal user, so no self rule
    assert [(a, s) for _, a, s, _, _ in user_changes(engine)] == [
        ("user_add", "second-admin"), ("user_disable", "second-admin"), ("user_enable", "second-admin"),
        ("user_remove", "admin-user")]
    assert all(who.startswith("os:") for who, *_ in user_changes(engine))


@pytest.mark.parametrize("command", ["disable", "enable"])
def test_the_command_line_refuses_an_unknown_name(engine, store_url, capsys, command):
    code, _, err = cli(capsys, "users", command, "nobody", "--db", store_url)
    assert (code, err.strip()) == (2, "xlbilling: no user named 'nobody'")
    assert user_changes(engine) == []


def test_removing_a_non_admin_or_an_admin_with_another_left_is_allowed(engine):
    actor = admin.Actor("os:test")
    admin.add(engine, actor, "second-admin", "admin", PASSWORD, hasher=CHEAP)
    assert admin.remove(engine, actor, "second-admin").role == "admin"
    assert admin.remove(engine, actor, "finance-user").role == "finance"
    assert admin.set_disabled(engine, actor, "auditor-user", True).disabled


def test_a_portal_admin_may_remove_another_admin_but_not_themselves(engine, as_role):
    admin.add(engine, admin.Actor("os:test"), "second-admin", "admin", PASSWORD, hasher=CHEAP)
    second = as_role("second-admin")
    assert post(second, "/users/remove", name="admin-user", confirm="yes").status_code == 303
    assert get_user(engine, "admin-user") is None
    assert error_of(post(second, "/users/remove", name="second-admin", confirm="yes")) == \
        "you cannot remove yourself; another admin (or xlbilling users) can"


# --- who may ---------------------------------------------------------------------------------------

PAGES = {"/users": {"admin"}, "/audit/log": {"auditor", "billing"}}


@pytest.mark.parametrize("role", ROLES + (None,))
@pytest.mark.parametrize("path", sorted(PAGES))
def test_who_may_see_the_pages(as_role, role, path):
    answer = as_role(role).get(path)
    if role in PAGES[path]:
        assert answer.status_code == 200
    elif role is None:
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    else:
        assert answer.status_code == 403
        assert "finance-user" not in answer.text and "login" not in answer.text  # no data leak


@pytest.mark.parametrize("role", ("finance", "auditor", "billing", None))
@pytest.mark.parametrize("path", CHANGES)
def test_only_an_admin_may_change_users(engine, as_role, role, path):
    client = as_role(role)
    before = list_users(engine)
    refused = post(client, path, name="finance-user", role="admin", password=NEW_PASSWORD,
                   password2=NEW_PASSWORD, confirm="yes")
    assert refused.status_code == 403  # anonymous too: a POST is refused, never redirected
    assert "finance-user" not in refused.text
    assert list_users(engine) == before and user_changes(engine) == []


@pytest.mark.parametrize(("role", "users_link", "log_link"), [
    ("finance", False, False), ("auditor", False, True), ("billing", False, True), ("admin", True, False)])
def test_the_nav_links_follow_the_role(as_role, role, users_link, log_link):
    page = as_role(role).get("/").text
    assert ('href="/users"' in page, 'href="/audit/log"' in page) == (users_link, log_link)


# --- the audit log view ----------------------------------------------------------------------------

HOSTILE_USER = '<script>alert("u")</script>'
HOSTILE_SUBJECT = '<img src=x onerror=alert(1)> & "quoted"'
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def logged(engine):
    """120 downloads by alice (item 000 … 119, one an hour from T0: 2026-10-01 09:00 to
    2026-10-06 08:00), 3 verifies by bob on 2026-10-02, one hostile entry on 2026-09-30."""
    for i in range(120):
        at = T0 + timedelta(hours=i)
        audit.record(engine, "alice", "download", f"item {i:03d}", "", "192.0.2.1", clock=lambda at=at: at)
    for i in range(3):
        at = datetime(2026, 10, 2, 12, i, tzinfo=timezone.utc)
        audit.record(engine, "bob", "verify", f"check {i}", "intact", "192.0.2.2", clock=lambda at=at: at)
    audit.record(engine, HOSTILE_USER, "download", HOSTILE_SUBJECT, HOSTILE_SUBJECT, "192.0.2.3",
                 clock=lambda: datetime(2026, 9, 30, 23, 59, tzinfo=timezone.utc))
    return engine


def shown(page) -> tuple[int, list[str]]:
    """The count the page states and the subjects of its rows, top to bottom."""
    total = int(re.search(r'<p class="count">(\d+) entries', page.text).group(1))
    return total, [html.unescape(s) for s in re.findall(r'<td class="id">([^<]*)</td>', page.text)]


def items(numbers) -> list[str]:
    return [f"item {i:03d}" for i in numbers]


@pytest.mark.parametrize(("query", "total", "subjects"), [
    ("user=alice", 120, items(range(119, 69, -1))),
    ("user=alice&page=2", 120, items(range(69, 19, -1))),
    ("user=alice&page=3", 120, items(range(19, -1, -1))),
    ("user=alice&page=99", 120, items(range(19, -1, -1))),  # past the end: the last page
    ("user=alice&page=x", 120, items(range(119, 69, -1))),
    ("user=Alice", 0, []),  # the exact name
    ("user=bob", 3, ["check 2", "check 1", "check 0"]),
    ("action=verify", 3, ["check 2", "check 1", "check 0"]),
    ("user=alice&action=verify", 0, []),
    # 2026-10-01 09:00 + i hours: the 1st holds items 0–14, the 2nd 15–38
    ("user=alice&since=2026-10-02&until=2026-10-02", 24, items(range(38, 14, -1))),
    ("user=alice&until=2026-10-01", 15, items(range(14, -1, -1))),
    ("action=download&until=2026-09-30", 1, [HOSTILE_SUBJECT]),
    ("user=alice&since=2026-10-06", 9, items(range(119, 110, -1))),
])
def test_the_audit_log_filters_and_pages(logged, as_role, query, total, subjects):
    page = as_role("auditor").get("/audit/log?" + query)
    assert page.status_code == 200
    assert shown(page) == (total, subjects)


def test_the_audit_log_shows_newest_first_with_every_column_and_its_own_view(logged, as_role):
    client = as_role("billing")
    first = client.get("/audit/log")
    assert shown(first)[0] == 125  # 124 entries and billing-user's login
    assert re.search(r"<td>2026-10-06 08:00:00</td><td>alice</td>\s*<td>download</td><td class=\"id\">item 119</td>"
                     r"<td></td><td>192.0.2.1</td>", first.text)
    assert 'href="?user=&amp;action=&amp;since=&amp;until=&amp;page=2"' in first.text
    viewed = audit.entries(logged, user="billing-user", action="audit")
    assert [e.subject for e in viewed] == ["audit log: no filter, page 1"]
    client.get("/audit/log?user=bob&action=verify&since=2026-10-01")
    assert audit.entries(logged, user="billing-user", action="audit")[0].subject == \
        "audit log: user bob, action verify, from 2026-10-01, page 1"


def test_a_hostile_name_or_subject_is_escaped(logged, as_role):
    page = as_role("auditor").get("/audit/log?action=download&until=2026-09-30")
    assert HOSTILE_USER not in page.text and "<img" not in page.text
    assert escape(HOSTILE_USER) in page.text and escape(HOSTILE_SUBJECT) in page.text
    assert "<script" not in page.text


def test_a_hostile_user_name_is_escaped_on_the_users_page(engine, as_role):
    add_user(engine, HOSTILE_USER, "finance", PASSWORD, hasher=CHEAP)
    page = as_role("admin").get("/users")
    assert "<script" not in page.text and escape(HOSTILE_USER) in page.text


@pytest.mark.parametrize(("query", "message"), [
    ("since=2026-13-01", "From: '2026-13-01' is not a date; give it as YYYY-MM-DD (2026-11-30)."),
    ("until=yesterday", "To: 'yesterday' is not a date; give it as YYYY-MM-DD (2026-11-30)."),
    ("since=2026-10-05&until=2026-10-01", "The range ends before it starts: To is earlier than From."),
])
def test_a_bad_date_range_is_a_message(logged, as_role, query, message):
    page = as_role("auditor").get("/audit/log?" + query)
    assert page.status_code == 400
    assert error_of(page) == message
    assert '<p class="count">' not in page.text
    assert audit.entries(logged, user="auditor-user", action="audit") == []  # nothing searched, nothing logged


def test_a_hostile_date_is_escaped_in_the_message(logged, as_role):
    page = as_role("auditor").get("/audit/log", params={"since": "<b>x</b>"})
    assert page.status_code == 400 and "<b>x</b>" not in page.text


def test_the_audit_log_sees_what_the_users_page_did(engine, as_role):
    boss = as_role("admin")
    post(boss, "/users/add", name="erin", role="auditor", password=PASSWORD, password2=PASSWORD)
    page = as_role("auditor").get("/audit/log?action=user_add")
    assert shown(page) == (1, ["erin"])
    assert re.search(r"<td>admin-user</td>\s*<td>user_add</td><td class=\"id\">erin</td><td>role auditor</td>"
                     r"<td>testclient</td>", page.text)
    assert 'value="user_add" selected' in page.text
    assert PASSWORD not in page.text
