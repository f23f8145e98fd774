"""`xlbilling new`: a billing workbook of the contract's shape, optionally with sample data."""

from __future__ import annotations

from pathlib import Path

import typer

from billing.cli.common import BadFile, err, working


def new(
    path: Path = typer.Argument(..., help="Where to create the workbook (.xlsx)."),
    sample: int = typer.Option(0, "--sample", min=0, max=1_000_000, help="Fill N sample invoices and payments."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample data: same seed, same data."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Create a billing workbook of the contract's shape, optionally with sample data."""
    from billing.sample import generate_sample
    from billing.workbook.create import create_workbook

    if path.suffix.lower() != ".xlsx":
        raise BadFile(f"{path}: `new` writes an .xlsx workbook; give the path a .xlsx ending")
    if path.exists() and not force:
        raise BadFile(f"{path}: already exists; use --force to replace it")
    with working("Creating workbook", quiet=False):
        data = generate_sample(sample, seed=seed) if sample else None
        create_workbook(path, data, overwrite=force)
    what = f"{sample} sample invoices" if sample else "empty tables"
    err.print(f"Created {path} ({what}).")
