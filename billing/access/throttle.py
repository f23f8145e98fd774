"""Login throttling: too many failed logins for one user from one address lock that pair.

The rule (`Rule`, default 5 failures in 15 minutes → locked for 15 minutes): the lock
starts at the failure that makes `limit` failures within `window` (a sliding window) and
lasts `lockout` from it. While locked, a login is refused without its password being
checked, and the refusal is not counted (so waiting out the lock always works). A
successful login clears the pair's failures.

The failures are rows of the store (`login_failures`), so several server processes agree;
the clock is injectable so the tests move time by hand. Keyed by the user name as names
compare (case-folded) and the client's address as the web app sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple, Sequence

from sqlalchemy import Engine, delete, select

from billing.access.clock import Clock, parse, stamp, utc_now
from billing.access.users import name_key
from billing.store import login_failures


class Rule(NamedTuple):
    limit: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


def lock_end(failures: Sequence[datetime], rule: Rule) -> datetime | None:
    """When the latest lock the failures (ascending) started ends; None if they started none."""
    end = None
    for i in range(rule.limit - 1, len(failures)):
        if failures[i] - failures[i - rule.limit + 1] < rule.window:
            end = failures[i] + rule.lockout
    return end


@dataclass(frozen=True)
class Throttle:
    engine: Engine
    rule: Rule = Rule()
    clock: Clock = field(default=utc_now)

    def _where(self, name: str, address: str):
        return (login_failures.c.name_key == name_key(name)) & (login_failures.c.address == address[:64])

    def _failures(self, conn, name: str, address: str, now: datetime) -> list[datetime]:
        horizon = stamp(now - self.rule.window - self.rule.lockout)
        rows = conn.execute(select(login_failures.c.at).where(self._where(name, address), login_failures.c.at > horizon)
                            .order_by(login_failures.c.at)).scalars().all()
        return [parse(r) for r in rows]

    def locked_until(self, name: str, address: str) -> datetime | None:
        """When the pair's lock ends, or None when it may try to log in now."""
        now = self.clock()
        with self.engine.connect().execution_options(read_only=True) as conn:
            end = lock_end(self._failures(conn, name, address, now), self.rule)
        return end if end is not None and end > now else None

    def failure(self, name: str, address: str) -> datetime | None:
        """Count a failed login; returns when the lock it started (or one already on) ends."""
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(login_failures.insert().values(name_key=name_key(name), address=address[:64], at=stamp(now)))
            # the pair's old rows go as it is written to: the table stays the size of the window
            conn.execute(delete(login_failures).where(self._where(name, address), login_failures.c.at
                                                      <= stamp(now - self.rule.window - self.rule.lockout)))
            end = lock_end(self._failures(conn, name, address, now), self.rule)
        return end if end is not None and end > now else None

    def success(self, name: str, address: str) -> None:
        """A successful login: the pair starts afresh."""
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(self._where(name, address)))
