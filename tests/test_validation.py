"""Validation rules: each case changes one thing in a valid workbook and expects exact findings."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from builders import base_sheets, set_cell, shuffled, write_book
from billing.workbook.read import read_book
from validation import validate_book
from validation.fields import check_rf_reference
from pydantic_core import PydanticCustomError


def findings_of(tmp_path, sheets, **kwargs):
    book = read_book(write_book(tmp_path / "book.xlsx", sheets, **kwargs))
    return [(f.severity, f.cell, f.rule) for f in validate_book(book).findings]


def test_base_workbook_is_valid(tmp_path):
    assert findings_of(tmp_path, base_sheets()) == []


E = "error"
CASES = [
    # (sheet, row, column, value) -> expected findings
    (("Invoices", 2, "issue_date", "31.10.2026"), [(E, "Invoices!E2", "invalid_date")]),
    (("Invoices", 2, "issue_date", 46000), [(E, "Invoices!E2", "invalid_date")]),
    (("Invoices", 2, "issue_date", None), [(E, "Invoices!E2", "required")]),
    (("Invoices", 3, "issue_date", "2026-10-15 "), []),  # ISO text with a stray space is read
    (("Invoices", 2, "status", "Issued"), []),  # codes are case-insensitive
    (("Invoices", 2, "status", "sent"), [(E, "Invoices!J2", "unknown_status")]),
    (("Invoices", 2, "kind", "refund"), [(E, "Invoices!C2", "unknown_kind")]),
    (("Invoices", 2, "currency", "EURO"), [(E, "Invoices!H2", "unknown_currency")]),
    (("Invoices", 2, "currency", "chf"), [("warning", "Invoices!H2", "currency_differs_from_customer")]),
    (("Invoices", 2, "terms", "NET 30 days"), [(E, "Invoices!F2", "unknown_terms")]),
    (("Invoices", 2, "terms", "net 10 bd"), [(E, "Invoices!F2", "terms_need_calendar")]),
    (("TaxRates", 4, "rate", 0.07), [(E, "TaxRates!B4", "rate_kind_mismatch")]),
    (("TaxRates", 3, "rate", 0), [("warning", "TaxRates!B3", "rate_kind_mismatch")]),
    (("Invoices", 2, "discount_pct", 1), [(E, "Invoices!I2", "rate_out_of_range")]),
    (("Invoices", 2, "discount_pct", -0.1), [(E, "Invoices!I2", "rate_out_of_range")]),
    (("Invoices", 2, "discount_pct", "ten"), [(E, "Invoices!I2", "invalid_number")]),
    (("Invoices", 2, "payment_reference", "RF19539007547034"), [(E, "Invoices!M2", "invalid_payment_reference")]),
    (("Invoices", 2, "customer_id", "C9"),
     [(E, "Invoices!D2", "unknown_customer"), (E, "Invoices!L4", "corrects_other_customer")]),
    (("Invoices", 3, "due_date", dt.date(2026, 10, 1)), [(E, "Invoices!G3", "due_before_issue")]),
    (("Invoices", 4, "corrects", "INV-2026-999999"), [(E, "Invoices!L4", "unknown_corrected_invoice")]),
    (("Invoices", 4, "net", None), [(E, "Invoices!O4", "missing_amount")]),
    (("Invoices", 4, "tax_code", None), [(E, "Invoices!N4", "required")]),
    (("Invoices", 4, "tax_code", "S7"), [(E, "Invoices!N4", "unknown_tax_code")]),
    (("Invoices", 4, "net", -10), [(E, "Invoices!O4", "negative_amount")]),
    (("Invoices", 3, "invoice_key", "K1"), [(E, "Invoices!A3", "duplicate_key"), (E, "InvoiceLines!A4", "unknown_invoice")]),
    (("Invoices", 4, "invoice_no", "INV-2026-000001"), [(E, "Invoices!B4", "duplicate_invoice_no")]),
    (("Invoices", 2, "status", "void"), [("warning", "Invoices!K2", "void_without_reason")]),
    (("InvoiceLines", 2, "quantity", 0), [(E, "InvoiceLines!D2", "quantity_not_positive")]),
    (("InvoiceLines", 2, "quantity", "2,5"), [(E, "InvoiceLines!D2", "invalid_number")]),
    (("InvoiceLines", 2, "quantity", True), [(E, "InvoiceLines!D2", "invalid_number")]),
    (("InvoiceLines", 2, "unit_price", -1), [(E, "InvoiceLines!E2", "negative_amount")]),
    (("InvoiceLines", 2, "unit_price", "=1+2"), [(E, "InvoiceLines!E2", "invalid_number")]),
    (("InvoiceLines", 2, "line_no", 1.5), [(E, "InvoiceLines!B2", "invalid_integer")]),
    (("InvoiceLines", 3, "line_no", 1), [(E, "InvoiceLines!B3", "duplicate_line_no")]),
    (("InvoiceLines", 2, "tax_code", "X9"), [(E, "InvoiceLines!G2", "unknown_tax_code")]),
    (("InvoiceLines", 2, "invoice_key", "K7"), [(E, "InvoiceLines!A2", "unknown_invoice")]),
    (("InvoiceLines", 2, "discount_pct", 0.999), [("warning", "InvoiceLines!F2", "large_discount")]),
    (("Invoices", 2, "discount_pct", 0.6), [("warning", "Invoices!I2", "large_discount")]),
    (("Invoices", 2, "discount_pct", 0.5), []),
    # plausible values that used to crash, and values read exactly or refused (issue 13, item 8)
    (("Invoices", 2, "issue_date", dt.date(9999, 12, 31)), [(E, "Invoices!E2", "date_out_of_range")]),
    (("Invoices", 2, "issue_date", dt.date(2999, 12, 31)), []),
    (("Invoices", 2, "issue_date", "1899-12-31"), [(E, "Invoices!E2", "date_out_of_range")]),
    (("Invoices", 2, "issue_date", dt.date(1899, 12, 1)), [(E, "Invoices!E2", "invalid_date")]),  # a time
    (("Invoices", 2, "issue_date", dt.datetime(2026, 10, 1, 13, 30)), []),  # the day of a date-time
    (("InvoiceLines", 2, "unit_price", 1e308), [(E, "InvoiceLines!E2", "number_too_large")]),
    (("InvoiceLines", 2, "quantity", 1e308), [(E, "InvoiceLines!D2", "number_too_large")]),
    (("InvoiceLines", 2, "quantity", 1e13), [(E, "InvoiceLines!E2", "number_too_large")]),  # × 120
    (("InvoiceLines", 2, "unit_price", -0.0), []),
    (("InvoiceLines", 2, "unit_price", 1e-300), []),
    (("InvoiceLines", 2, "unit_price", "1E+400"), [(E, "InvoiceLines!E2", "number_too_large")]),
    (("InvoiceLines", 2, "unit_price", False), [(E, "InvoiceLines!E2", "invalid_number")]),
    (("Payments", 2, "amount", 1e300), [(E, "Payments!C2", "number_too_large")]),
    (("Invoices", 4, "net", 1e15), [(E, "Invoices!O4", "number_too_large")]),
    (("Invoices", 4, "net", 999999999999999.9), []),
    (("Invoices", 2, "invoice_key", 1e20), [(E, "Invoices!A2", "imprecise_number"), (E, "Invoices!O2", "missing_amount"),
                                            (E, "InvoiceLines!A2", "unknown_invoice"),
                                            (E, "InvoiceLines!A3", "unknown_invoice")]),
    (("Invoices", 2, "invoice_key", True), [(E, "Invoices!A2", "invalid_text"), (E, "Invoices!O2", "missing_amount"),
                                            (E, "InvoiceLines!A2", "unknown_invoice"),
                                            (E, "InvoiceLines!A3", "unknown_invoice")]),
    (("Customers", 2, "customer_id", 100000000000000.0), [(E, "Invoices!D2", "unknown_customer"),
                                                           (E, "Invoices!D4", "unknown_customer")]),
    # ISO 4217 codes that are not money, and an invoice in another currency than its customer's
    (("Invoices", 2, "currency", "XAU"), [(E, "Invoices!H2", "not_a_currency")]),
    (("Customers", 2, "currency", "XXX"), [(E, "Customers!E2", "not_a_currency")]),
    (("Payments", 2, "currency", "XTS"), [(E, "Payments!D2", "not_a_currency")]),
    (("Settings", 4, "value", "CHE"), [(E, "Settings!B4", "not_a_currency")]),
    (("Customers", 2, "currency", "USD"), [("warning", "Invoices!H2", "currency_differs_from_customer"),
                                           ("warning", "Invoices!H4", "currency_differs_from_customer")]),
    (("Customers", 3, "customer_id", "C1"),
     [(E, "Customers!A3", "duplicate_key"), (E, "Invoices!D3", "unknown_customer")]),
    (("Customers", 2, "vat_id", "DE136695977"), [(E, "Customers!C2", "invalid_vat_id")]),
    (("Customers", 2, "email", "ap at alpha"), [(E, "Customers!D2", "invalid_email")]),
    (("Customers", 3, "iban", "NL91ABNA0417164300;GB00WEST12345698765432"), [(E, "Customers!G3", "invalid_iban")]),
    (("Customers", 2, "name", "  "), [(E, "Customers!B2", "required")]),
    (("Customers", 2, "customer_id", 1001), [(E, "Invoices!D2", "unknown_customer"),
                                             (E, "Invoices!D4", "unknown_customer")]),
    (("TaxRates", 2, "rate", 19), [(E, "TaxRates!B2", "rate_out_of_range")]),
    (("TaxRates", 2, "kind", "normal"), [(E, "TaxRates!C2", "unknown_tax_kind")]),
    (("TaxRates", 3, "tax_code", "S19"), [(E, "TaxRates!A3", "duplicate_key"),
                                          (E, "InvoiceLines!G3", "unknown_tax_code")]),
    (("Payments", 2, "amount", 0), [(E, "Payments!C2", "amount_not_positive")]),
    (("Payments", 2, "amount", -5), [(E, "Payments!C2", "amount_not_positive")]),
    (("Payments", 2, "payer_iban", "DE89370400440532013001"), [(E, "Payments!F2", "invalid_iban")]),
    (("Payments", 2, "value_date", dt.datetime(2026, 10, 20, 9, 30)), []),
    (("Payments", 2, "payment_id", None), [(E, "Payments!A2", "required")]),
    (("Settings", 5, "value", "up"), [(E, "Settings!B5", "invalid_setting")]),
    (("Settings", 4, "value", "Euro"), [(E, "Settings!B4", "unknown_currency")]),
    (("Settings", 2, "value", "not-a-uuid"), [(E, "Settings!B2", "invalid_setting")]),
    (("Settings", 5, "key", "colour"), [("warning", "Settings!A5", "unknown_setting")]),
]


@pytest.mark.parametrize(("change", "expected"), CASES, ids=[f"{c[0]}-{c[2]}-{c[3]!r}" for c, _ in CASES])
def test_one_change(tmp_path, change, expected):
    sheets = base_sheets()
    set_cell(sheets, *change)
    assert sorted(findings_of(tmp_path, sheets)) == sorted(expected)


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("invoice_series", "INV-{seq:06d}", None),
        ("invoice_series", "INV-{yyyy}", "invalid_setting"),
        ("invoice_series", "INV-{year}-{seq}", "invalid_setting"),
        ("invoice_series", "INV-{seq", "invalid_setting"),
        ("aging_buckets", "30,60,90,120", None),
        ("aging_buckets", "60,30", "invalid_setting"),
        ("aging_buckets", "30;abc", "invalid_setting"),
        ("match_tolerance", -1, "invalid_setting"),
        ("match_tolerance", 1_000_000, "tolerance_too_large"),
        ("match_tolerance", 10_000.01, "tolerance_too_large"),
        ("match_tolerance", 10_000, "warning:large_tolerance"),
        ("match_tolerance", 100.01, "warning:large_tolerance"),
        ("match_tolerance", 100, None),
        ("match_tolerance", "1e308", "number_too_large"),
        ("match_tolerance", "0.10", None),
        ("price_mode", "NET", None),
        ("business_days_country", "de", None),
        ("business_days_country", "XX", "invalid_setting"),
        ("tax_rounding", "document", "invalid_setting"),
        ("default_terms", "2/10 net30", None),
        ("default_terms", "NET", "unknown_terms"),
        ("aging_basis", "issue_date", None),
    ],
)
def test_settings(tmp_path, key, value, rule):
    sheets = base_sheets()
    sheets["Settings"].append([key, value])
    severity, _, rule = (rule or "").rpartition(":")
    expected = [] if not rule else [(severity or E, "Settings!B6", rule)]
    assert findings_of(tmp_path, sheets) == expected


def test_typed_settings(tmp_path):
    sheets = base_sheets()
    sheets["Settings"] += [["aging_buckets", "15, 45"], ["price_mode", "Gross"], ["match_tolerance", 0.1]]
    settings = validate_book(read_book(write_book(tmp_path / "s.xlsx", sheets))).settings
    assert settings.aging_buckets == (15, 45)
    assert settings.price_mode == "gross"
    assert str(settings.match_tolerance) == "0.1"
    assert settings.rounding == "half_up" and settings.base_currency == "EUR"


def test_messages_name_the_value(tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "Invoices", 2, "issue_date", 46000.0)
    set_cell(sheets, "InvoiceLines", 2, "quantity", "2,5")
    book = read_book(write_book(tmp_path / "m.xlsx", sheets))
    messages = {f.cell: f.message for f in validate_book(book).findings}
    assert messages == {
        "Invoices!E2": "46000 is a number, not a date: format the cell as a date",
        "InvoiceLines!D2": "'2,5' is not a number",
    }


@pytest.mark.parametrize(("tables", "origin"), [(True, "A1"), (True, "C4"), (False, "A1")])
def test_shuffled_columns_and_header_variants(tmp_path, tables, origin):
    sheets = base_sheets()
    header = sheets["Invoices"][0]
    order = list(reversed(range(len(header))))
    sheets["Invoices"] = shuffled(sheets["Invoices"], order)
    sheets["Invoices"][0] = [h.upper().replace("_", " ") for h in sheets["Invoices"][0]]
    sheets["Invoices"][0].append("My notes")  # an extra column is kept and ignored
    set_cell(sheets, "Invoices", 3, "ISSUE DATE", "yesterday")
    found = findings_of(tmp_path, sheets, tables=tables, origin=origin)
    # reversed 17 columns: issue_date (5th) is now the 13th column, M; rows shift with the origin
    row = 3 if origin == "A1" else 6
    column = "M" if origin == "A1" else "O"
    assert found == [(E, f"Invoices!{column}{row}", "invalid_date")]


def test_blank_rows_are_ignored_and_missing_columns_reported_once(tmp_path):
    sheets = base_sheets()
    sheets["Payments"].insert(2, [None] * 7)
    sheets["Payments"].append(["P2", dt.date(2026, 10, 21), 5, "EUR", None, None, None])
    for row in sheets["InvoiceLines"]:
        del row[3]  # drop the quantity column
    assert findings_of(tmp_path, sheets) == [(E, "InvoiceLines!1:1", "missing_column")]


def test_missing_sheet_and_duplicate_header(tmp_path):
    sheets = base_sheets()
    del sheets["Payments"]
    sheets["TaxRates"][0].append("RATE")
    for row in sheets["TaxRates"][1:]:
        row.append(0.5)
    assert findings_of(tmp_path, sheets) == [
        (E, "TaxRates!E1", "duplicate_column"),
        (E, "Payments!A1", "missing_sheet"),
    ]


def test_data_below_a_table_is_reported(tmp_path):
    sheets = base_sheets()
    path = write_book(tmp_path / "b.xlsx", sheets)
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["Payments"].append(["P9", dt.date(2026, 10, 22), 7, "EUR"])  # typed below, table not extended
    wb.save(path)
    found = [(f.cell, f.rule) for f in validate_book(read_book(path)).findings]
    assert found == [("Payments!3:3", "data_outside_table")]


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=21))
def test_rf_check_agrees_with_python_stdnum(body):
    check = mod_97_10.calc_check_digits(body + "RF")
    reference = f"RF{check}{body}"
    assert iso11649.is_valid(reference)
    assert check_rf_reference(reference) == reference
    wrong = f"RF{(int(check) + 1) % 100:02d}{body}"
    if not iso11649.is_valid(wrong):
        with pytest.raises(PydanticCustomError):
            check_rf_reference(wrong)


# -- a column wrong on every row is one problem: findings capped per rule and column ------------------

def test_findings_capped_per_rule_and_column(tmp_path):
    from validation.limits import PER_RULE

    sheets = base_sheets()
    sheets["Payments"] += [[f"P{n}", "31.12.2025", 10, "EUR", None, None, None] for n in range(2, 252)]
    for row in sheets["Invoices"][1:]:
        row[3] = "C9"  # unknown customer: a rule across sheets, three findings, under the cap
    result = validate_book(read_book(write_book(tmp_path / "many.xlsx", sheets)))
    dates = [f for f in result.findings if f.rule == "invalid_date"]
    assert len(dates) == PER_RULE + 1
    summary = dates[0]
    assert summary.cell == "Payments!B1" and summary.severity == "error"
    assert summary.message.startswith("… and 150 more in column B (250 in all")
    assert [f.cell for f in dates[1:]] == [f"Payments!B{r}" for r in range(3, 3 + PER_RULE)]  # the first ones
    assert len([f for f in result.findings if f.rule == "unknown_customer"]) == 3
    assert not result.valid


def test_cap_counts_rules_across_sheets_too(tmp_path):
    sheets = base_sheets()
    sheets["InvoiceLines"] += [["K9", n, "x", 1, 1, None, "S19", None, None, None] for n in range(1, 131)]
    result = validate_book(read_book(write_book(tmp_path / "lines.xlsx", sheets)))
    unknown = [f for f in result.findings if f.rule == "unknown_invoice"]
    assert len(unknown) == 101 and unknown[0].cell == "InvoiceLines!A1" and "30 more" in unknown[0].message
