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
    from billing.sealing.keys import trusted_keys
    from billing.pipeline.seal import reachable_archive
    from billing.sealing.report import report_json
    from billing.sealing.verify import verify_workbook

    existing_file(path)
    if path.suffix.lower() in DOCUMENT_SUFFIXES:
        return verify_document(path, db, archive, as_json)
    public = trusted_keys([existing_file(public_key)], key)[0] if public_key else local_public_key(key)
    engine, root = (None, None) if no_archive else reachable_archive(
        db, archive, warn=lambda text: err.print(f"xlbilling: {text}", markup=False))
    with working("Verifying", quiet=as_json):
        report = verify_workbook(path, public, engine=engine, archive_root=root,
                                 record_file=existing_file(record) if record else None)
    if as_json:
        print_json(report_json(report))
    else:
        _print_report(path, report)
    if not report.intact:
        raise Exit(1)


DOCUMENT_SUFFIXES = (".pdf", ".xml")


def local_public_key(key: Optional[Path]):
    """The public key of the local signing key; BadFile saying to give `--public-key` when there is none."""
    from billing.sealing.keys import trusted_keys

    try:
        return trusted_keys(key=key)[0]
    except BadFile as exc:
        raise BadFile(f"give the sealer's public key with --public-key FILE ({exc})") from None


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


def _print_report(path: Path, report) -> None:
    """The change lines on stdout; the problems and the verdict on stderr (`billing.sealing.report`)."""
    from billing.sealing.report import change_lines, summary

    for line in change_lines(report):
        sys.stdout.write(line + "\n")
    for problem in report.problems:
        err.print(f"{path}: {problem}", markup=False)
    err.print(f"{path}: {summary(report)}", markup=False)
