"""`xlbilling archive check`: re-hash every archived file and the index's hash chains.

One check serves every hash-chained index of archived files (`Chain`): the sealed
workbooks (`check_archive`) and the issued documents (`billing.sealing.issued.check_documents`).
Faults, each an error: an entry whose file is missing or no longer has its SHA-256
(altered or swapped), an entry whose fields no longer give its `entry_hash` (edited), an
entry whose `previous_hash` is not the entry before it's hash or a gap in the sequence
numbers (deleted or reordered entries), and a head written down earlier that the chain
does not hold (entries cut off the end). An archived file that can be written to again is
a warning. A file in the archive folder its index does not know is an error for a sealed
workbook (its entry was deleted) and a warning for an issued document: a run of `issue`
killed between storing the file and recording it leaves one, and issuing that workbook
again records it (the same bytes: the documents are deterministic).
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

from sqlalchemy import Engine

from billing.sealing.archive import GENESIS, archived_path, entries, entry_hash, file_sha256

_SHA256_NAME = re.compile(r"[0-9a-f]{64}")


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


class Chain(NamedTuple):
    """A hash-chained index of archived files, as the check reads it."""

    entries: Sequence[Any]  # in chain order; each has seq, sha256, suffix, previous_hash, entry_hash
    entry_hash: Callable[[dict], str]  # what an entry's fields hash to
    name: Callable[[Any], str]  # an entry as a message names it: "entry 3"
    plural: str  # several entries as a message names them: "entries"
    suffixes: tuple[str, ...]  # the archived files of this index: a file with another suffix is another's
    unindexed: tuple[str, str]  # (severity, why) of a file of these suffixes no entry names


def check_chain(root: Path, chain: Chain) -> list[ArchiveFinding]:
    """Every fault of one chain and of its files in the archive at `root`."""
    found: list[ArchiveFinding] = []
    indexed: set[Path] = set()
    previous = None
    for entry in chain.entries:
        name = chain.name(entry)
        expected_seq = previous.seq + 1 if previous else 1
        if entry.seq != expected_seq:
            found.append(ArchiveFinding("error", "missing_entries", entry.seq, entry.sha256,
                                        f"{chain.plural} {expected_seq} to {entry.seq - 1} are missing from the index "
                                        "(deleted?)"))
        expected_previous = previous.entry_hash if previous else GENESIS
        if entry.previous_hash != expected_previous:
            found.append(ArchiveFinding("error", "broken_chain", entry.seq, entry.sha256,
                                        f"{name} does not follow the entry before it: its previous hash "
                                        f"{entry.previous_hash[:16]}… should be {expected_previous[:16]}…"))
        if chain.entry_hash(entry._asdict()) != entry.entry_hash:
            found.append(ArchiveFinding("error", "altered_entry", entry.seq, entry.sha256,
                                        f"{name} was edited after it was written: its fields no longer give its hash"))
        path = archived_path(root, entry.sha256, entry.suffix)
        indexed.add(path)
        found += _check_file(entry.seq, name, entry.sha256, path)
        previous = entry
    return found + _unindexed(root, indexed, chain)


def check_archive(engine: Engine, root: Path, head_hash: str | None = None) -> list[ArchiveFinding]:
    """Every fault of the archive of sealed workbooks at `root` and its index (an empty list: all sound)."""
    chained = entries(engine)
    found = check_chain(root, Chain(chained, entry_hash, lambda e: f"entry {e.seq}", "entries", (".xlsx", ".xlsm"),
                                    ("error", "its entry was deleted?")))
    if head_hash is not None and not any(e.entry_hash == head_hash.lower() for e in chained):
        found.append(ArchiveFinding("error", "unknown_head", None, None,
                                    f"the head {head_hash[:16]}… written down earlier is not in the chain: "
                                    "entries were removed or the chain was rewritten"))
    return found


def _check_file(seq: int, name: str, sha256: str, path: Path) -> list[ArchiveFinding]:
    if not path.is_file():
        return [ArchiveFinding("error", "missing_file", seq, sha256, f"{name}: the archived file {path} is missing")]
    actual = file_sha256(path)
    if actual != sha256:
        return [ArchiveFinding("error", "altered_file", seq, sha256,
                               f"{name}: the archived file {path} was altered or swapped "
                               f"(its SHA-256 is now {actual[:16]}…)")]
    if stat.S_IMODE(path.stat().st_mode) & 0o222:
        return [ArchiveFinding("warning", "writable_file", seq, sha256,
                               f"{name}: the archived file {path} can be written to (it should be read-only)")]
    return []


def _unindexed(root: Path, indexed: set[Path], chain: Chain) -> list[ArchiveFinding]:
    found = []
    if not root.is_dir():
        return found
    severity, why = chain.unindexed
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and len(p.name) == 2):
        for path in sorted(folder.iterdir()):
            if (_SHA256_NAME.fullmatch(path.stem) and path.suffix in chain.suffixes and path not in indexed):
                found.append(ArchiveFinding(severity, "unindexed_file", None, path.stem,
                                            f"{path} is in the archive but not in the index ({why})"))
    return found


class ArchiveCheck(NamedTuple):
    """The whole check `xlbilling archive check` and the portal's `/audit/chain` run: both
    chains' findings, each chain's length and head, and when it ran and for how long."""

    findings: list[ArchiveFinding]
    workbooks: int  # entries in the sealed workbooks' chain
    head: Any  # its head entry (None: empty)
    documents: int  # entries in the issued documents' chain
    documents_head: Any
    ran_at: str  # UTC ISO
    seconds: float

    def as_dict(self) -> dict:
        """The JSON `xlbilling archive check --json` prints: `billing.errors.verdict`."""
        from billing.errors import verdict

        return verdict(self.findings)


def check_everything(engine: Engine, root: Path, head_hash: str | None = None) -> ArchiveCheck:
    """Both hash-chained indexes and all their files: `check_archive` (sealed workbooks, and the
    head written down earlier if given), then `billing.sealing.issued.check_documents`."""
    import datetime as dt
    import time

    from billing.sealing.issued import all_issued, check_documents

    ran_at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.perf_counter()
    findings = check_archive(engine, root, head_hash) + check_documents(engine, root)
    seconds = time.perf_counter() - started
    workbooks, documents = entries(engine), all_issued(engine)
    return ArchiveCheck(findings, len(workbooks), workbooks[-1] if workbooks else None, len(documents),
                        documents[-1] if documents else None, ran_at, seconds)
