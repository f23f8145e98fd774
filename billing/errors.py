"""Errors as values that know their place, and the one exception for unusable files.

A check never raises on bad data: it returns `Finding` records, each naming the cell
(`Invoices!E7`) or row (`Invoices!7:7`) it is about, a fixed snake_case rule name and a
sentence for a person. Only a file that cannot be used at all (corrupt, encrypted,
hostile, not a billing workbook) stops the run, with `BadFile` and a one-line reason.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]


class Finding(NamedTuple):
    """One problem in the data, where it is, and which rule found it."""

    severity: Severity
    cell: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return self._asdict()

    def render(self, file_label: str | None = None) -> str:
        """`file!Sheet!A1: message`, the form the CLI prints."""
        prefix = f"{file_label}!" if file_label else ""
        return f"{prefix}{self.cell}: {self.message}"


def error(cell: str, rule: str, message: str) -> Finding:
    return Finding("error", cell, rule, message)


def warning(cell: str, rule: str, message: str) -> Finding:
    return Finding("warning", cell, rule, message)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


class BadFile(Exception):
    """The file cannot be used; `str(exc)` is the one-line reason shown to the user."""

    def __init__(self, reason: str):
        super().__init__(" ".join(reason.split()))
