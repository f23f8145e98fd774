"""The ribbon's entry points: one function per button, `def name(book=None)`.

Each reads the live workbook's tables through xlwings' portable Book API into the same
records the command line reads from a file (`macros.live.read_live_book`), calls the same
pipeline functions as the CLI (`billing.pipeline.steps`, `.close`, `.issue`), and writes the results
back with one array write per output sheet. Progress goes to Excel's status bar; a failure
becomes a message box with its one-line reason, never a Python traceback in a dialog.
`book` defaults to `xw.Book.caller()` (the workbook whose button was pressed); tests pass a
`macros.fakebook.FakeBook`.

Aging and Month-end close ask for the as-of date with Excel's input box (ISO or the local
form; Cancel cancels quietly, see `macros.asof`). Sealing and verifying act on the saved
file, and issuing invoices keeps its documents beside it, so those three ask for a save
first (Excel's `Workbook.Saved`).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from billing.errors import BadFile

__all__ = ["validate", "compute", "number_invoices", "import_statement", "match_payments", "aging_report",
           "month_end_close", "issue_invoices", "bill_period", "make_reminders", "send_documents", "seal_workbook", "verify_seal", "refresh_functions", "run_button"]


class Stop(Exception):
    """End a macro with this message to the user (not an error of the program)."""


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


@contextmanager
def _running(book, title: str) -> Iterator[Callable[[str], None]]:
    """Status bar while a macro runs; a message box with the reason when it fails."""
    from macros.live import alert, status

    def say(text: str) -> None:
        status(book, f"xlbilling {title}: {text}")

    say("started")
    cancelled = False
    try:
        yield say
    except Cancelled:
        cancelled = True
    except Stop as stop:
        alert(book, f"{title}: {stop}")
    except BadFile as exc:
        alert(book, f"{title}: {exc}")
    except Exception as exc:  # a bug: still a readable message, never a traceback dialog
        reason = str(exc).strip() or "no reason given (a part of Excel this step needs did not answer)"
        alert(book, f"{title} failed: {type(exc).__name__}: {reason}")
    finally:
        # a quiet word that it was cancelled (no message box); else the status bar is given back
        status(book, f"xlbilling {title}: cancelled" if cancelled else None)


def _checked(book, say):
    """The live workbook read and checked (`billing.pipeline.checked`): (book, typed tables);
    invalid → its findings on the Validation sheet, and the macro stops."""
    from billing.contract import ALLOCATIONS
    from billing.pipeline.findings import validation_sheet
    from macros.live import read_live_book, write_live_outputs

    say("reading the tables")
    data = read_live_book(book, optional=(ALLOCATIONS,))
    from billing.pipeline import checked  # pydantic loads after the first read: a click answers sooner

    say("validating")
    found = checked(data)
    if not found.valid:
        result = found.validation
        write_live_outputs(book, (validation_sheet(result.findings),))
        raise Stop(f"{len(result.errors)} errors: see the Validation sheet; nothing else was changed")
    return data, found.tables


def _write(book, say, changes) -> None:
    from macros.live import apply_live_changes

    say("writing")
    # marks=None: the live writer does not render marks (Unsupported); the Validation sheet
    # links to each offending cell instead
    apply_live_changes(book, changes._replace(marks=None))


def validate(book=None) -> None:
    """Validate: check every rule; findings on the Validation sheet."""
    from billing.pipeline.findings import validation_sheet
    from macros.live import alert, read_live_book, write_live_outputs

    book = _caller(book)
    with _running(book, "Validate") as say:
        data = read_live_book(book)
        from validation import validate_book  # pydantic loads after the first read

        say("validating")
        result = validate_book(data)
        write_live_outputs(book, (validation_sheet(result.findings),))
        alert(book, f"{'Valid' if result.valid else 'Invalid'}: {len(result.errors)} errors, "
                    f"{len(result.findings) - len(result.errors)} warnings (Validation sheet)")


def compute(book=None) -> None:
    """Compute: due dates, line and invoice totals, the tax summary."""
    from billing.pipeline.steps import compute_step

    book = _caller(book)
    with _running(book, "Compute") as say:
        data, tables = _checked(book, say)
        say("computing")
        _write(book, say, compute_step(data, tables).changes)


def number_invoices(book=None) -> None:
    """Number: issued invoices without a number get the registry's next one."""
    from billing.invoicing.compute import compute as compute_all
    from billing.pipeline.steps import number_step
    from billing.numbering.registry import remember_workbook
    from billing.store import open_store
    from billing.workbook.write import Changes
    from macros.live import alert

    book = _caller(book)
    with _running(book, "Number") as say:
        data, tables = _checked(book, say)
        engine = open_store()
        say("allocating numbers")
        step = number_step(data, tables, compute_all(tables), engine)
        if step.refusals:
            raise Stop("; ".join(f"{f.cell}: {f.message}" for f in step.refusals[:5]))
        _write(book, say, Changes(updates=tuple(step.updates), headers=tuple(step.headers)))
        remember_workbook(engine, step.workbook_id, _fullname(book))
        alert(book, f"{len(step.assigned)} invoices numbered")


def _fullname(book) -> str:
    """Where the workbook is, for the registry: its file, or what Excel calls it when xlwings
    cannot map its OneDrive/SharePoint address to a local file."""
    try:
        return str(book.fullname)
    except Exception:
        return str(book.name)


def _match(book, statements: tuple[Path, ...]) -> None:
    from billing.invoicing.compute import compute as compute_all
    from billing.pipeline.steps import match_step
    from billing.workbook.write import Changes
    from macros.live import alert

    with _running(book, "Match") as say:
        data, tables = _checked(book, say)
        say("matching payments")
        step = match_step(data, tables, compute_all(tables), statements)
        if step.problems:
            raise Stop("; ".join(f"{f.cell}: {f.message}" for f in step.problems[:5]))
        _write(book, say, Changes(outputs=step.outputs, updates=tuple(step.updates)))
        alert(book, f"{step.imported.payments} payments imported; {len(step.rows())} allocations; "
                    f"{len(step.result.unmatched)} unmatched")


def import_statement(book=None) -> None:
    """Import statement: pick CAMT.053 / MT940 / CSV files, import them into Payments, match."""
    from macros.live import ask_files

    book = _caller(book)
    files = ask_files(book, "Bank statements (CAMT.053, MT940, CSV)")
    if files:
        _match(book, tuple(Path(f) for f in files))


def match_payments(book=None) -> None:
    """Match: payments to open invoices (Allocations and Unmatched sheets)."""
    _match(_caller(book), ())


class Cancelled(Exception):
    """The person pressed Cancel: the macro ends quietly, nothing written."""


def _as_of(book, title: str) -> dt.date:
    """The as-of date, asked with Excel's input box (ISO or the local form); Cancel cancels."""
    from macros.live import ask_date

    day = ask_date(book, f"{title} as of which date?", dt.date.today())
    if day is None:
        raise Cancelled
    return day


def aging_report(book=None) -> None:
    """Aging: open items by age, DSO and the dunning list, as of a date."""
    from billing.pipeline.steps import compute_step, receivables_step
    from billing.workbook.write import Changes

    book = _caller(book)
    with _running(book, "Aging") as say:
        as_of = _as_of(book, "Aging")
        data, tables = _checked(book, say)
        step = compute_step(data, tables)
        say("ageing")
        reports = receivables_step(data, step.tables, step.computed, as_of)
        _write(book, say, Changes(outputs=reports.outputs))


def month_end_close(book=None) -> None:
    """Month-end close: validate, compute, number, match, age, statements; every sheet written."""
    from billing.pipeline.close import CloseOptions, close
    from billing.contract import ALLOCATIONS
    from billing.store import open_store
    from macros.live import alert, read_live_book

    book = _caller(book)
    with _running(book, "Month-end close") as say:
        as_of = _as_of(book, "Month-end close")
        say("reading the tables")
        data = read_live_book(book, optional=(ALLOCATIONS,))
        result = close(data, open_store(), CloseOptions(as_of), on_step=say, workbook=book.name)
        _write(book, say, result.changes)
        if not result.ok:
            raise Stop(f"stopped at {result.stopped_at}: see the Validation sheet; nothing else was changed")
        alert(book, f"Closed as of {as_of}: see the Close sheet")


SEAL_COVERS = "the seal covers the saved file"


def _saved_path(book, why: str = SEAL_COVERS) -> Path:
    """The workbook's file; sealing and verifying act on what is saved, so ask for a save
    first (Excel's `Workbook.Saved`), saying `why`. A workbook on OneDrive or SharePoint is known to Excel by
    its web address; xlwings' `Book.fullname` maps it to the synced local file, and where
    there is none the workbook is refused, saying so."""
    from macros.engine import workbook_saved

    try:
        name = str(book.fullname or "")
    except Exception as exc:  # xlwings' OneDrive/SharePoint mapping found no local file
        raise Stop(f"this workbook is on OneDrive or SharePoint and its synced file on this computer was not "
                   f"found ({exc}). Sync the folder with the OneDrive app, or save a copy on this computer "
                   "(File > Save a Copy), open it and press the button again") from None
    if "://" in name:
        raise Stop(f"this workbook is known only by its web address ({name}); save a copy on this computer "
                   "(File > Save a Copy), open it and press the button again")
    path = Path(name)
    if not path.is_file():
        raise Stop(f"save the workbook first: {why}")
    if not workbook_saved(book):
        raise Stop(f"save the workbook first: it has changes that are not saved, and {why}")
    return path


#: why Issue invoices wants the workbook saved
ISSUED_FROM_SAVED = "invoices are issued from the saved workbook, their documents kept beside it"
#: Excel's last row: a whole-column selection (`$A:$C`) reaches it
LAST_ROW = 1048576
ISSUE_SHOWN = 5


def selected_rows(address: str) -> list[tuple[int, int]]:
    """The (first, last) rows of each area of a selection's address, as xlwings' `Range.address`
    gives it: `$A$2:$D$5,$B$9` → [(2, 5), (9, 9)]; whole rows `$3:$4` → [(3, 4)]; whole
    columns `$A:$C` → [(1, 1048576)]."""
    found = []
    for area in address.replace(";", ",").split(","):
        ends = [part.replace("$", "").strip() for part in area.split(":")]
        rows = ["".join(ch for ch in end if ch.isdigit()) for end in ends if end]
        if not rows:
            continue
        if not all(rows):  # a column without a row: the whole column
            found.append((1, LAST_ROW))
            continue
        numbers = [int(r) for r in rows]
        found.append((min(numbers), max(numbers)))
    return found


def _selection_on(book, sheet_name: str) -> list[tuple[int, int]] | None:
    """The rows selected on `sheet_name` (xlwings' `Book.selection`: the selection of the
    active sheet, which both engines take from the active window), None when the selection
    is on another sheet (or is no range: a chart, a shape)."""
    from billing.contract import normalize_header

    try:
        selection = book.selection
        if selection is None or normalize_header(book.sheets.active.name) != normalize_header(sheet_name):
            return None
        return selected_rows(selection.address)
    except NotImplementedError:  # an engine without selections (xlwings' remote ones): nothing selected there
        return None


def _selected_invoices(data, tables, areas: list[tuple[int, int]]) -> tuple[str, ...]:
    """The numbers of the issued invoices and credit notes on the selected rows of Invoices;
    a selected row that is not one (a draft, void, or not numbered yet) stops the macro at its cell."""
    from billing.contract import INVOICES

    invoices, sheet = tables.invoices, data.get(INVOICES.name)
    rows = [int(r) for r in invoices.index if any(first <= int(r) <= last for first, last in areas)]
    if not rows:
        raise Stop("the selection on Invoices holds no invoice: select the rows of the invoices to issue, or a cell "
                   "on another sheet to issue every invoice not issued yet")
    numbers, refused = [], []
    for row in rows:
        number, status = invoices.at[row, "invoice_no"], invoices.at[row, "status"]
        if status != "issued" or not isinstance(number, str) or not number:
            what = f"{number} is {status}" if isinstance(number, str) and number else \
                f"this {status} invoice has no number (press Number first)"
            refused.append(f"{sheet.cell('status' if isinstance(number, str) and number else 'invoice_no', row)}: "
                           f"{what}; only issued, numbered invoices are issued as documents")
        else:
            numbers.append(number)
    if refused:
        raise Stop(_listed(refused, "selected rows are not issued invoices") + "; nothing was written")
    return tuple(numbers)


def _listed(lines: list[str], what: str) -> str:
    """The first few lines of a list, and how many more."""
    shown = "\n".join(lines[:ISSUE_SHOWN])
    more = f"\n… and {len(lines) - ISSUE_SHOWN} more" if len(lines) > ISSUE_SHOWN else ""
    return f"{len(lines)} {what}:\n{shown}{more}"


def issue_invoices(book=None) -> None:
    """Issue invoices: the documents of the selected rows of Invoices, else of every issued
    invoice and credit note not issued yet — `billing.pipeline.issue.issue`, as `xlbilling
    issue` runs it — into the Settings' `documents_folder`, else `<workbook stem> documents/`
    beside the saved workbook, a folder per month; the Documents sheet written. Any refusal:
    its cells in the message, nothing written, nothing archived."""
    from billing.config import archive_dir
    from billing.contract import INVOICES
    from billing.workbook.write import Changes
    from macros.live import alert

    book = _caller(book)
    with _running(book, "Issue invoices") as say:
        path = _saved_path(book, ISSUED_FROM_SAVED)
        areas = _selection_on(book, INVOICES.name)
        data, tables = _checked(book, say)
        numbers = _selected_invoices(data, tables, areas) if areas is not None else None
        from billing.documents.rules import RulesNotInstalled
        from billing.pipeline.issue import IssueOptions, documents_folder, issue, logo_of
        from billing.pipeline.steps import compute_step
        from billing.store import open_store

        say("computing")
        step = compute_step(data, tables)
        settings = step.tables.settings
        folder = documents_folder(path, settings, f"{path.stem} documents")
        options = IssueOptions(folder, numbers, logo=logo_of(path, settings))
        say("issuing")
        try:
            result = issue(data, step.tables, step.computed, open_store(), archive_dir(), options,
                           on_done=lambda n: say(f"{n} documents made"))
        except RulesNotInstalled as exc:
            raise Stop(str(exc)) from None
        if not result.ok:
            documents = len({(r.invoice_no, r.format) for r in result.refused})
            lines = [f"{r.finding.cell}: {r.finding.message} [{r.invoice_no}, {r.format}]" for r in result.refused]
            raise Stop(f"{documents} documents refused; nothing was written or archived. "
                       + _listed(lines, "problems"))
        _write(book, say, Changes(outputs=(result.documents_sheet,)))
        alert(book, _issued_message(result, folder))


def _issued_message(result, folder: Path) -> str:
    """How many were issued, per format, and where they are."""
    new = [p for p in result.issued if p.new]
    again = len(result.issued) - len(new)
    if not result.issued:
        return (f"Nothing to issue: the {result.already_issued} issued invoices have their documents already "
                f"(in {folder})" if result.already_issued else "Nothing to issue: no issued, numbered invoice")
    formats: dict[str, int] = {}
    for produced in new:
        formats[produced.format] = formats.get(produced.format, 0) + 1
    months = sorted({Path(p.file).parent.name for p in result.issued})
    parts = [f"Issued {len(new)} documents" + (f" ({', '.join(f'{n} {f}' for f, n in formats.items())})"
                                               if formats else "")]
    if again:
        parts.append(f"{again} issued before given again (the same files)")
    if result.already_issued:
        parts.append(f"{result.already_issued} issued before left as they are")
    where = f"In {folder}, {'the folder' if len(months) == 1 else 'the folders'} {', '.join(months)}."
    return f"{'; '.join(parts)}.\n{where}\nThe Documents sheet lists every issued document: save the workbook to keep it."


def bill_period(book=None) -> None:
    """Bill period: the draft invoices the contracts owe for a month (asked, this month offered)
    — `billing.pipeline.bill.bill`, as `xlbilling bill --period` runs it — appended to Invoices
    and InvoiceLines, the BillingRun sheet written. The periods are recorded in the store as
    `pending` before the drafts are written into the open workbook and stay so: the next run
    (ribbon or command line) finds the drafts in the workbook (saved: `done`) or not (closed
    without saving: dropped, billed again) — never billed twice, never lost."""
    from billing.pipeline.bill import Month, bill
    from billing.schedules.billed import billed_of, record_pending, settle
    from billing.store import open_store
    from macros.live import alert, ask_month

    book = _caller(book)
    with _running(book, "Bill period") as say:
        asked = ask_month(book, "Bill which month?", dt.date.today())
        if asked is None:
            raise Cancelled
        month = Month(*asked)
        data, tables = _checked(book, say)
        say("billing")
        engine = open_store()
        workbook_id = tables.settings.workbook_id
        if workbook_id:
            settle(engine, workbook_id, {str(k) for k in tables.invoices["invoice_key"]})
        result = bill(data, tables, month, billed_of(engine, workbook_id) if workbook_id else {})
        if not result.ok:
            raise Stop(f"nothing billed for {month}; nothing was written. "
                       + _listed([f"{f.cell}: {f.message}" for f in result.findings if f.severity == "error"],
                                 "problems"))
        record_pending(engine, result.workbook_id, result.entries)
        _write(book, say, result.changes)
        net = ", ".join(f"{d.invoice_key} {d.net} {d.currency}" for d in result.drafts[:5])
        more = f" and {len(result.drafts) - 5} more" if len(result.drafts) > 5 else ""
        alert(book, f"Billed {month}: {len(result.drafts)} draft invoices ({result.billed} lines){': ' if net else ''}"
                    f"{net}{more}; {len(result.skipped)} skipped.\n"
                    "The BillingRun sheet lists them: save the workbook to keep the drafts.")


REMINDED_FROM_SAVED = "reminders are made from the saved workbook, their letters kept beside it"


def make_reminders(book=None) -> None:
    """Reminders: the reminder letters due as of a date (asked, today offered) —
    `billing.pipeline.remind.remind`, as `xlbilling remind` runs it — PDF letters into the
    Settings' `documents_folder`, else `<workbook stem> documents/` beside the saved workbook,
    a folder per as-of date, each archived for Send; Invoices `last_reminder` and
    `dunning_level`, the Reminders and DisputeList sheets written. An interest without a
    reference rate: its cell in the message, nothing written, nothing archived."""
    from billing.config import archive_dir
    from billing.pipeline.issue import logo_of
    from billing.pipeline.remind import RemindOptions, out_folder, publish, remind, texts_file
    from billing.pipeline.steps import compute_step, receivables_step
    from billing.store import open_store
    from macros.live import alert

    book = _caller(book)
    with _running(book, "Reminders") as say:
        path = _saved_path(book, REMINDED_FROM_SAVED)
        as_of = _as_of(book, "Reminders")
        data, tables = _checked(book, say)
        say("computing")
        step = compute_step(data, tables)
        settings = step.tables.settings
        folder = out_folder(path, settings, f"{path.stem} documents")
        reports = receivables_step(data, step.tables, step.computed, as_of)
        say("making the letters")
        result = remind(data, step.tables, reports.ledger, as_of,
                        RemindOptions(folder, texts_file(path, settings), logo_of(path, settings)), reports.outputs)
        if not result.ok:
            raise Stop("no reminders; nothing was written or archived. "
                       + _listed([f"{f.cell}: {f.message}" for f in result.findings], "problems"))
        if not result.letters:
            alert(book, f"No reminder letters are due as of {as_of}"
                  f" ({len(result.dunning.skipped)} open items left out).")
            return
        publish(result.letters, folder, open_store(), archive_dir(), settings.workbook_id or "")
        _write(book, say, result.changes)
        alert(book, f"{len(result.letters)} reminder letters as of {as_of} in {folder / as_of.isoformat()}.\n"
                    "The Reminders sheet lists them: save the workbook to keep it.")


SENT_FROM_SAVED = "documents are sent from the saved workbook, the Sent sheet written into it"


def send_documents(book=None) -> None:
    """Send: the issued invoices and credit notes, reminders and statements not sent yet, by
    e-mail — `billing.pipeline.send.send`, as `xlbilling send` runs it (the mail server from
    Settings smtp_host… or the environment, the password from XLBILLING_SMTP_PASSWORD or the
    keyring); the Sent sheet written. What was sent, or may have been, is never sent again."""
    from billing.config import archive_dir
    from billing.pipeline.send import SendOptions, send
    from billing.store import open_store
    from billing.workbook.write import Changes
    from macros.live import alert

    book = _caller(book)
    with _running(book, "Send") as say:
        _saved_path(book, SENT_FROM_SAVED)
        data, tables = _checked(book, say)
        say("sending")
        result = send(data, tables, open_store(), archive_dir(), SendOptions())
        _write(book, say, Changes(outputs=(result.sent_sheet,)))
        alert(book, _sent_message(result))


def _sent_message(result) -> str:
    """How many were sent, failed or queued, and skipped, with the reasons of the failures."""
    parts = [f"Sent {len(result.sent)} messages"]
    if result.failed:
        parts.append(f"{len(result.failed)} failed or queued for the next run")
    if result.skipped:
        parts.append(f"{len(result.skipped)} skipped")
    lines = [f"{f['document']} to {f['to']}: {f['status']}: {f['error']}" for f in result.failed] + \
        [f"{s['document']}: {s['reason']}" for s in result.skipped if "sent on" not in s["reason"]]
    text = "; ".join(parts) + "."
    if lines:
        text += "\n" + _listed(lines, "problems")
    return text + "\nThe Sent sheet lists every message: save the workbook to keep it."


def seal_workbook(book=None) -> None:
    """Seal & archive: validate, seal with the organisation's key, archive (the saved file)."""
    from macros.live import alert

    book = _caller(book)
    with _running(book, "Seal & archive") as say:
        path = _saved_path(book)
        from billing.pipeline.seal import seal_file

        say("sealing")
        outcome = seal_file(path)
        alert(book, f"Sealed and archived ({outcome}). Close and reopen {path.name} to see the sealed file.")


def verify_seal(book=None) -> None:
    """Verify: is this saved workbook the one that was sealed? Lists every changed cell."""
    from macros.live import alert

    book = _caller(book)
    with _running(book, "Verify") as say:
        path = _saved_path(book)
        from billing.pipeline.seal import verify_file

        say("verifying")
        alert(book, verify_file(path))


def refresh_functions(book=None) -> None:
    """Refresh functions: xlwings' own "Import Functions" for an add-in (`import_udfs`, as the
    add-in's `ImportPythonUDFsToAddin` does) writes the `xlwings_udfs` module of the loaded
    add-in anew from `udfs`, and the add-in is saved so the next Excel start has them too."""
    import sys

    from addin import ADDIN_FILE
    from macros.live import alert

    book = _caller(book)
    with _running(book, "Refresh functions"):
        if not sys.platform.startswith("win"):
            raise Stop("worksheet functions run in Excel for Windows only (xlwings UDFs)")
        import xlwings

        addin = book.app.api.Workbooks(ADDIN_FILE)
        try:
            addin.VBProject.VBComponents.Count
        except Exception:  # import_udfs would fall back to the active workbook: never that
            raise Stop("allow it once: File > Options > Trust Center > Trust Center Settings > Macro Settings > "
                       "Trust access to the VBA project object model; then press Refresh functions again") from None
        xlwings.import_udfs("udfs", addin)
        addin.Save()
        alert(book, "The XLB_ functions were imported again")


def run_button(control_id: str, book=None) -> None:
    """The ribbon's single callback lands here with the button's id (see `macros.buttons`)."""
    from macros.buttons import BUTTONS

    by_id = {b.control_id: b for b in BUTTONS}
    button = by_id.get(control_id)
    if button is None:
        from macros.live import alert

        alert(_caller(book), f"unknown ribbon button {control_id!r}")
        return
    globals()[button.macro](book)
