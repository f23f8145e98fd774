"""The web portal (`billing.web`, `xlbilling serve`) through Starlette's TestClient: login and
logout with CSRF, the session cookie and its row in the store (replay after logout, idle and
absolute ends), fixation, throttling, the archive list, an entry, its
downloads, who may see what, the security headers, and ids that are not entry numbers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from billing.access import audit
from billing.access.users import add_user
from billing.sealing.archive import _HASHED, append_chained_many, archived_path
from billing.store import archive_entries, open_store
from billing.web.app import COOKIE, create_app
from billing.web.archive_routes import download_name
from billing.web.listing import PAGE_SIZE
from tests_support import seal_books, xlbilling  # noqa: F401 (test_web_verify takes xlbilling from here)

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # the hash's cost is in the hash: tests stay fast
PASSWORD = "correct horse battery staple"
ROLES = ("finance", "auditor", "billing", "admin")
SECRET = "test-secret-" + "x" * 40


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """A store with one user per role and three sealed workbooks (periods 2026-09..11) made by
    `xlbilling keys init` and `xlbilling seal`; the paths of the sealed books and their records."""
    home = tmp_path_factory.mktemp("portal")
    db, root = f"sqlite:///{home / 'store.sqlite'}", home / "archive"
    books = seal_books(home, ("2026-09", "2026-10", "2026-11"), db, root)
    engine = open_store(db)
    for role in ROLES:
        add_user(engine, f"{role}-user", role, PASSWORD, hasher=CHEAP)
    yield engine, root, books
    engine.dispose()


@pytest.fixture
def app(portal):
    engine, root, _ = portal
    return create_app(engine, root, SECRET)


def client_of(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def log_in(client: TestClient, user: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"user": user, "password": password, "csrf": token})


@pytest.fixture
def as_role(app):
    def make(role: str | None) -> TestClient:
        client = client_of(app)
        if role is not None:
            assert log_in(client, f"{role}-user").status_code == 303
        return client
    return make


# --- login, logout, the cookie ---------------------------------------------------------------

def test_login_then_logout(as_role):
    client = as_role("finance")
    page = client.get("/")
    assert page.status_code == 200 and "finance-user (finance)" in page.text
    done = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert (done.status_code, done.headers["location"]) == (303, "/login")
    assert client.get("/").headers["location"] == "/login"
    engine = app_engine(client.app)
    assert [e.action for e in audit.entries(engine, user="finance-user")][:2] == ["logout", "login"]


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_the_forms_csrf_token_is_refused(app, token):
    client = client_of(app)
    client.get("/login")
    data = {"user": "finance-user", "password": PASSWORD} | ({} if token is None else {"csrf": token})
    refused = client.post("/login", data=data)
    assert refused.status_code == 403
    assert client.get("/").status_code == 303  # not logged in


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_logout_without_the_csrf_token_is_refused_and_the_session_stays(as_role, token):
    client = as_role("auditor")
    refused = client.post("/logout", data={} if token is None else {"csrf": token})
    assert refused.status_code == 403
    assert client.get("/").status_code == 200


def test_a_token_from_another_session_is_refused(app, as_role):
    other = csrf_of(as_role("finance").get("/").text)
    client = client_of(app)
    client.get("/login")
    assert client.post("/login", data={"user": "finance-user", "password": PASSWORD, "csrf": other}).status_code == 403


@pytest.mark.parametrize(("user", "password"), [("finance-user", "wrong password!!"), ("nobody", PASSWORD),
                                                ("nobody", "wrong password!!")])
def test_a_failed_login_says_nothing_about_which_part_was_wrong(app, user, password):
    answer = log_in(client_of(app), user, password)
    assert answer.status_code == 401
    assert "Login failed." in answer.text
    assert not re.search(r"unknown|no such|password is|wrong", answer.text, re.I)


def set_cookie(response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE + "="))


def test_the_session_cookie_is_signed_httponly_and_samesite_strict(app, portal):
    done = log_in(client_of(app), "finance-user")
    flags = [part.strip().lower() for part in set_cookie(done).split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http on loopback; behind TLS: https_only
    engine, root, _ = portal
    secure = log_in(TestClient(create_app(engine, root, SECRET, https_only=True), base_url="https://testserver",
                               follow_redirects=False), "finance-user")
    assert "secure" in [part.strip().lower() for part in set_cookie(secure).split(";")]
    forged = client_of(app)
    forged.cookies.set(COOKIE, set_cookie(done).split(";")[0].split("=", 1)[1][:-4] + "AAAA")
    assert forged.get("/").status_code == 303  # a cookie not signed by the secret is no session


def test_logging_in_changes_the_session_no_fixation(app):
    client = client_of(app)
    before = cookie_value(client.get("/login"))
    assert log_in(client, "finance-user").status_code == 303
    after = client.cookies[COOKIE]
    assert after != before
    # an attacker's pre-login cookie: anonymous after the victim logged in, and logging in with it
    # planted gives a session of its own (a new id each login)
    planted = client_of(app)
    assert planted.get("/", headers={"cookie": f"{COOKIE}={before}"}).status_code == 303
    token = csrf_of(planted.get("/login", headers={"cookie": f"{COOKIE}={before}"}).text)
    again = planted.post("/login", data={"user": "finance-user", "password": PASSWORD, "csrf": token},
                         headers={"cookie": f"{COOKIE}={before}"})
    assert again.status_code == 303 and cookie_value(again) not in (before, after)
    assert client_of(app).get("/", headers={"cookie": f"{COOKIE}={cookie_value(again)}"}).status_code == 200


def test_a_copy_of_the_cookie_taken_before_logout_is_worth_nothing_after(as_role):
    client = as_role("billing")
    copy = client.cookies[COOKIE]
    assert client.post("/logout", data={"csrf": csrf_of(client.get("/").text)}).status_code == 303
    replayed = client_of(client.app)
    replayed.cookies.set(COOKIE, copy)
    assert replayed.get("/").headers["location"] == "/login"
    assert replayed.get("/archive/1/download").status_code == 403


def test_replay_after_logout_on_each_store(store_url, tmp_path):
    """The same on SQLite and PostgreSQL (XLBILLING_TEST_DATABASE_URL): the row is the session."""
    engine = open_store(store_url)
    add_user(engine, "anna", "finance", PASSWORD, hasher=CHEAP)
    client = client_of(create_app(engine, tmp_path / "archive", SECRET))
    copy = cookie_value(log_in(client, "anna"))
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    replayed = client_of(client.app)
    replayed.cookies.set(COOKIE, copy)
    assert replayed.get("/").status_code == 303
    engine.dispose()


def test_logging_in_again_ends_the_session_the_cookie_held(app):
    """Fixation with a logged-in cookie: an attacker plants their own session's cookie; when the
    victim logs in over it, the attacker's copy of it ends with it."""
    attacker = client_of(app)
    assert log_in(attacker, "finance-user").status_code == 303
    planted = attacker.cookies[COOKIE]
    victim = client_of(app)
    victim.cookies.set(COOKIE, planted)
    done = log_in(victim, "auditor-user")
    assert done.status_code == 303 and cookie_value(done) != planted
    assert "auditor-user (auditor)" in victim.get("/").text
    assert attacker.get("/").headers["location"] == "/login"


class FakeClock:
    def __init__(self):
        self.now = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)

    def __call__(self):
        return self.now


@pytest.mark.parametrize(("steps", "alive"), [([29], True), ([31], False), ([25, 25, 25], True),
                                              ([29] * 16 + [15], True), ([29] * 16 + [16], False)])
def test_a_session_ends_when_idle_or_eight_hours_after_the_login(portal, steps, alive):
    """Idle 30 minutes, or 8 hours after the login however busy (`billing.access.sessions`)."""
    from billing.access.sessions import Lifetime, Sessions

    engine, root, _ = portal
    clock = FakeClock()
    client = client_of(create_app(engine, root, SECRET, sessions=Sessions(engine, Lifetime(), clock)))
    assert log_in(client, "finance-user").status_code == 303
    for minutes in steps[:-1]:
        clock.now += dt.timedelta(minutes=minutes)
        assert client.get("/").status_code == 200
    clock.now += dt.timedelta(minutes=steps[-1])
    assert client.get("/").status_code == (200 if alive else 303)


def cookie_value(response) -> str:
    return set_cookie(response).split(";")[0].split("=", 1)[1]


def test_login_is_throttled_after_five_failures(app):
    add_user(app_engine(app), "throttled-user", "finance", PASSWORD, hasher=CHEAP)
    client = client_of(app)
    codes = [log_in(client, "throttled-user", "not the password").status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    locked = log_in(client, "throttled-user", PASSWORD)  # the right password does not get through a lock
    assert locked.status_code == 429 and "Too many failed logins" in locked.text
    assert client.get("/").status_code == 303
    assert log_in(client_of(app), "finance-user").status_code == 303  # other users are not locked out
    tried = [e.action for e in audit.entries(app_engine(app), action=None) if e.subject == "throttled-user"]
    assert tried[:2] == ["login_locked", "login_failed"] and tried.count("login_failed") == 5


@pytest.mark.parametrize("change", ["disable", "remove", "passwd"])
def test_a_disabled_or_removed_user_or_a_new_password_ends_the_session(app, change):
    from billing.access.users import remove_user, set_disabled, set_password

    engine = app_engine(app)
    name = f"leaving-{change}"
    add_user(engine, name, "finance", PASSWORD, hasher=CHEAP)
    client = client_of(app)
    assert log_in(client, name).status_code == 303 and client.get("/archive/1/download").status_code == 200
    time.sleep(0.002)  # the password stamp is to the microsecond
    {"disable": lambda: set_disabled(engine, name, True), "remove": lambda: remove_user(engine, name),
     "passwd": lambda: set_password(engine, name, PASSWORD + "!", hasher=CHEAP)}[change]()
    assert client.get("/archive/1/download").status_code == 403
    assert client.get("/").headers["location"] == "/login"


def test_the_role_is_the_stores_not_the_cookies(app):
    """A session cookie is signed, but the role in it is never trusted: it is not even kept there."""
    import base64

    client = client_of(app)
    done = log_in(client, "admin-user")
    payload = cookie_value(done).split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) == {"user", "pw", "sid", "csrf"}
    assert client.get("/archive/1/download").status_code == 403  # admin may not download


def app_engine(app):
    return app.state.engine


# --- the archive list -----------------------------------------------------------------------

def rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/archive/(\d+)">', html)]


def test_the_archive_lists_the_sealed_workbooks_newest_first(as_role):
    page = as_role("finance").get("/").text
    assert rows(page) == [3, 2, 1]
    assert "Billing 2026-10.xlsx" in page and "3 entries" in page


@pytest.mark.parametrize(("query", "expected"), [
    ("period=2026-10", [2]), ("period=2026", [3, 2, 1]), ("period=2027", []),
    ("workbook=2026-11", [3]), ("sort=period&dir=asc", [1, 2, 3]), ("sort=nonsense", [3, 2, 1]),
    ("workbook=%25", []), ("period=2026_10", []), ("period=%25", []),  # LIKE wildcards typed are literal
])
def test_search_and_sort(as_role, query, expected):
    assert rows(as_role("finance").get(f"/?{query}").text) == expected


@pytest.fixture
def many(store_url, tmp_path):
    """A store (SQLite, and PostgreSQL when configured) with 1,203 index entries (no files: the
    list needs none), three archivers."""
    engine = open_store(store_url)
    fields = [{"sha256": hashlib.sha256(str(i).encode()).hexdigest(), "suffix": ".xlsx", "size": 1000 + i,
               "content_digest": "c" * 64, "workbook_id": f"wb-{i % 40:03d}", "period": f"20{20 + i % 7}-{1 + i % 12:02d}",
               "first_customer": "C1", "last_customer": "C9", "first_invoice": None, "last_invoice": None,
               "original_name": f"book{i}.xlsx", "key_id": "0123456789abcdef", "sealed_at": "2026-11-02T09:30:00Z",
               "archived_at": f"2026-11-02T09:{i % 60:02d}:00.000000Z", "archived_by": ("erika", "max", "ute")[i % 3],
               "retention_until": dt.date(2036, 11, 2)} for i in range(1203)]
    append_chained_many(engine, archive_entries, fields, _HASHED, taken=lambda: False)
    add_user(engine, "reader", "finance", PASSWORD, hasher=CHEAP)
    client = client_of(create_app(engine, tmp_path / "archive", SECRET))
    log_in(client, "reader")
    yield client
    engine.dispose()


@pytest.mark.parametrize(("query", "expected"), [
    ("", list(range(1203, 1153, -1))),
    ("page=2", list(range(1153, 1103, -1))),
    ("page=25", [3, 2, 1]),
    ("page=999", [3, 2, 1]),  # past the end: the last page
    ("page=-1", list(range(1203, 1153, -1))),
    ("dir=asc&page=2", list(range(51, 101))),
])
def test_paging_fifty_a_page(many, query, expected):
    assert PAGE_SIZE == 50
    assert rows(many.get(f"/?{query}").text) == expected


def test_search_by_sealer_and_period_with_paging(many):
    page = many.get("/?sealer=MAX&period=2020").text
    expected = [i + 1 for i in range(1203) if i % 3 == 1 and i % 7 == 0]
    assert f"{len(expected)} entries" in page
    assert rows(page) == sorted(expected, reverse=True)[:50]


def seconds_per_page(client, path: str, times: int = 10) -> float:
    """How long the page `path` takes on average (after a first request that warms the caches)."""
    client.get(path)
    started = time.perf_counter()
    for _ in range(times):
        assert client.get(path).status_code == 200
    return (time.perf_counter() - started) / times


def test_a_page_of_the_list_stays_fast_with_a_thousand_entries(many):
    per_page = seconds_per_page(many, "/?page=20&sort=sealer")
    print(f"archive page of 1,203 entries ({app_engine(many.app).dialect.name}): {per_page * 1000:.1f} ms")
    assert per_page < 0.5


# --- an entry and its downloads ---------------------------------------------------------------

def test_an_entrys_page_shows_the_seal_and_its_place_in_the_chain(as_role, portal):
    engine, _, _ = portal
    page = as_role("auditor").get("/archive/2").text
    with engine.connect() as conn:
        entry = conn.execute(archive_entries.select().where(archive_entries.c.seq == 2)).one()
    for text in (entry.key_id, entry.sha256, entry.entry_hash, entry.previous_hash, entry.archived_by,
                 entry.archived_at, entry.retention_until.isoformat(), "entry 2 of 3", "2026-10",
                 entry.workbook_id, "content_digest", "signature"):
        assert text in page, text


def test_downloads_are_the_archived_bytes_and_are_audited(as_role, portal):
    engine, root, books = portal
    client = as_role("finance")
    logged_before = len(audit.entries(engine, user="finance-user", action="download"))
    got = client.get("/archive/1/download")
    assert got.status_code == 200
    with engine.connect() as conn:
        sha = conn.execute(archive_entries.select().where(archive_entries.c.seq == 1)).one().sha256
    assert got.content == books[0].read_bytes() == archived_path(root, sha, ".xlsx").read_bytes()
    assert got.headers["content-disposition"] == "attachment; filename*=utf-8''Billing%202026-09.xlsx"
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    record = client.get("/archive/1/seal.json")
    assert record.status_code == 200
    assert record.content == books[0].with_name(books[0].name + ".seal.json").read_bytes()
    assert json.loads(record.content)["period"] == "2026-09"
    found = audit.entries(engine, user="finance-user", action="download")
    assert len(found) == logged_before + 2
    logged = {e.subject: e for e in found}
    for subject in (f"archive entry 1 workbook {sha}", "archive entry 1 seal record"):
        assert logged[subject].remote_addr == "testclient"


def test_an_altered_archived_file_is_not_served(portal, tmp_path):
    engine, root, _ = portal
    copy = tmp_path / "archive"
    import shutil
    shutil.copytree(root, copy)
    with engine.connect() as conn:
        sha = conn.execute(archive_entries.select().where(archive_entries.c.seq == 3)).one().sha256
    stored = archived_path(copy, sha, ".xlsx")
    stored.chmod(0o644)
    stored.write_bytes(b"not the sealed workbook")
    client = client_of(create_app(engine, copy, SECRET))
    log_in(client, "finance-user")
    got = client.get("/archive/3/download")
    assert got.status_code == 500 and "missing or altered" in got.text and b"not the sealed" not in got.content


@pytest.mark.parametrize(("original", "name"), [("Billing 2026-10.xlsx", "Billing 2026-10.xlsx"),
                                                ('a"b.xlsx', "archive-7.xlsx"), ("../x.xlsx", "archive-7.xlsx"),
                                                ("Rechnung ä.xlsx", "archive-7.xlsx"), ("book.xlsm", "archive-7.xlsx")])
def test_the_download_name_is_plain_or_made_up(original, name):
    assert download_name(original, 7, ".xlsx") == name


# --- who may see what -------------------------------------------------------------------------

PAGE, FILE = "page", "file"
ROUTES = [("GET", "/", PAGE), ("GET", "/archive/1", PAGE), ("GET", "/archive/1/download", FILE),
          ("GET", "/archive/1/seal.json", FILE)]
#: route kind → role → status (anonymous: None)
EXPECTED = {
    PAGE: {None: 303, "finance": 200, "auditor": 200, "billing": 200, "admin": 200},
    FILE: {None: 403, "finance": 200, "auditor": 200, "billing": 200, "admin": 403},
}


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize(("method", "path", "kind"), ROUTES)
def test_authorization_matrix(as_role, portal, method, path, kind, role):
    engine, _, books = portal
    client = as_role(role)
    answer = client.request(method, path)
    assert answer.status_code == EXPECTED[kind][role]
    if answer.status_code in (303, 403):
        assert answer.content in (b"", b"Forbidden")  # nothing of the archive leaks
        if answer.status_code == 303:
            assert answer.headers["location"] == "/login"


@pytest.mark.parametrize("role", [None, *ROLES])
def test_everyone_may_see_the_login_form(as_role, role):
    assert as_role(role).get("/login").status_code == 200


# --- headers and hostile ids -----------------------------------------------------------------

HEADERS = {"content-security-policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
           "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


@pytest.mark.parametrize("role", [None, "finance", "admin"])
@pytest.mark.parametrize(("method", "path"), [("GET", "/login"), ("POST", "/login"), ("POST", "/logout"),
                                              ("GET", "/"), ("GET", "/archive/1"), ("GET", "/archive/1/download"),
                                              ("GET", "/archive/1/seal.json"), ("GET", "/archive/99"),
                                              ("GET", "/nowhere"), ("GET", "/static/portal.css")])
def test_security_headers_on_every_response(as_role, method, path, role):
    answer = as_role(role).request(method, path)
    for name, value in HEADERS.items():
        assert answer.headers[name] == value
    private = not path.startswith("/static/")
    assert (answer.headers["cache-control"] == "no-store") == private


def test_pages_have_no_inline_script_or_style(as_role):
    client = as_role("finance")
    for path in ("/login", "/", "/archive/1"):
        html = client.get(path).text
        assert "<script" not in html and "style=" not in html and "<style" not in html


@pytest.mark.parametrize("path", [
    "/archive/../../etc/passwd", "/archive/..%2F..%2Fetc%2Fpasswd", "/archive/..%2F..%2Fetc%2Fpasswd/download",
    "/archive/1%2F..%2F..%2Fetc%2Fpasswd/download", "/archive/%2Fetc%2Fpasswd/seal.json", "/archive/-1",
    "/archive/abc/download", "/archive/1.xlsx/download", "/archive/99999/download", "/archive/99999/seal.json",
    "/archive/99999", "/archive/0", "/static/../app.py", "/static/..%2Fapp.py",
])
def test_ids_that_are_not_entry_numbers_are_not_found(as_role, path):
    answer = as_role("finance").get(path)
    assert answer.status_code == 404
    assert b"root:" not in answer.content and b"create_app" not in answer.content


# --- xlbilling serve ----------------------------------------------------------------------------

@pytest.mark.parametrize(("secret", "proxy"), [(None, False), ("a-secret-of-the-organisation-" + "y" * 20, True)])
def test_xlbilling_serve_starts_the_portal_on_loopback(tmp_path, monkeypatch, secret, proxy):
    import os
    import subprocess
    import sys

    import httpx

    from tests_support import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "XLBILLING_WEB_SECRET"}
    if secret:
        env["XLBILLING_WEB_SECRET"] = secret
    server = subprocess.Popen([sys.executable, "-m", "billing", "serve", "--port", str(port), "--db",
                               f"sqlite:///{tmp_path / 's.sqlite'}", "--archive", str(tmp_path / "archive"),
                               *(["--proxy"] if proxy else [])],
                              env=env, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("xlbilling serve did not answer")
        assert answer.status_code == 200 and 'name="csrf"' in answer.text
        assert answer.headers["x-frame-options"] == "DENY" and "server" not in answer.headers
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 303
        # behind a proxy the cookie goes over HTTPS only (the proxy says the client spoke HTTPS)
        forwarded = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1,
                              headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"})
        assert ("secure" in forwarded.headers["set-cookie"].lower()) == proxy
        # the address throttled and audit-logged: the client's as the proxy reports it, only with --proxy
        cookie = forwarded.headers["set-cookie"].split(";")[0]
        httpx.post(f"http://127.0.0.1:{port}/login", timeout=5,
                   data={"user": "nobody", "password": "wrong password!", "csrf": csrf_of(forwarded.text)},
                   headers={"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9", "cookie": cookie})
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    assert ("XLBILLING_WEB_SECRET is not set" in err) == (secret is None)
    assert f"Serving the portal on http://127.0.0.1:{port}/" in err
    engine = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert [e.remote_addr for e in audit.entries(engine, action="login_failed")] == [
        "203.0.113.9" if proxy else "127.0.0.1"]
    engine.dispose()


def test_the_session_secret_comes_from_the_environment(monkeypatch):
    from billing.config import web_secret

    monkeypatch.setenv("XLBILLING_WEB_SECRET", "  ")
    assert web_secret() is None
    monkeypatch.setenv("XLBILLING_WEB_SECRET", "s3cret")
    assert web_secret() == "s3cret"
    monkeypatch.delenv("XLBILLING_WEB_SECRET")
    assert web_secret() is None


@pytest.mark.parametrize("path", ["/archive/{}", "/archive/{}/download", "/archive/{}/seal.json"])
def test_anonymous_visitors_cannot_tell_which_entries_exist(as_role, path):
    anonymous = as_role(None)
    there, missing = anonymous.get(path.format(1)), anonymous.get(path.format(99999))
    assert (there.status_code, there.content) == (missing.status_code, missing.content)
    assert there.status_code in (303, 403)


def test_the_style_sheet_is_served_to_everyone_and_may_be_cached(as_role):
    sheet = as_role(None).get("/static/portal.css")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert "body" in sheet.text and sheet.headers["cache-control"] == "public, max-age=3600"
