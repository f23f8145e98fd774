"""The worksheet function that shows a registered invoice number: a lookup, never an
allocation, so recalculating a workbook can never consume numbers."""

from __future__ import annotations

import functools

import xlwings as xw

from udfs.convert import UdfError, text, udf


def _workbook_id_of_caller(caller) -> str | None:
    """The calling workbook's Settings `workbook_id`, when it can be reached: xlwings hands
    the reserved `caller` argument over as the calling cell (COM on Windows)."""
    if caller is None:
        return None
    try:
        book = caller.Worksheet.Parent if hasattr(caller, "Worksheet") else caller.sheet.book.api
        block = book.Worksheets("Settings").Range("A1").CurrentRegion.Value
        for key, value in (row[:2] for row in block):
            if str(key).strip().lower() == "workbook_id" and value:
                return str(value).strip()
    except Exception:  # no Settings sheet or no COM: the argument is then needed
        return None
    return None


@functools.lru_cache(maxsize=4)
def _store(url: str):
    """One engine per store for the life of Excel's Python process: a recalculation calls
    this once per cell, and a new engine each time would run the schema check each time
    and leave its connection open until garbage collection (PostgreSQL counts those)."""
    from billing.store import open_store  # SQLAlchemy loads with the first lookup, not with Excel's functions

    return open_store(url)


@xw.func
@xw.arg("invoice_key", doc="The invoice row's invoice_key.")
@xw.arg("workbook_id", doc="The workbook's id (default: this workbook's Settings workbook_id).")
@udf
def XLB_INVOICE_NO(invoice_key, workbook_id=None, caller=None):
    """The number the registry gave this invoice (empty text when none yet). Read only:
    numbers are given by the Number button or `xlbilling number`, never by a formula."""
    key = text(invoice_key, "invoice_key")
    workbook = text(workbook_id, "workbook_id", "") or _workbook_id_of_caller(caller)
    if not workbook:
        raise UdfError("workbook_id is needed (this workbook's Settings has none yet: number it once)")
    from billing.numbering.registry import lookup
    from billing.store import database_url

    return lookup(_store(database_url()), workbook, key) or ""
