"""The ribbon's macros on a workbook as Excel would hold it (the in-project fake of the few
xlwings calls they use): the same records as from the file, the same results as the CLI."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import openpyxl
import pytest

import macros
from billing.contract import ALLOCATIONS
from billing.sample.demo import prepare_demo
from billing.workbook.read import read_book
from macros.buttons import BUTTONS, GROUPS
from macros.fakebook import FakeBook
from macros.live import read_live_book
from test_cli import run


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return prepare_demo(tmp_path_factory.mktemp("macros"), invoices=60, seed=4)


@pytest.fixture
def workbook(demo, tmp_path):
    copy = tmp_path / "live.xlsx"
    shutil.copy(demo.workbook, copy)
    return copy


def test_live_book_reads_exactly_what_the_file_reader_reads(workbook):
    from_file = read_book(workbook, optional=(ALLOCATIONS,))
    live = read_live_book(FakeBook(workbook), optional=(ALLOCATIONS,))
    assert set(live.tables) == set(from_file.tables)
    for name, table in from_file.tables.items():
        other = live.tables[name]
        assert (other.header_row, other.columns, other.table_name, other.last_row) == \
            (table.header_row, table.columns, table.table_name, table.last_row), name
        left = table.frame.map(lambda v: v.date() if isinstance(v, dt.datetime) else v)
        right = other.frame.map(lambda v: v.date() if isinstance(v, dt.datetime) else v)
        assert left.equals(right), name


def test_month_end_close_macro_matches_the_cli(workbook, demo, tmp_path):
    cli_copy = tmp_path / "cli.xlsx"
    shutil.copy(workbook, cli_copy)
    book = FakeBook(workbook, prompts=["2026-10-31"])
    macros.month_end_close(book)
    assert book.app.alerts == ["Closed as of 2026-10-31: see the Close sheet"], book.app.alerts
    assert "xlbilling Month-end close: statements" in book.app.status_history
    book.save()
    summary = json.loads(run("close", str(cli_copy), "--as-of", "2026-10-31", "--json").stdout)
    live, cli = openpyxl.load_workbook(workbook), openpyxl.load_workbook(cli_copy)
    for sheet in ("Aging", "Dunning", "Allocations", "Statements"):
        assert [r for r in live[sheet].iter_rows(values_only=True)] == \
            [r for r in cli[sheet].iter_rows(values_only=True)], sheet
    totals = {r[2]: r[9] for r in live["Aging"].iter_rows(values_only=True) if r[0] == "TOTAL"}
    assert {c: f"{v:.2f}" for c, v in totals.items()} == summary["steps"]["age"]["totals"]


@pytest.mark.parametrize("macro, sheet", [("validate", "Validation"), ("compute", "InvoiceTaxSummary"),
                                          ("match_payments", "Allocations"), ("aging_report", "Aging")])
def test_each_macro_writes_its_sheet(workbook, macro, sheet):
    book = FakeBook(workbook, prompts=["2026-10-31"])
    getattr(macros, macro)(book)
    assert not any("failed" in a for a in book.app.alerts), book.app.alerts
    assert sheet in book.wb.sheetnames
    assert book.app.status_history[-1] is False  # the status bar is given back


def test_import_statement_macro_imports_the_chosen_files(workbook, demo):
    book = FakeBook(workbook, files=[str(s) for s in demo.statements])
    macros.import_statement(book)
    (message,) = book.app.alerts
    assert message.startswith(f"{sum(1 for _ in _lines(demo))} payments imported")


def _lines(demo):
    from billing.bank import read_statement

    return [line for s in demo.statements for line in read_statement(s).lines]


def test_an_invalid_workbook_gets_its_findings_and_a_message(workbook):
    book = FakeBook(workbook)
    book.wb["Invoices"]["E2"] = "not a date"
    macros.compute(book)
    assert book.app.alerts and "errors: see the Validation sheet" in book.app.alerts[0]
    assert book.wb["Validation"].max_row > 1


SAVE_FIRST = "save the workbook first: it has changes that are not saved, and the seal covers the saved file"


@pytest.fixture(params=["windows", "mac"])
def engine(request, monkeypatch):
    """Each engine xlwings drives Excel with: COM on Windows, appscript on macOS."""
    from macros import engine as engines

    monkeypatch.setattr(engines, "PLATFORM", "darwin" if request.param == "mac" else "win32")
    return request.param


@pytest.mark.parametrize("macro, title", [("seal_workbook", "Seal & archive"), ("verify_seal", "Verify")])
def test_seal_and_verify_ask_for_a_save_first_from_excels_own_saved_flag(workbook, engine, macro, title):
    """Excel's Workbook.Saved (xlwings' Book has no `saved`): unsaved edits are never sealed
    from the last saved file."""
    book = FakeBook(workbook, engine=engine)
    book.saved = False
    getattr(macros, macro)(book)
    assert book.app.alerts == [f"{title}: {SAVE_FIRST}"]
    book.saved = True
    getattr(macros, macro)(book)
    assert "save the workbook first" not in book.app.alerts[-1] and "failed" not in book.app.alerts[-1]


def test_a_workbook_never_saved_is_asked_to_be_saved(tmp_path, workbook):
    book = FakeBook(workbook)
    book._path = tmp_path / "Book1"  # what FullName is before the first save
    macros.seal_workbook(book)
    assert book.app.alerts == ["Seal & archive: save the workbook first: the seal covers the saved file"]


@pytest.fixture
def onedrive(tmp_path, monkeypatch):
    """The local OneDrive folder (xlwings reads it from the environment; it caches each mapping)."""
    from xlwings.utils import fullname_url_to_local_path

    folder = tmp_path / "OneDrive"
    folder.mkdir()
    monkeypatch.setenv("OneDriveConsumer", str(folder))
    fullname_url_to_local_path.cache_clear()
    yield folder
    fullname_url_to_local_path.cache_clear()


def test_a_onedrive_workbook_is_sealed_from_its_synced_file(onedrive, workbook):
    """Under AutoSave Excel's FullName is the OneDrive address; xlwings maps it to the synced file."""
    synced = onedrive / "Billing"
    synced.mkdir()
    shutil.copy(workbook, synced / "live.xlsx")
    book = FakeBook(workbook, url="https://d.docs.live.net/0123abcd/Billing/live.xlsx")
    assert macros._saved_path(book) == synced / "live.xlsx"


def test_a_onedrive_workbook_without_a_synced_file_is_refused_saying_so(onedrive, workbook):
    book = FakeBook(workbook, url="https://d.docs.live.net/0123abcd/Billing/live.xlsx")
    macros.seal_workbook(book)
    (message,) = book.app.alerts
    assert message.startswith("Seal & archive: this workbook is on OneDrive or SharePoint and its synced file "
                               "on this computer was not found (Couldn't find your local OneDrive file")
    assert "Save a Copy" in message


def test_an_address_xlwings_cannot_map_is_refused(onedrive, workbook):
    book = FakeBook(workbook, url="https://example.com/files/live.xlsx")
    macros.verify_seal(book)
    assert "OneDrive or SharePoint" in book.app.alerts[0] and "not recognized" in book.app.alerts[0]


def test_every_button_names_a_macro_with_the_ribbon_signature():
    import inspect

    assert {b.group for b in BUTTONS} == set(GROUPS) and len({b.control_id for b in BUTTONS}) == len(BUTTONS)
    for button in BUTTONS:
        function = getattr(macros, button.macro)
        assert list(inspect.signature(function).parameters) == ["book"], button


def test_the_readmes_ribbon_table_has_every_button_in_its_group_in_order():
    """The README's ribbon table (| group | **label** | …) lists the registry's buttons as the
    ribbon shows them: by group, left to right."""
    from pathlib import Path

    text = (Path(__file__).parents[1] / "README.md").read_text()
    table = text[text.index("| group | button | what it does |"):]
    table = table[:table.index("\n\n")]
    rows, group = [], None
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        group = cells[0] or group
        rows.append((group, cells[1].strip("*")))
    assert rows == [(b.group, b.label) for b in BUTTONS]


def test_run_button_dispatches_by_control_id(workbook):
    book = FakeBook(workbook)
    macros.run_button("xlbValidate", book)
    assert book.app.alerts[0].startswith("Valid")
    macros.run_button("nope", book)
    assert book.app.alerts[-1] == "unknown ribbon button 'nope'"


# --- Issue invoices ----------------------------------------------------------------------------


def _issued_files(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _invoice_rows(path) -> dict[int, tuple[str, str]]:
    """Excel row → (invoice_no, status) of the Invoices sheet."""
    ws = openpyxl.load_workbook(path)["Invoices"]
    header = {c.value: c.column - 1 for c in ws[1]}
    return {row[0].row: (row[header["invoice_no"]].value, row[header["status"]].value)
            for row in ws.iter_rows(min_row=2) if row[0].value is not None}


def _documents(book) -> list[tuple]:
    return [r for r in book.wb["Documents"].iter_rows(min_row=2, values_only=True)] \
        if "Documents" in book.wb.sheetnames else []


@pytest.mark.parametrize("address, rows", [
    ("$A$2:$D$5,$B$9", [(2, 5), (9, 9)]), ("$C$7", [(7, 7)]), ("$3:$4", [(3, 4)]),
    ("$A:$C", [(1, 1048576)]), ("$B$9:$A$2", [(2, 9)])])
def test_selected_rows_of_an_address(address, rows):
    assert macros.selected_rows(address) == rows


def test_issue_invoices_issues_only_the_selected_rows(workbook):
    issued = [(r, n) for r, (n, status) in _invoice_rows(workbook).items() if status == "issued" and n]
    (first, a), (second, b), (_, c) = issued[0], issued[1], issued[2]
    book = FakeBook(workbook, selection=f"Invoices!B{first}:D{first},A{second}")
    macros.issue_invoices(book)
    (message,) = book.app.alerts
    folder = workbook.parent / "live documents"
    files = _issued_files(folder)
    assert message.startswith("Issued 2 documents (") and f"In {folder}, the folder" in message, message
    assert len(files) == 2 and all(a in f or b in f for f in files) and not any(c in f for f in files), files
    assert [r[0] for r in _documents(book)] == [a, b]
    assert book.app.status_history[-1] is False


def _every_customer_in_pdf(path) -> None:
    """The test is about which invoices, not which formats: PDF needs no rules files."""
    wb = openpyxl.load_workbook(path)
    customers = wb["Customers"]
    column = next(c.column for c in customers[1] if c.value == "document_format")
    last = max(row for row in range(1, customers.max_row + 1) if customers.cell(row, 1).value)  # not the formatted blanks
    for row in range(2, last + 1):
        customers.cell(row, column).value = "pdf"
    wb.save(path)


def test_issue_invoices_without_a_selection_there_issues_every_one_not_issued_yet(workbook):
    _every_customer_in_pdf(workbook)
    numbers = [n for n, status in _invoice_rows(workbook).values() if status == "issued" and n]
    row = next(r for r, (n, status) in _invoice_rows(workbook).items() if n == numbers[0])
    macros.issue_invoices(FakeBook(workbook, selection=f"Invoices!A{row}"))
    book = FakeBook(workbook, selection="Customers!A2")  # a selection elsewhere: every invoice not issued yet
    macros.issue_invoices(book)
    (message,) = book.app.alerts
    assert message.startswith(f"Issued {len(numbers) - 1} documents (") and "1 issued before left as they are" in \
        message, message
    assert sorted(r[0] for r in _documents(book)) == sorted(numbers)
    assert len(_issued_files(workbook.parent / "live documents")) == len(numbers)
    again = FakeBook(workbook)  # nothing selected (a chart): the same, and now there is nothing left
    macros.issue_invoices(again)
    assert again.app.alerts == [f"Nothing to issue: the {len(numbers)} issued invoices have their documents already "
                                f"(in {workbook.parent / 'live documents'})"]


def test_issue_invoices_refused_names_the_cell_and_writes_nothing(workbook):
    rows = _invoice_rows(workbook)
    wb = openpyxl.load_workbook(workbook)
    invoices, customers = wb["Invoices"], wb["Customers"]
    header = {c.value: c.column for c in invoices[1]}
    first = next(r for r, (n, status) in rows.items() if status == "issued" and n)
    customer = invoices.cell(first, header["customer_id"]).value
    columns = {c.value: c.column for c in customers[1]}
    at = next(r for r in range(2, customers.max_row + 1) if customers.cell(r, columns["customer_id"]).value == customer)
    customers.cell(at, columns["document_format"]).value = "xrechnung-ubl"
    customers.cell(at, columns["buyer_reference"]).value = None
    wb.save(workbook)
    book = FakeBook(workbook, selection=f"Invoices!A{first}")
    macros.issue_invoices(book)
    (message,) = book.app.alerts
    cell = f"Customers!{openpyxl.utils.get_column_letter(columns['buyer_reference'])}{at}"
    assert message.startswith("Issue invoices: 1 documents refused; nothing was written or archived. "), message
    assert f"{cell}: XRechnung needs a buyer reference (BT-10)" in message and "xrechnung-ubl]" in message
    assert "Documents" not in book.wb.sheetnames and _issued_files(workbook.parent / "live documents") == []


def test_issue_invoices_refuses_a_selected_draft_at_its_cell(workbook):
    draft = next(r for r, (n, status) in _invoice_rows(workbook).items() if status != "issued")
    book = FakeBook(workbook, selection=f"Invoices!A{draft}")
    macros.issue_invoices(book)
    (message,) = book.app.alerts
    assert message.startswith("Issue invoices: 1 selected rows are not issued invoices:\nInvoices!") and \
        f"{draft}: " in message and message.endswith("; nothing was written"), message
    header_only = FakeBook(workbook, selection="Invoices!A1:C1")
    macros.issue_invoices(header_only)
    assert "the selection on Invoices holds no invoice" in header_only.app.alerts[0]
    assert "Documents" not in header_only.wb.sheetnames


def test_issue_invoices_asks_for_a_save_first(workbook, tmp_path):
    book = FakeBook(workbook)
    book.saved = False
    macros.issue_invoices(book)
    assert book.app.alerts == ["Issue invoices: save the workbook first: it has changes that are not saved, and "
                               "invoices are issued from the saved workbook, their documents kept beside it"]
    never = FakeBook(workbook)
    never._path = tmp_path / "Book1"
    macros.issue_invoices(never)
    assert never.app.alerts == ["Issue invoices: save the workbook first: invoices are issued from the saved workbook, "
                                "their documents kept beside it"]
    assert not (tmp_path / "live documents").exists() and not (tmp_path / "Book1 documents").exists()


def test_issue_invoices_puts_documents_where_settings_say(workbook, tmp_path):
    wb = openpyxl.load_workbook(workbook)
    settings = wb["Settings"]
    (row,) = [r for r in range(2, settings.max_row + 1) if settings.cell(r, 1).value == "documents_folder"]
    settings.cell(row, 2).value = "issued"  # relative to the workbook's folder
    wb.save(workbook)
    rows = _invoice_rows(workbook)
    first = next(r for r, (n, status) in rows.items() if status == "issued" and n)
    book = FakeBook(workbook, selection=f"Invoices!A{first}")
    macros.issue_invoices(book)
    assert f"In {tmp_path / 'issued'}, the folder " in book.app.alerts[0], book.app.alerts
    assert len(_issued_files(tmp_path / "issued")) == 1 and not (tmp_path / "live documents").exists()


def test_send_documents_e_mails_the_issued_invoice_once_and_writes_the_sent_sheet(workbook, monkeypatch):
    from aiosmtpd.controller import Controller

    from billing.delivery import smtp
    from tests_support import Handler, free_port

    rows = _invoice_rows(workbook)
    first = next(r for r, (n, status) in rows.items() if status == "issued" and n)
    _every_customer_in_pdf(workbook)
    macros.issue_invoices(FakeBook(workbook, selection=f"Invoices!A{first}"))
    handler, port = Handler(), free_port()
    monkeypatch.setenv("XLBILLING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XLBILLING_SMTP_PORT", str(port))
    monkeypatch.setenv("XLBILLING_SMTP_STARTTLS", "no")
    monkeypatch.setattr(smtp, "DELAYS", ())
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        book = FakeBook(workbook)
        macros.run_button("xlbSend", book)
        again = FakeBook(workbook)
        macros.send_documents(again)
    finally:
        controller.stop()
    (message,) = book.app.alerts
    assert message.startswith("Sent 1 messages.") and "Sent sheet" in message, message
    assert again.app.alerts[0].startswith("Sent 0 messages; 1 skipped."), again.app.alerts
    (envelope,) = handler.envelopes
    sheet = again.wb["Sent"]
    header = [c.value for c in sheet[1]]
    (row,) = [dict(zip(header, (c.value for c in r))) for r in sheet.iter_rows(min_row=2)]
    assert row["result"] == "sent" and row["message_id"].encode() in envelope.original_content
    assert envelope.rcpt_tos == [row["to"]] and rows[first][0] in row["subject"]


def test_send_documents_without_a_mail_server_says_so_and_writes_nothing(workbook, monkeypatch):
    monkeypatch.delenv("XLBILLING_SMTP_HOST", raising=False)
    book = FakeBook(workbook)
    macros.send_documents(book)
    assert book.app.alerts == ["Send: no SMTP host configured: set Settings smtp_host or XLBILLING_SMTP_HOST (or use "
                               "--outbox DIR)"] and "Sent" not in book.wb.sheetnames


def _reminder_rows(book) -> list[dict]:
    sheet = book.wb["Reminders"]
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, (c.value for c in r))) for r in sheet.iter_rows(min_row=2)]


def test_reminders_button_makes_the_letters_once_and_writes_the_history(workbook):
    book = FakeBook(workbook, prompts=["2026-12-31"])
    macros.run_button("xlbReminders", book)
    (message,) = book.app.alerts
    assert " reminder letters as of 2026-12-31 in " in message and "Reminders sheet" in message, message
    count = int(message.split()[0])
    rows = _reminder_rows(book)
    letters = {r["letter"] for r in rows}
    assert count == len(letters) > 0
    folder = workbook.parent / "live documents"
    assert all((folder / name).is_file() for name in letters)
    invoices = book.wb["Invoices"]
    header = [c.value for c in invoices[1]]
    # an item is named by its number, else (issued, not numbered yet) by its key
    history = {r[header.index("invoice_no")] or r[header.index("invoice_key")]:
               (r[header.index("last_reminder")], r[header.index("dunning_level")])
               for r in invoices.iter_rows(min_row=2, values_only=True)}
    for row in rows:
        if row["days_past_due"] is not None:  # an item, not a credit
            day, level = history[row["invoice_no"]]
            assert (day.date() if isinstance(day, dt.datetime) else day) == dt.date(2026, 12, 31)
            assert level == row["level"]
    book.save()
    again = FakeBook(workbook, prompts=["2026-12-31"])
    macros.make_reminders(again)
    (message,) = again.app.alerts
    assert message.startswith("No reminder letters are due as of 2026-12-31"), message


def test_reminders_button_cancelled_writes_nothing(workbook):
    book = FakeBook(workbook, prompts=[None])
    macros.make_reminders(book)
    assert book.app.alerts == [] and "Reminders" not in book.wb.sheetnames
