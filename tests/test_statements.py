"""Statement import: the shared real CAMT.053 files against their golden parse, and hostile input."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from billing.errors import BadFile
from billing.statements import new_lines, read_statement

STATEMENTS = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "statements"


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


def test_what_each_line_says():
    (line,) = read_statement(STATEMENTS / "oca-test-camt053").lines
    assert line.value_date == dt.date(2014, 1, 5) and line.currency == "EUR"
    assert line.reference_text == "#RD PARTY MEDIA CUSNO 90782 4210773"  # only AddtlTxInf: taken as the text
    first, second = read_statement(STATEMENTS / "oca-test-camt053-txdtls").lines  # a batch: one line per detail
    assert (first.reference_text, second.reference_text) == ("302388292000011111111111111",
                                                              "302388292000022222222222222")
    assert first.payment_id != second.payment_id and first.value_date == dt.date(2017, 3, 23)
    assert read_statement(STATEMENTS / "oca-test-camt053-txdtls").format == "camt.053.001.04"


def test_import_is_idempotent():
    result = read_statement(STATEMENTS / "oca-test-camt053-txdtls")
    first = new_lines(set(), result)
    assert len(first) == 2
    assert new_lines({l.payment_id for l in first}, result) == []
    assert read_statement(STATEMENTS / "oca-test-camt053-txdtls") == result  # same file, same ids


CAMT08 = """<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Ntry><Amt Ccy="EUR">119.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><ValDt><Dt>2026-10-20</Dt></ValDt>
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
    assert line.payment_id.startswith("H") and read_statement(path).lines[0].payment_id == line.payment_id


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (CAMT08.replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]>'), "hostile"),
        (CAMT08[:300], "not well-formed"),
        (CAMT08.replace("camt.053.001.08", "camt.053.001.01"), "version"),
        ("date;amount\n2026-10-01;5\n", "not a CAMT.053"),
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
    imported_id = [p for p in by_payment if p.startswith("H")][0]
    assert by_payment[imported_id] == ("INV-2026-000001", "reference")
    payments = list(openpyxl.load_workbook(book)["Payments"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in payments] == ["P1", imported_id]
    assert payments[1][2] == 119 and payments[1][6] == "RF18539007547034 Rechnung INV-2026-000001"
    again = json.loads(run("match", str(book), "--statement", str(statement), "--json").stdout)
    assert again["imported"] == 0
    assert len(list(openpyxl.load_workbook(book)["Payments"].iter_rows(min_row=2))) == 2
