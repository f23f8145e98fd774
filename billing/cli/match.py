"""`xlbilling match`: import bank statements, then match payments to open invoices."""

from __future__ import annotations

from pathlib import Path

import typer

from billing.cli.common import (ForceOption, JsonOption, WaitOption, checked_book, csv_mapping, err, existing_file,
                                print_json, report_invalid, working, writes_workbook)


@writes_workbook("match")
def match(
    path: Path = typer.Argument(..., help="The billing workbook."),
    statement: list[Path] = typer.Option([], "--statement", help="Bank statement to import first "
                                          "(CAMT.053, MT940 or CSV); may be given several times."),
    csv_format: str = typer.Option("contract", "--csv-format",
                                   help="Columns of CSV statements: contract (Payments column names) or german."),
    as_json: bool = JsonOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Import statements into Payments, then match payments to open invoices."""
    from billing.changes import Changes
    from billing.contract import ALLOCATIONS
    from billing.invoicing.compute import compute as compute_all
    from billing.money import format_amount
    from billing.pipeline.steps import match_step
    from billing.workbook.write import apply_changes

    book, found = checked_book(path, as_json, optional=(ALLOCATIONS,))
    tables = found.tables
    with working("Matching", quiet=as_json):
        step = match_step(book, tables, compute_all(tables), [existing_file(s) for s in statement],
                          csv_mapping(csv_format))
    if step.problems:
        report_invalid(found.validation._replace(findings=tuple(step.problems)), path, as_json)
    apply_changes(path, Changes(outputs=step.outputs, updates=tuple(step.updates)))
    currency = dict(zip(step.tables.payments["payment_id"], step.tables.payments["currency"]))
    rows = step.rows()
    imported, outcome = step.imported, step.result
    if as_json:
        print_json({
            "allocations": [{"payment_id": p, "invoice_no": n, "amount": format_amount(a, currency[p]),
                             "method": m, "confidence": float(c) if c is not None else None}
                            for p, n, a, m, c, _ in rows],
            "unmatched": [p.payment_id for p in outcome.unmatched],
            "imported": imported.payments,
            "import": imported._asdict(),
        })
    else:
        methods: dict[str, int] = {}
        for row in rows:
            methods[row[3]] = methods.get(row[3], 0) + 1
        summary = ", ".join(f"{n} {m}" for m, n in sorted(methods.items()))
        err.print(f"{path}: {imported.payments} payments imported ({imported.already_there} already there, "
                  f"{imported.debits_skipped} debits skipped); {len(rows)} allocations ({summary or 'none'}); "
                  f"{len(outcome.unmatched)} payments unmatched")
