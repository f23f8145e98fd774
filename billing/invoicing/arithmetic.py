"""Invoice arithmetic: line amounts, invoice discounts, tax per code, exact to the cent.

The rules (the README shows a worked example of each):

* Line: `amount = round(quantity × unit_price × (1 − line discount_pct))` to the currency's
  minor unit with the workbook's rounding mode. With `price_mode = net` the amount is the
  line's net, with `gross` it is the line's gross (prices include tax).
* Invoice `discount_pct` reduces the tax base. `tax_rounding = invoice`: per tax code,
  `group − round(group × pct)`; `line`: per line, `round(amount × (1 − pct))`.
* Tax, net prices: `invoice` → per tax code `round(Σ net × rate)`; `line` → `round(net ×
  rate)` per line, then summed. Gross prices: `tax = round(gross × rate / (1 + rate))`,
  `net = gross − tax`, per tax code (`invoice`) or per line (`line`).
* `zero`, `exempt`, `reverse_charge`, `intra_eu` and `export` codes carry no tax and stay their own group.
* With `invoice` rounding the lines show their share of the group's discount and tax,
  split by largest remainder (`billing.invoicing.apportion`), so the lines always add up to the
  invoice exactly.

Everything here works on whole tables at once; amounts are `Decimal`, never float.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from billing.invoicing.apportion import allocate
from billing.money import minor_unit, rounding_mode

TAXED_KINDS = frozenset({"standard", "reduced"})
ZERO = Decimal(0)
ONE = Decimal(1)


class Items(NamedTuple):
    """What the arithmetic needs per item (a line, or a lineless invoice as one item)."""

    invoice: Sequence[str]  # invoice_key
    quantity: Sequence[Decimal]
    unit_price: Sequence[Decimal]
    line_discount: Sequence[Decimal]
    invoice_discount: Sequence[Decimal]
    tax_code: Sequence[str]
    rate: Sequence[Decimal]  # already 0 for untaxed kinds
    currency: Sequence[str]


def rounder(currencies: Sequence[str], rounding: str):
    """A function rounding a list of amounts, each to its currency's minor unit."""
    mode = rounding_mode(rounding)
    exps = {c: Decimal(1).scaleb(-minor_unit(c)) for c in set(currencies)}
    steps = [exps[c] for c in currencies]

    def round_all(values: Sequence[Decimal]) -> list[Decimal]:
        return [v.quantize(e, rounding=mode) for v, e in zip(values, steps)]

    return round_all


def effective_rate(rate: Decimal | None, kind: str | None) -> Decimal:
    """The rate tax is computed with: 0 for zero, exempt and reverse-charge codes."""
    return rate if kind in TAXED_KINDS and rate is not None else ZERO


def compute_items(items: Items, price_mode: str, tax_rounding: str, rounding: str) -> pd.DataFrame:
    """Net, tax and gross of every item, in the items' order, by the rules above."""
    round_items = rounder(items.currency, rounding)
    with localcontext() as ctx:
        ctx.prec = 60  # products and quotients exact long before they are rounded
        raw = [q * u * (ONE - d) for q, u, d in zip(items.quantity, items.unit_price, items.line_discount)]
        amount = round_items(raw)
        frame = pd.DataFrame(
            {"invoice": items.invoice, "tax_code": items.tax_code, "currency": items.currency,
             "rate": items.rate, "discount": items.invoice_discount, "amount": amount},
            dtype=object,
        )
        if tax_rounding == "line":
            discounted = round_items([a * (ONE - d) for a, d in zip(amount, items.invoice_discount)])
            tax = round_items([tax_of(a, r, price_mode) for a, r in zip(discounted, items.rate)])
        else:
            discounted, tax = _by_tax_code(frame, price_mode, rounding)
    frame["tax"] = tax
    if price_mode == "gross":
        frame["gross"] = discounted
        frame["net"] = [g - t for g, t in zip(discounted, tax)]
    else:
        frame["net"] = discounted
        frame["gross"] = [n + t for n, t in zip(discounted, tax)]
    return frame[["invoice", "tax_code", "currency", "rate", "net", "tax", "gross"]]


def tax_of(amount: Decimal, rate: Decimal, price_mode: str = "net") -> Decimal:
    """The unrounded tax of an amount: `amount × rate`, or `amount × rate / (1 + rate)` when the
    amount includes the tax (`price_mode` gross). The one tax formula: invoices and the
    XLB_ worksheet functions both use it, and round the result themselves."""
    if price_mode == "gross":
        return amount * rate / (ONE + rate) if rate else ZERO
    return amount * rate


def _by_tax_code(frame: pd.DataFrame, price_mode: str, rounding: str) -> tuple[list[Decimal], list[Decimal]]:
    """`invoice` rounding: discount and tax per (invoice, tax code), shared out over the lines."""
    if frame.empty:
        return [], []
    group_of = frame.groupby(["invoice", "tax_code"], sort=False).ngroup().to_numpy()
    order = np.argsort(group_of, kind="stable")  # items of a group together, in their order
    starts = np.flatnonzero(np.r_[True, group_of[order][1:] != group_of[order][:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    amounts = np.array(frame["amount"].tolist(), dtype=object)[order]
    firsts = order[starts]
    currencies = frame["currency"].to_numpy()[firsts].tolist()
    places = [minor_unit(c) for c in currencies]
    round_groups = rounder(currencies, rounding)

    totals = np.add.reduceat(amounts, starts).tolist()
    discount_pct = frame["discount"].to_numpy()[firsts].tolist()
    group_discount = round_groups([t * d for t, d in zip(totals, discount_pct)])
    group_tax = round_groups([tax_of(t - d, r, price_mode) for t, d, r in zip(
        totals, group_discount, frame["rate"].to_numpy()[firsts].tolist())])
    after = amounts - np.array(allocate(group_discount, amounts.tolist(), sizes, places), dtype=object)
    tax = allocate(group_tax, after.tolist(), sizes, places)

    discounted = np.empty(len(order), dtype=object)
    taxes = np.empty(len(order), dtype=object)
    discounted[order] = after
    taxes[order] = tax
    return discounted.tolist(), taxes.tolist()
