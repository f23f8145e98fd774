"""Why a payment was left unmatched when no pass held it: nothing in it pointed anywhere.

A held payment says why itself (the competing readings, an invoice not open). A payment
no pass took and none held was never in doubt: its text names no open invoice (no RF
reference printed on one, no token that reads as an invoice number) and its payer owes
no open amount that fits. The reason says both halves, with what there was — the RF
reference or number-like token that names nothing, who the payer is (or that it is no
customer), and what that customer has open — so a person knows where to look. For example:

    no invoice number or RF reference in the text; the payer (Techniker Krankenkasse) is no customer, by IBAN or name
    '875054' in the text names no invoice; the payer is customer C0003 (by IBAN); none of its 4 open items
    (5120.00 in all), nor a small set of them, comes to 812.98
"""

from __future__ import annotations

from billing.matching.engine import Matcher
from billing.matching.items import _UNKNOWN, ZERO, Payment
from billing.matching.remittance import number_readings, rf_references
from billing.money import format_amount

#: how many unknown tokens a reason quotes
QUOTED = 3


def why_left(matcher: Matcher, payment: Payment) -> str:
    """The reason for a payment left without notes: what its text and its payer gave."""
    return f"{_text_part(matcher, payment)}; {_payer_part(matcher, payment)}"


def _text_part(matcher: Matcher, payment: Payment) -> str:
    text = payment.reference_text
    if not (text or "").strip():
        return "no remittance text"
    unknown = [f"RF reference {r}" for r in rf_references(text, matcher.by_reference) if r not in matcher.by_reference]
    unknown += [f"'{r.raw.strip()}'" for r in number_readings(text)
                if r.how == "text" and r.key not in matcher.by_key and r.raw]
    if not unknown:
        return "no invoice number or RF reference in the text"
    return f"{', '.join(unknown[:QUOTED])} in the text {'names' if len(unknown) == 1 else 'name'} no invoice"


def _payer_part(matcher: Matcher, payment: Payment) -> str:
    payer = payment.payer
    if payer is _UNKNOWN:  # every pass left it before asking who paid (e.g. an earlier hold cleared)
        payer = matcher.parties.payer(payment.payer_iban, payment.payer_name)
    if payer is None:
        if payment.payer_name:
            return f"the payer ({payment.payer_name}) is no customer, by IBAN or name"
        return "no payer name, and the IBAN is on no customer's file" if payment.payer_iban else \
            "no payer name or IBAN"
    who = f"the payer is customer {payer.customer_id} (by {'IBAN' if payer.how == 'iban' else payer.how})"
    items = [i for i in matcher.by_customer.get(payer.customer_id, ()) if i.open > 0
             and i.currency == payment.currency]
    if not items:
        return f"{who}, who has nothing open in {payment.currency}"
    owed = format_amount(sum((i.open for i in items), ZERO), payment.currency)
    amount = format_amount(payment.remaining, payment.currency)
    count = "its open item" if len(items) == 1 else f"none of its {len(items)} open items"
    if len(items) == 1:
        return f"{who}; {count} ({owed}) is not {amount}"
    return f"{who}; {count} ({owed} in all), nor a small set of them, comes to {amount}"
