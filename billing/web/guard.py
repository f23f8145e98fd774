"""The portal's one door to `billing.access`: who logs in, what a role may, what is logged.

Every call the web layer makes to the users, roles, audit and throttle modules goes through
here, so the pages name actions (`BROWSE`, `DOWNLOAD`) and never the access package's
details.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Engine

#: The portal's actions, as `billing.access.roles` names them.
BROWSE = "read"
DOWNLOAD = "download"


class Login(NamedTuple):
    """A login attempt's outcome: the user and role, or why not (`throttled`: too many failures)."""

    user: str | None
    role: str | None
    throttled: bool = False


def throttle(engine: Engine):
    """The login throttle of the store (the rule of `billing.access.throttle`)."""
    from billing.access.throttle import Throttle

    return Throttle(engine)


def log_in(engine: Engine, throttled, name: str, password: str, client: str) -> Login:
    """Check `name` and `password`, throttled per user name and client address (`throttled`:
    a `billing.access.throttle.Throttle`); a failure says nothing about which was wrong."""
    from billing.access import users

    if throttled.locked_until(name, client) is not None:
        return Login(None, None, throttled=True)
    user = users.authenticate(engine, name, password)
    if user is None:
        return Login(None, None, throttled=throttled.failure(name, client) is not None)
    throttled.success(name, client)
    return Login(user.name, user.role)


def may(role: str | None, action: str) -> bool:
    """Whether `role` (None: nobody logged in) may do `action`."""
    from billing.access import roles

    return role is not None and roles.may(role, action)


def record(engine: Engine, who: str, action: str, subject: str, client: str | None = None) -> None:
    """Write who did what, when, from where into the store's audit log."""
    from billing.access import audit

    audit.record(engine, who, action, subject, remote_addr=client)
