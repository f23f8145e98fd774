"""`xlbilling issue`: documents of sample workbooks the tests build (`new --sample`, `close`),
checked again here by the official rules, archived, given again byte for byte, refused when
changed or incomplete, never issued twice."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, inspect, text

from billing.cli import main
from billing.documents import rules
from billing.pipeline.issue import FORMAT_RULES, failure_finding, file_name, source_digest
from tests.shared_data import missing
from tests.tests_support import text_of

ROOT = Path(__file__).resolve().parents[1]
SHARED_RULES = rules.SHARED_RULES


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return done.value.code, out, err


def installed(format_name: str) -> bool:
    syntax, profiles = FORMAT_RULES[format_name]
    try:
        for profile in profiles:
            rules.locate(syntax, profile)
    except rules.RulesNotInstalled:
        return False
    return True


def needs_rules(*formats: str) -> None:
    """Skip, naming the missing folder, when a format's official rules are not installed."""
    absent = [f for f in formats if not installed(f)]
    if absent:
        pytest.skip(missing("einvoice-rules", f"the official rules of {', '.join(absent)}"))


@pytest.fixture(scope="module")
def closed(tmp_path_factory) -> Path:
    """A sample workbook of 12 invoices, numbered and closed (its own store)."""
    folder = tmp_path_factory.mktemp("closed")
    book = folder / "book.xlsx"
    env = {**os.environ, "XLBILLING_DATABASE_URL": f"sqlite:///{folder / 'numbers.db'}"}
    env.pop("XLBILLING_DEBUG", None)
    for args in (["new", str(book), "--sample", "12"], ["close", str(book), "--as-of", "2026-12-31", "--json"]):
        done = subprocess.run([sys.executable, "-m", "billing", *args], capture_output=True, text=True, cwd=ROOT,
                              env=env)
        assert done.returncode == 0, done.stderr
    return book


@pytest.fixture
def book(closed, tmp_path) -> Path:
    return Path(shutil.copy(closed, tmp_path / "book.xlsx"))


def set_customer(path: Path, customer_id: str, **values) -> int:
    """Set Customers columns of one customer; its Excel row."""
    wb = openpyxl.load_workbook(path)
    sheet = wb["Customers"]
    header = {str(c.value).strip(): c.column for c in sheet[1] if c.value}
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, header["customer_id"]).value == customer_id:
            for column, value in values.items():
                sheet.cell(row, header[column]).value = value
            wb.save(path)
            return row
    raise AssertionError(customer_id)


def column_letter(path: Path, sheet: str, column: str) -> str:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    for cell in next(ws.iter_rows(min_row=1, max_row=1)):
        if str(cell.value).strip() == column:
            return cell.column_letter
    raise AssertionError(column)


def files_below(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()} if folder.exists() else {}




def check_produced(out: Path, issued: list[dict]) -> None:
    """Every XML (and the XML inside each Factur-X) passes its format's rules; every PDF shows its number."""
    from billing.documents.facturx import embedded_xml

    for item in issued:
        data = (out / item["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["sha256"]
        if item["format"] == "pdf" or item["format"] == "facturx":
            assert data.startswith(b"%PDF-")
            assert item["invoice_no"] in text_of(data)
        if item["format"] == "pdf":
            assert item["valid"] is None and item["rules"] == ""
            continue
        xml = embedded_xml(data) if item["format"] == "facturx" else data
        syntax, profiles = FORMAT_RULES[item["format"]]
        assert [str(f) for f in rules.check(xml, syntax, profiles) if f.fatal] == [], item
        assert item["valid"] == "yes" and item["rules"]


def test_issue_pdf_facturx_ubl_with_the_packaged_rules(book, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "issue", str(book), "--format", "pdf", "--format", "facturx", "--format", "ubl",
                            "--out", str(out), "--json")
    assert code == 0, (stdout, err)
    result = json.loads(stdout)
    numbers = {item["invoice_no"] for item in result["issued"]}
    assert len(numbers) >= 8 and len(result["issued"]) == 3 * len(numbers)
    assert result["refused"] == [] and result["ok"] is True
    check_produced(out, result["issued"])
    some = result["issued"][0]
    assert some["file"] == f"{some['issued_at'][:7]}/{some['invoice_no']}.pdf"
    # the Documents sheet lists them, dated by the issue date
    sheet = openpyxl.load_workbook(book, read_only=True)["Documents"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("invoice_no", "format", "file", "sha256", "valid", "issued_at", "rules")
    assert {(r[0], r[1], r[2], r[3]) for r in rows[1:]} == {(i["invoice_no"], i["format"], i["file"], i["sha256"])
                                                            for i in result["issued"]}
    # a second run has nothing new
    code, stdout, _ = cli(capsys, "issue", str(book), "--format", "pdf", "--format", "facturx", "--format", "ubl",
                          "--out", str(out), "--json")
    assert code == 0 and json.loads(stdout)["issued"] == [] and json.loads(stdout)["already_issued"] == len(
        result["issued"])
    # verify names the invoice of a document file, and refuses a changed copy
    code, stdout, _ = cli(capsys, "verify", str(out / some["file"]), "--json")
    found = json.loads(stdout)
    assert code == 0 and found["matches"][0]["invoice_no"] == some["invoice_no"] and found["matches"][0]["archived"]
    changed = tmp_path / "changed.pdf"
    changed.write_bytes((out / some["file"]).read_bytes() + b"\n")
    assert cli(capsys, "verify", str(changed))[0] == 1


def test_customer_formats_with_the_official_peppol_and_xrechnung_rules(book, tmp_path, capsys):
    needs_rules("peppol", "xrechnung-ubl", "xrechnung-cii", "cii")
    set_customer(book, "C0001", document_format="xrechnung-ubl", buyer_reference="991-01234-56")
    set_customer(book, "C0002", document_format="xrechnung-cii", buyer_reference="04011000-1234512345-06")
    set_customer(book, "C0005", document_format="cii")
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "issue", str(book), "--out", str(out), "--json")
    assert code == 0, (stdout, err)
    result = json.loads(stdout)
    formats = {item["format"] for item in result["issued"]}
    assert {"peppol", "xrechnung-ubl", "xrechnung-cii"} <= formats
    check_produced(out, result["issued"])


def test_an_issued_document_again_is_the_same_bytes(book, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    code, stdout, _ = cli(capsys, "issue", str(book), "--format", "facturx", "--format", "ubl", "--out", str(out),
                          "--json")
    assert code == 0
    first = {(i["invoice_no"], i["format"]): i["sha256"] for i in json.loads(stdout)["issued"]}
    before = files_below(out)
    number = next(iter(first))[0]
    (out / next(i for i in json.loads(stdout)["issued"] if i["invoice_no"] == number)["file"]).unlink()
    code, stdout, _ = cli(capsys, "issue", str(book), "--invoice", number, "--format", "facturx", "--format", "ubl",
                          "--out", str(out), "--json")
    again = json.loads(stdout)["issued"]
    assert code == 0 and {i["new"] for i in again} == {False}
    assert {(i["invoice_no"], i["format"]): i["sha256"] for i in again} == {k: v for k, v in first.items()
                                                                           if k[0] == number}
    assert files_below(out) == before
    # made afresh (another store, another archive) the bytes are the same: nothing in them is random or the clock
    monkeypatch.setenv("XLBILLING_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    monkeypatch.setenv("XLBILLING_ARCHIVE_DIR", str(tmp_path / "other-archive"))
    code, stdout, _ = cli(capsys, "issue", str(book), "--format", "facturx", "--format", "ubl",
                          "--out", str(tmp_path / "fresh"), "--json")
    assert code == 0 and {(i["invoice_no"], i["format"]): i["sha256"] for i in json.loads(stdout)["issued"]} == first


def test_a_row_changed_after_issue_is_refused(book, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = cli(capsys, "issue", str(book), "--format", "ubl", "--out", str(out), "--json")
    assert code == 0
    issued = json.loads(stdout)["issued"]
    before = files_below(out)
    wb = openpyxl.load_workbook(book)
    lines = wb["InvoiceLines"]
    header = {c.value: c.column for c in lines[1]}
    lines.cell(2, header["description"]).value = "A different service"
    key = lines.cell(2, header["invoice_key"]).value
    wb.save(book)
    invoices = openpyxl.load_workbook(book, read_only=True)["Invoices"]
    rows = list(invoices.iter_rows(values_only=True))
    at = rows[0].index("invoice_key")
    row = next(n for n, r in enumerate(rows[1:], start=2) if r[at] == key)
    number = rows[row - 1][rows[0].index("invoice_no")]
    assert number in {i["invoice_no"] for i in issued}
    for extra in ((), ("--invoice", number)):
        code, stdout, _ = cli(capsys, "issue", str(book), *extra, "--format", "ubl", "--out", str(out), "--json")
        result = json.loads(stdout)
        assert code == 1 and result["ok"] is False and result["issued"] == []
        (refusal,) = result["refused"]
        assert refusal["invoice_no"] == number and refusal["rule"] == "issued_document_changed"
        assert refusal["cell"] == f"Invoices!{column_letter(book, 'Invoices', 'invoice_no')}{row}"
        assert "a correction is a credit note" in refusal["message"]
    assert files_below(out) == before


def test_xrechnung_without_a_buyer_reference_is_refused_at_its_cell(book, tmp_path, capsys):
    row = set_customer(book, "C0001", document_format="xrechnung-ubl", buyer_reference=None)
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "issue", str(book), "--out", str(out))
    cell = f"Customers!{column_letter(book, 'Customers', 'buyer_reference')}{row}"
    assert code == 1
    assert f"{book}!{cell}: XRechnung needs a buyer reference (BT-10), e.g. the Leitweg-ID (BR-DE-15)" in stdout
    assert "nothing was written or archived" in err
    assert files_below(out) == {} and files_below(Path(os.environ["XLBILLING_ARCHIVE_DIR"])) == {}
    code, stdout, _ = cli(capsys, "issue", str(book), "--out", str(out), "--json")
    refused = json.loads(stdout)["refused"]
    assert code == 1 and {r["cell"] for r in refused} == {cell} and {r["format"] for r in refused} == {"xrechnung-ubl"}
    engine = create_engine(os.environ["XLBILLING_DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM issued_documents")).scalar() == 0


def test_a_broken_rule_is_reported_at_the_cell_of_its_business_term(closed):
    from billing.pipeline import checked
    from billing.pipeline.steps import compute_step
    from billing.invoicing.document import document_of
    from billing.workbook.read import read_book

    book = read_book(closed)
    step = compute_step(book, checked(book).tables)
    invoices = step.tables.invoices
    number = invoices.loc[invoices["invoice_no"].notna() & (invoices["status"] == "issued"), "invoice_no"].iloc[0]
    document = document_of(step.tables, step.computed, number)
    customers = book["Customers"]
    no_reference = rules.RuleFailure("BR-DE-15", "fatal", "/Q{urn:x}Invoice[1]",
                                     'Das Element "Buyer reference" (BT-10) muss übermittelt werden.', "xrechnung")
    found = failure_finding(book, document, "xrechnung-ubl", no_reference)
    assert found.cell == customers.cell("buyer_reference", document.customer_source.row)
    assert found.message.startswith("BR-DE-15 Das Element") and found.rule == "einvoice_rule"
    total = rules.RuleFailure("BR-CO-15", "fatal", "/Q{urn:x}Invoice[1]/Q{urn:y}LegalMonetaryTotal[1]/"
                              "Q{urn:y}TaxInclusiveAmount[1]", "Invoice total amount with VAT (BT-112) = ...", "en16931")
    assert failure_finding(book, document, "ubl", total).cell == book["Invoices"].cell("gross", document.source.row)
    if document.lines[0].source is not None:
        quantity = rules.RuleFailure("BR-27", "fatal", "/Q{urn:x}Invoice[1]/Q{urn:y}InvoiceLine[1]/Q{urn:y}Price[1]/"
                                     "Q{urn:y}PriceAmount[1]", "The Item net price (BT-146) shall NOT be negative.",
                                     "en16931")
        assert failure_finding(book, document, "ubl", quantity).cell == book["InvoiceLines"].cell(
            "unit_price", document.lines[0].source.row)
    assert len(source_digest(document)) == 64


def test_two_runs_at_once_do_not_issue_twice(book, tmp_path):
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "XLBILLING_DEBUG"}
    runs = [subprocess.Popen([sys.executable, "-m", "billing", "issue", str(book), "--format", "ubl", "--out",
                              str(out), "--json", "--wait"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=ROOT, env=env) for _ in range(2)]
    results = [(run.wait(timeout=300), run.stdout.read(), run.stderr.read()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0], results
    documents = [json.loads(stdout) for _, stdout, _ in results]
    new = [len(d["issued"]) for d in documents]
    assert sorted(new)[0] == 0 and sorted(new)[1] >= 8
    assert max(d["already_issued"] for d in documents) == max(new)
    engine = create_engine(env["XLBILLING_DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM issued_documents")).scalar() == max(new)


def test_bad_arguments_are_one_line_and_exit_2(book, tmp_path, capsys):
    code, _, err = cli(capsys, "issue", str(book), "--format", "docx", "--out", str(tmp_path / "o"))
    assert code == 2 and "--format 'docx' is not a document format" in err
    code, _, err = cli(capsys, "issue", str(book), "--invoice", "NOPE-1", "--out", str(tmp_path / "o"))
    assert code == 2 and "--invoice NOPE-1" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "issue", str(tmp_path / "missing.xlsx"))
    assert code == 2 and "no such file" in err


def test_file_names():
    assert file_name("INV-2026-000001", "pdf") == "INV-2026-000001.pdf"
    assert file_name("INV/2026/7", "xrechnung-cii") == "INV_2026_7-xrechnung-cii.xml"
    assert file_name("CN-2026-000002", "facturx") == "CN-2026-000002-facturx.pdf"


def test_the_store_migration_adds_the_issued_documents_and_keeps_the_rest(tmp_path):
    from billing.store import MIGRATIONS, migrate, open_store

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE schema_version (version INTEGER PRIMARY KEY)"))
        for version in (1, 2):
            MIGRATIONS[version](conn)
            conn.execute(text(f"INSERT INTO schema_version VALUES ({version})"))
    columns = {t: [c["name"] for c in inspect(engine).get_columns(t)] for t in ("numbers", "archive_entries")}
    engine = open_store(url)
    assert migrate(engine) == max(MIGRATIONS)  # and later migrations on top
    assert "issued_documents" in inspect(engine).get_table_names()
    assert {t: [c["name"] for c in inspect(engine).get_columns(t)] for t in columns} == columns


def test_archive_check_covers_the_issued_documents(book, tmp_path, capsys):
    code, stdout, _ = cli(capsys, "issue", str(book), "--format", "ubl", "--out", str(tmp_path / "out"), "--json")
    assert code == 0
    assert cli(capsys, "archive", "check", "--json")[0] == 0
    engine = create_engine(os.environ["XLBILLING_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE issued_documents SET invoice_no = 'INV-X' WHERE seq = 2"))
    code, stdout, _ = cli(capsys, "archive", "check", "--json")
    assert code == 1 and [f["kind"] for f in json.loads(stdout)["findings"]] == ["altered_entry"]


def test_a_format_whose_rules_are_not_installed_is_refused_with_one_line(book, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(rules, "SHARED_RULES", tmp_path / "no-shared-rules")
    out = tmp_path / "out"
    code, _, err = cli(capsys, "issue", str(book), "--format", "cii", "--out", str(out))
    assert code == 2 and "cannot validate EN 16931 (CII): its rules are not installed" in err
    assert len(err.strip().splitlines()) == 1 and files_below(out) == {}


def test_without_out_the_documents_go_where_settings_say(book, tmp_path, capsys):
    wb = openpyxl.load_workbook(book)
    settings = wb["Settings"]
    (row,) = [r for r in range(2, settings.max_row + 1) if settings.cell(r, 1).value == "documents_folder"]
    settings.cell(row, 2).value = "issued here"  # relative to the workbook's folder
    wb.save(book)
    # PDF only: about the folder, not the formats (the sample's Peppol and XRechnung customers need
    # rules that only a development checkout has)
    code, stdout, err = cli(capsys, "issue", str(book), "--format", "pdf", "--json")
    assert code == 0, err
    document = json.loads(stdout)
    assert document["out"] == str(tmp_path / "issued here") and document["issued"]
    assert set(files_below(tmp_path / "issued here")) == {i["file"] for i in document["issued"]}
    assert not (tmp_path / "documents").exists()


def test_text_no_invoice_can_carry_is_refused_at_its_cell(book, tmp_path, capsys):
    # a right-to-left override shows a line in another order than stored; `_x0001_` is how an
    # xlsx spells a control character, which XML forbids in an e-invoice (lxml would raise)
    row = set_customer(book, "C0001", name="Evil \u202eGmbH", street="Hauptstrasse_x0001_ 1",
                       document_format="ubl")
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "issue", str(book), "--out", str(out), "--json")
    refused = json.loads(stdout)["refused"]
    cells = {r["cell"] for r in refused if r["rule"] == "unprintable_text"}
    assert code == 1 and f"Customers!{column_letter(book, 'Customers', 'name')}{row}" in cells
    assert any("U+202E" in r["message"] for r in refused)
    street = f"Customers!{column_letter(book, 'Customers', 'street')}{row}"
    assert street in cells and any("U+0001" in r["message"] for r in refused)  # the reader decodes `_x0001_`
    assert files_below(out) == {}
