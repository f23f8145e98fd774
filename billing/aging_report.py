"""`xlbilling aging`: the workbook's items, allocations and payments as aging sees them,
and the Aging sheet (one row per customer and currency, a totals row per currency last)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing.aging import ZERO, AgingRow, Applied, Item, Received, age, bucket_labels
from billing.cellvalues import decimal_column, text_column
from billing.compute import Computed
from billing.matching.parties import Parties
from billing.tables import Tables
from billing.xlsx_read import SheetTable
from billing.xlsx_write import OutputSheet


def aging_of(tables: Tables, computed: Computed, allocations: SheetTable | None, as_of: dt.date) -> list[AgingRow]:
    """Aging rows as of `as_of` from the typed tables and the Allocations sheet."""
    invoices = tables.invoices
    items = [
        Item(no or key, customer, currency, kind, status, issued, due, gross, corrects)
        for key, no, customer, currency, kind, status, issued, due, gross, corrects in zip(
            invoices["invoice_key"], invoices["invoice_no"], invoices["customer_id"], invoices["currency"],
            invoices["kind"], invoices["status"], invoices["issue_date"], computed.invoices["due_date"],
            computed.invoices["gross"], invoices["corrects"])
    ]
    payments = tables.payments
    value_date = dict(zip(payments["payment_id"], payments["value_date"]))
    customer_of_invoice = dict(zip(invoices["invoice_no"], invoices["customer_id"]))
    applied: list[Applied] = []
    if allocations is not None and allocations.has("payment_id") and allocations.has("invoice_no"):
        frame = allocations.frame
        column = {name: frame[name].tolist() if allocations.has(name) else [None] * len(frame)
                  for name in ("payment_id", "invoice_no", "amount", "settled")}
        for pid, no, amount, settled in zip(text_column(column["payment_id"]), text_column(column["invoice_no"]),
                                            decimal_column(column["amount"]), decimal_column(column["settled"])):
            if pid in value_date and isinstance(amount, Decimal):
                applied.append(Applied(pid, no, amount, settled if isinstance(settled, Decimal) else ZERO,
                                       value_date[pid]))
    payer_of_payment = {a.payment_id: customer_of_invoice.get(a.invoice_no) for a in applied}
    customers = tables.customers
    parties = Parties([(c, n, tuple(i.replace(" ", "").upper() for i in (ib or "").split(";") if i.strip()))
                       for c, n, ib in zip(customers["customer_id"], customers["name"], customers["iban"])])
    received = []
    for pid, day, amount, currency, name, iban in zip(payments["payment_id"], payments["value_date"],
                                                      payments["amount"], payments["currency"],
                                                      payments["payer_name"], payments["payer_iban"]):
        customer = payer_of_payment.get(pid)
        if customer is None:
            match = parties.payer((iban or "").replace(" ", "").upper() or None, name)
            customer = match.customer_id if match else ""
        received.append(Received(pid, customer, currency, amount, day))
    settings = tables.settings
    return age(items, applied, received, as_of, settings.aging_buckets, settings.aging_basis)


def aging_sheet(rows: list[AgingRow], tables: Tables) -> OutputSheet:
    """The Aging output sheet with a totals row per currency last."""
    labels = bucket_labels(tables.settings.aging_buckets)
    names = dict(zip(tables.customers["customer_id"], tables.customers["name"]))
    body = [(r.customer_id or None, names.get(r.customer_id, "(payer not identified)"), r.currency,
             *(r.buckets[label] for label in labels), r.unapplied, r.total) for r in rows]
    for currency in sorted({r.currency for r in rows}):
        mine = [r for r in rows if r.currency == currency]
        body.append(("TOTAL", None, currency, *(sum((r.buckets[label] for r in mine), ZERO) for label in labels),
                     sum((r.unapplied for r in mine), ZERO), sum((r.total for r in mine), ZERO)))
    money = {label: "#,##0.00" for label in (*labels, "unapplied", "total")}
    return OutputSheet("Aging", ("customer_id", "name", "currency", *labels, "unapplied", "total"), body, money)
