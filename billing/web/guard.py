"""The portal's one door to `billing.access`: who logs in, what a role may, what is logged.

Every call the web layer makes to the users, roles, audit and throttle modules goes through
here, so the pages name actions (`BROWSE`, `DOWNLOAD`) and never the access package's
details. The one exception is managing the users: the users page calls `billing.access.admin`
directly, the very functions `xlbilling users` calls, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Engine

#: The portal's actions, as `billing.access.roles` names them.
BROWSE = "read"
DOWNLOAD = "download"
AUDIT = "audit"
EXPORT_AUDIT = "export_audit"
VERIFY = "verify"
UPLOAD = "upload"
MANAGE_USERS = "manage_users"


class Login(NamedTuple):
    """A login attempt's outcome: the user and role, or why not (`throttled`: too many failures)."""

    user: str | None
    role: str | None
    throttled: bool = False


def throttle(engine: Engine):
    """The login throttle of the store (the rule of `billing.access.throttle`)."""
    from billing.access.throttle import Throttle

    return Throttle(engine)


def sessions(engine: Engine, lifetime=None):
    """The store's sessions (the rule of `billing.access.sessions`; `lifetime`: its `Lifetime`)."""
    from billing.access.sessions import Lifetime, Sessions

    return Sessions(engine, lifetime or Lifetime())


def log_in(engine: Engine, throttled, name: str, password: str, client: str) -> Login:
    """Check `name` and `password` from `client` (`billing.access.login.log_in`: throttled per
    user name and client address, audit-logged either way); a failure says nothing about which
    of the two was wrong. `throttled`: the `billing.access.throttle.Throttle` to ask."""
    from billing.access import login

    outcome = login.log_in(engine, name, password, client, throttle=throttled)
    if outcome.user is None:
        return Login(None, None, throttled=outcome.locked_until is not None)
    return Login(outcome.user.name, outcome.user.role)


def current(engine: Engine, name: str, stamp: str | None) -> str | None:
    """The role of the user `name` now, if their session (logged in with `stamp`, from
    `password_stamp`) still holds: the user is there, not disabled, and their password is the
    one they logged in with. So removing or disabling a user, or changing their password,
    ends their sessions at their next request; the role is the store's, never the cookie's."""
    from billing.access import users

    user = users.get_user(engine, name)
    if user is None or user.disabled or stamp is None or password_stamp(user) != stamp:
        return None
    return user.role


def password_stamp(user) -> str:
    """What a session remembers of the password it was made with: when it was set."""
    return user.password_changed_at.isoformat()


def logged_in_stamp(engine: Engine, name: str) -> str | None:
    """The password stamp of `name` as stored right after a login (a login may renew the hash)."""
    from billing.access import users

    user = users.get_user(engine, name)
    return password_stamp(user) if user else None


def may(role: str | None, action: str) -> bool:
    """Whether `role` (None: nobody logged in) may do `action`."""
    from billing.access import roles

    return role is not None and roles.may(role, action)


def record(engine: Engine, who: str, action: str, subject: str, client: str | None = None, detail: str = "") -> None:
    """Write who did what (to `subject`; `detail`: anything else), when, from where into the store's audit log."""
    from billing.access import audit

    audit.record(engine, who, action, subject, detail, remote_addr=client)
