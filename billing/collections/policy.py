"""The dunning policy: when each reminder level starts, what it charges, and what stops it.

* **Level** of an item `d` days past its due date: none (0) while `d` ≤ `grace_days`; after
  that, the number of `levels` bounds ≤ `d` (`14,28,42`: day 14 is level 1, day 28 level 2,
  day 42 and later level 3). The level is what the days say: a customer first reminded at
  50 days gets level 3 at once. Grace only holds the letters back; interest still runs from
  the day after the due date.
* **Fee** of a level: `fees[level - 1]`; fewer fees than levels → the last fee repeats; no
  fees, or level 0 → 0. Fees are in `currency` (the workbook's base currency).
* **Interest** and the **compensation** are charged only on letters of a level in
  `interest_levels`, at the reference rate + `margin`, day count `day_count`.
* A letter needs at least `min_amount` due and `min_days` since the last reminder to the
  same customer and currency.

>>> p = DunningPolicy(levels=(14, 28, 42), fees=(Decimal(0), Decimal(5)))
>>> [p.level_of(d) for d in (-3, 0, 13, 14, 27, 28, 42, 400)], [str(p.fee_of(n)) for n in (0, 1, 2, 3)]
([0, 0, 0, 1, 1, 2, 3, 3], ['0', '0', '5', '5'])
>>> DunningPolicy(grace_days=20).level_of(14), DunningPolicy(grace_days=20).level_of(21)
(0, 1)
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from decimal import Decimal
from typing import Sequence

from billing.collections.interest import DAY_COUNTS
from billing.money import DEFAULT_ROUNDING, ROUNDING_MODES, is_currency
from billing.settings import Settings


class PolicyError(ValueError):
    """A dunning policy that does not make sense (falling levels, a negative fee, …)."""


@dataclasses.dataclass(frozen=True)
class DunningPolicy:
    levels: tuple[int, ...] = (14, 28, 42)
    fees: tuple[Decimal, ...] = ()  # none: every level is free
    interest_levels: frozenset[int] = frozenset({2, 3})
    margin: Decimal = Decimal("0.08")
    compensation: Decimal = Decimal(40)
    min_amount: Decimal = Decimal(0)
    min_days: int = 7
    grace_days: int = 0
    day_count: str = "act/365"
    rounding: str = DEFAULT_ROUNDING
    currency: str = "EUR"  # fees, compensation and min_amount are amounts in this currency

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "fees", tuple(self.fees))
        object.__setattr__(self, "interest_levels", frozenset(self.interest_levels))
        if not self.levels or self.levels[0] < 1 or any(b <= a for a, b in zip(self.levels, self.levels[1:])):
            raise PolicyError(f"dunning levels must be rising whole days ≥ 1, not {self.levels}")
        if any(not isinstance(f, Decimal) or f < 0 for f in self.fees):
            raise PolicyError(f"dunning fees must be Decimal amounts ≥ 0, not {self.fees}")
        if len(self.fees) > len(self.levels):
            raise PolicyError(f"{len(self.fees)} fees for {len(self.levels)} dunning levels")
        wrong = sorted(n for n in self.interest_levels if not 1 <= n <= len(self.levels))
        if wrong:
            raise PolicyError(f"interest levels {wrong} are not dunning levels 1–{len(self.levels)}")
        for name in ("margin", "compensation", "min_amount"):
            if not isinstance(getattr(self, name), Decimal):
                raise PolicyError(f"{name} must be a Decimal, not {getattr(self, name)!r}")
        if self.compensation < 0 or self.min_amount < 0:
            raise PolicyError("compensation and min_amount cannot be negative")
        if self.min_days < 0 or self.grace_days < 0:
            raise PolicyError("min_days and grace_days cannot be negative")
        if self.day_count not in DAY_COUNTS:
            raise PolicyError(f"unknown day count {self.day_count!r}; use one of {', '.join(DAY_COUNTS)}")
        if self.rounding not in ROUNDING_MODES:
            raise PolicyError(f"unknown rounding {self.rounding!r}; use one of {', '.join(ROUNDING_MODES)}")
        if not is_currency(self.currency):
            raise PolicyError(f"unknown currency {self.currency!r}")

    def level_of(self, days_past_due: int) -> int:
        """0 within the grace days, else how many level bounds are ≤ days_past_due."""
        return level_of(days_past_due, self.levels, self.grace_days)

    def fee_of(self, level: int) -> Decimal:
        """The fee of a letter at `level` (the last fee repeats; level 0 and no fees → 0)."""
        if level <= 0 or not self.fees:
            return Decimal(0)
        return self.fees[min(level, len(self.fees)) - 1]

    def charges_interest(self, level: int) -> bool:
        return level in self.interest_levels


def level_of(days_past_due: int, levels: Sequence[int], grace_days: int = 0) -> int:
    """The dunning level of an item `days_past_due` days overdue (the rule is the module's).

    >>> [level_of(d, (14, 28, 42)) for d in (0, 13, 14, 41, 42, 99)]
    [0, 0, 1, 2, 3, 3]
    """
    if days_past_due <= grace_days:
        return 0
    return bisect_right(levels, days_past_due)


def parse_days(value: object, name: str = "levels") -> tuple[int, ...]:
    """`"14,28,42"` (or one number) → (14, 28, 42): rising whole days ≥ 1."""
    text = str(int(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value or "")
    try:
        days = tuple(int(p) for p in text.split(",")) if text.strip() else ()
    except ValueError:
        days = ()
    if not days or days[0] < 1 or any(b <= a for a, b in zip(days, days[1:])):
        raise PolicyError(f"{name} must be rising whole numbers of days like 14,28,42, not {value!r}")
    return days


def policy_of(settings: Settings) -> DunningPolicy:
    """The workbook's dunning policy from its validated Settings.

    Fees beyond the last level and interest levels that are not levels are left out (the
    Settings' validation warns of both at their cell: `unused_fee`, `unknown_level`).
    """
    levels = settings.dunning_levels
    return DunningPolicy(
        levels=levels,
        fees=settings.dunning_fees[:len(levels)],
        interest_levels=frozenset(n for n in settings.dunning_interest_levels if 1 <= n <= len(levels)),
        margin=settings.interest_margin,
        compensation=settings.late_payment_compensation,
        min_amount=settings.dunning_min_amount,
        min_days=settings.dunning_min_days,
        grace_days=settings.dunning_grace_days,
        day_count=settings.interest_day_count,
        rounding=settings.rounding,
        currency=settings.base_currency,
    )
