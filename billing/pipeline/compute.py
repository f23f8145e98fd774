"""What `compute` writes back: computed cells of the input sheets and the tax summary sheet.

Computed values go into their own cells (`InvoiceLines` net/tax/gross, `Invoices`
net/tax/gross and blank due dates). A computed column the table lacks is added at its
right edge. The amount a lineless invoice is entered with stays the user's.
"""

from __future__ import annotations

from itertools import compress
from typing import Iterable

import numpy as np
import pandas as pd

from billing.contract import INVOICE_LINES, INVOICE_TAX_SUMMARY, INVOICES
from billing.invoicing.compute import Computed
from billing.tables import Tables
from billing.book import Book, SheetTable
from billing.changes import Changes, ColumnRun, HeaderAdd, OutputSheet, column_runs

TAX_SUMMARY_COLUMNS = INVOICE_TAX_SUMMARY.column_names


def cell_rows(frame: pd.DataFrame) -> list[tuple]:
    """A frame's rows as cell values: pandas' missing markers (NaN, NaT) become blank cells.
    Built column by column (one vectorised missing-value test per column, not a call per cell)."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        values = column.tolist()
        missing = column.isna()
        if missing.any():
            values = [None if m else v for v, m in zip(values, missing.tolist())]
        columns.append(values)
    return list(zip(*columns)) if columns else [() for _ in range(len(frame))]


def place_columns(table: SheetTable, names: Iterable[str],
                  reserved: Iterable[HeaderAdd] = ()) -> tuple[dict[str, int], list[HeaderAdd]]:
    """The column index of each name, adding headers right of the table for absent ones
    (and right of the `reserved` headers that another step adds to the same table)."""
    places: dict[str, int] = {}
    headers: list[HeaderAdd] = []
    mine = {h.name: h.column for h in reserved if h.sheet == table.sheet}
    next_free = max((*table.columns.values(), *mine.values()), default=-1) + 1
    for name in names:
        if table.has(name) or name in mine:
            places[name] = table.columns.get(name, mine.get(name))
        else:
            places[name] = next_free
            headers.append(HeaderAdd(table.sheet, table.header_row, next_free, name))
            next_free += 1
    return places, headers


def _updates(table: SheetTable, typed: pd.DataFrame, values: pd.DataFrame, places: dict[str, int]) -> list[ColumnRun]:
    """Cells whose computed value is not what they already show (a rerun writes nothing),
    one `ColumnRun` per run of consecutive rows of a column (a first close: one per column
    and stretch of rows between values the step leaves alone). What a cell shows is its
    value in the `typed` table (`billing.tables`), read once with the rest of the book."""
    rows = values.index.to_numpy(dtype=np.int64)
    runs: list[ColumnRun] = []
    for name, column in places.items():
        new = values[name]
        keep = new.notna().tolist()  # NaN, NaT and None: nothing to write
        new = new.tolist()
        shown = typed[name] if table.has(name) else None
        if shown is not None and shown.notna().any():  # compare only with cells that show something
            shown_of = dict(zip(typed.index, shown.tolist()))
            keep = [k and shown_of.get(row) != value for row, value, k in zip(rows.tolist(), new, keep)]
        kept = rows[np.array(keep, dtype=bool)]
        runs += column_runs(table.sheet, column, kept, list(compress(new, keep)),
                            (np.flatnonzero(np.diff(kept) != 1) + 1).tolist())
    return runs


def compute_changes(book: Book, tables: Tables, computed: Computed) -> Changes:
    """Column runs of every computed value, and the InvoiceTaxSummary sheet."""
    updates: list[ColumnRun] = []
    headers: list[HeaderAdd] = []
    if INVOICE_LINES.name in book.tables and len(computed.lines):
        table = book[INVOICE_LINES.name]
        places, added = place_columns(table, ("net", "tax", "gross"))
        headers += added
        updates += _updates(table, tables.lines, computed.lines, places)
    if INVOICES.name in book.tables and len(computed.invoices):
        table = book[INVOICES.name]
        places, added = place_columns(table, ("net", "tax", "gross", "due_date"))
        headers += added
        values = computed.invoices.copy()
        lined = values["invoice_key"].isin(set(tables.lines["invoice_key"]))
        entered = "gross" if tables.settings.price_mode == "gross" else "net"
        values.loc[~lined, entered] = None  # the user's own input stays as typed
        values.loc[tables.invoices["due_date"].notna(), "due_date"] = None  # a typed due date stays
        updates += _updates(table, tables.invoices, values, places)
    summary = computed.tax_summary
    sheet = OutputSheet(
        name=INVOICE_TAX_SUMMARY.name,
        columns=TAX_SUMMARY_COLUMNS,
        rows=cell_rows(summary[list(TAX_SUMMARY_COLUMNS)]),
        number_formats=INVOICE_TAX_SUMMARY.number_formats(),
    )
    return Changes(outputs=(sheet,), updates=tuple(updates), headers=tuple(headers))
