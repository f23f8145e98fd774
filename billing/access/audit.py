"""The audit log: who did what, when, from where — every login, download, upload and
verify of the portal, and every change to the users. Entries are appended, never changed.

`user` is the logged-in user's name (None when nobody is: a failed login, say, names the
name tried in `subject`); `action` a short word (`login`, `login_failed`, `download`,
`upload`, `verify`, `export_audit`, `user_add`…); `subject` what it was done to (an archive
id, a file name, a user); `detail` anything else, as text.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Engine, func, select

from billing.access.clock import Clock, parse, stamp, utc_now
from billing.store import audit_log

MAX_ACTION_LENGTH = 40


class Entry(NamedTuple):
    id: int
    at: datetime
    user: str | None
    action: str
    subject: str
    detail: str
    remote_addr: str | None

    def as_dict(self) -> dict:
        return {**self._asdict(), "at": self.at.isoformat()}


def record(engine: Engine, user: str | None, action: str, subject: str = "", detail: str = "",
           remote_addr: str | None = None, *, clock: Clock = utc_now) -> Entry:
    """Append one entry; returns it as stored."""
    if not action or len(action) > MAX_ACTION_LENGTH:
        raise ValueError(f"an audit action is 1–{MAX_ACTION_LENGTH} characters: {action!r}")
    at = clock()
    values = {"at": stamp(at), "user_name": user, "action": action, "subject": subject, "detail": detail,
              "remote_addr": remote_addr[:64] if remote_addr else remote_addr}
    with engine.begin() as conn:
        entry_id = conn.execute(audit_log.insert().values(**values)).inserted_primary_key[0]
    return Entry(entry_id, parse(values["at"]), user, action, subject, detail, values["remote_addr"])


def _conditions(user: str | None, action: str | None, since: datetime | None, until: datetime | None) -> list:
    conditions = []
    if user is not None:
        conditions.append(audit_log.c.user_name == user)
    if action is not None:
        conditions.append(audit_log.c.action == action)
    if since is not None:
        conditions.append(audit_log.c.at >= stamp(since))
    if until is not None:
        conditions.append(audit_log.c.at < stamp(until))
    return conditions


def entries(engine: Engine, *, user: str | None = None, action: str | None = None,
            since: datetime | None = None, until: datetime | None = None,
            limit: int = 100, offset: int = 0) -> list[Entry]:
    """Entries newest first, optionally of one user or action, at or after `since` and
    before `until`; a page of `limit` from `offset`."""
    query = (select(audit_log).where(*_conditions(user, action, since, until))
             .order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit).offset(offset))
    with engine.connect().execution_options(read_only=True) as conn:
        rows = conn.execute(query).all()
    return [Entry(r.id, parse(r.at), r.user_name, r.action, r.subject, r.detail, r.remote_addr) for r in rows]


def count(engine: Engine, *, user: str | None = None, action: str | None = None,
          since: datetime | None = None, until: datetime | None = None) -> int:
    """How many entries `entries` with the same filters would give without a limit."""
    query = select(func.count()).select_from(audit_log).where(*_conditions(user, action, since, until))
    with engine.connect().execution_options(read_only=True) as conn:
        return conn.execute(query).scalar_one()


def actions(engine: Engine) -> list[str]:
    """The actions the log holds, alphabetically (for a filter's choices)."""
    with engine.connect().execution_options(read_only=True) as conn:
        return list(conn.execute(select(audit_log.c.action).distinct().order_by(audit_log.c.action)).scalars())
