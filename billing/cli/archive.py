"""`xlbilling archive list|show|get|check|head|export|check-package`: the archive of sealed workbooks.

`billing.cli` adds these commands to the app as `archive`. `check` exits 1 on any
fault (a missing, altered or unindexed file, an edited entry, a broken chain, a head
written down earlier that the chain no longer holds).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (ArchiveOption, BadFile, DbOption, Exit, JsonOption, err, print_findings, print_json,
                                working)

app = typer.Typer(help="The archive of sealed workbooks.", no_args_is_help=True)


def _store_and_root(db: Optional[str], archive: Optional[Path]):
    from billing.sealing.archive import archive_dir
    from billing.store import open_store

    return open_store(db), archive_dir(archive, db)


@app.command("list")
def archive_list(as_json: bool = JsonOption, db: Optional[str] = DbOption, archive: Optional[Path] = ArchiveOption) -> None:
    """Every archived workbook, oldest first."""
    from billing.sealing.archive import entries

    engine, _ = _store_and_root(db, archive)
    found = entries(engine)
    if as_json:
        print_json({"entries": [e.as_dict() for e in found]})
        return
    for e in found:
        invoices = f"{e.first_invoice}..{e.last_invoice}" if e.first_invoice else "-"
        sys.stdout.write(f"{e.seq}\t{e.period}\t{e.workbook_id}\t{invoices}\t{e.sha256[:16]}\t{e.archived_at}\t"
                         f"keep until {e.retention_until.isoformat()}\t{e.original_name}\n")
    err.print(f"{len(found)} archived workbooks", markup=False)


def _entry(engine, entry_id: str):
    from billing.sealing.archive import find_entry

    entry = find_entry(engine, entry_id)
    if entry is None:
        raise BadFile(f"no archive entry {entry_id!r} (give its number or its SHA-256, at least 8 digits)")
    return entry


@app.command("show")
def archive_show(entry_id: str = typer.Argument(..., help="Entry number or SHA-256 (prefix of 8+ digits)."),
                 as_json: bool = JsonOption, db: Optional[str] = DbOption,
                 archive: Optional[Path] = ArchiveOption) -> None:
    """One archive entry with all its fields."""
    from billing.sealing.archive import archived_path

    engine, root = _store_and_root(db, archive)
    entry = _entry(engine, entry_id)
    document = {**entry.as_dict(), "file": str(archived_path(root, entry.sha256, entry.suffix))}
    if as_json:
        print_json(document)
    else:
        for name, value in document.items():
            sys.stdout.write(f"{name}: {value}\n")


@app.command("get")
def archive_get(entry_id: str = typer.Argument(..., help="Entry number or SHA-256 (prefix of 8+ digits)."),
                out: Path = typer.Option(..., "--out", help="Where to put the copy."),
                force: bool = typer.Option(False, "--force", help="Replace an existing file."),
                db: Optional[str] = DbOption, archive: Optional[Path] = ArchiveOption) -> None:
    """Copy an archived workbook out of the archive (its SHA-256 checked)."""
    from billing.atomic import write_atomically
    from billing.sealing.archive import archived_path, file_sha256

    engine, root = _store_and_root(db, archive)
    entry = _entry(engine, entry_id)
    stored = archived_path(root, entry.sha256, entry.suffix)
    if not stored.is_file():
        raise BadFile(f"archive entry {entry.seq}: its file {stored} is missing")
    if file_sha256(stored) != entry.sha256:
        raise BadFile(f"archive entry {entry.seq}: its file {stored} was altered; run xlbilling archive check")
    if out.exists() and not force:
        raise BadFile(f"{out} already exists; use --force to replace it")
    write_atomically(out, lambda tmp: shutil.copyfile(stored, tmp), mode=0o644)
    err.print(f"Wrote archive entry {entry.seq} ({entry.original_name}, {entry.period}) to {out}", markup=False)


@app.command("check")
def archive_check(head: Optional[str] = typer.Option(None, "--head", help="A chain head written down earlier: "
                                                     "it must still be in the chain."),
                  as_json: bool = JsonOption, db: Optional[str] = DbOption,
                  archive: Optional[Path] = ArchiveOption) -> None:
    """Re-hash every archived file and the index's hash chains (sealed workbooks, issued documents); exit 1 on any fault."""
    from billing.sealing.archive_check import check_everything

    engine, root = _store_and_root(db, archive)
    with working("Checking the archive", quiet=as_json):
        result = check_everything(engine, root, head)
    document = result.as_dict()
    if as_json:
        print_json(document)
    else:
        print_findings(result.findings)
        err.print(f"archive check: {'ok' if document['ok'] else 'FAULTS FOUND'} ({len(result.findings)} findings) "
                  f"in {root}", markup=False)
    if not document["ok"]:
        raise Exit(1)


@app.command("head")
def archive_head(as_json: bool = JsonOption, db: Optional[str] = DbOption,
                 archive: Optional[Path] = ArchiveOption) -> None:
    """The chain head: write it down elsewhere; `archive check --head` proves nothing was cut off."""
    from billing.sealing.archive import head as chain_head

    engine, _ = _store_and_root(db, archive)
    entry = chain_head(engine)
    if as_json:
        print_json({"seq": entry.seq if entry else 0, "entry_hash": entry.entry_hash if entry else None})
    elif entry is None:
        err.print("the archive is empty", markup=False)
    else:
        sys.stdout.write(f"{entry.seq} {entry.entry_hash}\n")


@app.command("export")
def archive_export(period: str = typer.Option(..., "--period", help="The period, YYYY-MM."),
                   out: Path = typer.Option(..., "--out", help="The zip to write."),
                   force: bool = typer.Option(False, "--force", help="Replace an existing file."),
                   as_json: bool = JsonOption, db: Optional[str] = DbOption,
                   archive: Optional[Path] = ArchiveOption) -> None:
    """The audit package of a period: its sealed workbooks (re-hashed), their seal records, the chain
    segment, their issued documents and a manifest, as one zip (refused if a file was altered)."""
    import getpass

    from billing.sealing.audit_package import export_package

    engine, root = _store_and_root(db, archive)
    if out.exists() and not force:
        raise BadFile(f"{out} already exists; use --force to replace it")
    with working("Exporting the audit package", quiet=as_json):
        done = export_package(engine, root, period, out, exported_by=getpass.getuser())
    if as_json:
        print_json({"out": str(out), "period": done.period, "workbooks": done.workbooks, "documents": done.documents,
                    "chain_head": done.manifest["chain_head"]})
    else:
        err.print(f"Wrote the audit package of {period} to {out}: {done.workbooks} sealed workbooks, "
                  f"{done.documents} issued documents, {len(done.members) + 1} members", markup=False)


@app.command("check-package")
def archive_check_package(path: Path = typer.Argument(..., help="An audit package (zip) from archive export or "
                                                       "the portal."),
                          as_json: bool = JsonOption) -> None:
    """Recompute every member's SHA-256 and the chain segment's hashes and links of an audit package;
    exit 1 on any inconsistency. Needs no store: only the zip."""
    from billing.sealing.audit_package import check_package

    if not path.is_file():
        raise BadFile(f"{path}: no such file")
    problems = check_package(path)
    if as_json:
        print_json({"ok": not problems, "problems": problems})
    else:
        for problem in problems:
            sys.stdout.write(problem + "\n")
        err.print(f"{path}: {'consistent' if not problems else f'{len(problems)} problems'}", markup=False)
    if problems:
        raise Exit(1)
