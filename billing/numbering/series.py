"""Number series: rendering `INV-{yyyy}-{seq:06d}` and reading a number back.

A series is a pattern from Settings; its counter runs per *period*: the rendered date
fields of the pattern (`{yyyy}`/`{yy}` yearly, with `{mm}` monthly, none: never resets).
The series key `INV-{yyyy}-{seq:06d}@2026` names one counter.

>>> render("INV-{yyyy}-{seq:06d}", date(2026, 10, 31), 7)
'INV-2026-000007'
>>> series_key("CN-{yy}{mm}-{seq:04d}", date(2026, 3, 1))
'CN-{yy}{mm}-{seq:04d}@2603'
>>> parse("INV-2026-000123", "INV-{yyyy}-{seq:06d}")
('INV-{yyyy}-{seq:06d}@2026', 123)
>>> parse("R-123", "INV-{yyyy}-{seq:06d}") is None
True
"""

from __future__ import annotations

import re
import string
from datetime import date
from functools import lru_cache

_FIELD_PATTERNS = {"yyyy": r"(?P<yyyy>\d{4})", "yy": r"(?P<yy>\d{2})", "mm": r"(?P<mm>\d{2})"}


def _period_fields(d: date) -> dict[str, str]:
    return {"yyyy": f"{d.year:04d}", "yy": f"{d.year % 100:02d}", "mm": f"{d.month:02d}"}


@lru_cache(maxsize=64)
def _parts(pattern: str) -> tuple[tuple[str, str | None, str], ...]:
    return tuple((literal, name, spec) for literal, name, spec, _ in string.Formatter().parse(pattern))


def period(pattern: str, issue: date) -> str:
    """The rendered date fields of the pattern: the part whose change resets the counter."""
    fields = _period_fields(issue)
    return "".join(fields[name] for _, name, _ in _parts(pattern) if name in fields)


def series_key(pattern: str, issue: date) -> str:
    return f"{pattern}@{period(pattern, issue)}"


def render(pattern: str, issue: date, seq: int) -> str:
    """The number `seq` of the pattern's series for an invoice issued on `issue`."""
    return pattern.format(seq=seq, **_period_fields(issue))


@lru_cache(maxsize=64)
def _regex(pattern: str) -> re.Pattern:
    out = []
    for literal, name, spec in _parts(pattern):
        out.append(re.escape(literal))
        if name == "seq":
            digits = re.match(r"0?(\d+)d$", spec or "")
            out.append(rf"(?P<seq>\d{{{digits.group(1)},}})" if digits else r"(?P<seq>\d+)")
        elif name in _FIELD_PATTERNS:
            out.append(_FIELD_PATTERNS[name])
    return re.compile("^" + "".join(out) + "$")


def parse(number: str, pattern: str) -> tuple[str, int] | None:
    """`(series_key, seq)` of a number written in the pattern, or None if it is not."""
    match = _regex(pattern).match(number.strip())
    if not match:
        return None
    found = match.groupdict()
    key = "".join(found[name] for _, name, _ in _parts(pattern) if name in _FIELD_PATTERNS)
    return f"{pattern}@{key}", int(found["seq"])
