"""The bank statement: Payments rows for the payment plans plus unrelated noise, and the truth.

Each plan becomes one payment (a partial one sometimes two) whose payer name, IBAN,
amount and reference text are what a bank would deliver for its scenario; what it really
pays is kept beside it. Payments are numbered P000001, ... in value-date order.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from stdnum import iso11649

from billing.contract import PAYMENTS
from billing.money import quantize
from billing.sample.countries import COUNTRY_BY_CODE
from billing.sample.customers import Customer, bank_ascii
from billing.sample.data import PaidShare, Row
from billing.sample.draws import random_amount
from billing.sample.identifiers import random_iban
from billing.sample.invoice import Invoice
from billing.sample.payment_plans import PaymentPlan
from billing.sample.timeline import HISTORY_DAYS, SampleCalendar, terms_of

#: a payment before numbering: value date, row without id and date, what it pays, scenario
_Draft = tuple[date, Row, tuple[PaidShare, ...], str]

_NO_TEMPLATES = (
    "Rechnung {no} danke", "Invoice {no}", "RE {no}", "Re-Nr. {no} Kd-Nr. {cid}", "{no}",
    "Payment invoice {no}", "Rechnungsnr. {no} vom {date}", "SVWZ+{no}", "EREF+NOTPROVIDED SVWZ+RE {no}",
)
_COMBINED_TEMPLATES = ("Rechnungen {nos}", "{nos}", "Sammelzahlung RE {nos}", "Invoices {nos}")
_NOREF_TEXTS = ("Sammelueberweisung", "Ausgleich offene Posten", "Zahlung lt. Aufstellung", "Payment of outstanding invoices")
_NAME_ONLY_TEXTS = (None, "Zahlung", "Ueberweisung", "Danke", "Payment", "Rechnungsausgleich")
_PARTIAL_TEXTS = ("Teilzahlung {no}", "Anzahlung Rechnung {no}", "Part payment {no}", "1. Rate {no}")
_DISCOUNT_TEXTS = ("{no} abzgl. {pct}% Skonto", "Rechnung {no} Skonto {pct}%", "{ref}", "Invoice {no} less {pct}% discount")
_NOISE_PAYERS = (
    "Finanzamt Muenchen", "Deutsche Telekom AG", "AOK Bayern", "Amazon Payments Europe S.C.A.",
    "Techniker Krankenkasse", "Stadtwerke Muenchen GmbH", "PayPal Europe S.a.r.l. et Cie S.C.A",
    "Allianz Versicherungs-AG", "Vodafone GmbH", "Max Mustermann", "Erika Musterfrau",
)
_NOISE_TEXTS = (
    "Refund order {n}", "Erstattung Umsatzsteuer {q}/{y}", "Refund duplicate charge {n}", "Gutschrift Kaution",
    "Rueckerstattung Lastschrift {n}", "Erstattung Beitrag {y}", "Zinsgutschrift", "Refund {n} Kulanz",
)
_FORM_VARIANTS = {
    "GmbH": ("GMBH", "G.m.b.H.", "Gmbh", "Ges.m.b.H."),
    "GmbH & Co. KG": ("GmbH u. Co. KG", "GMBH & CO KG", "GmbH&Co.KG"),
    "AG": ("Aktiengesellschaft",),
    "KG": ("Kommanditgesellschaft",),
    "e.K.": ("eK", "e. K."),
    "UG (haftungsbeschränkt)": ("UG (haftungsbeschraenkt)", "UG"),
    "B.V.": ("BV", "B V"),
    "SARL": ("S.A.R.L.", "Sarl"),
    "SAS": ("S.A.S.",),
    "NV": ("N.V.",),
    "Ltd": ("Limited", "LTD"),
    "Inc.": ("Inc", "Incorporated"),
    "Corp.": ("Corporation",),
    "LLC": ("L.L.C.",),
}


def write_statement(
    plans: list[PaymentPlan],
    invoices: list[Invoice],
    as_of: date,
    cal: SampleCalendar,
    rng: random.Random,
    payments: int | None = None,
) -> tuple[tuple[Row, ...], dict[str, tuple[PaidShare, ...]], dict[str, str]]:
    """The Payments rows, and per payment id what it really pays and its scenario.

    Noise (about 3 % of the plans, at least one payment) is added whenever there are invoices;
    with `payments`, as much more noise as fills the statement up to that many payments.
    """
    numbers = {inv.number for inv in invoices if inv.number}
    drafts: list[_Draft] = []
    for plan in plans:
        drafts += _plan_drafts(plan, numbers, as_of, cal, rng)
    if invoices:
        noise = max(1, round(len(plans) * 0.03))
        if payments is not None:
            noise = max(noise, payments - len(drafts))
        drafts += _noise_drafts(noise, as_of, cal, rng)
    drafts.sort(key=lambda d: d[0])  # stable: on one day, in the order written
    payments, truth_by_id, scenarios = [], {}, {}
    for n, (day, row, truth, scenario) in enumerate(drafts, start=1):
        payment_id = f"P{n:06d}"
        payments.append({name: row.get(name) for name in PAYMENTS.column_names} | {"payment_id": payment_id, "value_date": day})
        truth_by_id[payment_id] = truth
        scenarios[payment_id] = scenario
    return tuple(payments), truth_by_id, scenarios


def _plan_drafts(
    plan: PaymentPlan, numbers: set[str], as_of: date, cal: SampleCalendar, rng: random.Random
) -> list[_Draft]:
    """The payment of one plan, preceded by the later rest payment of a partial one if due by `as_of`."""
    drafts: list[_Draft] = []
    inv = plan.invoices[0]
    customer = inv.customer
    row: Row = {
        "currency": customer.currency,
        "payer_name": _payer_name(customer, rng),
        "payer_iban": rng.choice(customer.ibans) if customer.ibans else None,
    }
    no, gross, scenario = inv.number, inv.gross, plan.scenario
    fill = {"no": no, "cid": customer.customer_id, "date": inv.issue_date.strftime("%d.%m.%Y"), "ref": inv.reference}
    truth: list[PaidShare] = [(inv.key, gross)]
    amount = gross
    if scenario == "reference":
        ref = inv.reference or ""
        text = rng.choice((ref, ref, iso11649.format(ref), f"SVWZ+{ref}"))
    elif scenario == "invoice_no":
        text = rng.choice(_NO_TEMPLATES).format(**fill)
    elif scenario == "typo":
        text = rng.choice(("Rechnung {no}", "{no}", "RE {no} danke", "Invoice {no}")).format(no=_typo(no, rng, numbers))  # type: ignore[arg-type]
    elif scenario in ("combined", "combined_noref"):
        truth = [(i.key, i.gross) for i in plan.invoices]
        amount = sum((i.gross for i in plan.invoices), Decimal(0))
        if scenario == "combined":
            joined = ", ".join(str(i.number) for i in plan.invoices)
            text = rng.choice(_COMBINED_TEMPLATES).format(nos=joined)
        else:
            text = rng.choice(_NOREF_TEXTS)
    elif scenario == "partial":
        amount = quantize(gross * rng.choice((Decimal("0.5"), Decimal("0.5"), Decimal("0.3"), Decimal("0.25"))), customer.currency)
        truth = [(inv.key, amount)]
        text = rng.choice(_PARTIAL_TEXTS).format(**fill)
        rest_day = cal.value_day(plan.pay_date + timedelta(days=rng.randint(14, 45)))
        if rng.random() < 0.4 and rest_day <= as_of:  # the rest follows later
            rest = dict(row, amount=gross - amount, reference_text=f"Restzahlung {no}")
            drafts.append((rest_day, rest, ((inv.key, gross - amount),), "partial"))
    elif scenario == "short":
        amount = gross - Decimal(rng.randint(1, 5)).scaleb(-2)
        truth = [(inv.key, amount)]
        text = rng.choice(_NO_TEMPLATES).format(**fill)
    elif scenario == "discount":
        discount_pct = terms_of(inv.effective_terms).discount_pct or Decimal(0)
        amount = quantize(gross * (1 - discount_pct), customer.currency)
        truth = [(inv.key, amount)]
        text = rng.choice(_DISCOUNT_TEXTS).format(pct=f"{(discount_pct * 100).normalize():f}", **fill)
    elif scenario == "overpaid":
        amount = gross + random_amount(rng, 1, 250)
        text = rng.choice(_NO_TEMPLATES).format(**fill)
    elif scenario == "name_amount":
        text = rng.choice(_NAME_ONLY_TEXTS)
    else:
        raise AssertionError(scenario)
    drafts.append((plan.pay_date, dict(row, amount=amount, reference_text=text), tuple(truth), scenario))
    return drafts


def _noise_drafts(count: int, as_of: date, cal: SampleCalendar, rng: random.Random) -> list[_Draft]:
    """`count` payments that have nothing to do with any invoice: refunds, interest, deposits."""
    start = as_of - timedelta(days=HISTORY_DAYS)
    drafts: list[_Draft] = []
    for _ in range(count):
        day = cal.value_day(start + timedelta(days=rng.randint(0, HISTORY_DAYS)))
        if day > as_of:
            day = start
        text = rng.choice(_NOISE_TEXTS).format(n=rng.randint(100000, 999999), q=rng.randint(1, 4), y=day.year)
        row: Row = {
            "amount": random_amount(rng, 5, 2500),
            "currency": "EUR",
            "payer_name": rng.choice(_NOISE_PAYERS),
            "payer_iban": random_iban(COUNTRY_BY_CODE["DE"], rng),
            "reference_text": text,
        }
        drafts.append((day, row, (), "noise"))
    return drafts


def _payer_name(customer: Customer, rng: random.Random) -> str:
    """The customer's name as a bank delivers it: exact, in capitals or with its legal form spelled otherwise."""
    r = rng.random()
    if r < 0.55:
        name = customer.name
    elif r < 0.7:
        name = customer.name.upper()
    elif r < 0.9:
        name = f"{customer.base} {rng.choice(_FORM_VARIANTS.get(customer.form, (customer.form,)))}"
    else:
        name = customer.base
    return bank_ascii(name) if rng.random() < 0.3 else name


def _typo(number: str, rng: random.Random, existing: set[str]) -> str:
    """The invoice number as a person mistyped it; never another invoice's number."""
    head, _, seq = number.rpartition("-")
    for _ in range(20):
        kind = rng.randrange(4)
        if kind == 0:  # two adjacent digits swapped
            spots = [i for i in range(len(seq) - 1) if seq[i] != seq[i + 1]]
            if not spots:
                continue
            i = rng.choice(spots)
            typo = f"{head}-{seq[:i]}{seq[i + 1]}{seq[i]}{seq[i + 2:]}"
        elif kind == 1:  # a digit missing
            i = rng.randrange(len(seq))
            typo = f"{head}-{seq[:i]}{seq[i + 1:]}"
        elif kind == 2:  # letter O for zero
            typo = number.replace("0", "O") if rng.random() < 0.5 else number.replace("0", "O", 1)
        else:  # dashes missing or blanks instead
            typo = number.replace("-", rng.choice(("", " ")))
        if typo != number and typo not in existing:
            return typo
    return number.replace("-", "")
