"""Computing a workbook: every line's and invoice's net, tax and gross, due dates, tax summary.

`compute(tables)` is pure: typed tables in, results indexed by the Excel rows they belong
to out. `billing.invoicing.arithmetic` holds the arithmetic; this module gathers each line's (or
lineless invoice's) inputs, runs it once over the whole workbook, and sums per invoice.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import pandas as pd

from billing.invoicing.arithmetic import ONE, ZERO, Items, compute_items, effective_rate
from billing.tables import Tables
from billing.invoicing.terms import BusinessCalendar, due_date, parse_terms

#: what the tax summary says about a code that carries no tax
TAX_NOTES = {
    "zero": "Zero-rated supply",
    "exempt": "Exempt from VAT",
    "reverse_charge": "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196 of Directive 2006/112/EC)",
    "intra_eu": "Intra-Community supply exempt from VAT (Article 138 of Directive 2006/112/EC)",
    "export": "Export outside the EU exempt from VAT (Article 146 of Directive 2006/112/EC)",
}


class Computed(NamedTuple):
    lines: pd.DataFrame  # by InvoiceLines row: net, tax, gross
    invoices: pd.DataFrame  # by Invoices row: invoice_key, currency, net, tax, gross, due_date
    tax_summary: pd.DataFrame  # invoice_key, invoice_no, tax_code, rate, kind, base, tax, note


def compute(tables: Tables) -> Computed:
    """Net, tax and gross of every line and invoice, due dates and the tax summary."""
    settings, invoices, lines = tables.settings, tables.invoices, tables.lines
    rates = tables.tax_rates.drop_duplicates("tax_code").set_index("tax_code")
    by_key = invoices.drop_duplicates("invoice_key").set_index("invoice_key")

    lineless = invoices[~invoices["invoice_key"].isin(set(lines["invoice_key"]))]
    own_amount = lineless["gross"] if settings.price_mode == "gross" else lineless["net"]
    line_count = len(lines)
    keys = lines["invoice_key"].tolist() + lineless["invoice_key"].tolist()
    codes = lines["tax_code"].tolist() + lineless["tax_code"].tolist()
    kind_of, rate_of = dict(zip(rates.index, rates["kind"])), dict(zip(rates.index, rates["rate"]))
    kinds = [kind_of.get(c) for c in codes]
    items = Items(
        invoice=keys,
        quantity=lines["quantity"].tolist() + [ONE] * len(lineless),
        unit_price=lines["unit_price"].tolist() + own_amount.tolist(),
        line_discount=lines["discount_pct"].tolist() + [ZERO] * len(lineless),
        invoice_discount=by_key["discount_pct"].reindex(keys).tolist(),
        tax_code=codes,
        rate=[effective_rate(rate_of.get(c), k) for c, k in zip(codes, kinds)],
        currency=by_key["currency"].reindex(keys).tolist(),
    )
    result = compute_items(items, settings.price_mode, settings.tax_rounding, settings.rounding)
    result["kind"] = kinds

    line_amounts = result.iloc[:line_count][["net", "tax", "gross"]].set_axis(lines.index)
    totals = result.groupby("invoice", sort=False)[["net", "tax", "gross"]].sum()
    out = invoices[["invoice_key", "currency"]].copy()
    for column in ("net", "tax", "gross"):
        out[column] = out["invoice_key"].map(totals[column])
    out["due_date"] = due_dates(invoices, settings.business_days_country)
    return Computed(line_amounts, out, tax_summary(result, by_key, rates))


def due_dates(invoices: pd.DataFrame, country: str | None) -> list[dt.date]:
    """A typed due date is kept; a blank one follows from the issue date and the terms."""
    calendar = BusinessCalendar(country) if country else None
    return [
        typed if typed is not None else due_date(issue, parse_terms(terms), calendar)
        for typed, issue, terms in zip(invoices["due_date"], invoices["issue_date"], invoices["terms"])
    ]


def tax_summary(result: pd.DataFrame, by_key: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Per invoice and tax code: the rate, the taxable base and the tax (EU invoice content)."""
    groups = result.groupby(["invoice", "tax_code"], sort=False)
    summary = groups[["net", "tax"]].sum().reset_index()
    summary.columns = ["invoice_key", "tax_code", "base", "tax"]
    summary["invoice_no"] = summary["invoice_key"].map(by_key["invoice_no"])
    summary["rate"] = summary["tax_code"].map(rates["rate"])
    summary["kind"] = summary["tax_code"].map(rates["kind"])
    summary["note"] = pd.Series([TAX_NOTES.get(kind) for kind in summary["kind"]], dtype=object)
    summary["currency"] = summary["invoice_key"].map(by_key["currency"])
    return summary[["invoice_key", "invoice_no", "tax_code", "rate", "kind", "base", "tax", "currency", "note"]]


