"""Taking a sealed workbook someone brings into the archive (the portal's upload).

A workbook is archived only when it is sealed, its seal is signed by one of the trusted keys
and it is intact — the verdict `xlbilling verify` gives (`billing.sealing.report.verdict`);
a seal the archive already holds a later one of (superseded) is refused like a tampered one.
It is then archived by `billing.sealing.archive.archive_sealed`, the writer `xlbilling seal`
uses, kept for the years its Settings `retention_years` says, as the seal would have kept it.

Already archived is said, and nothing is added: the very bytes (same SHA-256), or the same
seal (record) in a copy saved again since — archiving that copy as well would make the
archive hold two entries of one seal, and the later would count as superseding the earlier.
A later seal of a workbook and period the archive holds is archived and supersedes it, as a
second `xlbilling seal` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from billing.errors import BadFile


class Upload(NamedTuple):
    """What became of an upload: the entry that now holds it (`added`: made by this upload),
    or why it was refused; the verification report when there is one; `supersedes`: the
    earlier seal of the same workbook and period the new entry takes the place of."""

    entry: object | None  # billing.sealing.archive.Entry
    added: bool
    refused: str | None
    report: object | None  # billing.sealing.verify.Report
    supersedes: object | None = None


def accept_sealed(path: Path, public_keys, *, engine: Engine, archive_root: Path, archived_by: str,
                  original_name: str) -> Upload:
    """Archive the sealed workbook at `path` (a `.xlsx` or `.xlsm`) under the rules above;
    `BadFile` when the file itself cannot be used (the safety gate's reasons)."""
    from billing.sealing.archive import archive_sealed, entries_of_workbook, find_entry
    from billing.sealing.report import INTACT, UNSEALED, summary, verdict
    from billing.sealing.verify import verify_workbook

    report = verify_workbook(path, public_keys, engine=engine, archive_root=archive_root if archive_root.is_dir()
                             else None)
    found = verdict(report)
    if found == UNSEALED:
        return Upload(None, False, "the workbook carries no seal: only a workbook sealed with `xlbilling seal` "
                                   "is taken into the archive", report)
    if found != INTACT:
        return Upload(None, False, f"{summary(report)} ({'; '.join(report.problems)})", report)
    record = report.record
    same = find_entry(engine, report.sha256)
    if same is not None:
        return Upload(same, False, None, report)
    entries = entries_of_workbook(engine, record["workbook_id"])
    copy = next((e for e in entries if (e.content_digest, e.sealed_at, e.key_id)
                 == (record["content_digest"], record["sealed_at"], record["key_id"])), None)
    if copy is not None:
        return Upload(copy, False, None, report)
    earlier = [e for e in entries if e.period == record["period"]]
    entry = archive_sealed(engine, archive_root, path, sha256=report.sha256, suffix=path.suffix.lower(), record=record,
                           original_name=original_name, retention_years=retention_years(path),
                           archived_by=archived_by)
    return Upload(entry, True, None, report, earlier[-1] if earlier else None)


def retention_years(path: Path) -> int:
    """How many years the workbook's Settings say a sealed copy is kept (`retention_years`)."""
    from billing.contract import SETTINGS
    from billing.workbook.read import read_book
    from validation.settings import read_settings

    try:
        book = read_book(path, specs=(SETTINGS,))
    except BadFile as exc:
        raise BadFile(f"its Settings cannot be read ({exc})") from None
    return read_settings(book.get(SETTINGS.name))[0].retention_years
