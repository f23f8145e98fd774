"""Time in the sample: its window before `as_of`, business days, payment terms and due dates.

Invoices are issued on German office days over about three months before `as_of`; the
most recent ones are not numbered yet; payments carry value dates on TARGET2 bank days.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from billing.settings import SETTING_DEFAULTS
from billing.invoicing.terms import Terms, parse_terms

#: The `as_of` date used when none is given, fixed so that sample data is reproducible.
DEFAULT_AS_OF = date(2026, 10, 31)
#: invoices are issued over about three months before as_of
HISTORY_DAYS = 92
#: issued invoices this recent are not numbered yet
UNNUMBERED_DAYS = 3
#: the terms of an invoice whose customer has none either
DEFAULT_TERMS = SETTING_DEFAULTS["default_terms"][0]


class SampleCalendar:
    """Business days: issue dates skip German holidays, value dates TARGET2 closing days."""

    def __init__(self, start: date, end: date):
        years = list(range(start.year, end.year + 2))
        self._office = holidays.country_holidays("DE", years=years)
        self._bank = holidays.financial_holidays("XECB", years=years)

    def issue_days(self, start: date, end: date) -> list[date]:
        """The German office days from `start` to `end`, both included."""
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        return [d for d in days if d.weekday() < 5 and d not in self._office]

    def value_day(self, day: date) -> date:
        """The first bank business day on or after `day`."""
        while day.weekday() >= 5 or day in self._bank:
            day += timedelta(days=1)
        return day


@lru_cache(maxsize=None)
def terms_of(code: str) -> Terms:
    """The parsed terms of a code, parsed once per code."""
    return parse_terms(code)
