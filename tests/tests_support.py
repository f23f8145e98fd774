"""Typed tables straight from sample data, without a workbook file in between."""

from __future__ import annotations

import pandas as pd

from billing.contract import CUSTOMERS, DISPUTES, INTEREST_RATES, INVOICE_LINES, INVOICES, PAYMENTS, TAX_RATES
from billing.settings import Settings
from billing.tables import Tables, complete


def tables_of(data) -> Tables:
    """What `billing.tables.typed_tables` builds from the sample's workbook, minus the file."""
    def frame(rows, spec):
        return pd.DataFrame([{c: r.get(c) for c in spec.column_names} for r in rows],
                            index=pd.RangeIndex(2, 2 + len(rows), name="row"), dtype=object)

    settings = Settings(**{k: v for k, v in data.settings if v not in (None, "")})
    return complete(settings, frame(data.customers, CUSTOMERS), frame(data.tax_rates, TAX_RATES),
                    frame(data.invoices, INVOICES), frame(data.lines, INVOICE_LINES),
                    frame(data.payments, PAYMENTS), frame(getattr(data, "disputes", ()), DISPUTES),
                    frame(getattr(data, "interest_rates", ()), INTEREST_RATES))


def text_of(pdf_bytes: bytes) -> str:
    """The page text as a reader sees it (pypdfium2, the dev dependency that draws the README picture)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(pdf_bytes)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
