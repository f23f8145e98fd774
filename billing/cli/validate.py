"""`xlbilling validate`: every rule of the contract, each finding with its cell."""

from __future__ import annotations

from pathlib import Path

import typer

from billing.cli.common import (Exit, ForceOption, JsonOption, WaitOption, err, existing_file, print_findings,
                                print_json, working, writes_workbook)


@writes_workbook("validate --write", when=lambda options: options["write"])
def validate(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
    write: bool = typer.Option(False, "--write", help="Write the Validation sheet and mark the cells in the file."),
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Check every rule of the contract; print each finding with its cell."""
    from billing.workbook.read import read_book
    from validation import validate_book

    # all findings, the computed totals compared too: not the pipeline's preamble, which stops at invalid
    book = read_book(existing_file(path))
    with working("Validating", quiet=as_json):
        result = validate_book(book)
    if write:
        from billing.pipeline.findings import validation_changes
        from billing.workbook.write import apply_changes

        apply_changes(path, validation_changes(result.findings))
    if as_json:
        print_json({"valid": result.valid, "errors": [f.as_dict() for f in result.findings]})
    else:
        print_findings(result.findings, str(path))
        errors = len(result.errors)
        warnings = len(result.findings) - errors
        verdict = "valid" if result.valid else "invalid"
        err.print(f"{path}: {verdict} ({errors} errors, {warnings} warnings)")
    if not result.valid:
        raise Exit(1)
