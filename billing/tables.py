"""Typed tables: a validated workbook's rows as DataFrames of Decimals, dates and codes.

The domain code (computation, matching, aging) works on these, never on cells. Columns are
read exactly as validation read them (`billing.cellvalues`), blanks take the contract's
defaults (`kind` invoice, `status` draft, the invoice's currency and terms from its
customer, else from Settings), and the index stays the Excel row, so any result can be
written back to its cell. Build them only from a workbook that validated.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import pandas as pd

from billing.book import Book, SheetTable
from billing.cellvalues import code_column, date_column, decimal_column, text_column, upper_column
from billing.contract import CUSTOMERS, INVOICE_LINES, INVOICES, PAYMENTS, TAX_RATES, Kind, SheetSpec
from billing.settings import Settings

CODE_COLUMNS = frozenset({"kind", "status", "document_format"})
UPPER_COLUMNS = frozenset({"currency", "country"})


def read_column(table: SheetTable, name: str, numbers: bool = True) -> list:
    """A column read as the contract reads it; validation checks exactly this reading.

    With `numbers=False`, number columns are left as the cells gave them (validation's
    pydantic models read float, int and numeric text exactly themselves).
    """
    values = table.frame[name].tolist()
    kind = table.spec.column(name).kind if name in table.spec.column_names else Kind.TEXT
    if name in CODE_COLUMNS:
        return code_column(values)
    if name in UPPER_COLUMNS:
        return upper_column(values)
    if kind is Kind.DATE:
        return date_column(values)
    if kind is Kind.TEXT:
        return text_column(values)
    return decimal_column(values) if numbers else values


def typed_frame(table: SheetTable | None, spec: SheetSpec) -> pd.DataFrame:
    """All contract columns of a sheet, typed; absent columns are all None."""
    if table is None:
        return pd.DataFrame({name: [] for name in spec.column_names}, dtype=object)
    data = {
        name: read_column(table, name) if table.has(name) else [None] * len(table)
        for name in spec.column_names
    }
    return pd.DataFrame(data, index=table.frame.index, dtype=object)


class Tables(NamedTuple):
    settings: Settings
    customers: pd.DataFrame
    tax_rates: pd.DataFrame
    invoices: pd.DataFrame  # with `currency`, `terms`, `kind`, `status` resolved
    lines: pd.DataFrame
    payments: pd.DataFrame


def typed_tables(book: Book, settings: Settings) -> Tables:
    """The workbook's tables typed, with the contract's defaults filled in."""
    return complete(
        settings,
        typed_frame(book.get("Customers"), CUSTOMERS),
        typed_frame(book.get("TaxRates"), TAX_RATES),
        typed_frame(book.get("Invoices"), INVOICES),
        typed_frame(book.get("InvoiceLines"), INVOICE_LINES),
        typed_frame(book.get("Payments"), PAYMENTS),
    )


def complete(settings: Settings, customers: pd.DataFrame, tax_rates: pd.DataFrame, invoices: pd.DataFrame,
             lines: pd.DataFrame, payments: pd.DataFrame) -> Tables:
    """Typed frames with the contract's defaults: currency and terms from the customer, else Settings."""
    by_customer = customers.drop_duplicates("customer_id").set_index("customer_id")
    invoices = invoices.copy()
    invoices["currency"] = invoices["currency"].fillna(invoices["customer_id"].map(by_customer["currency"])) \
        .fillna(settings.base_currency)
    invoices["terms"] = invoices["terms"].fillna(invoices["customer_id"].map(by_customer["terms"])) \
        .fillna(settings.default_terms)
    invoices["kind"] = invoices["kind"].fillna("invoice")
    invoices["status"] = invoices["status"].fillna("draft")
    invoices["discount_pct"] = invoices["discount_pct"].fillna(Decimal(0))
    lines = lines.assign(discount_pct=lines["discount_pct"].fillna(Decimal(0)))
    payments = payments.assign(currency=payments["currency"].fillna(settings.base_currency))
    return Tables(settings, customers, tax_rates, invoices, lines, payments)
