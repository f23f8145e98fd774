"""The unit price of a period, and the amount of metered usage.

* **Yearly steps** (`price_change` `N%`): on each anniversary of the start date the unit
  price rises by N % of the price before it (compounded), rounded to the currency's minor
  unit with the workbook's rounding at each step. A period is priced on its START date, so
  the price of a period that begins before an anniversary holds for the whole period. The
  anniversary of a 29 February start is 28 February in a common year.
* **Index clause** (`index:<name>`): unit price × value(name, the period start's month) /
  value(name, the start date's month — the base month), rounded once to the minor unit.
  A value missing from PriceIndex is a `MissingIndex` value naming index and month, never
  a guess (no interpolation, no last known value).
* **Tiers** (PriceTiers, rows from `from_quantity` ascending, the first 0): a tier holds
  the units above its `from_quantity` up to the next tier's. `volume` — the whole quantity
  at the price of the highest tier whose from_quantity it reaches (quantity ≥ from);
  `graduated` — each tier's units at that tier's price. Exact (no rounding here).

>>> D = dt.date
>>> stepped_price(Decimal("100.00"), Decimal("3"), D(2024, 2, 29), D(2027, 2, 28), "EUR", "half_up")
Decimal('109.27')
>>> tiers = [Tier("C", Decimal(0), Decimal("0.10")), Tier("C", Decimal(1000), Decimal("0.08"))]
>>> tiered_amount(Decimal(1500), tiers, "graduated")
Tiered(amount=Decimal('140.00'), rule='graduated: 1000 × 0.10 + 500 × 0.08', unit_price=None)
>>> tiered_amount(Decimal(1500), tiers, "volume")
Tiered(amount=Decimal('120.00'), rule='volume: 1500 × 0.08 (tier from 1000)', unit_price=Decimal('0.08'))
"""

from __future__ import annotations

import calendar
from functools import lru_cache
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple, Optional, Sequence, Union

from billing.schedules.proration import round_money
from billing.schedules.records import ContractLine, IndexValues, Tier


class MissingIndex(NamedTuple):
    """An index value the PriceIndex sheet lacks: index `index`, month starting `month`."""

    index: str
    month: dt.date

    @property
    def message(self) -> str:
        return f"PriceIndex has no value of index {self.index} for {self.month:%Y-%m}"


class TierError(ValueError):
    """Tiers that cannot price a quantity (none, or the first not from 0)."""


def anniversary(start: dt.date, years: int) -> dt.date:
    """The `years`-th anniversary of `start` (29 February → 28 February in a common year)."""
    year = start.year + years
    return dt.date(year, start.month, min(start.day, calendar.monthrange(year, start.month)[1]))


def anniversaries(start: dt.date, on: dt.date) -> int:
    """How many anniversaries of `start` fall on or before `on` (0 before the first)."""
    years = on.year - start.year
    if years > 0 and anniversary(start, years) > on:
        years -= 1
    return max(0, years)


def stepped_price(unit_price: Decimal, percent: Decimal, start: dt.date, on: dt.date, currency: str,
                  rounding: str) -> Decimal:
    """The unit price on `on` after a yearly rise of `percent` % on each anniversary."""
    price = unit_price
    for _ in range(anniversaries(start, on)):
        price = _step(price, percent, currency, rounding)
    return price


@lru_cache(maxsize=65536)
def _step(price: Decimal, percent: Decimal, currency: str, rounding: str) -> Decimal:
    """One yearly step (cached: a line's periods of a year step the same prices)."""
    return round_money(Fraction(price) * (1 + Fraction(percent) / 100), currency, rounding)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def indexed_price(unit_price: Decimal, name: str, start: dt.date, on: dt.date, index: IndexValues,
                  currency: str, rounding: str) -> Union[Decimal, MissingIndex]:
    """unit price × index(`on`'s month) / index(`start`'s month), rounded to the minor unit."""
    base_month, month = month_start(start), month_start(on)
    base, now = index.get((name, base_month)), index.get((name, month))
    if base is None or base == 0:
        return MissingIndex(name, base_month)
    if now is None:
        return MissingIndex(name, month)
    return round_money(Fraction(unit_price) * Fraction(now) / Fraction(base), currency, rounding)


def unit_price_on(line: ContractLine, on: dt.date, index: IndexValues, rounding: str) -> Union[Decimal, MissingIndex]:
    """The line's unit price for a period starting on `on`, under its price change rule."""
    if line.price_change is None:
        return line.unit_price
    kind, value = line.price_change
    if kind == "percent":
        return stepped_price(line.unit_price, value, line.start_date, on, line.currency, rounding)
    return indexed_price(line.unit_price, value, line.start_date, on, index, line.currency, rounding)


class Tiered(NamedTuple):
    amount: Decimal
    rule: str
    unit_price: Optional[Decimal] = None  # volume: the price of the tier reached


def _sorted(tiers: Sequence[Tier]) -> list[Tier]:
    ordered = sorted(tiers, key=lambda t: t.from_quantity)
    if not ordered:
        raise TierError("no PriceTiers rows for a line priced by tiers")
    if ordered[0].from_quantity != 0:
        raise TierError(f"the first tier must start from 0, not {ordered[0].from_quantity}")
    if len({t.from_quantity for t in ordered}) != len(ordered):
        raise TierError("two tiers start from the same quantity")
    return ordered


def tiered_amount(quantity: Decimal, tiers: Sequence[Tier], pricing: str) -> Tiered:
    """The exact amount of `quantity` units under `tiers`, `volume` or `graduated`."""
    ordered = _sorted(tiers)
    if pricing == "volume":
        tier = [t for t in ordered if quantity >= t.from_quantity][-1] if quantity >= 0 else ordered[0]
        note = f" (tier from {tier.from_quantity})" if tier.from_quantity else ""
        return Tiered(quantity * tier.unit_price, f"volume: {quantity} × {tier.unit_price}{note}", tier.unit_price)
    if pricing != "graduated":
        raise TierError(f"usage_pricing {pricing!r} is not volume or graduated")
    amount, parts = Decimal(0), []
    for tier, following in zip(ordered, ordered[1:] + [None]):
        upper = quantity if following is None else min(quantity, following.from_quantity)
        units = upper - tier.from_quantity
        if units <= 0:
            break
        amount += units * tier.unit_price
        parts.append(f"{units} × {tier.unit_price}")
    return Tiered(amount, "graduated: " + (" + ".join(parts) or "0"))
