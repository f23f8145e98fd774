"""`xlbilling verify`: a sealed workbook against its seal and its archived original; an issued
document (`.pdf`, `.xml`) by its SHA-256 in the store: which issued invoice it is.

Exit codes: 0 intact, 1 tampered, superseded or unsealed (the report is still printed), 2
the file or the arguments cannot be used.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (ArchiveOption, BadFile, DbOption, Exit, JsonOption, KeyOption, err, existing_file,
                                print_json, working)


def verify(
    path: Path = typer.Argument(..., help="The sealed workbook, or an issued document (.pdf, .xml)."),
    public_key: Optional[Path] = typer.Option(None, "--public-key", help="The sealer's public key (PEM; default: "
                                              "the public key of the local signing key)."),
    record: Optional[Path] = typer.Option(None, "--record", help="The seal record to check against (default: "
                                          "the one inside the workbook, else PATH.seal.json)."),
    no_archive: bool = typer.Option(False, "--no-archive", help="Do not look for the archived original."),
    key: Optional[Path] = KeyOption,
    archive: Optional[Path] = ArchiveOption,
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
) -> None:
    """Check a sealed workbook against its seal and archived original; list what changed."""
    from billing.sealing.keys import load_key, load_public
    from billing.pipeline.seal import reachable_archive
    from billing.sealing.verify import verify_workbook

    existing_file(path)
    if path.suffix.lower() in DOCUMENT_SUFFIXES:
        return verify_document(path, db, archive, as_json)
    if public_key:
        public = load_public(existing_file(public_key))
    else:
        try:
            public = load_key(key).public
        except BadFile as exc:
            raise BadFile(f"give the sealer's public key with --public-key FILE ({exc})") from None
    engine, root = (None, None) if no_archive else reachable_archive(
        db, archive, warn=lambda text: err.print(f"xlbilling: {text}", markup=False))
    with working("Verifying", quiet=as_json):
        report = verify_workbook(path, public, engine=engine, archive_root=root,
                                 record_file=existing_file(record) if record else None)
    if as_json:
        print_json(_report_json(report))
    else:
        _print_report(path, report)
    if not report.intact:
        raise Exit(1)


DOCUMENT_SUFFIXES = (".pdf", ".xml")


def verify_document(path: Path, db: Optional[str], archive: Optional[Path], as_json: bool) -> None:
    """Which issued invoice a document file is: its SHA-256 looked up among the issued
    documents (`billing.sealing.issued`), and whether the archive still holds those bytes.
    Exit 1 when it is none of them (changed, or never issued)."""
    from billing.config import archive_dir
    from billing.sealing.archive import archived_path, file_sha256
    from billing.sealing.issued import issued_by_sha256
    from billing.store import open_store

    sha256 = file_sha256(path)
    root = archive_dir(archive, db)
    matches = [{"invoice_no": d.invoice_no, "format": d.format, "workbook_id": d.workbook_id,
                "issue_date": d.issue_date.isoformat(), "file_name": d.file_name, "archive_seq": d.seq,
                "archived": archived_path(root, d.sha256, d.suffix).is_file()}
               for d in issued_by_sha256(open_store(db), sha256)]
    if as_json:
        print_json({"document": str(path), "issued": bool(matches), "sha256": sha256, "matches": matches})
    elif matches:
        for m in matches:
            err.print(f"{path}: issued document — {m['invoice_no']} ({m['format']}) of {m['issue_date']}, "
                      f"workbook {m['workbook_id']}, entry {m['archive_seq']}"
                      f"{'' if m['archived'] else '; its archived copy is MISSING'}", markup=False)
    else:
        err.print(f"{path}: NOT an issued document — no document issued has these bytes (sha256 {sha256[:16]}…): "
                  "changed since it was issued, or never issued", markup=False)
    if not matches:
        raise Exit(1)


def _report_json(report) -> dict:
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


def _print_report(path: Path, report) -> None:
    diff = report.diff
    if diff:
        for change in diff.cells:
            sys.stdout.write(change.render() + "\n")
        for change in diff.sheets:
            sys.stdout.write(change.render() + "\n")
        for change in diff.workbook:
            sys.stdout.write(f"workbook: {change}\n")
    for problem in report.problems:
        err.print(f"{path}: {problem}", markup=False)
    record = report.record or {}
    if report.intact:
        note = f"; {report.original.message}" if report.original.status != "unreachable" else ""
        err.print(f"{path}: intact — sealed {record.get('sealed_at')} by {record.get('sealer')} for "
                  f"{record.get('period')} with key {record.get('key_id')}{note}", markup=False)
    elif not report.sealed:
        err.print(f"{path}: not sealed", markup=False)
    elif report.superseded_by is not None and len(report.problems) == 1:
        later = report.superseded_by
        err.print(f"{path}: SUPERSEDED by archive entry {later.seq} (sealed {later.sealed_at}) — this copy is "
                  f"intact as sealed {record.get('sealed_at')}, but no longer the seal of {record.get('period')} "
                  "that counts", markup=False)
    else:
        counts = [f"{len(diff.cells)} cells changed" if diff and diff.cells else "",
                  f"{len(diff.sheets) + len(diff.workbook)} other changes" if diff and (diff.sheets or diff.workbook)
                  else ""]
        shown = ", ".join(c for c in counts if c) or "see above"
        err.print(f"{path}: TAMPERED — {shown}; {report.original.message}", markup=False)
