"""`xlbilling send`: the issued invoices and the letters of a workbook by e-mail, each once.

Exit codes: 0 everything due was sent (or drafted, or listed), 1 a message failed or is
queued for the next run (each is listed), 2 the file or the arguments cannot be used, or no
SMTP host is configured (unless --outbox or --dry-run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (ArchiveOption, DbOption, Exit, ForceOption, JsonOption, WaitOption, checked_book, err,
                                print_json, working, writes_workbook)


def _writes(options: dict) -> bool:
    return not options["dry_run"] and options["outbox"] is None


@writes_workbook("send", when=_writes)
def send(
    path: Path = typer.Argument(..., help="The billing workbook."),
    invoices: bool = typer.Option(False, "--invoices", help="Send the issued invoices and credit notes."),
    reminders: bool = typer.Option(False, "--reminders", help="Send the reminder letters."),
    statements: bool = typer.Option(False, "--statements", help="Send the customer statements."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be sent; send and record nothing."),
    outbox: Optional[Path] = typer.Option(None, "--outbox", help="Write .eml drafts (X-Unsent: 1, Outlook opens "
                                          "them as drafts) into this folder instead of sending; records nothing."),
    resend: bool = typer.Option(False, "--resend", help="Send again what was sent, or may have been (a run that "
                                "stopped half-way: the same Message-ID)."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    archive: Optional[Path] = ArchiveOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Send the issued documents and letters by e-mail (no kind option: all kinds), never twice."""
    from billing.changes import Changes
    from billing.config import archive_dir
    from billing.contract import ALLOCATIONS
    from billing.pipeline.send import KINDS, SendOptions, send as run_send
    from billing.store import open_store
    from billing.workbook.write import apply_changes

    chosen = tuple(k for k, on in zip(KINDS, (invoices, reminders, statements)) if on) or KINDS
    book, found = checked_book(path, as_json, optional=(ALLOCATIONS,))
    engine = open_store(db)
    options = SendOptions(chosen, dry_run, outbox, resend)
    with working("Sending", quiet=as_json):
        result = run_send(book, found.tables, engine, archive_dir(archive, db), options)
    if result.sent_sheet is not None:
        apply_changes(path, Changes(outputs=(result.sent_sheet,)))
    if as_json:
        print_json({**result.as_dict(), **({"dry_run": True} if dry_run else {}),
                    **({"outbox": str(outbox)} if outbox is not None else {})})
    else:
        verb = "would send" if dry_run else "drafted" if outbox is not None else "sent"
        for message in result.sent:
            err.print(f"  {verb} {message['kind']} {message['document']} to {message['to']}: {message['subject']}",
                      markup=False)
        for message in result.failed:
            err.print(f"  {message['status']} {message['kind']} {message['document']} to {message['to']}: "
                      f"{message['error']}", markup=False)
        for message in result.skipped:
            err.print(f"  skipped {message['kind']} {message['document']}: {message['reason']}", markup=False)
        err.print(f"{path}: {verb} {len(result.sent)}, failed or queued {len(result.failed)}, skipped "
                  f"{len(result.skipped)}" + (f" (drafts in {outbox})" if outbox is not None else ""), markup=False)
    if result.failed:
        raise Exit(1)
