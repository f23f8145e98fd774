"""The receivables ledger of a workbook: its items, allocations and received payments as
plain records, the one source aging, dunning, DSO and customer statements all read.

A payment belongs to the customer whose invoice it was allocated to; a payment allocated
to nothing belongs to the customer its payer identifies (IBAN, else a clearly best name
match, as matching decides), else to no one (`""`, shown as "payer not identified").

**Who paid** (`Ledger.paid_by`): a payment allocated to a customer's invoices by someone
else is that customer's payment all the same (it settles the customer's account, and a
parent company's own account does not move), but its statement line says who paid. From
the Payments sheet's payer IBAN and name, matched as matching matches them:

* the payer is identified as another customer (an IBAN on that customer's file, else its
  name) → that customer's name, a *third party*;
* no customer's IBAN or name identifies the payer, it has a name, and the name is not like
  the customer's → the name as the bank gave it (a treasury, a factoring company — or the
  customer's own account under another name: no third party is claimed);
* otherwise (the customer itself, or no name) → nothing to say.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping, NamedTuple

from billing.receivables.aging import ZERO, Applied, Item, Received
from billing.cellvalues import date_column, decimal_column, text_column
from billing.invoicing.compute import Computed
from billing.matching.parties import Parties, parties_of
from billing.tables import Tables
from billing.book import Book, SheetTable


class Ledger(NamedTuple):
    items: list[Item]
    applied: list[Applied]
    received: list[Received]
    names: dict[str, str]  # customer_id -> name
    #: invoice number -> date of its last reminder; None when Invoices has no `last_reminder` column
    last_reminder: dict[str, dt.date] | None
    #: (payment_id, customer_id) -> (who paid, whether a third party) for a payment someone
    #: other than the customer made on its invoices (see the module)
    paid_by: Mapping[tuple[str, str], tuple[str, bool]] = MappingProxyType({})


def ledger_of(tables: Tables, computed: Computed, book: Book, applied: list[Applied] | None = None) -> Ledger:
    """The ledger from the typed tables, the computed totals and `applied` (default: the
    book's Allocations sheet)."""
    invoices = tables.invoices
    numbers = [no or key for key, no in zip(invoices["invoice_key"], invoices["invoice_no"])]
    items = [
        Item(no, customer, currency, kind, status, issued, due, gross, corrects)
        for no, customer, currency, kind, status, issued, due, gross, corrects in zip(
            numbers, invoices["customer_id"], invoices["currency"], invoices["kind"], invoices["status"],
            invoices["issue_date"], computed.invoices["due_date"], computed.invoices["gross"], invoices["corrects"])
    ]
    if applied is None:
        applied = _applied(book.get("Allocations"), dict(zip(tables.payments["payment_id"],
                                                              tables.payments["value_date"])))
    customers = tables.customers
    names = dict(zip(customers["customer_id"], customers["name"]))
    parties = parties_of(customers)
    return Ledger(items, applied, _received(tables, applied, parties), names,
                  _last_reminders(book["Invoices"], invoices.index, numbers), _paid_by(tables, applied, parties, names))


def _applied(allocations: SheetTable | None, value_date: dict[str, dt.date]) -> list[Applied]:
    if allocations is None or not (allocations.has("payment_id") and allocations.has("invoice_no")):
        return []
    frame = allocations.frame
    column = {name: frame[name].tolist() if allocations.has(name) else [None] * len(frame)
              for name in ("payment_id", "invoice_no", "amount", "settled")}
    return [Applied(pid, no, amount, settled if isinstance(settled, Decimal) else ZERO, value_date[pid])
            for pid, no, amount, settled in zip(text_column(column["payment_id"]), text_column(column["invoice_no"]),
                                                decimal_column(column["amount"]), decimal_column(column["settled"]))
            if pid in value_date and isinstance(amount, Decimal)]


def _received(tables: Tables, applied: list[Applied], parties: Parties) -> list[Received]:
    customer_of_invoice = dict(zip(tables.invoices["invoice_no"], tables.invoices["customer_id"]))
    payer_of_payment = {a.payment_id: customer_of_invoice.get(a.invoice_no) for a in applied}
    payments = tables.payments
    received = []
    for pid, day, amount, currency, name, iban in zip(payments["payment_id"], payments["value_date"],
                                                      payments["amount"], payments["currency"],
                                                      payments["payer_name"], payments["payer_iban"]):
        customer = payer_of_payment.get(pid)
        if customer is None:
            match = parties.payer((iban or "").replace(" ", "").upper() or None, name)
            customer = match.customer_id if match else ""
        received.append(Received(pid, customer, currency, amount, day))
    return received


def _paid_by(tables: Tables, applied: list[Applied], parties: Parties,
             names: dict[str, str]) -> dict[tuple[str, str], tuple[str, bool]]:
    """(payment, customer) -> (who paid, third party?) where someone other than the customer
    paid its invoices (the rule is the module's)."""
    customer_of_invoice = dict(zip(tables.invoices["invoice_no"], tables.invoices["customer_id"]))
    payments = tables.payments
    payer = {pid: ((iban or "").replace(" ", "").upper() or None, name)
             for pid, iban, name in zip(payments["payment_id"], payments["payer_iban"], payments["payer_name"])}
    found: dict[tuple[str, str], tuple[str, bool]] = {}
    seen: set[tuple[str, str]] = set()
    for a in applied:
        customer = customer_of_invoice.get(a.invoice_no)
        if customer is None or (a.payment_id, customer) in seen or a.payment_id not in payer:
            continue
        seen.add((a.payment_id, customer))
        iban, name = payer[a.payment_id]
        who = parties.payer(iban, name)
        if who is not None and who.customer_id != customer:
            found[(a.payment_id, customer)] = (names.get(who.customer_id) or name or who.customer_id, True)
        elif who is None and name and name.strip() and not parties.resembles(customer, name):
            found[(a.payment_id, customer)] = (name.strip(), False)
    return found


def _last_reminders(invoices: SheetTable, rows, numbers: list[str]) -> dict[str, dt.date] | None:
    """The optional `last_reminder` column of Invoices: the date each invoice was last dunned."""
    if not invoices.has("last_reminder"):
        return None
    days = date_column(invoices.frame["last_reminder"].loc[rows].tolist())
    return {no: day for no, day in zip(numbers, days) if type(day) is dt.date}
