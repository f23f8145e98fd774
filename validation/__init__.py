"""Validation of a billing workbook: pydantic row models plus rules across rows and sheets.

`validate_book(book)` returns every finding, each naming its cell, in the order a person
reads the workbook, with the typed settings.
"""

from __future__ import annotations

from typing import NamedTuple

from billing.cells import column_index, split_ref
from billing.contract import INPUT_SHEETS
from billing.errors import Finding, error
from billing.gcpause import gc_paused
from billing.settings import Settings
from billing.xlsx_read import Book
from validation.models import ROW_MODELS
from validation.rows import table_shape, validate_rows
from validation.rules import cross_sheet_rules
from validation.settings import read_settings


class ValidationResult(NamedTuple):
    findings: tuple[Finding, ...]
    settings: Settings

    @property
    def valid(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


def validate_book(book: Book) -> ValidationResult:
    """Check every rule of the contract on a workbook that has been read."""
    with gc_paused():
        return _validate(book)


def _validate(book: Book) -> ValidationResult:
    findings: list[Finding] = [
        error(f"{name}!A1", "missing_sheet", f"the workbook has no {name} sheet") for name in book.missing
    ]
    settings, setting_findings = read_settings(book.get("Settings"))
    findings += setting_findings
    if "Settings" in book.tables:
        findings += table_shape(book["Settings"])
    for sheet, model in ROW_MODELS.items():
        table = book.get(sheet)
        if table is not None:
            findings += table_shape(table)
            findings += validate_rows(table, model)
    findings += cross_sheet_rules(book)
    return ValidationResult(findings=tuple(sorted(findings, key=_place)), settings=settings)


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
