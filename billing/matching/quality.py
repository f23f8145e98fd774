"""Measuring the matcher on a labelled set: precision and recall against known truth.

The sample generator records, for each payment, the invoices it really pays. A correct
allocation is a (payment, invoice) pair in that truth; precision is correct / allocated,
recall is correct / all true pairs.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Sequence

from billing.matching.settle import Allocation


class Quality(NamedTuple):
    allocated: int
    correct: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.correct / self.allocated if self.allocated else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true_pairs if self.true_pairs else 1.0


def quality(allocations: Sequence[Allocation], truth: Mapping[str, Sequence[tuple[str, object]]]) -> Quality:
    """Compare allocations (by payment and invoice key) with the truth (payment → invoice keys)."""
    expected = {(payment, key) for payment, pairs in truth.items() for key, _ in pairs}
    got = {(a.payment_id, a.invoice_key) for a in allocations}
    return Quality(len(got), len(got & expected), len(expected))
