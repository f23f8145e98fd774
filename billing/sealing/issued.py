"""Issued documents in the write-once archive: each file under its SHA-256, an index in the store.

`xlbilling issue` stores every document it produces (PDF, Factur-X, UBL, CII) beside the
sealed workbooks, `<archive>/<sha256[:2]>/<sha256><suffix>`, read-only and never replaced
(`billing.sealing.archive.store_file`). The index (`issued_documents`) records workbook,
invoice number and key, format, the file's SHA-256 and size, the digest of the document
record it was made from, the rules it passed and the issue date. Like the archive of
sealed workbooks the entries form a hash chain: each `entry_hash` is the SHA-256 of its
fields (canonical JSON, `previous_hash` included), `previous_hash` the entry before it's
(64 zeros for the first); `check_documents` re-hashes it and the files.

One entry per (workbook, invoice number, format), a unique key in the store: two runs at
once cannot both issue the same document.
"""

from __future__ import annotations

import datetime as dt
import getpass
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine, select

from billing.sealing.archive import (AlreadyArchived, append_chained_many, archived_path, chain_hash,
                                     chained, file_sha256, store_file)
from billing.store import issued_documents

_HASHED = tuple(c.name for c in issued_documents.columns if c.name != "entry_hash")
#: The suffixes of issued documents in the archive (`billing.pipeline.issue.file_name`).
DOCUMENT_SUFFIXES = (".pdf", ".xml")


class IssuedDocument(NamedTuple):
    """One issued document as the index records it."""

    seq: int
    workbook_id: str
    invoice_no: str
    invoice_key: str
    format: str
    file_name: str
    sha256: str
    suffix: str
    size: int
    source_digest: str
    rules: str
    issue_date: dt.date
    recorded_at: str
    recorded_by: str
    previous_hash: str
    entry_hash: str

    def as_dict(self) -> dict:
        return {**self._asdict(), "issue_date": self.issue_date.isoformat()}


class AlreadyIssued(Exception):
    """Another run recorded this invoice's document in this format first."""


def entry_hash(fields: dict) -> str:
    """SHA-256 of an entry's canonical JSON (every field but `entry_hash`)."""
    return chain_hash(fields, _HASHED)


def archive_document(engine: Engine, root: Path, source: Path, fields: dict, retries: int = 20) -> IssuedDocument:
    """Store the file `source` in the archive (unless the archive holds those bytes already) and
    append its entry to the chain, in one transaction. `fields`: every column but `seq`,
    `sha256`, `size`, `recorded_*` and the hashes. `AlreadyIssued` when another run recorded
    the same workbook, invoice and format first (its file is then left as it was)."""
    return archive_documents(engine, root, [(source, file_sha256(source), fields)], retries)[0]


def archive_documents(engine: Engine, root: Path, documents: list[tuple[Path, str, dict]],
                      retries: int = 20) -> list[IssuedDocument]:
    """`archive_document` for a batch of (file, its SHA-256, fields): every file stored in the
    archive (each copy checked against its SHA-256 and flushed to disk), the archive's folders
    synced once, and only then every entry appended to the chain in one transaction — nothing
    is recorded before its file is durable, and the entries are all recorded or none.
    `AlreadyIssued` (nothing recorded) when another run recorded one of them first."""
    from billing.atomic import sync_folders

    if not documents:
        return []

    def store(source: Path, sha256: str, suffix: str) -> Path:
        stored = archived_path(root, sha256, suffix)
        if not stored.is_file():
            try:
                store_file(root, source, sha256, suffix)
            except AlreadyArchived:
                pass  # the same bytes, stored a moment ago by another run
        return stored.parent

    # a few files at a time: copying and flushing each to disk waits on the disk, not the processor
    with ThreadPoolExecutor(max_workers=min(8, len(documents))) as pool:
        folders = list(pool.map(lambda d: store(d[0], d[1], d[2]["suffix"]), documents))
    sync_folders([*folders, root])
    user = getpass.getuser()
    rows = [{**fields, "sha256": sha256, "size": source.stat().st_size,
             "recorded_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
             "recorded_by": user} for source, sha256, fields in documents]

    def taken() -> bool:
        keys = {(f["workbook_id"], f["invoice_no"], f["format"]) for _, _, f in documents}
        c = issued_documents.c
        with engine.connect() as conn:
            found = conn.execute(select(c.workbook_id, c.invoice_no, c.format).where(
                c.workbook_id.in_({w for w, _, _ in keys}))).all()
        for key in found:
            if tuple(key) in keys:
                raise AlreadyIssued(f"{key[1]} ({key[2]}) was issued by another run")
        return False

    taken()
    chained = append_chained_many(engine, issued_documents, rows, _HASHED, taken=taken, retries=retries)
    return [IssuedDocument(**{name: values[name] for name in IssuedDocument._fields}) for values in chained]


def _document(row) -> IssuedDocument:
    return IssuedDocument(**{name: getattr(row, name) for name in IssuedDocument._fields})


def issued_of_workbook(engine: Engine, workbook_id: str) -> list[IssuedDocument]:
    """The documents issued from one workbook, in the order they were issued."""
    return chained(engine, issued_documents, IssuedDocument, issued_documents.c.workbook_id == workbook_id)


def find_issued(engine: Engine, workbook_id: str, invoice_no: str, format_name: str) -> IssuedDocument | None:
    c = issued_documents.c
    with engine.connect() as conn:
        row = conn.execute(select(issued_documents).where((c.workbook_id == workbook_id) & (c.invoice_no == invoice_no)
                                                          & (c.format == format_name))).first()
    return _document(row) if row else None


def issued_by_sha256(engine: Engine, sha256: str) -> list[IssuedDocument]:
    """The issued documents whose file has this SHA-256 (one, unless the same bytes were issued twice)."""
    return chained(engine, issued_documents, IssuedDocument, issued_documents.c.sha256 == sha256.lower())


def all_issued(engine: Engine) -> list[IssuedDocument]:
    """Every issued document, in chain order."""
    return chained(engine, issued_documents, IssuedDocument)


def check_documents(engine: Engine, root: Path) -> list:
    """Every fault of the issued documents' chain and archived files, as
    `billing.sealing.archive_check.ArchiveFinding`s (empty: all sound): the check of the
    sealed workbooks' chain (`check_chain`), over this index."""
    from billing.sealing.archive_check import Chain, check_chain

    return check_chain(root, Chain(
        all_issued(engine), entry_hash, lambda e: f"issued document entry {e.seq} ({e.invoice_no}, {e.format})",
        "issued document entries", DOCUMENT_SUFFIXES,
        ("warning", "a run of xlbilling issue killed before recording it leaves one: issuing its workbook again "
                    "records it; else its entry was deleted")))
