"""`xlbilling close`: the month-end close on one workbook, written once; `--seal` seals it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (DbOption, Exit, ForceOption, JsonOption, WaitOption, as_of_date, csv_mapping, err,
                                existing_file, jsonable, print_findings, print_json, step_progress, writes_workbook)


def statement_files(paths: list[Path]) -> tuple[Path, ...]:
    """The statement files given: files as they are, folders by their files (hidden ones skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        else:
            found.append(existing_file(path))
    return tuple(found)


@writes_workbook("close")
def close(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_of: str = typer.Option(..., "--as-of", help="The closing date (YYYY-MM-DD), usually the month's last day."),
    statement: list[Path] = typer.Option([], "--statement", help="Bank statement file or folder of them to import "
                                          "(CAMT.053, MT940, CSV); may be given several times."),
    csv_format: str = typer.Option("contract", "--csv-format", help="Columns of CSV statements: contract or german."),
    dso_days: int = typer.Option(90, "--dso-days", min=1, max=3660, help="Length of the DSO period in days."),
    seal: bool = typer.Option(False, "--seal", help="Seal and archive the closed workbook."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Month-end close: validate, compute, number, import, match, age, statements; one write."""
    from billing.contract import ALLOCATIONS
    from billing.numbering.registry import remember_workbook
    from billing.pipeline.close import STEPS, CloseOptions, close as run_close
    from billing.store import open_store
    from billing.workbook.read import read_book
    from billing.workbook.write import apply_changes

    day = as_of_date(as_of)
    options = CloseOptions(day, statement_files(statement), csv_mapping(csv_format), dso_days)
    engine = open_store(db)
    with step_progress(STEPS + ("write",), quiet=as_json) as on_step:
        on_step("read")
        book = read_book(existing_file(path), optional=(ALLOCATIONS,))
        result = run_close(book, engine, options, on_step, workbook=path.name)
        del book  # the read tables are not needed by the write: ~100 MB less at the peak on 100k invoices
        on_step("write")
        apply_changes(path, result.changes)
    if result.ok:
        remember_workbook(engine, result.summary["steps"]["number"]["workbook_id"], str(path.resolve()))
    document = {"ok": result.ok, "stopped_at": result.stopped_at, **jsonable(result.summary),
                "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
                "errors": [f.as_dict() for f in result.findings if f.severity == "error"]}
    if result.ok and seal:
        from billing.cli.seal import seal_after_close

        document["seal"] = seal_after_close(path, db, as_json)
    if as_json:
        print_json(document)
    else:
        print_findings(result.findings, str(path))
        if result.ok:
            print_close_summary(result.summary, document.get("seal"))
            err.print(f"{path}: closed as of {day}")
        else:
            err.print(f"{path}: close stopped at `{result.stopped_at}` ({len(document['errors'])} errors, written to "
                      "the Validation sheet); nothing else was changed")
    if not result.ok:
        raise Exit(1)


def print_close_summary(summary: dict, seal: dict | None = None) -> None:
    """The close's figures as a table on the terminal: the rows of the Close sheet
    (`billing.pipeline.close.summary_rows`), and the archive entry when it was sealed."""
    from rich.table import Table

    from billing.pipeline.close import summary_rows

    table = Table(title=f"Close as of {summary['as_of']}", show_lines=False)
    for column in ("step", "figure", "value"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for section, item, currency, amount, note in summary_rows(summary):
        table.add_row(section, f"{currency} {item}" if currency else item,
                      str(amount) if amount is not None else note or "-")
    if seal is not None:
        table.add_row("seal", "archive id", str(seal.get("archive_id")))
    err.print(table)
