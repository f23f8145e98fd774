"""Bringing bank statements into the Payments sheet, idempotently and without losing one.

Each statement's credited entries become Payments rows (appended below the table, which
grows over them). A line whose `payment_id` Payments already holds is already there — the
same statement imported twice adds nothing — but only if it agrees with that row on value
date, amount and currency: an id that would stand for two different payments is refused
(`BadFile`, naming the line and the row), never dropped. Lines of a statement an older
version imported are recognised by the id that version gave them (`StatementLine.legacy_id`).
The typed payments table is extended in memory too, so matching in the same run sees the
new rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple, Sequence

import pandas as pd

from billing.tables import Tables
from billing.book import Book
from billing.changes import CellUpdate

FIELDS = ("payment_id", "value_date", "amount", "currency", "payer_name", "payer_iban", "reference_text")


class Imported(NamedTuple):
    payments: int  # new rows in Payments
    already_there: int  # entries Payments had (a statement imported again)
    debits_skipped: int  # money out, and reversals: not payments received
    not_booked_skipped: int = 0  # CAMT entries not booked (pending, information): no money yet


def known_payments(payments: pd.DataFrame) -> dict:
    """Payments' ids with their row and what each says (value date, amount, currency), when readable."""
    from billing.bank import Known

    known = {}
    for row, payment_id, day, amount, currency in zip(payments.index, payments["payment_id"], payments["value_date"],
                                                      payments["amount"], payments["currency"]):
        if isinstance(payment_id, str) and payment_id:
            core = (day, amount, currency) if isinstance(day, dt.date) and isinstance(amount, Decimal) \
                and isinstance(currency, str) else None
            known.setdefault(payment_id, Known(f"Payments row {row}", core))
    return known


def import_changes(book: Book, tables: Tables, statements: Sequence[Path],
                   csv_mapping=None) -> tuple[Tables, Imported, list[CellUpdate]]:
    """Tables with the statements' new payments, what was imported, and the cells that write them."""
    if not statements:
        return tables, Imported(0, 0, 0, 0), []
    from billing.bank import Registry, read_statement  # the parsers load only when used

    registry = Registry(known_payments(tables.payments))
    fresh = []
    seen = skipped = not_booked = 0
    for path in statements:
        result = read_statement(path, csv_mapping)
        lines = registry.fresh(result)
        seen += len(result.lines) - len(lines)
        skipped += result.debits_skipped + result.reversals_skipped
        not_booked += result.not_booked_skipped
        fresh += lines
    counts = Imported(len(fresh), seen, skipped, not_booked)
    if not fresh:
        return tables, counts, []
    sheet = book["Payments"]
    start = max(sheet.frame.index, default=sheet.header_row) + 1  # below the last filled row
    updates = [
        CellUpdate(sheet.sheet, start + n, sheet.columns[name], getattr(line, name))
        for n, line in enumerate(fresh)
        for name in FIELDS
        if name in sheet.columns and getattr(line, name) is not None
    ]
    added = pd.DataFrame([{name: getattr(line, name) for name in FIELDS} for line in fresh],
                         index=pd.RangeIndex(start, start + len(fresh), name="row"), dtype=object)
    payments = pd.concat([tables.payments, added.reindex(columns=tables.payments.columns)])
    return tables._replace(payments=payments), counts, updates
