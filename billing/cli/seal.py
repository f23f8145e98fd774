"""The seal's commands: `seal`, `verify`, `keys init|export-public`, `archive list|show|get|check|head`.

Registered on the `xlbilling` app when `billing.cli` imports this module. Exit codes as
everywhere: 0 success (verify: intact), 1 a check failed (invalid workbook; a workbook the
seal refuses — DDE formulas, links to other workbooks — each place a finding; tampered,
superseded or unsealed workbook; archive faults; the result is still printed), 2 the file
or the arguments cannot be used.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Optional

import typer

from billing import cli
from billing.cli import (DbOption, Exit, ForceOption, JsonOption, WaitOption, _report_invalid, app, err, existing_file,
                         print_findings, print_json, writes_workbook)
from billing.cli.archive import ArchiveOption, archive_app
from billing.errors import BadFile

KeyOption = typer.Option(None, "--key", help="The private signing key file (default: $XLBILLING_KEY_FILE, else "
                         "signing-key.pem in the user data folder).")
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def seal_path(path: Path, *, period: Optional[str], sealer: Optional[str], key: Optional[Path], db: Optional[str],
              archive: Optional[Path], as_json: bool) -> dict:
    """Validate, seal and archive one workbook; the contract's JSON document."""
    from billing.pipeline.seal import seal_path as validate_and_seal

    if period is not None and not _PERIOD.fullmatch(period):
        raise BadFile(f"--period {period!r} is not a month (YYYY-MM)")
    existing_file(path)
    with cli.working("Validating and sealing", quiet=as_json):
        outcome = validate_and_seal(path, period=period, sealer=sealer, key=key, db=db, archive=archive)
    if outcome.sealed is None:
        _report_invalid(outcome.validation, path, as_json)
    if not as_json:
        print_findings(outcome.validation.findings, str(path))
    if outcome.key_created is not None:
        made = outcome.key_created
        err.print(f"Created the signing key {made.path} (key id {made.key_id}); give recipients its "
                  "public key: xlbilling keys export-public", markup=False)
    done = outcome.sealed
    return {"sealed": str(path), "sha256": done.sha256, "archive_id": done.entry.seq,
            "content_digest": done.record["content_digest"], "key_id": done.record["key_id"],
            "period": done.record["period"], "record": str(done.sidecar), "chain_head": done.entry.entry_hash}


@app.command("seal")  # named: the demo looks for a command called seal
@writes_workbook("seal")
def seal(
    path: Path = typer.Argument(..., help="The billing workbook (.xlsx or .xlsm)."),
    period: Optional[str] = typer.Option(None, "--period", help="The month sealed, YYYY-MM (default: the month "
                                         "of the latest issue date)."),
    sealer: Optional[str] = typer.Option(None, "--sealer", help="Who seals (default: the user name)."),
    key: Optional[Path] = KeyOption,
    archive: Optional[Path] = ArchiveOption,
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Validate, then seal (sign, protect) and archive the workbook; refuse an invalid one."""
    document = seal_path(path, period=period, sealer=sealer, key=key, db=db, archive=archive, as_json=as_json)
    if as_json:
        print_json(document)
    else:
        err.print(f"{path}: sealed for {document['period']} (content digest {document['content_digest'][:16]}…, "
                  f"key {document['key_id']}); archived as entry {document['archive_id']} "
                  f"({document['sha256'][:16]}…); record in {document['record']}", markup=False)


def seal_after_close(path: Path, db: Optional[str], as_json: bool) -> dict:
    """`close --seal`: seal and archive the closed workbook on the defaults."""
    return seal_path(path, period=None, sealer=None, key=None, db=db, archive=None, as_json=as_json)


@app.command("verify")
def verify(
    path: Path = typer.Argument(..., help="The sealed workbook."),
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
    if public_key:
        public = load_public(existing_file(public_key))
    else:
        try:
            public = load_key(key).public
        except BadFile as exc:
            raise BadFile(f"give the sealer's public key with --public-key FILE ({exc})") from None
    engine, root = (None, None) if no_archive else reachable_archive(
        db, archive, warn=lambda text: err.print(f"xlbilling: {text}", markup=False))
    with cli.working("Verifying", quiet=as_json):
        report = verify_workbook(path, public, engine=engine, archive_root=root,
                                 record_file=existing_file(record) if record else None)
    if as_json:
        print_json(_report_json(report))
    else:
        _print_report(path, report)
    if not report.intact:
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


keys_app = typer.Typer(help="The organisation's signing key pair (Ed25519).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("init")
def keys_init(key: Optional[Path] = KeyOption) -> None:
    """Create the signing key pair (private key file 0600); nothing happens if it exists."""
    from billing.sealing.keys import init_key

    signing_key, created = init_key(key)
    verb = "Created" if created else "Already there:"
    err.print(f"{verb} {signing_key.path} (key id {signing_key.key_id})", markup=False)


@keys_app.command("export-public")
def keys_export_public(
    key: Optional[Path] = KeyOption,
    out: Optional[Path] = typer.Option(None, "--out", help="Write the public key (PEM) here instead of stdout."),
) -> None:
    """Print (or write) the public key recipients verify sealed workbooks with."""
    from billing.sealing.keys import load_key, public_pem
    from billing.atomic import write_text_atomically

    signing_key = load_key(key)
    pem = public_pem(signing_key.public).decode("ascii")
    if out is None:
        sys.stdout.write(pem)
    else:
        write_text_atomically(out, pem)
        err.print(f"Wrote the public key {signing_key.key_id} to {out}", markup=False)

app.add_typer(archive_app, name="archive")
