"""`xlbilling number`: what numbering a workbook asks of the registry and writes back.

Every `issued` invoice with a blank `invoice_no` is numbered, in order of issue date then
row; drafts never are. Numbers a workbook already shows (issued or void) are presented
too, so the registry confirms them or adopts them. A void row's number is kept and its
void recorded. Numbered invoices without a `payment_reference` get their RF reference.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple, Sequence

import pandas as pd

from billing.invoicing.compute import Computed
from billing.invoicing.rf_reference import rf_reference
from billing.numbering.registry import Assignment, Request
from billing.tables import Tables
from billing.book import Book
from billing.pipeline.compute import place_columns
from billing.changes import CellUpdate, HeaderAdd


class Plan(NamedTuple):
    workbook_id: str
    new_id: bool  # the workbook had none: one is written into Settings
    requests: list[Request]
    voids: list[tuple[str, str | None]]  # (invoice_key, reason)


def plan(book: Book, tables: Tables, computed: Computed) -> Plan:
    """The registry requests for a workbook, in numbering order."""
    settings = tables.settings
    workbook_id = settings.workbook_id or str(uuid.uuid4())
    invoices = tables.invoices.assign(gross=computed.invoices["gross"], excel_row=tables.invoices.index)
    void = (invoices["status"] == "void") & invoices["invoice_no"].notna()
    wanted = invoices[(invoices["status"] == "issued") | void]
    wanted = wanted.sort_values(["issue_date", "excel_row"], kind="stable")
    table = book["Invoices"]
    requests = [
        Request(
            workbook_id=workbook_id, invoice_key=r.invoice_key, kind=r.kind, customer_id=r.customer_id,
            issue_date=r.issue_date, gross=r.gross, currency=r.currency,
            pattern=settings.credit_note_series if r.kind == "credit_note" else settings.invoice_series,
            place=table.row(int(r.excel_row)), number=r.invoice_no,
        )
        for r in wanted.itertuples(index=False)
    ]
    voids = list(zip(invoices.loc[void, "invoice_key"], invoices.loc[void, "void_reason"]))
    return Plan(workbook_id, settings.workbook_id is None, requests, voids)


class Writeback(NamedTuple):
    updates: list[CellUpdate]
    headers: list[HeaderAdd]
    #: the typed Invoices columns as they are now: each row's number (shown, else the
    #: registry's; None for a draft) and payment reference (a blank one made from the number)
    invoice_no: list
    payment_reference: list
    numbered: set[str]  # the invoice keys whose number this run writes into the workbook


def writeback(book: Book, tables: Tables, the_plan: Plan, assignments: list[Assignment],
              reserved: Sequence[HeaderAdd] = ()) -> Writeback:
    """Cell updates: new numbers, missing RF references, and a new workbook_id (`reserved`:
    headers another step of the same run adds); and, from the same pass over the rows, the
    typed columns the later steps read."""
    table = book["Invoices"]
    updates: list[CellUpdate] = []
    places, headers = place_columns(table, ("invoice_no", "payment_reference"), reserved)
    number_of = {a.invoice_key: a.number for a in assignments}
    invoices = tables.invoices
    numbers, references, numbered = [], [], set()
    for row, key, shown, reference in zip(invoices.index, invoices["invoice_key"], invoices["invoice_no"],
                                          invoices["payment_reference"]):
        number = number_of.get(key)
        now = number if shown is None else shown
        blank = reference is None or (isinstance(reference, float) and pd.isna(reference))
        numbers.append(now)
        references.append(rf_reference(now) if blank and now is not None else reference)
        if number is None:
            continue
        if shown is None:
            updates.append(CellUpdate(table.sheet, int(row), places["invoice_no"], number))
            numbered.add(key)
        if blank:  # the registry's number (a copy's may differ from the one shown)
            updates.append(CellUpdate(table.sheet, int(row), places["payment_reference"],
                                      references[-1] if now == number else rf_reference(number)))
    if the_plan.new_id:
        updates += _workbook_id_updates(book, the_plan.workbook_id)
    return Writeback(updates, headers, numbers, references, numbered)


def _workbook_id_updates(book: Book, workbook_id: str) -> list[CellUpdate]:
    """Write the new id into the Settings row for it (adding the row when there is none)."""
    settings = book["Settings"]
    rows = [r for r, key in settings.frame["key"].items() if str(key).strip().lower() == "workbook_id"]
    if rows:
        return [CellUpdate(settings.sheet, int(rows[0]), settings.columns["value"], workbook_id)]
    row = settings.last_row + 1
    return [CellUpdate(settings.sheet, row, settings.columns["key"], "workbook_id"),
            CellUpdate(settings.sheet, row, settings.columns["value"], workbook_id)]
