"""The store: one database for the numbering registry, voids, the archive index, the issued
documents, the letters (reminders, statements), the messages sent by e-mail, the contract
periods billed, and the web portal's users, sessions, audit log and failed logins
(`billing.access`).

An embedded SQLite file by default (in the user's data directory), PostgreSQL for teams,
selected by an SQLAlchemy URL: `--db URL`, else `XLBILLING_DATABASE_URL` (`billing.config`).
The schema is explicit and versioned (`MIGRATIONS`, applied in order and recorded in
`schema_version`), so an older store is brought up to date when it is opened.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
`BEGIN IMMEDIATE`: the write lock is taken before the counter is read, so two processes
never both read the same counter. SQLite on a network share is not supported (its
locking over SMB/NFS is unreliable); a team points everyone at one PostgreSQL instead.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from billing.config import database_url
from billing.errors import BadFile

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, primary_key=True))

#: One counter per series and period: `INV-{yyyy}-{seq:06d}` numbers 2026 and 2027 apart.
series_counters = Table(
    "series_counters",
    metadata,
    Column("series_key", String(200), primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

#: Every number ever handed out, with what it was handed out for.
numbers = Table(
    "numbers",
    metadata,
    Column("number", String(100), primary_key=True),
    Column("series_key", String(200), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("workbook_id", String(64), nullable=False),
    Column("invoice_key", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("customer_id", String(200), nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("gross", Numeric(24, 6)),
    Column("currency", String(3)),
    Column("allocated_at", DateTime(timezone=True), nullable=False),
    Column("allocated_by", String(200), nullable=False),
    Column("void_reason", Text),
    Column("voided_at", DateTime(timezone=True)),
    Column("voided_by", String(200)),
    UniqueConstraint("workbook_id", "invoice_key", name="uq_numbers_workbook_key"),
    UniqueConstraint("series_key", "seq", name="uq_numbers_series_seq"),
)

#: The last place each workbook was numbered from, so the audit can look at its rows.
workbooks = Table(
    "workbooks",
    metadata,
    Column("workbook_id", String(64), primary_key=True),
    Column("path", Text, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)


#: The archive index: one entry per sealed workbook stored in the archive folder, each
#: carrying the hash of the entry before it (a hash chain; `billing.sealing.archive`).
archive_entries = Table(
    "archive_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("suffix", String(8), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content_digest", String(64), nullable=False, index=True),
    Column("workbook_id", String(64), nullable=False, index=True),
    Column("period", String(7), nullable=False),
    Column("first_customer", String(200)),
    Column("last_customer", String(200)),
    Column("first_invoice", String(100)),
    Column("last_invoice", String(100)),
    Column("original_name", Text, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("sealed_at", String(32), nullable=False),
    Column("archived_at", String(32), nullable=False),  # UTC ISO text: hashed exactly as stored
    Column("archived_by", String(200), nullable=False),
    Column("retention_until", Date, nullable=False),
    Column("previous_hash", String(64), nullable=False, unique=True),  # unique: the chain cannot fork
    Column("entry_hash", String(64), nullable=False, unique=True),
)
#: The portal's archive list sorts by these columns, ties by entry number
#: (`billing.web.listing.SORTS`): with an index each, a page of a sorted list is read in
#: order instead of sorting the whole index for every page (migration 8 adds them to an
#: older store; a new one has them with its table).
ARCHIVE_SORT_INDEXES = tuple(
    Index(f"ix_archive_entries_{name}_seq", archive_entries.c[column], archive_entries.c.seq)
    for name, column in (("period", "period"), ("sealer", "archived_by"), ("archived", "archived_at"),
                         ("name", "original_name"), ("workbook", "workbook_id")))


#: The issued documents (`xlbilling issue`): one entry per document file, stored in the archive
#: folder under its SHA-256 like a sealed workbook, in a hash chain of its own
#: (`billing.sealing.issued`). One document per workbook, invoice number and format: issued
#: means immutable, a correction is a credit note.
issued_documents = Table(
    "issued_documents",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("workbook_id", String(64), nullable=False, index=True),
    Column("invoice_no", String(100), nullable=False),
    Column("invoice_key", String(200), nullable=False),
    Column("format", String(20), nullable=False),
    Column("file_name", Text, nullable=False),  # where `issue` wrote it, relative to its --out folder
    Column("sha256", String(64), nullable=False, index=True),
    Column("suffix", String(8), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("source_digest", String(64), nullable=False),  # SHA-256 of the document record it was made from
    Column("rules", Text, nullable=False),  # the official rules it passed ("" for a plain PDF)
    Column("issue_date", Date, nullable=False),
    Column("recorded_at", String(32), nullable=False),  # UTC ISO text: hashed exactly as stored
    Column("recorded_by", String(200), nullable=False),
    Column("previous_hash", String(64), nullable=False, unique=True),  # unique: the chain cannot fork
    Column("entry_hash", String(64), nullable=False, unique=True),
    UniqueConstraint("workbook_id", "invoice_no", "format", name="uq_issued_documents_invoice_format"),
)


#: Documents other than invoices that may be sent (`billing.sealing.letters`): a reminder or a
#: customer statement, its file stored write-once in the archive folder under its SHA-256.
#: One letter per workbook, kind, customer, currency and date.
letters = Table(
    "letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workbook_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # reminder | statement
    Column("customer_id", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("date", Date, nullable=False),
    Column("level", Integer),  # a reminder's level; None for a statement
    Column("file_name", Text, nullable=False),  # where it was written, relative to its output folder
    Column("sha256", String(64), nullable=False),
    Column("suffix", String(8), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", String(32), nullable=False),  # UTC ISO text
    UniqueConstraint("workbook_id", "kind", "customer_id", "currency", "date", name="uq_letters_document"),
)

#: Every e-mail message `xlbilling send` made (`billing.delivery.record`): recorded as `sending`
#: before the server is spoken to, then `sent`, `queued` (a temporary failure, tried again on the
#: next run), `failed` (the server refused it for good) or `uncertain` (a run stopped between
#: the two: it may have been delivered, so it is not sent again unless asked).
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(250), nullable=False, unique=True),
    Column("workbook_id", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # invoice | credit_note | reminder | statement
    Column("document", String(200), nullable=False),  # the invoice number, or the letter's id
    Column("customer_id", String(200), nullable=False),
    Column("recipient", Text, nullable=False),
    Column("generation", Integer, nullable=False),  # 1, then 2… for each deliberate resend of a sent message
    Column("subject", Text, nullable=False),
    Column("attachments", Text, nullable=False),  # JSON: [{"name", "sha256"}]
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("created_at", String(32), nullable=False),  # UTC ISO text
    Column("sent_at", String(32)),
    UniqueConstraint("workbook_id", "kind", "document", "recipient", "generation", name="uq_messages_generation"),
)


#: Every contract period `xlbilling bill` billed (`billing.schedules.billed`): recorded as
#: `pending` before the workbook is written, `done` once the draft is in it. One row per
#: workbook, contract line (contract_id, description) and period start: a period is billed once.
billed_periods = Table(
    "billed_periods",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workbook_id", String(64), nullable=False, index=True),
    Column("contract_id", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("period_from", Date, nullable=False),
    Column("period_to", Date, nullable=False),
    Column("invoice_key", String(200), nullable=False),
    Column("terms_digest", String(64), nullable=False),  # SHA-256 of the line's terms as billed
    Column("net", Numeric(24, 6), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("state", String(10), nullable=False),  # pending | done
    Column("billed_at", String(32), nullable=False),  # UTC ISO text
    UniqueConstraint("workbook_id", "contract_id", "description", "period_from", name="uq_billed_periods_period"),
)


#: The web portal's users (`billing.access.users`). `name_key` is the name case-folded: names
#: are unique regardless of case. Only an Argon2 hash of the password is kept, never the password.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", String(32), nullable=False),  # UTC ISO text
    Column("password_changed_at", String(32), nullable=False),
    Column("disabled", Boolean, nullable=False),
)

#: Who did what in the portal and with the users (`billing.access.audit`): every login,
#: download, upload and verify. Appended to, never changed.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False, index=True),  # UTC ISO text, fixed width: sorts as time
    Column("user_name", String(100)),  # None: nobody logged in (a failed login names the name tried in detail)
    Column("action", String(40), nullable=False, index=True),
    Column("subject", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("remote_addr", String(64)),
)

#: Failed logins per (user, address) for the throttle (`billing.access.throttle`), kept in the
#: store so every server process sees the same count.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name_key", String(100), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", String(32), nullable=False),  # UTC ISO text, fixed width: sorts as time
    Index("ix_login_failures_who", "name_key", "address", "at"),
)


#: The portal's sessions (`billing.access.sessions`): the cookie carries a random session id,
#: the store only its SHA-256, so a copy of the table opens no session. A row is the session:
#: logging out deletes it, and a cookie whose row is gone (or past its times) is nobody's.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("sid_hash", String(64), primary_key=True),
    Column("name_key", String(100), nullable=False, index=True),  # the user's name as names compare
    Column("created_at", String(32), nullable=False),  # UTC ISO text, fixed width: sorts as time
    Column("last_seen", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False, index=True),  # the absolute end, whatever the activity
    Column("client", String(64), nullable=False),
)


def _v1(conn) -> None:
    metadata.create_all(conn, tables=[series_counters, numbers, workbooks])


def _v2(conn) -> None:
    metadata.create_all(conn, tables=[archive_entries])


def _v3(conn) -> None:
    metadata.create_all(conn, tables=[issued_documents])


def _v4(conn) -> None:
    metadata.create_all(conn, tables=[letters, messages])


def _v5(conn) -> None:
    metadata.create_all(conn, tables=[billed_periods])


def _v6(conn) -> None:
    metadata.create_all(conn, tables=[users, audit_log, login_failures])


def _v7(conn) -> None:
    metadata.create_all(conn, tables=[web_sessions])


def _v8(conn) -> None:
    for index in ARCHIVE_SORT_INDEXES:
        index.create(conn, checkfirst=True)


#: Schema migrations: version number → the step that brings the store to it.
MIGRATIONS: dict[int, Callable] = {1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5, 6: _v6, 7: _v7, 8: _v8}


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, crash-safe
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # writers take the lock up front; a connection marked read_only reads a snapshot
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def open_store(url: str | None = None) -> Engine:
    """An engine on the store at `url` (default: env, then the embedded file), schema current."""
    resolved = database_url(url)
    try:
        engine = create_engine(resolved, future=True, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise BadFile(f"cannot use the database URL {_safe(resolved)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    try:
        migrate(engine)
    except SQLAlchemyError as exc:
        raise BadFile(f"cannot open the store {_safe(resolved)}: {' '.join(str(exc).split())[:200]}") from None
    return engine


def migrate(engine: Engine) -> int:
    """Apply the migrations the store lacks; returns its schema version."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # two first runs must not both create the schema
            conn.execute(text("SELECT pg_advisory_xact_lock(7215843)"))
        if not inspect(conn).has_table("schema_version"):
            schema_version.create(conn)
        current = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar() or 0
        for version in sorted(v for v in MIGRATIONS if v > current):
            MIGRATIONS[version](conn)
            conn.execute(schema_version.insert().values(version=version))
            current = version
    return current


def _safe(url: str) -> str:
    """A URL fit for a message: the password hidden."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable URL>"
