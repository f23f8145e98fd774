"""`xlbilling compute`: the computed columns and the tax summary."""

from __future__ import annotations

from pathlib import Path

import typer

from billing.cli.common import (ForceOption, JsonOption, WaitOption, checked_book, err, print_findings, print_json,
                                working, writes_workbook)


@writes_workbook("compute")
def compute(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Fill the computed columns: due dates, line and invoice net/tax/gross, the tax summary."""
    from billing.money import format_amount
    from billing.pipeline.steps import compute_step
    from billing.workbook.write import apply_changes

    book, found = checked_book(path, as_json)
    with working("Computing", quiet=as_json):
        step = compute_step(book, found.tables)
        computed = step.computed
    with working("Writing", quiet=as_json):
        apply_changes(path, step.changes)
    invoices = computed.invoices
    if as_json:
        print_json({"invoices": [
            {"invoice_key": key, "net": format_amount(net, cur), "tax": format_amount(tax, cur),
             "gross": format_amount(gross, cur), "due_date": due.isoformat()}
            for key, cur, net, tax, gross, due in invoices[
                ["invoice_key", "currency", "net", "tax", "gross", "due_date"]].itertuples(index=False)
        ]})
    else:
        print_findings(found.validation.findings, str(path))
        err.print(f"{path}: computed {len(invoices)} invoices and {len(computed.lines)} lines")
