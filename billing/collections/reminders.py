"""Which reminder letters are due on a date, with their interest, fees and compensation —
and, for every open item left out, why.

From the receivables ledger (open amounts as aging computes them), as of `as_of`:

1. Every open invoice is looked at; the first rule that holds leaves it out, with a reason:
   customer on hold; invoice on hold; a promise to pay (customer's, then the invoice's) on or
   after the as-of date; not due yet; overdue but not yet at level 1 (within the grace days or
   before the first level's day); wholly disputed (the open disputed amount, at most the open
   amount, is kept out of the item: a partly disputed item stays with the rest); already
   reminded on the as-of date (so a re-run on the same day finds nothing new).
2. The rest are grouped per customer and currency: one letter at the highest level of its
   items. No letter (every item left out, with the reason) when the customer and currency
   were reminded less than `min_days` ago (the latest `last_reminder` of any of their open
   items), when an interest figure has no reference rate, or when what is due — the items
   less the open credits — is not positive or (in the policy's currency) below `min_amount`.
3. A letter of a level in `interest_levels` charges interest on each item (`late_interest`:
   from the day after the due date, on the open amount less the disputed part, payments and
   credit notes lowering the base from their dates) and, once per invoice, the compensation
   to a business customer (one with a VAT id), unless the invoice's recorded `dunning_level`
   already reached an interest level (a letter charged it before). An invoice that charged
   earlier letters' fees and interest (`interest_free`) bears neither: no interest on interest.
4. Fee (`fee_of(level)`), compensation and the minimum are amounts in the policy's currency:
   a letter in another currency carries none of them and says so in its `notes`.
5. Open credit notes that correct no invoice are listed on the letter and reduce its total:
   `total_due = Σ (open − disputed) + fee + interest + compensation − credits`, exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from types import MappingProxyType
from typing import AbstractSet, Mapping, NamedTuple

from billing.collections.interest import InterestError, LateInterest, RateTimeline, late_interest
from billing.collections.policy import DunningPolicy
from billing.money import format_amount, quantize
from billing.receivables.aging import OpenItem, open_items
from billing.receivables.ledger import Ledger

ZERO = Decimal(0)
EMPTY: Mapping = MappingProxyType({})


class Holds(NamedTuple):
    """What stops reminders: holds and promise-to-pay dates (no reminder on or before the date)."""

    customers: AbstractSet[str] = frozenset()
    invoices: AbstractSet[str] = frozenset()
    customer_promises: Mapping[str, dt.date] = EMPTY
    invoice_promises: Mapping[str, dt.date] = EMPTY


class Reminded(NamedTuple):
    """An invoice's reminder history as the workbook records it (`last_reminder`, `dunning_level`)."""

    date: dt.date | None = None
    level: int | None = None


class LetterItem(NamedTuple):
    invoice_no: str
    issue_date: dt.date
    due_date: dt.date
    days_past_due: int
    open: Decimal
    disputed: Decimal  # the open disputed part kept out (≤ open)
    level: int
    interest: LateInterest | None  # None: the letter's level charges no interest
    compensation: Decimal

    @property
    def due(self) -> Decimal:
        """What the letter asks for on this item: open less disputed."""
        return self.open - self.disputed


class Credit(NamedTuple):
    """An open credit note that corrects no invoice, listed on the letter (amount > 0)."""

    number: str
    issue_date: dt.date
    amount: Decimal


class Letter(NamedTuple):
    customer_id: str
    currency: str
    level: int
    as_of: dt.date
    items: tuple[LetterItem, ...]
    fee: Decimal
    interest: Decimal
    compensation: Decimal
    credits: tuple[Credit, ...]
    total_due: Decimal
    notes: tuple[str, ...] = ()


class Skipped(NamedTuple):
    """An open item left out of the letters, and why (`code` for programs, `reason` for people)."""

    customer_id: str
    currency: str
    invoice_no: str
    code: str  # on_hold | promise | not_due | not_yet_level | disputed | reminded | too_soon | no_rate | below_minimum
    reason: str


class Dunning(NamedTuple):
    as_of: dt.date
    letters: tuple[Letter, ...]
    skipped: tuple[Skipped, ...]


def letters_due(ledger: Ledger, as_of: dt.date, policy: DunningPolicy, rates: RateTimeline, *,
                disputed: Mapping[str, Decimal] = EMPTY, holds: Holds = Holds(),
                reminded: Mapping[str, Reminded] | None = None,
                businesses: AbstractSet[str] = frozenset(), interest_free: AbstractSet[str] = frozenset()) -> Dunning:
    """The letters due on `as_of` and the items left out (the rules are the module's).

    `disputed`: open disputed amount by invoice number (a blank amount already made the whole
    open amount by the caller); `reminded`: history by invoice number (default: the ledger's
    `last_reminder` dates, levels unknown); `businesses`: customer ids with a VAT id;
    `interest_free`: invoice numbers that bear neither interest nor compensation — the
    invoices that charged earlier letters' fees and interest (no interest on interest)."""
    if reminded is None:
        reminded = {no: Reminded(day, None) for no, day in (ledger.last_reminder or {}).items()}
    opened = open_items(ledger.items, ledger.applied, as_of, basis="due_date")
    skipped: list[Skipped] = []
    kept: dict[tuple[str, str], list[tuple[OpenItem, Decimal, int]]] = defaultdict(list)
    credits: dict[tuple[str, str], list[Credit]] = defaultdict(list)
    last: dict[tuple[str, str], dt.date] = {}
    for o in opened:
        item, key = o.item, (o.item.customer_id, o.item.currency)
        if item.kind == "credit_note":
            credits[key].append(Credit(item.number, item.issue_date, -o.amount))
            continue
        history = reminded.get(item.number, Reminded())
        if history.date is not None:
            last[key] = max(last.get(key, history.date), history.date)
        part = min(o.amount, max(ZERO, disputed.get(item.number, ZERO)))
        why = _left_out(o, part, history, as_of, policy, holds)
        if why:
            skipped.append(Skipped(*key, item.number, *why))
        else:
            kept[key].append((o, part, policy.level_of(o.days_past_due)))
    letters = []
    reductions = reductions_by_invoice(ledger, as_of)
    for key in sorted(kept):
        found = kept[key]
        found.sort(key=lambda f: (-f[0].days_past_due, f[0].item.number))
        letter_or_why = _letter(key, found, credits[key], last.get(key), reductions, as_of, policy, rates,
                                reminded, businesses, interest_free)
        if isinstance(letter_or_why, Letter):
            letters.append(letter_or_why)
        else:
            skipped.extend(Skipped(*key, o.item.number, *letter_or_why) for o, _, _ in found)
    skipped.sort(key=lambda s: (s.customer_id, s.currency, s.invoice_no))
    return Dunning(as_of, tuple(letters), tuple(skipped))


def _left_out(o: OpenItem, part: Decimal, history: Reminded, as_of: dt.date, policy: DunningPolicy,
              holds: Holds) -> tuple[str, str] | None:
    item = o.item
    if item.customer_id in holds.customers:
        return "on_hold", "customer on hold"
    if item.number in holds.invoices:
        return "on_hold", "invoice on hold"
    for whose, promise in (("customer", holds.customer_promises.get(item.customer_id)),
                           ("invoice", holds.invoice_promises.get(item.number))):
        if promise is not None and promise >= as_of:
            return "promise", f"{whose} promised to pay by {promise.isoformat()}"
    if o.days_past_due <= 0:
        return "not_due", f"not due until {item.due_date.isoformat()}"
    if policy.level_of(o.days_past_due) == 0:
        if o.days_past_due <= policy.grace_days:
            return "not_yet_level", f"{o.days_past_due} days past due, within the {policy.grace_days} grace days"
        return "not_yet_level", (f"{o.days_past_due} days past due: level 1 starts at "
                                 f"{policy.levels[0]} days")
    if part >= o.amount:
        return "disputed", f"disputed ({format_amount(part, item.currency)} {item.currency})"
    if history.date is not None and history.date >= as_of:
        return "reminded", f"reminded on {history.date.isoformat()}"
    return None


def _letter(key: tuple[str, str], found: list[tuple[OpenItem, Decimal, int]], credits: list[Credit],
            last: dt.date | None, reductions: Mapping[str, list[tuple[dt.date, Decimal]]], as_of: dt.date,
            policy: DunningPolicy, rates: RateTimeline, reminded: Mapping[str, Reminded], businesses: AbstractSet[str],
            interest_free: AbstractSet[str]) -> Letter | tuple[str, str]:
    customer, currency = key
    if last is not None and (as_of - last).days < policy.min_days:
        return "too_soon", f"reminded on {last.isoformat()}, less than {policy.min_days} days ago"
    level = max(lv for _, _, lv in found)
    ours = currency == policy.currency
    none = quantize(ZERO, currency)  # 0.00 (EUR), 0 (JPY): amounts on a letter carry the minor unit
    charges = policy.charges_interest(level)
    items = []
    for o, part, lv in found:
        record = None
        bears = charges and o.item.number not in interest_free
        if bears:
            try:
                record = late_interest(o.item.due_date, as_of, o.item.gross, reductions.get(o.item.number, ()),
                                       disputed=part, rates=rates, margin=policy.margin, day_count=policy.day_count,
                                       currency=currency, rounding=policy.rounding)
            except InterestError as exc:
                return "no_rate", f"no interest without a reference rate: {exc}"
        prior = reminded.get(o.item.number, Reminded()).level or 0
        owed = (bears and ours and customer in businesses and policy.compensation > 0
                and not any(prior >= n for n in policy.interest_levels))
        compensation = quantize(policy.compensation, currency, policy.rounding) if owed else none
        items.append(LetterItem(o.item.number, o.item.issue_date, o.item.due_date, o.days_past_due, o.amount, part,
                                lv, record, compensation))
    credit_total = sum((c.amount for c in credits), ZERO)
    debt = sum((i.due for i in items), ZERO) - credit_total
    if debt <= 0 or (ours and debt < policy.min_amount):
        minimum = f", below the minimum {format_amount(policy.min_amount, currency)}" if ours else ""
        return "below_minimum", f"{format_amount(debt, currency)} {currency} due{minimum}"
    fee = quantize(policy.fee_of(level), currency, policy.rounding) if ours else none
    interest = sum((i.interest.total for i in items if i.interest), none)
    compensation = sum((i.compensation for i in items), none)
    notes = () if ours else (f"no fee, compensation or minimum: the dunning policy's amounts are in "
                             f"{policy.currency}",)
    return Letter(customer, currency, level, as_of, tuple(items), fee, interest, compensation, tuple(credits),
                  debt + fee + interest + compensation, notes)


def reductions_by_invoice(ledger: Ledger, as_of: dt.date) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """What lowered each invoice by `as_of`, dated: allocations (amount + settled difference) by
    value date and correcting credit notes by issue date — what `open_items` takes off."""
    out: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for a in ledger.applied:
        if a.value_date <= as_of:
            out[a.invoice_no].append((a.value_date, a.amount + a.settled))
    for c in ledger.items:
        if c.kind == "credit_note" and c.corrects and c.status != "void" and c.issue_date <= as_of:
            out[c.corrects].append((c.issue_date, c.gross))
    return out
