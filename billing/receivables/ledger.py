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
from types import MappingProxyType
from typing import Mapping, NamedTuple

from billing.receivables.aging import Applied, Item, Received
from billing.invoicing.compute import Computed
from billing.matching.parties import Parties, parties_of
from billing.tables import Tables


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


def ledger_of(tables: Tables, computed: Computed, applied: list[Applied], reminders: bool = False) -> Ledger:
    """The ledger from the typed tables, the computed totals and the allocations applied
    (`billing.pipeline` reads them from the run's matching or the Allocations sheet);
    `reminders`: the Invoices sheet has a `last_reminder` column (typed with the tables),
    the date each invoice was last dunned (else the ledger's `last_reminder` is None).

    Each of Invoices' and Payments' columns is gone through once: the items' numbers, who
    each numbered invoice belongs to and each payment's payer are found here once for the
    items, the received payments and who paid."""
    invoices = tables.invoices
    numbers = item_numbers(invoices)
    items = [
        Item(no, customer, currency, kind, status, issued, due, gross, corrects)
        for no, customer, currency, kind, status, issued, due, gross, corrects in zip(
            numbers, invoices["customer_id"], invoices["currency"], invoices["kind"], invoices["status"],
            invoices["issue_date"], computed.invoices["due_date"], computed.invoices["gross"], invoices["corrects"])
    ]
    last_reminder = {no: day for no, day in zip(numbers, invoices["last_reminder"]) if type(day) is dt.date} \
        if reminders else None
    customers = tables.customers
    names = dict(zip(customers["customer_id"], customers["name"]))
    parties = parties_of(customers)
    customer_of_invoice = dict(zip(invoices["invoice_no"], invoices["customer_id"]))
    payments = tables.payments
    payer = {pid: ((iban or "").replace(" ", "").upper() or None, name)
             for pid, iban, name in zip(payments["payment_id"], payments["payer_iban"], payments["payer_name"])}
    return Ledger(items, applied, _received(payments, applied, parties, customer_of_invoice, payer), names,
                  last_reminder, _paid_by(applied, parties, names, customer_of_invoice, payer))


def item_numbers(invoices) -> list[str]:
    """What names each item of the Invoices table: its number, else (a draft) its key."""
    return [no or key for key, no in zip(invoices["invoice_key"], invoices["invoice_no"])]


def _received(payments, applied: list[Applied], parties: Parties, customer_of_invoice: dict[str, str],
              payer: dict[str, tuple[str | None, str]]) -> list[Received]:
    """Every payment with the customer it belongs to: the one whose invoice it was allocated
    to, else the one its payer (IBAN, name) identifies, else none (`""`)."""
    payer_of_payment = {a.payment_id: customer_of_invoice.get(a.invoice_no) for a in applied}
    received = []
    for pid, day, amount, currency in zip(payments["payment_id"], payments["value_date"], payments["amount"],
                                          payments["currency"]):
        customer = payer_of_payment.get(pid)
        if customer is None:
            match = parties.payer(*payer[pid])
            customer = match.customer_id if match else ""
        received.append(Received(pid, customer, currency, amount, day))
    return received


def _paid_by(applied: list[Applied], parties: Parties, names: dict[str, str], customer_of_invoice: dict[str, str],
             payer: dict[str, tuple[str | None, str]]) -> dict[tuple[str, str], tuple[str, bool]]:
    """(payment, customer) -> (who paid, third party?) where someone other than the customer
    paid its invoices (the rule is the module's)."""
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
