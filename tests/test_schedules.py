"""The rules of recurring billing (`billing/schedules/`): hand-worked cases for every period
kind × in advance / in arrears × proration rule, month-end anchors and leap years, yearly
steps and index clauses, usage tiers both ways, the reasons a line is skipped, and
properties: a contract's life is billed once, exactly, whatever way the months fall."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.schedules.billing import bill_month, invoice_key, months_between, plan
from billing.schedules.periods import add_months, anchor_date, billed_in, next_billing_date, periods_in
from billing.schedules.pricing import MissingIndex, anniversaries, indexed_price, stepped_price, tiered_amount
from billing.schedules.proration import prorate, round_money
from billing.schedules.records import (ContractLine, PriceChangeOutOfRange, ScheduleValueError, Tier, UsageRecord,
                                       parse_period, parse_price_change)

D = dt.date
M = Decimal


def line(start, months=1, *, end=None, anchor=None, timing="advance", proration="days", quantity="1", price="1200",
         change=None, hold=False, usage=None, contract="K1", description="Service", currency="EUR", row=2):
    return ContractLine(contract, "C1", description, M(quantity), M(price), currency, "S", months, start, end, anchor,
                        timing, proration, change, hold, usage, row)


def bill(lines, month, usage=(), tiers=(), index=None, billed=frozenset(), rounding="half_up"):
    return bill_month(lines, usage, tiers, index or {}, month, rounding=rounding, base_currency="EUR", billed=billed)


# -- the coded cells ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "months"), [("monthly", 1), ("quarterly", 3), ("half_yearly", 6), ("yearly", 12),
                                              ("every_2_months", 2), ("Every_18_Months", 18), (" monthly ", 1),
                                              ("every_1_months", 1), ("every_120_months", 120)])
def test_periods_are_read(text, months):
    assert parse_period(text) == months


@pytest.mark.parametrize("junk", ["weekly", "every_0_months", "every_x_months", "", 3, None, "every_121_months",
                                  "every_1_month"])
def test_a_period_that_is_not_one_says_what_is(junk):
    with pytest.raises(ScheduleValueError, match="period"):
        parse_period(junk)


@pytest.mark.parametrize(("text", "change"), [("3%", ("percent", M(3))), ("2.5 %", ("percent", M("2.5"))),
                                              ("-1%", ("percent", M(-1))), ("index:CPI", ("index", "CPI")),
                                              ("INDEX: HICP ", ("index", "HICP")), ("Index: HICP 2015", ("index", "HICP 2015")),
                                              ("100%", ("percent", M(100))), ("-99.5%", ("percent", M("-99.5"))),
                                              ("", None), (None, None)])
def test_price_changes_are_read(text, change):
    assert parse_price_change(text) == change


@pytest.mark.parametrize(("junk", "message"), [
    ("3", "neither a yearly percentage"), ("three %", "neither"), ("index:", "names no index"),
    (0.03, "not the number 0.03 \\(write 3% as text\\)"),
])
def test_a_price_change_that_is_not_one_says_what_is(junk, message):
    with pytest.raises(ScheduleValueError, match=message) as raised:
        parse_price_change(junk)
    assert not isinstance(raised.value, PriceChangeOutOfRange)


@pytest.mark.parametrize("junk", ["-100%", "-250%", "100.01%", "300 %"])
def test_a_yearly_change_beyond_100_percent_is_out_of_range(junk):
    """Validation tells it apart (`price_change_out_of_range`): 3 typed for 3 % is 300 %."""
    with pytest.raises(PriceChangeOutOfRange, match="between -100% and 100%"):
        parse_price_change(junk)


# -- periods: anchors, month ends, leap years ----------------------------------------------------

@pytest.mark.parametrize(("month", "anchor", "expected"), [
    ((2026, 2), 31, D(2026, 2, 28)), ((2028, 2), 31, D(2028, 2, 29)), ((2026, 4), 31, D(2026, 4, 30)),
    ((2026, 3), 31, D(2026, 3, 31)), ((2100, 2), 29, D(2100, 2, 28)), ((2000, 2), 30, D(2000, 2, 29)),
])
def test_the_anchor_is_clamped_to_the_months_end(month, anchor, expected):
    assert anchor_date(month[0] * 12 + month[1] - 1, anchor) == expected


@pytest.mark.parametrize(("day", "months", "expected"), [
    (D(2026, 1, 31), 1, D(2026, 2, 28)), (D(2024, 1, 31), 1, D(2024, 2, 29)), (D(2026, 1, 31), 12, D(2027, 1, 31)),
    (D(2026, 11, 15), 3, D(2027, 2, 15)), (D(2026, 3, 31), 11, D(2027, 2, 28)), (D(2026, 5, 10), 0, D(2026, 5, 10))])
def test_add_months_keeps_the_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def _spans(periods):
    return [(p.start, p.end) for p in periods]


def test_a_31st_anchor_falls_on_each_months_last_day_and_returns_to_the_31st():
    monthly = line(D(2027, 12, 31), anchor=31)
    assert _spans(periods_in(monthly, D(2028, 1, 1), D(2028, 5, 31))) == [
        (D(2027, 12, 31), D(2028, 1, 30)), (D(2028, 1, 31), D(2028, 2, 28)), (D(2028, 2, 29), D(2028, 3, 30)),
        (D(2028, 3, 31), D(2028, 4, 29)), (D(2028, 4, 30), D(2028, 5, 30)), (D(2028, 5, 31), D(2028, 6, 29))]
    assert [p.start for p in billed_in(monthly, 2027, 2)] == []  # not started
    assert [p.start for p in billed_in(monthly, 2029, 2)] == [D(2029, 2, 28)]  # a common year
    assert not any(p.partial for p in periods_in(monthly, D(2028, 1, 1), D(2028, 12, 31)))


def test_a_stub_runs_to_the_first_anchor_and_is_prorated_against_its_full_period():
    (stub,) = periods_in(line(D(2026, 2, 10), 3, anchor=1), D(2026, 2, 1), D(2026, 2, 28))
    assert stub == (D(2026, 2, 10), D(2026, 2, 28), D(2025, 12, 1), D(2026, 2, 28)) and stub.partial


def test_a_start_and_an_anchor_in_one_month_bill_twice_that_month_in_advance():
    assert _spans(billed_in(line(D(2026, 1, 5), anchor=20), 2026, 1)) == [(D(2026, 1, 5), D(2026, 1, 19)),
                                                                          (D(2026, 1, 20), D(2026, 2, 19))]


def test_no_period_starts_after_the_end_date_and_the_last_ends_on_it():
    periods = periods_in(line(D(2026, 1, 1), end=D(2026, 3, 10)), D(2020, 1, 1), D(2030, 1, 1))
    assert _spans(periods) == [(D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 1), D(2026, 2, 28)),
                               (D(2026, 3, 1), D(2026, 3, 10))]
    assert periods[-1].full_end == D(2026, 3, 31)


def test_an_old_contract_jumps_to_the_month_asked():
    periods = periods_in(line(D(1990, 1, 31), anchor=31), D(2028, 2, 1), D(2028, 2, 29))
    assert _spans(periods) == [(D(2028, 1, 31), D(2028, 2, 28)), (D(2028, 2, 29), D(2028, 3, 30))]


@pytest.mark.parametrize(("start", "months", "anchor", "as_of", "expected"), [
    (D(2026, 1, 31), 1, 31, D(2026, 2, 1), D(2026, 2, 28)),
    (D(2026, 1, 31), 1, 31, D(2028, 2, 1), D(2028, 2, 29)),
    (D(2026, 1, 31), 1, 31, D(2026, 3, 31), D(2026, 3, 31)),  # a period starts that day
    (D(2026, 1, 31), 1, None, D(2026, 4, 1), D(2026, 4, 30)),  # blank anchor: the start's day
    (D(2026, 1, 15), 3, 1, D(2026, 1, 20), D(2026, 2, 1)),  # the stub, then quarters from 1 Feb
    (D(2026, 1, 15), 3, 1, D(2026, 2, 2), D(2026, 5, 1)),
    (D(2026, 5, 1), 12, None, D(2026, 1, 1), D(2026, 5, 1)),  # before the start: the start
    (D(2024, 2, 29), 12, None, D(2025, 1, 1), D(2025, 2, 28)),
    (D(2024, 2, 29), 12, None, D(2028, 2, 29), D(2028, 2, 29)),
])
def test_next_billing_date(start, months, anchor, as_of, expected):
    assert next_billing_date(start, months, anchor, as_of) == expected


@pytest.mark.parametrize(("months", "anchor"), [(0, 1), (1, 0), (1, 32)])
def test_a_schedule_that_is_none_says_so(months, anchor):
    with pytest.raises(ValueError, match="period must be|anchor day"):
        next_billing_date(D(2026, 1, 1), months, anchor, D(2026, 2, 1))


# -- every period kind × advance/arrears × proration rule --------------------------------------
# quantity 1 at 1200.00 per full period; (start, end, anchor) → the partial period, its full period, and
# for each rule its rule text and net (worked by hand in the comments).

KINDS = [
    # monthly: 15–31 Jan of January (31 days): 1200 × 17/31 = 658.0645…
    ("monthly", 1, D(2026, 1, 15), None, 1, (D(2026, 1, 15), D(2026, 1, 31)), (2026, 1), (2026, 1),
     {"days": ("17/31 days", "658.06"), "months": ("17/31 months of 1", "658.06"), "none": ("not prorated", "1200.00")}),
    # every 2 months, anchor 31, cut on 15 June: 31 May–15 Jun of 31 May–30 Jul (61 days): 1200 × 16/61 = 314.754…;
    # by months: 31 May–29 Jun is a month of 30 days, 16 of them covered: 16/30 / 2 → 1200 × 4/15 = 320
    ("every_2_months", 2, D(2026, 3, 31), D(2026, 6, 15), 31, (D(2026, 5, 31), D(2026, 6, 15)), (2026, 5), (2026, 6),
     {"days": ("16/61 days", "314.75"), "months": ("16/30 months of 2", "320.00"), "none": ("not prorated", "1200.00")}),
    # quarterly stub 10–28 Feb of Dec–Feb (31+31+28 = 90 days): 1200 × 19/90 = 253.333…;
    # by months: 19/28 of February / 3 → 1200 × 19/84 = 271.428…
    ("quarterly", 3, D(2026, 2, 10), None, 1, (D(2026, 2, 10), D(2026, 2, 28)), (2026, 2), (2026, 2),
     {"days": ("19/90 days", "253.33"), "months": ("19/28 months of 3", "271.43"), "none": ("not prorated", "1200.00")}),
    # half-yearly stub 15–29 Feb 2028 (leap) of Sep 2027–Feb 2028 (30+31+30+31+31+29 = 182): 1200 × 15/182 = 98.901…;
    # by months: 15/29 / 6 → 1200 × 15/174 = 103.448…
    ("half_yearly", 6, D(2028, 2, 15), None, 1, (D(2028, 2, 15), D(2028, 2, 29)), (2028, 2), (2028, 2),
     {"days": ("15/182 days", "98.90"), "months": ("15/29 months of 6", "103.45"), "none": ("not prorated", "1200.00")}),
    # yearly, cut on 30 June: 181/365 days = 595.068…; by months 6/12 = 600
    ("yearly", 12, D(2026, 1, 1), D(2026, 6, 30), None, (D(2026, 1, 1), D(2026, 6, 30)), (2026, 1), (2026, 6),
     {"days": ("181/365 days", "595.07"), "months": ("6/12 months", "600.00"), "none": ("not prorated", "1200.00")}),
    # yearly from 16 Apr 2027 to 15 Jan 2028 (one partial year of 366 days: 2027-04-16 – 2028-04-15):
    # 275/366 days = 901.639…; by months 16 Apr – 15 Jan is 9 whole months: 9/12 = 900
    ("yearly, leap", 12, D(2027, 4, 16), D(2028, 1, 15), None, (D(2027, 4, 16), D(2028, 1, 15)), (2027, 4), (2028, 1),
     {"days": ("275/366 days", "901.64"), "months": ("9/12 months", "900.00"), "none": ("not prorated", "1200.00")}),
    # quarterly in arrears, start 1 Jan, end 15 Feb: 46/90 days = 613.333…; by months 1 + 15/28 of 3 = 1200 × 43/84
    ("quarterly, cut", 3, D(2026, 1, 1), D(2026, 2, 15), None, (D(2026, 1, 1), D(2026, 2, 15)), (2026, 1), (2026, 2),
     {"days": ("46/90 days", "613.33"), "months": ("1 + 15/28 months of 3", "614.29"), "none": ("not prorated", "1200.00")}),
]


@pytest.mark.parametrize("rule", ["days", "months", "none"])
@pytest.mark.parametrize("timing", ["advance", "arrears"])
@pytest.mark.parametrize(("kind", "months", "start", "end", "anchor", "span", "starts_in", "ends_in", "expected"),
                         KINDS, ids=[k[0] for k in KINDS])
def test_every_period_kind_by_timing_and_rule(kind, months, start, end, anchor, span, starts_in, ends_in, expected,
                                              timing, rule):
    contract = line(start, months, end=end, anchor=anchor, timing=timing, proration=rule)
    month = starts_in if timing == "advance" else ends_in
    text, net = expected[rule]
    billed = [b for b in bill([contract], month).lines if b.period_from == span[0]]
    assert len(billed) == 1
    (one,) = billed
    assert (one.period_from, one.period_to, one.rule, one.net) == (*span, text, M(net))
    assert one.description == f"Service {span[0]} – {span[1]} ({text})"
    assert one.invoice_quantity * one.invoice_unit_price == one.net
    other = ends_in if timing == "advance" else starts_in
    if other != month:  # the other month does not bill this period
        assert span[0] not in [b.period_from for b in bill([contract], other).lines]


def test_a_whole_period_shows_no_rule_and_keeps_its_quantity_and_price():
    (one,) = bill([line(D(2026, 1, 1), 3, quantity="2", price="99.99")], (2026, 1)).lines
    assert (one.description, one.rule, one.fraction, one.net) == ("Service 2026-01-01 – 2026-03-31", "", 1, M("199.98"))
    assert (one.invoice_quantity, one.invoice_unit_price, one.invoice_key) == (M(2), M("99.99"), "BILL-C1-2026-01")


def test_the_rounding_is_the_workbooks_and_applies_once():
    # 1 × 0.50 × 1/2 … 15/30 days of 0.05: 0.025 → 0.03 half up, 0.02 half even
    contract = line(D(2026, 4, 16), price="0.05", anchor=1)
    assert bill([contract], (2026, 4)).lines[0].net == M("0.03")
    assert bill([contract], (2026, 4), rounding="half_even").lines[0].net == M("0.02")
    assert round_money(Fraction(-5, 200), "EUR", "half_up") == M("-0.03")
    assert round_money(Fraction(2500, 2), "JPY", "half_even") == M(1250)
    assert round_money(Fraction(1, 3), "KWD", "half_up") == M("0.333")


def test_months_proration_of_a_period_that_starts_and_ends_inside_it():
    # 10 Jan – 20 Mar of a quarter: 22/31 + 1 + 20/31
    fraction, rule = prorate(D(2026, 1, 10), D(2026, 3, 20), D(2026, 1, 1), D(2026, 3, 31), "months", months=3,
                             anchor_day=1)
    assert rule == "22/31 + 1 + 20/31 months of 3" and fraction == (Fraction(42, 31) + 1) / 3


# -- prices: yearly steps and index clauses -----------------------------------------------------

def test_a_yearly_step_compounds_over_three_anniversaries_rounding_each_year():
    contract = line(D(2026, 3, 1), 12, price="1000", change=("percent", M(3)))
    nets = [bill([contract], (year, 3)).lines[0].unit_price for year in (2026, 2027, 2028, 2029)]
    assert nets == [M("1000"), M("1030.00"), M("1060.90"), M("1092.73")]  # 1060.90 × 1.03 = 1092.727


def test_a_period_is_priced_on_its_start_date():
    monthly = line(D(2026, 3, 1), price="100.00", change=("percent", M("2.5")))
    assert bill([monthly], (2027, 2)).lines[0].unit_price == M("100.00")
    assert bill([monthly], (2027, 3)).lines[0].unit_price == M("102.50")


@pytest.mark.parametrize(("on", "years"), [(D(2025, 2, 27), 0), (D(2025, 2, 28), 1), (D(2028, 2, 28), 3),
                                           (D(2028, 2, 29), 4), (D(2023, 1, 1), 0)])
def test_the_anniversary_of_a_leap_day_is_28_february(on, years):
    assert anniversaries(D(2024, 2, 29), on) == years


def test_halves_in_a_yearly_step_round_the_workbooks_way():
    # 10.10 × 1.05 = 10.605
    assert stepped_price(M("10.10"), M(5), D(2026, 1, 1), D(2027, 1, 1), "EUR", "half_up") == M("10.61")
    assert stepped_price(M("10.10"), M(5), D(2026, 1, 1), D(2027, 1, 1), "EUR", "half_even") == M("10.60")


INDEX = {("CPI", D(2026, 3, 1)): M("117.3"), ("CPI", D(2026, 4, 1)): M("119.1"), ("CPI", D(2027, 1, 1)): M("121.0")}


def test_an_index_clause_scales_by_the_period_starts_month_over_the_base_month():
    quarterly = line(D(2026, 3, 15), 3, anchor=1, price="500.00", change=("index", "CPI"))  # base month March
    (april,) = bill([quarterly], (2026, 4), index=INDEX).lines
    assert april.unit_price == M("507.67")  # 500 × 119.1 / 117.3 = 507.672…
    (stub,) = bill([quarterly], (2026, 3), index=INDEX).lines  # 15–31 Mar of Jan–Mar: 500 × 17/90 = 94.44…
    assert (stub.unit_price, stub.rule, stub.net) == (M("500.00"), "17/90 days", M("94.44"))


def test_a_missing_index_value_is_reported_never_guessed():
    quarterly = line(D(2026, 3, 15), 3, anchor=1, price="500.00", change=("index", "CPI"))
    result = bill([quarterly], (2026, 7), index=INDEX)
    assert result.lines == () and [(s.reason, s.detail) for s in result.skipped] == [
        ("missing_index", "PriceIndex has no value of index CPI for 2026-07")]
    assert indexed_price(M(1), "CPI", D(2025, 5, 5), D(2026, 1, 1), INDEX, "EUR", "half_up") == \
        MissingIndex("CPI", D(2025, 5, 1))


# -- usage and tiers ---------------------------------------------------------------------------

TIERS = [Tier("K9", M(0), M("0.10")), Tier("K9", M(1000), M("0.08")), Tier("K9", M(5000), M("0.05"))]


@pytest.mark.parametrize(("quantity", "volume", "graduated"), [
    (M(0), "0.00", "0.00"), (M(999), "99.90", "99.90"), (M(1000), "80.00", "100.00"),  # 1000 reaches tier 2
    (M(6000), "300.00", "470.00"),  # 1000 × 0.10 + 4000 × 0.08 + 1000 × 0.05
    (M("1500.5"), "120.04", "140.04"),
])
def test_tiers_volume_and_graduated(quantity, volume, graduated):
    assert tiered_amount(quantity, TIERS, "volume").amount == M(volume)
    assert tiered_amount(quantity, TIERS, "graduated").amount == M(graduated)


USAGE = [UsageRecord("K9", D(2026, 1, 5), M(800)), UsageRecord("K9", D(2026, 2, 28), M(1200)),
         UsageRecord("K9", D(2026, 3, 31), M(4000)), UsageRecord("K9", D(2026, 4, 1), M(7))]


@pytest.mark.parametrize(("pricing", "net", "rule"), [
    ("graduated", "470.00", "graduated: 1000 × 0.10 + 4000 × 0.08 + 1000 × 0.05"),
    ("volume", "300.00", "volume: 6000 × 0.05 (tier from 5000)"),
])
def test_a_quarterly_metered_line_bills_the_usage_of_its_period_in_arrears(pricing, net, rule):
    metered = line(D(2026, 1, 1), 3, contract="K9", usage=pricing, timing="advance")  # usage is always in arrears
    assert bill([metered], (2026, 1), USAGE, TIERS).skipped[0].reason == "not_due"
    (one,) = bill([metered], (2026, 3), USAGE, TIERS).lines
    assert (one.quantity, one.net, one.rule, one.fraction) == (M(6000), M(net), rule, 1)
    assert (one.invoice_quantity, one.invoice_unit_price) == (M(1), M(net))


def test_metered_lines_without_usage_or_tiers_and_a_second_metered_line_are_skipped():
    first = line(D(2026, 1, 1), contract="K9", usage="volume", row=3)
    second = line(D(2026, 1, 1), contract="K9", usage="volume", description="Extra", row=4)
    reasons = [(s.reason, s.row) for s in bill([first, second], (2026, 6), USAGE, TIERS).skipped]
    assert reasons == [("no_usage", 3), ("usage_on_other_line", 4)]
    assert bill([first], (2026, 1), USAGE, [TIERS[1]]).skipped[0].reason == "bad_tiers"


# -- what is skipped, and billing twice -----------------------------------------------------------

def test_the_reasons_a_line_is_not_billed():
    lines = [line(D(2026, 5, 1), contract="A"), line(D(2025, 1, 1), end=D(2026, 2, 28), contract="B"),
             line(D(2026, 1, 1), hold=True, contract="C"), line(D(2026, 1, 1), 3, contract="D"),
             line(D(2026, 1, 1), 3, timing="arrears", contract="E")]
    skipped = bill(lines, (2026, 3)).skipped
    assert [(s.contract_id, s.reason, s.detail) for s in skipped] == [
        ("A", "not_started", "starts 2026-05-01"), ("B", "ended", "ended 2026-02-28"), ("C", "on_hold", "on hold"),
        ("D", "not_due", "no period starts in 2026-03 (in advance)")]
    assert [b.contract_id for b in bill(lines, (2026, 3)).lines] == ["E"]


def test_billing_a_month_twice_gives_nothing_new():
    lines = [line(D(2026, 1, 15), contract="A"), line(D(2026, 1, 1), 3, timing="arrears", contract="B"),
             line(D(2026, 1, 1), 3, contract="K9", usage="graduated")]
    first = bill(lines, (2026, 3), USAGE, TIERS)
    assert len(first.lines) == 3
    again = bill(lines, (2026, 3), USAGE, TIERS, billed={b.key: b.invoice_key for b in first.lines})
    assert again.lines == ()
    assert {s.reason for s in again.skipped} == {"already_billed"}
    assert again.skipped[1].detail == "2026-01-01 – 2026-03-31 already billed into BILL-C1-2026-03"
    assert bill(lines, (2026, 3), USAGE, TIERS, billed=frozenset(b.key for b in first.lines)).lines == ()


def test_one_draft_per_customer_and_currency():
    assert invoice_key("C1", "EUR", (2026, 12), "EUR") == "BILL-C1-2026-12"
    assert invoice_key("C1", "USD", (2026, 1), "EUR") == "BILL-C1-2026-01-USD"
    (usd,) = bill([line(D(2026, 1, 1), currency="USD")], (2026, 1)).lines
    assert usd.invoice_key == "BILL-C1-2026-01-USD"


def test_the_plan_sums_each_month_per_customer_and_currency_and_plans_only_known_usage():
    lines = [line(D(2026, 1, 15), anchor=1, contract="A"), line(D(2026, 1, 1), 3, price="300", contract="B"),
             line(D(2026, 1, 1), 3, contract="K9", usage="graduated")]
    result = plan(lines, USAGE, TIERS, {}, (2026, 1), (2026, 6), rounding="half_up", base_currency="EUR")
    rows = result.rows
    assert result.skipped == ()  # usage not recorded yet is the future, not a problem
    assert [(r.month, r.net) for r in rows] == [
        (D(2026, 1, 1), M("958.06")),  # 658.06 + 300
        (D(2026, 2, 1), M("1200.00")), (D(2026, 3, 1), M("1670.00")),  # + the quarter's usage 470
        (D(2026, 4, 1), M("1500.00")), (D(2026, 5, 1), M("1200.00")), (D(2026, 6, 1), M("1200.70"))]  # Q2: only the 7 units recorded so far
    assert months_between((2026, 11), (2027, 2)) == [(2026, 11), (2026, 12), (2027, 1), (2027, 2)]


def test_the_plan_says_which_periods_a_missing_index_value_leaves_out():
    indexed = line(D(2026, 1, 1), price="100", change=("index", "CPI"), row=7)
    index = {("CPI", D(2026, 1, 1)): M(100), ("CPI", D(2026, 2, 1)): M(102)}  # no March, no April
    result = plan([indexed, line(D(2026, 1, 1), 3, price="300", contract="B")], (), (), index, (2026, 2), (2026, 4),
                  rounding="half_up", base_currency="EUR")
    assert [(r.month, r.net) for r in result.rows] == [(D(2026, 2, 1), M("102.00")), (D(2026, 4, 1), M("300.00"))]
    assert [(s.month, s.reason, s.detail, s.row) for s in result.skipped] == [
        (D(2026, 3, 1), "missing_index", "PriceIndex has no value of index CPI for 2026-03", 7),
        (D(2026, 4, 1), "missing_index", "PriceIndex has no value of index CPI for 2026-04", 7)]


# -- properties ---------------------------------------------------------------------------------

@st.composite
def contracts(draw, proration="days", periods=(1, 2, 3, 6, 12)):
    if not isinstance(proration, str):
        proration = draw(proration)
    start = draw(st.dates(D(2024, 1, 1), D(2029, 12, 31)))
    months = draw(st.sampled_from(periods))
    anchor = draw(st.one_of(st.none(), st.integers(1, 31)))
    end = draw(st.one_of(st.none(), st.integers(0, 800).map(lambda n: start + dt.timedelta(days=n))))
    return line(start, months, end=end, anchor=anchor, timing=draw(st.sampled_from(["advance", "arrears"])),
                proration=proration, quantity=str(draw(st.integers(1, 5))),
                price=str(draw(st.decimals(M("0.01"), M("9999.99"), places=2))))


def _life(contract):
    """Every month from the start to the end (open-ended: three years), billed one by one."""
    last = contract.end_date or contract.start_date + dt.timedelta(days=3 * 366)
    return months_between((contract.start_date.year, contract.start_date.month), (last.year, last.month)), last


def _full_days(contract, period_from, period_to):
    """The days of the regular period containing a billed period, worked out independently
    with dateutil: the next anchor boundary after the period's start, and n months before it."""
    anchor = contract.anchor
    boundary = period_from + relativedelta(day=anchor)
    while boundary <= period_from:
        boundary = boundary + relativedelta(months=1, day=anchor)
    if period_from == contract.start_date and period_from != period_from + relativedelta(day=anchor):
        full_start = boundary + relativedelta(months=-contract.period_months, day=anchor)  # a stub
    else:
        full_start = period_from
        boundary = period_from + relativedelta(months=contract.period_months, day=anchor)
    assert full_start <= period_from <= period_to < boundary
    return (boundary - full_start).days


@settings(max_examples=150, deadline=None)
@given(contracts())
def test_a_contracts_life_is_billed_once_and_exactly_within_a_minor_unit_a_period(contract):
    """Billing every month of the contract's life: (1) the billed periods cover start…end
    (or the last month) day by day with no gap and no overlap; (2) each is billed
    quantity × price × covered days / days of its full period, rounded once — the full
    period worked out independently; (3) so the total differs from the exact contract value
    of the covered days, Σ quantity × price × covered/full, by at most half a minor unit
    per period billed."""
    months, last = _life(contract)
    billed = [b for month in months for b in bill([contract], month).lines]
    billed.sort(key=lambda b: b.period_from)
    assert billed[0].period_from == contract.start_date
    for before, after in zip(billed, billed[1:]):
        assert after.period_from == before.period_to + dt.timedelta(days=1)
    if contract.end_date is not None:
        assert billed[-1].period_to == contract.end_date
    exact = Fraction(0)
    for b in billed:
        covered = (b.period_to - b.period_from).days + 1
        value = Fraction(contract.quantity) * Fraction(contract.unit_price) * Fraction(
            covered, _full_days(contract, b.period_from, b.period_to))
        assert b.net == round_money(value, "EUR", "half_up")
        exact += value
    assert abs(Fraction(sum(b.net for b in billed)) - exact) <= Fraction(len(billed), 200)


@settings(max_examples=100, deadline=None)
@given(contracts(periods=(1,)), st.integers(1, 700), st.randoms(use_true_random=False))
def test_splitting_a_line_on_a_date_bills_the_same_within_one_minor_unit(contract, offset, random):
    """An upgrade or downgrade of a monthly line: ending it on d−1 and starting the same
    terms on d (same anchor) bills, over the whole life, what the unsplit line bills within
    one cent (the month containing d is billed in two parts, each rounded once); and billing
    the months in any order, each once, with what was billed so far in `billed`, bills the
    same. (Monthly only: a line of n > 1 months that starts on d starts its own cycle — its
    stub runs to the next anchor day, its n-month periods from there — so its periods need
    not line up with the old line's.)"""
    split = contract.start_date + dt.timedelta(days=offset)
    if contract.end_date is not None and split > contract.end_date:
        return
    before = contract._replace(end_date=split - dt.timedelta(days=1), anchor_day=contract.anchor)
    after = contract._replace(start_date=split, anchor_day=contract.anchor, description="Service (new)", row=3)
    months, _ = _life(contract)
    whole = sum(b.net for m in months for b in bill([contract], m).lines)
    random.shuffle(months)
    keys: dict = {}
    parts = Decimal(0)
    for month in months + months[:3]:  # a few months billed again: nothing new
        result = bill([before, after], month, billed=keys)
        parts += sum(b.net for b in result.lines)
        keys.update({b.key: b.invoice_key for b in result.lines})
    assert abs(parts - whole) <= M("0.01")


# -- upgrade and downgrade: an end date moved after the period was billed -------------------------

from billing.schedules.adjustments import adjustment, covered_to, due, full_period, starts_period  # noqa: E402


@pytest.mark.parametrize(("contract", "period_from", "billed_to", "kind", "span", "net", "rule"), [
    # yearly 1,200.00 billed for 2027, ended 30 June: −1,200 × 184/365 = −604.931… → −604.93
    (line(D(2027, 1, 1), 12, end=D(2027, 6, 30)), D(2027, 1, 1), D(2027, 12, 31), "credit",
     (D(2027, 7, 1), D(2027, 12, 31)), "-604.93", "184/365 days"),
    # by months: the six months July–December of twelve, −600.00
    (line(D(2027, 1, 1), 12, end=D(2027, 6, 30), proration="months"), D(2027, 1, 1), D(2027, 12, 31), "credit",
     (D(2027, 7, 1), D(2027, 12, 31)), "-600.00", "6/12 months"),
    # a quarter 300.00 in advance (90 days), ended 14 February: 45 days credited, −150.00
    (line(D(2027, 1, 1), 3, end=D(2027, 2, 14), price="300"), D(2027, 1, 1), D(2027, 3, 31), "credit",
     (D(2027, 2, 15), D(2027, 3, 31)), "-150.00", "45/90 days"),
    # ended before the period began: the whole period credited, whatever the rule
    (line(D(2026, 1, 1), 12, end=D(2026, 12, 31), proration="none"), D(2027, 1, 1), D(2027, 12, 31), "credit",
     (D(2027, 1, 1), D(2027, 12, 31)), "-1200.00", ""),
    # 310.00 monthly in arrears, billed as a stub 1–15 March (150.00), end moved to 30 April:
    # the rest of March charged, 310 × 16/31 = 160.00
    (line(D(2027, 1, 1), 1, end=D(2027, 4, 30), price="310", timing="arrears"), D(2027, 3, 1), D(2027, 3, 15),
     "charge", (D(2027, 3, 16), D(2027, 3, 31)), "160.00", "16/31 days"),
    # a second move: credited to 30 June before, now ended 30 September: July–September charged
    (line(D(2027, 1, 1), 12, end=D(2027, 9, 30)), D(2027, 1, 1), D(2027, 6, 30), "charge",
     (D(2027, 7, 1), D(2027, 9, 30)), "302.47", "92/365 days"),
])
def test_a_moved_end_date_is_credited_or_charged_pro_rata(contract, period_from, billed_to, kind, span, net, rule):
    change = adjustment(contract, period_from, billed_to, {}, "half_up")
    assert (change.kind, (change.span_from, change.span_to), change.net, change.rule) == (kind, span, M(net), rule)
    assert change.covered_to == covered_to(contract, period_from)
    assert change.text == ("Credit: " if kind == "credit" else "") + f"Service {span[0]} – {span[1]}" + (
        f" ({rule})" if rule else "")


def test_nothing_to_adjust():
    yearly = line(D(2027, 1, 1), 12)
    assert adjustment(yearly, D(2027, 1, 1), D(2027, 12, 31), {}, "half_up") is None  # nothing moved
    # not prorated: a period cut is billed whole, so cutting it further changes nothing
    cut = line(D(2027, 1, 1), 12, end=D(2027, 3, 31), proration="none")
    assert adjustment(cut, D(2027, 1, 1), D(2027, 6, 30), {}, "half_up") is None
    assert adjustment(line(D(2027, 1, 1), 3, end=D(2027, 1, 31), usage="volume"), D(2027, 1, 1), D(2027, 3, 31),
                      {}, "half_up") is None  # usage is what it is


def test_the_full_period_of_a_stub_and_of_a_month_end_anchor():
    stub = line(D(2027, 1, 15), 3, anchor=1)
    assert full_period(stub, D(2027, 1, 15))[2:] == (D(2026, 11, 1), D(2027, 1, 31))
    monthly = line(D(2026, 1, 31), 1)
    assert full_period(monthly, D(2026, 2, 28))[2:] == (D(2026, 2, 28), D(2026, 3, 30))
    assert [starts_period(stub, d) for d in (D(2027, 1, 15), D(2027, 2, 1), D(2027, 3, 1), D(2027, 5, 1))] == \
        [True, True, False, True]


def test_a_credit_is_due_at_once_a_charge_when_its_days_are_billed():
    arrears = line(D(2027, 1, 1), 1, end=D(2027, 4, 30), price="310", timing="arrears")
    charge = adjustment(arrears, D(2027, 3, 1), D(2027, 3, 15), {}, "half_up")
    assert [due(arrears, charge, 2027, m) for m in (2, 3)] == [False, True]
    advance = arrears._replace(timing="advance")
    assert due(advance, adjustment(advance, D(2027, 3, 1), D(2027, 3, 15), {}, "half_up"), 2027, 2) is False
    credit = adjustment(line(D(2027, 1, 1), 12, end=D(2027, 6, 30)), D(2027, 1, 1), D(2027, 12, 31), {}, "half_up")
    assert due(line(D(2027, 1, 1), 12), credit, 2020, 1)


@settings(max_examples=150, deadline=None)
@given(contracts(proration=st.sampled_from(["days", "months"])), st.integers(0, 900), st.integers(0, 40),
       st.randoms(use_true_random=False))
def test_billed_less_credited_is_the_value_of_the_days_the_line_ran(contract, offset, billed_months, random):
    """A line billed for some months, then its end date moved (earlier or later, onto any
    day): the credits and charges of the periods already billed, then the months of the line
    as it stands, add up to what the line as it stands bills over its life, and to the exact
    value of its days, within one minor unit per period (the period and its adjustment are
    each rounded once)."""
    months, _ = _life(contract)
    billed: dict = {}
    total = Decimal(0)
    for month in months[:billed_months]:
        for b in bill([contract], month, billed=billed).lines:
            billed[b.key] = b.period_to
            total += b.net
    moved = contract._replace(end_date=contract.start_date + dt.timedelta(days=offset))
    for (_, _, period_from), billed_to in billed.items():
        change = adjustment(moved, period_from, billed_to, {}, "half_up")
        if change is not None:
            total += change.net
    new_months, _ = _life(moved)
    random.shuffle(new_months)
    for month in new_months:
        total += sum(b.net for b in bill([moved], month, billed=billed).lines)
    life = [b for month in _life(moved)[0] for b in bill([moved], month).lines]
    exact = sum(Fraction(moved.quantity) * Fraction(moved.unit_price) * b.fraction for b in life)
    assert abs(Fraction(total) - exact) <= Fraction(len(life), 100)


@settings(max_examples=60, deadline=None)
@given(st.lists(contracts(), min_size=1, max_size=4), st.integers(0, 30), st.integers(0, 14))
def test_the_plan_over_a_range_is_the_months_billed_one_by_one(contracts_, start, length):
    """`plan` works each line's periods out once over the range; it must sum exactly what
    `bill_month` bills month by month."""
    lines = [c._replace(contract_id=f"K{i}", customer_id=f"C{i % 2}", row=i + 2) for i, c in enumerate(contracts_)]
    first = months_between((2024, 1), (2030, 12))[start * 2]
    months = months_between(first, months_between(first, (2031, 12))[length])
    expected = []
    for month in months:
        totals: dict = {}
        for b in bill(lines, month).lines:
            totals[(b.customer_id, b.currency)] = totals.get((b.customer_id, b.currency), 0) + b.net
        expected += [(D(*month, 1), c, cur, net) for (c, cur), net in sorted(totals.items())]
    got = plan(lines, (), (), {}, months[0], months[-1], rounding="half_up", base_currency="EUR").rows
    assert [tuple(r) for r in got] == expected
