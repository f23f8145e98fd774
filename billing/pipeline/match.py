"""The Allocations and Unmatched sheets: the user's manual rows in, the run's results out."""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from billing.cellvalues import code_column, decimal_column, text_column
from billing.contract import ALLOCATIONS
from billing.errors import Finding, error
from billing.matching import ManualRow
from billing.matching.engine import MatchResult
from billing.matching.items import ZERO
from billing.book import SheetTable
from billing.changes import OutputSheet

ALLOCATION_COLUMNS = ALLOCATIONS.column_names + ("settled",)
UNMATCHED_COLUMNS = ("payment_id", "value_date", "amount", "payer_name", "reference_text", "candidates",
                     "currency", "reason")


def manual_rows(table: SheetTable | None, payment_ids: set, invoice_nos: set) -> tuple[list[tuple], list[Finding]]:
    """The rows whose method is `manual`, exactly as the user left them, and what is wrong with them."""
    if table is None or not table.has("method") or not len(table):
        return [], []
    frame = table.frame
    methods = code_column(frame["method"].tolist())
    ids = text_column(frame["payment_id"].tolist()) if table.has("payment_id") else [None] * len(frame)
    nos = text_column(frame["invoice_no"].tolist()) if table.has("invoice_no") else [None] * len(frame)
    amounts = decimal_column(frame["amount"].tolist()) if table.has("amount") else [None] * len(frame)
    settled = decimal_column(frame["settled"].tolist()) if table.has("settled") else [None] * len(frame)
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
    allocations = OutputSheet("Allocations", ALLOCATION_COLUMNS, rows,
                              {"amount": "#,##0.00", "settled": "#,##0.00", "confidence": "0.00"})
    unmatched = OutputSheet("Unmatched", UNMATCHED_COLUMNS, [
        (p.payment_id, p.value_date, p.remaining, p.payer_name, p.reference_text,
         "; ".join(dict.fromkeys(p.candidates)) or None, p.currency, "; ".join(p.notes) or "no open item fits")
        for p in result.unmatched
    ], {"amount": "#,##0.00", "value_date": "yyyy-mm-dd"})
    return allocations, unmatched
