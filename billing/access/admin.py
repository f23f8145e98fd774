"""Managing the users as somebody does it: the rules of `billing.access.users`, the change, and
the audit log entry saying who did what to whom from where — one function per change, called
by `xlbilling users` and by the portal's users page alike.

Rules on top of `billing.access.users` (which refuses the last enabled admin's removal or
disabling from anywhere):
- a portal user cannot remove or disable themselves (`self`): an admin locking themselves out
  by a slip of the mouse is not worth the one click it saves; another admin, or the command
  line, does it. Setting one's own password is allowed (it ends one's own sessions too).
- the command line acts as the operating-system user (`os:<login>`, no portal session), so the
  self rule does not apply to it.

Audit actions: `user_add` (detail: the role), `user_remove` (detail: the role they had),
`user_passwd`, `user_disable`, `user_enable`; the subject is the user's name. A password is
never part of an entry.
"""

from __future__ import annotations

from typing import NamedTuple

from argon2 import PasswordHasher
from sqlalchemy import Engine

from billing.access import audit, users
from billing.access.sessions import Sessions
from billing.access.clock import Clock, utc_now
from billing.access.users import HASHER, User, UserRefused, name_key


class Actor(NamedTuple):
    """Who makes a change: `name` as the audit log shows them, the client's `address` (None on
    the command line), and whether they are a logged-in portal user (then the self rule holds)."""

    name: str
    address: str | None = None
    portal_user: bool = False


def _not_self(actor: Actor, name: str, doing: str) -> None:
    if actor.portal_user and name_key(actor.name) == name_key(name):
        raise UserRefused("self", f"you cannot {doing} yourself; another admin (or xlbilling users) can")


def add(engine: Engine, actor: Actor, name: str, role: str, password: str, *, hasher: PasswordHasher = HASHER,
        clock: Clock = utc_now) -> User:
    """Add a user (`users.add_user`'s rules) and log it."""
    user = users.add_user(engine, name, role, password, hasher=hasher, clock=clock)
    audit.record(engine, actor.name, "user_add", user.name, f"role {user.role}", actor.address)
    return user


def remove(engine: Engine, actor: Actor, name: str) -> User:
    """Remove a user (not oneself, not the last enabled admin) and log it; returns who was removed."""
    _not_self(actor, name, "remove")
    user = users.remove_user(engine, name)
    Sessions(engine).end_all_for_user(name)  # logged out everywhere now, not at their next request
    audit.record(engine, actor.name, "user_remove", user.name, f"role {user.role}", actor.address)
    return user


def set_password(engine: Engine, actor: Actor, name: str, password: str, *, hasher: PasswordHasher = HASHER,
                 clock: Clock = utc_now) -> User:
    """Give a user a new password (ending their sessions) and log it (without the password)."""
    users.set_password(engine, name, password, hasher=hasher, clock=clock)
    Sessions(engine).end_all_for_user(name)  # a password changed (perhaps because it leaked) ends every session
    user = users.get_user(engine, name)
    audit.record(engine, actor.name, "user_passwd", user.name if user else name.strip(), "", actor.address)
    return user


def set_disabled(engine: Engine, actor: Actor, name: str, disabled: bool) -> User:
    """Disable a user (not oneself, not the last enabled admin) or enable them again, and log it."""
    if disabled:
        _not_self(actor, name, "disable")
    users.set_disabled(engine, name, disabled)
    if disabled:
        Sessions(engine).end_all_for_user(name)
    user = users.get_user(engine, name)
    audit.record(engine, actor.name, "user_disable" if disabled else "user_enable",
                 user.name if user else name.strip(), "", actor.address)
    return user
