"""The collections contract (issue 18): Disputes and InterestRates validated with cells, the
dunning settings typed and checked, optional sheets, the typed tables, disputes kept out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.collections.disputes import Dispute, dispute_list, open_disputed
from billing.collections.policy import policy_of
from billing.collections.reference_rates import ECB_REFERENCE_RATES
from billing.settings import Settings
from billing.tables import typed_tables
from billing.workbook.read import read_book
from builders import base_sheets, set_cell, write_book
from validation import validate_book

E, W = "error", "warning"


def with_collections() -> dict[str, list[list]]:
    """The base workbook plus a Disputes and an InterestRates sheet (K1 INV-2026-000001 is
    issued, gross 414.75; CN-2026-000001 corrects it)."""
    sheets = base_sheets()
    sheets["Disputes"] = [
        ["invoice_no", "opened", "reason", "amount", "status", "owner", "note"],
        ["INV-2026-000001", dt.date(2026, 10, 20), "price", 50, "open", "Anna", None],
        ["INV-2026-000001", dt.date(2026, 10, 2), "quality", None, "resolved", None, None],
    ]
    sheets["InterestRates"] = [["valid_from", "rate"], [dt.date(2026, 1, 1), 0.0215], [dt.date(2026, 7, 1), 0.02]]
    return sheets


def findings_of(tmp_path, sheets):
    book = read_book(write_book(tmp_path / "book.xlsx", sheets))
    return sorted((f.severity, f.cell, f.rule) for f in validate_book(book).findings)


def test_the_collections_sheets_are_valid_and_optional(tmp_path):
    assert findings_of(tmp_path, with_collections()) == []
    old = read_book(write_book(tmp_path / "old.xlsx", base_sheets()))
    assert old.missing == () and "Disputes" not in old.tables
    tables = typed_tables(old, Settings())
    assert list(tables.disputes.columns) == ["invoice_no", "opened", "reason", "amount", "status", "owner", "note"]
    assert len(tables.disputes) == 0 and list(tables.interest_rates.columns) == ["valid_from", "rate"]


CASES = [
    (("Disputes", 2, "invoice_no", "INV-2026-000099"), [(E, "Disputes!A2", "unknown_disputed_invoice")]),
    (("Disputes", 2, "invoice_no", "CN-2026-000001"), [(E, "Disputes!A2", "dispute_on_credit_note")]),
    (("Disputes", 2, "opened", "20.10.2026"), [(E, "Disputes!B2", "invalid_date")]),
    (("Disputes", 2, "opened", None), [(E, "Disputes!B2", "required")]),
    (("Disputes", 2, "reason", "too expensive"), [(E, "Disputes!C2", "unknown_dispute_reason")]),
    (("Disputes", 2, "reason", "Not_Received"), []),
    (("Disputes", 2, "amount", 0), [(E, "Disputes!D2", "amount_not_positive")]),
    (("Disputes", 2, "amount", 414.76), [(E, "Disputes!D2", "dispute_above_gross")]),
    (("Disputes", 2, "amount", 414.75), []),
    (("Disputes", 2, "status", "closed"), [(E, "Disputes!E2", "unknown_dispute_status")]),
    (("Disputes", 2, "status", None), [(E, "Disputes!E2", "required")]),
    (("Disputes", 3, "status", "open"), [(E, "Disputes!E3", "duplicate_open_dispute")]),
    (("Disputes", 3, "status", "credited"), []),  # CN-2026-000001 corrects the invoice
    (("InterestRates", 3, "valid_from", dt.date(2026, 1, 1)), [(E, "InterestRates!A3", "duplicate_valid_from")]),
    (("InterestRates", 3, "rate", -0.005), []),  # a reference rate may be negative
    (("InterestRates", 3, "rate", 4.5), [(E, "InterestRates!B3", "rate_out_of_range")]),
    (("InterestRates", 3, "rate", "n/a"), [(E, "InterestRates!B3", "invalid_number")]),
]


@pytest.mark.parametrize(("change", "expected"), CASES, ids=[f"{c[0]}-{c[2]}-{c[3]!r}" for c, _ in CASES])
def test_one_change(tmp_path, change, expected):
    sheets = with_collections()
    set_cell(sheets, *change)
    assert findings_of(tmp_path, sheets) == sorted(expected)


def test_credited_without_a_credit_note_is_a_warning(tmp_path):
    sheets = with_collections()
    set_cell(sheets, "Invoices", 4, "status", "void")  # the credit note no longer corrects anything
    set_cell(sheets, "Invoices", 4, "void_reason", "typo")
    set_cell(sheets, "Disputes", 3, "status", "credited")
    assert findings_of(tmp_path, sheets) == [(W, "Disputes!E3", "credited_without_credit_note")]


def _with_columns(sheets, sheet, values):
    """Add columns with a value on row 2 (and blank below)."""
    for name, value in values.items():
        sheets[sheet][0].append(name)
        for n, row in enumerate(sheets[sheet][1:]):
            row.append(value if n == 0 else None)


@pytest.mark.parametrize(("sheet", "values", "expected"), [
    ("Customers", {"on_hold": "Yes", "promise_date": dt.date(2026, 11, 5), "language": "DE"}, []),
    ("Customers", {"on_hold": "maybe"}, [(E, "Customers!H2", "invalid_yes_no")]),
    ("Customers", {"on_hold": None, "language": "fr"}, [(E, "Customers!I2", "unknown_language")]),
    ("Customers", {"promise_date": "next week"}, [(E, "Customers!H2", "invalid_date")]),
    ("Invoices", {"on_hold": "no", "promise_date": dt.date(2026, 11, 5), "last_reminder": dt.date(2026, 10, 30),
                  "dunning_level": 2}, []),
    ("Invoices", {"on_hold": "x"}, [(E, "Invoices!R2", "invalid_yes_no")]),
    ("Invoices", {"last_reminder": "soon"}, [(E, "Invoices!R2", "invalid_date")]),
    ("Invoices", {"dunning_level": 1.5}, [(E, "Invoices!R2", "invalid_integer")]),
    ("Invoices", {"dunning_level": -1}, [(E, "Invoices!R2", "invalid_dunning_level")]),
])
def test_hold_promise_language_and_history_columns(tmp_path, sheet, values, expected):
    sheets = with_collections()
    _with_columns(sheets, sheet, values)
    assert findings_of(tmp_path, sheets) == sorted(expected)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("dunning_levels", "10,20", None),
    ("dunning_levels", "20,10", (E, "invalid_setting")),
    ("dunning_levels", "0,14", (E, "invalid_setting")),
    ("dunning_levels", "14;abc", (E, "invalid_setting")),
    ("dunning_levels", 14, None),
    ("dunning_fees", "0,5,10", None),
    ("dunning_fees", "0,five,10", (E, "invalid_setting")),
    ("dunning_fees", "0,-5", (E, "invalid_setting")),
    ("dunning_fees", "0,5,10,15", (W, "unused_fee")),
    ("interest_margin", 0.09, None),
    ("interest_margin", "nine", (E, "invalid_number")),
    ("interest_margin", 9, (E, "invalid_setting")),
    ("interest_margin", 0.6, (W, "implausible_margin")),
    ("interest_margin", -0.06, (W, "implausible_margin")),
    ("interest_margin", -0.05, None),
    ("late_payment_compensation", -40, (E, "invalid_setting")),
    ("late_payment_compensation", 0, None),
    ("dunning_interest_levels", "2,3", None),
    ("dunning_interest_levels", "0", (E, "invalid_setting")),
    ("dunning_interest_levels", "4", (W, "unknown_level")),
    ("dunning_min_amount", -1, (E, "invalid_setting")),
    ("dunning_min_days", 2.5, (E, "invalid_integer")),
    ("dunning_grace_days", -3, (E, "invalid_setting")),
    ("interest_day_count", "ACT/360", None),
    ("interest_day_count", "30/360", (E, "invalid_setting")),
    ("smtp_port", 25, None),
    ("smtp_port", 70000, (E, "invalid_setting")),
    ("mail_from", "billing(at)example.com", (E, "invalid_email")),
    ("smtp_starttls", "No", None),
    ("smtp_starttls", "maybe", (E, "invalid_setting")),
])
def test_collections_settings(tmp_path, key, value, expected):
    sheets = base_sheets()
    sheets["Settings"].append([key, value])
    assert findings_of(tmp_path, sheets) == ([] if expected is None else [(expected[0], "Settings!B6", expected[1])])


def test_typed_collections_settings(tmp_path):
    sheets = base_sheets()
    sheets["Settings"] += [["dunning_levels", "10; 20"], ["dunning_fees", "0, 2.50"], ["interest_margin", 0.09],
                           ["late_payment_compensation", 40], ["interest_day_count", "Act/360"],
                           ["smtp_port", "2525"], ["smtp_starttls", "no"], ["dunning_min_days", 10]]
    settings = validate_book(read_book(write_book(tmp_path / "s.xlsx", sheets))).settings
    assert settings.dunning_levels == (10, 20) and settings.dunning_fees == (D("0"), D("2.50"))
    assert (settings.interest_margin, settings.late_payment_compensation) == (D("0.09"), D("40"))
    assert (settings.interest_day_count, settings.smtp_port, settings.smtp_starttls) == ("act/360", 2525, False)
    assert settings.dunning_min_days == 10 and settings.dunning_interest_levels == (2, 3)
    policy = policy_of(settings)  # interest level 3 is no level of two: left out (a warning at its cell)
    assert [policy.fee_of(n) for n in (0, 1, 2, 3)] == [D(0), D(0), D("2.50"), D("2.50")]
    assert (policy.levels, policy.interest_levels, policy.margin) == ((10, 20), {2}, D("0.09"))


def test_typed_disputes_and_rates(tmp_path):
    sheets = with_collections()
    sheets["InterestRates"][1:] = sheets["InterestRates"][:0:-1]  # later date first: typed sorted
    set_cell(sheets, "Disputes", 2, "reason", "PRICE")
    result = validate_book(read_book(write_book(tmp_path / "t.xlsx", sheets)))
    disputes, rates = result.tables.disputes, result.tables.interest_rates
    assert disputes.to_dict("records")[0] == {"invoice_no": "INV-2026-000001", "opened": dt.date(2026, 10, 20),
                                              "reason": "price", "amount": D("50"), "status": "open",
                                              "owner": "Anna", "note": None}
    assert list(disputes.index) == [2, 3]
    assert [(r.valid_from, r.rate) for r in rates.itertuples()] == [(dt.date(2026, 1, 1), D("0.0215")),
                                                                    (dt.date(2026, 7, 1), D("0.02"))]


def test_invoice_history_columns_are_typed(tmp_path):
    sheets = with_collections()
    _with_columns(sheets, "Invoices", {"last_reminder": dt.date(2026, 10, 30), "dunning_level": 2})
    invoices = validate_book(read_book(write_book(tmp_path / "h.xlsx", sheets))).tables.invoices
    assert invoices.loc[2, "dunning_level"] == 2 and type(invoices.loc[2, "dunning_level"]) is int
    assert invoices.loc[2, "last_reminder"] == dt.date(2026, 10, 30) and invoices.loc[3, "dunning_level"] is None


def _dispute(no, amount, status="open", opened=dt.date(2026, 10, 1)):
    return Dispute(no, opened, "price", amount, status)


@pytest.mark.parametrize(("disputes", "open_amounts", "expected"), [
    ([_dispute("A", D("30"))], {"A": D("100")}, {"A": D("30")}),
    ([_dispute("A", None)], {"A": D("100")}, {"A": D("100")}),  # blank: the whole open amount
    ([_dispute("A", D("80"))], {"A": D("50")}, {"A": D("50")}),  # never more than is open
    ([_dispute("A", D("30"), "resolved"), _dispute("B", None, "rejected"), _dispute("C", None, "credited")],
     {"A": D("100"), "B": D("5"), "C": D("5")}, {}),
    ([_dispute("A", D("30"))], {}, {}),  # paid in full: nothing left to keep out
])
def test_open_disputed(disputes, open_amounts, expected):
    assert open_disputed(disputes, open_amounts) == expected


def test_dispute_list_ages_open_first():
    lines = dispute_list([_dispute("A", None, "resolved", dt.date(2026, 9, 1)), _dispute("B", D("5")),
                          _dispute("C", None, "open", dt.date(2026, 11, 5))],
                         {"A": "C1", "B": "C2"}, {"A": "EUR", "B": "EUR"}, dt.date(2026, 10, 31))
    assert [(l.invoice_no, l.customer_id, l.age_days, l.status) for l in lines] == [
        ("B", "C2", 30, "open"), ("C", None, 0, "open"), ("A", "C1", 60, "resolved")]


def test_the_ecb_rates_are_half_years_in_order():
    days = [day for day, _ in ECB_REFERENCE_RATES]
    assert days == sorted(days) and all(d.day == 1 and d.month in (1, 7) for d in days)
    assert dict(ECB_REFERENCE_RATES)[dt.date(2024, 1, 1)] == D("0.0450")


def _reports(tmp_path, sheets, as_of=dt.date(2026, 11, 30)):
    from billing.pipeline.steps import receivables_step

    book = read_book(write_book(tmp_path / "r.xlsx", sheets))
    result = validate_book(book)
    assert result.valid, result.findings
    return receivables_step(book, result.tables, result.computed, as_of)


def test_aging_shows_the_disputed_amount_and_the_dispute_list(tmp_path):
    reports = _reports(tmp_path, with_collections())
    aging, dunning, disputes = reports.outputs
    assert aging.columns[-2:] == ("dso", "disputed")
    by_customer = {row[0]: row for row in aging.rows}
    assert by_customer["C1"][-1] == D("50.00") and by_customer["TOTAL"][-1] == D("50.00")
    assert "disputed" in aging.number_formats
    assert disputes.name == "DisputeList" and disputes.columns[:5] == ("invoice_no", "customer_id", "currency",
                                                                       "opened", "age_days")
    assert [(r[0], r[1], r[2], r[4], r[7]) for r in disputes.rows] == [
        ("INV-2026-000001", "C1", "EUR", 41, "open"), ("INV-2026-000001", "C1", "EUR", 59, "resolved")]


def test_a_dispute_opened_after_the_date_keeps_nothing_out(tmp_path):
    reports = _reports(tmp_path, with_collections(), as_of=dt.date(2026, 10, 19))
    assert {row[0]: row[-1] for row in reports.outputs[0].rows}.get("C1", D(0)) == D(0)


def test_a_workbook_without_disputes_keeps_its_outputs(tmp_path):
    reports = _reports(tmp_path, base_sheets())
    assert [o.name for o in reports.outputs] == ["Aging", "Dunning"]
    assert "disputed" not in reports.outputs[0].columns and reports.receivables.disputed is None
