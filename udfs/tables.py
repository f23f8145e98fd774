"""Worksheet functions over whole tables: the aging of open items and payment matching.

Each takes ranges that include their header row; headers are matched as the contract
matches them (case-insensitive, spaces and underscores alike), column order is free. The
result is a native dynamic array: a header row, then one row per result, which Excel 365
spills below the formula (and shows `#SPILL!` rather than overwrite a user's cells; no
legacy `expand=`, which wrote over neighbouring cells without asking). An error value in a
table cell is named by its row and column. Both call the same domain code the
command line runs (`billing.receivables.aging.age`, `billing.matching.engine.Matcher`).
"""

from __future__ import annotations

import inspect
from decimal import Decimal

import xlwings as xw

from billing.receivables.aging import ZERO, Applied, Item, age, bucket_labels
from billing.contract import normalize_header
from billing.matching.engine import Matcher
from billing.matching.items import OpenItem, Payment
from billing.matching.parties import Parties
from udfs.convert import PREFIX, UdfError, day, excel, excel_arguments, excel_error, first_error, number, text
from udfs.dates import parse_buckets


def records(values: object, name: str, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    """The rows of a range with a header row, as (sheet-relative row, {header: value})."""
    if not isinstance(values, (list, tuple)) or len(values) < 1 or not isinstance(values[0], (list, tuple)):
        raise UdfError(f"{name} must be a range with a header row")
    for n, row in enumerate(values, 1):
        for column, value in enumerate(row):
            error = excel_error(value)
            if error:
                where = "header" if n == 1 else f"row {n}"
                title = values[0][column] if n > 1 and column < len(values[0]) else column + 1
                raise UdfError(f"{name} {where}, column {title} holds {error}")
    headers = [normalize_header(h) for h in values[0]]
    missing = [c for c in required if c not in headers]
    if missing:
        raise UdfError(f"{name} has no column {', '.join(missing)}")
    rows = []
    for n, row in enumerate(values[1:], 2):
        if all(v is None or v == "" for v in row):
            continue
        rows.append((n, dict(zip(headers, row))))
    return rows


def _spilled(function):
    """A table function's errors as one `#XLB:` cell; results as a 2-D list (a dynamic array)."""
    names = list(inspect.signature(function).parameters)

    def wrapper(*args):
        error = first_error(names, args)
        if error:
            return PREFIX + error
        try:
            header, rows = function(*args)
            return [list(header), *([excel(v) for v in row] for row in rows)]
        except UdfError as exc:
            return PREFIX + str(exc)
        except ArithmeticError:  # decimal's messages name a class, not the problem
            return PREFIX + "a number too large (or not a number) to compute with"
        except Exception as exc:
            return PREFIX + (str(exc) or type(exc).__name__)
    wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = function.__name__, function.__doc__, function
    return excel_arguments(wrapper, names)


def _where(name: str, n: int, message: str) -> UdfError:
    return UdfError(f"{name} row {n}: {message}")


INVOICE_COLUMNS = ("invoice_no", "customer_id", "issue_date", "due_date", "gross")


@xw.func
@xw.arg("invoices", ndim=2, doc="The Invoices table with its header (invoice_no, customer_id, issue_date, "
        "due_date, gross; currency, kind, status, corrects when present).")
@xw.arg("allocations", ndim=2, doc="The Allocations table with its header (invoice_no, amount; settled and "
        "value_date when present: without value_date every allocation counts).")
@xw.arg("as_of", doc="The date to age as of.")
@xw.arg("buckets", doc="Upper bounds of the buckets in days, e.g. 30,60,90 (the default).")
@_spilled
def XLB_AGING(invoices, allocations, as_of, buckets=None):
    """Open receivables by customer, currency and age as of a date (spills a table)."""
    when, bounds = day(as_of, "as_of"), parse_buckets(buckets)
    items = []
    for n, r in records(invoices, "invoices", INVOICE_COLUMNS):
        try:
            number_ = text(r["invoice_no"], "invoice_no", "") or text(r.get("invoice_key"), "invoice_key", f"row{n}")
            items.append(Item(number_, text(r["customer_id"], "customer_id"),
                              text(r.get("currency"), "currency", "EUR").upper(),
                              text(r.get("kind"), "kind", "invoice").lower(),
                              text(r.get("status"), "status", "draft").lower(),
                              day(r["issue_date"], "issue_date"), day(r["due_date"], "due_date"),
                              number(r["gross"], "gross"), text(r.get("corrects"), "corrects", "") or None))
        except UdfError as exc:
            raise _where("invoices", n, str(exc)) from None
    applied = []
    for n, r in records(allocations, "allocations", ("invoice_no", "amount")) if allocations not in (None, "") \
            else []:
        try:
            settled = r.get("settled")
            applied.append(Applied(text(r.get("payment_id"), "payment_id", f"row{n}"),
                                   text(r["invoice_no"], "invoice_no"), number(r["amount"], "amount"),
                                   ZERO if settled in (None, "") else number(settled, "settled"),
                                   day(r["value_date"], "value_date") if r.get("value_date") not in (None, "")
                                   else when))
        except UdfError as exc:
            raise _where("allocations", n, str(exc)) from None
    labels = bucket_labels(bounds)
    rows = age(items, applied, [], when, bounds)
    return ("customer_id", "currency", *labels, "total"), [
        (r.customer_id, r.currency, *(r.buckets[label] for label in labels), r.total) for r in rows]


@xw.func
@xw.arg("payments", ndim=2, doc="The Payments table with its header (payment_id, value_date, amount; "
        "currency, payer_name, payer_iban, reference_text when present).")
@xw.arg("invoices", ndim=2, doc="The open invoices with their header (invoice_no, customer_id, issue_date, "
        "due_date, gross; open, currency, terms, payment_reference when present).")
@xw.arg("tolerance", doc="Largest short or over payment settled automatically (default 0.05).")
@_spilled
def XLB_MATCH(payments, invoices, tolerance=None):
    """Payments matched to open invoices: payment_id, invoice_no, amount, method, confidence (spills)."""
    items = []
    for n, r in records(invoices, "invoices", INVOICE_COLUMNS):
        try:
            gross = number(r["gross"], "gross")
            still = r.get("open")
            items.append(OpenItem(
                text(r.get("invoice_key"), "invoice_key", f"row{n}"), text(r["invoice_no"], "invoice_no"),
                text(r["customer_id"], "customer_id"), text(r.get("currency"), "currency", "EUR").upper(),
                day(r["issue_date"], "issue_date"), day(r["due_date"], "due_date"), gross,
                gross if still in (None, "") else number(still, "open"), text(r.get("terms"), "terms", "NET30"),
                text(r.get("payment_reference"), "payment_reference", "") or None))
        except UdfError as exc:
            raise _where("invoices", n, str(exc)) from None
    received = []
    for n, r in records(payments, "payments", ("payment_id", "value_date", "amount")):
        try:
            received.append(Payment(
                text(r["payment_id"], "payment_id"), day(r["value_date"], "value_date"), number(r["amount"], "amount"),
                text(r.get("currency"), "currency", "EUR").upper(), text(r.get("payer_name"), "payer_name", "") or None,
                text(r.get("payer_iban"), "payer_iban", "").replace(" ", "").upper() or None,
                text(r.get("reference_text"), "reference_text", "") or None))
        except UdfError as exc:
            raise _where("payments", n, str(exc)) from None
    limit = Decimal("0.05") if tolerance in (None, "") else number(tolerance, "tolerance")
    currency = items[0].currency if items else "EUR"
    result = Matcher(items, Parties([]), limit, currency).run(received)
    return ("payment_id", "invoice_no", "amount", "method", "confidence"), [
        (a.payment_id, a.invoice_no, a.amount, a.method, a.confidence) for a in result.allocations]
