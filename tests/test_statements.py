"""Statement import: the shared real CAMT.053 files against their golden parse, and hostile input."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from billing.errors import BadFile
from billing.bank import new_lines, read_statement
from shared_data import missing, shared_set

STATEMENTS = shared_set("statements")
#: the tests that read the real statements there skip, naming the folder, when it is not beside the repository
needs_shared = pytest.mark.skipif(not STATEMENTS.is_dir(), reason=missing("statements", "the real CAMT files"))


@needs_shared
@pytest.mark.parametrize(("name", "debits", "reversals"), [("oca-test-camt053", 3, 2),
                                                            ("oca-test-camt053-txdtls", 0, 0)])
def test_shared_camt_files_match_the_golden_parse(name, debits, reversals):
    result = read_statement(STATEMENTS / name)
    golden = STATEMENTS / f"{name.replace('oca-test', 'oca-golden')}.pydata"
    _, _, statements = ast.literal_eval(golden.read_text())
    credits = [t for s in statements for t in s["transactions"] if t["amount"] > 0]
    assert [(l.amount, l.payer_name, l.payer_iban) for l in result.lines] == [
        (Decimal(str(t["amount"])).quantize(Decimal("0.01")), t["partner_name"], t["account_number"]) for t in credits]
    assert (result.debits_skipped, result.reversals_skipped) == (debits, reversals)


@needs_shared
def test_what_each_line_says():
    (line,) = read_statement(STATEMENTS / "oca-test-camt053").lines
    assert line.value_date == dt.date(2014, 1, 5) and line.currency == "EUR"
    assert line.reference_text == "#RD PARTY MEDIA CUSNO 90782 4210773"  # only AddtlTxInf: taken as the text
    first, second = read_statement(STATEMENTS / "oca-test-camt053-txdtls").lines  # a batch: one line per detail
    assert (first.reference_text, second.reference_text) == ("302388292000011111111111111",
                                                              "302388292000022222222222222")
    assert first.payment_id != second.payment_id and first.value_date == dt.date(2017, 3, 23)
    assert read_statement(STATEMENTS / "oca-test-camt053-txdtls").format == "camt.053.001.04"


@needs_shared
def test_import_is_idempotent():
    result = read_statement(STATEMENTS / "oca-test-camt053-txdtls")
    first = new_lines(set(), result)
    assert len(first) == 2
    assert new_lines({l.payment_id for l in first}, result) == []
    assert read_statement(STATEMENTS / "oca-test-camt053-txdtls") == result  # same file, same ids


CAMT08 = """<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Id>S-2026-10-20</Id><Ntry><Amt Ccy="EUR">119.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><ValDt><Dt>2026-10-20</Dt></ValDt>
<NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Alpha GmbH</Nm></Pty></Dbtr>
<DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>Rechnung INV-2026-000001</Ustrd><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><ValDt><Dt>2026-10-20</Dt></ValDt></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_version_08_with_party_names(tmp_path):
    path = tmp_path / "s08.xml"
    path.write_text(CAMT08)
    result = read_statement(path)
    (line,) = result.lines
    assert (result.format, result.debits_skipped) == ("camt.053.001.08", 1)
    assert (line.payer_name, line.payer_iban, line.amount) == ("Alpha GmbH", "DE89370400440532013000", Decimal("119.00"))
    assert line.reference_text == "RF18539007547034 Rechnung INV-2026-000001"
    assert line.payment_id.startswith("CAMT-") and line.payment_id.endswith("#1")  # the statement's first entry
    assert read_statement(path).lines[0].payment_id == line.payment_id


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (CAMT08.replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]>'), "hostile"),
        (CAMT08[:300], "not well-formed"),
        (CAMT08.replace("camt.053.001.08", "camt.053.001.01"), "version"),
        ("date;amount\n2026-10-01;5\n", "no column 'value_date'"),
        ("hello", "not a CSV statement"),
        (CAMT08.replace("<Dt>2026-10-20</Dt></ValDt>\n<NtryDtls>", "<Dt>20.10.2026</Dt></ValDt>\n<NtryDtls>"),
         "value date"),
    ],
)
def test_unusable_files_give_one_line(tmp_path, content, fragment):
    path = tmp_path / "bad.xml"
    path.write_text(content)
    with pytest.raises(BadFile) as caught:
        read_statement(path)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_match_imports_a_statement_once(tmp_path):
    import json

    import openpyxl

    from builders import base_sheets, write_book
    from test_cli import run

    book = write_book(tmp_path / "b.xlsx", base_sheets())
    statement = tmp_path / "s08.xml"
    statement.write_text(CAMT08)
    first = run("match", str(book), "--statement", str(statement), "--json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["imported"] == 1
    by_payment = {a["payment_id"]: (a["invoice_no"], a["method"]) for a in result["allocations"]}
    imported_id = [p for p in by_payment if p.startswith("CAMT-")][0]
    assert by_payment[imported_id] == ("INV-2026-000001", "reference")
    payments = list(openpyxl.load_workbook(book)["Payments"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in payments] == ["P1", imported_id]
    assert payments[1][2] == 119 and payments[1][6] == "RF18539007547034 Rechnung INV-2026-000001"
    again = json.loads(run("match", str(book), "--statement", str(statement), "--json").stdout)
    assert again["imported"] == 0
    assert again["import"] == {"payments": 0, "already_there": 1, "debits_skipped": 1, "not_booked_skipped": 0}
    assert len(list(openpyxl.load_workbook(book)["Payments"].iter_rows(min_row=2))) == 2


MT940 = """:20:STARTUMSE
:25:10020030/1234567
:28C:00000/001
:60F:C261019EUR1000,00
:61:2610201020C119,00NTRFNONREF//BANKREF123
:86:166?00GUTSCHRIFT?20RECHNUNG INV-2026-000001?21DANKE?30COBADEFFXXX?31DE89370400440532013000?32ALPHA GMBH
:61:2610211021C50,00NTRFNONREF
:86:Invoice INV-2026-000002 thanks
:61:2610201020D5,00NMSCNONREF
:86:805?00ENTGELT
:62F:C261021EUR1164,00
-
"""


def test_mt940_with_and_without_subfields(tmp_path):
    path = tmp_path / "s.sta"
    path.write_text(MT940)
    result = read_statement(path)
    assert (result.format, result.debits_skipped) == ("mt940", 1)
    first, second = result.lines
    assert first == first._replace(payment_id="BANKREF123", value_date=dt.date(2026, 10, 20), amount=Decimal("119.00"),
                                   currency="EUR", payer_name="ALPHA GMBH", payer_iban="DE89370400440532013000",
                                   reference_text="RECHNUNG INV-2026-000001 DANKE")
    assert (second.amount, second.payer_name, second.reference_text) == (Decimal("50.00"), None,
                                                                         "Invoice INV-2026-000002 thanks")
    assert second.payment_id.startswith("MT940-") and second.payment_id.endswith("#2")
    assert read_statement(path).lines == result.lines


@pytest.mark.parametrize(
    ("raw", "mapping", "encoding"),
    [
        ("value_date,amount,currency,payer_name,payer_iban,reference_text\n"
         "2026-10-20,\"1,234.56\",EUR,Müller AG,DE89 3704 0044 0532 0130 00,INV-2026-000001 €\n"
         "2026-10-21,-5.00,EUR,Bank,,fee\n".encode("utf-8-sig"), None, "utf-8-sig"),
        ("Valutadatum;Betrag;Waehrung;Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN;Verwendungszweck\n"
         "20.10.2026;1.234,56;EUR;Müller AG;DE89370400440532013000;INV-2026-000001 €\n"
         "\n21.10.2026;-5,00;EUR;Bank;;Entgelt\n".encode("cp1252"), "german", "cp1252"),
    ],
)
def test_csv_exports(tmp_path, raw, mapping, encoding):
    from billing.bank.csv_format import GERMAN_BANK

    path = tmp_path / "export.csv"
    path.write_bytes(raw)
    result = read_statement(path, GERMAN_BANK if mapping else None)
    assert (result.format, result.debits_skipped) == (f"csv ({encoding})", 1)
    (line,) = result.lines
    assert (line.value_date, line.amount, line.payer_name, line.payer_iban, line.reference_text) == (
        dt.date(2026, 10, 20), Decimal("1234.56"), "Müller AG", "DE89370400440532013000", "INV-2026-000001 €")


def test_csv_row_that_cannot_be_read_names_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("value_date;amount\n2026-10-20;12.00\n2026-10-21;twelve\n")
    with pytest.raises(BadFile, match="line 3, column amount: 'twelve' is not an amount"):
        read_statement(path)
