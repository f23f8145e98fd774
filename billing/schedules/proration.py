"""The fraction of a full period that a partial period (a stub, or one cut by the end date)
is billed for, exact, with the rule text shown on the invoice line.

The rules (`proration` cell):

* a full period is billed whole (fraction 1, no rule text), whatever the rule;
* `none` — a partial period is billed whole too (fraction 1, rule `not prorated`);
* `days` — covered days / days of the full period, both counted inclusively:
  `17/31 days` (the text keeps the two counts, unreduced);
* `months` — the full period is cut into its `n` months, each from one anchor date to the
  day before the next (calendar months when the anchor is the 1st); a month covered whole
  counts 1, a month covered in part counts its covered days / its days; the sum over
  `n` months, divided by `n`: `2/3 months` when only whole months are covered, else the terms are shown,
  `1 + 15/30 months of 3`.

Money is then rounded once (`round_money`): the exact amount (a Fraction) to the
currency's minor unit with the workbook's named rounding, by integer arithmetic, so no
intermediate value is ever rounded.

>>> D = dt.date
>>> prorate(D(2026, 1, 15), D(2026, 1, 31), D(2026, 1, 1), D(2026, 1, 31), "days", months=1, anchor_day=1)
Proration(fraction=Fraction(17, 31), rule='17/31 days')
>>> prorate(D(2026, 2, 1), D(2026, 3, 31), D(2026, 1, 1), D(2026, 3, 31), "months", months=3, anchor_day=1).rule
'2/3 months'
>>> prorate(D(2026, 4, 16), D(2026, 6, 30), D(2026, 4, 1), D(2026, 6, 30), "months", months=3, anchor_day=1)
Proration(fraction=Fraction(5, 6), rule='15/30 + 2 months of 3')
>>> round_money(Fraction(1000 * 17, 31), "EUR", "half_up")
Decimal('548.39')
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from billing.contract import PRORATIONS
from billing.money import minor_unit, rounding_mode
from billing.schedules.periods import Period, anchor_date, month_number
from billing.schedules.records import ContractLine

_DAY = dt.timedelta(days=1)
#: the `proration` cell's words
PRORATION_RULES = PRORATIONS


class ProrationError(ValueError):
    """A partial period that cannot be prorated as asked (readable message)."""


class Proration(NamedTuple):
    fraction: Fraction
    rule: str


FULL = Proration(Fraction(1), "")


def _days(first: dt.date, last: dt.date) -> int:
    return (last - first).days + 1


def prorate(start: dt.date, end: dt.date, full_start: dt.date, full_end: dt.date, rule: str, *,
            months: int, anchor_day: int) -> Proration:
    """The fraction of the full period `full_start`–`full_end` (`months` months from anchor
    to anchor on `anchor_day`) that `start`–`end` covers, under `rule` (see the module)."""
    if not full_start <= start <= end <= full_end:
        raise ProrationError(f"{start} – {end} is not within the period {full_start} – {full_end}")
    if (start, end) == (full_start, full_end):
        return FULL
    if rule == "none":
        return Proration(Fraction(1), "not prorated")
    if rule == "days":
        covered, whole = _days(start, end), _days(full_start, full_end)
        return Proration(Fraction(covered, whole), f"{covered}/{whole} days")
    if rule == "months":
        return _by_months(start, end, full_start, months, anchor_day)
    raise ProrationError(f"proration {rule!r} is not one of none, days, months")


def _by_months(start: dt.date, end: dt.date, full_start: dt.date, months: int, anchor_day: int) -> Proration:
    first = month_number(full_start)
    terms: list[str] = []
    total, whole = Fraction(0), 0
    for i in range(months):
        month_start = full_start if i == 0 else anchor_date(first + i, anchor_day)
        month_end = anchor_date(first + i + 1, anchor_day) - _DAY
        lo, hi = max(start, month_start), min(end, month_end)
        if lo > hi:
            continue
        covered, days = _days(lo, hi), _days(month_start, month_end)
        if covered == days:
            whole += 1
            if terms and "/" not in terms[-1]:
                terms[-1] = str(int(terms[-1]) + 1)  # consecutive whole months read as one count
            else:
                terms.append("1")
            total += 1
        else:
            terms.append(f"{covered}/{days}")
            total += Fraction(covered, days)
    if all("/" not in t for t in terms):
        return Proration(total / months, f"{whole}/{months} months")
    return Proration(total / months, f"{' + '.join(terms)} months of {months}")


def prorate_period(period: Period, line: ContractLine) -> Proration:
    """The proration of one of the line's periods under the line's rule."""
    if not period.partial:
        return FULL
    return prorate(period.start, period.end, period.full_start, period.full_end, line.proration,
                   months=line.period_months, anchor_day=line.anchor)


def round_money(amount: Fraction, currency: str, rounding: str) -> Decimal:
    """An exact amount rounded once to the currency's minor unit with the named rounding
    (`half_up`: halves away from zero, as `decimal.ROUND_HALF_UP`; `half_even`)."""
    mode = rounding_mode(rounding)
    places = minor_unit(currency)
    scaled = amount * 10 ** places
    sign = -1 if scaled < 0 else 1
    quotient, remainder = divmod(abs(scaled.numerator), scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator
                                      and (mode == "ROUND_HALF_UP" or quotient % 2 == 1)):
        quotient += 1
    return Decimal(sign * quotient).scaleb(-places)
