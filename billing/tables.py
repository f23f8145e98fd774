"""Typed tables: a validated workbook's rows as DataFrames of Decimals, dates and codes.

The domain code (computation, matching, aging) works on these, never on cells. Columns are
read exactly as validation read them (`billing.cellvalues`), blanks take the contract's
defaults (`kind` invoice, `status` draft, the invoice's currency and terms from its
customer, else from Settings), and the index stays the Excel row, so any result can be
written back to its cell. Build them only from a workbook that validated.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

import pandas as pd

from billing.book import Book, SheetTable
from billing.cellvalues import code_column, date_column, decimal_column, text_column, upper_column
from billing.contract import (CONTRACTS, CUSTOMERS, DEFAULT_PRORATION, DEFAULT_TIMING, DISPUTES, INTEREST_RATES,
                              INVOICE_LINES, INVOICES, PAYMENTS, PRICE_INDEX, PRICE_TIERS, TAX_RATES, USAGE, Kind,
                              SheetSpec)
from billing.settings import Settings

CODE_COLUMNS = frozenset({"kind", "status", "document_format", "on_hold", "language", "reason",
                          "period", "timing", "proration", "usage_pricing"})
UPPER_COLUMNS = frozenset({"currency", "country"})
#: text, or a number read as a percentage: Excel turns a typed `3%` into 0.03
PERCENT_TEXT_COLUMNS = frozenset({"price_change"})
_TEXT_READ = CODE_COLUMNS | UPPER_COLUMNS | PERCENT_TEXT_COLUMNS  # read as text whatever their kind


def percent_text_column(values: list) -> list:
    """Text stripped; a number (Excel's reading of a typed `3%`) as the percentage it shows:
    0.03 → '3%'. A logical value is left for validation to refuse.

    >>> percent_text_column([0.03, " index:CPI ", 0.025, None])
    ['3%', 'index:CPI', '2.5%', None]
    """
    out = []
    for value in values:
        if type(value) in (float, int):
            number = Decimal(repr(value)) * 100 if type(value) is float else Decimal(value) * 100
            text = format(number.normalize(), "f")
            value = f"{text}%"
        elif type(value) is str:
            value = value.strip()
        out.append(value)
    return out


def read_column(table: SheetTable, name: str, numbers: bool = True) -> list:
    """A column read as the contract reads it; validation checks exactly this reading.

    With `numbers=False`, number columns are left as the cells gave them (validation's
    pydantic models read float, int and numeric text exactly themselves).

    The reading is made once per table and column and kept in `table.derived`: validation's
    row models and rules read it, and the typed tables take the same lists (a number column
    as Decimals made from it) instead of reading every column of the book a second time.
    Callers must not change the list they get.
    """
    key = ("read", name)
    values = table.derived.get(key)
    if values is None:
        values = table.derived[key] = _read(table, name)
    return decimal_column(values) if numbers and _is_number(table, name) else values


def _column_kind(table: SheetTable, name: str) -> Kind:
    return table.spec.column(name).kind if name in table.spec.column_names else Kind.TEXT


def _is_number(table: SheetTable, name: str) -> bool:
    """Whether the contract reads the column as numbers (Decimals)."""
    return name not in _TEXT_READ and _column_kind(table, name) not in (Kind.DATE, Kind.TEXT)


def _read(table: SheetTable, name: str) -> list:
    """The column's cells read as the contract reads them, number columns as the cells gave them."""
    values = table.frame[name].tolist()
    if name in CODE_COLUMNS:
        return code_column(values)
    if name in UPPER_COLUMNS:
        return upper_column(values)
    if name in PERCENT_TEXT_COLUMNS:
        return percent_text_column(values)
    kind = _column_kind(table, name)
    if kind is Kind.DATE:
        return date_column(values)
    if kind is Kind.TEXT:
        return text_column(values)
    return values


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
    #: one row per contract line: `currency` resolved (the customer's, else the base currency),
    #: `timing` and `proration` their defaults when blank, `anchor_day` an int (blank: the start
    #: date's day), `minimum_term_months` an int or None, `period`, `on_hold`, `usage_pricing`
    #: case-folded codes, `price_change` None, `'3%'` or `'index:<name>'` as written
    contracts: pd.DataFrame = _empty(CONTRACTS)
    usage: pd.DataFrame = _empty(USAGE)  # `date` a date, `quantity` a Decimal
    #: `month` the first day of its month (any day of a month stands for it), `value` a Decimal
    price_index: pd.DataFrame = _empty(PRICE_INDEX)
    price_tiers: pd.DataFrame = _empty(PRICE_TIERS)  # `from_quantity`, `unit_price` Decimals


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
        typed_frame(book.get("Contracts"), CONTRACTS),
        typed_frame(book.get("Usage"), USAGE),
        typed_frame(book.get("PriceIndex"), PRICE_INDEX),
        typed_frame(book.get("PriceTiers"), PRICE_TIERS),
    )


def complete(settings: Settings, customers: pd.DataFrame, tax_rates: pd.DataFrame, invoices: pd.DataFrame,
             lines: pd.DataFrame, payments: pd.DataFrame, disputes: pd.DataFrame | None = None,
             interest_rates: pd.DataFrame | None = None, contracts: pd.DataFrame | None = None,
             usage: pd.DataFrame | None = None, price_index: pd.DataFrame | None = None,
             price_tiers: pd.DataFrame | None = None) -> Tables:
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
    contracts = _empty(CONTRACTS) if contracts is None else _contracts(contracts, by_customer, settings)
    usage = _empty(USAGE) if usage is None else usage
    price_index = _empty(PRICE_INDEX) if price_index is None else price_index.assign(
        month=[m.replace(day=1) if isinstance(m, dt.date) else m for m in price_index["month"]])
    price_tiers = _empty(PRICE_TIERS) if price_tiers is None else price_tiers
    return Tables(settings, customers, tax_rates, invoices, lines, payments, disputes, interest_rates,
                  contracts, usage, price_index, price_tiers)


def _whole(values) -> list:
    """An integer column's Decimals as ints (None stays None)."""
    return [None if v is None else int(v) for v in values]


def _contracts(contracts: pd.DataFrame, by_customer: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Contract lines with the contract's defaults filled in."""
    contracts = contracts.copy()
    contracts["currency"] = contracts["currency"].fillna(contracts["customer_id"].map(by_customer["currency"])) \
        .fillna(settings.base_currency)
    contracts["timing"] = contracts["timing"].fillna(DEFAULT_TIMING)
    contracts["proration"] = contracts["proration"].fillna(DEFAULT_PRORATION)
    anchors = [int(a) if a is not None else (s.day if isinstance(s, dt.date) else None)
               for a, s in zip(contracts["anchor_day"], contracts["start_date"])]
    contracts["anchor_day"] = pd.Series(anchors, index=contracts.index, dtype=object)
    contracts["minimum_term_months"] = pd.Series(_whole(contracts["minimum_term_months"]), index=contracts.index,
                                                 dtype=object)
    return contracts
