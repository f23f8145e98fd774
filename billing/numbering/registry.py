"""The numbering registry: unique, gap-free, idempotent invoice numbers in the store.

`assign` gives every request a number in one transaction. Asking again for the same
`(workbook_id, invoice_key)` returns the number recorded for it; a request whose customer,
issue date or kind differs from what was recorded (a copied workbook reusing its keys)
is refused, naming the row. A series counter is a row locked by `UPDATE … RETURNING`
inside the transaction (not a database sequence, which leaves gaps on rollback), so a
crash before commit leaves neither a gap nor a duplicate. Numbers already in a workbook
that the registry does not know are adopted first: recorded as they are, with the
counter moved past them, so the registry never hands out a number a workbook holds.
"""

from __future__ import annotations

import datetime as dt
import getpass
import time
from decimal import Decimal
from typing import Iterable, NamedTuple, Sequence

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from billing.numbering.series import parse, render, series_key
from billing.store import numbers, series_counters, workbooks

ADOPTED = "(adopted)"


class Request(NamedTuple):
    """One invoice asking for its number (or presenting the one it has, to adopt)."""

    workbook_id: str
    invoice_key: str
    kind: str
    customer_id: str
    issue_date: dt.date
    gross: Decimal | None
    currency: str | None
    pattern: str  # the series pattern of its kind
    place: str  # where the row is, for refusals: `Invoices!7:7`
    number: str | None = None  # a number the workbook already shows


class Refusal(NamedTuple):
    place: str
    message: str


class Assignment(NamedTuple):
    invoice_key: str
    number: str
    new: bool  # handed out by this call (False: recorded before, or adopted)


class _Refused(Exception):
    def __init__(self, refusals: list[Refusal]):
        self.refusals = refusals


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _insert(engine: Engine):
    return (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)


def assign(engine: Engine, requests: Sequence[Request], user: str | None = None,
             retries: int = 20) -> tuple[list[Assignment], list[Refusal]]:
    """Numbers for the requests, all in one transaction; nothing is assigned on a refusal."""
    user = user or getpass.getuser()
    for attempt in range(retries):
        try:
            with engine.begin() as conn:
                assignments, refusals = _assign(conn, engine, requests, user)
                if refusals:
                    raise _Refused(refusals)  # rolls the whole transaction back
                return assignments, []
        except _Refused as refused:
            return [], refused.refusals
        except (IntegrityError, OperationalError):
            # another process took the same key or held the lock: the transaction rolled
            # back whole, so trying again is safe
            if attempt == retries - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def _assign(conn, engine: Engine, requests: Sequence[Request], user: str):
    keys = {(r.workbook_id, r.invoice_key) for r in requests}
    workbook_ids = {r.workbook_id for r in requests}
    known = {
        (row.workbook_id, row.invoice_key): row
        for row in conn.execute(select(numbers).where(numbers.c.workbook_id.in_(workbook_ids)))
        if (row.workbook_id, row.invoice_key) in keys
    }
    assignments: list[Assignment] = []
    refusals: list[Refusal] = []
    fresh: list[Request] = []
    adopted: list[Request] = []
    for request in requests:
        record = known.get((request.workbook_id, request.invoice_key))
        if record is None:
            if request.number:
                adopted.append(request)
                assignments.append(Assignment(request.invoice_key, request.number, False))
            else:
                fresh.append(request)
            continue
        changed = _changed(record, request)
        if changed:
            refusals.append(Refusal(request.place, f"invoice_key '{request.invoice_key}' was numbered "
                                    f"{record.number} for {changed}; a copied workbook must not reuse keys "
                                    f"(give the row a new invoice_key)"))
        elif request.number and request.number != record.number:
            refusals.append(Refusal(request.place, f"the registry gave this invoice {record.number}, "
                                    f"not {request.number}"))
        else:
            assignments.append(Assignment(request.invoice_key, record.number, False))
    refusals += _adopt(conn, engine, adopted, user)
    if refusals:
        return [], refusals
    by_series: dict[str, list[Request]] = {}
    for request in fresh:
        by_series.setdefault(series_key(request.pattern, request.issue_date), []).append(request)
    now = _now()
    for key, batch in by_series.items():
        conn.execute(_insert(engine)(series_counters).values(series_key=key, last_seq=0)
                     .on_conflict_do_nothing(index_elements=["series_key"]))
        last = conn.execute(
            update(series_counters).where(series_counters.c.series_key == key)
            .values(last_seq=series_counters.c.last_seq + len(batch))
            .returning(series_counters.c.last_seq)
        ).scalar_one()
        rows = []
        for seq, request in enumerate(batch, start=last - len(batch) + 1):
            number = render(request.pattern, request.issue_date, seq)
            rows.append(_record(request, number, key, seq, now, user))
            assignments.append(Assignment(request.invoice_key, number, True))
        conn.execute(numbers.insert(), rows)
    return assignments, []


def _changed(record, request: Request) -> str | None:
    differences = []
    if record.customer_id != request.customer_id:
        differences.append(f"customer {record.customer_id}")
    if record.issue_date != request.issue_date:
        differences.append(f"issue date {record.issue_date}")
    if record.kind != request.kind:
        differences.append(f"a {record.kind}")
    return " and ".join(differences) or None


def _record(request: Request, number: str, key: str, seq: int, now: dt.datetime, user: str) -> dict:
    return {
        "number": number, "series_key": key, "seq": seq, "workbook_id": request.workbook_id,
        "invoice_key": request.invoice_key, "kind": request.kind, "customer_id": request.customer_id,
        "issue_date": request.issue_date, "gross": request.gross, "currency": request.currency,
        "allocated_at": now, "allocated_by": user,  # the store keeps its column names (schema unchanged)
    }


def _chunks(items: list, size: int = 900) -> Iterable[list]:
    """Bounded IN lists (SQLite limits the variables of a statement)."""
    return (items[i:i + size] for i in range(0, len(items), size))


def _adopt(conn, engine: Engine, requests: list[Request], user: str) -> list[Refusal]:
    """Record numbers the workbook already holds (in bulk: a first run may bring 100k);
    refuse one that belongs to another invoice or repeats a sequence number of its series."""
    if not requests:
        return []
    holders = {}
    for chunk in _chunks([r.number for r in requests]):
        holders.update((row.number, row) for row in conn.execute(select(numbers).where(numbers.c.number.in_(chunk))))
    parsed = {r.number: parse(r.number, r.pattern) for r in requests}
    series_keys = sorted({p[0] for p in parsed.values() if p})
    used: set[tuple[str, int]] = set()
    for chunk in _chunks(series_keys):
        used.update((row.series_key, row.seq) for row in conn.execute(
            select(numbers.c.series_key, numbers.c.seq).where(numbers.c.series_key.in_(chunk))))
    refusals, rows, highest = [], [], {}
    now = _now()
    for request in requests:
        holder = holders.get(request.number)
        if holder is not None:
            refusals.append(Refusal(request.place, f"invoice_no {request.number} already belongs to invoice_key "
                                    f"'{holder.invoice_key}' of workbook {holder.workbook_id}"))
            continue
        key, seq = parsed[request.number] or (f"foreign:{request.number}", 0)
        if parsed[request.number]:
            if (key, seq) in used:
                refusals.append(Refusal(request.place, f"invoice_no {request.number} repeats a sequence number "
                                        "of its series"))
                continue
            used.add((key, seq))
            highest[key] = max(highest.get(key, 0), seq)
        rows.append(_record(request, request.number, key, seq, now, f"{user} {ADOPTED}"))
    if refusals:
        return refusals
    for key, seq in highest.items():  # the counter moves past every adopted number
        conn.execute(_insert(engine)(series_counters).values(series_key=key, last_seq=0)
                     .on_conflict_do_nothing(index_elements=["series_key"]))
        conn.execute(update(series_counters).where(series_counters.c.series_key == key,
                                                   series_counters.c.last_seq < seq).values(last_seq=seq))
    for chunk in _chunks(rows, 5000):
        conn.execute(numbers.insert(), chunk)
    return []


def record_voids(engine: Engine, workbook_id: str, voids: Iterable[tuple[str, str | None]],
                 user: str | None = None) -> int:
    """Mark numbers void (invoice_key, reason) once; a number is kept, never reused. Returns how many."""
    user = user or getpass.getuser()
    count = 0
    with engine.begin() as conn:
        for invoice_key, reason in voids:
            result = conn.execute(
                update(numbers)
                .where(numbers.c.workbook_id == workbook_id, numbers.c.invoice_key == invoice_key,
                       numbers.c.voided_at.is_(None))
                .values(void_reason=reason or "", voided_at=_now(), voided_by=user)
            )
            count += result.rowcount
    return count


def remember_workbook(engine: Engine, workbook_id: str, path: str) -> None:
    """Where the workbook was numbered from last, for the audit."""
    with engine.begin() as conn:
        stmt = _insert(engine)(workbooks).values(workbook_id=workbook_id, path=path, seen_at=_now())
        conn.execute(stmt.on_conflict_do_update(index_elements=["workbook_id"],
                                                set_={"path": path, "seen_at": _now()}))


def lookup(engine: Engine, workbook_id: str, invoice_key: str) -> str | None:
    """The number recorded for an invoice, or None: a read, never an assignment."""
    with engine.connect().execution_options(read_only=True) as conn:
        return conn.execute(select(numbers.c.number).where(
            numbers.c.workbook_id == workbook_id, numbers.c.invoice_key == invoice_key)).scalar()
