"""Hostile bank files, every format: each small file the tests write has one exact outcome —
the amounts imported, exactly, or the one-line refusal naming its place."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.errors import BadFile
from billing.bank import Known, Registry, read_statement
from billing.bank.csv_format import GERMAN_BANK, CsvMapping
from billing.bank.records import ImportResult, entry_hash

# ---------------------------------------------------------------- builders


def camt(*entries: str, stmt_id: str = "S-2026-10-20", version: str = "04", head: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{head}\n'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"><BkToCstmrStmt>\n'
            f"<Stmt><Id>{stmt_id}</Id><Acct><Id><IBAN>DE02120300000000202051</IBAN></Id></Acct>\n"
            + "".join(entries) + "</Stmt></BkToCstmrStmt></Document>\n")


def ntry(amount: str = "119.00", ccy: str | None = "EUR", ind: str = "CRDT", day: str = "2026-10-20",
         ref: str | None = None, text: str = "INV-2026-000001", details: str = "") -> str:
    ccy_attr = f' Ccy="{ccy}"' if ccy is not None else ""
    return (f"<Ntry><Amt{ccy_attr}>{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<ValDt><Dt>{day}</Dt></ValDt>" + (f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else "")
            + (details or f"<NtryDtls><TxDtls><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls>")
            + "</Ntry>\n")


def tx(amount: str, text: str) -> str:
    return f'<TxDtls><Amt Ccy="EUR">{amount}</Amt><RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls>'


def mt940(*lines: str, opening: str = "C261019EUR1000,00", closing: str | None = None, head: str = "") -> str:
    """An MT940 statement; `lines` are (:61: content, :86: content) joined by '|'; the closing
    balance adds them up unless given."""
    body, balance = [], Decimal(opening[10:].replace(",", "."))
    for line in lines:
        sixty_one, _, eighty_six = line.partition("|")
        body.append(f":61:{sixty_one}")
        if eighty_six:
            body.append(f":86:{eighty_six}")
        found = re.match(r"[0-9]{6}(?:[0-9]{4})?(RC|RD|C|D)[A-Z]?([0-9]+,[0-9]*)", sixty_one)
        if found:  # a line the test makes unreadable does not count
            value = Decimal(found.group(2).replace(",", "."))
            balance += value if found.group(1) in ("C", "RD") else -value
    closing = closing or f"C261021EUR{balance:.2f}".replace(".", ",")
    return "\n".join([head + ":20:STARTUMSE", ":25:10020030/1234567", ":28C:00000/001", f":60F:{opening}", *body,
                      f":62F:{closing}", "-"]) + "\n"


GERMAN_HEADER = "Valutadatum;Betrag;Waehrung;Beguenstigter/Zahlungspflichtiger;Kontonummer/IBAN;Verwendungszweck\n"


def german(*rows: str) -> bytes:
    text = GERMAN_HEADER + "".join(row + "\n" for row in rows)
    try:
        return text.encode("cp1252")
    except UnicodeEncodeError:  # what cp1252 cannot say, UTF-8 can
        return text.encode("utf-8")


def g_row(amount: str, day: str = "20.10.2026", currency: str = "EUR", text: str = "INV-2026-000001") -> str:
    return f"{day};{amount};{currency};Alpha GmbH;DE89370400440532013000;{text}"


CONTRACT_HEADER = "payment_id,value_date,amount,currency,payer_name,payer_iban,reference_text\n"


def contract(*rows: str, header: str = CONTRACT_HEADER) -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode("utf-8")


def c_row(amount: str, payment_id: str = "", day: str = "2026-10-20", currency: str = "EUR") -> str:
    return f'{payment_id},{day},"{amount}",{currency},Alpha GmbH,,INV-2026-000001'


def imported(result: ImportResult) -> list[tuple[str, str]]:
    return [(f"{line.amount}", line.currency) for line in result.lines]


def read(tmp_path: Path, name: str, content: str | bytes, mapping: CsvMapping | None = None) -> ImportResult:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return read_statement(path, mapping)


# ---------------------------------------------------------------- the table

OK = "ok"
CASES = [
    # --- CSV german: the decimal comma is the decimal mark, '.' only between groups of three
    ("g.csv", german(g_row("1.500")), GERMAN_BANK, [("1500.00", "EUR")]),
    ("g.csv", german(g_row("1.500,00"), g_row("1.234.567,89"), g_row("0,01")), GERMAN_BANK,
     [("1500.00", "EUR"), ("1234567.89", "EUR"), ("0.01", "EUR")]),
    ("g.csv", german(g_row("1,5"), g_row("-5,00")), GERMAN_BANK, [("1.50", "EUR")]),
    ("g.csv", german(g_row("1.50")), GERMAN_BANK,
     "g.csv: line 2, column Betrag: '1.50' is not an amount (decimal mark ',', '.' only between groups of three "
     "digits)"),
    ("g.csv", german(g_row("12.3456,78")), GERMAN_BANK,
     "g.csv: line 2, column Betrag: '12.3456,78' is not an amount (decimal mark ',', '.' only between groups of "
     "three digits)"),
    ("g.csv", german(g_row("1.234.56")), GERMAN_BANK,
     "g.csv: line 2, column Betrag: '1.234.56' is not an amount (decimal mark ',', '.' only between groups of "
     "three digits)"),
    ("g.csv", german(g_row("1,505")), GERMAN_BANK, "g.csv: line 2, column Betrag: '1,505' has 3 decimals, EUR has 2"),
    ("g.csv", german(g_row("1.500", currency="JPY"), g_row("1,505", currency="KWD")), GERMAN_BANK,
     [("1500", "JPY"), ("1.505", "KWD")]),
    ("g.csv", german(g_row("1,5", currency="JPY")), GERMAN_BANK,
     "g.csv: line 2, column Betrag: '1,5' has 1 decimals, JPY has 0"),
    *[("g.csv", german(g_row(bad)), GERMAN_BANK,
       f"g.csv: line 2, column Betrag: '{bad}' is not an amount (decimal mark ',', '.' only between groups of three "
       f"digits)") for bad in ("1e3", "NaN", "Infinity", "+5,00", "", "1 500,00", "5,", ",5", "1_000", "١٢٣",
                               "--5", "0x10")],
    ("g.csv", german(g_row("1" * 16)), GERMAN_BANK,
     f"g.csv: line 2, column Betrag: '{'1' * 16}' has more than 15 digits: too large to be an amount"),
    ("g.csv", german(g_row("5,00", day="30.02.2026")), GERMAN_BANK,
     "g.csv: line 2, column Valutadatum: '30.02.2026' is not a date (%d.%m.%Y)"),
    ("g.csv", german(g_row("5,00", day="31.12.9999")), GERMAN_BANK,
     "g.csv: line 2, column Valutadatum: value date 9999-12-31 is not plausible (before 1970 or more than a year "
     "ahead)"),
    ("g.csv", german(g_row("5,00", day="20.10.1926")), GERMAN_BANK,
     "g.csv: line 2, column Valutadatum: value date 1926-10-20 is not plausible (before 1970 or more than a year "
     "ahead)"),
    ("g.csv", german(g_row("5,00", currency="XYZ")), GERMAN_BANK,
     "g.csv: line 2, column Waehrung: unknown currency 'XYZ'"),
    ("g.csv", german(g_row("5,00", text="INV\x07 1")), GERMAN_BANK,
     "g.csv: line 2, column Verwendungszweck: reference_text holds the control character U+0007"),
    ("g.csv", german(g_row("5,00", text="Rechnung; INV-1")), GERMAN_BANK,
     "g.csv: line 2 has 7 columns, the header 6"),
    ("g.csv", german(g_row("5,00"), g_row("5,00")), GERMAN_BANK, [("5.00", "EUR"), ("5.00", "EUR")]),  # paid twice
    # --- CSV contract: the decimal point is the decimal mark, ',' only between groups of three
    ("c.csv", contract(c_row("1,500"), c_row("1,234.56"), c_row("1.5"), c_row("7")), None,
     [("1500.00", "EUR"), ("1234.56", "EUR"), ("1.50", "EUR"), ("7.00", "EUR")]),
    ("c.csv", contract(c_row("12,00")), None,
     "c.csv: line 2, column amount: '12,00' is not an amount (decimal mark '.', ',' only between groups of three "
     "digits)"),
    ("c.csv", contract(c_row("1.505")), None, "c.csv: line 2, column amount: '1.505' has 3 decimals, EUR has 2"),
    ("c.csv", contract(c_row("1.500,00")), None,
     "c.csv: line 2, column amount: '1.500,00' is not an amount (decimal mark '.', ',' only between groups of three "
     "digits)"),
    ("c.csv", contract(c_row("5.00", currency="eur"), c_row("5.00")), None, [("5.00", "EUR"), ("5.00", "EUR")]),
    ("c.csv", contract(c_row("5.00", "P7"), c_row("6.00", "P7", day="2026-10-21")), None,
     "c.csv: line 3: payment id 'P7' is also c.csv: line 2, with another value date, amount or currency — one id, "
     "two payments: refused"),
    ("c.csv", contract(c_row("5.00", "P7"), c_row("5.00", "P7")), None, [("5.00", "EUR")]),  # one id: one payment
    ("c.csv", contract(c_row("5.00", "NONREF"), c_row("6.00", "NONREF")), None, [("5.00", "EUR"), ("6.00", "EUR")]),
    ("c.csv", contract(c_row("5.00", "P\x00")), None,
     "c.csv: binary data, not a bank statement (CAMT.053, MT940 or CSV)"),
    ("c.csv", b"\xef\xbb\xbf" + contract(c_row("5.00"))[:-1] + b'\n"unclosed,2026', None,
     "c.csv: line 3: not readable as CSV (unexpected end of data)"),
    ("c.csv", "payment_id\tvalue_date\tamount\n\t2026-10-20\t5.00\n".encode("utf-16"), None, [("5.00", "EUR")]),
    ("c.csv", b"value_date,amount\n2026-10-20,5\x81\x8d\xff\n", None,
     "c.csv: neither UTF-8 nor cp1252 text: not a bank statement"),
    ("x.bin", b"PK\x03\x04\x14\x00\x00\x00binary", None,
     "x.bin: binary data, not a bank statement (CAMT.053, MT940 or CSV)"),
    # --- CAMT: unsigned amounts with a known Ccy and its decimals; the direction is CdtDbtInd
    ("s.xml", camt(ntry("16516.53"), ntry("0.5")), None, [("16516.53", "EUR"), ("0.50", "EUR")]),
    ("s.xml", camt(ntry("-16516.53")), None,
     "s.xml: line 4 (statement 1, entry 1): '-16516.53' is negative: CAMT amounts are unsigned, the direction is "
     "CdtDbtInd"),
    ("s.xml", camt(ntry("119.00"), ntry("-5.00", ind="DBIT")), None,
     "s.xml: line 5 (statement 1, entry 2): '-5.00' is negative: CAMT amounts are unsigned, the direction is "
     "CdtDbtInd"),
    ("s.xml", camt(ntry(ccy=None)), None, "s.xml: line 4 (statement 1, entry 1): no currency"),
    ("s.xml", camt(ntry(ccy="XYZ")), None, "s.xml: line 4 (statement 1, entry 1): unknown currency 'XYZ'"),
    ("s.xml", camt(ntry(ccy="XAU")), None,
     "s.xml: line 4 (statement 1, entry 1): 'XAU' is an ISO 4217 code for no money one is paid in (metal, fund, test)"),
    ("s.xml", camt(ntry("12.345")), None, "s.xml: line 4 (statement 1, entry 1): '12.345' has 3 decimals, EUR has 2"),
    ("s.xml", camt(ntry("12.345", ccy="KWD")), None, [("12.345", "KWD")]),
    *[("s.xml", camt(ntry(bad)), None,
       f"s.xml: line 4 (statement 1, entry 1): '{bad}' is not an amount (digits and a decimal point)")
      for bad in ("1e3", "NaN", "Infinity", "+5.00", "1,000.00", "12,50", ".5", "5.", "0x10")],
    ("s.xml", camt(ntry("")), None, "s.xml: line 4 (statement 1, entry 1): the amount is empty"),
    ("s.xml", camt(ntry(day="2026-02-30")), None,
     "s.xml: line 4 (statement 1, entry 1): no readable value date (2026-02-30)"),
    ("s.xml", camt(ntry(day="20261020")), None,
     "s.xml: line 4 (statement 1, entry 1): no readable value date (20261020)"),
    ("s.xml", camt(ntry(day="9999-12-31")), None,
     "s.xml: line 4 (statement 1, entry 1): value date 9999-12-31 is not plausible (before 1970 or more than a "
     "year ahead)"),
    ("s.xml", camt(ntry(ind="CRDIT")), None,
     "s.xml: line 4 (statement 1, entry 1): CdtDbtInd is CRDIT, not CRDT or DBIT"),
    ("s.xml", camt(ntry(text="INV&#155;1")), None,
     "s.xml: line 4 (statement 1, entry 1): the remittance text holds the control character U+009B"),
    ("s.xml", camt(ntry(text="INV&#7;1")), None,
     "s.xml: not well-formed XML (reference to invalid character number: line 4, column 145)"),
    ("s.xml", camt(ntry(), head='<!DOCTYPE d [<!ENTITY x "y">]>'), None,
     "s.xml: hostile XML (DTD or entity declarations) refused"),
    ("s.xml", camt(ntry(), head='<!DOCTYPE d SYSTEM "file:///etc/passwd">'), None,
     "s.xml: hostile XML (DTD or entity declarations) refused"),
    ("s.xml", camt(ntry(), ntry()), None, [("119.00", "EUR"), ("119.00", "EUR")]),  # paid twice, no reference
    ("s.xml", camt(ntry(ref="R1"), ntry(ref="R1")), None, [("119.00", "EUR")]),  # one booked entry, twice
    ("s.xml", camt(ntry(ref="R1"), ntry("120.00", ref="R1")), None,
     "s.xml: line 5 (statement 1, entry 2): payment id 'R1' is also s.xml: line 4 (statement 1, entry 1), with "
     "another value date, amount or currency — one id, two payments: refused"),
    ("s.xml", camt(ntry(ref="NOTPROVIDED"), ntry(ref="NOTPROVIDED")), None,
     [("119.00", "EUR"), ("119.00", "EUR")]),  # a placeholder is no reference
    ("s.xml", camt(ntry("10.00", details="<NtryDtls>" + tx("4.00", "A") + tx("6.00", "B") + "</NtryDtls>")), None,
     [("4.00", "EUR"), ("6.00", "EUR")]),
    ("s.xml", camt(ntry("10.00", details="<NtryDtls>" + tx("4.00", "A") + tx("5.00", "B") + "</NtryDtls>")), None,
     "s.xml: line 4 (statement 1, entry 1): the transactions' amounts do not add up to the entry's 10.00 EUR"),
    ("s.xml", camt(ntry(), version="09"), None, "s.xml: not a CAMT.053 statement of version .001.02 to .001.08"),
    ("s.xml", camt(ntry(), stmt_id=""), None, "s.xml: statement 1 has no Id"),
    ("s.xml", camt(ntry())[:200], None, "s.xml: not well-formed XML (unclosed token: line 3, column 77)"),
    # --- MT940: SWIFT syntax, known tags, balances that add up
    ("s.sta", mt940("2610201020C119,00NTRFNONREF//B1|Invoice 1", "2610201020C50,NTRFNONREF|Invoice 2"), None,
     [("119.00", "EUR"), ("50.00", "EUR")]),
    ("s.sta", mt940("2610201020C50,00NTRFNONREF|Invoice 2", "2610201020C50,00NTRFNONREF|Invoice 2"), None,
     [("50.00", "EUR"), ("50.00", "EUR")]),  # paid twice, no reference
    ("s.sta", mt940("2610201020C119,0X0NTRFNONREF"), None,
     "s.sta: line 5, :61:: '2610201020C119,0X0NTRFNONREF' is not a statement line (YYMMDD[MMDD] C/D/RC/RD amount "
     "type reference[//bank reference])"),
    ("s.sta", mt940("2610201020C1190,0NTRFNONREF", closing="C261021EUR1119,00"), None,
     "s.sta: statement 1 (line 1): opening balance and :61: amounts give 2190.00 EUR, the closing balance is "
     "1119.00 EUR: an amount is misread or missing"),
    ("s.sta", mt940("2610201020C119,000NTRFNONREF"), None, "s.sta: line 5, :61:: '119,000' has 3 decimals, EUR has 2"),
    ("s.sta", mt940("2610201020C1234567890123,45NTRFNONREF", closing="C261021EUR1000,00"), None,
     "s.sta: line 5, :61:: '1234567890123,45' is not an MT940 amount (digits, a decimal comma, 15 characters at "
     "most)"),
    ("s.sta", mt940("2610201020c119,00NTRFNONREF"), None,
     "s.sta: line 5, :61:: '2610201020c119,00NTRFNONREF' is not a statement line (YYMMDD[MMDD] C/D/RC/RD amount "
     "type reference[//bank reference])"),
    ("s.sta", mt940("2602300230C119,00NTRFNONREF"), None, "s.sta: line 5, :61:: '260230' is not a date (YYMMDD)"),
    ("s.sta", mt940("2610201020C119,00NTRFNONREF", opening="C261019XYZ1000,00"), None,
     "s.sta: line 4, :60F:: unknown currency 'XYZ'"),
    ("s.sta", mt940("2610201020C119,00NTRFNONREF|Invoice 1").replace(":60F:C261019EUR1000,00\n", ""), None,
     "s.sta: statement 1 (line 1): no opening balance :60F:"),
    ("s.sta", mt940("2610201020C119,00NTRFNONREF").replace(":62F:", ":99:"), None,
     "s.sta: line 6: unknown MT940 tag ':99:'"),
    ("s.sta", mt940("2610201020C119,00NTRFNONREF").replace(":62F:C261021EUR1119,00\n", ""), None,
     "s.sta: statement 1 (line 1): no closing balance :62F: (a statement cut short?)"),
    ("s.sta", mt940("2610201020C119,00NTRFNONREF|Invoice\x1b 1"), None,
     "s.sta: line 5: the :86: text holds the control character U+001B"),
    ("s.sta", mt940("2610201020D119,00NMSCNONREF", "2610201020RD5,00NTRFNONREF"), None, []),
]


@pytest.mark.parametrize(("name", "content", "mapping", "expected"), CASES,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_hostile_bank_file(tmp_path, name, content, mapping, expected):
    if isinstance(expected, str):
        with pytest.raises(BadFile) as caught:
            read(tmp_path, name, content, mapping)
        assert str(caught.value) == expected
    else:
        assert imported(read(tmp_path, name, content, mapping)) == expected


# ---------------------------------------------------------------- identity


@pytest.mark.parametrize(("name", "content", "mapping"), [
    ("s.xml", camt(ntry(), ntry(), ntry("5.00", ind="DBIT")), None),
    ("s.sta", mt940("2610201020C50,00NTRFNONREF|x", "2610201020C50,00NTRFNONREF|x"), None),
    ("g.csv", german(g_row("5,00"), g_row("5,00")), GERMAN_BANK),
])
def test_a_double_payment_is_two_and_a_reimport_under_another_name_is_none(tmp_path, name, content, mapping):
    first = read(tmp_path, name, content, mapping)
    again = read(tmp_path, "other-" + name, content, mapping)  # the same statement, saved under another name
    registry = Registry({})
    assert len(registry.fresh(first)) == 2 and registry.fresh(again) == []
    assert [line.payment_id for line in first.lines] == [line.payment_id for line in again.lines]
    assert all("#" in line.payment_id and len(line.payment_id) < 24 for line in first.lines)


def test_csv_identity_is_the_content_not_the_bytes(tmp_path):
    rows = [g_row("5,00"), g_row("7,00")]
    unix = read(tmp_path, "a.csv", german(*rows), GERMAN_BANK)
    windows = read(tmp_path, "b.csv", (GERMAN_HEADER + "".join(r + "\r\n" for r in rows)).encode("utf-8-sig"),
                   GERMAN_BANK)
    other = read(tmp_path, "c.csv", german(*rows, g_row("9,00")), GERMAN_BANK)
    assert [l.payment_id for l in unix.lines] == [l.payment_id for l in windows.lines]
    assert {l.payment_id for l in other.lines}.isdisjoint(l.payment_id for l in unix.lines)


def test_overlapping_camt_statements_hold_one_payment_per_bank_reference(tmp_path):
    monday = read(tmp_path, "mon.xml", camt(ntry(ref="R1"), ntry("7.00", ref="R2"), stmt_id="S1"))
    tuesday = read(tmp_path, "tue.xml", camt(ntry("7.00", ref="R2"), ntry("8.00", ref="R3"), stmt_id="S2"))
    registry = Registry({})
    assert [l.payment_id for l in registry.fresh(monday)] == ["R1", "R2"]
    assert [l.payment_id for l in registry.fresh(tuesday)] == ["R3"]


def test_two_mt940_days_with_the_same_statement_number_are_two_statements(tmp_path):
    # German banks write :20:STARTUMSE and :28C:00000/001 every day: the balances tell the days apart
    monday = read(tmp_path, "mon.sta", mt940("2610201020C50,00NTRFNONREF|x"))
    tuesday = read(tmp_path, "tue.sta", mt940("2610211021C50,00NTRFNONREF|x", opening="C261020EUR1050,00"))
    registry = Registry({})
    assert len(registry.fresh(monday)) == 1 and len(registry.fresh(tuesday)) == 1


def test_an_id_payments_holds_for_another_payment_is_refused(tmp_path):
    result = read(tmp_path, "c.csv", contract(c_row("5.00", "P1")))
    registry = Registry({"P1": Known("Payments row 2", (dt.date(2026, 10, 20), Decimal("100.50"), "EUR"))})
    with pytest.raises(BadFile) as caught:
        registry.fresh(result)
    assert str(caught.value) == ("c.csv: line 2: payment id 'P1' is also Payments row 2, with another value date, "
                                 "amount or currency — one id, two payments: refused")
    same = Registry({"P1": Known("Payments row 2", (dt.date(2026, 10, 20), Decimal("5"), "EUR"))})
    assert same.fresh(result) == []


def test_old_scheme_ids_are_recognised_and_the_payment_they_dropped_comes_back(tmp_path):
    # the previous version keyed an entry without a bank reference by a hash of what it says, so a
    # double payment imported once; the new version sees that row as the first of the two
    result = read(tmp_path, "s.xml", camt(ntry(), ntry()))
    old_id = entry_hash(dt.date(2026, 10, 20), Decimal("119.00"), "EUR", None, None, "INV-2026-000001", None, 1)
    assert {line.legacy_id for line in result.lines} == {old_id}
    fresh = Registry({old_id: Known("Payments row 5", None)}).fresh(result)
    assert [line.payment_id for line in fresh] == [result.lines[1].payment_id]
    # a bank reference is the id in both schemes
    assert Registry({"R1": Known("Payments row 5", None)}).fresh(read(tmp_path, "r.xml", camt(ntry(ref="R1")))) == []


@pytest.mark.parametrize(("name", "content", "mapping", "old"), [
    ("g.csv", german(g_row("5,00")), GERMAN_BANK,
     lambda: entry_hash(dt.date(2026, 10, 20), Decimal("5.00"), "EUR", "Alpha GmbH", "DE89370400440532013000",
                        "INV-2026-000001")),
    ("s.sta", mt940("2610201020C50,00NTRFNONREF|Invoice 2"), None,
     lambda: entry_hash("s.sta", dt.date(2026, 10, 20), Decimal("50.00"), "EUR", None, None, "Invoice 2", "NONREF", 1)),
])
def test_old_scheme_ids_of_csv_and_mt940(tmp_path, name, content, mapping, old):
    result = read(tmp_path, name, content, mapping)
    assert Registry({old(): Known("Payments row 5", None)}).fresh(result) == []


# ---------------------------------------------------------------- limits and the library


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    from billing.bank import MAX_SIZE

    path = tmp_path / "big.xml"
    with path.open("wb") as stream:
        stream.truncate(MAX_SIZE + 1)
    with pytest.raises(BadFile, match=r"^big.xml: too large to be a bank statement \(over 64 MiB\)$"):
        read_statement(path)


def test_a_camt_file_with_too_many_credits_is_refused_not_cut(tmp_path, monkeypatch):
    import billing.bank.camt as camt_module

    monkeypatch.setattr(camt_module, "MAX_LINES", 3)
    with pytest.raises(BadFile, match=r"^s.xml: more than 3 credited entries; split the statement$"):
        read(tmp_path, "s.xml", camt(*[ntry()] * 4))


QUIET_CHECK = """
import sys, mt940
from billing.bank.mt940_format import quiet_library
bad = ":20:X\\n:25:1\\n:28C:1\\n:60F:C261019EUR1,00\\n:61:garbage\\n"
quiet = sys.argv[1] == "quiet"
try:
    if quiet:
        with quiet_library():
            mt940.models.Transactions().parse(bad)
    else:
        mt940.models.Transactions().parse(bad)
except RuntimeError:
    pass
"""


@pytest.mark.parametrize("mode", ["loud", "quiet"])
def test_the_mt940_library_never_writes_to_stderr(mode):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", QUIET_CHECK, mode], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    # the library logs its parse errors; with no logging configured they land on stderr — not while we read
    assert ("no match for" in done.stderr) == (mode == "loud"), done.stderr


def test_the_mt940_library_logs_nothing_while_a_statement_is_read(tmp_path):
    import io

    import mt940 as library

    text = mt940("2610201020C50,00NTRFNONREF|x")
    records = io.StringIO()
    handler, root = logging.StreamHandler(records), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        library.models.Transactions().parse(text)
        assert "matched" in records.getvalue()  # the library is chatty on its own
        records.seek(0), records.truncate()
        read(tmp_path, "s.sta", text)
        assert records.getvalue() == ""
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# ---------------------------------------------------------------- formats round-trip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["EUR", "JPY", "KWD", "CHF"]), st.integers(min_value=-10**12, max_value=10**12),
       st.sampled_from([GERMAN_BANK, CsvMapping()]), st.booleans())
def test_an_amount_in_the_format_reads_back_exactly(currency, minor, mapping, grouped):
    from billing.money import minor_unit
    from billing.bank.amounts import exact, locale_amount

    places = minor_unit(currency)
    amount = Decimal(minor).scaleb(-places)
    pattern = ("#,##0" if grouped else "0") + ("." + "0" * places if places else "")
    text = format_decimal(amount, format=pattern, locale=mapping.number_locale, decimal_quantization=False)
    assert exact(locale_amount(text, mapping.number_locale), currency, text) == amount


# ---------------------------------------------------------------- end to end


def _book(tmp_path: Path) -> Path:
    from builders import base_sheets, write_book

    return write_book(tmp_path / "b.xlsx", base_sheets())


def _payment_ids(book: Path) -> list:
    import openpyxl

    return [r[0] for r in openpyxl.load_workbook(book)["Payments"].iter_rows(min_row=2, values_only=True)]


def xlbilling(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    from billing.cli import main

    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


@pytest.mark.parametrize(("name", "content", "mapping", "message"), [
    ("g.csv", german(g_row("1.50")), "german",
     "g.csv: line 2, column Betrag: '1.50' is not an amount (decimal mark ',', '.' only between groups of three "
     "digits)"),
    ("s.xml", camt(ntry("-16516.53")), "contract",
     "s.xml: line 4 (statement 1, entry 1): '-16516.53' is negative: CAMT amounts are unsigned, the direction is "
     "CdtDbtInd"),
    ("s.sta", mt940("2610201020C119,00NTRFNONREF").replace(":60F:C261019EUR1000,00\n", ""), "contract",
     "s.sta: statement 1 (line 1): no opening balance :60F:"),
    ("c.csv", contract(c_row("5.00", "P1")), "contract",
     "c.csv: line 2: payment id 'P1' is also Payments row 2, with another value date, amount or currency — one id, "
     "two payments: refused"),
])
def test_match_refuses_a_bad_statement_leaving_the_workbook_as_it_was(tmp_path, capsys, name, content, mapping,
                                                                       message):
    book = _book(tmp_path)
    before = hashlib.sha256(book.read_bytes()).digest()
    statement = tmp_path / name
    statement.write_bytes(content.encode() if isinstance(content, str) else content)
    code, _, err = xlbilling(capsys, "match", book, "--statement", statement, "--csv-format", mapping)
    assert (code, err) == (2, f"xlbilling: {message}\n")
    assert hashlib.sha256(book.read_bytes()).digest() == before


def test_match_imports_a_double_payment_twice_and_a_reimport_not_at_all(tmp_path, capsys):
    book = _book(tmp_path)
    statement = tmp_path / "s.xml"
    statement.write_text(camt(ntry(), ntry()))
    copy = tmp_path / "same-statement-again.xml"
    copy.write_text(camt(ntry(), ntry()))
    code, out, err = xlbilling(capsys, "match", book, "--statement", statement, "--json")
    assert code == 0, err
    assert json.loads(out)["import"] == {"payments": 2, "already_there": 0, "debits_skipped": 0, "not_booked_skipped": 0}
    code, out, err = xlbilling(capsys, "match", book, "--statement", copy, "--statement", statement, "--json")
    assert code == 0, err
    assert json.loads(out)["import"] == {"payments": 0, "already_there": 4, "debits_skipped": 0, "not_booked_skipped": 0}
    ids = _payment_ids(book)
    assert len(ids) == 3 and ids[0] == "P1" and ids[1] != ids[2] and ids[1].endswith("#1") and ids[2].endswith("#2")


@pytest.mark.parametrize(("status", "version"), [("<Sts>PDNG</Sts>", "04"), ("<Sts>INFO</Sts>", "02"),
                                                 ("<Sts><Cd>PDNG</Cd></Sts>", "08"), ("<Sts>FUTR</Sts>", "06")])
def test_entries_not_booked_are_not_payments(tmp_path, status, version):
    """A pending or informational entry is money that has not arrived: never a payment."""
    booked = ntry("119.00", ref="B1")
    booked_08 = booked.replace("<Sts>BOOK</Sts>", "<Sts><Cd>BOOK</Cd></Sts>") if version == "08" else booked
    pending = ntry("500.00", ref="P1").replace("<Sts>BOOK</Sts>", status)
    path = tmp_path / "s.xml"
    path.write_text(camt(booked_08, pending, version=version))
    result = read_statement(path)
    assert [(line.payment_id, line.amount) for line in result.lines] == [("B1", Decimal("119.00"))]
    assert result.not_booked_skipped == 1
