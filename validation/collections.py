"""Rules of the collections sheets across rows and sheets: Disputes against Invoices, and
InterestRates.

A dispute names a numbered invoice of the workbook (not a credit note); an invoice has at
most one `open` dispute (two would keep its amount out of dunning twice); the disputed
amount is at most the invoice's gross; a dispute `credited` is settled by a credit note that
`corrects` the invoice, so one should exist (a warning: the credit note may be on its way).
Each InterestRates `valid_from` starts one period: a date given twice is ambiguous.
"""

from __future__ import annotations

from typing import Iterator

from billing.book import Book, SheetTable
from billing.errors import Finding, error, warning
from validation.fields import show
from validation.rules import column, rows_of, to_decimal_or_none, unique


def dispute_rules(disputes: SheetTable, invoices: SheetTable | None) -> Iterator[Finding]:
    """Each dispute against the invoice it names, and the open disputes against each other."""
    numbers = column(invoices, "invoice_no")
    kinds = column(invoices, "kind")
    gross_of, credit_notes, corrected = {}, set(), set()
    for no, kind, gross, corrects, status in zip(numbers, kinds, column(invoices, "gross"),
                                                 column(invoices, "corrects"), column(invoices, "status")):
        if no is None:
            continue
        if kind == "credit_note":
            credit_notes.add(no)
            if corrects is not None and status != "void":
                corrected.add(corrects)
        else:
            gross_of[no] = to_decimal_or_none(gross)
    cell = disputes.cell
    open_on: dict[str, int] = {}
    for row, no, amount, status in zip(rows_of(disputes), column(disputes, "invoice_no"),
                                       column(disputes, "amount"), column(disputes, "status")):
        if no is None:
            continue
        if no in credit_notes:
            yield error(cell("invoice_no", row), "dispute_on_credit_note",
                        f"'{no}' is a credit note; a dispute names the invoice it is about")
            continue
        if no not in gross_of:
            yield error(cell("invoice_no", row), "unknown_disputed_invoice",
                        f"invoice '{no}' is not a numbered invoice of Invoices")
            continue
        if status == "open":
            first = open_on.setdefault(no, row)
            if first != row:
                yield error(cell("status", row), "duplicate_open_dispute",
                            f"invoice '{no}' already has an open dispute on row {first}; close one of them")
        disputed, gross = to_decimal_or_none(amount), gross_of[no]
        if disputed is not None and gross is not None and disputed > gross:
            yield error(cell("amount", row), "dispute_above_gross",
                        f"the disputed amount {show(disputed)} is more than invoice '{no}' is for ({show(gross)})")
        if status == "credited" and no not in corrected:
            yield warning(cell("status", row), "credited_without_credit_note",
                          f"the dispute is credited, but no credit note corrects invoice '{no}' "
                          f"(set its `corrects` to {no})")


def collections_rules(book: Book) -> Iterator[Finding]:
    """The rules of the Disputes and InterestRates sheets, when the workbook has them."""
    disputes, rates = book.get("Disputes"), book.get("InterestRates")
    if disputes is not None:
        yield from dispute_rules(disputes, book.get("Invoices"))
    yield from unique(rates, "valid_from", "duplicate_valid_from")
