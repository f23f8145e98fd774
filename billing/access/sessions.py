"""The portal's sessions, kept in the store: a session lives while its row does.

The cookie (signed by the web app) carries a random session id; the store keeps only its
SHA-256 (`web_sessions`), so reading the table opens no session. The rule (`Lifetime`):

- a session ends after `idle` (30 minutes) without a request, and `absolute` (8 hours) after
  the login whatever the activity;
- `touch` renews the last-seen time at most once per `touch_every` (a minute), so browsing
  does not write to the store on every request; the idle end is exact to that minute;
- logging out deletes the row, so a copy of the cookie taken before is worth nothing;
- `end_all_for_user` ends every session of a user (`xlbilling users remove|passwd`);
- expired rows are deleted when someone logs in (`purge`), so the table stays the size of the
  sessions alive.

The clock is injectable so the tests move time by hand.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import Engine, delete, select, update

from billing.access.clock import Clock, parse, stamp, utc_now
from billing.access.users import name_key
from billing.store import web_sessions


class Lifetime(NamedTuple):
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)
    touch_every: timedelta = timedelta(minutes=1)


def sid_hash(sid: str) -> str:
    """What the store keeps of a session id."""
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Sessions:
    engine: Engine
    lifetime: Lifetime = Lifetime()
    clock: Clock = field(default=utc_now)

    def open(self, user: str, client: str) -> str:
        """A new session of `user` from `client`; returns its id (for the cookie only)."""
        sid = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            self._purge(conn, now)
            conn.execute(web_sessions.insert().values(
                sid_hash=sid_hash(sid), name_key=name_key(user), created_at=stamp(now), last_seen=stamp(now),
                expires_at=stamp(now + self.lifetime.absolute), client=(client or "-")[:64]))
        return sid

    def touch(self, sid: str | None, user: str) -> bool:
        """Whether `sid` is a live session of `user`; if so, it was seen now (written at most
        once per `touch_every`). A session found expired is deleted."""
        if not sid:
            return False
        now, key = self.clock(), sid_hash(sid)
        with self.engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(select(web_sessions).where(web_sessions.c.sid_hash == key)).first()
        if row is None or row.name_key != name_key(user):
            return False
        if parse(row.expires_at) <= now or parse(row.last_seen) + self.lifetime.idle <= now:
            self.end(sid)
            return False
        if parse(row.last_seen) + self.lifetime.touch_every <= now:
            with self.engine.begin() as conn:
                conn.execute(update(web_sessions).where(web_sessions.c.sid_hash == key).values(last_seen=stamp(now)))
        return True

    def end(self, sid: str | None) -> None:
        """End the session `sid` (logging out); nothing if there is none."""
        if sid:
            with self.engine.begin() as conn:
                conn.execute(delete(web_sessions).where(web_sessions.c.sid_hash == sid_hash(sid)))

    def end_all_for_user(self, user: str) -> int:
        """End every session of `user`; returns how many there were."""
        with self.engine.begin() as conn:
            return conn.execute(delete(web_sessions).where(web_sessions.c.name_key == name_key(user))).rowcount

    def purge(self) -> int:
        """Delete the sessions past their idle or absolute end; returns how many."""
        with self.engine.begin() as conn:
            return self._purge(conn, self.clock())

    def _purge(self, conn, now) -> int:
        return conn.execute(delete(web_sessions).where(
            (web_sessions.c.expires_at <= stamp(now)) | (web_sessions.c.last_seen <= stamp(now - self.lifetime.idle))
        )).rowcount
