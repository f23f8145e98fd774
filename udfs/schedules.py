"""Worksheet functions for billing schedules: the prorated amount of a partial period and
the next billing date (the rules of `billing.schedules`)."""

from __future__ import annotations

import calendar
from fractions import Fraction

import xlwings as xw

from billing.contract import MAX_PERIOD_MONTHS
from billing.money import is_currency
from billing.schedules.periods import anchor_date, month_number, next_billing_date
from billing.schedules.proration import PRORATION_RULES, prorate, round_money
from billing.schedules.records import ScheduleValueError, parse_period
from udfs.convert import UdfError, day, number, text, udf


def _whole(value, name: str, low: int, high: int, what: str) -> int:
    """A whole number from `low` to `high` (a cell holds 3 as 3.0), else a readable error."""
    whole = number(value, name)
    if whole != whole.to_integral_value() or not low <= whole <= high:
        raise UdfError(f"{name} must be {what} from {low} to {high}, not {value}")
    return int(whole)


def _months_of(period_start, period_end) -> tuple[int, int]:
    """(months, anchor day) of a full period from one anchor date to the day before the
    next: the anchor is the start's day (a month's last day also tried as the 31st)."""
    anchors = [period_start.day]
    if period_start.day == calendar.monthrange(period_start.year, period_start.month)[1]:
        anchors.append(31)
    first = month_number(period_start)
    for anchor in anchors:
        for months in range(1, MAX_PERIOD_MONTHS + 1):
            boundary = anchor_date(first + months, anchor)
            if boundary.toordinal() - 1 == period_end.toordinal():
                return months, anchor
            if boundary.toordinal() - 1 > period_end.toordinal():
                break
    raise UdfError(f"{period_start} – {period_end} is not a whole number of months (use rule days)")


@xw.func
@xw.arg("amount", doc="The price of the full period.")
@xw.arg("period_start", doc="The first day of the full billing period.")
@xw.arg("period_end", doc="The last day of the full billing period.")
@xw.arg("from_date", doc="The first day billed (within the period).")
@xw.arg("to_date", doc="The last day billed (within the period).")
@xw.arg("rule", doc="days (the default): covered days / period days; months: whole months plus a partial "
        "month's days / its days, over the months of the period; none: the full amount.")
@xw.arg("currency_code", doc="ISO 4217 code (default EUR): the result is rounded to its minor unit.")
@udf
def XLB_PRORATE(amount, period_start, period_end, from_date, to_date, rule=None, currency_code=None):
    """The amount for from_date–to_date of a billing period priced amount, prorated by days
    (17 of 31 days: amount × 17/31) or by months, rounded once half up to the cent, as
    xlbilling bill prorates a contract line's first or last period."""
    value = number(amount, "amount")
    start, end = day(period_start, "period_start"), day(period_end, "period_end")
    first, last = day(from_date, "from_date"), day(to_date, "to_date")
    how = text(rule, "rule", "days").lower()
    if how not in PRORATION_RULES:
        raise UdfError(f"rule must be {', '.join(PRORATION_RULES)}, not {how!r}")
    code = text(currency_code, "currency_code", "EUR").upper()
    if not is_currency(code):
        raise UdfError(f"unknown currency code {code!r}")
    if end < start:
        raise UdfError(f"period_end {end} is before period_start {start}")
    if not start <= first <= last <= end:
        raise UdfError(f"{first} – {last} must lie within the period {start} – {end}")
    months, anchor = _months_of(start, end) if how == "months" else (1, start.day)
    fraction = prorate(first, last, start, end, how, months=months, anchor_day=anchor).fraction
    return round_money(Fraction(value) * fraction, code, "half_up")


@xw.func
@xw.arg("start", doc="The contract line's start date.")
@xw.arg("period", doc="monthly, quarterly, half_yearly, yearly, every_<n>_months, or a number of months.")
@xw.arg("anchor", doc="The billing day, 1–31 (clamped to the month's end: 31 is 28 February); blank: "
        "the start date's day.")
@xw.arg("as_of", doc="The day to look from.")
@udf
def XLB_NEXT_BILLING_DATE(start, period, anchor, as_of):
    """The first day on or after as_of on which a billing period starts (the day an
    in-advance line is billed for): periods start on start, then on the anchor day every
    period months (a stub first when the anchor is not the start's day)."""
    begin, when = day(start, "start"), day(as_of, "as_of")
    if isinstance(period, (int, float)) and not isinstance(period, bool):
        months = _whole(period, "period", 1, MAX_PERIOD_MONTHS, "a whole number of months")
    else:
        try:
            months = parse_period(text(period, "period"))
        except ScheduleValueError as exc:
            raise UdfError(str(exc)) from None
    anchor_day = None if anchor is None or anchor == "" else _whole(anchor, "anchor", 1, 31, "a day of the month")
    return next_billing_date(begin, months, anchor_day, when)
