"""Verifying a sealed workbook: is it the one that was sealed, and if not, what changed?

1. The record is read from the workbook (cell A1 of the very-hidden `_seal` sheet), else
   from `PATH.seal.json` beside it, or from the file given.
2. Its signature is checked with the public key, and its content digest against its own
   sheet list (`seal_record`). A record that was edited fails here.
3. A record that holds and signs the sealed file's parts (`parts_digest`) is compared with
   the SHA-256 the safety gate took of every part while checking the file: the very parts
   sealed, no more, no fewer, means the very content sealed — nothing more is read.
   Otherwise (the file was saved again, re-zipped, changed, or sealed before the digest) the
   workbook's canonical content is computed afresh and compared with the record. Equal
   digests: intact, whatever program saved the file since.
   The content is computed in the canonical form the record names (`/1` seals made before
   `/2` still verify by the `/1` rules).
4. With the archive reachable, the archived original is found by the file's SHA-256 (the
   very bytes sealed), else by workbook id and content digest, re-hashed, and compared cell
   by cell (and name by name); without it, the per-sheet digests of the record still tell
   which sheets changed, were added, removed or renamed.
5. With the archive index reachable, a seal is **superseded** when the index holds a later
   seal of the same workbook (`workbook_id`) for the same `period`: an older sealed copy
   presented again is not the seal that counts, and verify says which entry is (exit 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from billing.sealing.archive import Entry, archived_path, file_sha256, find_entry
from billing.sealing.canonical import Content, read_content, read_names, read_sheets
from billing.sealing.diff import Diff, diff_contents, sheet_level_diff, sheets_to_read
from billing.errors import BadFile
from billing.workbook.package import Package
from billing.sealing.keys import key_for
from billing.sealing.seal import sidecar_path
from billing.sealing.sealed_package import read_embedded
from billing.sealing.record import (RecordError, manifest_problems, parse_record, record_content, record_version,
                                    same_parts, signature_problems)


class Original(NamedTuple):
    """What the archive says about the sealed original."""

    status: str  # identical (the very bytes archived), found, altered, not_found, unreachable
    entry: Entry | None
    message: str


class Report(NamedTuple):
    """What verification found."""

    sealed: bool
    intact: bool
    record: dict | None
    problems: tuple[str, ...]  # why the workbook is not intact (signature, record, content)
    content: Content | None
    diff: Diff | None
    original: Original
    sha256: str
    superseded_by: Entry | None = None  # a later seal of the same workbook and period in the archive
    by_parts: bool = False  # the file holds the sealed parts unchanged (the content was not read again)

    @property
    def changed_cells(self) -> list[str]:
        """`Sheet!A1` of every changed cell (known only from a comparison with the original)."""
        return [c.cell for c in self.diff.cells] if self.diff else []


def verify_workbook(path: Path, public_key, *, engine: Engine | None = None, archive_root: Path | None = None,
                    record_file: Path | None = None) -> Report:
    """Check the workbook at `path` against its seal (and its archived original when reachable).

    `public_key`: the sealer's public key, or several trusted ones (the record's key id picks
    among them: `billing.sealing.keys.key_for`)."""
    sha256 = file_sha256(path)
    problems: list[str] = []
    # the safety gate hashes every part as it checks it: a file holding the sealed parts
    # unchanged needs no canonical reading (`billing.sealing.record.same_parts`)
    with Package(path, hashed=True) as pkg:
        embedded = read_embedded(pkg)
        text = _record_text(path, embedded.record, record_file, problems)
        record, record_error = None, None
        if text is not None:
            try:
                record = parse_record(text)
            except RecordError as exc:
                record_error = str(exc)
        if record is not None:
            problems += signature_problems(record, key_for(public_key, record["key_id"]))
            problems += manifest_problems(record)
        # only a record that holds may vouch for the parts it lists
        by_parts = record is not None and not problems and same_parts(record, pkg.part_digests)
        # else the content in the form the record was sealed in (the current one when there is none)
        reading = None if by_parts else read_content(pkg, version=record_version(record) if record else None)
    content = record_content(record) if by_parts else reading.content
    unreachable = Original("unreachable", None, "the archive was not consulted")
    if text is None:
        return Report(False, False, None, ("the workbook carries no seal (no _seal sheet and no .seal.json "
                                           "beside it)",), content, None, unreachable, sha256)
    if record is None:
        return Report(True, False, None, (record_error,), content, None, unreachable, sha256)
    if embedded.property is not None and record["content_digest"] not in embedded.property:
        problems.append("the seal's document property names another content digest than the record")
    sealed = record_content(record)
    if content.digest != sealed.digest:
        problems.append("the content differs from what was sealed")
    original, stored = _original(engine, archive_root, record, sha256, path.suffix.lower())
    if stored is not None and content.digest != sealed.digest:
        old_names, new_names = sheets_to_read(sealed, content)  # the changed sheets, cell by cell
        with Package(stored) as pkg:  # through the gate too: the archive folder could have been tampered with
            old_parts = read_sheets(pkg, old_names, sealed.version)
            old_defined = read_names(pkg)
        with Package(path, checked=True) as pkg:
            new_parts = read_sheets(pkg, new_names, sealed.version)
        diff = diff_contents(sealed, old_parts, content, new_parts, old_defined, reading.names)
        original = original._replace(message=f"compared cell by cell with {original.message}")
    else:
        diff = sheet_level_diff(sealed, content)
        if stored is not None:
            original = original._replace(message=f"{original.message} holds the same content, but the file's bytes "
                                                 "differ: it was saved again since (harmless)")
    later = later_seal(engine, record, sha256) if engine is not None else None
    if later is not None:
        problems.append(f"superseded: archive entry {later.seq} (sealed {later.sealed_at}) is a later seal of this "
                        f"workbook for {record['period']}")
    return Report(True, not problems, record, tuple(problems), content, diff, original, sha256, later, by_parts)


def later_seal(engine: Engine, record: dict, sha256: str) -> Entry | None:
    """The latest archived seal of the same workbook and period made after this one, if any.

    "Same workbook and period": the index's `workbook_id` and `period` equal the record's.
    This seal's own entry is the one archived with these very bytes, else (a copy saved
    again since) the last with the record's content digest, sealing time and key; without
    an entry of its own, every entry sealed later than the record says counts as later.
    Asked in SQL, a few rows at most: a verify costs the same with 10 entries or 10,000."""
    from sqlalchemy import and_, func, select

    from billing.store import archive_entries

    c = archive_entries.c
    same = and_(c.workbook_id == record["workbook_id"], c.period == record["period"])
    with engine.connect().execution_options(read_only=True) as conn:
        own = conn.execute(select(c.seq).where(same, c.sha256 == sha256)).scalar()
        if own is None:
            own = conn.execute(select(func.max(c.seq)).where(
                same, c.content_digest == record["content_digest"], c.sealed_at == record["sealed_at"],
                c.key_id == record["key_id"])).scalar()
        after = c.seq > own if own is not None else c.sealed_at > record["sealed_at"]
        row = conn.execute(select(archive_entries).where(same, after).order_by(c.seq.desc()).limit(1)).first()
    return Entry(**{name: getattr(row, name) for name in Entry._fields}) if row else None


def _record_text(path: Path, embedded: str | None, record_file: Path | None, problems: list[str]) -> str | None:
    if record_file is not None:
        try:
            return record_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadFile(f"cannot read the seal record {record_file}: {exc}") from None
    beside = sidecar_path(path)
    if beside.is_file():
        try:
            sidecar = beside.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            sidecar = None
        if embedded is None:
            return sidecar
        if sidecar is not None and sidecar != embedded.strip():
            problems.append(f"the record in {beside.name} differs from the one inside the workbook")
    return embedded.strip() if embedded is not None else None


def _seal_entry(engine: Engine, record: dict) -> Entry | None:
    """The archive entry of the seal `record` describes: of the workbook's entries with its
    content digest, the one sealed at the record's time for its period; else the latest of
    them (the same content sealed again is still the same cells to compare with). Asked in
    SQL, one row at a time: a verify costs the same with 10 entries or 10,000."""
    from sqlalchemy import select

    from billing.store import archive_entries

    c = archive_entries.c
    with engine.connect().execution_options(read_only=True) as conn:
        def latest(*where):
            return conn.execute(select(archive_entries).where(
                c.workbook_id == record["workbook_id"], c.content_digest == record["content_digest"], *where)
                .order_by(c.seq.desc()).limit(1)).first()
        row = latest(c.sealed_at == record.get("sealed_at"), c.period == record.get("period")) or latest()
    return Entry(**{name: getattr(row, name) for name in Entry._fields}) if row else None


def _original(engine: Engine | None, root: Path | None, record: dict, sha256: str,
              suffix: str) -> tuple[Original, Path | None]:
    """What the archive holds of this seal, and the archived original's path when it is
    sound and not byte for byte this file (then it is worth comparing with)."""
    if root is None:
        return Original("unreachable", None, "the archive was not consulted"), None
    same_bytes = archived_path(root, sha256, suffix)  # content-addressed: found without the index
    entry = find_entry(engine, sha256) if engine is not None else None
    if entry is None and same_bytes.is_file() and file_sha256(same_bytes) == sha256:
        return Original("identical", None, f"byte for byte the archived file {same_bytes.name}"), None
    if engine is None:
        return Original("not_found", None, "no index to find the archived original by"), None
    if entry is None or entry.content_digest != record["content_digest"]:
        entry = _seal_entry(engine, record)
    if entry is None:
        return Original("not_found", None, "the archive holds no seal of this workbook with this digest"), None
    stored = archived_path(root, entry.sha256, entry.suffix)
    if not stored.is_file():
        return Original("altered", entry, f"archive entry {entry.seq}: its file {stored} is missing"), None
    if file_sha256(stored) != entry.sha256:
        return Original("altered", entry, f"archive entry {entry.seq}: its file was altered or swapped; "
                                          "it cannot be compared with"), None
    if entry.sha256 == sha256:
        return Original("identical", entry, f"byte for byte archive entry {entry.seq}"), None
    return Original("found", entry, f"archive entry {entry.seq}"), stored
