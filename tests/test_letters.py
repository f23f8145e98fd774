"""billing/documents letters: the reminder and the customer statement as PDF, read back."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
import sys
from decimal import Decimal as D

import pikepdf
import pytest

from billing.documents.letter import amount_text, percent_text, qr_of, render_letter
from billing.documents.letter_texts import LetterTextsError, load_letter_texts
from billing.documents.reminder_letter import (InterestPeriod, LetterError, ReminderCredit, ReminderItem,
                                               reminder_document, reminder_total)
from billing.invoicing.document import Address, Party
from tests.test_documents import assert_pdfa3_fonts_embedded
from tests.tests_support import text_of

SELLER = Party("Muster Consulting GmbH", Address("Hauptstraße 1", "10115", "Berlin", "DE"), "DE123456789", None,
               tax_number="30/123/45678", contact_email="billing@muster.example")
BUYER = Party("Alpha Handel GmbH", Address("Marienplatz 2", "80331", "München", "DE"), "DE811111111", None)
AS_OF = dt.date(2026, 11, 15)
RF = "RF18539007547034"
IBAN = "DE89370400440532013000"

ITEMS = (
    ReminderItem("INV-2026-000101", dt.date(2026, 8, 20), dt.date(2026, 9, 19), 57, D("1234.56"), D("100.00"),
                 D("19.42"), (InterestPeriod(dt.date(2026, 9, 20), dt.date(2026, 9, 30), 11, D("1234.56"),
                                             D("0.1015"), D("3.78")),
                              InterestPeriod(dt.date(2026, 10, 1), dt.date(2026, 11, 15), 46, D("1234.56"),
                                             D("0.1005"), D("15.64"))), D("40.00")),
    ReminderItem("INV-2026-000117", dt.date(2026, 9, 10), dt.date(2026, 10, 10), 36, D("89.25"), D("0"),
                 D("0.88"), (InterestPeriod(dt.date(2026, 10, 11), dt.date(2026, 11, 15), 36, D("89.25"),
                                            D("0.1005"), D("0.88")),), D("40.00")),
)
CREDITS = (ReminderCredit("CN-2026-000007", dt.date(2026, 10, 2), D("50.00")),)
FEE = D("5.00")
TOTAL = D("1234.56") + D("19.42") + D("40.00") + D("89.25") + D("0.88") + D("40.00") + FEE - D("50.00")


def reminder(**changes):
    args = dict(seller=SELLER, recipient=BUYER, level=2, as_of=AS_OF, currency="EUR", items=ITEMS, fee=FEE,
                credits=CREDITS, total=TOTAL, payment_reference=RF, iban=IBAN, bic="COBADEFFXXX", language="en",
                customer_id="C1", place="Berlin", reference="R-C1-2026-11-15")
    args.update(changes)
    return reminder_document(**args)


def plain(text: str) -> str:
    """The page text with babel's no-break spaces as plain ones (`1.234,56 €`)."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def lines_of(pdf: bytes) -> list[str]:
    return [" ".join(plain(line).split()) for line in text_of(pdf).splitlines()]


# -- amounts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "currency", "language", "symbol", "printed"), [
    ("1234.56", "EUR", "de", True, "1.234,56 €"),
    ("1234.56", "EUR", "en", True, "€1,234.56"),
    ("-50.00", "EUR", "de", True, "-50,00 €"),
    ("1234.56", "EUR", "de", False, "1.234,56"),
    ("1234567.00", "EUR", "en", False, "1,234,567.00"),
    ("1500", "JPY", "en", False, "1,500"),
    ("0.125", "KWD", "de", False, "0,125"),
])
def test_amounts_are_printed_by_babel_in_the_letters_language(amount, currency, language, symbol, printed):
    assert plain(amount_text(D(amount), currency, language, symbol=symbol)) == printed


def test_amounts_refuse_floats_and_fractions_of_the_minor_unit():
    with pytest.raises(TypeError):
        amount_text(1.5, "EUR", "en")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="minor unit"):
        amount_text(D("1.005"), "EUR", "en")
    with pytest.raises(ValueError, match="language 'fr'"):
        amount_text(D("1.00"), "EUR", "fr")
    assert percent_text(D("0.1015"), "de") == "10,15" and percent_text(D("0.08"), "en") == "8.00"


# -- the reminder ----------------------------------------------------------------------------------

def test_the_reminders_figures_are_its_inputs_english():
    lines = lines_of(render_letter(reminder()))
    # each item's row: number, dates, days overdue, open, interest, compensation
    assert "INV-2026-000101 2026-08-20 2026-09-19 57 1,234.56 19.42 40.00" in lines
    assert "INV-2026-000117 2026-09-10 2026-10-10 36 89.25 0.88 40.00" in lines
    # each interest period under its item, with its interest
    assert "Interest 2026-09-20 – 2026-09-30: 11 days on 1,234.56 at 10.15 % p.a. 3.78" in lines
    assert "Interest 2026-10-01 – 2026-11-15: 46 days on 1,234.56 at 10.05 % p.a. 15.64" in lines
    assert "Interest 2026-10-11 – 2026-11-15: 36 days on 89.25 at 10.05 % p.a. 0.88" in lines
    assert "€100.00 disputed, not included" in lines
    assert "CN-2026-000007 2026-10-02 -50.00" in lines
    # the totals block
    for expected in ("Open amounts €1,323.81", "Interest €20.30", "Compensation €80.00", "Reminder fee €5.00",
                     "Credits -€50.00", "Total now due €1,379.11"):
        assert expected in lines, expected
    assert TOTAL == D("1379.11")
    text = "\n".join(lines)
    assert "Second reminder" in text and "pay the total of €1,379.11 within 7 days" in text
    assert "Payment reference RF18 5390 0754 7034" in text and "IBAN DE89 3704 0044 0532 0130 00" in text
    assert "Page 1 of 1" in text


def test_the_reminder_in_german():
    lines = lines_of(render_letter(reminder(language="de")))
    assert "INV-2026-000101 20.08.2026 19.09.2026 57 1.234,56 19,42 40,00" in lines
    assert "Zinsen 20.09.2026 – 30.09.2026: 11 Tage auf 1.234,56 zu 10,15 % p. a. 3,78" in lines
    assert "100,00 € strittig, nicht enthalten" in lines
    for expected in ("Offene Beträge 1.323,81 €", "Zinsen 20,30 €", "Pauschale 80,00 €", "Mahngebühr 5,00 €",
                     "Gutschriften -50,00 €", "Jetzt fällig 1.379,11 €", "Datum Berlin, 15.11.2026", "2. Mahnung",
                     "Verwendungszweck RF18 5390 0754 7034", "Scannen und zahlen (SEPA)"):
        assert expected in lines, expected
    assert "Seite 1 von 1" in "\n".join(lines)
    assert "USt-IdNr. DE123456789" in lines and "Steuernummer 30/123/45678" in lines
    assert not any("Tax" in line for line in lines)


@pytest.mark.parametrize(("level", "subject"), [(1, "Payment reminder"), (2, "Second reminder"),
                                                (3, "Final reminder"), (5, "Final reminder")])
def test_each_level_has_its_texts_and_higher_levels_the_last(level, subject):
    doc = reminder(level=level)
    assert doc.subject == subject and ("Reminder level", str(level)) in doc.meta


def test_a_first_reminder_without_interest_has_no_interest_columns():
    items = tuple(i._replace(interest=D(0), periods=(), compensation=D(0)) for i in ITEMS)
    doc = reminder(level=1, items=items, fee=D(0), credits=(), total=None)
    assert [c.title for c in doc.tables[0].columns] == ["Invoice", "Invoice date", "Due date", "Days overdue",
                                                        "Open (EUR)"]
    assert doc.totals == (("Open amounts", "€1,323.81"), ("Total now due", "€1,323.81"))


def test_figures_that_do_not_add_up_are_refused():
    with pytest.raises(LetterError, match="total now due 1379.10"):
        reminder(total=D("1379.10"))
    broken = (ITEMS[0]._replace(interest=D("19.43")), ITEMS[1])
    with pytest.raises(LetterError, match="INV-2026-000101: the interest periods add up to 19.42"):
        reminder(items=broken, total=None)
    assert reminder_total(ITEMS, FEE, CREDITS) == TOTAL


def test_the_same_letter_gives_the_same_bytes_dated_the_as_of_day():
    first, second = render_letter(reminder()), render_letter(reminder())
    assert first == second
    assert render_letter(reminder(language="de")) != first
    with pikepdf.open(io.BytesIO(first)) as pdf:
        assert_pdfa3_fonts_embedded(pdf)
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["xmp:CreateDate"] == "2026-11-15T00:00:00+00:00"
        names = {str(f.BaseFont) for page in pdf.pages for f in page.Resources.Font.values()}
        assert any("SourceSansPro" in n for n in names), names


def test_the_qr_code_is_there_for_euro_only():
    euro = reminder()
    qr = qr_of(euro)
    assert qr is not None and (qr.amount, qr.reference, qr.iban) == (TOTAL, RF, IBAN)
    assert "Scan to pay (SEPA)" in text_of(render_letter(euro))
    chf = reminder(currency="CHF")
    assert qr_of(chf) is None
    text = plain(text_of(render_letter(chf)))
    assert "Scan to pay" not in text and "Total now due CHF1,379.11" in text and "IBAN DE89" in text
    assert qr_of(reminder(iban=None)) is None


def test_a_long_reminder_breaks_pages_repeats_the_header_and_numbers_them():
    import pypdfium2

    items = tuple(ReminderItem(f"INV-2026-{n:06d}", dt.date(2026, 1, 1), dt.date(2026, 2, 1), 287, D("10.00"))
                  for n in range(1, 201))
    data = render_letter(reminder(items=items, credits=(), fee=D(0), total=D("2000.00")))
    pdf = pypdfium2.PdfDocument(data)
    pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    pdf.close()
    assert len(pages) >= 5
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1))
    with_items = [page for page in pages if "INV-2026-" in page]
    assert len(with_items) >= 5 and all("Days overdue" in page for page in with_items)  # the header on each
    found = re.findall(r"INV-2026-(\d{6})", "\n".join(pages))
    assert found == [f"{n:06d}" for n in range(1, 201)]  # every item once, in order
    assert "Total now due €2,000.00" in " ".join(plain("\n".join(pages)).split())
    assert render_letter(reminder(items=items, credits=(), fee=D(0), total=D("2000.00"))) == data


# -- the texts -------------------------------------------------------------------------------------

def test_a_user_file_rewords_what_it_names_and_keeps_the_rest(tmp_path):
    path = tmp_path / "texts.toml"
    path.write_text('[de.reminder_1]\nsubject = "Freundliche Erinnerung an {customer}"\n'
                    '[en.labels]\nfee = "Dunning charge"\n', encoding="utf-8")
    texts = load_letter_texts(path)
    doc = reminder(level=1, language="de", texts=texts)
    text = plain(text_of(render_letter(doc)))
    assert "Freundliche Erinnerung an Alpha Handel GmbH" in text
    assert "Sehr geehrte Damen und Herren" in text and "Mahngebühr 5,00 €" in text  # the built-in rest
    assert "Dunning charge €5.00" in plain(text_of(render_letter(reminder(texts=texts))))


@pytest.mark.parametrize(("content", "message"), [
    ("[fr.reminder_1]\nsubject = 'Rappel'\n", r"unknown language \[fr\]"),
    ("[de.reminder_9]\nsubject = 'x'\n", r"unknown section \[de.reminder_9\]"),
    ("[de.reminder_1]\nsubjekt = 'x'\n", "unknown key de.reminder_1.subjekt"),
    ("[de.reminder_1]\nsubject = 3\n", "de.reminder_1.subject must be text"),
    ("[de.reminder_1]\nsubject = 'Mahnung {kunde}'\n", r"de.reminder_1.subject has the placeholder \{kunde\}"),
    ("[en.labels]\nfee = 'Fee {amount}'\n", r"en.labels.fee has the placeholder \{amount\}; it may use none"),
    ("[en.labels]\ndisputed = 'open {'\n", "en.labels.disputed"),
    ("[de.reminder_1\n", "texts.toml"),
])
def test_a_bad_texts_file_is_refused_naming_the_file_and_the_key(tmp_path, content, message):
    path = tmp_path / "texts.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LetterTextsError, match=message) as caught:
        load_letter_texts(path)
    assert str(path) in str(caught.value)


def test_a_missing_texts_file_is_refused_by_name(tmp_path):
    with pytest.raises(LetterTextsError, match="nope.toml"):
        load_letter_texts(tmp_path / "nope.toml")


def test_every_language_has_the_same_keys():
    texts = load_letter_texts().texts
    shapes = {language: {s: set(v) for s, v in sections.items()} for language, sections in texts.items()}
    assert set(shapes) == {"en", "de"} and shapes["en"] == shapes["de"]


# -- the customer statement ------------------------------------------------------------------------

def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "billing", *args], capture_output=True, text=True, env=env)


def test_statements_as_pdf_end_to_end(tmp_path):
    import os

    import openpyxl

    book = tmp_path / "book.xlsx"
    env = {**os.environ, "XLBILLING_DATABASE_URL": f"sqlite:///{tmp_path / 'numbers.db'}"}
    env.pop("XLBILLING_DEBUG", None)
    for args in (["new", str(book), "--sample", "30", "--seed", "3"], ["close", str(book), "--as-of", "2026-12-31"]):
        done = _cli(*args, env=env)
        assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(book)  # English letters for all (the sample writes German to German customers)
    customers = wb["Customers"]
    column = next(c.column for c in customers[1] if c.value == "language")
    for row in range(2, customers.max_row + 1):
        if customers.cell(row, 1).value:
            customers.cell(row, column).value = "en"
    wb.save(book)
    done = _cli("statements", str(book), "--as-of", "2026-12-31", "--from", "2026-09-01", "--out",
                str(tmp_path / "out"), "--pdf", "--json", env=env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["statements"]
    with_pdf = [s for s in found if "pdf" in s]
    assert len(with_pdf) >= 3 and all(s["customer_id"] for s in with_pdf)
    assert all("pdf" not in s for s in found if not s["customer_id"])  # no letter to an unidentified payer
    for s in with_pdf:
        rows = list(openpyxl.load_workbook(s["file"])["Statement"].iter_rows(min_row=2, values_only=True))
        lines = lines_of(open(s["pdf"], "rb").read())
        text = "\n".join(lines)

        def cell(value) -> str:
            return amount_text(D(str(value)).quantize(D("0.01")), s["currency"], "en", symbol=False)

        opening, closing = rows[0], rows[-1]
        assert f"{opening[0].date().isoformat()} Opening balance {cell(opening[5])}" in lines
        assert f"{closing[0].date().isoformat()} Closing balance {cell(closing[5])}" in lines
        for date, kind, reference, due, amount, balance, description in rows[1:-1]:
            shown = {"invoice": "Invoice", "credit note": "Credit note", "payment": "Payment",
                     "settled": "Difference settled"}[kind]
            due_text = f" {due.date().isoformat()}" if due else ""
            if description:
                assert reference in text and cell(amount) in text  # a long description wraps
            else:
                assert (f"{date.date().isoformat()} {shown} {reference}{due_text} {cell(amount)} {cell(balance)}"
                        in lines), reference
        closing_text = amount_text(D(s["closing"]), s["currency"], "en")
        assert f"Closing balance {closing_text}" in lines and f"The balance on 2026-12-31 is {closing_text}." in text
        # the open items add up to the closing balance
        open_rows = text.split("Open items", 1)[1].split("Opening balance", 1)[0] if "Open items" in text else ""
        amounts = [D(m.replace(",", "")) for m in re.findall(r"(-?[\d,]+\.\d\d)\n", open_rows + "\n")]
        assert sum(amounts, D(0)) == D(s["closing"]), s["customer_id"]
        with pikepdf.open(s["pdf"]) as pdf:
            assert_pdfa3_fonts_embedded(pdf)
    assert all((tmp_path / "out" / os.path.basename(s["file"])).is_file() for s in found)  # the .xlsx stay
    plain_run = _cli("statements", str(book), "--as-of", "2026-12-31", "--out", str(tmp_path / "none"), "--json",
                     env=env)
    assert all("pdf" not in s for s in json.loads(plain_run.stdout)["statements"])
    assert not list((tmp_path / "none").glob("*.pdf"))


@pytest.mark.skipif("dunning_texts" not in __import__("billing.settings").settings.Settings.model_fields,
                    reason="Settings has no dunning_texts key yet (the contract helper's, issue 18)")
def test_statements_refuse_a_bad_texts_file_and_write_nothing(tmp_path):
    from builders import base_sheets, write_book
    from test_cli import run

    sheets = base_sheets()
    sheets["Settings"] = [*sheets["Settings"], ("dunning_texts", "texts.toml")]
    path = write_book(tmp_path / "a.xlsx", sheets)
    (tmp_path / "texts.toml").write_text("[en.statement]\nsubjekt = 'x'\n", encoding="utf-8")
    result = run("statements", str(path), "--as-of", "2026-11-15", "--out", str(tmp_path / "out"), "--pdf")
    assert result.returncode == 2 and "unknown key en.statement.subjekt" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
