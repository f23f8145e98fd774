"""What a bank statement gives the Payments sheet: one line per money-received entry."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Iterable, NamedTuple


class StatementLine(NamedTuple):
    """One credited entry (or transaction detail of a batched entry) = one future Payments row."""

    payment_id: str  # stable: the bank's reference, else a hash of the entry; same entry, same id
    value_date: dt.date
    amount: Decimal  # positive, exact
    currency: str
    payer_name: str | None
    payer_iban: str | None
    reference_text: str | None
    source: str  # file and position, for messages: "stmt.xml#entry3/tx2"


class ImportResult(NamedTuple):
    lines: tuple[StatementLine, ...]
    debits_skipped: int  # money out: not payments received
    reversals_skipped: int
    format: str  # e.g. "camt.053.001.04"


def entry_hash(*parts: object) -> str:
    """A stable id for an entry the bank gave no reference for: `H` + 16 hex digits."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return "H" + hashlib.sha256(text.encode()).hexdigest()[:16]


def new_lines(existing_ids: set[str], result: ImportResult) -> list[StatementLine]:
    """The lines whose payment_id is not in Payments yet (and each only once): importing twice adds nothing."""
    seen = set(existing_ids)
    fresh = []
    for line in result.lines:
        if line.payment_id not in seen:
            seen.add(line.payment_id)
            fresh.append(line)
    return fresh


def joined(parts: Iterable[str | None]) -> str | None:
    text = " ".join(" ".join(p.split()) for p in parts if p and p.strip())
    return text or None
