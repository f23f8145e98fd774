"""Rules across rows and sheets: unique keys, references, and consistency within a row.

Each rule is one pass over whole columns with hash sets and dicts: linear, and on these
object columns (text keys, dates) faster than pandas' `isin`/`duplicated`, which hash the
same Python objects with more overhead. Cells are read as the row models read them
(`prepared_column`), and every finding names the cell that must change: the later
duplicate, the dangling reference, the due date.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterable, Iterator

from billing.errors import Finding, error, warning
from billing.settings import Settings
from billing.cellvalues import decimal_column
from billing.book import Book, SheetTable
from validation.fields import MAX_NUMBER
from validation.rows import prepared_column, rows_of


def column(table: SheetTable | None, name: str) -> list:
    """A column as the row models read it; all blank when the table or column is absent."""
    if table is None:
        return []
    return prepared_column(table, name) if table.has(name) else [None] * len(table)


def unique(table: SheetTable | None, name: str, rule: str = "duplicate_key") -> Iterator[Finding]:
    """Every repeat of a non-blank value after its first row."""
    if table is None or not table.has(name):
        return
    first: dict[object, int] = {}
    for row, value in zip(rows_of(table), column(table, name)):
        if value is None:
            continue
        seen = first.setdefault(value, row)
        if seen != row:
            yield error(table.cell(name, row), rule, f"{name} '{value}' is also on row {seen}")


def known(table: SheetTable | None, name: str) -> set:
    return {v for v in column(table, name) if v is not None}


def references(table: SheetTable | None, name: str, keys: set, rule: str, what: str) -> Iterator[Finding]:
    """Every non-blank value of the column that is not among the `keys`."""
    if table is None or not table.has(name):
        return
    for row, value in zip(rows_of(table), column(table, name)):
        if value is not None and value not in keys:
            yield error(table.cell(name, row), rule, f"{what} '{value}' does not exist")


def invoice_rules(invoices: SheetTable, line_keys: set, price_mode: str) -> Iterator[Finding]:
    """Rules within the Invoices sheet and between invoices and their lines."""
    cell = invoices.cell
    names = ("invoice_key", "invoice_no", "kind", "customer_id", "issue_date", "due_date", "status",
             "void_reason", "corrects", "tax_code", "net", "gross")
    records = list(zip(rows_of(invoices), *(column(invoices, n) for n in names)))
    owner = {no: customer for _, _, no, kind, customer, *_ in records if no is not None and kind != "credit_note"}
    for row, key, no, kind, customer, issue, due, status, reason, corrects, tax_code, net, gross in records:
        if type(due) is dt.date and type(issue) is dt.date and due < issue:
            yield error(cell("due_date", row), "due_before_issue",
                        f"due date {due} is before the issue date {issue}")
        if key not in line_keys and status != "void":
            amount = gross if price_mode == "gross" else net
            if amount is None:
                yield error(cell(price_mode, row), "missing_amount",
                            f"an invoice without lines needs its {price_mode} amount and tax_code "
                            f"(price_mode is {price_mode})")
            elif tax_code is None:
                yield error(cell("tax_code", row), "required", "an invoice without lines needs its tax_code")
        if status == "void" and reason is None:
            yield warning(cell("void_reason", row), "void_without_reason",
                          "a void invoice should say why in void_reason")
        if corrects is None:
            continue
        if kind != "credit_note":
            yield warning(cell("corrects", row), "corrects_on_invoice",
                          "only a credit note corrects an invoice; set kind to credit_note")
        elif corrects not in owner:
            yield error(cell("corrects", row), "unknown_corrected_invoice",
                        f"credit note corrects invoice '{corrects}', which is not in Invoices")
        elif owner[corrects] != customer:
            yield error(cell("corrects", row), "corrects_other_customer",
                        f"invoice '{corrects}' belongs to customer '{owner[corrects]}', not '{customer}'")


def line_rules(lines: SheetTable) -> Iterator[Finding]:
    first: dict[tuple, int] = {}
    for row, key, line_no in zip(rows_of(lines), column(lines, "invoice_key"), column(lines, "line_no")):
        if key is None or not isinstance(line_no, (int, float)):
            continue
        seen = first.setdefault((key, line_no), row)
        if seen != row:
            yield error(lines.cell("line_no", row), "duplicate_line_no",
                        f"line {line_no:g} of invoice '{key}' appears twice")
    yield from line_amounts(lines)


def line_amounts(lines: SheetTable) -> Iterator[Finding]:
    """quantity × unit_price must be an amount too (below `MAX_NUMBER`), not only each of them."""
    for row, quantity, price in zip(rows_of(lines), column(lines, "quantity"), column(lines, "unit_price")):
        if type(quantity) is float and type(price) is float and abs(quantity * price) < _SURELY_SMALL:
            continue  # the common case, decided without Decimals
        q, p = to_decimal_or_none(quantity), to_decimal_or_none(price)
        if q is not None and p is not None and abs(q) < MAX_NUMBER and abs(p) < MAX_NUMBER \
                and abs(q * p) >= MAX_NUMBER:
            yield error(lines.cell("unit_price", row), "number_too_large",
                        f"quantity × unit_price = {float(q * p):.6g} is too large for a line amount "
                        f"(at most 15 digits before the decimal point)")


_SURELY_SMALL = 0.5e15


def to_decimal_or_none(value: object) -> Decimal | None:
    number = decimal_column([value])[0] if not isinstance(value, bool) else None
    return number if isinstance(number, Decimal) else None


def tax_rate_rules(rates: SheetTable) -> Iterator[Finding]:
    """A code that carries no tax must not name a rate; a taxed code should have one."""
    for row, kind, rate in zip(rows_of(rates), column(rates, "kind"), column(rates, "rate")):
        if not isinstance(rate, (int, float)):
            continue
        if kind in ("zero", "exempt", "reverse_charge", "intra_eu", "export") and rate != 0:
            yield error(rates.cell("rate", row), "rate_kind_mismatch",
                        f"a {kind} tax code carries no tax; its rate must be 0, not {rate:g}")
        elif kind in ("standard", "reduced") and rate == 0:
            yield warning(rates.cell("rate", row), "rate_kind_mismatch",
                          f"a {kind} tax code with rate 0: use kind zero for zero-rated supplies")


def business_day_terms(table: SheetTable | None, settings: Settings) -> Iterator[Finding]:
    """`NET<n>BD` terms count business days: they need the country whose holidays to skip."""
    if table is None or settings.business_days_country or not table.has("terms"):
        return
    for row, terms in zip(rows_of(table), column(table, "terms")):
        if isinstance(terms, str) and terms.replace(" ", "").upper().endswith("BD"):
            yield error(table.cell("terms", row), "terms_need_calendar",
                        f"'{terms}' counts business days: set business_days_country in Settings (e.g. DE)")


def cross_sheet_rules(book: Book, settings: Settings) -> Iterable[Finding]:
    """Unique keys and references between the sheets."""
    customers, rates = book.get("Customers"), book.get("TaxRates")
    invoices, lines, payments = book.get("Invoices"), book.get("InvoiceLines"), book.get("Payments")
    yield from unique(customers, "customer_id")
    yield from unique(rates, "tax_code")
    yield from unique(payments, "payment_id")
    yield from unique(invoices, "invoice_key")
    yield from unique(invoices, "invoice_no", "duplicate_invoice_no")
    tax_codes = known(rates, "tax_code")
    yield from references(invoices, "customer_id", known(customers, "customer_id"), "unknown_customer", "customer")
    yield from references(invoices, "tax_code", tax_codes, "unknown_tax_code", "tax code")
    yield from references(lines, "tax_code", tax_codes, "unknown_tax_code", "tax code")
    yield from references(lines, "invoice_key", known(invoices, "invoice_key"), "unknown_invoice", "invoice_key")
    if invoices is not None:
        yield from invoice_rules(invoices, known(lines, "invoice_key"), settings.price_mode)
    if lines is not None:
        yield from line_rules(lines)
    if rates is not None:
        yield from tax_rate_rules(rates)
    yield from business_day_terms(customers, settings)
    yield from business_day_terms(invoices, settings)
    from validation.collections import collections_rules  # it builds on this module's helpers

    yield from collections_rules(book)
    from validation.schedules import schedule_rules

    yield from schedule_rules(book)
