"""Applying a payment to the items it was matched to: partial, exact, short, over, discount.

* The payment equals what is open → the items are settled.
* Within `tolerance` of it (bank fees, rounding) → settled; the difference is recorded
  on the allocation (`settled`), so the item is not left open by cents.
* An early-payment discount taken in time (`round(gross × (1 − p))`, within tolerance)
  → settled; the discount is the recorded difference. For several items at once, each
  item in its discount period counts at its discounted amount.
* Less → the items are paid oldest first and the rest stays open (partial payment).
* More → the items are settled and the rest stays on the payment as unapplied cash.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple, Sequence

from billing.matching.items import ZERO, OpenItem, Payment
from billing.money import format_amount, quantize


class Allocation(NamedTuple):
    payment_id: str
    invoice_no: str
    amount: Decimal
    method: str
    confidence: float
    explanation: str
    settled: Decimal = ZERO  # written off on this item: tolerance difference or early-payment discount
    invoice_key: str | None = None


def settle(payment: Payment, items: Sequence[OpenItem], method: str, confidence: float,
           why: str, tolerance: Decimal) -> list[Allocation]:
    """Allocate the payment's remaining amount over `items` (oldest first) and book it."""
    rest = payment.remaining
    owed = items[0].open if len(items) == 1 else sum((i.open for i in items), ZERO)  # compared only
    currency = payment.currency
    if len(items) == 1:
        discount = items[0].early_payment(payment.value_date)
        if discount is not None:
            expected = quantize(items[0].gross * (1 - discount), currency)
            if abs(rest - expected) <= tolerance and rest < owed:
                return [_book(payment, items[0], rest, items[0].open - rest, method, confidence,
                              f"{why}; early-payment discount {discount * 100:g}% taken in time")]
    if len(items) > 1 and abs(rest - owed) > tolerance:
        paid = [quantize(i.gross * (1 - d), currency) if (d := i.early_payment(payment.value_date)) is not None
                else i.open for i in items]
        if paid != [i.open for i in items] and abs(rest - sum(paid, ZERO)) <= tolerance:
            return _settle_discounted(payment, items, paid, method, confidence, why)
    if abs(rest - owed) <= tolerance:
        out = []
        for n, item in enumerate(items):
            last = n == len(items) - 1
            amount = rest - sum((a.amount for a in out), ZERO) if last else item.open
            difference = item.open - amount
            note = why
            if last and difference:
                kind = "short" if difference > 0 else "over"
                note += f"; {kind} by {format_amount(abs(difference), currency)} within tolerance"
            out.append(_book(payment, item, amount, difference, method, confidence, note))
        return out
    out = []
    for item in sorted(items, key=lambda i: (i.due_date, i.number)):
        if payment.remaining <= 0:
            break
        amount = min(item.open, payment.remaining)
        note = why if amount == item.open else f"{why}; partial payment, {format_amount(item.open - amount, currency)} stays open"
        out.append(_book(payment, item, amount, ZERO, method, confidence, note))
    if payment.remaining > 0:
        out[-1] = out[-1]._replace(explanation=out[-1].explanation + f"; {format_amount(payment.remaining, currency)} "
                                   "overpaid stays unapplied on the customer")
    return out


def _settle_discounted(payment: Payment, items: Sequence[OpenItem], paid: list[Decimal], method: str,
                       confidence: float, why: str) -> list[Allocation]:
    """A collective payment that takes the early-payment discount on some of the items:
    each item gets what it is paid net of its discount, the last one any tolerance rest."""
    out = []
    for n, (item, amount) in enumerate(zip(items, paid)):
        if n == len(items) - 1:
            amount = payment.remaining
        note = why if amount == item.open else f"{why}; early-payment discount taken in time"
        out.append(_book(payment, item, amount, item.open - amount, method, confidence, note))
    return out


def _book(payment: Payment, item: OpenItem, amount: Decimal, settled: Decimal, method: str,
          confidence: float, explanation: str) -> Allocation:
    payment.remaining -= amount
    item.open -= amount + settled
    return Allocation(payment.payment_id, item.number, amount, method, round(confidence, 2), explanation,
                      settled, item.invoice_key)
