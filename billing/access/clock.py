"""Time as the access layer stores it: aware UTC datetimes, kept as fixed-width ISO text
(`2026-11-30T17:10:20.123456+00:00`) so that text order is time order in any database."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def stamp(at: datetime) -> str:
    """The stored text of an aware datetime (a naive one is refused: its zone is a guess)."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no zone")
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
