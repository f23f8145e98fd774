"""`xlbilling number`: invoice numbers from the registry."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (DbOption, Exit, ForceOption, JsonOption, WaitOption, checked_book, err,
                                print_findings, print_json, working, writes_workbook)


@writes_workbook("number")
def number(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Number every issued invoice that has no number yet (drafts never), in issue-date order."""
    from billing.changes import Changes
    from billing.invoicing.compute import compute as compute_all
    from billing.numbering.registry import remember_workbook
    from billing.pipeline.steps import number_step
    from billing.store import open_store
    from billing.workbook.write import apply_changes

    book, found = checked_book(path, as_json)
    engine = open_store(db)
    tables = found.tables
    with working("Allocating numbers", quiet=as_json):
        step = number_step(book, tables, compute_all(tables), engine)
    if step.refusals:
        if as_json:
            print_json({"assigned": [], "errors": [f.as_dict() for f in step.refusals]})
        else:
            print_findings(step.refusals, str(path))
            err.print(f"{path}: nothing numbered ({len(step.refusals)} refused)")
        raise Exit(1)
    if step.updates:
        apply_changes(path, Changes(updates=tuple(step.updates), headers=tuple(step.headers)))
    remember_workbook(engine, step.workbook_id, str(path.resolve()))
    assigned = step.assigned
    if as_json:
        print_json({"assigned": [{"invoice_key": a.invoice_key, "invoice_no": a.number} for a in assigned]})
    else:
        for a in assigned:
            sys.stdout.write(f"{a.invoice_key}\t{a.number}\n")
        err.print(f"{path}: {len(assigned)} invoices numbered")
