"""Validation of a billing workbook: pydantic row models plus rules across rows and sheets.

`validate_book(book)` returns every finding, each naming its cell, in the order a person
reads the workbook: at most 100 of one rule in one column, then one finding counting the
rest (`validation.limits`). A cell holding an Excel error value, or fed by a formula that
reaches out of the workbook, is a finding in every table read (`validation.cells`). When the rows are sound it also types the tables and runs the
computation once, to check typed totals against it (`validation.consistency`); the
result carries both, so the commands that go on to compute do not do it again.
"""

from __future__ import annotations

from typing import NamedTuple

from billing.cells import column_index, split_ref
from billing.invoicing.compute import Computed, compute
from billing.contract import INPUT_SHEETS
from billing.errors import Finding, error, has_errors
from billing.gcpause import gc_paused
from billing.settings import Settings
from billing.tables import Tables, typed_tables
from billing.book import Book
from validation.cells import book_cells, only_error_value
from validation.collections import disputes_above_gross
from validation.consistency import consistency
from validation.limits import Limit
from validation.models import ROW_MODELS
from validation.rows import table_shape, validate_rows
from validation.rules import cross_sheet_rules
from validation.sanity import sanity_rules
from validation.settings import read_settings


class ValidationResult(NamedTuple):
    findings: tuple[Finding, ...]
    settings: Settings
    tables: Tables | None = None  # typed tables, when the rows were sound
    computed: Computed | None = None  # the computation on them

    @property
    def valid(self) -> bool:
        return not has_errors(self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


def validate_book(book: Book, check_computed: bool = True) -> ValidationResult:
    """Check every rule of the contract on a workbook that has been read.

    `check_computed=False` leaves out the computation and the comparison of typed totals
    with it (what `compute` does before it overwrites them).
    """
    with gc_paused():
        return _validate(book, check_computed)


def _validate(book: Book, check_computed: bool) -> ValidationResult:
    limit = Limit({table.sheet: table.header_row for table in book})
    findings: list[Finding] = [
        error(f"{name}!A1", "missing_sheet", f"the workbook has no {name} sheet") for name in book.missing
    ]
    settings, setting_findings = read_settings(book.get("Settings"))
    findings += setting_findings
    if "Settings" in book.tables:
        findings += table_shape(book["Settings"])
    row_findings: list[Finding] = []
    for sheet, model in ROW_MODELS.items():
        table = book.get(sheet)
        if table is not None:
            findings += table_shape(table)
            row_findings += validate_rows(table, model, limit)
    findings += cross_sheet_rules(book, settings)
    findings += sanity_rules(book, settings)
    findings += book_cells(book)
    findings = only_error_value(row_findings + limit.keep(findings))
    tables = computed = None
    if check_computed and not has_errors(findings):
        tables = typed_tables(book, settings)
        computed = compute(tables)
        findings += limit.keep(consistency(book, tables, computed))
        findings += limit.keep(list(disputes_above_gross(book, tables, computed)))
    findings += limit.summaries()
    return ValidationResult(tuple(sorted(findings, key=_place)), settings, tables, computed)


_SHEET_ORDER = {spec.name: i for i, spec in enumerate(INPUT_SHEETS)}


def _place(finding: Finding) -> tuple:
    """Sheet order, then row, then column: the order a person reads the workbook in."""
    sheet, address = split_ref(finding.cell)
    letters = address.rstrip("0123456789")
    if ":" in address:
        row, column = int(address.split(":")[0]), -1
    else:
        row, column = int(address[len(letters):] or 0), column_index(letters) if letters else -1
    return (_SHEET_ORDER.get(sheet, len(_SHEET_ORDER)), sheet, row, column, finding.rule)
