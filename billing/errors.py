"""Errors as values that know their place, and the one exception for unusable files.

A check never raises on bad data: it returns `Finding` records, each naming the cell
(`Invoices!E7`) or row (`Invoices!7:7`) it is about, a fixed snake_case rule name and a
sentence for a person. Only a file that cannot be used at all (corrupt, encrypted,
hostile, not a billing workbook) stops the run, with `BadFile` and a one-line reason.
"""

from __future__ import annotations

from typing import Iterable, Literal, NamedTuple, Protocol, runtime_checkable

Severity = Literal["error", "warning"]


@runtime_checkable
class Reported(Protocol):
    """What every kind of finding offers, so one printer and one `has_errors` serve them all
    (`Finding` here, the numbers audit's and the archive check's): a severity, where it is
    (`place`, "" when the finding is about the whole thing), the fixed snake_case name of
    the rule or fault, a sentence, and its JSON form. Each record keeps its own fields, so
    its JSON stays as the contract has it."""

    @property
    def severity(self) -> str: ...

    @property
    def place(self) -> str: ...

    @property
    def rule(self) -> str: ...

    @property
    def message(self) -> str: ...

    def as_dict(self) -> dict: ...


class Finding(NamedTuple):
    """One problem in the data, where it is, and which rule found it."""

    severity: Severity
    cell: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return self._asdict()

    @property
    def place(self) -> str:
        return self.cell

    def render(self, file_label: str | None = None) -> str:
        """`file!Sheet!A1: message`, the form the CLI prints."""
        prefix = f"{file_label}!" if file_label else ""
        return f"{prefix}{self.cell}: {self.message}"


def error(cell: str, rule: str, message: str) -> Finding:
    return Finding("error", cell, rule, message)


def warning(cell: str, rule: str, message: str) -> Finding:
    return Finding("warning", cell, rule, message)


def has_errors(findings: Iterable[Reported]) -> bool:
    return any(f.severity == "error" for f in findings)


def verdict(findings: list) -> dict:
    """A check's JSON, as `--json` prints it and the portal shows it: `ok` (no error) and the
    findings (each `as_dict()`)."""
    return {"ok": not has_errors(findings), "findings": [f.as_dict() for f in findings]}


def one_line(what: BaseException | str, limit: int | None = None) -> str:
    """A reason on one line, at most `limit` characters: a text's words joined by single
    spaces; for an exception its `strerror` (an OSError's reason, without the errno and
    file name the caller already shows) or else its text, and its type's name when it
    says nothing at all."""
    if isinstance(what, BaseException):
        text = " ".join((getattr(what, "strerror", None) or str(what)).split())[:limit]
        return text or type(what).__name__
    return " ".join(what.split())[:limit]


class BadFile(Exception):
    """The file cannot be used; `str(exc)` is the one-line reason shown to the user."""

    def __init__(self, reason: str):
        super().__init__(one_line(reason))
