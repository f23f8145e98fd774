"""Worksheet functions for collections: the late-payment interest on an overdue amount and
the dunning level of a number of days past due (the rules of `billing.collections`)."""

from __future__ import annotations

import math
from decimal import Decimal

import xlwings as xw

from billing.collections.interest import DAY_COUNTS, RateTimeline, late_interest
from billing.collections.policy import PolicyError, level_of, parse_days
from billing.collections.reference_rates import ECB_REFERENCE_RATES
from billing.money import is_currency
from udfs.convert import UdfError, day, excel_error, number, text, udf

#: The contract's defaults (Settings `interest_margin`, `dunning_levels`).
DEFAULT_MARGIN = Decimal("0.08")
DEFAULT_LEVELS = (14, 28, 42)


def rate_table(values: object) -> RateTimeline:
    """The InterestRates range (valid_from, rate; a header row is allowed) as a timeline;
    blank: the ECB rates xlbilling ships."""
    if values is None or values == "":
        return RateTimeline.of(ECB_REFERENCE_RATES)
    if not isinstance(values, (list, tuple)) or not values or not isinstance(values[0], (list, tuple)):
        raise UdfError("rates must be a range of two columns: valid_from, rate")
    if any(len(row) < 2 for row in values):
        raise UdfError("rates must be a range of two columns: valid_from, rate")
    rows = []
    for n, row in enumerate(values, 1):
        first, rate = row[0], row[1]
        if n == 1 and isinstance(first, str) and first.strip().lower().replace(" ", "_") == "valid_from":
            continue  # the header
        if all(v is None or v == "" for v in row[:2]):
            continue
        try:
            for name, value in (("valid_from", first), ("rate", rate)):
                if excel_error(value):
                    raise UdfError(f"{name} holds {excel_error(value)}")
            when, fraction = day(first, "valid_from"), number(rate, "rate")
        except UdfError as exc:
            raise UdfError(f"rates row {n}: {exc}") from None
        if not -1 < fraction < 1:
            raise UdfError(f"rates row {n}: rate {rate} must be a fraction (4.5 % is 0.045)")
        rows.append((when, fraction))
    if not rows:
        raise UdfError("rates has no rows")
    return RateTimeline.of(rows)


@xw.func
@xw.arg("amount", doc="The overdue amount (open, less any disputed part).")
@xw.arg("due", doc="The due date: interest runs from the day after it.")
@xw.arg("as_of", doc="The last day interest is charged for.")
@xw.arg("margin", doc="Percentage points over the reference rate, as a fraction (default 0.08; DE B2B: 0.09).")
@xw.arg("rates", doc="The InterestRates table: valid_from, rate (default: the ECB rates xlbilling ships).")
@xw.arg("day_count", doc="act/365 (the default) or act/360.")
@xw.arg("currency_code", doc="ISO 4217 code (default EUR).")
@udf(tables=("rates",))
def XLB_LATE_INTEREST(amount, due, as_of, margin=None, rates=None, day_count=None, currency_code=None):
    """Late-payment interest on an amount from the day after due through as_of: per day at
    the reference rate of that day plus margin, day count act/365, rounded once to the cent.
    For payments during the period and the periods themselves use xlbilling remind."""
    value, start, end = number(amount, "amount"), day(due, "due"), day(as_of, "as_of")
    if value < 0:
        raise UdfError("amount must not be negative")
    points = DEFAULT_MARGIN if margin is None or margin == "" else number(margin, "margin")
    if not 0 <= points < 1:
        raise UdfError(f"margin {margin} must be a fraction between 0 and 1 (9 percentage points is 0.09)")
    count = text(day_count, "day_count", "act/365").lower()
    if count not in DAY_COUNTS:
        raise UdfError(f"day_count must be {' or '.join(DAY_COUNTS)}, not {count!r}")
    code = text(currency_code, "currency_code", "EUR").upper()
    if not is_currency(code):
        raise UdfError(f"unknown currency code {code!r}")
    return late_interest(start, end, value, rates=rate_table(rates), margin=points, day_count=count,
                         currency=code).total


@xw.func
@xw.arg("days_past_due", doc="Days since the due date.")
@xw.arg("levels", doc="Days past due at which each level starts: text like 14,28,42 (the default, as Settings "
        "dunning_levels) or a row or column of cells.")
@xw.arg("grace_days", doc="Days after the due date before level 1 can start (default 0, as Settings "
        "dunning_grace_days).")
@udf(tables=("levels",))
def XLB_DUNNING_LEVEL(days_past_due, levels=None, grace_days=None):
    """The reminder level of an item so many days past due: 0 within the grace days and before
    the first level's day, then 1, 2, 3 … (with 14,28,42: day 14 is level 1, day 28 level 2,
    day 42 on level 3), as the Dunning sheet and xlbilling remind count it."""
    days = number(days_past_due, "days_past_due")
    if days != days.to_integral_value():
        raise UdfError(f"days_past_due must be a whole number, not {days_past_due}")
    grace = Decimal(0) if grace_days is None or grace_days == "" else number(grace_days, "grace_days")
    if grace < 0 or grace != grace.to_integral_value():
        raise UdfError(f"grace_days must be a whole number of days ≥ 0, not {grace_days}")
    try:
        bounds = level_bounds(levels)
    except PolicyError as exc:
        raise UdfError(str(exc)) from None
    return level_of(int(days), bounds, int(grace))


def level_bounds(levels: object) -> tuple[int, ...]:
    """The level bounds from text ("14,28,42"), one number, or a row or column of cells
    (blanks skipped); blank: the contract's default."""
    if levels is None or levels == "":
        return DEFAULT_LEVELS
    if not isinstance(levels, (list, tuple)):
        return parse_days(levels, "levels")
    rows = [row if isinstance(row, (list, tuple)) else [row] for row in levels]
    if len(rows) > 1 and any(len(row) > 1 for row in rows):
        raise UdfError("levels must be one row or one column of cells")
    cells = [v for row in rows for v in row if v is not None and v != ""]
    if any(excel_error(v) for v in cells):
        raise UdfError(f"levels holds {next(excel_error(v) for v in cells if excel_error(v))}")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v != int(v)
           for v in cells):
        raise PolicyError(f"levels must be rising whole numbers of days like 14,28,42, not {cells!r}")
    return parse_days(",".join(str(int(v)) for v in cells), "levels")
