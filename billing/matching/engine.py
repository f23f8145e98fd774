"""Matching payments to open items, in two passes, each only on what is still open.

1. **text** — payments in value-date order (of two payments quoting one invoice, the earlier
   gets it): an ISO 11649 RF reference printed on an invoice, else invoice numbers, each read
   as written (after normalising separators and look-alike characters), else loosely
   (without its prefix, without leading zeros, written short in a list or a range), else one
   edit away (a transposed, missing or wrong character). The readings are weighed, see below.
2. **amount** — the payer (by IBAN, else by name) owes exactly that amount on a single item,
   on a run of its oldest items, or on a small set of its items (bounded subset sum), among
   the items issued by the value date; used only when exactly one of these readings fits.

**A quoted number is evidence, not proof.** Each reading of the text (an invoice, or the
set of invoices a text lists) gets a score from its evidence:

=====================  =====  ==============================================================
evidence               score  when
=====================  =====  ==============================================================
number as written      2.0    the text's token is the invoice's number (separators, case,
                              O/0-style look-alikes aside)
number read loosely    1.5    without its prefix, without leading zeros, or written short
                              in a list or range, and the reading names one open invoice
number one edit away   1.0    one character wrong, missing, added or two swapped
amount to the cent     2.0    the payment is exactly what is open, or exactly that less the
                              early-payment discount taken in time
amount near            1.0    the same within the workbook's tolerance
payer                  0.5    the payer (IBAN, else name) is the invoice's customer
=====================  =====  ==============================================================

A reading is allocated only when it scores at least `ALLOCATE` (2.0: a number as written;
a loose one that payer or amount confirms; one with a typo that the amount confirms) and
beats every competing reading by at least `MARGIN` (1.0). The amount to the cent weighs as
much as a number as written: an amount that matches to the cent an open invoice one
character from the quoted one is two coincidences, a typo is one. So a payment quoting A
that pays exactly what B, one edit away, owes goes to B (`1.0 + 2.0 (+ 0.5)` against
`2.0 (+ 0.5)`) — unless the payer is A's customer and B another's (`2.5` against `3.0`):
then payer and amount disagree, nothing wins, and the payment is left with both. A payer
who is another customer (a parent company, a treasury, a factor) is accepted only when a
number as written (or read) and the amount both agree; the explanation then says "paid by
a third party".

A payment that is more than the quoted invoices owe, from their customer, also pays the one
set of the customer's other items the rest pays exactly (a collective payment quoting only
some invoices); when no set or several fit, the rest stays unapplied. A text quoting a void
invoice is read as that number (not as a typo of its neighbours) and noted; the amount pass
may then find the invoice that replaced it.

**Never guess.** Once more than one reading fits — two equal items of the customer, a set
that adds up while a single item also fits, a number one edit from several invoices — the
payment is *held*: no later pass looks at it, nothing is allocated, and the Unmatched sheet
lists the competing readings and why none won. Currencies must agree.

Every pass is hash lookups on indexes built once, so the run stays near O(n log n): a
number with a typo is found by looking up the few hundred strings one edit away from the
token, not by scanning; subset sums use a table of pair sums over at most `SUBSET_ITEMS`
of the payer's items.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from decimal import Decimal
from itertools import combinations
from operator import attrgetter
from typing import Iterable, NamedTuple

from billing.matching.items import _UNKNOWN, ZERO, OpenItem, Payment
from billing.matching.parties import Parties, PayerMatch
from billing.matching.remittance import (NumberReading, digits_key, loose_key, number_key, number_readings,
                                         one_edit_variants, rf_references)
from billing.matching.settle import Allocation, settle
from billing.money import format_amount, quantize

#: subset-sum bounds: how many of a payer's items are tried, and how many may combine
SUBSET_ITEMS = 14
SUBSET_SIZE = 4
#: how many quoted invoices are searched for the subset the amount pays
QUOTED_SUBSET_ITEMS = 12

#: evidence scores (see the module docstring)
NUMBER_WRITTEN = 2.0
NUMBER_READ = 1.5
NUMBER_NEAR = 1.0
AMOUNT = 2.0
AMOUNT_NEAR = 1.0
PAYER = 0.5
#: no early-payment discount takes more than a fifth: a payment below this share is no discounted payment
_MOST_DISCOUNT = Decimal("0.8")
#: the least a reading needs to be allocated, and by how much it must beat the next
ALLOCATE = 2.0
MARGIN = 1.0


class MatchResult(NamedTuple):
    allocations: list[Allocation]
    unmatched: list[Payment]


class Quoted(NamedTuple):
    """An open item the text names, and how it was read."""

    item: OpenItem
    score: float
    how: str  # words for the explanation


class Matcher:
    def __init__(self, items: list[OpenItem], parties: Parties, tolerance: Decimal, base_currency: str,
                 void: Iterable[str] = ()):
        """`void`: the numbers of voided invoices — a text quoting one is read as written (not
        as a typo of a near number), and the payment may still pay the invoice that replaced it."""
        self.items = items
        self.void = {number_key(n): n for n in void}
        self.parties = parties
        self.tolerance = tolerance
        self.base = base_currency
        self.by_reference = {i.reference: i for i in items if i.reference}
        self.by_key: dict[str, list[OpenItem]] = defaultdict(list)
        self.by_customer: dict[str, list[OpenItem]] = defaultdict(list)
        self._owing: dict[Decimal, list[OpenItem]] | None = None  # who owes what, when needed
        self._prefixes: set[str] | None = None  # the series prefixes of the numbers, when needed
        for item in sorted(items, key=attrgetter("due_date", "number")):
            self.by_key[item.key].append(item)
            self.by_customer[item.customer_id].append(item)
        self._shapes: set[tuple[str, int]] | None = None
        self._pairs: set[tuple[str, int]] | None = None
        self._lengths: set[int] | None = None

    @property
    def shapes(self) -> set[tuple[str, int]]:
        """The shapes invoice numbers have: a token of another shape is not a mistyped number
        (worked out when a token first needs it)."""
        if self._shapes is None:
            self._shapes = {(prefix[:1], length // 10) for prefix, length in self._prefix_lengths()}
        return self._shapes

    @property
    def prefixes(self) -> set[str]:
        """The series prefixes of the numbers (worked out when a token first needs them)."""
        if self._prefixes is None:
            self._prefixes = {prefix for prefix, _ in self._prefix_lengths()}
        return self._prefixes

    @property
    def lengths(self) -> set[int]:
        """The lengths invoice numbers have (worked out when a token first needs them)."""
        if self._lengths is None:
            self._lengths = {length for _, length in self._prefix_lengths()}
        return self._lengths

    def _prefix_lengths(self) -> set[tuple[str, int]]:
        """The (series prefix, length) pairs of the numbers: a few, found in one pass over all of them."""
        if self._pairs is None:
            self._pairs = {(key[: len(key) - len(digits_key(key))], len(key)) for key in self.by_key}
        return self._pairs

    def tolerance_for(self, currency: str) -> Decimal:
        """The workbook's tolerance is in base currency; other currencies get none."""
        return self.tolerance if currency == self.base else ZERO

    def run(self, payments: list[Payment]) -> MatchResult:
        payments = sorted(payments, key=lambda p: (p.value_date, p.payment_id))
        allocations: list[Allocation] = []
        for step in (self._by_text, self._by_amount):
            for payment in payments:
                if payment.remaining > 0 and not payment.held and not _touched(payment):
                    allocations += step(payment)
        unmatched = [p for p in payments if not _touched(p) and p.remaining > 0]
        return MatchResult(allocations, unmatched)

    # -- helpers -----------------------------------------------------------------------------

    def _open(self, items: Iterable[OpenItem], payment: Payment) -> list[OpenItem]:
        return [i for i in items if i.open > 0 and i.currency == payment.currency]

    def _settle(self, payment: Payment, items: list[OpenItem], method: str, confidence: float,
                evidence: list[str]):
        evidence = evidence + [f"value date {payment.value_date.isoformat()}"]
        return settle(payment, items, method, confidence, "; ".join(evidence), self.tolerance_for(payment.currency))

    def _payer(self, payment: Payment) -> PayerMatch | None:
        """Who paid, worked out once per payment and only when a pass needs it."""
        if payment.payer is _UNKNOWN:
            payment.payer = self.parties.payer(payment.payer_iban, payment.payer_name)
        return payment.payer

    def _fits(self, payment: Payment, items: list[OpenItem]) -> str | None:
        """Words saying how the amount pays exactly these items, or None."""
        fit = self._amount(payment, items)
        return fit[1] if fit else None

    def _amount_score(self, payment: Payment, items: list[OpenItem]) -> float:
        fit = self._amount(payment, items)
        return fit[0] if fit else 0.0

    def _amount(self, payment: Payment, items: list[OpenItem], paid: Decimal | None = None) -> tuple[float, str] | None:
        """How much the amount says for these items, and in which words: to the cent what is
        open (or what is open less the early-payment discount taken in time) is `AMOUNT`,
        within the tolerance only `AMOUNT_NEAR`."""
        paid = payment.remaining if paid is None else paid
        tolerance = self.tolerance_for(payment.currency)
        owed = items[0].open if len(items) == 1 else sum((i.open for i in items), ZERO)
        if paid == owed:
            return AMOUNT, f"amount {format_amount(owed, payment.currency)} is what is open"
        if abs(paid - owed) <= tolerance:
            return AMOUNT_NEAR, f"amount {format_amount(paid, payment.currency)} is what is open (within tolerance)"
        if paid > owed or paid < owed * _MOST_DISCOUNT:  # no discount explains it
            return None
        discounted = sum((_discounted(payment, i) for i in items), ZERO)
        if discounted != owed and abs(paid - discounted) <= tolerance:
            return (AMOUNT if paid == discounted else AMOUNT_NEAR,
                    "amount is what is open less the early-payment discount taken in time")
        return None

    def _hold(self, payment: Payment, readings: Iterable[str], why: str) -> list[Allocation]:
        payment.held = True
        payment.candidates += list(readings)
        payment.notes.append(why)
        return []

    # -- passes ------------------------------------------------------------------------------

    def _by_text(self, payment: Payment) -> list[Allocation]:
        """What the text says: an RF reference, else invoice numbers. Payments are taken in
        value-date order, so of two payments quoting one invoice the earlier one gets it."""
        return self._by_reference(payment) or ([] if payment.held else self._by_number(payment))

    def _by_reference(self, payment: Payment) -> list[Allocation]:
        found = [self.by_reference[r] for r in rf_references(payment.reference_text, self.by_reference)
                 if r in self.by_reference]
        if not found:
            return []
        items = self._open(dict.fromkeys(found), payment)
        if not items:
            if found:
                return self._hold(payment, [], f"quotes {', '.join(i.number for i in found)}, which is not open")
            return []
        numbers = ", ".join(i.number for i in items)
        method = "reference" if len(items) == 1 else "combined"
        evidence = [f"RF reference of {numbers} in the text"]
        fits = self._fits(payment, items)
        if fits:
            evidence.append(fits)
        evidence += self._payer_evidence(payment, items)
        return self._settle(payment, items, method, 1.0, evidence)

    def _payer_evidence(self, payment: Payment, items: list[OpenItem]) -> list[str]:
        # when no pass needed the payer, the cheap lookups (IBAN, exact name) say who it is
        payer = payment.payer if payment.payer is not _UNKNOWN else self.parties.known(payment.payer_iban,
                                                                                       payment.payer_name)
        if payer is None:  # still say who paid: the customer by its name, or that nobody is identified
            return [self.parties.unidentified(payment.payer_iban, payment.payer_name, {i.customer_id for i in items})]
        if all(i.customer_id == payer.customer_id for i in items):
            return [f"payer is the customer ({payer.how})"]
        return [f"paid by a third party ({payment.payer_name or payer.customer_id})"]

    def _quoted(self, payment: Payment) -> tuple[list[Quoted], list[OpenItem], list[str]]:
        """The open items the text names, best reading each, the named ones not open, and
        the void numbers it names."""
        quoted: dict[int, Quoted] = {}
        closed: list[OpenItem] = []
        voided: list[str] = []

        def take(items: list[OpenItem], score: float, how: str) -> None:
            for i in items:
                if i.open <= 0 or i.currency != payment.currency:
                    closed.append(i)
                elif id(i) not in quoted or quoted[id(i)].score < score:
                    quoted[id(i)] = Quoted(i, score, how)

        for reading in number_readings(payment.reference_text):
            hits = self.by_key.get(reading.key)
            if not hits and reading.key in self.void:
                voided.append(self.void[reading.key])
                continue
            if hits:
                take(hits, NUMBER_WRITTEN if reading.how == "text" else NUMBER_READ,
                     "in the text" if reading.how == "text" else f"in the text (written short in a {reading.how})")
                continue
            if reading.how != "text":
                continue
            # not written as any number: read loosely (one open invoice without prefix or
            # zeros) and one edit away, and weigh the readings
            readings = self._loosely(reading, payment)
            if _shape(reading.key) in self.shapes:
                known_prefix = reading.key[: len(reading.key) - len(digits_key(reading.key))] in self.prefixes
                variants = one_edit_variants(reading.key, digits_only=known_prefix)
                lengths = self.lengths  # a variant of a length no number has is not looked up
                for i in {id(i): i for v in variants if len(v) in lengths
                          for i in self.by_key.get(v, ())}.values():
                    if i.open > 0 and i.currency == payment.currency and i not in readings:
                        readings[i] = (NUMBER_NEAR, f"in the text with a typo ('{reading.key}')")
            if len(readings) > 1:
                readings = self._clear_winner(payment, readings, reading.key)
            for i, (score, how) in readings.items():
                take([i], score, how)
        return list(quoted.values()), closed, voided

    def _clear_winner(self, payment: Payment, readings: dict[OpenItem, tuple[float, str]],
                      token: str) -> dict[OpenItem, tuple[float, str]]:
        """Of several invoices a token may stand for, the one whose number, amount and payer
        evidence beats every other by `MARGIN`; else none, and the payment is held."""
        payer = self._payer(payment)
        scored = sorted(((score + self._amount_score(payment, [i])
                          + (PAYER if payer and payer.customer_id == i.customer_id else 0), i)
                         for i, (score, _) in readings.items()),
                        key=lambda s: (-s[0], s[1].number))  # by number on a tie: the same list every run
        if scored[0][0] >= ALLOCATE and scored[0][0] - scored[1][0] >= MARGIN:
            return {scored[0][1]: readings[scored[0][1]]}
        self._hold(payment, [f"{i.number} (read from '{token}', score {score:g})" for score, i in scored[:6]],
                   f"'{token}' may stand for several invoices and none is clearly confirmed")
        return {}

    def _loosely(self, reading: NumberReading, payment: Payment) -> dict[OpenItem, tuple[float, str]]:
        """The open invoice a token names when read without leading zeros (its digit groups
        padded with zeros again), else without its prefix (each series prefix put before
        it) — only when that reading names exactly one."""
        def one(keys, how):
            hits = {id(i): i for key in keys for i in self.by_key.get(key, ())
                    if i.open > 0 and i.currency == payment.currency}
            return {next(iter(hits.values())): (NUMBER_READ, how)} if len(hits) == 1 else {}

        loose = loose_key(reading.raw, written=True) if reading.raw else None
        if loose:
            prefix, groups = loose.split(":")
            found = one(_padded(prefix, groups.split(".")), "in the text without its leading zeros")
            if found:
                return found
        digits = digits_key(reading.key)
        return one([p + digits for p in self.prefixes], "in the text without its prefix")

    def _by_number(self, payment: Payment) -> list[Allocation]:
        quoted, closed, voided = self._quoted(payment)
        if payment.held:
            return []
        if not quoted:
            if closed:
                return self._hold(payment, [], f"quotes {', '.join(dict.fromkeys(i.number for i in closed))}, "
                                  "which is not open")
            if voided:  # the amount pass may still find the invoice that replaced it (a note, not a hold)
                payment.notes.append(f"quotes {', '.join(dict.fromkeys(voided))}, which is void")
            return []
        if len(quoted) > 1:
            return self._by_numbers(payment, quoted)
        (best,) = quoted
        return self._by_one_number(payment, best)

    def _by_one_number(self, payment: Payment, best: Quoted) -> list[Allocation]:
        """One invoice named: it, unless the amount pays exactly an open invoice one character
        away and that reading wins by `MARGIN` (the number was mistyped); held when neither wins."""
        payer = self._payer(payment)

        def score(item: OpenItem, number: float) -> float:
            return (number + self._amount_score(payment, [item])
                    + (PAYER if payer and payer.customer_id == item.customer_id else 0))

        quoted = best.item
        readings = [(score(quoted, best.score), best)]
        if not self._fits(payment, [quoted]):
            near = f"one character from the quoted {quoted.number}"
            readings += [(score(r, NUMBER_NEAR), Quoted(r, NUMBER_NEAR, near)) for r in self._near_fits(payment, quoted)]
        readings.sort(key=lambda r: -r[0])
        total, chosen = readings[0]
        if len(readings) > 1 and total - readings[1][0] < MARGIN:
            listed = [f"{quoted.number} (quoted, {format_amount(quoted.open, quoted.currency)} open; "
                      f"the amount does not pay it)"]
            listed += [f"{r.item.number} (one character from {quoted.number}, owes exactly the amount)"
                       for _, r in readings if r is not best]
            return self._hold(payment, listed, "the quoted number and the amount point to different invoices")
        item = chosen.item
        fits = self._fits(payment, [item])
        if payer and payer.customer_id != item.customer_id and not (fits and chosen.score >= NUMBER_READ):
            return self._hold(payment, [f"{item.number} (quoted; customer {item.customer_id}, payer "
                                        f"{payer.customer_id}, {format_amount(item.open, item.currency)} open)"],
                              "quotes an invoice of another customer than the payer, "
                              "and the amount does not confirm it")
        if total < ALLOCATE:
            typo = chosen.score < NUMBER_READ
            return self._hold(payment, [f"{item.number} ({'quoted with a typo' if typo else chosen.how}; "
                                        f"{format_amount(item.open, item.currency)} open)"],
                              f"an invoice number {'with a typo' if typo else 'read loosely'}, "
                              "not confirmed by payer or amount")
        evidence = [f"invoice number {item.number} {chosen.how}"]
        if chosen is not best:
            evidence.append(f"the quoted {quoted.number} ({format_amount(quoted.open, quoted.currency)} open) "
                            "is not paid by the amount")
        method = "invoice_no" if chosen.score >= NUMBER_READ else "fuzzy"
        confidence = min(0.99, 0.5 + 0.1 * total)
        items = [item]
        rest = None if fits or chosen.score < NUMBER_READ else self._rest_paid(payment, items)
        if rest:
            items += rest[0]
            evidence.append(rest[1])
            method = "combined"
        elif fits:
            evidence.append(fits)
        evidence += self._payer_evidence(payment, items)
        return self._settle(payment, items, method, confidence, evidence)

    def _near_fits(self, payment: Payment, item: OpenItem) -> list[OpenItem]:
        """Open items one edit from `item`'s number that the payment pays exactly: looked up
        by amount (the few items owing it), then compared by number."""
        if self._owing is None:  # built on first use: most runs quote what they pay
            self._owing = defaultdict(list)
            for i in self.items:  # by amount alone (cheaper to hash); the currency is compared below
                if i.open > 0:  # a settled item never opens again
                    self._owing[i.open].append(i)
        minor = Decimal(1) / _scale(payment.remaining)
        slack = int(self.tolerance_for(payment.currency) / minor)
        found = []
        for step in range(-slack, slack + 1):
            for other in self._owing.get(payment.remaining + step * minor, ()):
                if (other is not item and other.open > 0 and other.currency == payment.currency
                        and _one_edit_apart(other.key, item.key)
                        and self._fits(payment, [other])):
                    found.append(other)
        return found

    def _by_numbers(self, payment: Payment, quoted: list[Quoted]) -> list[Allocation]:
        """A collective payment: the quoted invoices, if the amount pays them all; when it is
        more, them and the one set of the customer's other items the rest pays (else the rest
        stays unapplied); when it is less, the one set of them it pays; otherwise held."""
        quoted.sort(key=lambda q: (q.item.due_date, q.item.number))
        items = [q.item for q in quoted]
        if any(q.score < NUMBER_READ for q in quoted) and not self._fits(payment, items):
            return self._hold(payment, [f"{q.item.number} ({q.how})" for q in quoted],
                              "several invoice numbers, one with a typo, and the amount does not pay them")
        fits = self._fits(payment, items)
        chosen = items
        owed = sum((i.open for i in items), ZERO)
        rest = None
        if not fits and payment.remaining > owed:
            rest = self._rest_paid(payment, items)
            if rest:
                chosen = items + rest[0]
        elif not fits:
            sets = [[i] for i in items if self._fits(payment, [i])]
            sets += [list(c) for c in _subsets_fitting(payment.remaining, items[:QUOTED_SUBSET_ITEMS],
                                                        self.tolerance_for(payment.currency), len(items) - 1)]
            if len(sets) != 1:
                why = (f"the quoted invoices owe {format_amount(owed, payment.currency)} together and no single "
                       "set of them adds up to the amount"
                       if not sets else f"{len(sets)} different sets of the quoted invoices add up to the amount")
                return self._hold(payment, [f"{i.number} ({q.how}, {format_amount(i.open, i.currency)} open)"
                                            for q, i in zip(quoted, items)], why)
            chosen = sets[0]
            fits = self._fits(payment, chosen)
        numbers = ", ".join(i.number for i in items if i in chosen)
        evidence = [f"invoice numbers {numbers} in the text"]
        if rest:
            evidence.append(rest[1])
        elif len(chosen) < len(items):
            evidence.append(f"the amount pays only {len(chosen)} of the {len(items)} quoted invoices")
        evidence.append(fits or "")
        evidence += self._payer_evidence(payment, chosen)
        typo = any(q.score < NUMBER_WRITTEN for q in quoted if q.item in chosen)
        method = "combined" if len(chosen) > 1 else "invoice_no"
        return self._settle(payment, chosen, method, 0.85 if typo else 0.95, [e for e in evidence if e])

    def _by_amount(self, payment: Payment) -> list[Allocation]:
        payer = self._payer(payment)
        if payer is None:
            return []
        items = self._payable(payment, payer.customer_id)
        if not items:
            return []
        readings = self._amount_readings(payment, items, payment.remaining)
        who = f"payer is the customer ({payer.how})"
        confidence = 0.9 if payer.how == "iban" else 0.8 * payer.score
        if len(readings) > 1:
            singles = sum(len(s) == 1 for s in readings)
            why = (f"{singles} open items of the customer have this amount" if singles == len(readings)
                   else f"{len(readings)} readings of the customer's items fit the amount")
            return self._hold(payment, [" + ".join(i.number for i in s) for s in readings[:4]], why)
        if not readings:
            return []
        (chosen,) = readings
        said = "; ".join(payment.notes) or "no number in the text"  # e.g. it quotes a void invoice
        if len(chosen) == 1:
            return self._settle(payment, chosen, "amount", confidence,
                                [f"{said}; {self._fits(payment, chosen)} on {chosen[0].number}", who])
        numbers = ", ".join(i.number for i in chosen)
        return self._settle(payment, chosen, "combined", confidence * 0.9,
                            [f"{said}; the amount is the sum of {numbers}, "
                             "the only set of the customer's items that adds up", who])

    def _payable(self, payment: Payment, customer_id: str, besides: Iterable[OpenItem] = ()) -> list[OpenItem]:
        """The customer's open items the payment may pay without naming them: in its currency,
        issued by its value date (an invoice issued after the money arrived is not what it pays)."""
        mine = self.by_customer.get(customer_id)
        if not mine:
            return []
        mine[:] = [i for i in mine if i.open > 0]  # a settled item never opens again: dropped for good
        skip = {id(i) for i in besides}
        return [i for i in mine if i.currency == payment.currency and i.issue_date <= payment.value_date
                and id(i) not in skip]

    def _amount_readings(self, payment: Payment, items: list[OpenItem], amount: Decimal) -> list[list[OpenItem]]:
        """Every reading of `items` that `amount` pays: a single item (exactly, within
        tolerance or less its discount), a run of the oldest, or a small set (subset sum)."""
        tolerance = self.tolerance_for(payment.currency)
        readings: dict[tuple[int, ...], list[OpenItem]] = {}
        for item in items:
            # cheap bounds first: exact within tolerance, or less by at most a fifth (a discount)
            if (abs(amount - item.open) <= tolerance or item.open * _MOST_DISCOUNT <= amount < item.open) \
                    and self._amount(payment, [item], amount):
                readings[(id(item),)] = [item]
        running = ZERO
        for n, item in enumerate(items, start=1):  # oldest first
            running += item.open
            if n > 1 and abs(amount - running) <= tolerance:
                readings.setdefault(tuple(sorted(id(i) for i in items[:n])), items[:n])
                break
            if running > amount + tolerance:
                break
        for combo in _subsets_fitting(amount, items[:SUBSET_ITEMS], tolerance, SUBSET_SIZE):
            readings.setdefault(tuple(sorted(id(i) for i in combo)), list(combo))
        return list(readings.values())

    def _rest_paid(self, payment: Payment, quoted: list[OpenItem]) -> tuple[list[OpenItem], str] | None:
        """A payment that is more than the quoted invoices owe, from their customer: the one
        set of the customer's other items the rest pays exactly (a collective payment that
        quotes only some of its invoices), with words for the explanation; else None."""
        payer = self._payer(payment)
        customer = quoted[0].customer_id
        if payer is None or payer.customer_id != customer or any(i.customer_id != customer for i in quoted):
            return None
        rest = payment.remaining - sum((i.open for i in quoted), ZERO)
        if rest <= self.tolerance_for(payment.currency):
            return None
        readings = self._amount_readings(payment, self._payable(payment, customer, quoted), rest)
        if len(readings) != 1:
            return None
        numbers = ", ".join(i.number for i in readings[0])
        return readings[0], (f"the rest, {format_amount(rest, payment.currency)}, is what is open on {numbers}, "
                             "the only set of the customer's other items that adds up")


def _discounted(payment: Payment, item: OpenItem) -> Decimal:
    discount = item.early_payment(payment.value_date)
    if discount is None:
        return item.open
    return quantize(item.gross * (1 - discount), payment.currency)


def _scale(amount: Decimal) -> Decimal:
    """The factor that makes an amount whole minor units (cents at least)."""
    exponent = amount.as_tuple().exponent
    scale = _SCALES.get(exponent)
    if scale is None:  # a handful of exponents: each power worked out once
        scale = _SCALES[exponent] = Decimal(10) ** -min(exponent, -2)
    return scale


_SCALES: dict[int, Decimal] = {}  # exponent → `_scale`


def _subsets_fitting(amount: Decimal, items: list[OpenItem], tolerance: Decimal,
                     largest: int) -> list[tuple[OpenItem, ...]]:
    """Sets of 2..`largest` of `items` whose open amounts add up to `amount` (within
    tolerance); at most four are returned, enough to know it is ambiguous. Sets of up to
    four are found through a sorted table of pair sums (O(k² log k)); larger ones, asked for
    only for the invoices a text quotes, by enumeration."""
    if len(items) < 2 or largest < 2:
        return []
    scale = _scale(amount)
    cents = [int(i.open * scale) for i in items]
    target, slack = int(amount * scale), int(tolerance * scale)
    if sum(cents) < target - slack:  # all of them are not enough
        return []
    smallest = sorted(cents)
    if smallest[0] >= 0 and smallest[0] + smallest[1] > target + slack:  # the two smallest are too much already
        return []
    found: dict[tuple[int, ...], None] = {}
    pairs = sorted([(cents[a] + cents[b], a, b) for a, b in combinations(range(len(items)), 2)])
    sums = [p[0] for p in pairs]

    def pairs_near(value: int):
        low = bisect_left(sums, value - slack)
        if low == len(sums) or sums[low] > value + slack:  # the common case: none
            return ()
        return pairs[low:bisect_right(sums, value + slack, low)]

    for _, a, b in pairs_near(target):
        found[(a, b)] = None
    if largest >= 3:
        for c in range(len(items)):
            for _, a, b in pairs_near(target - cents[c]):
                if c not in (a, b):
                    found[tuple(sorted((a, b, c)))] = None
    if largest >= 4:
        for total, a, b in pairs:
            # a set of four is two pairs, the one of smaller sum first in `pairs`: it is found
            # (in the same order) before the first pair's sum passes half of the most it may add up to
            if 2 * total > target + slack:
                break
            for _, c, d in pairs_near(target - total):
                if len({a, b, c, d}) == 4:
                    found[tuple(sorted((a, b, c, d)))] = None
    for size in range(5, min(largest, len(items)) + 1):
        if len(found) > 3:
            break
        for combo in combinations(range(len(items)), size):
            if abs(target - sum(cents[n] for n in combo)) <= slack:
                found[combo] = None
    return [tuple(items[n] for n in combo) for combo in list(found)[:4]]


def _padded(prefix: str, groups: list[str]) -> list[str]:
    """Keys of the numbers a zero-less writing may stand for: each group padded to 1..8 digits."""
    keys = [prefix]
    for group in groups:
        keys = [k + group.zfill(width) for k in keys for width in range(len(group), 9)]
        if len(keys) > 200:
            return []
    return keys


def _one_edit_apart(a: str, b: str) -> bool:
    """Two different strings one replacement, deletion, insertion or neighbour swap apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [n for n in range(len(a)) if a[n] != b[n]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                   and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    n = next((n for n in range(len(short)) if short[n] != long[n]), len(short))
    return short[n:] == long[n + 1:]


def _shape(key: str) -> tuple[str, int]:
    """A coarse shape of a number: its first letter (a typo later in the prefix still
    matches) and its length in tens. `INV2026000123` → ('I', 1)."""
    digits = len(key) - len(key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return key[:digits][:1], len(key) // 10


def _touched(payment: Payment) -> bool:
    """Allocated already, by an earlier pass or by the user's manual rows."""
    return payment.remaining != payment.amount
