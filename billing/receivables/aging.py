"""Receivables aging as of a date: who owes what, and for how long.

Open amount of an invoice as of D = gross − what was allocated to it from payments with a
value date on or before D (manual and automatic rows alike, with their settled
differences) − credit notes issued by D that correct it. Invoices issued after D, drafts,
voids and paid invoices are left out. A credit note that corrects nothing is a negative
item aged by its own date. Days past due = D − due date (or issue date with
`aging_basis = issue_date`); `not_due` when ≤ 0; buckets from `aging_buckets`
(`30,60,90` → `1-30`, `31-60`, `61-90`, `90+`). Payments received by D and not allocated
are the customer's `unapplied` cash (negative). One row per customer and currency.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple, Sequence

ZERO = Decimal(0)


def bucket_labels(bounds: Sequence[int]) -> list[str]:
    """`(30, 60, 90)` → `['not_due', '1-30', '31-60', '61-90', '90+']`."""
    labels, low = ["not_due"], 1
    for high in bounds:
        labels.append(f"{low}-{high}")
        low = high + 1
    return labels + [f"{bounds[-1]}+"]


def bucket_of(days_past_due: int, bounds: Sequence[int]) -> str:
    """The bucket label of a number of days past due.

    >>> [bucket_of(d, (30, 60, 90)) for d in (-3, 0, 1, 30, 31, 90, 91)]
    ['not_due', 'not_due', '1-30', '1-30', '31-60', '61-90', '90+']
    """
    if days_past_due <= 0:
        return "not_due"
    low = 1
    for high in bounds:
        if days_past_due <= high:
            return f"{low}-{high}"
        low = high + 1
    return f"{bounds[-1]}+"


class Item(NamedTuple):
    """An invoice or credit note as aging sees it."""

    number: str
    customer_id: str
    currency: str
    kind: str  # invoice | credit_note
    status: str
    issue_date: dt.date
    due_date: dt.date
    gross: Decimal
    corrects: str | None = None


class Applied(NamedTuple):
    """An allocation row: amount (+ settled difference) of a payment to an invoice number."""

    payment_id: str
    invoice_no: str
    amount: Decimal
    settled: Decimal
    value_date: dt.date


class Received(NamedTuple):
    payment_id: str
    customer_id: str  # "" when the payer is not known
    currency: str
    amount: Decimal
    value_date: dt.date


class AgingRow(NamedTuple):
    customer_id: str
    currency: str
    buckets: dict[str, Decimal]
    unapplied: Decimal
    total: Decimal


class OpenItem(NamedTuple):
    """An item still open on the aging date: its open amount (negative for a credit note)."""

    item: Item
    amount: Decimal
    days_past_due: int


def applied_by(applied: Sequence[Applied], as_of: dt.date) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """What was taken off each invoice number (amount + settled) and used of each payment, by `as_of`."""
    taken: dict[str, Decimal] = defaultdict(lambda: ZERO)
    used: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for a in applied:
        if a.value_date <= as_of:
            taken[a.invoice_no] += a.amount + a.settled
            used[a.payment_id] += a.amount
    return taken, used


def open_items(items: Sequence[Item], applied: Sequence[Applied], as_of: dt.date,
               basis: str = "due_date") -> list[OpenItem]:
    """Every item open on `as_of` with its open amount and days past due, in the items' order."""
    taken, _ = applied_by(applied, as_of)
    for c in items:
        if c.kind == "credit_note" and c.corrects and c.status != "void" and c.issue_date <= as_of:
            taken[c.corrects] += c.gross
    out = []
    for item in items:
        if item.status in ("draft", "void") or item.issue_date > as_of:
            continue
        if item.kind == "credit_note":
            if item.corrects:
                continue  # applied to the invoice it corrects
            amount, since = -item.gross, item.issue_date
        else:
            amount = item.gross - taken[item.number]
            if amount <= 0:
                continue
            since = item.due_date if basis == "due_date" else item.issue_date
        out.append(OpenItem(item, amount, (as_of - since).days))
    return out


def unapplied_cash(received: Sequence[Received], applied: Sequence[Applied], as_of: dt.date,
                   items: Sequence[Item]) -> dict[tuple[str, str], Decimal]:
    """(customer, currency) -> payments received by `as_of` and not allocated, as a negative amount.

    Money allocated to an invoice not yet issued on `as_of` (a prepayment) is still unapplied then.
    """
    issued = {i.number for i in items if i.issue_date <= as_of and i.status not in ("draft", "void")}
    _, used = applied_by([a for a in applied if a.invoice_no in issued], as_of)
    unapplied: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for p in received:
        if p.value_date <= as_of and p.amount > used[p.payment_id]:
            unapplied[(p.customer_id, p.currency)] -= p.amount - used[p.payment_id]
    return unapplied


def age(items: Sequence[Item], applied: Sequence[Applied], received: Sequence[Received], as_of: dt.date,
        bounds: Sequence[int] = (30, 60, 90), basis: str = "due_date",
        opened: Sequence[OpenItem] | None = None) -> list[AgingRow]:
    """The aging rows as of `as_of`, sorted by customer and currency (`opened`: the items'
    `open_items` on that date and basis, when the caller has them)."""
    labels = bucket_labels(bounds)
    rows: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: {label: ZERO for label in labels})
    for o in open_items(items, applied, as_of, basis) if opened is None else opened:
        rows[(o.item.customer_id, o.item.currency)][bucket_of(o.days_past_due, bounds)] += o.amount
    unapplied = unapplied_cash(received, applied, as_of, items)
    out = []
    for key in sorted(set(rows) | set(unapplied)):
        buckets = dict(rows[key])  # a customer with only unapplied cash gets zero buckets
        out.append(AgingRow(*key, buckets, unapplied[key], sum(buckets.values(), ZERO) + unapplied[key]))
    return out
