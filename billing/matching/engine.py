"""Matching payments to open items, in four passes, each only on what is still open.

1. **reference** — an ISO 11649 RF reference in the text that is printed on an invoice.
2. **invoice_no / fuzzy / combined** — invoice numbers in the text: exact (after
   normalising separators and look-alike characters) or one edit away (a transposed,
   missing or wrong character), a fuzzy one only when the payer or the amount confirms it;
   several numbers in one text make a combined payment over those invoices.
3. **amount** — the payer (by IBAN, else by name) owes exactly that amount on a single
   item, or on a unique run of its oldest items (**combined**).
4. **combined** — the amount is the sum of a small set of the payer's items (bounded
   subset sum); used only when one set fits.

Never guess: when two or more candidates fit equally nothing is allocated and the
candidates are listed for a person. Currencies must agree. Every pass is hash lookups
on indexes built once, so the run stays near O(n log n); a number with a typo is found by
looking up the few hundred strings one edit away from the text's token, not by scanning.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from itertools import combinations
from operator import attrgetter
from typing import Iterable, NamedTuple

from billing.matching.items import _UNKNOWN, ZERO, OpenItem, Payment
from billing.matching.parties import Parties, PayerMatch
from billing.matching.references import number_tokens, one_edit_variants, rf_references
from billing.matching.settle import Allocation, settle
from billing.money import quantize

#: subset-sum bounds: how many of a payer's items are tried, and how many may combine
SUBSET_ITEMS = 14
SUBSET_SIZE = 4


class MatchResult(NamedTuple):
    allocations: list[Allocation]
    unmatched: list[Payment]


class Matcher:
    def __init__(self, items: list[OpenItem], parties: Parties, tolerance: Decimal, base_currency: str):
        self.items = items
        self.parties = parties
        self.tolerance = tolerance
        self.base = base_currency
        self.by_reference = {i.reference: i for i in items if i.reference}
        self.by_key: dict[str, list[OpenItem]] = defaultdict(list)
        self.by_customer: dict[str, list[OpenItem]] = defaultdict(list)
        for item in sorted(items, key=attrgetter("due_date", "number")):
            self.by_key[item.key].append(item)
            self.by_customer[item.customer_id].append(item)
        # the shapes invoice numbers have: a token of another shape is not a mistyped number
        self.shapes = {_shape(k) for k in self.by_key}

    def tolerance_for(self, currency: str) -> Decimal:
        """The workbook's tolerance is in base currency; other currencies get none."""
        return self.tolerance if currency == self.base else ZERO

    def run(self, payments: list[Payment]) -> MatchResult:
        payments = sorted(payments, key=lambda p: (p.value_date, p.payment_id))
        allocations: list[Allocation] = []
        for step in (self._by_reference, self._by_number, self._by_amount, self._by_subset):
            for payment in payments:
                if payment.remaining > 0 and not _touched(payment):
                    allocations += step(payment)
        unmatched = [p for p in payments if not _touched(p) and p.remaining > 0]
        return MatchResult(allocations, unmatched)

    # -- passes ------------------------------------------------------------------------------

    def _open(self, items: Iterable[OpenItem], payment: Payment) -> list[OpenItem]:
        return [i for i in items if i.open > 0 and i.currency == payment.currency]

    def _settle(self, payment: Payment, items: list[OpenItem], method: str, confidence: float, why: str):
        return settle(payment, items, method, confidence, why, self.tolerance_for(payment.currency))

    def _payer(self, payment: Payment) -> PayerMatch | None:
        """Who paid, worked out once per payment and only when a pass needs it."""
        if payment.payer is _UNKNOWN:
            payment.payer = self.parties.payer(payment.payer_iban, payment.payer_name)
        return payment.payer

    def _by_reference(self, payment: Payment) -> list[Allocation]:
        found = [self.by_reference[r] for r in rf_references(payment.reference_text) if r in self.by_reference]
        items = self._open(dict.fromkeys(found), payment)
        if not items:
            if found:
                payment.notes.append(f"quotes {', '.join(i.number for i in found)}, which is not open")
            return []
        numbers = ", ".join(i.number for i in items)
        method = "reference" if len(items) == 1 else "combined"
        return self._settle(payment, items, method, 1.0, f"RF reference of {numbers} in the text")

    def _by_number(self, payment: Payment) -> list[Allocation]:
        exact: list[OpenItem] = []
        fuzzy: list[OpenItem] = []
        for token in number_tokens(payment.reference_text):
            hits = self.by_key.get(token)
            if hits:
                exact += hits
                continue
            if _shape(token) not in self.shapes:
                continue
            near = {id(i): i for v in one_edit_variants(token) for i in self.by_key.get(v, ())}
            if len(near) == 1:
                fuzzy += near.values()
            elif len(near) > 1:
                payment.candidates += [i.number for i in near.values()]
                payment.notes.append(f"'{token}' is one character away from several invoices")
        named = list(dict.fromkeys(exact + fuzzy))
        if not named:
            return []
        items = self._open(named, payment)
        if not items:
            payment.notes.append(f"quotes {', '.join(i.number for i in named)}, which is not open")
            return []
        payer = self._payer(payment)
        customer = payer.customer_id if payer else None
        if customer and any(i.customer_id != customer for i in items):
            payment.candidates += [i.number for i in items]
            payment.notes.append("quotes invoices of another customer than the payer")
            return []
        owed = sum((i.open for i in items), ZERO)
        confirmed = customer is not None or abs(payment.remaining - owed) <= self.tolerance_for(payment.currency)
        fuzzy_items = [i for i in items if i in fuzzy]
        if fuzzy_items and not confirmed:
            payment.candidates += [i.number for i in items]
            payment.notes.append("an invoice number with a typo, not confirmed by payer or amount")
            return []
        numbers = ", ".join(i.number for i in items)
        if len(items) > 1:
            return self._settle(payment, items, "combined", 0.95 if not fuzzy_items else 0.85,
                                f"invoice numbers {numbers} in the text")
        if fuzzy_items:
            return self._settle(payment, items, "fuzzy", 0.9, f"invoice number {numbers} (with a typo) in the text, "
                                f"confirmed by {'payer' if customer else 'amount'}")
        return self._settle(payment, items, "invoice_no", 0.98, f"invoice number {numbers} in the text")

    def _by_amount(self, payment: Payment) -> list[Allocation]:
        payer = self._payer(payment)
        if payer is None:
            return []
        items = self._open(self.by_customer.get(payer.customer_id, ()), payment)
        if not items:
            return []
        tolerance = self.tolerance_for(payment.currency)
        fits = [i for i in items if _fits(payment, i, tolerance)]
        who = f"payer {payer.how}"
        confidence = 0.9 if payer.how == "iban" else 0.8 * payer.score
        if len(fits) == 1:
            return self._settle(payment, fits, "amount", confidence,
                                f"amount owed on {fits[0].number} by the customer ({who})")
        if len(fits) > 1:
            payment.candidates += [i.number for i in fits]
            payment.notes.append(f"{len(fits)} open items of the customer have this amount")
            return []
        running = ZERO
        for n, item in enumerate(items, start=1):  # oldest first
            running += item.open
            if n > 1 and abs(payment.remaining - running) <= tolerance:
                run = items[:n]
                return self._settle(payment, run, "combined", confidence * 0.95,
                                    f"the customer's {n} oldest open items add up to the amount ({who})")
            if running > payment.remaining + tolerance:
                break
        return []

    def _by_subset(self, payment: Payment) -> list[Allocation]:
        payer = self._payer(payment)
        if payer is None:
            return []
        items = self._open(self.by_customer.get(payer.customer_id, ()), payment)[:SUBSET_ITEMS]
        # whole minor units make the many sums cheap; the amounts are exact, so nothing is lost
        scale = Decimal(10) ** -payment.remaining.as_tuple().exponent
        cents = [int(i.open * scale) for i in items]
        target, slack = int(payment.remaining * scale), int(self.tolerance_for(payment.currency) * scale)
        found = [tuple(items[n] for n in combo)
                 for size in range(2, min(SUBSET_SIZE, len(items)) + 1)
                 for combo in combinations(range(len(items)), size)
                 if abs(target - sum(cents[n] for n in combo)) <= slack]
        if len(found) == 1:
            numbers = ", ".join(i.number for i in found[0])
            return self._settle(payment, list(found[0]), "combined", 0.7,
                                f"the amount is the sum of {numbers} (payer {payer.how})")
        if len(found) > 1:
            payment.candidates += [i.number for combo in found[:3] for i in combo]
            payment.notes.append(f"{len(found)} different sets of the customer's items add up to the amount")
        return []


def _fits(payment: Payment, item: OpenItem, tolerance: Decimal) -> bool:
    if abs(payment.remaining - item.open) <= tolerance:
        return True
    discount = item.early_payment(payment.value_date)
    if discount is None:
        return False
    return abs(payment.remaining - quantize(item.gross * (1 - discount), payment.currency)) <= tolerance


def _shape(key: str) -> tuple[str, int]:
    """A coarse shape of a number: its first letter (a typo later in the prefix still
    matches) and its length in tens. `INV2026000123` → ('I', 1)."""
    digits = len(key) - len(key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return key[:digits][:1], len(key) // 10


def _touched(payment: Payment) -> bool:
    """Allocated already, by an earlier pass or by the user's manual rows."""
    return payment.remaining != payment.amount
