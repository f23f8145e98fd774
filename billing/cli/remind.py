"""`xlbilling remind`: the reminder letters due on a date, as PDF letters, archived, written back.

Exit codes: 0 letters made (or none due), 1 a finding stops the run (an interest without a
reference rate, --charge without an exempt tax code: each at its cell; nothing written,
nothing archived), 2 the file or the arguments cannot be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (ArchiveOption, DbOption, Exit, ForceOption, JsonOption, WaitOption, as_of_date,
                                checked_book, err, print_findings, print_json, working, writes_workbook)


@writes_workbook("remind")
def remind(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_of: str = typer.Option(..., "--as-of", help="The day of the letters (YYYY-MM-DD)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where the letters go, a folder per as-of date (default: "
                                       "Settings documents_folder, else documents/ beside the workbook)."),
    charge: bool = typer.Option(False, "--charge", help="Also charge each letter's fee, interest and compensation "
                                "as a draft invoice REM-<customer>-<as-of> (tax code of kind exempt)."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    archive: Optional[Path] = ArchiveOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Reminder letters (PDF) with interest and fees for the overdue items as of a date; writes
    back last_reminder and dunning_level, the Reminders and DisputeList sheets."""
    from billing.changes import Changes
    from billing.config import archive_dir
    from billing.contract import ALLOCATIONS
    from billing.pipeline.remind import RemindOptions, out_folder, publish, remind as run_remind, texts_file
    from billing.pipeline.issue import logo_of
    from billing.pipeline.steps import compute_step, receivables_step
    from billing.store import open_store
    from billing.workbook.write import apply_changes

    day = as_of_date(as_of)
    book, found = checked_book(path, as_json, optional=(ALLOCATIONS,))
    step = compute_step(book, found.tables)
    settings = step.tables.settings
    folder = out if out is not None else out_folder(path, settings)
    options = RemindOptions(folder, texts_file(path, settings), logo_of(path, settings), charge)
    with working("Reminding", quiet=as_json):
        reports = receivables_step(book, step.tables, step.computed, day)
        result = run_remind(book, step.tables, reports.ledger, day, options, reports.outputs)
        if result.ok and result.letters:
            publish(result.letters, folder, open_store(db), archive_dir(archive, db), settings.workbook_id or "")
            apply_changes(path, result.changes)
    if as_json:
        print_json(document_of(result, day, folder))
    elif result.ok:
        print_findings(result.findings, str(path))  # warnings
        for made in result.letters:
            letter = made.letter
            err.print(f"  {letter.customer_id:<10} {letter.currency} level {letter.level}  {len(letter.items)} items  "
                      f"total {letter.total_due}  {made.file}", markup=False)
        for charge in result.charges:
            err.print(f"  {charge.invoice_key}: draft of {charge.total} {charge.currency} "
                      f"({len(charge.lines)} lines)", markup=False)
        err.print(f"{path}: {len(result.letters)} reminder letters as of {day} into {folder}; "
                  f"{len(result.dunning.skipped) if result.dunning else 0} open items left out", markup=False)
    else:
        print_findings(result.findings, str(path))
        err.print(f"{path}: no reminders ({len(result.findings)} problems); nothing was written or archived",
                  markup=False)
    if not result.ok:
        raise Exit(1)


def document_of(result, day, folder: Path) -> dict:
    """The JSON of a run: the shared contract's keys, then additions (per letter `compensation`,
    `disputed`, `credits`, `language`, per item `disputed`, `compensation`, `level`; `skipped`
    with reasons, `charged`, `out`, `ok`, `errors`)."""
    from decimal import Decimal

    from billing.money import format_amount

    def amount(value, currency):
        return format_amount(Decimal(value), currency)

    letters = []
    for made in result.letters:
        letter, cur = made.letter, made.letter.currency
        zero = amount(0, cur)
        items = [{"invoice_no": i.invoice_no, "open": amount(i.due, cur), "days_past_due": i.days_past_due,
                  "interest": amount(i.interest.total, cur) if i.interest else zero,
                  "fee": amount(letter.fee, cur) if n == 0 else zero,
                  "level": i.level, "compensation": amount(i.compensation, cur), "disputed": amount(i.disputed, cur)}
                 for n, i in enumerate(letter.items)]
        letters.append({"customer_id": letter.customer_id, "currency": cur, "level": letter.level, "items": items,
                        "interest": amount(letter.interest, cur), "fees": amount(letter.fee, cur),
                        "total": amount(letter.total_due, cur), "file": made.file,
                        "compensation": amount(letter.compensation, cur),
                        "disputed": amount(sum((i.disputed for i in letter.items), 0), cur),
                        "credits": [{"number": c.number, "amount": amount(c.amount, cur)} for c in letter.credits],
                        "language": made.language, "notes": list(letter.notes)})
    skipped = [s._asdict() for s in result.dunning.skipped] if result.dunning else []
    charged = [{"invoice_key": c.invoice_key, "customer_id": c.customer_id, "currency": c.currency,
                "total": amount(c.total, c.currency),
                "lines": [{"description": line.description, "amount": amount(line.amount, c.currency)}
                          for line in c.lines]} for c in result.charges]
    return {"as_of": day.isoformat(), "letters": letters, "skipped": skipped, "charged": charged,
            "out": str(folder), "ok": result.ok, "errors": [f.as_dict() for f in result.findings]}
