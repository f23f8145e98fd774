"""Worksheet functions for terms and ages: due date, discount date, early-payment amount,
days past due and the aging bucket."""

from __future__ import annotations

import xlwings as xw

from billing.receivables.aging import bucket_of
from billing.money import quantize
from billing.invoicing.terms import discount_date, due_date, early_payment_amount, parse_terms
from udfs.convert import UdfError, day, number, text, udf

_TERMS_DOC = "Payment terms code: NET30, EOM30, 2/10 NET30, DUE (NET<n>BD needs a calendar: use the CLI)."


@xw.func
@xw.arg("issue_date", doc="The invoice's issue date.")
@xw.arg("terms", doc=_TERMS_DOC)
@udf
def XLB_DUE_DATE(issue_date, terms):
    """The day an invoice is due under its payment terms."""
    return due_date(day(issue_date, "issue_date"), parse_terms(text(terms, "terms")))


@xw.func
@xw.arg("issue_date", doc="The invoice's issue date.")
@xw.arg("terms", doc=_TERMS_DOC)
@udf
def XLB_DISCOUNT_DATE(issue_date, terms):
    """The last day the early-payment discount applies (empty for terms without one)."""
    return discount_date(day(issue_date, "issue_date"), parse_terms(text(terms, "terms")))


@xw.func
@xw.arg("gross", doc="The invoice's gross amount.")
@xw.arg("terms", doc=_TERMS_DOC)
@xw.arg("issue_date", doc="The invoice's issue date.")
@xw.arg("pay_date", doc="The day the payment is made.")
@xw.arg("currency_code", doc="ISO 4217 code (default EUR).")
@udf
def XLB_EARLY_PAY_AMOUNT(gross, terms, issue_date, pay_date, currency_code=None):
    """What settles the invoice when paid on pay_date: gross less the early-payment
    discount within the discount period, else gross."""
    cur = text(currency_code, "currency_code", "EUR").upper()
    return early_payment_amount(quantize(number(gross, "gross"), cur), parse_terms(text(terms, "terms")),
                                day(issue_date, "issue_date"), day(pay_date, "pay_date"), cur)


@xw.func
@xw.arg("due_date", doc="The due date (or the issue date, to age by issue date).")
@xw.arg("as_of", doc="The date to age as of.")
@udf
def XLB_DAYS_PAST_DUE(due_date, as_of):
    """Days from the due date to as_of (negative: not due yet)."""
    return (day(as_of, "as_of") - day(due_date, "due_date")).days


def parse_buckets(value: object) -> tuple[int, ...]:
    """`30,60,90` (text, or a single number) → (30, 60, 90), rising and positive."""
    if value is None or value == "":
        return (30, 60, 90)
    parts = [p.strip() for p in (str(int(value)) if isinstance(value, float) else str(value)).split(",")]
    try:
        bounds = tuple(int(p) for p in parts)
    except ValueError:
        raise UdfError(f"buckets must be rising whole numbers like 30,60,90, not {value!r}") from None
    if not bounds or bounds[0] < 1 or any(b <= a for a, b in zip(bounds, bounds[1:])):
        raise UdfError(f"buckets must be rising whole numbers like 30,60,90, not {value!r}")
    return bounds


@xw.func
@xw.arg("due_date", doc="The due date.")
@xw.arg("as_of", doc="The date to age as of.")
@xw.arg("buckets", doc="Upper bounds of the buckets in days, e.g. 30,60,90 (the default).")
@udf
def XLB_AGING_BUCKET(due_date, as_of, buckets=None):
    """The aging bucket of an item: not_due, 1-30, 31-60, 61-90 or 90+ (for 30,60,90)."""
    return bucket_of((day(as_of, "as_of") - day(due_date, "due_date")).days, parse_buckets(buckets))
