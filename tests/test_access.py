"""Portal users and roles (`billing.access`): the role table, Argon2 passwords, the audit log,
the login throttle, the sessions, the store's migration, and `xlbilling users` end to end."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import inspect, select, text

from billing.access import audit
from billing.access.roles import ACTIONS, PERMISSIONS, ROLES, may
from billing.access.sessions import Lifetime, Sessions, sid_hash
from billing.access.throttle import Rule, Throttle, lock_end
from billing.access.users import (MIN_PASSWORD_LENGTH, UserRefused, add_user, authenticate, get_user, list_users,
                                  password_problem, remove_user, set_disabled, set_password)
from billing.store import MIGRATIONS, migrate, open_store, users as users_table, web_sessions
from tests_support import cli

ROOT = Path(__file__).resolve().parents[1]
#: Cheap parameters for the tests: the rules are the same, the work is not.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(store_url):
    return open_store(store_url)


# -- the role table -------------------------------------------------------------------------------

#: role → the actions it may take, written out by hand (the table in roles.py's docstring)
EXPECTED = {
    "finance": {"read", "download", "verify"},
    "auditor": {"read", "download", "verify", "audit", "export_audit"},
    "billing": {"read", "download", "verify", "audit", "export_audit", "upload"},
    "admin": {"read", "manage_users"},
}


@pytest.mark.parametrize("role", [*EXPECTED, "nobody", "", "Admin"])
@pytest.mark.parametrize("action", [*ACTIONS, "delete", ""])
def test_the_permission_matrix(role, action):
    assert may(role, action) is (action in EXPECTED.get(role, set()))


def test_the_roles_and_actions_are_the_ones_named():
    assert ROLES == ("finance", "auditor", "billing", "admin")
    assert ACTIONS == ("read", "download", "verify", "audit", "export_audit", "upload", "manage_users")
    assert set().union(*PERMISSIONS.values()) == set(ACTIONS)  # no action no one may take


def test_the_permission_table_cannot_be_changed():
    with pytest.raises(TypeError):
        PERMISSIONS["finance"] = frozenset(ACTIONS)  # type: ignore[index]
    with pytest.raises(AttributeError):
        PERMISSIONS["finance"].add("upload")  # type: ignore[attr-defined]


# -- users and passwords --------------------------------------------------------------------------

def stored_hashes(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(users_table.c.name, users_table.c.password_hash)).all())


def test_only_argon2_hashes_are_stored_each_with_its_salt(engine):
    add_user(engine, "alice", "finance", PASSWORD, hasher=FAST)
    add_user(engine, "bob", "auditor", PASSWORD, hasher=FAST)
    hashes = stored_hashes(engine)
    assert all(h.startswith("$argon2id$") for h in hashes.values())
    assert hashes["alice"] != hashes["bob"]
    with engine.connect() as conn:  # the password is nowhere in the table
        rows = conn.execute(select(users_table)).all()
    assert not [v for row in rows for v in row if isinstance(v, str) and PASSWORD in v]


def test_authenticate_right_wrong_unknown_disabled(engine):
    added = add_user(engine, "Alice", "billing", PASSWORD, hasher=FAST)
    assert added.name == "Alice" and added.role == "billing" and not added.disabled
    found = authenticate(engine, "alice", PASSWORD, hasher=FAST)  # names ignore case
    assert found is not None and (found.name, found.role) == ("Alice", "billing")
    assert authenticate(engine, "Alice", PASSWORD + "x", hasher=FAST) is None
    assert authenticate(engine, "Alice", "", hasher=FAST) is None
    assert authenticate(engine, "mallory", PASSWORD, hasher=FAST) is None
    set_disabled(engine, "ALICE", True)
    assert get_user(engine, "alice").disabled
    assert authenticate(engine, "Alice", PASSWORD, hasher=FAST) is None
    set_disabled(engine, "alice", False)
    assert authenticate(engine, "Alice", PASSWORD, hasher=FAST) is not None


def test_an_unknown_user_costs_a_hash_verification(engine, monkeypatch):
    """The time of the answer does not tell a name that exists: a dummy hash is verified."""
    add_user(engine, "alice", "finance", PASSWORD, hasher=FAST)
    calls = []
    real = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda self, h, p: calls.append(h) or real(self, h, p))
    for name in ("alice", "mallory"):
        authenticate(engine, name, "wrong password!", hasher=FAST)
    assert len(calls) == 2 and all(h.startswith("$argon2id$v=19$m=8,t=1,p=1$") for h in calls)


def test_a_hash_with_old_parameters_is_renewed_at_login(engine):
    add_user(engine, "alice", "finance", PASSWORD, hasher=FAST)
    old = stored_hashes(engine)["alice"]
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    assert authenticate(engine, "alice", "not it at all", hasher=stronger) is None
    assert stored_hashes(engine)["alice"] == old  # a failed login renews nothing
    assert authenticate(engine, "alice", PASSWORD, hasher=stronger) is not None
    new = stored_hashes(engine)["alice"]
    assert new != old and "$m=16,t=2,p=1$" in new
    assert authenticate(engine, "alice", PASSWORD, hasher=stronger) is not None
    assert stored_hashes(engine)["alice"] == new  # renewed once


@pytest.mark.parametrize("password, problem", [
    ("", "a password needs at least 12 characters (this one has 0)"),
    ("elevenchars", "a password needs at least 12 characters (this one has 11)"),
    ("twelve chars", None),
    ("x" * 1024, None),
    ("x" * 1025, "a password has at most 1024 characters"),
])
def test_the_password_rule(password, problem):
    assert MIN_PASSWORD_LENGTH == 12
    assert password_problem(password) == problem


@pytest.mark.parametrize("call, code", [
    (lambda e: add_user(e, "alice", "finance", "short", hasher=FAST), "password_too_short"),
    (lambda e: add_user(e, "ALICE ", "admin", PASSWORD, hasher=FAST), "duplicate_name"),
    (lambda e: add_user(e, "carol", "boss", PASSWORD, hasher=FAST), "unknown_role"),
    (lambda e: add_user(e, "  ", "finance", PASSWORD, hasher=FAST), "bad_name"),
    (lambda e: add_user(e, "a\tb", "finance", PASSWORD, hasher=FAST), "bad_name"),
    (lambda e: set_password(e, "carol", PASSWORD, hasher=FAST), "unknown_user"),
    (lambda e: set_password(e, "alice", "short", hasher=FAST), "password_too_short"),
    (lambda e: remove_user(e, "carol"), "unknown_user"),
])
def test_refusals_are_values_with_a_code(engine, call, code):
    add_user(engine, "Alice", "finance", PASSWORD, hasher=FAST)
    before = stored_hashes(engine)
    with pytest.raises(UserRefused) as refused:
        call(engine)
    assert refused.value.code == code and "\n" not in str(refused.value)
    assert stored_hashes(engine) == before  # nothing changed


def test_set_password_and_remove(engine):
    clock = iter([T0, T0 + timedelta(days=3)])
    add_user(engine, "alice", "finance", PASSWORD, hasher=FAST, clock=lambda: next(clock))
    set_password(engine, "Alice", "another long secret", hasher=FAST, clock=lambda: next(clock))
    assert authenticate(engine, "alice", PASSWORD, hasher=FAST) is None
    assert authenticate(engine, "alice", "another long secret", hasher=FAST) is not None
    (user,) = list_users(engine)
    assert (user.created_at, user.password_changed_at) == (T0, T0 + timedelta(days=3))
    remove_user(engine, "ALICE")
    assert list_users(engine) == [] and authenticate(engine, "alice", "another long secret", hasher=FAST) is None


# -- the audit log --------------------------------------------------------------------------------

def test_the_audit_log_records_and_lists_newest_first(engine):
    times = iter(T0 + timedelta(minutes=m) for m in range(10))
    clock = lambda: next(times)  # noqa: E731
    audit.record(engine, "alice", "download", "archive:3", "book.xlsx", "192.0.2.7", clock=clock)
    audit.record(engine, None, "login_failed", "mallory", "", "198.51.100.1", clock=clock)
    audit.record(engine, "alice", "verify", "mailed.xlsx", "tampered: 2 cells", "192.0.2.7", clock=clock)
    everything = audit.entries(engine)
    assert [(e.at, e.user, e.action, e.subject, e.remote_addr) for e in everything] == [
        (T0 + timedelta(minutes=2), "alice", "verify", "mailed.xlsx", "192.0.2.7"),
        (T0 + timedelta(minutes=1), None, "login_failed", "mallory", "198.51.100.1"),
        (T0, "alice", "download", "archive:3", "192.0.2.7"),
    ]
    assert [e.action for e in audit.entries(engine, user="alice")] == ["verify", "download"]
    assert [e.action for e in audit.entries(engine, action="download")] == ["download"]
    assert [e.action for e in audit.entries(engine, since=T0 + timedelta(minutes=1))] == ["verify", "login_failed"]
    assert [e.action for e in audit.entries(engine, until=T0 + timedelta(minutes=1))] == ["download"]
    assert [e.action for e in audit.entries(engine, limit=1, offset=1)] == ["login_failed"]
    assert everything[0].as_dict()["at"] == "2026-11-30T09:02:00+00:00"


# -- the login throttle ---------------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


def test_five_failures_in_fifteen_minutes_lock_the_pair_for_fifteen(engine):
    clock = Clock()
    throttle = Throttle(engine, clock=clock)
    for _ in range(4):
        assert throttle.failure("alice", "192.0.2.7") is None
        clock.advance(minutes=3)
    assert throttle.locked_until("alice", "192.0.2.7") is None
    end = throttle.failure("Alice", "192.0.2.7")  # the 5th within 12 minutes, the name in another case
    assert end == T0 + timedelta(minutes=12 + 15)
    assert throttle.locked_until("ALICE", "192.0.2.7") == end
    assert throttle.locked_until("alice", "192.0.2.8") is None  # another address
    assert throttle.locked_until("bob", "192.0.2.7") is None  # another user
    clock.advance(minutes=14, seconds=59)
    assert throttle.locked_until("alice", "192.0.2.7") == end
    clock.advance(seconds=1)
    assert throttle.locked_until("alice", "192.0.2.7") is None
    assert throttle.failure("alice", "192.0.2.7") is None  # the old failures are out of the window


def test_failures_spread_wider_than_the_window_lock_nothing(engine):
    clock = Clock()
    throttle = Throttle(engine, clock=clock)
    for _ in range(12):
        assert throttle.failure("alice", "192.0.2.7") is None
        clock.advance(minutes=4)  # 5 failures span 16 minutes: never 5 within 15


def test_a_success_clears_the_count_and_processes_share_it(engine, store_url):
    clock = Clock()
    one, other = Throttle(engine, clock=clock), Throttle(open_store(store_url), clock=clock)
    for _ in range(4):
        one.failure("alice", "192.0.2.7")
    one.success("alice", "192.0.2.7")
    assert other.failure("alice", "192.0.2.7") is None
    for _ in range(3):
        other.failure("alice", "192.0.2.7")
    assert one.failure("alice", "192.0.2.7") == T0 + timedelta(minutes=15)
    assert other.locked_until("alice", "192.0.2.7") == T0 + timedelta(minutes=15)


@pytest.mark.parametrize("minutes, end", [
    ([], None),
    ([0, 1, 2, 3], None),
    ([0, 1, 2, 3, 4], 19),
    ([0, 5, 10, 14, 14.9], 29.9),
    ([0, 5, 10, 14, 15], None),  # 15 minutes apart is outside a window of 15
    ([0, 1, 2, 3, 4, 40, 41, 42, 43, 44], 59),  # the latest lock
])
def test_lock_end(minutes, end):
    times = [T0 + timedelta(minutes=m) for m in minutes]
    assert lock_end(times, Rule()) == (None if end is None else T0 + timedelta(minutes=end))


# -- sessions -------------------------------------------------------------------------------------

def session_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(web_sessions).order_by(web_sessions.c.created_at)).all()


def test_a_session_is_a_row_that_holds_only_the_ids_hash(engine):
    clock = Clock()
    sessions = Sessions(engine, clock=clock)
    sid = sessions.open("Alice", "192.0.2.7")
    assert len(sid) >= 40 and sid != sessions.open("alice", "192.0.2.7")  # a new id each time
    row = session_rows(engine)[0]
    assert (row.sid_hash, row.name_key, row.client) == (sid_hash(sid), "alice", "192.0.2.7")
    assert (row.created_at, row.last_seen, row.expires_at) == (
        "2026-11-30T09:00:00.000000+00:00", "2026-11-30T09:00:00.000000+00:00", "2026-11-30T17:00:00.000000+00:00")
    assert sid not in str(tuple(row))  # the id itself is never stored
    assert sessions.touch(sid, "ALICE") is True  # names compare as names do
    assert sessions.touch(sid, "bob") is False  # someone else's id
    assert sessions.touch(sid_hash(sid), "alice") is False  # the stored hash opens nothing
    assert sessions.touch(None, "alice") is False and sessions.touch("", "alice") is False


@pytest.mark.parametrize(("steps", "alive"), [
    ([29], True), ([30], False), ([29, 29, 29], True),  # each request renews the idle time
    ([0.5, 29.9], False),  # seen half a minute after the login: not written (once a minute), so idle from the login
    ([20] * 23, True), ([20] * 24, False),  # 480 minutes after the login: over, however busy
])
def test_a_session_ends_when_idle_or_too_old(engine, steps, alive):
    clock = Clock()
    sessions = Sessions(engine, clock=clock)
    sid = sessions.open("alice", "192.0.2.7")
    for minutes in steps[:-1]:
        clock.advance(minutes=minutes)
        assert sessions.touch(sid, "alice")
    clock.advance(minutes=steps[-1])
    assert sessions.touch(sid, "alice") is alive
    assert len(session_rows(engine)) == int(alive)  # a session found over is deleted


def test_touch_writes_at_most_once_a_minute(engine):
    clock = Clock()
    sessions = Sessions(engine, Lifetime(), clock)
    sid = sessions.open("alice", "-")
    for seconds, seen in [(30, T0), (29, T0), (1, T0 + timedelta(minutes=1)), (59, T0 + timedelta(minutes=1)),
                          (60, T0 + timedelta(minutes=2, seconds=59))]:
        clock.advance(seconds=seconds)
        assert sessions.touch(sid, "alice")
        assert session_rows(engine)[0].last_seen == seen.isoformat(timespec="microseconds")


def test_end_end_all_and_purge(engine):
    clock = Clock()
    sessions = Sessions(engine, clock=clock)
    alice1, alice2, bob = sessions.open("alice", "a"), sessions.open("Alice", "b"), sessions.open("bob", "c")
    sessions.end(alice1)
    sessions.end(alice1)  # again: nothing to end
    sessions.end(None)
    assert [sessions.touch(s, n) for s, n in [(alice1, "alice"), (alice2, "alice"), (bob, "bob")]] == [False, True, True]
    assert sessions.end_all_for_user("ALICE") == 1
    assert not sessions.touch(alice2, "alice") and sessions.touch(bob, "bob")
    clock.advance(minutes=20)
    carol = sessions.open("carol", "d")
    clock.advance(minutes=15)
    assert sessions.purge() == 1  # bob's: idle 35 minutes; carol's 15
    assert [r.name_key for r in session_rows(engine)] == ["carol"]
    clock.advance(minutes=30)
    sessions.open("dave", "e")  # a login purges the expired first
    assert [r.name_key for r in session_rows(engine)] == ["dave"] and not sessions.touch(carol, "carol")


# -- the store's migration ------------------------------------------------------------------------

def test_the_migration_adds_the_tables_to_an_older_store(store_url):
    from sqlalchemy import create_engine

    engine = create_engine(store_url)
    with engine.begin() as conn:  # a store at version 5, as the release before this one left it
        from billing.store import schema_version

        schema_version.create(conn)
        for version in range(1, 6):
            MIGRATIONS[version](conn)
            conn.execute(schema_version.insert().values(version=version))
    assert not inspect(engine).has_table("users")
    assert migrate(engine) == max(MIGRATIONS)
    assert {"users", "audit_log", "login_failures", "web_sessions"} <= set(inspect(engine).get_table_names())
    assert migrate(engine) == max(MIGRATIONS)  # again: nothing to do
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_version WHERE version >= 6 ORDER BY version")
                            ).scalars().all() == sorted(v for v in MIGRATIONS if v >= 6)
    engine.dispose()
    engine = open_store(store_url)
    add_user(engine, "alice", "admin", PASSWORD, hasher=FAST)
    assert [u.name for u in list_users(engine)] == ["alice"]


# -- xlbilling users ------------------------------------------------------------------------------

def run_users(capsys, monkeypatch, url, *args, stdin: str = ""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return cli(capsys, "users", *args, "--db", url)


def test_the_command_line_end_to_end(capsys, monkeypatch, store_url):
    code, out, err = run_users(capsys, monkeypatch, store_url, "add", "Alice", "--role", "auditor",
                               "--password-stdin", stdin=PASSWORD + "\n")
    assert (code, err.strip()) == (0, "Added Alice (auditor)")
    code, out, _ = run_users(capsys, monkeypatch, store_url, "add", "bob", "--role", "admin", "--password-stdin",
                             stdin="bob's long password\r\n")
    assert code == 0
    code, out, _ = run_users(capsys, monkeypatch, store_url, "list", "--json")
    assert code == 0
    assert [(u["name"], u["role"], u["disabled"]) for u in out["users"]] == [("Alice", "auditor", False),
                                                                              ("bob", "admin", False)]
    assert set(out["users"][0]) == {"name", "role", "created_at", "password_changed_at", "disabled"}
    engine = open_store(store_url)
    assert authenticate(engine, "bob", "bob's long password") is not None  # the line end is not the password

    code, _, err = run_users(capsys, monkeypatch, store_url, "passwd", "alice", "--password-stdin",
                             stdin="a new long password\n")
    assert (code, err.strip()) == (0, "Password of alice changed")
    assert authenticate(engine, "Alice", PASSWORD) is None
    assert authenticate(engine, "Alice", "a new long password") is not None

    code, _, err = run_users(capsys, monkeypatch, store_url, "remove", "ALICE")
    assert (code, err.strip()) == (0, "Removed ALICE")
    code, out, _ = run_users(capsys, monkeypatch, store_url, "list", "--json")
    assert [u["name"] for u in out["users"]] == ["bob"]
    code, out, err = run_users(capsys, monkeypatch, store_url, "list")
    assert out.startswith("bob\tadmin\tcreated ") and err.strip() == "1 user"
    # each change is in the audit log, under the operating-system user
    assert [e.action for e in audit.entries(engine)] == ["user_remove", "user_passwd", "user_add", "user_add"]
    assert all(e.user.startswith("os:") for e in audit.entries(engine))


@pytest.mark.parametrize(("args", "stdin", "ended"), [(["passwd", "alice", "--password-stdin"], "a new long password\n",
                                                       "alice"), (["remove", "Alice"], "", "alice"),
                                                      (["disable", "alice"], "", "alice"), (["enable", "alice"], "", None)])
def test_users_passwd_remove_and_disable_end_the_users_sessions(capsys, monkeypatch, store_url, args, stdin, ended):
    engine = open_store(store_url)
    for name in ("alice", "bob"):
        add_user(engine, name, "finance", PASSWORD, hasher=FAST)
    sessions = Sessions(engine)
    opened = {name: [sessions.open(name, "192.0.2.7") for _ in range(2)] for name in ("alice", "bob")}
    assert run_users(capsys, monkeypatch, store_url, *args, stdin=stdin)[0] == 0
    for name, sids in opened.items():
        assert [sessions.touch(sid, name) for sid in sids] == [name != ended] * 2
    assert {r.name_key for r in session_rows(engine)} == ({"alice", "bob"} if ended is None else {"bob"})


@pytest.mark.parametrize("args, stdin, message", [
    (["add", "ALICE", "--role", "finance", "--password-stdin"], PASSWORD + "\n",
     "xlbilling: a user named 'ALICE' exists already (names ignore case)"),
    (["add", "carol", "--role", "boss", "--password-stdin"], PASSWORD + "\n",
     "xlbilling: unknown role 'boss'; the roles are finance, auditor, billing, admin"),
    (["add", "carol", "--role", "finance", "--password-stdin"], "too short\n",
     "xlbilling: a password needs at least 12 characters (this one has 9)"),
    (["add", "carol", "--role", "finance", "--password-stdin"], "",
     "xlbilling: --password-stdin: stdin is empty"),
    (["add", "carol", "--password-stdin"], PASSWORD + "\n", "xlbilling: Missing option '--role'."),
    (["passwd", "carol", "--password-stdin"], PASSWORD + "\n", "xlbilling: no user named 'carol'"),
    (["remove", "carol"], "", "xlbilling: no user named 'carol'"),
])
def test_unusable_arguments_exit_2_with_one_line(capsys, monkeypatch, store_url, args, stdin, message):
    assert run_users(capsys, monkeypatch, store_url, "add", "alice", "--role", "finance", "--password-stdin",
                     stdin=PASSWORD + "\n")[0] == 0
    code, out, err = run_users(capsys, monkeypatch, store_url, *args, stdin=stdin)
    assert (code, out, err.splitlines()) == (2, "", [message])
    assert [u.name for u in list_users(open_store(store_url))] == ["alice"]


def test_without_password_stdin_the_password_is_typed_twice(tmp_path):
    """The hidden prompt, in a process with no terminal (Python's getpass then reads stdin)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {k: v for k, v in os.environ.items() if k != "XLBILLING_DEBUG"}

    def add(name: str, typed: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "billing", "users", "add", name, "--role", "finance", "--db", url],
                              input=typed, capture_output=True, text=True, cwd=ROOT, env=env, start_new_session=True,
                              timeout=120)

    done = add("alice", f"{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr  # never echoed
    assert authenticate(open_store(url), "alice", PASSWORD) is not None
    done = add("bob", f"{PASSWORD}\nsomething else!\n")  # the two differ, then the input ends
    assert done.returncode == 2 and get_user(open_store(url), "bob") is None


# -- a login attempt as the web app makes it ------------------------------------------------------

def test_log_in_asks_the_throttle_checks_the_password_and_writes_the_audit_log(engine):
    from billing.access.login import log_in

    clock = Clock()
    throttle = Throttle(engine, clock=clock)
    add_user(engine, "alice", "finance", PASSWORD, hasher=FAST)

    def attempt(password: str):
        return log_in(engine, "Alice", password, "192.0.2.7", throttle=throttle, hasher=FAST)

    ok = attempt(PASSWORD)
    assert ok.user.name == "alice" and ok.locked_until is None
    for _ in range(4):
        assert attempt("wrong password") == (None, None)
    assert attempt("wrong password") == (None, T0 + timedelta(minutes=15))
    assert attempt(PASSWORD) == (None, T0 + timedelta(minutes=15))  # the right one is not even checked
    clock.advance(minutes=15)
    assert attempt(PASSWORD).user.name == "alice"
    assert attempt("wrong password") == (None, None)  # the success cleared the count
    actions = [(e.user, e.action, e.subject) for e in reversed(audit.entries(engine))]
    assert actions == [("alice", "login", "alice"), *[(None, "login_failed", "Alice")] * 5,
                       (None, "login_locked", "Alice"), ("alice", "login", "alice"), (None, "login_failed", "Alice")]
    assert all(e.remote_addr == "192.0.2.7" for e in audit.entries(engine))
