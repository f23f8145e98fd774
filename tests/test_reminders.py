"""Which reminder letters are due: a hand-worked ledger (every figure worked by hand, the
interest as base × (reference + margin) × days / 365), each reason an item is left out, the
re-run that finds nothing new, and properties: a letter never asks for a disputed or on-hold
amount, and its total is exactly its items + fee + interest + compensation − credits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.collections.interest import RateTimeline
from billing.collections.policy import DunningPolicy, PolicyError, parse_days
from billing.collections.reminders import Holds, Reminded, letters_due
from billing.receivables.aging import Applied, Item
from billing.receivables.ledger import Ledger

day = dt.date.fromisoformat
AS_OF = day("2024-09-30")
RATES = RateTimeline.of([(day("2024-01-01"), D("0.045")), (day("2024-07-01"), D("0.0425"))])
POLICY = DunningPolicy(levels=(14, 28, 42), fees=(D(0), D(5), D(10)), interest_levels=frozenset({2, 3}),
                       margin=D("0.09"), compensation=D(40))


def inv(no, customer, due, gross, currency="EUR", kind="invoice", corrects=None, issued="2024-01-01"):
    return Item(no, customer, currency, kind, "issued", day(issued), day(due), D(gross), corrects)


ITEMS = [
    inv("I1", "C1", "2024-05-15", "10000.00"),  # 138 days, 4000 paid 2024-08-01: the README example
    inv("I2", "C1", "2024-09-10", "500.00"),  # 20 days: level 1 on a level 3 letter
    inv("CN1", "C1", "2024-09-01", "100.00", kind="credit_note", issued="2024-09-01"),  # corrects nothing
    inv("I12", "C1", "2024-05-01", "70.00"),  # invoice on hold
    inv("I3", "C2", "2024-09-02", "200.00"),  # 28 days: level 2
    inv("I4", "C2", "2024-08-01", "80.00"),  # wholly disputed
    inv("I5", "C2", "2024-08-31", "300.00"),  # 30 days, 50 disputed
    inv("I6", "C3", "2024-06-01", "90.00"),  # customer on hold
    inv("I7", "C4", "2024-06-01", "90.00"),  # promise to pay
    inv("I8", "C5", "2024-06-01", "90.00"),  # reminded 5 days ago
    inv("I9", "C7", "2024-09-25", "90.00"),  # 5 days: not yet level 1
    inv("I10", "C7", "2024-10-15", "90.00"),  # not due
    inv("I11", "C8", "2024-08-01", "1000.00", currency="USD"),  # 60 days, USD
    inv("I13", "C9", "2024-07-01", "500.00"),  # 91 days, a correcting credit note of 200
    inv("CN2", "C9", "2024-07-01", "200.00", kind="credit_note", corrects="I13", issued="2024-07-31"),
]
APPLIED = [Applied("P1", "I1", D("4000.00"), D(0), day("2024-08-01"))]
HOLDS = Holds(customers=frozenset({"C3"}), invoices=frozenset({"I12"}), customer_promises={"C4": day("2024-10-15")})
DISPUTED = {"I4": D("80.00"), "I5": D("50.00")}
REMINDED = {"I8": Reminded(day("2024-09-25"), 1)}
BUSINESSES = frozenset({"C1", "C8", "C9"})


def ledger(items=ITEMS, applied=APPLIED):
    return Ledger(list(items), list(applied), [], {}, None)


def run(reminded=REMINDED, policy=POLICY, items=ITEMS, as_of=AS_OF):
    return letters_due(ledger(items), as_of, policy, RATES, disputed=DISPUTED, holds=HOLDS, reminded=reminded,
                       businesses=BUSINESSES)


def letter_table(letters):
    return [(l.customer_id, l.currency, l.level, str(l.fee), str(l.interest), str(l.compensation),
             [(c.number, str(c.amount)) for c in l.credits], str(l.total_due),
             [(i.invoice_no, i.days_past_due, i.level, str(i.open), str(i.disputed),
               str(i.interest.total) if i.interest else None, str(i.compensation)) for i in l.items])
            for l in letters]


def test_hand_worked_letters():
    assert letter_table(run().letters) == [
        # 6000 + 500 + fee 10 + interest (415.53 + 500 × 13.25 % × 20 / 365 = 3.63) + 2 × 40 − credit 100
        ("C1", "EUR", 3, "10.00", "419.16", "80.00", [("CN1", "100.00")], "6909.16",
         [("I1", 138, 3, "6000.00", "0", "415.53", "40.00"), ("I2", 20, 1, "500.00", "0", "3.63", "40.00")]),
        # no VAT id: no compensation; I5: 250 × 13.25 % × 30 / 365 = 2.72, I3: 200 × 13.25 % × 28 / 365 = 2.03
        ("C2", "EUR", 2, "5.00", "4.75", "0.00", [], "459.75",
         [("I5", 30, 2, "300.00", "50.00", "2.72", "0.00"), ("I3", 28, 2, "200.00", "0", "2.03", "0.00")]),
        # USD: interest 1000 × 13.25 % × 60 / 365 = 21.78, but no EUR fee or compensation
        ("C8", "USD", 3, "0.00", "21.78", "0.00", [], "1021.78", [("I11", 60, 3, "1000.00", "0", "21.78", "0.00")]),
        # open 300 after the credit note of 200 (2024-07-31): 07-02..07-30 500 × 13.25 % × 29 / 365 = 5.263698…,
        # 07-31..09-30 300 × 13.25 % × 62 / 365 = 6.752054…: 4385.75 / 365 = 12.0157… → 12.02
        ("C9", "EUR", 3, "10.00", "12.02", "40.00", [], "362.02", [("I13", 91, 3, "300.00", "0", "12.02", "40.00")]),
    ]
    c1 = run().letters[0]
    assert [str(s) for s in c1.items[0].interest.shown] == ["170.14", "112.53", "132.86"]
    assert run().letters[2].notes == ("no fee, compensation or minimum: the dunning policy's amounts are in EUR",)


def test_every_item_left_out_says_why():
    assert [(s.customer_id, s.invoice_no, s.code, s.reason) for s in run().skipped] == [
        ("C1", "I12", "on_hold", "invoice on hold"),
        ("C2", "I4", "disputed", "disputed (80.00 EUR)"),
        ("C3", "I6", "on_hold", "customer on hold"),
        ("C4", "I7", "promise", "customer promised to pay by 2024-10-15"),
        ("C5", "I8", "too_soon", "reminded on 2024-09-25, less than 7 days ago"),
        ("C7", "I10", "not_due", "not due until 2024-10-15"),
        ("C7", "I9", "not_yet_level", "5 days past due: level 1 starts at 14 days"),
    ]


def test_a_rerun_on_the_same_day_finds_nothing_new():
    first = run()
    written_back = dict(REMINDED)
    written_back.update({i.invoice_no: Reminded(AS_OF, l.level) for l in first.letters for i in l.items})
    again = run(written_back)
    assert again.letters == ()
    assert {s.invoice_no: s.code for s in again.skipped if s.code == "reminded"} == \
        {"I1": "reminded", "I2": "reminded", "I3": "reminded", "I5": "reminded", "I11": "reminded", "I13": "reminded"}


def test_compensation_is_charged_once_per_invoice():
    later = run({**REMINDED, "I1": Reminded(day("2024-09-01"), 2), "I2": Reminded(day("2024-09-01"), 1)})
    c1 = later.letters[0]
    assert [(i.invoice_no, str(i.compensation)) for i in c1.items] == [("I1", "0.00"), ("I2", "40.00")]
    assert str(c1.total_due) == "6869.16"


def test_an_invoice_that_charged_interest_bears_none_itself():
    """No interest on interest: the invoice that booked a letter's charges is reminded, without
    interest or compensation; the other items of the letter keep theirs."""
    charged = letters_due(ledger(), AS_OF, POLICY, RATES, disputed=DISPUTED, holds=HOLDS, reminded=REMINDED,
                          businesses=BUSINESSES, interest_free=frozenset({"I2"}))
    c1 = charged.letters[0]
    assert [(i.invoice_no, i.interest and str(i.interest.total), str(i.compensation)) for i in c1.items] == [
        ("I1", "415.53", "40.00"), ("I2", None, "0.00")]
    assert str(c1.total_due) == "6865.53"  # 6909.16 − I2's interest 3.63 and compensation 40


def test_interest_only_on_interest_levels():
    level_1 = run(policy=DunningPolicy(levels=(14, 400), fees=(D(5),), interest_levels=frozenset({2}),
                                       margin=D("0.09")))
    c1 = level_1.letters[0]
    assert (c1.level, c1.interest, c1.compensation) == (1, D("0.00"), D("0.00"))
    assert [i.interest for i in c1.items] == [None, None]
    assert str(c1.total_due) == "6405.00"  # 6000 + 500 + fee 5 − credit 100


def test_minimum_amount_and_the_gap_between_reminders():
    policy = DunningPolicy(levels=(14, 28, 42), fees=(D(0), D(5), D(10)), margin=D("0.09"), min_amount=D("500"))
    result = run(policy=policy)
    assert [l.customer_id for l in result.letters] == ["C1", "C8"]  # C8 is in USD: no minimum; C9 owes 300
    assert [s.reason for s in result.skipped if s.invoice_no in ("I3", "I5", "I13")] == \
        ["450.00 EUR due, below the minimum 500.00"] * 2 + ["300.00 EUR due, below the minimum 500.00"]
    seven_days = run({"I3": Reminded(day("2024-09-23"), 1)})
    assert "C2" in [l.customer_id for l in seven_days.letters]  # exactly min_days ago: due again


def test_a_missing_reference_rate_stops_the_letter_and_says_so():
    late = letters_due(ledger(), AS_OF, POLICY, RateTimeline.of([(day("2024-07-01"), D("0.0425"))]),
                       disputed=DISPUTED, holds=HOLDS, reminded=REMINDED, businesses=BUSINESSES)
    assert "C1" not in [l.customer_id for l in late.letters]
    assert [s.reason for s in late.skipped if s.invoice_no == "I1"] == [
        "no interest without a reference rate: no reference rate for 2024-05-16: the reference rates start 2024-07-01"]


@pytest.mark.parametrize(("grace", "days", "level"), [(0, 13, 0), (0, 14, 1), (10, 14, 1), (20, 14, 0), (20, 21, 1),
                                                      (20, 50, 3)])
def test_grace_days_hold_level_one_back(grace, days, level):
    assert DunningPolicy(grace_days=grace).level_of(days) == level


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"levels": (28, 14)}, "rising"), ({"levels": ()}, "rising"), ({"fees": (D(-1),)}, "≥ 0"),
    ({"fees": (D(1),) * 4}, "4 fees for 3"), ({"interest_levels": {4}}, "interest levels \\[4\\]"),
    ({"day_count": "30/360"}, "unknown day count"), ({"rounding": "up"}, "unknown rounding"),
    ({"margin": 0.09}, "margin must be a Decimal"), ({"min_days": -1}, "cannot be negative"),
])
def test_a_policy_that_makes_no_sense_is_refused(kwargs, message):
    with pytest.raises(PolicyError, match=message):
        DunningPolicy(**kwargs)


def test_settings_texts():
    assert parse_days("14,28,42") == (14, 28, 42) and parse_days(30.0) == (30,)
    for bad in ("", "28,14", "x", "0,14"):
        with pytest.raises(PolicyError, match="rising whole numbers"):
            parse_days(bad)


# --- properties --------------------------------------------------------------------------------------

customers = st.sampled_from(["C1", "C2", "C3"])


@st.composite
def books(draw):
    n = draw(st.integers(1, 8))
    items, applied, disputed = [], [], {}
    for k in range(n):
        gross = draw(st.decimals(D("1"), D("5000"), places=2))
        due = AS_OF - dt.timedelta(days=draw(st.integers(-20, 200)))
        items.append(Item(f"I{k}", draw(customers), draw(st.sampled_from(["EUR", "EUR", "CHF"])), "invoice",
                          "issued", due - dt.timedelta(days=30), due, gross, None))
        if draw(st.booleans()):
            applied.append(Applied(f"P{k}", f"I{k}", draw(st.decimals(D("0.01"), gross, places=2)), D(0),
                                   due + dt.timedelta(days=draw(st.integers(-10, 150)))))
        if draw(st.booleans()):
            disputed[f"I{k}"] = draw(st.decimals(D("0.01"), gross, places=2))
    if draw(st.booleans()):
        items.append(Item("CN", draw(customers), "EUR", "credit_note", "issued", AS_OF - dt.timedelta(days=5),
                          AS_OF, draw(st.decimals(D("1"), D("500"), places=2)), None))
    numbers = [i.number for i in items]
    holds = Holds(customers=frozenset(draw(st.sets(customers, max_size=1))),
                  invoices=frozenset(draw(st.sets(st.sampled_from(numbers), max_size=2))))
    return items, applied, disputed, holds


@settings(max_examples=150, deadline=None)
@given(books(), st.sets(customers))
def test_letters_never_ask_for_disputed_or_held_amounts_and_add_up(book, businesses):
    items, applied, disputed, holds = book
    result = letters_due(Ledger(items, applied, [], {}, None), AS_OF, POLICY, RATES, disputed=disputed,
                         holds=holds, businesses=businesses)
    on_letters = set()
    for letter in result.letters:
        assert letter.customer_id not in holds.customers
        for i in letter.items:
            on_letters.add(i.invoice_no)
            assert i.invoice_no not in holds.invoices
            assert i.disputed == min(i.open, disputed.get(i.invoice_no, D(0))) and i.due > 0
            if i.interest:  # the interest base never includes the disputed part
                assert all(s.base <= i.open - i.disputed + sum((a.amount for a in applied if a.invoice_no ==
                                                                i.invoice_no), D(0)) for s in i.interest.segments)
                assert all(s.base <= next(x.gross for x in items if x.number == i.invoice_no) - i.disputed
                           for s in i.interest.segments)
        assert letter.total_due == (sum((i.open - i.disputed for i in letter.items), D(0)) + letter.fee
                                    + letter.interest + letter.compensation - sum((c.amount for c in letter.credits),
                                                                                  D(0)))
        assert letter.interest == sum((i.interest.total for i in letter.items if i.interest), D(0))
        assert letter.level == max(i.level for i in letter.items)
    skipped = {s.invoice_no for s in result.skipped}
    assert not on_letters & skipped
    # every open invoice is either on a letter or left out with a reason
    paid = {i.number: sum((a.amount for a in applied if a.invoice_no == i.number and a.value_date <= AS_OF), D(0))
            for i in items}
    open_numbers = {i.number for i in items if i.kind == "invoice" and i.gross > paid[i.number]}
    assert open_numbers == on_letters | skipped
