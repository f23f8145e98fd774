"""The billing periods of a contract line.

The rule: the first period starts on `start_date`. Period boundaries fall on the anchor day
(`anchor_day`, blank: the start date's day), clamped to the month's last day (31 → 30 in
April, 28 in February, 29 in a leap February; each boundary is clamped from the anchor day
itself, so a 31st anchor returns to the 31st in March), every `n` months. When the start
date is not an anchor date, the first period is a stub from `start_date` to the day before
the first anchor date after it; its full period (what it is prorated against) is the
regular period that contains it, from the anchor date `n` months before that boundary to
the day before it. The period in which `end_date` falls ends on `end_date`; no period
starts after it. A `Period` is inclusive at both ends.

A month bills (`billed_in`): in advance, the periods that START in it; in arrears, the
periods that END in it.

>>> D = dt.date
>>> [str(p) for p in periods_between(D(2026, 1, 31), 1, 31, None, D(2026, 1, 1), D(2026, 4, 30))]
['2026-01-31 – 2026-02-27', '2026-02-28 – 2026-03-30', '2026-03-31 – 2026-04-29', '2026-04-30 – 2026-05-30']
>>> [str(p) for p in periods_between(D(2026, 1, 15), 1, 1, D(2026, 3, 10), D(2026, 1, 1), D(2026, 12, 31))]
['2026-01-15 – 2026-01-31 of 2026-01-01 – 2026-01-31', '2026-02-01 – 2026-02-28', '2026-03-01 – 2026-03-10 of 2026-03-01 – 2026-03-31']
>>> next_billing_date(D(2026, 1, 31), 1, 31, D(2028, 2, 1))
datetime.date(2028, 2, 29)
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache
from typing import Iterator, NamedTuple, Optional

from billing.schedules.records import ContractLine

_DAY = dt.timedelta(days=1)


def month_number(day: dt.date) -> int:
    """Months since year 0: consecutive months are consecutive numbers."""
    return day.year * 12 + day.month - 1


@lru_cache(maxsize=1 << 16)
def anchor_date(month: int, anchor_day: int) -> dt.date:
    """The anchor day in month number `month`, clamped to the month's last day (cached: every
    line's periods ask for the same few hundred months)."""
    year, month0 = divmod(month, 12)
    return dt.date(year, month0 + 1, min(anchor_day, calendar.monthrange(year, month0 + 1)[1]))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, on the month's last day when it has no such day
    (31 January + 1 month = 28 February; the end of a minimum term)."""
    return anchor_date(month_number(day) + months, day.day)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a calendar month."""
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


class Period(NamedTuple):
    """A billing period `start`–`end` (inclusive) within its full regular period
    `full_start`–`full_end` (equal to it unless it is a stub or cut by the end date)."""

    start: dt.date
    end: dt.date
    full_start: dt.date
    full_end: dt.date

    @property
    def partial(self) -> bool:
        return self.start != self.full_start or self.end != self.full_end

    def __str__(self) -> str:
        text = f"{self.start} – {self.end}"
        return text + (f" of {self.full_start} – {self.full_end}" if self.partial else "")


def first_anchor(start: dt.date, anchor_day: int) -> int:
    """The month number of the first anchor date on or after `start`."""
    month = month_number(start)
    return month if anchor_date(month, anchor_day) >= start else month + 1


def _check(months: int, anchor_day: int) -> None:
    if not isinstance(months, int) or months < 1:
        raise ValueError(f"a period must be a whole number of months ≥ 1, not {months!r}")
    if not isinstance(anchor_day, int) or not 1 <= anchor_day <= 31:
        raise ValueError(f"the anchor day must be a day of the month from 1 to 31, not {anchor_day!r}")


def periods_between(start: dt.date, months: int, anchor_day: Optional[int], end: Optional[dt.date],
                    from_date: dt.date, to_date: dt.date) -> Iterator[Period]:
    """The periods of a schedule (start, `months` per period, anchor day, end date) that
    overlap `from_date`–`to_date`, in order. Jumps straight to the first of them, so a
    contract ten years old costs no more than a new one."""
    anchor = start.day if anchor_day is None else anchor_day
    _check(months, anchor)
    last = to_date if end is None else min(to_date, end)
    if last < start or last < from_date:
        return
    first = first_anchor(start, anchor)
    boundary = anchor_date(first, anchor)
    if boundary > start:  # the stub
        stub_end = boundary - _DAY if end is None else min(boundary - _DAY, end)
        if stub_end >= from_date:
            yield Period(start, stub_end, anchor_date(first - months, anchor), boundary - _DAY)
    # the regular periods: k-th starts on the anchor date first + k·months
    k = max(0, (month_number(from_date) - first) // months - 1)
    while True:
        begin = anchor_date(first + k * months, anchor)
        if begin > last:
            return
        finish = anchor_date(first + (k + 1) * months, anchor) - _DAY
        cut = finish if end is None else min(finish, end)
        if cut >= from_date:
            yield Period(begin, cut, begin, finish)
        k += 1


def periods_in(line: ContractLine, from_date: dt.date, to_date: dt.date) -> list[Period]:
    """The line's periods that overlap `from_date`–`to_date` (inclusive), in order."""
    return list(periods_between(line.start_date, line.period_months, line.anchor_day, line.end_date,
                                from_date, to_date))


def billed_in(line: ContractLine, year: int, month: int) -> list[Period]:
    """The periods month `year-month` bills for the line: in advance those that start in
    it, in arrears those that end in it (a metered line is always billed in arrears)."""
    first, last = month_bounds(year, month)
    arrears = line.timing == "arrears" or line.metered
    return [p for p in periods_in(line, first, last) if first <= (p.end if arrears else p.start) <= last]


def next_billing_date(start: dt.date, period_months: int, anchor_day: Optional[int], as_of: dt.date) -> dt.date:
    """The first period start on or after `as_of` of a schedule that starts on `start`
    (`as_of` itself when a period starts that day; `start` when `as_of` is before it).
    This is the day an in-advance line is billed for; ignores any end date."""
    anchor = start.day if anchor_day is None else anchor_day
    _check(period_months, anchor)
    if as_of <= start:
        return start
    first = first_anchor(start, anchor)
    k = max(0, (month_number(as_of) - first) // period_months - 1)
    while anchor_date(first + k * period_months, anchor) < as_of:
        k += 1
    return anchor_date(first + k * period_months, anchor)
