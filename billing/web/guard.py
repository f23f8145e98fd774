"""The portal's one door to `billing.access`: who logs in, what a role may, what is logged.

Every call the web layer makes to the users, roles, audit and throttle modules goes through
here, so the pages name actions (`BROWSE`, `DOWNLOAD`) and never the access package's
details.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Engine

#: The portal's actions, as `billing.access.roles.may` names them.
BROWSE = "archive.read"
DOWNLOAD = "archive.download"


class Login(NamedTuple):
    """A login attempt's outcome: the user and role, or why not (`throttled`: too many failures)."""

    user: str | None
    role: str | None
    throttled: bool = False


def log_in(engine: Engine, name: str, password: str, client: str) -> Login:
    """Check `name` and `password`, throttled per user name and client address; a failure
    says nothing about which of the two was wrong."""
    from billing.access import throttle, users

    keys = (f"user:{name.casefold()}", f"client:{client}")
    if any(not throttle.allowed(engine, key) for key in keys):
        return Login(None, None, throttled=True)
    user = users.authenticate(engine, name, password)
    if user is None:
        for key in keys:
            throttle.failed(engine, key)
        return Login(None, None)
    for key in keys:
        throttle.succeeded(engine, key)
    return Login(user.name, user.role)


def may(role: str | None, action: str) -> bool:
    """Whether `role` (None: nobody logged in) may do `action`."""
    from billing.access import roles

    return role is not None and roles.may(role, action)


def record(engine: Engine, who: str, action: str, what: str) -> None:
    """Write who did what, when, into the store's audit log."""
    from billing.access import audit

    audit.record(engine, who=who, action=action, what=what)
