"""Typed computed values that disagree with the computation: stale or mistyped totals.

`net`, `tax` and `gross` of lines and invoices are filled by `xlbilling compute`. A value
in one of those cells that differs from what the rules give (after both are rounded to
the currency's minor unit) is an error naming the cell and both values. The amount an
invoice without lines is entered with (`net`, or `gross` with gross prices) is input,
not checked. A blank computed cell is not an error: it is simply not computed yet.
"""

from __future__ import annotations

from typing import Iterator

import pandas as pd

from billing.invoicing.compute import Computed
from billing.errors import Finding, error
from billing.money import format_amount, quantize
from billing.tables import Tables
from billing.book import Book, SheetTable

AMOUNTS = ("net", "tax", "gross")


def _mismatches(table: SheetTable, typed: pd.DataFrame, computed: pd.DataFrame, currency: pd.Series,
                columns: tuple[str, ...], rounding: str) -> Iterator[Finding]:
    # whole columns as lists, not a pandas lookup per cell (a 100k book has 300k of them)
    for column in columns:
        if not table.has(column):
            continue
        given = typed[column]
        present = given.notna()
        rows = given.index[present]
        wanted = computed[column].reindex(rows).tolist()
        codes = currency.reindex(rows).tolist()
        for row, value, code, want in zip(rows, given[present].tolist(), codes, wanted):
            have = quantize(value, code, rounding)
            if have != want:
                yield error(table.cell(column, row), "computed_mismatch",
                            f"{column} {format_amount(have, code)} differs from the computed "
                            f"{format_amount(want, code)}; run `xlbilling compute` to refresh it")


def consistency(book: Book, tables: Tables, computed: Computed) -> list[Finding]:
    """Every typed net/tax/gross that differs from its computed value."""
    rounding = tables.settings.rounding
    findings: list[Finding] = []
    invoices, lines = tables.invoices, tables.lines
    currency = invoices["currency"]
    if "InvoiceLines" in book.tables and len(lines):
        line_currency = lines["invoice_key"].map(invoices.set_index("invoice_key")["currency"])
        findings += _mismatches(book["InvoiceLines"], lines, computed.lines, line_currency, AMOUNTS, rounding)
    if "Invoices" in book.tables and len(invoices):
        has_lines = invoices["invoice_key"].isin(set(lines["invoice_key"]))
        entered = "gross" if tables.settings.price_mode == "gross" else "net"
        lined = invoices[has_lines]
        lineless = invoices[~has_lines]
        table = book["Invoices"]
        findings += _mismatches(table, lined, computed.invoices, currency, AMOUNTS, rounding)
        others = tuple(c for c in AMOUNTS if c != entered)
        findings += _mismatches(table, lineless, computed.invoices, currency, others, rounding)
    return findings


