"""Payment terms codes: `NET<n>`, `NET<n>BD`, `EOM<n>`, `<p>/<d> NET<n>` and `DUE`.

A code becomes `Terms`; `due_date`, `discount_date` and `early_payment_amount` are pure
functions of the terms, `datetime.date` values and exact `Decimal` amounts (never a float).
Business days (`NET<n>BD`, and rolling a due date off a weekend or holiday) need a
`BusinessCalendar`: Monday to Friday minus the country's public holidays (`holidays`).

>>> parse_terms("2/10 NET30")
Terms(code='2/10 NET30', basis='net', days=30, discount_pct=Decimal('0.02'), discount_days=10)
>>> parse_terms("eom30").basis, parse_terms("DUE").days
('eom', 0)
>>> parse_terms("net 10 bd")
Terms(code='NET10BD', basis='bd', days=10, discount_pct=None, discount_days=None)
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from billing.money import quantize

_NET = re.compile(r"^NET\s*(\d{1,4})$")
_NET_BD = re.compile(r"^NET\s*(\d{1,4})\s*BD$")
_EOM = re.compile(r"^EOM\s*(\d{1,4})$")
_DISCOUNT = re.compile(r"^(\d{1,2}(?:\.\d{1,2})?)\s*/\s*(\d{1,4})\s+NET\s*(\d{1,4})$")

#: the Settings key that names the country whose public holidays are not business days
COUNTRY_SETTING = "business_days_country"


class Terms(NamedTuple):
    code: str  # canonical spelling
    # "net": calendar days after issue, "bd": business days after issue,
    # "eom": calendar days after the last day of the issue month
    basis: str
    days: int
    discount_pct: Decimal | None = None  # early-payment discount as a fraction (2 % → 0.02)
    discount_days: int | None = None


class TermsError(ValueError):
    pass


@lru_cache(maxsize=1024)  # a workbook uses a handful of codes, each parsed once
def parse_terms(code: str) -> Terms:
    """The terms a code stands for; `TermsError` with a readable reason otherwise."""
    text = " ".join(str(code).split()).upper()
    if text == "DUE":
        return Terms("DUE", "net", 0)
    if m := _NET.match(text):
        return Terms(f"NET{int(m[1])}", "net", int(m[1]))
    if m := _NET_BD.match(text):
        return Terms(f"NET{int(m[1])}BD", "bd", int(m[1]))
    if m := _EOM.match(text):
        return Terms(f"EOM{int(m[1])}", "eom", int(m[1]))
    if m := _DISCOUNT.match(text):
        pct, discount_days, days = Decimal(m[1]), int(m[2]), int(m[3])
        if not 0 < pct < 100:
            raise TermsError(f"early-payment discount {m[1]}% in {code!r} must be between 0 and 100")
        if discount_days > days:
            raise TermsError(f"discount period {discount_days} days in {code!r} is longer than the {days} days net")
        return Terms(f"{m[1]}/{discount_days} NET{days}", "net", days, pct / 100, discount_days)
    raise TermsError(f"unknown payment terms {code!r} (use NET30, NET10BD, EOM30, 2/10 NET30 or DUE)")


@lru_cache(maxsize=None)
def _holidays(country: str, subdiv: str | None, year: int) -> frozenset[dt.date]:
    """The public holidays of one country (and subdivision) in one year, built once."""
    import holidays  # its country tables load only when business-day terms are used

    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


@dataclass(frozen=True)
class BusinessCalendar:
    """Business days: Monday to Friday except the public holidays of `country`.

    `country` is an ISO 3166-1 alpha-2 code as `holidays` knows it; `subdiv` optionally
    adds a region's holidays (e.g. `BY` for Bavaria). Holidays are cached per year.

    >>> de = BusinessCalendar("DE")
    >>> de.is_business_day(dt.date(2026, 12, 25)), de.is_business_day(dt.date(2026, 12, 28))
    (False, True)
    >>> de.add_business_days(dt.date(2026, 12, 24), 2)
    datetime.date(2026, 12, 29)
    """

    country: str
    subdiv: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", str(self.country).strip().upper())
        try:
            _holidays(self.country, self.subdiv, 2000)
        except NotImplementedError as exc:
            raise TermsError(f"no public holidays known for {self.country!r}: {exc}") from None

    def is_business_day(self, d: dt.date) -> bool:
        """True for a weekday that is not a public holiday."""
        return d.weekday() < 5 and d not in _holidays(self.country, self.subdiv, d.year)

    def next_business_day(self, d: dt.date) -> dt.date:
        """`d` itself when it is a business day, else the first business day after it."""
        while not self.is_business_day(d):
            d += dt.timedelta(days=1)
        return d

    def add_business_days(self, d: dt.date, n: int) -> dt.date:
        """The n-th business day after `d` (before it for negative n; `d` itself for 0).

        `d` need not be a business day: one business day after a Saturday is the Monday.
        """
        step = dt.timedelta(days=1 if n >= 0 else -1)
        for _ in range(abs(n)):
            d += step
            while not self.is_business_day(d):
                d += step
        return d


def _check_date(name: str, value: object) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__}")
    return value


def month_end(d: dt.date) -> dt.date:
    """The last day of `d`'s month.

    >>> month_end(dt.date(2028, 2, 10)), month_end(dt.date(2026, 2, 10))
    (datetime.date(2028, 2, 29), datetime.date(2026, 2, 28))
    """
    return d.replace(day=_calendar.monthrange(d.year, d.month)[1])


def due_date(
    issue: dt.date, terms: Terms, calendar: BusinessCalendar | None = None, *, roll: bool = False
) -> dt.date:
    """The day the invoice is due.

    `NET<n>` and `<p>/<d> NET<n>`: issue + n days; `EOM<n>`: n days after the last day of
    the issue month (`EOM0` is the month end); `DUE`: the issue date; `NET<n>BD`: the n-th
    business day after issue in `calendar` (required). With `roll=True` a calendar-day due
    date on a weekend or holiday moves to the next business day of `calendar` (required).

    >>> due_date(dt.date(2026, 1, 15), parse_terms("EOM30"))
    datetime.date(2026, 3, 2)
    >>> due_date(dt.date(2028, 2, 29), parse_terms("NET30"))
    datetime.date(2028, 3, 30)
    >>> due_date(dt.date(2026, 11, 25), parse_terms("NET30"), BusinessCalendar("DE"), roll=True)
    datetime.date(2026, 12, 28)
    >>> due_date(dt.date(2026, 12, 23), parse_terms("NET3BD"), BusinessCalendar("DE"))
    datetime.date(2026, 12, 29)
    >>> due_date(dt.date(2026, 12, 23), parse_terms("NET3BD"))
    Traceback (most recent call last):
    ...
    billing.invoicing.terms.TermsError: NET3BD needs the Settings key business_days_country
    """
    issue = _check_date("issue", issue)
    if terms.basis == "bd":
        if calendar is None:
            raise TermsError(f"{terms.code} needs the Settings key {COUNTRY_SETTING}")
        return calendar.add_business_days(issue, terms.days)
    start = month_end(issue) if terms.basis == "eom" else issue
    due = start + dt.timedelta(days=terms.days)
    if roll:
        if calendar is None:
            raise TermsError(f"rolling due dates to a business day needs the Settings key {COUNTRY_SETTING}")
        due = calendar.next_business_day(due)
    return due


def discount_date(issue: dt.date, terms: Terms) -> dt.date | None:
    """The last day the early-payment discount applies (issue + d), or None without one.

    >>> discount_date(dt.date(2026, 3, 1), parse_terms("2/10 NET30"))
    datetime.date(2026, 3, 11)
    >>> print(discount_date(dt.date(2026, 3, 1), parse_terms("NET30")))
    None
    """
    issue = _check_date("issue", issue)
    if terms.discount_pct is None or terms.discount_days is None:
        return None
    return issue + dt.timedelta(days=terms.discount_days)


def early_payment_amount(
    gross: Decimal,
    terms: Terms,
    issue: dt.date,
    pay_date: dt.date,
    currency: str,
    rounding: str = "half_up",
) -> Decimal:
    """The amount that settles the invoice when paid on `pay_date`.

    Within the discount period (`pay_date` ≤ `discount_date`, inclusive) this is
    `quantize(gross × (1 − p))`: the discount is taken on the total including tax (as
    Odoo's default "included" computation does) and the payable amount is rounded once,
    to the currency's minor unit with the named rounding. The alternative
    `gross − quantize(gross × p)` rounds the discount instead; the two differ by one minor
    unit exactly when `gross × p` ends on a half minor unit (e.g. 1.25 at 2 %: 1.23 vs 1.22
    with half_up). Rounding the amount the customer pays keeps it within half a minor unit
    of the exact `gross × (1 − p)`, which is what a payment is matched against. Outside
    the period, or for terms without a discount, it is `gross` unchanged.

    >>> terms = parse_terms("2/10 NET30")
    >>> early_payment_amount(Decimal("1190.00"), terms, dt.date(2026, 3, 1), dt.date(2026, 3, 11), "EUR")
    Decimal('1166.20')
    >>> early_payment_amount(Decimal("1190.00"), terms, dt.date(2026, 3, 1), dt.date(2026, 3, 12), "EUR")
    Decimal('1190.00')
    """
    if not isinstance(gross, Decimal):
        raise TypeError(f"gross must be a Decimal, not {type(gross).__name__}")
    limit = discount_date(issue, terms)
    if limit is None or _check_date("pay_date", pay_date) > limit:
        return gross
    return quantize(gross * (1 - terms.discount_pct), currency, rounding)  # type: ignore[operator]
