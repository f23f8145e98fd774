"""Late-payment interest on one overdue item (Directive 2011/7/EU, B2B), exact to the day.

**Reference rates** are a timeline of `(valid_from, rate)` rows (fractions, may be negative):
the rate on a day is the row with the latest `valid_from` on or before it. A day before the
first row has no rate: `NoReferenceRate` says so (a finding, never a guess); two rows for one
day with different rates are refused.

**Interest** runs from the day after the due date through the as-of date inclusive. On each
day the base is the open amount — gross less every reduction (payment by value date, credit
note by issue date) dated on or before that day, less the open disputed amount, never below
zero — and the annual rate is the day's reference rate plus the margin. The period is cut
where the rate or the base changes; each segment's interest is exact:

    interest = base × (reference rate + margin) × days / Y      (Y = 365 for act/365, 360 for act/360)

(act/365 divides by 365 in a leap year too). A segment's interest is kept as an exact
`Fraction` (1/365 has no finite decimal), so the interest over a period is exactly the sum
over any split of it. The item's interest is that exact sum rounded once to the currency's
minor unit with the named rounding mode; the figures a letter shows per segment (`shown`)
are the exact ones rounded so that they add up to the total (largest remainder,
`billing.invoicing.apportion`). Days on which nothing is open make no segment.

>>> import datetime as dt; from decimal import Decimal as D
>>> rates = RateTimeline.of([(dt.date(2024, 1, 1), D("0.045")), (dt.date(2024, 7, 1), D("0.0425"))])
>>> r = late_interest(dt.date(2024, 6, 20), dt.date(2024, 7, 10), D("1000.00"), rates=rates, margin=D("0.09"))
>>> [(s.start.isoformat(), s.days, str(s.annual_rate)) for s in r.segments], r.total, r.shown
([('2024-06-21', 10, '0.135'), ('2024-07-01', 10, '0.1325')], Decimal('7.33'), (Decimal('3.70'), Decimal('3.63')))
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_right
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, NamedTuple, Sequence

from billing.invoicing.apportion import allocate
from billing.money import DEFAULT_ROUNDING, minor_unit, rounding_mode

ZERO = Decimal(0)
ONE_DAY = dt.timedelta(days=1)

#: Day count → the days of the year the annual rate is divided by (act/365 stays 365 in a leap year).
DAY_COUNTS: dict[str, int] = {"act/365": 365, "act/360": 360}


class InterestError(ValueError):
    """Interest that cannot be computed without guessing: a bad rate table, day count or input."""


class NoReferenceRate(InterestError):
    """A day before the first reference rate: no rate is known for it."""

    def __init__(self, day: dt.date, first: dt.date | None):
        self.day, self.first = day, first
        starts = f"the reference rates start {first.isoformat()}" if first else "no reference rates are given"
        super().__init__(f"no reference rate for {day.isoformat()}: {starts}")


class RateRow(NamedTuple):
    valid_from: dt.date
    rate: Decimal  # a fraction: 0.045 is 4.5 %


class RateTimeline(NamedTuple):
    """Reference rates by the day they start, sorted, one per day (build with `RateTimeline.of`)."""

    rows: tuple[RateRow, ...]

    @classmethod
    def of(cls, rows: Iterable[tuple[dt.date, Decimal]]) -> RateTimeline:
        """The timeline of `(valid_from, rate)` rows in any order; a repeated row is kept once,
        two different rates for one day are an `InterestError`."""
        by_day: dict[dt.date, Decimal] = {}
        for valid_from, rate in rows:
            if not isinstance(valid_from, dt.date) or isinstance(valid_from, dt.datetime):
                raise InterestError(f"valid_from {valid_from!r} is not a date")
            if not isinstance(rate, Decimal) or not rate.is_finite():
                raise InterestError(f"the rate from {valid_from.isoformat()} ({rate!r}) is not a Decimal")
            if valid_from in by_day and by_day[valid_from] != rate:
                raise InterestError(f"two reference rates from {valid_from.isoformat()}: "
                                    f"{by_day[valid_from]} and {rate}")
            by_day[valid_from] = rate
        return cls(tuple(RateRow(d, by_day[d]) for d in sorted(by_day)))

    def rate_on(self, day: dt.date) -> Decimal:
        """The rate of the row with the latest valid_from on or before `day`."""
        i = bisect_right([r.valid_from for r in self.rows], day)
        if i == 0:
            raise NoReferenceRate(day, self.rows[0].valid_from if self.rows else None)
        return self.rows[i - 1].rate

    def changes(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """The days in (start, end] on which a new row starts."""
        return [r.valid_from for r in self.rows if start < r.valid_from <= end]


class Segment(NamedTuple):
    """Days `start`..`end` (inclusive) at one base and one rate; `interest` is exact."""

    start: dt.date
    end: dt.date
    days: int
    base: Decimal
    reference_rate: Decimal
    margin: Decimal
    annual_rate: Decimal
    interest: Fraction


class LateInterest(NamedTuple):
    """The interest on one item as of a date: its segments, the exact sum, the total rounded
    once, and the segment figures a letter shows (rounded, adding up to `total`)."""

    due_date: dt.date
    as_of: dt.date
    currency: str
    day_count: str
    rounding: str
    segments: tuple[Segment, ...]
    exact: Fraction
    total: Decimal
    shown: tuple[Decimal, ...]


def year_days(day_count: str) -> int:
    try:
        return DAY_COUNTS[day_count]
    except KeyError:
        raise InterestError(f"unknown day count {day_count!r}; use one of {', '.join(DAY_COUNTS)}") from None


def segment_interest(base: Decimal, annual_rate: Decimal, days: int, day_count: str) -> Fraction:
    """base × annual rate × days / year days, exactly."""
    return Fraction(base * annual_rate * days) / year_days(day_count)


def round_exact(value: Fraction, currency: str, rounding: str = DEFAULT_ROUNDING) -> Decimal:
    """An exact value rounded to the currency's minor unit: half-up rounds a tie away from zero
    (as `decimal.ROUND_HALF_UP` does), half-even to the even unit. Integer arithmetic only."""
    mode, places = rounding_mode(rounding), minor_unit(currency)
    scaled = abs(value) * 10 ** places
    units, rest = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * rest
    if twice > scaled.denominator or (twice == scaled.denominator and (mode == "ROUND_HALF_UP" or units % 2)):
        units += 1
    return Decimal(-units if value < 0 else units).scaleb(-places)


def shown_amounts(exact: Sequence[Fraction], total: Decimal, currency: str) -> tuple[Decimal, ...]:
    """The exact amounts rounded so that they add up to `total` (largest remainder): each is
    within one minor unit of its exact value when all have one sign."""
    if not exact:
        return ()
    places = minor_unit(currency)
    if all(x >= 0 for x in exact) or all(x <= 0 for x in exact):
        sign = -1 if total < 0 or any(x < 0 for x in exact) else 1
        # proportional weights as whole numbers: the exact values over a common denominator
        common = math.lcm(*(x.denominator for x in exact))
        weights = [Decimal(int(abs(x) * common)).scaleb(-places) for x in exact]
        shares = allocate([abs(total)], weights, [len(exact)], [places])
        return tuple(sign * s for s in shares)
    # mixed signs (the rate crossed zero in the period): largest remainder on the exact values
    unit = Fraction(1, 10 ** places)
    floors = [math.floor(x / unit) for x in exact]
    short = int(total.scaleb(places)) - sum(floors)  # 0 <= short < len(exact): total >= floor(sum) >= sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] / unit - floors[i]), i))
    bumped = set(order[:short])
    return tuple(Decimal(f + (i in bumped)).scaleb(-places) for i, f in enumerate(floors))


def late_interest(due_date: dt.date, as_of: dt.date, gross: Decimal,
                  reductions: Sequence[tuple[dt.date, Decimal]] = (), *, disputed: Decimal = ZERO,
                  rates: RateTimeline, margin: Decimal, day_count: str = "act/365", currency: str = "EUR",
                  rounding: str = DEFAULT_ROUNDING) -> LateInterest:
    """The late-payment interest on an item of `gross` due on `due_date`, as of `as_of`.

    `reductions` are `(date, amount)` pairs (payments by value date, credit notes by issue
    date), each lowering the base from its date on; `disputed` is the open disputed amount,
    kept out of the base on every day. Rates from `rates` plus `margin` (fractions)."""
    year_days(day_count)
    rounding_mode(rounding)
    minor_unit(currency)
    if disputed < 0:
        raise InterestError(f"a disputed amount cannot be negative ({disputed})")
    segments: list[Segment] = []
    start = due_date + ONE_DAY
    if as_of >= start:
        cuts = sorted({d for d, _ in reductions if start < d <= as_of})
        for lo, hi in zip([start, *cuts], [*(c - ONE_DAY for c in cuts), as_of]):
            base = max(ZERO, gross - sum((a for d, a in reductions if d <= lo), ZERO) - disputed)
            if base > 0:
                segments.extend(_by_rate(lo, hi, base, rates, margin, day_count))
    segments = _merged(segments, day_count)
    exact = sum((s.interest for s in segments), Fraction(0))
    total = round_exact(exact, currency, rounding)
    return LateInterest(due_date, as_of, currency, day_count, rounding, tuple(segments), exact, total,
                        shown_amounts([s.interest for s in segments], total, currency))


def _by_rate(lo: dt.date, hi: dt.date, base: Decimal, rates: RateTimeline, margin: Decimal,
             day_count: str) -> list[Segment]:
    out = []
    cuts = rates.changes(lo, hi)
    for a, b in zip([lo, *cuts], [*(c - ONE_DAY for c in cuts), hi]):
        reference = rates.rate_on(a)
        days = (b - a).days + 1
        out.append(Segment(a, b, days, base, reference, margin, reference + margin,
                           segment_interest(base, reference + margin, days, day_count)))
    return out


def _merged(segments: list[Segment], day_count: str) -> list[Segment]:
    """Adjacent segments at the same base and rate are one (a rate row repeating the rate)."""
    out: list[Segment] = []
    for s in segments:
        p = out[-1] if out else None
        if p and p.end + ONE_DAY == s.start and (p.base, p.reference_rate) == (s.base, s.reference_rate):
            days = p.days + s.days
            out[-1] = p._replace(end=s.end, days=days,
                                 interest=segment_interest(p.base, p.annual_rate, days, day_count))
        else:
            out.append(s)
    return out
