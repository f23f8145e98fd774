"""A date a person types into the ribbon's prompt, read as Excel reads a typed date — never guessed.

Accepted: ISO `2026-10-31` (a four-digit year first, with `-`, `/` or `.`), and the local form
in the order Excel itself uses (`Application.International(xlDateOrder)`: 0 month-day-year,
1 day-month-year, 2 year-month-day) with Excel's date separator or any of `.`, `/`, `-`, as
Excel accepts them typed into a cell. Where Excel's order is unknown (Excel for Mac does not
expose it), day and month are told apart only when one of them cannot be a month (31.10.2026);
10.11.2026 is then ambiguous and asked again. Refused with a reason, to be asked again: a
two-digit year (which century?), a day that is not in the calendar (31.02.2026), a year before
1900 (Excel has no such dates), anything else.

>>> parse_typed_date("31.10.2026", "DMY", "."), parse_typed_date("10/31/2026", "MDY", "/")
(datetime.date(2026, 10, 31), datetime.date(2026, 10, 31))
>>> parse_typed_date(" 2026-10-31 ", "MDY", "/"), parse_typed_date("31.10.2026", None, None)
(datetime.date(2026, 10, 31), datetime.date(2026, 10, 31))
"""

from __future__ import annotations

import datetime as dt
import re

#: Excel's `xlDateOrder` answers (XlApplicationInternational, "xlDateOrder = 32")
EXCEL_DATE_ORDERS = {0: "MDY", 1: "DMY", 2: "YMD"}
_NAMES = {"MDY": "month/day/year", "DMY": "day/month/year", "YMD": "year/month/day"}
_SEPARATORS = "./-"
_FIRST_YEAR = 1900


class NotADate(ValueError):
    """What is wrong with the typed text, in words for the person who typed it."""


def local_form(day: dt.date, order: str | None, separator: str | None) -> str:
    """`day` written in the local order (ISO where the order is unknown).

    >>> local_form(dt.date(2026, 10, 31), "DMY", "."), local_form(dt.date(2026, 1, 2), "MDY", "/")
    ('31.10.2026', '01/02/2026')
    """
    if order not in _NAMES:
        return day.isoformat()
    sep = separator or "/"
    parts = {"D": f"{day.day:02d}", "M": f"{day.month:02d}", "Y": f"{day.year:04d}"}
    return sep.join(parts[c] for c in order)


def _pattern(separator: str | None) -> re.Pattern:
    seps = set(_SEPARATORS) | ({separator} if separator and len(separator) == 1 and not separator.isalnum() else set())
    cls = "".join(re.escape(s) for s in sorted(seps))
    return re.compile(rf"(\d{{1,4}})([{cls}])(\d{{1,2}})\2(\d{{1,4}})")


def _day(text: str, year: int, month: int, day: int) -> dt.date:
    if year < _FIRST_YEAR:
        raise NotADate(f"{text}: Excel has no dates before {_FIRST_YEAR}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise NotADate(f"{text} is not a day of the calendar (day {day}, month {month}, year {year})") from None


def parse_typed_date(text: object, order: str | None, separator: str | None) -> dt.date:
    """The date `text` means in Excel's `order` ("MDY", "DMY", "YMD" or None: unknown) and
    with its date `separator`; `NotADate` with the reason when it means none or two."""
    typed = str(text).strip()
    iso = dt.date(2026, 10, 31).isoformat()
    hint = f"type it as {iso}" + (f" or {local_form(dt.date(2026, 10, 31), order, separator)}"
                                  if order in _NAMES else "")
    if not typed:
        raise NotADate(f"no date typed: {hint}")
    match = _pattern(separator).fullmatch(typed)
    if match is None:
        raise NotADate(f"{typed!r} is not a date: {hint}")
    first, _, middle, last = match.groups()
    if len(first) == 4:  # year first: ISO, whatever the order
        return _day(typed, int(first), int(middle), int(last))
    if len(last) != 4:
        raise NotADate(f"{typed}: write the year with four digits ({hint})")
    a, b, year = int(first), int(middle), int(last)
    if order == "MDY":
        return _day(typed, year, a, b)
    if order == "DMY":
        return _day(typed, year, b, a)
    # the order is unknown, or year-first while the year was typed last: decide only what is certain
    if a != b and a <= 12 and b <= 12:
        raise NotADate(f"{typed} is ambiguous: {_day(typed, year, b, a):%d %B %Y} or "
                       f"{_day(typed, year, a, b):%d %B %Y}? Type it as {year:04d}-MM-DD")
    return _day(typed, year, b, a) if a > 12 or a == b else _day(typed, year, a, b)

