"""A login attempt as the web app makes it: the throttle asked first, the password checked,
the throttle and the audit log told the outcome — one call, so every server process does
the same in the same order.

A locked pair is refused without its password being checked and without the refusal being
counted (waiting out the lock always works). Audit actions: `login`, `login_failed` (the
name tried as subject, no user), `login_locked`.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from argon2 import PasswordHasher
from sqlalchemy import Engine

from billing.access import audit
from billing.access.throttle import Throttle
from billing.access.users import HASHER, User, authenticate


class Login(NamedTuple):
    user: User | None  # the user logged in, None when refused
    locked_until: datetime | None  # set when refused because the (name, address) pair is locked


def log_in(engine: Engine, name: str, password: str, address: str, *, throttle: Throttle | None = None,
           hasher: PasswordHasher = HASHER) -> Login:
    """Try to log `name` in from `address`; the outcome is in the audit log either way."""
    throttle = throttle or Throttle(engine)
    subject = name.strip()[:200]
    until = throttle.locked_until(name, address)
    if until is not None:
        audit.record(engine, None, "login_locked", subject, f"locked until {until.isoformat()}", address,
                     clock=throttle.clock)
        return Login(None, until)
    user = authenticate(engine, name, password, hasher=hasher)
    if user is None:
        until = throttle.failure(name, address)
        audit.record(engine, None, "login_failed", subject, f"locked until {until.isoformat()}" if until else "",
                     address, clock=throttle.clock)
        return Login(None, until)
    throttle.success(name, address)
    audit.record(engine, user.name, "login", user.name, f"role {user.role}", address, clock=throttle.clock)
    return Login(user, None)
