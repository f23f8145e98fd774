"""The billing pipeline, one function per step, shared by the CLI commands, the ribbon
macros and the month-end close: each takes what was read (a `Book`, typed tables) and
returns what to change (`Changes` parts) and what happened, never touching a file itself.
The caller decides where the changes go: a file (`billing.workbook.write.apply_changes`) or
the live workbook in Excel (`macros.live`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple, Sequence

import pandas as pd

from billing.receivables.aging import ZERO, Applied
from billing.collections.disputes import disputes_of
from billing.receivables.report import Receivables, aging_sheet, dispute_list_sheet, dunning_sheet, receivables
from billing.invoicing.compute import Computed, compute
from billing.receivables.dso import DEFAULT_PERIOD_DAYS
from billing.errors import Finding
from billing.matching import match_tables
from billing.matching.engine import MatchResult
from billing.pipeline.match import applied_rows, manual_rows, output_sheets
from billing.pipeline.bank_import import Imported, import_changes
from billing.receivables.ledger import Ledger, ledger_of
from billing.numbering.registry import Assignment
from billing.tables import Tables
from billing.pipeline.compute import compute_changes
from billing.book import Book
from billing.changes import CellUpdate, Changes, HeaderAdd, OutputSheet


class Computation(NamedTuple):
    tables: Tables
    computed: Computed
    changes: Changes  # computed cells and the InvoiceTaxSummary sheet


def compute_step(book: Book, tables: Tables) -> Computation:
    """Everything computed from a validated book's typed tables (`billing.pipeline.checked`),
    and the cells that show it."""
    computed = compute(tables)
    return Computation(tables, computed, compute_changes(book, tables, computed))


class Numbering(NamedTuple):
    tables: Tables  # with the new numbers and RF references in Invoices
    workbook_id: str
    assigned: list[Assignment]  # the numbers this run writes into the workbook (new, or the registry's for a copy)
    refusals: tuple[Finding, ...]  # nothing was numbered when there are any
    updates: list[CellUpdate]
    headers: list[HeaderAdd]


def number_step(book: Book, tables: Tables, computed: Computed, engine,
                reserved: Sequence[HeaderAdd] = ()) -> Numbering:
    """Number every issued invoice without a number through the registry (`engine`).

    `reserved`: headers another step of the same run adds, so new columns do not collide.
    """
    from billing.pipeline.number import plan, writeback
    from billing.numbering.registry import assign, record_voids

    the_plan = plan(book, tables, computed)
    assignments, refusals = assign(engine, the_plan.requests)
    if refusals:
        found = tuple(Finding("error", r.place, "numbering_refused", r.message) for r in refusals)
        return Numbering(tables, the_plan.workbook_id, [], found, [], [])
    record_voids(engine, the_plan.workbook_id, the_plan.voids)
    back = writeback(book, tables, the_plan, assignments, reserved)
    index = tables.invoices.index
    invoices = tables.invoices.assign(invoice_no=pd.Series(back.invoice_no, index=index, dtype=object),
                                      payment_reference=pd.Series(back.payment_reference, index=index,
                                                                  dtype=object))
    settings = tables.settings.model_copy(update={"workbook_id": the_plan.workbook_id})
    return Numbering(tables._replace(invoices=invoices, settings=settings), the_plan.workbook_id,
                     [a for a in assignments if a.invoice_key in back.numbered], (), back.updates,
                     back.headers)


class Matching(NamedTuple):
    tables: Tables  # with the imported payments
    imported: Imported
    result: MatchResult
    manual: list[tuple]  # the Allocations rows the user made (method manual), kept as they are
    problems: list[Finding]  # manual rows that name unknown payments or invoices: nothing matched then
    outputs: tuple[OutputSheet, ...]  # Allocations and Unmatched
    updates: list[CellUpdate]  # the imported Payments rows

    def rows(self) -> list[tuple]:
        """Every allocation as (payment_id, invoice_no, amount, method, confidence, settled), manual first."""
        out = [(m[-1].payment_id, m[-1].invoice_no, m[-1].amount, "manual", m[4], m[-1].settled)
               for m in self.manual]
        return out + [(a.payment_id, a.invoice_no, a.amount, a.method, a.confidence, a.settled)
                      for a in self.result.allocations]


def match_step(book: Book, tables: Tables, computed: Computed, statements: Sequence[Path] = (),
               csv_mapping=None) -> Matching:
    """Import statements into Payments, then match every payment to the open items."""
    tables, imported, updates = import_changes(book, tables, list(statements), csv_mapping)
    numbered = set(tables.invoices["invoice_no"].dropna())
    manual, problems = manual_rows(book.get("Allocations"), set(tables.payments["payment_id"]), numbered)
    if problems:
        return Matching(tables, imported, MatchResult([], []), [], problems, (), updates)
    result = match_tables(tables, computed, [row[-1] for row in manual])
    return Matching(tables, imported, result, manual, [], output_sheets(result, manual), updates)


def applied_of(matching: Matching) -> list[Applied]:
    """The allocations of a matching run as aging reads them."""
    value_date = dict(zip(matching.tables.payments["payment_id"], matching.tables.payments["value_date"]))
    return [Applied(p, n, amount, settled or ZERO, value_date[p]) for p, n, amount, _, _, settled in matching.rows()]


class Reports(NamedTuple):
    ledger: Ledger
    receivables: Receivables
    outputs: tuple[OutputSheet, ...]  # Aging and Dunning (and DisputeList, when the workbook has Disputes)


def receivables_step(book: Book, tables: Tables, computed: Computed, as_of: dt.date,
                     dso_days: int = DEFAULT_PERIOD_DAYS, applied: list[Applied] | None = None) -> Reports:
    """Aging, DSO and the dunning list as of a date (allocations from `applied`, else the
    book's Allocations sheet)."""
    if applied is None:
        applied = applied_rows(book.get("Allocations"), dict(zip(tables.payments["payment_id"],
                                                                 tables.payments["value_date"])))
    ledger = ledger_of(tables, computed, applied, reminders=book["Invoices"].has("last_reminder"))
    disputes = disputes_of(tables.disputes.to_dict("records")) if "Disputes" in book.tables else None
    report = receivables(ledger, tables.settings, as_of, dso_days, disputes)
    sheets = (aging_sheet(report, ledger.names), dunning_sheet(report, ledger.names, ledger.last_reminder is not None))
    if disputes is not None:  # a workbook without the sheet gets the outputs it always got
        sheets += (dispute_list_sheet(disputes, ledger, as_of),)
    return Reports(ledger, report, sheets)

