"""A portal store of any size, built in seconds, for the load test and its benchmark
(`tests/test_web_load.py`, `bench/bench_web_load.py`).

A few workbooks are sealed for real (`xlbilling keys init`, `xlbilling seal`: a signed record
embedded in each, the file archived under its SHA-256, an index entry). The rest of the
entries are copies of those sealed files that differ only in the zip archive's comment, which
no reader of the package looks at: each copy is a real archived file with a SHA-256 of its
own, a seal that reads and verifies like its original's, and an index entry whose fields are
what sealing would have written for it (period, workbook, key, digest), archived by one of a
few sealers at times that go forward. All entries are appended in one transaction through the
archive's own hash chain, so `xlbilling archive check` holds on the result.

Files are content-addressed: several stores (SQLite and PostgreSQL in one benchmark run) can
share one archive folder, each with the same index.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import struct
from pathlib import Path
from typing import NamedTuple

from argon2 import PasswordHasher

#: The Argon2 cost of the virtual users' passwords: the cost is in the hash, so logins stay cheap.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery staple"
SEALERS = ("erika", "max", "ute", "jonas")
PERIODS = ("2026-08", "2026-09", "2026-10", "2026-11")
#: Sample seeds of the workbooks sealed for real (each its own workbook id).
SEEDS = (1, 2, 3)
#: The roles the virtual users take in turn (admin may browse, not download).
USER_ROLES = ("finance", "auditor", "billing", "finance", "admin")
_EOCD = b"PK\x05\x06"


class PortalStore(NamedTuple):
    """A built store: its URL, archive folder, signing key, a sealed workbook that verifies
    intact (the newest entry's file: an older seal of the same workbook and period is
    superseded), the virtual users (name → role), and each entry's number → file SHA-256."""

    url: str
    archive: Path
    key: Path
    sealed_book: Path
    users: dict[str, str]
    sha256: dict[int, str]


def with_comment(data: bytes, comment: bytes) -> bytes:
    """The zip package `data` (which has no comment) with `comment` as its archive comment:
    the same package, other bytes.

    >>> with_comment(b"..." + _EOCD + bytes(18), b"hi")[-24:-2] == _EOCD + bytes(16) + b"\\x02\\x00"
    True
    """
    if data[-22:-18] != _EOCD or len(comment) > 0xFFFF:
        raise ValueError("not a zip package without a comment")
    return data[:-2] + struct.pack("<H", len(comment)) + comment


def _xlbilling(*args) -> None:
    from billing.cli import main

    try:
        main([str(a) for a in args])
    except SystemExit as done:
        if done.code:
            raise RuntimeError(f"xlbilling {' '.join(map(str, args))} failed ({done.code})") from None


def seal_books(home: Path, url: str, archive: Path) -> tuple[Path, list[Path]]:
    """`xlbilling keys init` and `xlbilling seal` of one sample workbook per seed and period
    into the store `url`; the key and the sealed books (their `.seal.json` beside them)."""
    import contextlib
    import io

    from billing.sample import generate_sample
    from billing.workbook.create import create_workbook

    key = home / "signing-key.pem"
    books = []
    with contextlib.redirect_stdout(io.StringIO()):  # the commands' JSON is not wanted here
        _xlbilling("keys", "init", "--key", key)
        for seed in SEEDS:
            sample = create_workbook(home / f"sample-{seed}.xlsx", generate_sample(8, seed=seed)).read_bytes()
            for period in PERIODS:
                path = home / f"Billing {seed} {period}.xlsx"
                path.write_bytes(sample)
                _xlbilling("seal", path, "--period", period, "--key", key, "--db", url, "--archive", archive, "--json")
                books.append(path)
    return key, books


def copies(books: list[Path], count: int, archive: Path, start: dt.datetime) -> list[dict]:
    """`count` archived copies of the sealed `books` (in turn) and their index fields."""
    from billing.sealing.archive import archived_path, new_entry_fields

    originals = [(book.read_bytes(), json.loads(Path(f"{book}.seal.json").read_text("utf-8"))) for book in books]
    rows = []
    for i in range(count):
        data, record = originals[i % len(originals)]
        data = with_comment(data, f"copy {i}".encode())
        sha = hashlib.sha256(data).hexdigest()
        path = archived_path(archive, sha, ".xlsx")
        if not path.exists():  # another store built beside this one shares the archive
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.chmod(path, 0o444)
        fields = new_entry_fields(sha256=sha, suffix=".xlsx", size=len(data), record=record, retention_years=10,
                                  original_name=f"Billing {record['period']} #{i}.xlsx",
                                  now=start + dt.timedelta(minutes=i))
        rows.append(fields | {"archived_by": SEALERS[i % len(SEALERS)]})
    return rows


def build_portal_store(home: Path, url: str, entries: int = 10_000, users: int = 20,
                       archive: Path | None = None) -> PortalStore:
    """A store at `url` (empty) with `entries` archive entries (real sealed files under
    `archive`, default `home/archive`) and `users` virtual users (roles `USER_ROLES` in turn,
    password `PASSWORD`)."""
    from sqlalchemy import select, text

    from billing.access.users import add_user
    from billing.sealing.archive import _HASHED, append_chained_many, archived_path
    from billing.store import archive_entries, open_store

    home.mkdir(parents=True, exist_ok=True)
    archive = archive or home / "archive"
    key, books = seal_books(home, url, archive)
    engine = open_store(url)
    try:
        rows = copies(books, max(0, entries - len(books)), archive, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
        append_chained_many(engine, archive_entries, rows, _HASHED, taken=lambda: False)
        names = {f"user{n:02d}-{USER_ROLES[n % len(USER_ROLES)]}": USER_ROLES[n % len(USER_ROLES)]
                 for n in range(users)}
        for name, role in names.items():
            add_user(engine, name, role, PASSWORD, hasher=CHEAP)
        if engine.dialect.name == "postgresql":
            # what autovacuum does within a minute of a bulk load: planner statistics and the
            # visibility map (index-only scans); a live store has both
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE archive_entries"))
        with engine.connect() as conn:
            shas = dict(conn.execute(select(archive_entries.c.seq, archive_entries.c.sha256)).all())
    finally:
        engine.dispose()
    newest = archived_path(archive, shas[max(shas)], ".xlsx")  # no later seal of its workbook and period
    return PortalStore(url, archive, key, newest, names, shas)
