"""Who pays which invoices, when and how: one `PaymentPlan` per payment to come.

Each customer pays early, on time, late or never according to its habits; some take the
early-payment discount, some pay several invoices at once, and the rest are spread over
the single-invoice scenarios by weight. Invoices unpaid by `as_of` simply get no plan.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from billing.sample.data import SCENARIOS
from billing.sample.draws import weighted_choice
from billing.sample.invoice import Invoice
from billing.sample.timeline import SampleCalendar, terms_of
from billing.invoicing.terms import due_date

#: how often each scenario of a payment for a single invoice occurs
_SINGLE_WEIGHTS = (
    ("reference", 34), ("invoice_no", 22), ("typo", 7), ("name_amount", 10),
    ("partial", 5), ("short", 5), ("overpaid", 3),
)


@dataclass(eq=False)
class PaymentPlan:
    """A payment to be written: its scenario (one of `SCENARIOS`), the invoices it pays, its date."""

    scenario: str
    invoices: list[Invoice]
    pay_date: date


def plan_payments(invoices: list[Invoice], as_of: date, cal: SampleCalendar, rng: random.Random) -> list[PaymentPlan]:
    """Which invoices are paid, when, and how; unpaid ones are simply left out."""
    paid: dict[str, list[tuple[Invoice, date, bool]]] = {}
    for inv in invoices:
        if not inv.open_item:
            continue
        terms = terms_of(inv.effective_terms)
        discount = bool(terms.discount_pct) and inv.customer.behaviour[0] != "bad" and rng.random() < 0.7
        if discount:
            day = cal.value_day(inv.issue_date + timedelta(days=rng.randint(2, terms.discount_days or 2)))
            if (day - inv.issue_date).days > (terms.discount_days or 0):
                discount, day = False, _pay_date(inv, rng)  # type: ignore[assignment]
        else:
            day = _pay_date(inv, rng)  # type: ignore[assignment]
        if day is not None:
            day = cal.value_day(day)
            if day <= as_of:
                paid.setdefault(inv.customer.customer_id, []).append((inv, day, discount))
    plans: list[PaymentPlan] = []
    for items in paid.values():  # customers in first-invoice order: deterministic
        i = 0
        while i < len(items):
            inv, day, discount = items[i]
            if discount:
                plans.append(PaymentPlan("discount", [inv], day))
                i += 1
                continue
            group = [items[i]]
            if rng.random() < 0.12:
                size = rng.choice((2, 2, 3))
                for other in items[i + 1 :]:
                    if len(group) == size or other[2] or (other[1] - day).days > 25:
                        break
                    group.append(other)
            if len(group) > 1:
                scenario = "combined" if rng.random() < 0.6 else "combined_noref"
                plans.append(PaymentPlan(scenario, [g[0] for g in group], max(g[1] for g in group)))
            else:
                scenario = str(weighted_choice(rng, _SINGLE_WEIGHTS))
                if scenario == "name_amount" and not inv.customer.ibans:
                    scenario = "invoice_no"
                plans.append(PaymentPlan(scenario, [inv], day))
            i += len(group)
    _cover_scenarios(plans, as_of, cal, rng)
    return plans


def _pay_date(inv: Invoice, rng: random.Random) -> date | None:
    """When the customer pays this invoice (may be after as_of), or None if never."""
    _, _, early, late, never = inv.customer.behaviour
    if rng.random() < never:
        return None
    due = due_date(inv.issue_date, terms_of(inv.effective_terms))
    return max(inv.issue_date + timedelta(days=1), due + timedelta(days=rng.randint(early, late)))


def _cover_scenarios(plans: list[PaymentPlan], as_of: date, cal: SampleCalendar, rng: random.Random) -> None:
    """Turn some plain reference payments into any scenario chance left out, so that
    every scenario appears whenever the sample is big enough to hold it."""
    present = {p.scenario for p in plans}
    for scenario in SCENARIOS:
        if scenario in present or scenario == "noise":
            continue
        plain = [p for p in plans if p.scenario == "reference"]
        if scenario in ("combined", "combined_noref"):
            by_customer: dict[str, list[PaymentPlan]] = {}
            for p in plain:
                by_customer.setdefault(p.invoices[0].customer.customer_id, []).append(p)
            pairs = [ps[:2] for ps in by_customer.values() if len(ps) >= 2]
            if pairs:
                first, second = rng.choice(pairs)
                first.scenario = scenario
                first.invoices += second.invoices
                first.pay_date = max(first.pay_date, second.pay_date)
                plans.remove(second)
            continue
        if scenario == "name_amount":
            plain = [p for p in plain if p.invoices[0].customer.ibans]
        if scenario == "discount":
            plain = [p for p in plain if (as_of - p.invoices[0].issue_date).days >= 14]
        if not plain:
            continue
        plan = rng.choice(plain)
        plan.scenario = scenario
        if scenario == "discount":  # an individually agreed discount on this invoice
            inv = plan.invoices[0]
            inv.terms = "2/10 NET30"
            plan.pay_date = cal.value_day(inv.issue_date + timedelta(days=rng.randint(2, 7)))
