"""`xlbilling statements`: one customer statement file per customer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import BadFile, JsonOption, aged_book, as_of_date, err, print_json


def statements(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_of: str = typer.Option(..., "--as-of", help="Last day of the statements (YYYY-MM-DD)."),
    start: Optional[str] = typer.Option(None, "--from", help="First day (default: the 1st of the --as-of month)."),
    customer: Optional[str] = typer.Option(None, "--customer", help="Only this customer_id."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the files "
                                       "(default: <workbook>-statements-<as-of> beside the workbook)."),
    as_json: bool = JsonOption,
) -> None:
    """Write one customer statement file (.xlsx) per customer: opening balance, invoices,
    credit notes, payments and closing balance."""
    from billing.money import format_amount
    from billing.receivables.customer_statements import statement_sheets, statements as build
    from billing.workbook.newfile import write_workbook

    end = as_of_date(as_of)
    first = as_of_date(start, "--from") if start else end.replace(day=1)
    if first > end:
        raise BadFile(f"--from {first} is after --as-of {end}")
    tables, reports = aged_book(path, as_json, end)
    ledger = reports.ledger
    if customer is not None and customer not in ledger.names:
        raise BadFile(f"--customer {customer!r}: no such customer_id on the Customers sheet")
    found = build(ledger, first, end, customer)
    folder = out or path.with_name(f"{path.stem}-statements-{end.isoformat()}")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for s in found:
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in (s.customer_id or "unidentified"))
        dest = write_workbook(folder / f"{name}-{s.currency}.xlsx", statement_sheets(s, tables.settings.company_name))
        written.append((s, dest))
    if as_json:
        print_json({"as_of": end.isoformat(), "from": first.isoformat(), "statements": [
            {"customer_id": s.customer_id, "currency": s.currency, "opening": format_amount(s.opening, s.currency),
             "closing": format_amount(s.closing, s.currency), "lines": len(s.lines), "file": str(dest)}
            for s, dest in written]})
    else:
        for s, dest in written:
            sys.stdout.write(f"{s.customer_id}\t{s.currency}\t{format_amount(s.closing, s.currency)}\t{dest}\n")
        err.print(f"{path}: {len(written)} statements from {first} to {end} in {folder}")
