"""Letters in the write-once archive: reminders and customer statements that may be sent.

`xlbilling remind` and `xlbilling statements --pdf` store every letter file they produce in
the same content-addressed archive as the issued invoices, `<archive>/<sha256[:2]>/<sha256>
<suffix>`, read-only and never replaced (`billing.sealing.archive.store_file`), and index it
in the store's `letters` table: workbook, kind (`reminder` or `statement`), customer,
currency, date, level, where the file was written, its SHA-256 and size. `xlbilling send`
reads the index to know which letters there are and attaches the archived bytes.

One letter per (workbook, kind, customer, currency, date), a unique key in the store: the
same letter recorded again with the same bytes is the letter already recorded; with other
bytes it is refused (`LetterChanged`) — a letter, once made, is what was made.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from billing.errors import BadFile
from billing.sealing.archive import AlreadyArchived, archived_path, file_sha256, store_file
from billing.store import letters

#: The kinds of letter the index holds.
LETTER_KINDS = ("reminder", "statement")


class Letter(NamedTuple):
    """One letter as the index records it."""

    id: int
    workbook_id: str
    kind: str
    customer_id: str
    currency: str
    date: dt.date
    level: int | None
    file_name: str
    sha256: str
    suffix: str
    size: int
    created_at: str

    def as_dict(self) -> dict:
        return {**self._asdict(), "date": self.date.isoformat()}


class LetterChanged(BadFile):
    """The letter was recorded before with other bytes: a letter is never replaced."""


def _letter(row) -> Letter:
    return Letter(**{name: getattr(row, name) for name in Letter._fields})


def find_letter(engine: Engine, workbook_id: str, kind: str, customer_id: str, currency: str,
                date: dt.date) -> Letter | None:
    c = letters.c
    with engine.connect() as conn:
        row = conn.execute(select(letters).where((c.workbook_id == workbook_id) & (c.kind == kind)
                                                 & (c.customer_id == customer_id) & (c.currency == currency)
                                                 & (c.date == date))).first()
    return _letter(row) if row else None


def archive_letter(engine: Engine, root: Path, source: Path, *, workbook_id: str, kind: str, customer_id: str,
                   currency: str, date: dt.date, file_name: str, level: int | None = None) -> Letter:
    """Store the letter file `source` in the archive (unless it holds those bytes already) and
    index it; returns its index entry. The same letter again with the same bytes returns the
    entry recorded before; with other bytes `LetterChanged`."""
    if kind not in LETTER_KINDS:
        raise ValueError(f"a letter is a {' or a '.join(LETTER_KINDS)}, not {kind!r}")
    sha256, suffix = file_sha256(source), Path(source).suffix.lower()
    earlier = find_letter(engine, workbook_id, kind, customer_id, currency, date)
    if earlier is not None:
        return _same(earlier, sha256)
    if not archived_path(root, sha256, suffix).is_file():
        try:
            store_file(root, Path(source), sha256, suffix)
        except AlreadyArchived:
            pass  # the same bytes, stored a moment ago by another run
    values = {"workbook_id": workbook_id, "kind": kind, "customer_id": customer_id, "currency": currency,
              "date": date, "level": level, "file_name": file_name, "sha256": sha256, "suffix": suffix,
              "size": Path(source).stat().st_size,
              "created_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    try:
        with engine.begin() as conn:
            new_id = conn.execute(letters.insert().values(**values)).inserted_primary_key[0]
    except IntegrityError:  # another run recorded this letter first
        earlier = find_letter(engine, workbook_id, kind, customer_id, currency, date)
        if earlier is None:
            raise
        return _same(earlier, sha256)
    return Letter(id=new_id, **values)


def _same(earlier: Letter, sha256: str) -> Letter:
    if earlier.sha256 != sha256:
        raise LetterChanged(f"the {earlier.kind} to {earlier.customer_id} ({earlier.currency}) of {earlier.date} was "
                            f"recorded with other bytes (sha256 {earlier.sha256[:16]}…); a letter is never replaced")
    return earlier


def letters_of_workbook(engine: Engine, workbook_id: str, kinds: tuple[str, ...] = LETTER_KINDS) -> list[Letter]:
    """The letters of one workbook of these kinds, in the order they were recorded."""
    with engine.connect() as conn:
        rows = conn.execute(select(letters).where((letters.c.workbook_id == workbook_id) & letters.c.kind.in_(kinds))
                            .order_by(letters.c.id)).all()
    return [_letter(row) for row in rows]


def letter_file(root: Path, letter: Letter) -> Path:
    """Where the archive keeps a letter's bytes."""
    return archived_path(root, letter.sha256, letter.suffix)
