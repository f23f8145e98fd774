"""Cells whose content is not data: Excel error values, and formulas that reach out of the workbook.

An error value (`#N/A`, `#DIV/0!`, `#REF!`, `#SPILL!`, …) in a cell the contract reads is an
error at that cell, required column or optional, input sheet, Settings or Allocations: read as
blank it would silently change meaning (`#N/A` in `status` would make an issued invoice a
draft, in `discount_pct` drop the discount, in `invoice_no` renumber the invoice). So is an
error value in a header cell (the column would go missing unnoticed). A cell with an error
value gets this one finding; other rules stay silent about it (`only_error_value`).

A formula feeding a contract cell through DDE (`=cmd|' /C calc'!A0`: Excel runs a program to
get the value) or from another workbook (`=[1]Sheet1!A1`: the value is a cached copy of a file
that is not here) is an error at its cell too: the value cannot be checked or reproduced.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from billing.cells import cell_ref
from billing.errors import Finding, error
from billing.book import Book, SheetTable

#: Columns a command reads beyond its sheet's contract columns.
ALSO_READ = {"Allocations": frozenset({"settled"})}
ERROR_VALUE = "error_value"


def _read_columns(table: SheetTable) -> set[int]:
    wanted = set(table.spec.column_names) | ALSO_READ.get(table.spec.name, frozenset())
    return {index for name, index in table.columns.items() if name in wanted}


def _read_here(table: SheetTable, columns: set[int], row: int, column: int) -> bool:
    return row == table.header_row or column in columns


def table_cells(table: SheetTable) -> Iterator[Finding]:
    """Error values and linking formulas in the cells of `table` that are read."""
    if not table.error_cells and not table.links:
        return
    columns = _read_columns(table)
    for (row, column), value in table.error_cells.items():
        if _read_here(table, columns, row, column):
            yield error(cell_ref(table.sheet, row, column), ERROR_VALUE,
                        f"{value} is an Excel error value, not data: correct the formula or enter the value")
    for (row, column), link in table.links.items():
        if not _read_here(table, columns, row, column):
            continue
        shown = link.formula if len(link.formula) <= 60 else link.formula[:57] + "..."
        if link.kind == "dde":
            yield error(cell_ref(table.sheet, row, column), "dde_formula",
                        f"the formula ={shown} asks another program for its value (DDE); "
                        "enter the value instead")
        else:
            yield error(cell_ref(table.sheet, row, column), "external_link",
                        f"the formula ={shown} takes its value from another workbook; "
                        "enter the value instead (Data > Edit Links > Break Link)")


def book_cells(book: Book) -> list[Finding]:
    """`table_cells` of every table read, optional sheets (Allocations) included."""
    return [finding for table in book for finding in table_cells(table)]


def only_error_value(findings: Iterable[Finding]) -> list[Finding]:
    """The findings without those other rules made about a cell holding an error value."""
    findings = list(findings)
    places = {f.cell for f in findings if f.rule == ERROR_VALUE}
    if not places:
        return findings
    return [f for f in findings if f.rule == ERROR_VALUE or f.cell not in places]
