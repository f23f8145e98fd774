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
from billing.contract import (CUSTOMERS, DISPUTES, INTEREST_RATES, INVOICE_LINES, INVOICES, PAYMENTS, TAX_RATES, Kind,
                              SheetSpec)
from billing.settings import Settings

CODE_COLUMNS = frozenset({"kind", "status", "document_format", "on_hold", "language", "reason"})
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


def _empty(spec: SheetSpec) -> pd.DataFrame:
    return typed_frame(None, spec)


class Tables(NamedTuple):
    settings: Settings
    customers: pd.DataFrame  # `on_hold` 'yes'/'no'/None, `language` 'en'/'de'/None, `promise_date` a date
    tax_rates: pd.DataFrame
    #: with `currency`, `terms`, `kind`, `status` resolved; `on_hold`, `promise_date`,
    #: `last_reminder` as typed, `dunning_level` an int or None
    invoices: pd.DataFrame
    lines: pd.DataFrame
    payments: pd.DataFrame
    #: the optional sheets: empty frames with the contract's columns when the workbook lacks them
    disputes: pd.DataFrame = _empty(DISPUTES)  # `status` and `reason` case-folded codes, `amount` a Decimal or None
    interest_rates: pd.DataFrame = _empty(INTEREST_RATES)  # `valid_from` a date, `rate` a Decimal; sorted by date


def typed_tables(book: Book, settings: Settings) -> Tables:
    """The workbook's tables typed, with the contract's defaults filled in."""
    return complete(
        settings,
        typed_frame(book.get("Customers"), CUSTOMERS),
        typed_frame(book.get("TaxRates"), TAX_RATES),
        typed_frame(book.get("Invoices"), INVOICES),
        typed_frame(book.get("InvoiceLines"), INVOICE_LINES),
        typed_frame(book.get("Payments"), PAYMENTS),
        typed_frame(book.get("Disputes"), DISPUTES),
        typed_frame(book.get("InterestRates"), INTEREST_RATES),
    )


def complete(settings: Settings, customers: pd.DataFrame, tax_rates: pd.DataFrame, invoices: pd.DataFrame,
             lines: pd.DataFrame, payments: pd.DataFrame, disputes: pd.DataFrame | None = None,
             interest_rates: pd.DataFrame | None = None) -> Tables:
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
    if "dunning_level" in invoices:  # an integer column: a level, not an amount
        invoices["dunning_level"] = pd.Series([None if v is None else int(v) for v in invoices["dunning_level"]],
                                              index=invoices.index, dtype=object)
    payments = payments.assign(currency=payments["currency"].fillna(settings.base_currency))
    disputes = _empty(DISPUTES) if disputes is None else disputes
    interest_rates = _empty(INTEREST_RATES) if interest_rates is None else interest_rates.sort_values("valid_from")
    return Tables(settings, customers, tax_rates, invoices, lines, payments, disputes, interest_rates)
