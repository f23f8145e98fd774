"""Splitting an exact total over weighted items, cent by cent (largest remainder).

When tax is rounded per invoice and tax code, or an invoice discount is taken from a group
of lines, the group's amount is exact and the lines must carry shares that add up to it
to the cent. Each item gets the floor of its proportional share in minor units; the
units left over go, one each, to the items with the largest remainders (ties: the earlier
item). Every share is then within one minor unit of its exact proportion and the shares
sum exactly to the total.

>>> from decimal import Decimal as D
>>> allocate([D("0.02")], [D("0.10"), D("0.10"), D("0.10")], [3], [2])
[Decimal('0.01'), Decimal('0.01'), Decimal('0.00')]
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

import numpy as np


def allocate(
    totals: Sequence[Decimal],
    weights: Sequence[Decimal],
    sizes: Sequence[int],
    places: Sequence[int],
) -> list[Decimal]:
    """Split each `totals[g]` over its `sizes[g]` consecutive `weights`, in units of 10**-places[g].

    Totals and weights are non-negative. A group whose weights are all zero is split
    equally. All groups are done at once with exact integer arithmetic; the shares come
    back flat, in the order of `weights`.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if not len(sizes):
        return []
    group = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    item_places = np.repeat(np.asarray(places, dtype=np.int64), sizes)
    units = np.array([int(t.scaleb(p)) for t, p in zip(totals, places)], dtype=object)
    flat = np.array([int(w.scaleb(p)) for w, p in zip(weights, item_places.tolist())], dtype=object)
    if (units < 0).any() or (flat < 0).any():
        raise ValueError("allocate() splits non-negative amounts only")
    sums = np.add.reduceat(flat, starts) if len(flat) else flat
    empty = sums == 0  # no weights: split equally
    if empty.any():
        flat = np.where(empty[group], 1, flat)
        sums = np.where(empty, sizes.astype(object), sums)
    product = units[group] * flat
    floor = product // sums[group]
    remainder = product - floor * sums[group]
    short = (units - np.add.reduceat(floor, starts)).astype(np.int64)  # < items per group
    # rank items within their group by remainder (largest first), then by position
    fraction = remainder.astype(np.float64) / sums[group].astype(np.float64)
    order = np.lexsort((np.arange(len(flat)), -fraction, group))
    rank = np.empty(len(flat), dtype=np.int64)
    rank[order] = np.arange(len(flat)) - starts[group[order]]
    shares = floor + (rank < short[group])
    return [Decimal(int(s)).scaleb(-int(p)) for s, p in zip(shares, item_places)]
