"""The store's record of every contract period billed (`billed_periods`): never twice, never lost.

A period of a contract line — (workbook, contract_id, description, period_from), a unique key
in the store — is billed once. `xlbilling bill` cannot make the store's record and the
workbook's write one transaction, so it orders them:

1. `record_pending`: the periods it is about to bill, with their draft's invoice_key, in one
   committed transaction (`pending`); a period recorded before refuses the whole run;
2. the workbook is written (one atomic write: every draft of the run or none);
3. `mark_done`: the run's rows become `done`.

A run stopped between 1 and 3 leaves `pending` rows. The next run settles them first
(`settle`): the invoice_key of every draft of a run is new to the workbook (`fresh_key`), so a
pending row whose key is in the workbook was written (→ `done`: billed, never billed again)
and one whose key is absent was not (→ dropped: billed on this run, never lost). The workbook
is held for the whole run (`billing.workbook.lock`), so a pending row found at the start is
never one another run is still writing.

`terms_digest` is what a billed line is compared with later: the SHA-256 of the line's terms
and figures as billed. The same period billed with other figures is a changed contract — a
correction is a credit note, never a second bill — with one exception: an end date moved
since (an upgrade or downgrade), everything else equal, is adjusted pro rata
(`billing.schedules.adjustments`). Each adjustment is a row of the same table (same key,
same pending/done/settle life): the period's `period_from`, `period_to` the period's end
after it, its own net (negative for a credit), and the description `adjustment_description`
makes — so it is billed once, like a period.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Collection, Iterable, Mapping, NamedTuple, Sequence

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from billing.errors import BadFile
from billing.money import quantize
from billing.store import billed_periods

PENDING, DONE = "pending", "done"


class Billed(NamedTuple):
    """One billed period as the store records it."""

    contract_id: str
    description: str
    period_from: dt.date
    period_to: dt.date
    invoice_key: str
    terms_digest: str
    net: Decimal
    currency: str
    state: str = PENDING
    billed_at: str = ""

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return self.contract_id, self.description, self.period_from


class AlreadyBilled(BadFile):
    """A period the run was about to bill is recorded already (another run got there first)."""


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def terms_digest(*parts: object) -> str:
    """The SHA-256 of a billed line's terms and figures, each part as text (a Decimal's exact
    digits, a date in ISO form, None as empty), joined by a separator no part holds.

    >>> terms_digest("K1", Decimal("1.50"), dt.date(2026, 1, 1)) == terms_digest("K1", Decimal("1.50"), dt.date(2026, 1, 1))
    True
    >>> terms_digest("K1", Decimal("1.50")) == terms_digest("K1", Decimal("1.5"))
    False
    """
    text = "\x1f".join("" if p is None else p.isoformat() if isinstance(p, dt.date) else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: an adjustment's description in the store: `<description>` + ADJUSTED + `<n>` (see `adjustment_description`)
ADJUSTED = "\x1fadjustment "


def adjustment_description(description: str, n: int) -> str:
    """The store's description of the `n`-th adjustment (credit or charge pro rata, when the
    end date moved) of a period billed: the line's own with a suffix no cell text holds (a
    control character), so the row shares the table, its key and its pending/done/settle
    life with the billed periods and never meets a contract line's key.

    >>> adjustment_description("Licence", 1).split(ADJUSTED)
    ['Licence', '1']
    """
    return f"{description}{ADJUSTED}{n}"


class Coverage(NamedTuple):
    """A period billed and what its adjustments made of it: `billed` the store's row of the
    period, `covered_to` its end after the last adjustment (`billed.period_to` when none),
    `adjustments` how many."""

    billed: Billed
    covered_to: dt.date
    adjustments: int


def coverage(billed: Mapping[tuple[str, str, dt.date], Billed]) -> dict[tuple[str, str, dt.date], Coverage]:
    """Every billed period (key: contract_id, description, period_from) with its adjustments
    applied in order: an adjustment row's `period_to` is the period's end after it."""
    out = {key: Coverage(b, b.period_to, 0) for key, b in billed.items() if ADJUSTED not in b.description}
    adjustments = sorted((int(b.description.split(ADJUSTED)[1]), b) for b in billed.values()
                         if ADJUSTED in b.description)
    for n, b in adjustments:
        key = (b.contract_id, b.description.split(ADJUSTED)[0], b.period_from)
        if key in out:
            out[key] = out[key]._replace(covered_to=b.period_to, adjustments=max(n, out[key].adjustments))
    return out


def _billed(row) -> Billed:
    return Billed(row.contract_id, row.description, row.period_from, row.period_to, row.invoice_key,
                  row.terms_digest, quantize(Decimal(row.net), row.currency), row.currency, row.state, row.billed_at)


def billed_of(engine: Engine, workbook_id: str) -> dict[tuple[str, str, dt.date], Billed]:
    """Every period recorded for the workbook (pending ones too), by (contract_id, description, period_from)."""
    c = billed_periods.c
    with engine.connect() as conn:
        rows = conn.execute(select(billed_periods).where(c.workbook_id == workbook_id)).all()
    return {b.key: b for b in map(_billed, rows)}


def settle(engine: Engine, workbook_id: str, keys_in_workbook: Collection[str]) -> tuple[list[Billed], list[Billed]]:
    """Settle the `pending` rows a stopped run left: (made done, dropped) — done when their
    invoice_key is in the workbook, dropped when it is not (the module's rule)."""
    c = billed_periods.c
    with engine.begin() as conn:
        rows = [_billed(r) for r in conn.execute(
            select(billed_periods).where((c.workbook_id == workbook_id) & (c.state == PENDING))).all()]
        written = [b for b in rows if b.invoice_key in keys_in_workbook]
        lost = [b for b in rows if b.invoice_key not in keys_in_workbook]
        if written:
            conn.execute(billed_periods.update().where(
                (c.workbook_id == workbook_id) & (c.state == PENDING)
                & c.invoice_key.in_(sorted({b.invoice_key for b in written}))).values(state=DONE))
        if lost:
            conn.execute(billed_periods.delete().where(
                (c.workbook_id == workbook_id) & (c.state == PENDING)
                & c.invoice_key.in_(sorted({b.invoice_key for b in lost}))))
    return written, lost


def record_pending(engine: Engine, workbook_id: str, entries: Sequence[Billed]) -> str:
    """Record the periods about to be billed as `pending`, all in one transaction; returns the
    time recorded. A period recorded before refuses the run (`AlreadyBilled`), nothing recorded."""
    stamp = now()
    if not entries:
        return stamp
    try:
        with engine.begin() as conn:
            conn.execute(billed_periods.insert(), [
                {"workbook_id": workbook_id, "contract_id": b.contract_id, "description": b.description,
                 "period_from": b.period_from, "period_to": b.period_to, "invoice_key": b.invoice_key,
                 "terms_digest": b.terms_digest, "net": b.net, "currency": b.currency, "state": PENDING,
                 "billed_at": stamp} for b in entries])
    except IntegrityError:
        raise AlreadyBilled("a period this run was about to bill was recorded as billed meanwhile; nothing was "
                            "written: run it again") from None
    return stamp


def mark_done(engine: Engine, workbook_id: str, invoice_keys: Iterable[str]) -> int:
    """The run's rows are in the workbook: `pending` → `done`; how many."""
    keys = sorted(set(invoice_keys))
    if not keys:
        return 0
    c = billed_periods.c
    with engine.begin() as conn:
        return conn.execute(billed_periods.update().where(
            (c.workbook_id == workbook_id) & (c.state == PENDING) & c.invoice_key.in_(keys))
            .values(state=DONE)).rowcount


def fresh_key(wanted: str, taken: Collection[str]) -> str:
    """`wanted`, or `wanted-2`, `-3`… when a draft of an earlier run holds it: every run's
    drafts have keys new to the workbook and the store, which is what `settle` relies on.

    >>> fresh_key("BILL-C1-2026-12", set()), fresh_key("BILL-C1-2026-12", {"BILL-C1-2026-12"})
    ('BILL-C1-2026-12', 'BILL-C1-2026-12-2')
    """
    if wanted not in taken:
        return wanted
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"
