"""The particulars a document format needs, as findings at the workbook's cells.

`particular_findings(book, tables, computed)` builds the document record of each issued,
numbered invoice and credit note (or of those named) and reports, at the cell the value
belongs in, what its format needs and the workbook lacks
(`Customers!M4: XRechnung needs a buyer reference (BT-10), e.g. the Leitweg-ID (BR-DE-15)`).
The format is the one given, else the customer's `document_format`, else the Settings'. The
`issue` command runs it before it makes any file; `validate` may run it too. A Settings key
that is not on the sheet is reported at the `key` column's header, a Customers column
that is not on the sheet at the customer's row. Each place and rule is reported once.
"""

from __future__ import annotations

from typing import Iterable

from billing.book import Book
from billing.contract import normalize_header
from billing.errors import Finding, error
from billing.invoicing.compute import Computed
from billing.invoicing.document import Source, document_of
from billing.invoicing.particulars import missing_particulars
from billing.tables import Tables


def issued_numbers(tables: Tables) -> list[str]:
    """The numbers of the issued invoices and credit notes, in sheet order."""
    invoices = tables.invoices
    chosen = invoices[(invoices["status"] == "issued") & invoices["invoice_no"].notna()]
    return chosen["invoice_no"].tolist()


def place_of(book: Book, source: Source) -> tuple[str, str]:
    """The `Sheet!A1` of a document value's source, and what to add when the key or
    column is not on the sheet ("" when it is)."""
    if source.sheet == "Settings":
        table = book.get("Settings")
        if table is None:
            return "Settings!A1", f"add the Settings key {source.column}"
        for row, key in zip(table.frame.index, table.frame["key"] if table.has("key") else ()):
            if normalize_header(key) == source.column:
                return table.cell("value", int(row)), ""
        return table.header_cell("key"), f"add the Settings key {source.column}"
    table = book.get(source.sheet)
    if table is None:
        return f"{source.sheet}!A1", f"add a {source.sheet} sheet"
    if not table.has(source.column):
        return table.row(source.row), f"add a {source.column} column"
    return table.cell(source.column, source.row), ""


def particular_findings(book: Book, tables: Tables, computed: Computed, numbers: Iterable[str] | None = None,
                        format_name: str | None = None) -> list[Finding]:
    """What the formats of the named (default: all issued) documents need and the workbook lacks."""
    findings: dict[tuple[str, str, str], Finding] = {}
    for number in issued_numbers(tables) if numbers is None else numbers:
        document = document_of(tables, computed, number)
        for missing in missing_particulars(document, format_name or document.document_format):
            place, hint = place_of(book, missing.source)
            message = f"{missing.message}; {hint}" if hint else missing.message
            key = (place, missing.rule, message)
            if key not in findings:
                findings[key] = error(place, missing.rule, message)
    return list(findings.values())
