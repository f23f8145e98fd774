"""The demo's files: a sample workbook whose last weeks of payments arrive as bank files.

`prepare_demo` generates sample data (invoices issued over three months up to the
sample's as-of date, payments that exercise every matching method), keeps the payments
valued before the statement period in the workbook and writes the rest as one CAMT.053
statement and one CSV export (alternate payments in each), the way a specialist would
receive them at month-end. Two German customers receive Factur-X and UBL e-invoices, so
the month's issue shows them beside the PDFs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from billing.workbook.create import create_workbook
from billing.sample import DEFAULT_AS_OF, generate_sample
from billing.sample.bank_files import camt053, payments_csv, write_file

#: the bank account the demo company's customers pay into
DEMO_ACCOUNT = "DE89370400440532013000"
STATEMENT_DAYS = 14


#: documents the demo shows beyond the sample's own formats: the first German customers
#: without one receive Factur-X (ZUGFeRD) and plain EN 16931 UBL
DEMO_FORMATS = ("facturx", "ubl")


def with_demo_formats(customers: tuple[dict, ...]) -> tuple[dict, ...]:
    """The customers, the first German ones without a `document_format` given `DEMO_FORMATS`."""
    formats = list(DEMO_FORMATS)
    out = []
    for row in customers:
        if formats and row.get("country") == "DE" and not row.get("document_format"):
            row = {**row, "document_format": formats.pop(0)}
        out.append(row)
    return tuple(out)


class DemoFiles(NamedTuple):
    workbook: Path
    statements: tuple[Path, ...]
    as_of: dt.date


def prepare_demo(folder: Path, invoices: int = 300, seed: int = 1) -> DemoFiles:
    """Write the demo workbook and its two statement files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    data = generate_sample(invoices, seed=seed)
    start = DEFAULT_AS_OF - dt.timedelta(days=STATEMENT_DAYS - 1)
    kept = tuple(p for p in data.payments if p["value_date"] < start)
    later = [p for p in data.payments if p["value_date"] >= start]
    workbook = folder / "demo.xlsx"
    create_workbook(workbook, replace(data, payments=kept, customers=with_demo_formats(data.customers)),
                    overwrite=True)
    created = dt.datetime.combine(DEFAULT_AS_OF, dt.time(18, 0))
    camt = write_file(folder / f"statement-{DEFAULT_AS_OF:%Y%m%d}.camt053.xml",
                      camt053(later[0::2], DEMO_ACCOUNT, f"DEMO-{DEFAULT_AS_OF:%Y%m%d}", created))
    csv = write_file(folder / f"payments-{DEFAULT_AS_OF:%Y%m%d}.csv", payments_csv(later[1::2]))
    return DemoFiles(workbook, (camt, csv), DEFAULT_AS_OF)
