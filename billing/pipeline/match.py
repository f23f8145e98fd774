"""The Allocations and Unmatched sheets: the user's manual rows in, the run's results out.

`allocation_columns` is the one reader of the Allocations sheet: the manual rows matching
keeps and the allocations aging applies (when no matching ran) both come through it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Sequence

from billing.cellvalues import code_column, decimal_column, text_column
from billing.contract import ALLOCATIONS, UNMATCHED
from billing.errors import Finding, error
from billing.matching import ManualRow
from billing.matching.engine import MatchResult
from billing.matching.items import ZERO
from billing.receivables.aging import Applied
from billing.book import SheetTable
from billing.changes import OutputSheet

ALLOCATION_COLUMNS = ALLOCATIONS.column_names
UNMATCHED_COLUMNS = UNMATCHED.column_names


#: how each column the pipeline reads from Allocations is typed
_COLUMN_TYPES = {"payment_id": text_column, "invoice_no": text_column, "amount": decimal_column,
                 "settled": decimal_column, "method": code_column}


def allocation_columns(table: SheetTable, names: Sequence[str]) -> list[list]:
    """The Allocations sheet's columns `names` (of payment_id, invoice_no, amount, settled,
    method), each typed as the contract types it; a column the sheet lacks reads as empty."""
    frame = table.frame
    return [_COLUMN_TYPES[name](frame[name].tolist()) if table.has(name) else [None] * len(frame) for name in names]


def applied_rows(table: SheetTable | None, value_date: dict[str, dt.date]) -> list[Applied]:
    """Every allocation on the sheet as aging applies it (whatever its method): those of a
    known payment with an amount."""
    if table is None or not (table.has("payment_id") and table.has("invoice_no")):
        return []
    ids, nos, amounts, settled = allocation_columns(table, ("payment_id", "invoice_no", "amount", "settled"))
    return [Applied(pid, no, amount, done if isinstance(done, Decimal) else ZERO, value_date[pid])
            for pid, no, amount, done in zip(ids, nos, amounts, settled)
            if pid in value_date and isinstance(amount, Decimal)]


def manual_rows(table: SheetTable | None, payment_ids: set, invoice_nos: set) -> tuple[list[tuple], list[Finding]]:
    """The rows whose method is `manual`, exactly as the user left them, and what is wrong with them."""
    if table is None or not table.has("method") or not len(table):
        return [], []
    frame = table.frame
    ids, nos, amounts, settled, methods = allocation_columns(
        table, ("payment_id", "invoice_no", "amount", "settled", "method"))
    rows, findings = [], []
    for n, row in enumerate(frame.index):
        if methods[n] != "manual":
            continue
        if ids[n] not in payment_ids:
            findings.append(error(table.cell("payment_id", row), "unknown_payment",
                                  f"manual allocation names payment '{ids[n]}', which is not in Payments"))
        elif nos[n] not in invoice_nos:
            findings.append(error(table.cell("invoice_no", row), "unknown_invoice",
                                  f"manual allocation names invoice '{nos[n]}', which is not numbered in Invoices"))
        elif not isinstance(amounts[n], Decimal) or amounts[n] <= 0:
            findings.append(error(table.cell("amount", row), "invalid_number",
                                  "a manual allocation needs a positive amount"))
        else:
            rows.append(tuple(frame.iloc[n].get(c) for c in ALLOCATION_COLUMNS)
                        + (ManualRow(ids[n], nos[n], amounts[n],
                                     settled[n] if isinstance(settled[n], Decimal) else ZERO),))
    return rows, findings


def output_sheets(result: MatchResult, manual: Sequence[tuple]) -> tuple[OutputSheet, OutputSheet]:
    """Allocations (manual rows first, kept as they were) and Unmatched."""
    rows = [row[:-1] for row in manual]
    rows += [(a.payment_id, a.invoice_no, a.amount, a.method, a.confidence, a.explanation, a.settled or None)
             for a in result.allocations]
    allocations = OutputSheet(ALLOCATIONS.name, ALLOCATION_COLUMNS, rows, ALLOCATIONS.number_formats())
    unmatched = OutputSheet(UNMATCHED.name, UNMATCHED_COLUMNS, [
        (p.payment_id, p.value_date, p.remaining, p.payer_name, p.reference_text,
         "; ".join(dict.fromkeys(p.candidates)) or None, p.currency, "; ".join(p.notes) or "no open item fits")
        for p in result.unmatched
    ], UNMATCHED.number_formats())
    return allocations, unmatched
