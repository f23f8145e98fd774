"""`xlbilling archive check`: re-hash every archived file and the index's hash chain.

Faults, each an error: an entry whose file is missing or no longer has its SHA-256
(altered or swapped), an entry whose fields no longer give its `entry_hash` (edited), an
entry whose `previous_hash` is not the entry before it's hash or a gap in the sequence
numbers (deleted or reordered entries), a file in the archive folder the index does not
know (its entry deleted), and a head written down earlier that the chain does not hold
(entries cut off the end). An archived file that can be written to again is a warning.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from billing.sealing.archive import GENESIS, archived_path, entries, entry_hash, file_sha256

_ARCHIVED_NAME = re.compile(r"[0-9a-f]{64}\.xls[xm]")


class ArchiveFinding(NamedTuple):
    """One fault (or warning) `check_archive` found."""

    severity: str  # error or warning
    kind: str  # a fixed snake_case name
    seq: int | None
    sha256: str | None
    message: str

    def as_dict(self) -> dict:
        """The finding as JSON-ready values."""
        return self._asdict()

    @property
    def place(self) -> str:  # `errors.Reported`: a fault of the archive as a whole, printed without a place
        return ""

    @property
    def rule(self) -> str:
        return self.kind


def check_archive(engine: Engine, root: Path, head_hash: str | None = None) -> list[ArchiveFinding]:
    """Every fault of the archive at `root` and its index (an empty list: all sound)."""
    found: list[ArchiveFinding] = []
    indexed: set[Path] = set()
    previous = None
    for entry in entries(engine):
        expected_seq = previous.seq + 1 if previous else 1
        if entry.seq != expected_seq:
            found.append(ArchiveFinding("error", "missing_entries", entry.seq, entry.sha256,
                                        f"entries {expected_seq} to {entry.seq - 1} are missing from the index "
                                        "(deleted?)"))
        expected_previous = previous.entry_hash if previous else GENESIS
        if entry.previous_hash != expected_previous:
            found.append(ArchiveFinding("error", "broken_chain", entry.seq, entry.sha256,
                                        f"entry {entry.seq} does not follow the entry before it: its previous hash "
                                        f"{entry.previous_hash[:16]}… should be {expected_previous[:16]}…"))
        if entry_hash(entry._asdict()) != entry.entry_hash:
            found.append(ArchiveFinding("error", "altered_entry", entry.seq, entry.sha256,
                                        f"entry {entry.seq} was edited after it was written: its fields no longer "
                                        "give its hash"))
        path = archived_path(root, entry.sha256, entry.suffix)
        indexed.add(path)
        found += _check_file(entry.seq, entry.sha256, path)
        previous = entry
    found += _unindexed(root, indexed)
    if head_hash is not None:
        if previous is None or not any(e.entry_hash == head_hash.lower() for e in entries(engine)):
            found.append(ArchiveFinding("error", "unknown_head", None, None,
                                        f"the head {head_hash[:16]}… written down earlier is not in the chain: "
                                        "entries were removed or the chain was rewritten"))
    return found


def _check_file(seq: int, sha256: str, path: Path) -> list[ArchiveFinding]:
    if not path.is_file():
        return [ArchiveFinding("error", "missing_file", seq, sha256, f"entry {seq}: the archived file {path} is missing")]
    actual = file_sha256(path)
    if actual != sha256:
        return [ArchiveFinding("error", "altered_file", seq, sha256,
                               f"entry {seq}: the archived file {path} was altered or swapped "
                               f"(its SHA-256 is now {actual[:16]}…)")]
    if stat.S_IMODE(path.stat().st_mode) & 0o222:
        return [ArchiveFinding("warning", "writable_file", seq, sha256,
                               f"entry {seq}: the archived file {path} can be written to (it should be read-only)")]
    return []


def _unindexed(root: Path, indexed: set[Path]) -> list[ArchiveFinding]:
    found = []
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and len(p.name) == 2):
        for path in sorted(folder.iterdir()):
            if _ARCHIVED_NAME.fullmatch(path.name) and path not in indexed:
                found.append(ArchiveFinding("error", "unindexed_file", None, path.name[:64],
                                            f"{path} is in the archive but not in the index (its entry was deleted?)"))
    return found
