"""`xlbilling numbers audit`: the numbering registry's gaps, duplicates and unexplained numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import DbOption, Exit, JsonOption, err, print_findings, print_json

app = typer.Typer(help="The numbering registry.", no_args_is_help=True)


def rows_for_audit(path: Path) -> dict[str, tuple] | None:
    """invoice_key -> (invoice_no, customer_id, gross, status) of a workbook, None if unreadable.
    An invalid workbook still shows its rows (typed as far as they go), without totals."""
    from billing.errors import BadFile
    from billing.invoicing.compute import compute as compute_all
    from billing.pipeline import checked
    from billing.tables import typed_tables
    from billing.workbook.read import read_book

    try:
        book = read_book(path)
    except BadFile:
        return None
    found = checked(book)
    if found.valid:
        tables = found.tables
        gross = compute_all(tables).invoices["gross"]
    else:
        tables = typed_tables(book, found.validation.settings)
        gross = [None] * len(tables.invoices)
    invoices = tables.invoices
    return {key: (no, customer, g, status) for key, no, customer, g, status in zip(
        invoices["invoice_key"], invoices["invoice_no"], invoices["customer_id"], gross, invoices["status"])}


@app.command("audit")
def audit(
    series: Optional[str] = typer.Option(None, "--series", help="Only numbers of this series (pattern or prefix)."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
) -> None:
    """Gaps, duplicates and unexplained numbers in the registry (exit 1 if any)."""
    from billing.errors import has_errors
    from billing.numbering.audit import audit as audit_registry
    from billing.store import open_store

    findings = audit_registry(open_store(db), rows_for_audit, series)
    ok = not has_errors(findings)
    if as_json:
        print_json({"ok": ok, "findings": [f.as_dict() for f in findings]})
    else:
        print_findings(findings)
        err.print(f"numbers audit: {'ok' if ok else 'unexplained numbers found'} ({len(findings)} findings)")
    if not ok:
        raise Exit(1)
