"""Output sheets as data: what each command writes back, in the writer's terms."""

from __future__ import annotations

from typing import Iterable

from billing.contract import VALIDATION
from billing.errors import Finding
from billing.changes import Changes, Mark, OutputSheet


def validation_sheet(findings: Iterable[Finding]) -> OutputSheet:
    """The Validation output sheet: one row per finding, each cell a link to its place."""
    return OutputSheet(
        name=VALIDATION.name,
        columns=VALIDATION.column_names,
        rows=[(f.severity, f.cell, f.rule, f.message) for f in findings],
        link_column="cell",
    )


def validation_changes(findings: Iterable[Finding]) -> Changes:
    """The Validation sheet plus a mark on every offending cell (a clean run clears them)."""
    findings = tuple(findings)
    return Changes(
        outputs=(validation_sheet(findings),),
        marks=tuple(Mark(f.cell, f"{f.severity}: {f.message} ({f.rule})") for f in findings),
    )
