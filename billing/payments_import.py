"""Bringing bank statements into the Payments sheet, idempotently.

Each statement's credited entries become Payments rows (appended below the table, which
grows over them); an entry whose `payment_id` the sheet already has is skipped, so the
same statement imported twice adds nothing. The typed payments table is extended in
memory too, so matching in the same run sees the new rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Sequence

import pandas as pd

from billing.tables import Tables
from billing.xlsx_read import Book
from billing.xlsx_write import CellUpdate

FIELDS = ("payment_id", "value_date", "amount", "currency", "payer_name", "payer_iban", "reference_text")


class Imported(NamedTuple):
    payments: int  # new rows in Payments
    already_there: int  # entries Payments had (a statement imported again)
    debits_skipped: int  # money out, and reversals: not payments received


def import_changes(book: Book, tables: Tables, statements: Sequence[Path],
                   csv_mapping=None) -> tuple[Tables, Imported, list[CellUpdate]]:
    """Tables with the statements' new payments, what was imported, and the cells that write them."""
    if not statements:
        return tables, Imported(0, 0, 0), []
    from billing.statements import new_lines, read_statement  # the parsers load only when used

    known = set(tables.payments["payment_id"])
    fresh = []
    seen = skipped = 0
    for path in statements:
        result = read_statement(path, csv_mapping)
        lines = new_lines(known, result)
        seen += len(result.lines) - len(lines)
        skipped += result.debits_skipped + result.reversals_skipped
        known.update(line.payment_id for line in lines)
        fresh += lines
    counts = Imported(len(fresh), seen, skipped)
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
