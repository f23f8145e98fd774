"""A verification's outcome as people and programs read it: one verdict, the change lines,
the sentence that sums it up, the JSON document.

`xlbilling verify` and the portal's verify page both say what they say through here, so a
workbook gets the same verdict and the same list of changes (`Invoices!H7: 1190.00 →
1090.00`) wherever it is checked.
"""

from __future__ import annotations

from billing.sealing.verify import Report

INTACT, TAMPERED, SUPERSEDED, UNSEALED = "intact", "tampered", "superseded", "unsealed"


def verdict(report: Report) -> str:
    """`intact`, `unsealed`, `superseded` (an intact copy of a seal the archive holds a later
    one of: its only problem), else `tampered`."""
    if report.intact:
        return INTACT
    if not report.sealed:
        return UNSEALED
    if report.superseded_by is not None and len(report.problems) == 1:
        return SUPERSEDED
    return TAMPERED


def change_lines(report: Report) -> list[str]:
    """Every change found, one line each: cells (`Sheet!A1: old → new`), then sheets, then
    the workbook as a whole (`workbook: …`)."""
    diff = report.diff
    if not diff:
        return []
    return ([change.render() for change in diff.cells] + [change.render() for change in diff.sheets]
            + [f"workbook: {change}" for change in diff.workbook])


def summary(report: Report) -> str:
    """The verdict in one sentence (what `xlbilling verify` prints after the file's name)."""
    record = report.record or {}
    found = verdict(report)
    if found == INTACT:
        note = f"; {report.original.message}" if report.original.status != "unreachable" else ""
        return (f"intact — sealed {record.get('sealed_at')} by {record.get('sealer')} for {record.get('period')} "
                f"with key {record.get('key_id')}{note}")
    if found == UNSEALED:
        return "not sealed"
    if found == SUPERSEDED:
        later = report.superseded_by
        return (f"SUPERSEDED by archive entry {later.seq} (sealed {later.sealed_at}) — this copy is intact as sealed "
                f"{record.get('sealed_at')}, but no longer the seal of {record.get('period')} that counts")
    diff = report.diff
    others = len(diff.sheets) + len(diff.workbook) if diff else 0
    counts = [_counted(len(diff.cells), "cell changed", "cells changed") if diff and diff.cells else "",
              _counted(others, "other change", "other changes") if others else ""]
    shown = ", ".join(c for c in counts if c) or "see above"
    return f"TAMPERED — {shown}; {report.original.message}"


def _counted(n: int, one: str, many: str) -> str:
    """`1 cell changed`, `2 cells changed`."""
    return f"{n} {one if n == 1 else many}"


def report_json(report: Report) -> dict:
    """The document `xlbilling verify --json` prints."""
    record = report.record or {}
    diff = report.diff
    return {
        "sealed": report.sealed,
        "intact": report.intact,
        "changed_cells": report.changed_cells,
        "problems": list(report.problems),
        "changes": [c._asdict() for c in diff.cells] if diff else [],
        "sheet_changes": [s._asdict() for s in diff.sheets] if diff else [],
        "workbook_changes": list(diff.workbook) if diff else [],
        "content_digest": {"sealed": record.get("content_digest"),
                           "current": report.content.digest if report.content else None},
        # how the content was checked: the sealed parts found unchanged, or the content read again
        "checked": "parts" if report.by_parts else "content",
        "sha256": report.sha256,
        "archived_original": {"status": report.original.status, "message": report.original.message,
                              "archive_id": report.original.entry.seq if report.original.entry else None},
        "superseded_by": _later_json(report.superseded_by),
        **{k: record.get(k) for k in ("workbook_id", "period", "sealed_at", "sealer", "key_id", "canonical")},
    }


def _later_json(entry) -> dict | None:
    if entry is None:
        return None
    return {"archive_id": entry.seq, "sealed_at": entry.sealed_at, "sha256": entry.sha256, "period": entry.period}
