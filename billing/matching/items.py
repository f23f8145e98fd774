"""The two sides of matching: open items (what customers owe) and payments (what came in).

Both are small mutable working records: matching takes amounts off them as it allocates.
An open item is an issued, numbered invoice; its open amount is its gross less what the
user already allocated by hand (manual rows), less what credit notes that correct it
take off. Amounts are exact Decimals in the invoice's currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from billing.matching.remittance import number_key
from billing.invoicing.terms import Terms, discount_date, parse_terms

ZERO = Decimal(0)
_UNKNOWN = object()  # a payment's payer not worked out yet


@dataclass(eq=False, slots=True)
class OpenItem:
    invoice_key: str
    number: str
    customer_id: str
    currency: str
    issue_date: dt.date
    due_date: dt.date
    gross: Decimal
    open: Decimal
    terms: str
    reference: str | None = None
    key: str = field(init=False)
    discount: tuple | None = field(init=False, default=None)  # (rate, last day) of the terms, once asked

    def __post_init__(self) -> None:
        self.key = number_key(self.number)

    @property
    def parsed_terms(self) -> Terms:
        return parse_terms(self.terms)

    def early_payment(self, value_date: dt.date) -> Decimal | None:
        """The discount rate the payer may take on `value_date`, or None."""
        if self.open != self.gross:
            return None
        if self.discount is None:  # worked out once: matching asks many times
            self.discount = _discount(self.terms, self.issue_date)
        pct, last_day = self.discount
        if pct and last_day and value_date <= last_day:
            return pct
        return None


@lru_cache(maxsize=4096)  # invoices share a few terms and issue dates: each pair worked out once
def _discount(terms: str, issue_date: dt.date) -> tuple:
    """(rate, last day) of the early-payment discount of terms for an invoice issued that day."""
    parsed = parse_terms(terms)
    return parsed.discount_pct, discount_date(issue_date, parsed)


@dataclass(eq=False, slots=True)
class Payment:
    payment_id: str
    value_date: dt.date
    amount: Decimal
    currency: str
    payer_name: str | None
    payer_iban: str | None
    reference_text: str | None
    remaining: Decimal | None = None  # the amount left to allocate; starts at `amount`
    notes: list[str] = field(default_factory=list)  # why it was left, for the Unmatched sheet
    candidates: list[str] = field(default_factory=list)
    payer: object = _UNKNOWN  # the PayerMatch (or None) once matching has asked
    held: bool = False  # more than one reading fits: no pass may allocate it

    def __post_init__(self) -> None:
        if self.remaining is None:
            self.remaining = self.amount
