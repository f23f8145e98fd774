"""Rules of the collections sheets across rows and sheets: Disputes against Invoices, and
InterestRates.

A dispute names a numbered invoice of the workbook (not a credit note); an invoice has at
most one `open` dispute (two would keep its amount out of dunning twice); the disputed
amount is at most the invoice's gross; a dispute `credited` is settled by a credit note that
`corrects` the invoice, so one should exist (a warning: the credit note may be on its way).
The amount is checked against the computed gross, with the computation (`disputes_above_gross`).
Each InterestRates `valid_from` starts one period: a date given twice is ambiguous.
"""

from __future__ import annotations

from typing import Iterator

from billing.book import Book, SheetTable
from billing.errors import Finding, error, warning
from billing.invoicing.compute import Computed
from billing.tables import Tables
from validation.fields import show
from validation.rules import column, rows_of, unique


def dispute_rules(disputes: SheetTable, invoices: SheetTable | None) -> Iterator[Finding]:
    """Each dispute against the invoice it names, and the open disputes against each other."""
    numbers = column(invoices, "invoice_no")
    kinds = column(invoices, "kind")
    invoice_nos, credit_notes, corrected = set(), set(), set()
    for no, kind, corrects, status in zip(numbers, kinds, column(invoices, "corrects"), column(invoices, "status")):
        if no is None:
            continue
        if kind == "credit_note":
            credit_notes.add(no)
            if corrects is not None and status != "void":
                corrected.add(corrects)
        else:
            invoice_nos.add(no)
    cell = disputes.cell
    open_on: dict[str, int] = {}
    for row, no, status in zip(rows_of(disputes), column(disputes, "invoice_no"), column(disputes, "status")):
        if no is None:
            continue
        if no in credit_notes:
            yield error(cell("invoice_no", row), "dispute_on_credit_note",
                        f"'{no}' is a credit note; a dispute names the invoice it is about")
            continue
        if no not in invoice_nos:
            yield error(cell("invoice_no", row), "unknown_disputed_invoice",
                        f"invoice '{no}' is not a numbered invoice of Invoices")
            continue
        if status == "open":
            first = open_on.setdefault(no, row)
            if first != row:
                yield error(cell("status", row), "duplicate_open_dispute",
                            f"invoice '{no}' already has an open dispute on row {first}; close one of them")
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


def disputes_above_gross(book: Book, tables: Tables, computed: Computed) -> Iterator[Finding]:
    """A disputed amount above its invoice's gross, the gross as computed (an invoice's gross
    is often not typed): checked with the computation, once the rows are sound."""
    table = book.get("Disputes")
    if table is None or not len(tables.disputes):
        return
    invoices = tables.invoices
    numbered = invoices[invoices["invoice_no"].notna() & (invoices["kind"] != "credit_note")]
    gross_of = dict(zip(numbered["invoice_no"], computed.invoices.loc[numbered.index, "gross"]))
    for row, no, amount in zip(tables.disputes.index, tables.disputes["invoice_no"], tables.disputes["amount"]):
        gross = gross_of.get(no)
        if amount is not None and gross is not None and amount > gross:
            yield error(table.cell("amount", row), "dispute_above_gross",
                        f"the disputed amount {show(amount)} is more than invoice '{no}' is for ({show(gross)})")
