"""Validate-then-seal and verify a saved workbook file: one call each, for the command line
(`billing.cli.seal`) and the Excel layer's ribbon buttons (`macros`).

Both work on the defaults unless told otherwise: the store of `XLBILLING_DATABASE_URL`,
the archive folder of `XLBILLING_ARCHIVE_DIR` (else beside the store), the signing key of
`XLBILLING_KEY_FILE` (else the user data folder; created on the first seal).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from billing.errors import BadFile


class Outcome(NamedTuple):
    """A seal attempt: the validation, and the seal when the workbook was valid."""

    validation: object  # validation.ValidationResult
    sealed: object | None  # billing.sealing.seal.SealResult
    key_created: object | None  # the SigningKey made for this seal, if there was none


def seal_path(path: Path, *, period: str | None = None, sealer: str | None = None, key: Path | None = None,
              db: str | None = None, archive: Path | None = None) -> Outcome:
    """Validate the workbook; if it is valid, seal and archive it (see `billing.sealing.seal`). A
    workbook the seal refuses (DDE formulas, links to other workbooks) comes back like an
    invalid one: its findings in `validation`, nothing sealed."""
    from billing.sealing.archive import archive_dir, file_sha256
    from billing.sealing.keys import init_key
    from billing.pipeline import checked
    from billing.sealing.seal import PreReading, Unsealable, seal_facts, seal_workbook
    from billing.store import open_store
    from billing.workbook.read import read_book

    validated = file_sha256(path)
    # a big workbook's canonical reading runs on the other core while this one validates
    pre_reading = PreReading.start(path)
    try:
        book = read_book(path)
        valid = checked(book, check_computed=True)
        result = valid.validation
        if not valid.valid:
            return Outcome(result, None, None)
        facts = seal_facts(valid.tables, period)
        del book, valid  # a big book's tables are a lot of memory, and the seal reads the file afresh
        result = result._replace(tables=None, computed=None)
        engine = open_store(db)
        signing_key, created = init_key(key)
        try:
            sealed = seal_workbook(path, facts, engine=engine, archive_root=archive_dir(archive, db),
                                   signing_key=signing_key, sealer=sealer, validated_sha256=validated,
                                   pre_reading=pre_reading)
        except Unsealable as refused:  # DDE formulas, links to other workbooks: findings, like validation's
            return Outcome(result._replace(findings=result.findings + refused.findings()), None,
                           signing_key if created else None)
        finally:
            engine.dispose()
        return Outcome(result, sealed, signing_key if created else None)
    finally:
        if pre_reading is not None:
            pre_reading.close()


def seal_file(path: Path) -> str:
    """Seal a saved workbook on the defaults; a sentence saying what was done (BadFile with the
    first errors if the workbook is invalid: nothing is sealed then)."""
    from billing.workbook.lock import hold_for_writing

    # the ribbon asks from Excel itself: its owner file is expected, another run's hold is not
    with hold_for_writing(Path(path), command="seal (ribbon)", excel_may_have_it=True):
        outcome = seal_path(Path(path))
    if outcome.sealed is None:
        errors = outcome.validation.errors
        first = "; ".join(f"{f.cell}: {f.message}" for f in errors[:3])
        raise BadFile(f"{len(errors)} errors, nothing was sealed (run Validate to see them all): {first}")
    record, entry = outcome.sealed.record, outcome.sealed.entry
    made = f"; a new signing key {outcome.key_created.key_id} was created" if outcome.key_created else ""
    return f"period {record['period']}, archive entry {entry.seq}, key {record['key_id']}{made}"


def verify_file(path: Path, public_key: Path | None = None) -> str:
    """Verify a saved workbook on the defaults; a sentence with the verdict and what changed."""
    from billing.sealing.keys import load_key, load_public
    from billing.sealing.report import INTACT, SUPERSEDED, UNSEALED, change_lines, verdict
    from billing.sealing.verify import verify_workbook

    public = load_public(public_key) if public_key else load_key().public
    engine, root = reachable_archive(None, None)
    report = verify_workbook(Path(path), public, engine=engine, archive_root=root)
    if engine is not None:
        engine.dispose()
    record = report.record or {}
    found = verdict(report)
    if found == INTACT:
        return (f"intact: sealed {record.get('sealed_at')} by {record.get('sealer')} for {record.get('period')}; "
                f"{report.original.message}")
    if found == UNSEALED:
        return "not sealed: " + "; ".join(report.problems)
    if found == SUPERSEDED:
        return f"SUPERSEDED: {report.problems[0]}"
    changes = change_lines(report)
    listed = "; ".join(changes[:20]) + (f"; … {len(changes) - 20} more" if len(changes) > 20 else "")
    return f"TAMPERED: {'; '.join(report.problems)}" + (f". Changes: {listed}" if listed else "")


def reachable_archive(db: str | None, archive: Path | None, warn=None):
    """(engine or None, archive folder or None): the archive when it can be reached, without
    creating a store that does not exist yet (verifying must leave no trace)."""
    from sqlalchemy.engine import make_url

    from billing.sealing.archive import archive_dir
    from billing.store import database_url, open_store

    url = database_url(db)
    parsed = make_url(url)
    engine = None
    if not (parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists()):
        try:
            engine = open_store(url)
        except BadFile as exc:
            if warn:
                warn(f"the archive index is not reachable ({exc}); verifying without it")
    root = archive_dir(archive, db)
    return engine, (root if root.is_dir() else None)
