"""`xlbilling demo`: a sample workbook and bank statements, the month's contracts billed, closed, the month's invoices issued,
the overdue customers reminded, everything put in an outbox of e-mail drafts, sealed and
verified."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import typer

from billing.cli.common import Exit, err, working


def demo(
    folder: Path = typer.Option(Path("xlbilling-demo"), "--dir", help="Where the demo puts its files."),
    invoices: int = typer.Option(300, "--invoices", min=1, max=100_000, help="Number of sample invoices."),
) -> None:
    """Make a sample workbook and bank statements, run the month-end close on them, issue the
    month's invoices (PDF, Factur-X, e-invoices), write the reminder letters that are due, put
    invoices and letters as e-mail drafts into an outbox, seal and verify; everything on the
    embedded defaults inside the demo folder."""
    import shutil

    from billing import config
    from billing.cli.bill import bill
    from billing.cli.close import close
    from billing.cli.remind import remind
    from billing.cli.send import send
    from billing.cli.seal import seal
    from billing.cli.verify import verify
    from billing.sample.demo import prepare_demo

    folder = folder.resolve()
    # the demo's store and archive are its own: a rerun starts them afresh (a new sample
    # workbook reuses the numbers, which a kept store would rightly refuse)
    for leftover in (folder / "store.db", folder / "store.db-wal", folder / "store.db-shm"):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(folder / "archive", ignore_errors=True)
    for made in ("documents", "outbox"):
        shutil.rmtree(folder / made, ignore_errors=True)
    store = f"sqlite:///{folder / 'store.db'}"
    os.environ.setdefault(config.ENV_ARCHIVE_DIR, str(folder / "archive"))
    os.environ.setdefault(config.ENV_KEY_FILE, str(folder / "keys" / "signing-key.pem"))
    with working("Creating the sample workbook and bank statements", quiet=False):
        files = prepare_demo(folder, invoices)
    err.print(f"Sample workbook: {files.workbook}")
    for statement in files.statements:
        err.print(f"Bank statement:  {statement}")
    as_of = files.as_of.isoformat()
    period = files.as_of.strftime("%Y-%m")
    # the month's contracts billed before the close: their drafts are computed and aged with the rest
    code = _demo_step(["bill", str(files.workbook), "--period", period, "--db", store],
                      lambda: bill(path=files.workbook, period=period, show_plan=False, first=None, last=None,
                                   as_json=False, db=store, wait=False, force=False))
    if code == 0:
            code = _demo_step(["close", str(files.workbook), "--as-of", as_of, "--db", store,
                           *(arg for s in files.statements for arg in ("--statement", str(s)))],
                          lambda: close(path=files.workbook, as_of=as_of, statement=list(files.statements),
                                        csv_format="contract", dso_days=90, seal=False, as_json=False, db=store,
                                        wait=False, force=False))
    if code == 0:
        code = _issue_month(files.workbook, files.as_of, folder / "documents", store)
    if code == 0:
        code = _demo_step(["remind", str(files.workbook), "--as-of", as_of, "--out", str(folder / "documents"),
                           "--db", store],
                          lambda: remind(path=files.workbook, as_of=as_of, out=folder / "documents", charge=False,
                                         as_json=False, db=store, archive=None, wait=False, force=False))
    if code == 0:
        code = _demo_step(["send", str(files.workbook), "--outbox", str(folder / "outbox"), "--db", store],
                          lambda: send(path=files.workbook, invoices=False, reminders=False, statements=False,
                                       dry_run=False, outbox=folder / "outbox", resend=False, as_json=False,
                                       db=store, archive=None, wait=False, force=False))
    if code == 0:
        code = _demo_step(["seal", str(files.workbook)],
                          lambda: seal(path=files.workbook, period=None, sealer=None, key=None, archive=None,
                                       as_json=False, db=store, wait=False, force=False))
    if code == 0:
        code = _demo_step(["verify", str(files.workbook)],
                          lambda: verify(path=files.workbook, public_key=None, record=None, no_archive=False,
                                         key=None, archive=None, as_json=False, db=None))
    err.print(f"\nOpen {files.workbook} and look at the sheets Close, Aging (with its chart), Dunning, "
              "Allocations, Unmatched, Statements, InvoiceTaxSummary, Documents, Reminders and DisputeList; the "
              f"month's invoices and the reminder letters are in {folder / 'documents'}, the e-mails to send them "
              f"(.eml drafts) in {folder / 'outbox'}.")
    err.print(f"Store (numbers, archive index): {folder / 'store.db'}")
    if code:
        raise Exit(code)


def _issue_month(workbook: Path, as_of, out: Path, store: str) -> int:
    """Issue the invoices dated in the close's month, each in its customer's format (PDF for
    most, Factur-X for French customers, Peppol and XRechnung for Benelux companies and German
    public bodies); a format whose official rules are not installed (Peppol, XRechnung, CII:
    ../shared or XLBILLING_RULES_DIR) is issued as EN 16931 UBL instead, said so."""
    from billing.contract import ALLOCATIONS
    from billing.cli.issue import issue
    from billing.pipeline import checked
    from billing.pipeline.issue import month_documents, rules_installed
    from billing.pipeline.steps import compute_step
    from billing.workbook.read import read_book

    book = read_book(workbook, optional=(ALLOCATIONS,))
    step = compute_step(book, checked(book).tables)
    own, instead = [], []
    for format_name, numbers in sorted(month_documents(step.tables, step.computed, as_of).items()):
        (own if rules_installed(format_name) else instead).extend(numbers)
    code = 0
    for numbers, formats in ((own, []), (instead, ["ubl"])):
        if not numbers or code:
            continue
        if formats:
            err.print(f"\n(the official Peppol/XRechnung/CII rules are not installed: {len(numbers)} invoices "
                      "are issued as EN 16931 UBL instead)")
        shown = [*(a for n in numbers[:2] for a in ("--invoice", n)), "..." if len(numbers) > 2 else ""]
        code = _demo_step(["issue", str(workbook), *shown, *(a for f in formats for a in ("--format", f)),
                           "--out", str(out), "--db", store],
                          lambda: issue(path=workbook, invoice=numbers, format=formats, out=out, rules=None,
                                        as_json=False, db=store, archive=None, wait=False, force=False))
    return code


def _demo_step(argv: list[str], run: Callable[[], None]) -> int:
    """Run one command of the demo, showing the command line it stands for; its exit code."""
    err.print(f"\n$ xlbilling {' '.join(argv)}", style="bold")
    try:
        run()
    except Exit as done:
        return done.code
    return 0
