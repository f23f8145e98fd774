"""The archive of sealed workbooks: write-once files, an index in the store, a hash chain.

Each sealed workbook is stored byte for byte under its own SHA-256,
`<archive>/<sha256[:2]>/<sha256>.xlsx` (or `.xlsm`), made read-only and never replaced: a
second file with the same name is refused. The index (`archive_entries`, in the same store
as the numbering registry) records period, customer and invoice ranges, workbook id,
digests, when it was archived and how long it must be kept. Each entry's `entry_hash` is
the SHA-256 of its fields (canonical JSON, `previous_hash` included), and `previous_hash`
is the entry before it's hash (64 zeros for the first): editing, deleting or reordering
an entry breaks the chain, and the head (`xlbilling archive head`) written down elsewhere
shows whether entries were cut off the end. `check_archive` re-hashes all of it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError

from billing.atomic import publish_new
from billing.config import archive_dir  # noqa: F401 (where the archive is: callers ask here)
from billing.errors import BadFile
from billing.sealing.record import canonical_json
from billing.store import archive_entries

GENESIS = "0" * 64
_HASHED = tuple(c.name for c in archive_entries.columns if c.name != "entry_hash")


class Entry(NamedTuple):
    """One archived workbook as the index records it."""

    seq: int
    sha256: str
    suffix: str
    size: int
    content_digest: str
    workbook_id: str
    period: str
    first_customer: str | None
    last_customer: str | None
    first_invoice: str | None
    last_invoice: str | None
    original_name: str
    key_id: str
    sealed_at: str
    archived_at: str
    archived_by: str
    retention_until: dt.date
    previous_hash: str
    entry_hash: str

    def as_dict(self) -> dict:
        """The entry as JSON-ready values."""
        return {**self._asdict(), "retention_until": self.retention_until.isoformat()}


class AlreadyArchived(BadFile):
    """The archive already holds a file under this name; it is never replaced."""


def chain_hash(fields: dict, names: tuple[str, ...]) -> str:
    """SHA-256 of the canonical JSON of an entry's `names` (every column but `entry_hash`),
    dates in ISO form: the hash of one link of a hash-chained index."""
    values = {name: fields[name].isoformat() if isinstance(fields[name], dt.date) else fields[name]
              for name in names}
    return hashlib.sha256(canonical_json(values)).hexdigest()


def entry_hash(fields: dict) -> str:
    """SHA-256 of an archive entry's canonical JSON (every field but `entry_hash`)."""
    return chain_hash(fields, _HASHED)


def append_chained(engine: Engine, table, fields: dict, hashed: tuple[str, ...], taken, retries: int = 20) -> dict:
    """Append `fields` to the hash-chained `table` after its head, in one transaction: the
    row's `seq`, `previous_hash` (the head's `entry_hash`, `GENESIS` for the first) and
    `entry_hash` are filled in, and the row is returned. `previous_hash` is unique, so two
    writers at once cannot both extend the same head: the loser retries — unless `taken()`
    says the other one recorded this very entry (it may raise an error of its own instead)."""
    return append_chained_many(engine, table, [fields], hashed, taken, retries)[0]


def append_chained_many(engine: Engine, table, rows: list[dict], hashed: tuple[str, ...], taken,
                        retries: int = 20) -> list[dict]:
    """`append_chained` for several rows, in order, in one transaction (one commit, not one per
    row): all of them are appended, or none. The loser of a race retries the whole batch."""
    for attempt in range(retries):
        try:
            with engine.begin() as conn:
                head = conn.execute(select(table).order_by(table.c.seq.desc()).limit(1)).first()
                seq, previous = (head.seq, head.entry_hash) if head else (0, GENESIS)
                chained = []
                for fields in rows:
                    seq += 1
                    values = {**fields, "seq": seq, "previous_hash": previous}
                    values["entry_hash"] = previous = chain_hash(values, hashed)
                    chained.append(values)
                if chained:
                    conn.execute(table.insert(), chained)
                return chained
        except (IntegrityError, OperationalError):
            if attempt == retries - 1 or taken():
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def archived_path(root: Path, sha256: str, suffix: str) -> Path:
    """Where the archive keeps the file with this SHA-256: `<root>/<sha256[:2]>/<sha256><suffix>`."""
    return root / sha256[:2] / f"{sha256}{suffix}"


def store_file(root: Path, source: Path, sha256: str, suffix: str) -> Path:
    """Copy `source` into the archive under its SHA-256, read-only; refuse an existing name.
    The file is on disk when this returns; its name is once its folder is synced
    (`billing.atomic.sync_folders`, once for a batch of files)."""
    dest = archived_path(root, sha256, suffix)
    if dest.exists():
        raise AlreadyArchived(f"{dest} is already in the archive; archived files are never replaced")
    dest.parent.mkdir(parents=True, exist_ok=True)

    def copy(tmp: Path) -> None:
        shutil.copyfile(source, tmp)
        if file_sha256(tmp) != sha256:
            raise BadFile(f"{source} changed while it was being archived")

    try:
        publish_new(dest, copy, mode=0o444)  # never replaces: two sealers cannot overwrite each other
    except FileExistsError:
        raise AlreadyArchived(f"{dest} is already in the archive; archived files are never replaced") from None
    return dest


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 28 February).

    >>> add_years(dt.date(2024, 2, 29), 10)
    datetime.date(2034, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def record_entry(engine: Engine, fields: dict, retries: int = 20) -> Entry:
    """Append an entry to the index, chained to the current head, in one transaction.

    `fields` holds every column but `seq`, `previous_hash` and `entry_hash`. Two sealers at
    once cannot both extend the same head (`previous_hash` is unique): the loser retries."""
    values = append_chained(engine, archive_entries, fields, _HASHED,
                            taken=lambda: find_entry(engine, fields["sha256"]) is not None, retries=retries)
    return Entry(**{name: values[name] for name in Entry._fields})


def archive_sealed(engine: Engine, root: Path, source: Path, *, sha256: str, suffix: str, record: dict,
                   original_name: str, retention_years: int, archived_by: str | None = None,
                   now: dt.datetime | None = None) -> Entry:
    """Archive the sealed workbook at `source` (its SHA-256 `sha256`, a `suffix` workbook, its seal `record`): the
    file stored read-only under its SHA-256, then indexed at the head of the chain. If the
    index refuses the entry, the file just stored goes again: the archive never holds a file
    its index does not name. The one writer of the archive: `xlbilling seal` and the portal's
    upload both archive through here. `archived_by`: who (default: the user running this)."""
    stored = store_file(root, source, sha256, suffix)
    try:
        return record_entry(engine, new_entry_fields(
            sha256=sha256, suffix=suffix, size=source.stat().st_size, record=record, original_name=original_name,
            retention_years=retention_years, archived_by=archived_by, now=now))
    except BaseException:
        os.chmod(stored, 0o600)  # ours, made a moment ago: the index never saw it
        stored.unlink(missing_ok=True)
        raise


def new_entry_fields(*, sha256: str, suffix: str, size: int, record: dict, original_name: str,
                     retention_years: int, archived_by: str | None = None, now: dt.datetime | None = None) -> dict:
    """The index fields of a sealed workbook about to be archived (`archived_by`: default the user running this)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    customers = record.get("customers") or {}
    invoices = record.get("invoice_numbers") or {}
    return {
        "sha256": sha256, "suffix": suffix, "size": size, "content_digest": record["content_digest"],
        "workbook_id": record["workbook_id"], "period": record["period"],
        "first_customer": customers.get("first"), "last_customer": customers.get("last"),
        "first_invoice": invoices.get("first"), "last_invoice": invoices.get("last"),
        "original_name": original_name, "key_id": record["key_id"], "sealed_at": record["sealed_at"],
        "archived_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "archived_by": archived_by or getpass.getuser(),
        "retention_until": add_years(now.date(), retention_years),
    }


def chained(engine: Engine, table, record, where=None) -> list:
    """The rows of the hash-chained `table` (all, or those `where` selects) in chain order,
    each as a `record` (a NamedTuple of some of its columns)."""
    query = select(table) if where is None else select(table).where(where)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(table.c.seq)).all()
    return [record(**{name: getattr(row, name) for name in record._fields}) for row in rows]


def entries(engine: Engine) -> list[Entry]:
    """Every index entry, in chain order."""
    return chained(engine, archive_entries, Entry)


def _entry(row) -> Entry:
    return Entry(**{name: getattr(row, name) for name in Entry._fields})


def find_entry(engine: Engine, key: str) -> Entry | None:
    """The entry with this sequence number, SHA-256, or unambiguous SHA-256 prefix (≥ 8 digits)."""
    column = archive_entries.c
    if key.isdigit() and len(key) < 8:
        condition = column.seq == int(key)
    elif len(key) == 64:
        condition = column.sha256 == key.lower()
    elif len(key) >= 8:
        condition = column.sha256.like(key.lower() + "%")
    else:
        return None
    with engine.connect() as conn:
        rows = conn.execute(select(archive_entries).where(condition).limit(2)).all()
    if len(rows) != 1:
        return None
    return _entry(rows[0])


def entries_of_workbook(engine: Engine, workbook_id: str) -> list[Entry]:
    """The archived seals of one workbook, oldest first."""
    return chained(engine, archive_entries, Entry, archive_entries.c.workbook_id == workbook_id)


def head(engine: Engine) -> Entry | None:
    """The last entry of the chain (None for an empty archive)."""
    with engine.connect() as conn:
        row = conn.execute(select(archive_entries).order_by(archive_entries.c.seq.desc()).limit(1)).first()
    return _entry(row) if row else None
