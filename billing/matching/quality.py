"""Measuring the matcher on a labelled set: precision and recall against known truth.

The sample generator records, for each payment, the invoices it really pays. A correct
allocation is a (payment, invoice) pair in that truth; precision is correct / allocated,
recall is correct / all true pairs. `quality_by_class` weighs by money instead and splits
the figures by class of payment (see `billing.sample.adversarial`).
"""

from __future__ import annotations

from decimal import Decimal
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


class ClassQuality(NamedTuple):
    """Money-weighted quality of the allocations of one class of payments.

    Amounts are summed across currencies as plain numbers: a measure, not a balance.
    `right` counts, per (payment, invoice), the allocated money up to what truly belongs
    there; `wrong` and `wrong_money` are allocations on an invoice the payment does not pay;
    `guesses` are payments that must stay unmatched (their truth is empty) and got an allocation.
    """

    payments: int
    allocated: Decimal
    right: Decimal
    expected: Decimal
    wrong: int
    wrong_money: Decimal
    guesses: int

    @property
    def precision(self) -> float:
        return float(self.right / self.allocated) if self.allocated else 1.0

    @property
    def recall(self) -> float:
        return float(self.right / self.expected) if self.expected else 1.0

    def __add__(self, other: object) -> ClassQuality:  # type: ignore[override]
        assert isinstance(other, ClassQuality)
        return ClassQuality(*(a + b for a, b in zip(self, other)))


_NOTHING = ClassQuality(0, Decimal(0), Decimal(0), Decimal(0), 0, Decimal(0), 0)


def quality_by_class(allocations: Sequence[Allocation], truth: Mapping[str, Sequence[tuple[str, Decimal]]],
                     classes: Mapping[str, str]) -> dict[str, ClassQuality]:
    """Per class (`classes`: payment → class), how much money went where it belongs.

    `truth`: payment → (invoice_key, amount) pairs, empty for a payment that must stay
    unmatched. Add the values for the totals (`sum(..., start=ClassQuality...)`, or `total`).
    """
    got: dict[str, dict[str, Decimal]] = {}
    for a in allocations:
        per = got.setdefault(a.payment_id, {})
        per[a.invoice_key or a.invoice_no] = per.get(a.invoice_key or a.invoice_no, Decimal(0)) + a.amount
    out: dict[str, ClassQuality] = {}
    for payment, cls in classes.items():
        should: dict[str, Decimal] = {}
        for key, amount in truth.get(payment, ()):
            should[key] = should.get(key, Decimal(0)) + amount
        allocated = got.get(payment, {})
        right = sum((min(amount, should[key]) for key, amount in allocated.items() if key in should), Decimal(0))
        wrong = [amount for key, amount in allocated.items() if key not in should]
        measured = ClassQuality(1, sum(allocated.values(), Decimal(0)), right, sum(should.values(), Decimal(0)),
                                len(wrong), sum(wrong, Decimal(0)), int(not should and bool(allocated)))
        out[cls] = out.get(cls, _NOTHING) + measured
    return out


def total(by_class: Mapping[str, ClassQuality]) -> ClassQuality:
    """All classes together."""
    result = _NOTHING
    for measured in by_class.values():
        result = result + measured
    return result
