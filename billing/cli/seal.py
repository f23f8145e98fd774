"""`xlbilling seal`: validate, seal (sign, protect) and archive a workbook; `close --seal` too.

Exit codes as everywhere: 0 success, 1 a check failed (invalid workbook; a workbook the
seal refuses — DDE formulas, links to other workbooks — each place a finding; the result
is still printed), 2 the file or the arguments cannot be used. `verify`, `keys` and
`archive` are their own modules.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (ArchiveOption, BadFile, DbOption, ForceOption, JsonOption, KeyOption, WaitOption,
                                err, existing_file, print_findings, print_json, report_invalid, working,
                                writes_workbook)

_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def seal_path(path: Path, *, period: Optional[str], sealer: Optional[str], key: Optional[Path], db: Optional[str],
              archive: Optional[Path], as_json: bool) -> dict:
    """Validate, seal and archive one workbook; the contract's JSON document."""
    from billing.pipeline.seal import seal_path as validate_and_seal

    if period is not None and not _PERIOD.fullmatch(period):
        raise BadFile(f"--period {period!r} is not a month (YYYY-MM)")
    existing_file(path)
    with working("Validating and sealing", quiet=as_json):
        outcome = validate_and_seal(path, period=period, sealer=sealer, key=key, db=db, archive=archive)
    if outcome.sealed is None:
        report_invalid(outcome.validation, path, as_json)
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
