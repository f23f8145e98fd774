"""Customer statements: a customer's account over a period, one per customer and currency.

Opening balance on the day before `start`; then, in date order, every invoice (+gross),
credit note (−gross), payment (−the part of it that is this customer's) and settled
difference (−the shortfall written off within tolerance or as an early-payment discount)
up to `end`; the closing balance is the opening plus the movements. A payment is the
customer's for what was allocated to its invoices, and for its unallocated rest when the
payer is the customer (see `billing.receivables.ledger`). Drafts and voids are left out; a void
issued and cancelled never reaches a statement.

A payment someone else made on the customer's invoices (a parent company, a public
treasury, a factoring company) is a payment line of the customer's statement like any
other — it settles the customer's invoices — whose `description` says who paid: "Payment
by Beta Holding AG (third party)" when the payer is identified as another customer, "Payment
by Landeshauptkasse Bayern" when it is no customer on file (its name as the bank gave it).
It is not a line of the payer's own statement, even when the payer is a customer too: the
payer's account does not move (`billing.receivables.ledger` says who paid, and why).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from billing.contract import ACCOUNT, STATEMENT
from billing.receivables.aging import ZERO
from billing.receivables.ledger import Ledger
from billing.changes import OutputSheet


class Movement(NamedTuple):
    date: dt.date
    kind: str  # invoice | credit_note | payment | settled
    reference: str  # invoice number or payment id
    due_date: dt.date | None
    amount: Decimal  # positive: the customer owes more
    description: str | None = None  # who paid, for a payment someone other than the customer made


class Statement(NamedTuple):
    customer_id: str
    name: str
    currency: str
    start: dt.date
    end: dt.date
    opening: Decimal
    lines: tuple[tuple[Movement, Decimal], ...]  # each movement with the balance after it
    closing: Decimal


_ORDER = {"invoice": 0, "credit_note": 1, "payment": 2, "settled": 3}


def movements(ledger: Ledger) -> dict[tuple[str, str], list[Movement]]:
    """(customer, currency) -> every movement of the account, in date order."""
    moves: dict[tuple[str, str], list[Movement]] = defaultdict(list)
    owner: dict[str, tuple[str, str]] = {}
    for item in ledger.items:
        owner[item.number] = (item.customer_id, item.currency)
        if item.status in ("draft", "void"):
            continue
        sign = -1 if item.kind == "credit_note" else 1
        moves[owner[item.number]].append(Movement(item.issue_date, item.kind, item.number,
                                                  item.due_date if sign > 0 else None, sign * item.gross))
    paid: dict[tuple[str, tuple[str, str]], Decimal] = defaultdict(lambda: ZERO)
    used: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for a in ledger.applied:
        key = owner.get(a.invoice_no)
        if key is None:
            continue
        paid[(a.payment_id, key)] += a.amount
        used[a.payment_id] += a.amount
        if a.settled:
            moves[key].append(Movement(a.value_date, "settled", a.invoice_no, None, -a.settled))
    for p in ledger.received:
        rest = p.amount - used[p.payment_id]
        if rest:
            paid[(p.payment_id, (p.customer_id, p.currency))] += rest
    day = {p.payment_id: p.value_date for p in ledger.received}
    for (payment_id, key), amount in paid.items():
        moves[key].append(Movement(day[payment_id], "payment", payment_id, None, -amount,
                                   _paid_by(ledger, payment_id, key[0])))
    for lines in moves.values():
        lines.sort(key=lambda m: (m.date, _ORDER[m.kind], m.reference))
    return moves


def _paid_by(ledger: Ledger, payment_id: str, customer_id: str) -> str | None:
    """The description of a payment line: who paid, when it was not the customer."""
    found = ledger.paid_by.get((payment_id, customer_id))
    if found is None:
        return None
    who, third_party = found
    return f"Payment by {who} (third party)" if third_party else f"Payment by {who}"


def statements(ledger: Ledger, start: dt.date, end: dt.date, customer: str | None = None) -> list[Statement]:
    """The statements of every account with a balance or a movement in [start, end]."""
    out = []
    for (customer_id, currency), lines in sorted(movements(ledger).items()):
        if customer is not None and customer_id != customer:
            continue
        opening = sum((m.amount for m in lines if m.date < start), ZERO)
        balance, shown = opening, []
        for m in lines:
            if start <= m.date <= end:
                balance += m.amount
                shown.append((m, balance))
        if shown or opening:
            name = ledger.names.get(customer_id, "(payer not identified)")
            out.append(Statement(customer_id, name, currency, start, end, opening, tuple(shown), balance))
    return out


def statement_sheets(statement: Statement, issuer: str | None) -> tuple[OutputSheet, OutputSheet]:
    """A statement as two sheets: `Account` (who, period, balances: one row) and `Statement`
    (the lines between an opening and a closing balance row)."""
    s = statement
    about = OutputSheet(ACCOUNT.name, ACCOUNT.column_names,
                        [(issuer, s.customer_id, s.name, s.currency, s.start, s.end, s.opening, s.closing)],
                        ACCOUNT.number_formats())
    rows = [(s.start, "opening balance", None, None, None, s.opening, None)]
    rows += [(m.date, m.kind.replace("_", " "), m.reference, m.due_date, m.amount, balance, m.description)
             for m, balance in s.lines]
    rows.append((s.end, "closing balance", None, None, None, s.closing, None))
    # `description` comes last: the columns before it keep their places (an additive change)
    lines = OutputSheet(STATEMENT.name, STATEMENT.column_names, rows, STATEMENT.number_formats())
    return about, lines
