"""The shortcuts that keep matching fast (issue 15: 100k payments × 200k open items ≤ 5 s)
give the answers of the plain rule they stand for: each is checked against that rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from itertools import combinations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from billing.matching import open_items
from billing.matching.engine import _subsets_fitting
from billing.matching.parties import NAME_MARGIN, NAME_SCORE, Parties
from billing.matching.remittance import number_key, one_edit_variants
from test_matching import DAY, item, pay, run, summary

# -- subset sums: the early exits and the half-way stop change nothing ---------------------------


def _plain_search(cents: list[int], target: int, slack: int, largest: int) -> list[tuple[int, ...]]:
    """The search `_subsets_fitting` stands for, without its shortcuts: pairs, then sets of three
    by their third item, then sets of four by their first pair (pairs in order of their sum),
    then larger sets by enumeration while fewer than four are known; the first four found."""
    n = len(cents)
    pairs = sorted((cents[a] + cents[b], a, b) for a, b in combinations(range(n), 2))

    def near(value):
        return [(a, b) for total, a, b in pairs if abs(total - value) <= slack]

    found: dict[tuple[int, ...], None] = dict.fromkeys(near(target)) if largest >= 2 else {}
    for c in range(n) if largest >= 3 else ():
        found.update(dict.fromkeys(tuple(sorted((a, b, c))) for a, b in near(target - cents[c]) if c not in (a, b)))
    for total, a, b in pairs if largest >= 4 else ():
        found.update(dict.fromkeys(tuple(sorted((a, b, c, d))) for c, d in near(target - total)
                                   if len({a, b, c, d}) == 4))
    for size in range(5, min(largest, n) + 1):
        if len(found) > 3:
            break
        found.update(dict.fromkeys(combo for combo in combinations(range(n), size)
                                   if abs(target - sum(cents[k] for k in combo)) <= slack))
    return list(found)[:4]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=0, max_size=9), st.data(), st.sampled_from([0, 5]), st.integers(2, 6))
def test_subsets_fitting_is_the_plain_search(cents, data, slack, largest):
    # the amount is mostly what some of the items add up to (give or take), so that sets fit
    chosen = data.draw(st.lists(st.sampled_from(cents), max_size=6) if cents else st.just([]))
    target = max(2, sum(chosen) + data.draw(st.integers(-slack - 1, slack + 1)))
    items = [item(f"INV-2026-{n:06d}", gross=str(D(c) / 100)) for n, c in enumerate(cents)]
    position = {id(i): n for n, i in enumerate(items)}
    found = _subsets_fitting(D(target) / 100, items, D(slack) / 100, largest)
    expected = _plain_search(cents, target, slack, largest) if len(cents) >= 2 else []
    assert [tuple(position[id(i)] for i in combo) for combo in found] == expected


def test_subsets_in_order_pairs_threes_fours():
    items = [item(f"INV-2026-{n:06d}", gross=f"{n}.00") for n in range(1, 6)]
    # 10 from 1..5: no pair; 1+4+5 and 2+3+5 (by their third item); 1+2+3+4
    sets = _subsets_fitting(D("10.00"), items, D(0), 4)
    assert [[i.number[-1] for i in s] for s in sets] == [["1", "4", "5"], ["2", "3", "5"], ["1", "2", "3", "4"]]
    # 14: 2+3+4+5 only, whose smaller pair (2+3) is more than a third of the amount
    sets = _subsets_fitting(D("14.00"), items, D(0), 4)
    assert [[i.number[-1] for i in s] for s in sets] == [["2", "3", "4", "5"]]


# -- invoice numbers ---------------------------------------------------------------------------


def _one_edit_plain(key: str, digits_only: bool) -> set[str]:
    """The rule of `one_edit_variants`, written out one edit kind at a time."""
    prefix = len(key) - len(key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    start = prefix if digits_only else 0
    alphabet = lambda i: "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if i < prefix else "0123456789"  # noqa: E731
    out = {key[:i] + c + key[i + 1:] for i in range(start, len(key)) for c in alphabet(i)}
    out |= {key[:i] + key[i + 1:] for i in range(start, len(key))}
    out |= {key[:i] + key[i + 1] + key[i] + key[i + 2:] for i in range(start, len(key) - 1)}
    out |= {key[:i] + c + key[i:] for i in range(start, len(key) + 1) for c in alphabet(i)}
    return out - {key}


@given(st.text("INVRE0123456789", max_size=14), st.booleans())
def test_one_edit_variants_are_the_rule(key, digits_only):
    assert one_edit_variants(key, digits_only) == _one_edit_plain(key, digits_only)


@given(st.text("INVRE-/ .0123456789OQDILZSBGoilzä", max_size=20))
def test_number_key_shortcut(number):
    # the long way: upper case, separators dropped, look-alikes after the prefix made digits
    compact = "".join(c for c in number.upper() if c not in " \t\r\n-_/.:#")
    rest = compact.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    lookalikes = str.maketrans("OQDILZSBG", "000112586")
    assert number_key(number) == compact[: len(compact) - len(rest)] + rest.translate(lookalikes)


# -- payer names ------------------------------------------------------------------------------

WORDS = ["alpha", "beta", "gamma", "nord", "sued", "bau", "handel", "technik", "logistik", "mueller", "schmidt",
         "werke", "energie", "systeme", "kraft", "hansa"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True), min_size=2, max_size=30,
                unique_by=tuple), st.data())
def test_fuzzy_names_as_token_sort_ratio(names, data):
    """Words sorted once and compared with `fuzz.ratio` pick the customer `token_sort_ratio` picks."""
    # the payer: a customer's words in another order, maybe one letter off
    payer = data.draw(st.permutations(data.draw(st.sampled_from(names))))
    if data.draw(st.booleans()):
        word = data.draw(st.integers(0, len(payer) - 1))
        payer[word] = payer[word][:-1] + "x"
    customers = [(f"C{n}", " ".join(words), ()) for n, words in enumerate(names)]
    parties = Parties(customers)
    key = " ".join(payer)
    best = process.extract(key, parties._names, scorer=fuzz.token_sort_ratio, limit=2,
                           score_cutoff=NAME_SCORE - NAME_MARGIN)
    expected = None
    if key in parties.by_name:
        ids = parties.by_name[key]
        expected = ids[0] if len(ids) == 1 else None
    elif best and best[0][1] >= NAME_SCORE and not (len(best) > 1 and best[0][1] - best[1][1] < NAME_MARGIN):
        ids = parties.by_name[best[0][0]]
        expected = ids[0] if len(ids) == 1 else None
    match = parties.payer(None, key)
    assert (match.customer_id if match else None) == expected


# -- near numbers and currencies ----------------------------------------------------------------


def test_a_near_number_owed_in_another_currency_does_not_compete():
    # the amount index is by amount alone; a rival one digit away owing the amount in USD is no rival
    quoted, rival = "INV-2026-000101", "INV-2026-000107"
    items = [item(quoted, gross="500.00"), item(rival, gross="120.00", currency="USD")]
    result = run(items, [pay(quoted, amount="120.00")])
    assert summary(result) == [("P1", quoted, "120.00", "invoice_no", "0")]
    items = [item(quoted, gross="500.00"), item(rival, gross="120.00")]  # in EUR it is the number that was meant
    assert summary(run(items, [pay(quoted, amount="120.00")])) == [("P1", rival, "120.00", "fuzzy", "0")]


# -- open items from the tables --------------------------------------------------------------


class _Tables:
    def __init__(self, invoices):
        self.invoices = invoices


def test_open_items_align_computed_rows_by_row_label():
    """Gross and due date are taken by row label, as `DataFrame.assign` did, not by position."""
    rows = pd.Index([2, 3, 4], name="row")
    invoices = pd.DataFrame({
        "invoice_key": ["K1", "K2", "K3"], "invoice_no": ["INV-1", "INV-2", None],
        "kind": ["invoice", "credit_note", "invoice"], "customer_id": ["C1", "C1", "C1"],
        "currency": ["EUR"] * 3, "issue_date": [DAY] * 3, "terms": ["NET30"] * 3, "status": ["issued"] * 3,
        "corrects": [None, "INV-1", None], "payment_reference": [None, None, None]}, index=rows, dtype=object)
    due = DAY + dt.timedelta(days=30)
    computed = _Tables(pd.DataFrame({"gross": [D("30.00"), D("100.00"), D("7.00")], "due_date": [due] * 3},
                                    index=pd.Index([3, 2, 4], name="row"), dtype=object))
    (only,) = open_items(_Tables(invoices), computed)
    assert (only.number, only.gross, only.open, only.due_date) == ("INV-1", D("100.00"), D("70.00"), due)
