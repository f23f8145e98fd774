"""The archive: write-once files, the index in the store (SQLite and PostgreSQL), the chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat

import pytest
from sqlalchemy import delete, update

from billing.sealing.archive import (
    GENESIS,
    AlreadyArchived,
    add_years,
    archive_dir,
    archived_path,
    entries,
    entry_hash,
    find_entry,
    head,
    new_entry_fields,
    record_entry,
    store_file,
)
from billing.sealing.archive_check import check_archive
from billing.store import archive_entries, open_store

NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)


def archive_one(engine, root, tmp_path, name: str, content: bytes, period: str = "2026-10"):
    source = tmp_path / name
    source.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    store_file(root, source, sha, ".xlsx")
    record = {"content_digest": hashlib.sha256(b"c" + content).hexdigest(), "workbook_id": "wb-1",
              "period": period, "key_id": "0123456789abcdef", "sealed_at": "2026-11-02T09:30:00Z",
              "customers": {"first": "C0001", "last": "C0042", "count": 9},
              "invoice_numbers": {"first": "INV-2026-000001", "last": "INV-2026-000120", "count": 120}}
    return record_entry(engine, new_entry_fields(sha256=sha, suffix=".xlsx", size=len(content), record=record,
                                                 original_name=name, retention_years=8, now=NOW))


@pytest.fixture
def archive(store_url, tmp_path):
    engine = open_store(store_url)
    root = tmp_path / "archive"
    made = [archive_one(engine, root, tmp_path, f"book{i}.xlsx", f"workbook {i}".encode()) for i in (1, 2, 3)]
    yield engine, root, made
    engine.dispose()


def kinds(findings):
    return sorted((f.kind, f.seq) for f in findings)


def test_entries_chain_and_carry_what_was_archived(archive):
    engine, root, made = archive
    assert [e.seq for e in entries(engine)] == [1, 2, 3]
    first, second, third = entries(engine)
    assert first.previous_hash == GENESIS
    assert second.previous_hash == first.entry_hash and third.previous_hash == second.entry_hash
    assert entry_hash(third._asdict()) == third.entry_hash
    assert (first.period, first.first_customer, first.last_customer, first.first_invoice, first.last_invoice) == (
        "2026-10", "C0001", "C0042", "INV-2026-000001", "INV-2026-000120")
    assert first.retention_until == dt.date(2034, 11, 2)
    assert first.archived_at == "2026-11-02T09:30:00.000000Z"
    assert head(engine) == third
    assert find_entry(engine, "2") == second and find_entry(engine, second.sha256[:10]) == second
    assert check_archive(engine, root) == []
    assert check_archive(engine, root, third.entry_hash) == []


def test_archived_files_are_read_only_and_never_replaced(archive, tmp_path):
    engine, root, made = archive
    path = archived_path(root, made[0].sha256, ".xlsx")
    assert path.read_bytes() == b"workbook 1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    source = tmp_path / "again.xlsx"
    source.write_bytes(b"workbook 1")
    with pytest.raises(AlreadyArchived, match="never replaced"):
        store_file(root, source, made[0].sha256, ".xlsx")
    assert path.read_bytes() == b"workbook 1"


def test_a_swapped_file_is_found(archive):
    engine, root, made = archive
    path = archived_path(root, made[1].sha256, ".xlsx")
    os.chmod(path, 0o644)
    path.write_bytes(b"another workbook")
    found = check_archive(engine, root)
    assert kinds(found) == [("altered_file", 2)]
    assert found[0].message.startswith(f"entry 2: the archived file {path} was altered or swapped")


def test_a_missing_file_and_a_writable_one(archive):
    engine, root, made = archive
    archived_path(root, made[0].sha256, ".xlsx").unlink()
    os.chmod(archived_path(root, made[2].sha256, ".xlsx"), 0o644)
    found = check_archive(engine, root)
    assert [(f.severity, f.kind, f.seq) for f in found] == [("error", "missing_file", 1), ("warning", "writable_file", 3)]


def test_a_deleted_index_row_is_found(archive):
    engine, root, made = archive
    with engine.begin() as conn:
        conn.execute(delete(archive_entries).where(archive_entries.c.seq == 2))
    assert kinds(check_archive(engine, root)) == [("broken_chain", 3), ("missing_entries", 3), ("unindexed_file", None)]


def test_the_last_row_deleted_shows_against_the_head_written_down(archive):
    engine, root, made = archive
    written_down = head(engine).entry_hash
    with engine.begin() as conn:
        conn.execute(delete(archive_entries).where(archive_entries.c.seq == 3))
    assert kinds(check_archive(engine, root, written_down)) == [("unindexed_file", None), ("unknown_head", None)]


def test_a_broken_chain_and_an_edited_entry_are_found(archive):
    engine, root, made = archive
    with engine.begin() as conn:
        conn.execute(update(archive_entries).where(archive_entries.c.seq == 2).values(previous_hash="f" * 64))
        conn.execute(update(archive_entries).where(archive_entries.c.seq == 3).values(period="2026-09"))
    assert kinds(check_archive(engine, root)) == [("altered_entry", 2), ("altered_entry", 3), ("broken_chain", 2)]


def test_the_chain_cannot_fork(archive, tmp_path):
    engine, root, made = archive
    fields = new_entry_fields(sha256="e" * 64, suffix=".xlsx", size=1, record={
        "content_digest": "d" * 64, "workbook_id": "wb-2", "period": "2026-11", "key_id": "k",
        "sealed_at": "s"}, original_name="x.xlsx", retention_years=10, now=NOW)
    values = {**fields, "seq": 9, "previous_hash": made[2].previous_hash}
    values["entry_hash"] = entry_hash(values)
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(archive_entries.insert().values(**values))


def test_add_years_and_the_default_folder(tmp_path, monkeypatch):
    assert add_years(dt.date(2026, 10, 31), 10) == dt.date(2036, 10, 31)
    assert add_years(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)
    monkeypatch.delenv("XLBILLING_ARCHIVE_DIR")
    assert archive_dir(None, f"sqlite:///{tmp_path / 'store.db'}") == tmp_path.resolve() / "archive"
    assert archive_dir(tmp_path / "elsewhere", None) == tmp_path / "elsewhere"
    monkeypatch.setenv("XLBILLING_ARCHIVE_DIR", str(tmp_path / "env"))
    assert archive_dir(None, f"sqlite:///{tmp_path / 'store.db'}") == tmp_path / "env"


def test_an_older_store_gets_the_archive_index(tmp_path, monkeypatch):
    import billing.store as store
    from sqlalchemy import inspect

    url = f"sqlite:///{tmp_path / 'old.db'}"
    monkeypatch.setattr(store, "MIGRATIONS", {1: store.MIGRATIONS[1]})
    old = open_store(url)
    assert not inspect(old).has_table("archive_entries")
    old.dispose()
    monkeypatch.undo()
    engine = open_store(url)
    assert inspect(engine).has_table("archive_entries") and store.migrate(engine) == max(store.MIGRATIONS)
    engine.dispose()


def test_an_older_store_gets_the_archive_lists_sort_indexes(store_url):
    """Migration 8: a store made before it (archive table without the sort indexes) gets them,
    once; a new store has them from the start."""
    import billing.store as store
    from sqlalchemy import create_engine, inspect, text

    wanted = {index.name for index in store.ARCHIVE_SORT_INDEXES}
    engine = create_engine(store_url)
    with engine.begin() as conn:
        store.schema_version.create(conn)
        conn.execute(text("CREATE TABLE archive_entries (seq INTEGER PRIMARY KEY, period VARCHAR(7), "
                          "archived_by VARCHAR(200), archived_at VARCHAR(32), original_name TEXT, "
                          "workbook_id VARCHAR(64))"))
        for version in sorted(v for v in store.MIGRATIONS if v < 8):
            if version != 2:  # the archive table as an older release made it, above
                store.MIGRATIONS[version](conn)
            conn.execute(store.schema_version.insert().values(version=version))
    assert not wanted & {ix["name"] for ix in inspect(engine).get_indexes("archive_entries")}
    assert store.migrate(engine) == max(store.MIGRATIONS) and store.migrate(engine) == max(store.MIGRATIONS)
    assert wanted <= {ix["name"] for ix in inspect(engine).get_indexes("archive_entries")}
    engine.dispose()
    fresh = open_store(store_url.replace("store.sqlite", "fresh.sqlite")) if "sqlite" in store_url else None
    if fresh is not None:
        assert wanted <= {ix["name"] for ix in inspect(fresh).get_indexes("archive_entries")}
        fresh.dispose()


# -- issued documents: a batch archived, then recorded in one transaction ----------------------------


def _issued_fields(invoice_no: str, format_name: str, suffix: str) -> dict:
    return {"workbook_id": "wb-1", "invoice_no": invoice_no, "invoice_key": "k", "format": format_name,
            "file_name": f"2026-10/{invoice_no}{suffix}", "suffix": suffix, "source_digest": "d" * 64,
            "rules": "", "issue_date": dt.date(2026, 10, 31)}


def test_a_batch_of_issued_documents_is_stored_synced_and_chained_in_one_go(store_url, tmp_path, monkeypatch):
    import billing.atomic
    from billing.sealing.issued import AlreadyIssued, archive_documents, check_documents, issued_of_workbook

    engine = open_store(store_url)
    root = tmp_path / "archive"
    batch = []
    for n, (number, fmt, suffix) in enumerate((("INV-1", "pdf", ".pdf"), ("INV-1", "ubl", ".xml"),
                                               ("INV-2", "pdf", ".pdf"))):
        source = tmp_path / f"{number}-{fmt}{suffix}"
        source.write_bytes(f"document {n}".encode())
        batch.append((source, hashlib.sha256(source.read_bytes()).hexdigest(), _issued_fields(number, fmt, suffix)))
    synced = []
    real_sync = billing.atomic.sync_folders
    monkeypatch.setattr(billing.atomic, "sync_folders", lambda folders: synced.append(list(folders)) or
                        real_sync(folders))
    made = archive_documents(engine, root, batch)
    assert [m.seq for m in made] == [1, 2, 3] and made[0].previous_hash == GENESIS
    assert made[1].previous_hash == made[0].entry_hash and made[2].previous_hash == made[1].entry_hash
    assert len(synced) == 1 and set(synced[0]) == {root, *(archived_path(root, s, f["suffix"]).parent
                                                          for _, s, f in batch)}
    for (source, sha, fields), entry in zip(batch, made):
        assert archived_path(root, sha, fields["suffix"]).read_bytes() == source.read_bytes()
        assert entry.sha256 == sha and entry.size == source.stat().st_size
    assert check_documents(engine, root) == []
    # one of a batch recorded before by another run: the batch is refused and nothing of it recorded
    other = tmp_path / "INV-3.pdf"
    other.write_bytes(b"document 3")
    again = [(other, hashlib.sha256(b"document 3").hexdigest(), _issued_fields("INV-3", "pdf", ".pdf")), batch[2]]
    with pytest.raises(AlreadyIssued, match="INV-2"):
        archive_documents(engine, root, again)
    assert [d.invoice_no for d in issued_of_workbook(engine, "wb-1")] == ["INV-1", "INV-1", "INV-2"]
    engine.dispose()


def test_a_stored_copy_that_is_not_the_bytes_named_is_refused_before_anything_is_recorded(store_url, tmp_path):
    from billing.errors import BadFile
    from billing.sealing.issued import archive_documents, issued_of_workbook

    engine = open_store(store_url)
    source = tmp_path / "INV-1.pdf"
    source.write_bytes(b"what the worker wrote")
    with pytest.raises(BadFile, match="changed while it was being archived"):
        archive_documents(engine, tmp_path / "archive", [(source, "0" * 64, _issued_fields("INV-1", "pdf", ".pdf"))])
    assert issued_of_workbook(engine, "wb-1") == []
    engine.dispose()
