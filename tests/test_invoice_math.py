"""Invoice arithmetic: worked cases with exact expected values, and its invariants."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.invoicing.apportion import allocate
from billing.invoicing.arithmetic import Items, compute_items, effective_rate


def items(lines, currency="EUR", invoice_discount="0"):
    """lines: (invoice, quantity, unit_price, line_discount, tax_code, rate)."""
    return Items(
        invoice=[l[0] for l in lines],
        quantity=[D(l[1]) for l in lines],
        unit_price=[D(l[2]) for l in lines],
        line_discount=[D(l[3]) for l in lines],
        invoice_discount=[D(invoice_discount)] * len(lines),
        tax_code=[l[4] for l in lines],
        rate=[D(l[5]) for l in lines],
        currency=[currency] * len(lines),
    )


def amounts(frame):
    return [(str(n), str(t), str(g)) for n, t, g in zip(frame["net"], frame["tax"], frame["gross"])]


THREE_DIMES = [("A", "1", "0.10", "0", "R7", "0.07")] * 3

CASES = [
    # id, lines, kwargs, (price_mode, tax_rounding, rounding), expected per item
    ("per-invoice tax: 3 × 0.10 at 7 % → 0.02", THREE_DIMES, {}, ("net", "invoice", "half_up"),
     [("0.10", "0.01", "0.11"), ("0.10", "0.01", "0.11"), ("0.10", "0.00", "0.10")]),
    ("per-line tax: 3 × 0.10 at 7 % → 0.03", THREE_DIMES, {}, ("net", "line", "half_up"),
     [("0.10", "0.01", "0.11")] * 3),
    ("gross price 10.00 at 19 % → 8.40 + 1.60", [("B", "1", "10.00", "0", "S19", "0.19")], {},
     ("gross", "invoice", "half_up"), [("8.40", "1.60", "10.00")]),
    ("gross price per line", [("B", "2", "10.00", "0", "S19", "0.19"), ("B", "1", "5.00", "0", "S19", "0.19")], {},
     ("gross", "line", "half_up"), [("16.81", "3.19", "20.00"), ("4.20", "0.80", "5.00")]),
    ("line discount of 1/3 typed as 33.333…%", [("C", "3", "10.00", "0.3333333333333333", "S19", "0.19")], {},
     ("net", "invoice", "half_up"), [("20.00", "3.80", "23.80")]),
    ("half_up at .xx5 (2.665)", [("D", "1", "2.665", "0", "EX", "0")], {}, ("net", "invoice", "half_up"),
     [("2.67", "0.00", "2.67")]),
    ("half_even at .xx5 (2.665)", [("D", "1", "2.665", "0", "EX", "0")], {}, ("net", "invoice", "half_even"),
     [("2.66", "0.00", "2.66")]),
    ("half_even tax 10.50 × 5 % = 0.525", [("E", "1", "10.50", "0", "R5", "0.05")], {}, ("net", "invoice", "half_even"),
     [("10.50", "0.52", "11.02")]),
    ("half_up tax 10.50 × 5 % = 0.525", [("E", "1", "10.50", "0", "R5", "0.05")], {}, ("net", "invoice", "half_up"),
     [("10.50", "0.53", "11.03")]),
    ("JPY has no decimals", [("F", "3", "333", "0", "T10", "0.10")], {"currency": "JPY"}, ("net", "invoice", "half_up"),
     [("999", "100", "1099")]),
    ("JPY 1/3 discount", [("F", "1", "1000", "0.3333333333333333", "T10", "0.10")], {"currency": "JPY"},
     ("net", "line", "half_up"), [("667", "67", "734")]),
    ("KWD has three decimals", [("G", "1", "1.2345", "0", "K5", "0.05")], {"currency": "KWD"},
     ("net", "invoice", "half_up"), [("1.235", "0.062", "1.297")]),
    ("BHD half_even", [("G", "1", "1.2345", "0", "K5", "0.05")], {"currency": "BHD"},
     ("net", "invoice", "half_even"), [("1.234", "0.062", "1.296")]),
    ("invoice discount per tax code, shared over lines",
     [("H", "1", "100.00", "0", "S19", "0.19"), ("H", "1", "50.00", "0", "S19", "0.19")], {"invoice_discount": "0.1"},
     ("net", "invoice", "half_up"), [("90.00", "17.10", "107.10"), ("45.00", "8.55", "53.55")]),
    ("invoice discount per line",
     [("H", "1", "100.00", "0", "S19", "0.19"), ("H", "1", "50.00", "0", "S19", "0.19")], {"invoice_discount": "0.1"},
     ("net", "line", "half_up"), [("90.00", "17.10", "107.10"), ("45.00", "8.55", "53.55")]),
    ("invoice discount of 1/3 on an odd total",
     [("I", "1", "0.10", "0", "S19", "0.19"), ("I", "1", "0.10", "0", "S19", "0.19")],
     {"invoice_discount": "0.3333333333333333"}, ("net", "invoice", "half_up"),
     [("0.06", "0.01", "0.07"), ("0.07", "0.01", "0.08")]),  # 0.20 − 0.07 = 0.13; tax 0.02
    ("two tax codes on one invoice",
     [("J", "2", "50.00", "0", "S19", "0.19"), ("J", "5", "10.00", "0", "R7", "0.07")], {},
     ("net", "invoice", "half_up"), [("100.00", "19.00", "119.00"), ("50.00", "3.50", "53.50")]),
]


@pytest.mark.parametrize(("lines", "kwargs", "modes", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_worked_cases(lines, kwargs, modes, expected):
    assert amounts(compute_items(items(lines, **kwargs), *modes)) == expected


@pytest.mark.parametrize(("kind", "expected"), [("standard", "0.19"), ("reduced", "0.19"), ("zero", "0"),
                                                ("exempt", "0"), ("reverse_charge", "0"), (None, "0")])
def test_untaxed_kinds_carry_no_tax(kind, expected):
    assert effective_rate(D("0.19"), kind) == D(expected)


money = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
quantity = st.decimals(min_value=D("0.001"), max_value=1000, places=3, allow_nan=False, allow_infinity=False)
rate = st.sampled_from([D("0"), D("0.05"), D("0.07"), D("0.19"), D("0.2"), D("0.25")])
pct = st.sampled_from([D("0"), D("0.1"), D("0.3333333333333333"), D("0.025")])
line = st.tuples(st.sampled_from(["A", "B", "C"]), quantity, money, pct, rate)


@settings(max_examples=200, deadline=None)
@given(st.lists(line, min_size=1, max_size=12), pct,
       st.sampled_from(["net", "gross"]), st.sampled_from(["invoice", "line"]),
       st.sampled_from(["half_up", "half_even"]))
def test_net_plus_tax_is_gross_and_rounding_error_is_bounded(lines, discount, price_mode, tax_rounding, rounding):
    data = Items(
        invoice=[l[0] for l in lines], quantity=[l[1] for l in lines], unit_price=[l[2] for l in lines],
        line_discount=[l[3] for l in lines], invoice_discount=[discount] * len(lines),
        tax_code=[f"T{l[4]}" for l in lines], rate=[l[4] for l in lines], currency=["EUR"] * len(lines),
    )
    result = compute_items(data, price_mode, tax_rounding, rounding)
    for n, t, g in zip(result["net"], result["tax"], result["gross"]):
        assert n + t == g
        assert n.as_tuple().exponent == -2 and t.as_tuple().exponent == -2
    cent = D("0.01")
    for (_, code), group in result.groupby(["invoice", "tax_code"]):
        r = group["rate"].iat[0]
        base, tax = sum(group["net"]), sum(group["tax"])
        exact = base * r if price_mode == "net" else (base + tax) * r / (1 + r)
        # rounding per tax code errs by at most half a cent, per line by half a cent a line
        assert abs(tax - exact) <= (cent / 2) * (len(group) if tax_rounding == "line" else 1)


@given(st.lists(st.tuples(money, st.lists(money, min_size=1, max_size=8)), min_size=1, max_size=10))
def test_allocation_sums_exactly_and_stays_within_a_cent(groups):
    totals = [t for t, _ in groups]
    weights = [w for _, w in groups]
    flat = allocate(totals, [w for ws in weights for w in ws], [len(w) for w in weights], [2] * len(groups))
    shares, start = [], 0
    for ws in weights:
        shares.append(flat[start:start + len(ws)])
        start += len(ws)
    for total, ws, ss in zip(totals, weights, shares):
        assert sum(ss) == total
        assert all(s >= 0 for s in ss)
        if sum(ws):
            for w, s in zip(ws, ss):
                assert abs(s - total * w / sum(ws)) < D("0.01")


@pytest.mark.parametrize("tax_rounding", ["invoice", "line"])
def test_no_items(tax_rounding):
    assert compute_items(items([]), "net", tax_rounding, "half_up").empty
