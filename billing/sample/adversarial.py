"""An adversarial labelled bank statement: the payments real banks deliver, each with its class and truth.

`generate_adversarial(seed, scale)` builds a small book (customers, open invoices, credit
notes, void invoices) and about 580 payments that try to make a matcher guess: a typo
that forms another real invoice number, a quoted number whose amount is what a
neighbouring invoice owes, two equal open invoices and a pair that adds up to the same
amount, references that cannot be read as printed, third-party payers, payer names as
banks mangle them, collective payments in shorthand and ranges, instalments, discounts,
overpayments, foreign currencies, credit-noted and void invoices, unrelated credits and
amount coincidences.

Every payment is labelled: `SampleData.scenarios[payment_id]` is its class (one of
`CLASSES`), `SampleData.truth[payment_id]` what it really pays as `(invoice_key, amount)`
pairs — empty when a careful person would leave it unmatched (ambiguous, unrelated,
nothing owed, a currency that does not agree). The truth is what the evidence in the
payment supports, not what the payer privately meant: an amount that fits two readings
equally has no truth. `AdversarialSet.expected(payment_id)` gives the truth by invoice number.

Everything is a function of `(seed, scale, as_of)` (except `workbook_id`): each part draws
from its own seeded generator, nothing iterates a set, nothing reads the clock.

Rules the generator keeps so the labels stay right:

- every invoice's gross is unique in the book unless a class makes two equal on purpose,
  so an amount identifies at most the invoices the class means;
- the invoices a trap points at (the other number, the equal twin, the coincidence) are
  never paid by another payment, so no payment's truth depends on another's matching;
- every invoice has one line (quantity 1): its gross is worked out here the way the
  workbook computes it (`net + round(net × rate)`), which the tests check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Callable, Mapping

from billing.contract import PAYMENTS
from billing.money import quantize
from billing.invoicing.rf_reference import is_rf_reference, rf_reference
from billing.sample.countries import COUNTRY_BY_CODE
from billing.sample.customers import Customer, bank_ascii, make_customers
from billing.sample.data import PaidShare, Row, SampleData
from billing.settings import STANDARD_TAX_RATES, default_settings
from billing.sample.draws import part_rng
from billing.sample.identifiers import random_iban
from billing.sample.invoice import Invoice
from billing.sample.timeline import DEFAULT_AS_OF, SampleCalendar

__all__ = ["CLASSES", "GUESS_CLASSES", "AdversarialSet", "generate_adversarial"]

#: the payment classes, with how many payments each makes at scale 1 (instalments: invoices)
CLASSES: Mapping[str, int] = MappingProxyType({
    "plain": 24,  # RF reference or invoice number as printed: the baseline
    "typo_real_number": 30,  # a typo that forms another customer's real invoice number; payer and amount say A
    "number_vs_amount": 30,  # quotes A, pays exactly what B owes (B one digit away): B
    "ambiguous_equal": 25,  # two equal open invoices of the payer, no reference: unmatched
    "ambiguous_pair_sum": 20,  # the amount fits one invoice and also a pair of others: unmatched
    "messy_reference": 80,  # no prefix, zeros dropped, OCR look-alikes, line breaks, rf lower case/spaces/word
    "third_party": 40,  # a parent company, public treasury or factor pays another customer's invoices
    "name_variant": 50,  # no IBAN, no reference: the payer's name as banks spell it, and the amount
    "collective": 50,  # several invoices: full lists, shorthand `001895, 897 und 899`, ranges `bis`, > 4, partly quoted
    "instalment": 14,  # an invoice paid in 2-3 rates (14 invoices ≈ 35 payments)
    "discount": 25,  # early-payment discount in time (and one taken too late: a partial payment)
    "overpaid": 20,  # more than the invoice (the rest unapplied), or the same invoice paid twice
    "currency": 25,  # CHF, GBP, USD customers paying in their currency
    "currency_mismatch": 10,  # a EUR payment quoting an invoice in another currency: unmatched
    "credit_noted": 20,  # pays the invoice less its credit note
    "void_or_credited": 16,  # quotes a void or fully credited invoice: nothing owed, unmatched
    "void_reissued": 15,  # quotes a void invoice, pays what its reissue owes: the reissue
    "unrelated": 30,  # refunds, interest, salary, tax, insurance: unmatched
    "amount_coincidence": 30,  # unrelated credit whose amount equals an open invoice: unmatched
    # the limits of the rules that made the classes above pass: here they must hold back
    "partial_near_coincidence": 15,  # the payer's instalment on A equals what another customer's B owes: unmatched
    "collective_rest_ambiguous": 10,  # quotes A, pays A and one of two equal items: A only, the rest unapplied
    "void_reissue_ambiguous": 10,  # quotes a void invoice, two open items owe the amount: unmatched
})
#: classes whose payments must stay unmatched because more than one reading fits, or none does
GUESS_CLASSES = frozenset({"ambiguous_equal", "ambiguous_pair_sum", "amount_coincidence", "partial_near_coincidence",
                           "void_reissue_ambiguous"})

_COMPANY = "Lindenhof Digital GmbH"
_RATES = {str(r["tax_code"]): Decimal(r["rate"]) for r in STANDARD_TAX_RATES}  # type: ignore[arg-type]
_OCR = {"0": "O", "6": "G", "1": "l", "5": "S", "8": "B"}
_TRAILING_WORDS = ("DANKE", "DANK", "THANKS", "THX", "GRUSS", "MERCI", "BITTE", "MFG", "VIELEN", "OK", "KD", "NR",
                   "ZAHLUNG", "RECHNUNG", "SKONTO", "BEZAHLT", "FINAL", "TOTAL")
_TREASURIES = ("Landeshauptkasse Bayern", "Bundeskasse Trier", "Stadtkasse Koeln", "Landesoberkasse Baden-Wuerttemberg",
               "Kreiskasse Rhein-Sieg", "Justizkasse Hamm")
_FACTORS = ("abcfinance GmbH", "Creditreform Factoring GmbH", "Coface Finanz GmbH", "Eurofactor GmbH",
            "Deutsche Factoring Bank GmbH & Co. KG")
_STRANGERS = ("Finanzamt Muenchen", "Deutsche Telekom AG", "AOK Bayern", "Allianz Versicherungs-AG", "Vodafone GmbH",
              "Max Mustermann", "Erika Musterfrau", "Thomas Weber", "Sabine Krueger", "Amazon Payments Europe S.C.A.",
              "PayPal Europe S.a.r.l. et Cie S.C.A", "Stadtwerke Muenchen GmbH", "Techniker Krankenkasse",
              "Hannelore Vogel", "Bundesagentur fuer Arbeit")
_UNRELATED_TEXTS = ("Erstattung Umsatzsteuer {m:02d}/2026", "Zinsgutschrift {q}. Quartal 2026", "Gehalt {m:02d}/2026",
                    "Refund order {n:06d}", "Rueckerstattung Lastschrift {n}", "Kaution zurueck",
                    "Gutschrift Bonus 2026",
                    "Versicherungsleistung Schaden 2026-{seq:06d}", "Erstattung Beitrag 2026", "Refund {n} Kulanz",
                    "Rueckzahlung Darlehen Vertrag {n}", "Steuererstattung 2025")
_NO_TEXTS = (None, "Zahlung", "Ueberweisung", "Rechnungsausgleich", "Danke", "Payment")
#: hand-made customers whose names banks mangle: (base, form, country)
_HARD_NAMES = (
    ("Müller & Söhne Weißgerberei", "GmbH & Co. KG", "DE"),
    ("Kühn Ölmühle Oberbayern", "UG (haftungsbeschränkt)", "DE"),
    ("Novák Strojírny Brno", "s.r.o.", "DE"),
    ("Falkenstein Kunststofftechnik und Verpackungsmaschinen Sachsen-Anhalt", "GmbH & Co. KG", "DE"),
    ("Rheinische Elektrotechnik und Automatisierungssysteme Köln-Deutz", "GmbH", "DE"),
    ("Großhandelsgesellschaft Süderelbe für Bürobedarf", "GmbH", "DE"),
    ("Bäckerei Schröder Lüneburger Heide", "e.K.", "DE"),
    ("Hanseatische Gebäudereinigung Nord", "GmbH", "DE"),
    ("Weißenburger Präzisionsdrehteile", "GmbH", "DE"),
    ("Dvořák Logistika Plzeň", "s.r.o.", "DE"),
    ("Zürcher Feinmechanik", "AG", "CH"),
    ("Schäfer Straßenbau Mitteldeutschland", "UG (haftungsbeschränkt)", "DE"),
)
_ACCOUNT_HOLDERS = ("Sammelkonto Kreditoren", "Buchhaltung", "K. Hoffmann", "Petra Lange", "Treuhandkonto",
                    "Zahlungsverkehr Zentrale", "J. Schmidt", "Online-Banking")
_SERVICES = ("Consulting, fixed price", "Software development", "Maintenance contract", "Workshop facilitation",
             "Cloud hosting", "Data migration, fixed price", "On-site support")
_BRANCHES = ("NL HAMBURG", "NIEDERLASSUNG MUENCHEN", "ZWNL BERLIN", "FILIALE STUTTGART", "NL LEIPZIG")


@dataclass(frozen=True)
class AdversarialSet:
    """The labelled set: the workbook's input rows (with truth and classes) and lookups on them."""

    data: SampleData
    numbers: Mapping[str, str]  # invoice_key → invoice_no
    gross: Mapping[str, Decimal]  # invoice_key → gross, as the workbook computes it

    @property
    def classes(self) -> Mapping[str, str]:
        """payment_id → class."""
        return self.data.scenarios

    def expected(self, payment_id: str) -> dict[str, Decimal]:
        """What the payment really pays, by invoice number (empty: it must stay unmatched)."""
        out: dict[str, Decimal] = {}
        for key, amount in self.data.truth[payment_id]:
            out[self.numbers[key]] = out.get(self.numbers[key], Decimal(0)) + amount
        return out


def generate_adversarial(seed: int = 0, scale: float = 1.0, as_of: date | None = None,
                         *, workbook_id: str | None = None) -> AdversarialSet:
    """The adversarial set: `scale` × `CLASSES` payments (about 580 at 1.0) with their truth."""
    book = _Book(seed, as_of or DEFAULT_AS_OF)
    for name, count in CLASSES.items():
        make = _MAKERS[name]
        rng = part_rng(seed, f"adversarial:{name}")
        for _ in range(max(1, round(count * scale))):
            make(book, rng)
    return book.result(workbook_id)


# -- the book ------------------------------------------------------------------------------


@dataclass
class _Draft:
    day: date
    row: Row
    truth: tuple[PaidShare, ...]
    cls: str


@dataclass
class _Book:
    """Customers, invoices and payment drafts as the class makers add them."""

    seed: int
    as_of: date
    customers: list[Customer] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    drafts: list[_Draft] = field(default_factory=list)
    used_gross: set[tuple[str, Decimal]] = field(default_factory=set)
    taken: set[int] = field(default_factory=set)  # invoice sequence numbers given out
    next_seq: int = 1001
    credit_seq: int = 1

    def __post_init__(self) -> None:
        rng = part_rng(self.seed, "adversarial:book")
        self.rng = rng
        self.cal = SampleCalendar(self.as_of - timedelta(days=120), self.as_of)
        self.customers = make_customers(150, part_rng(self.seed, "adversarial:customers"))
        for i, (base, form, country) in enumerate(_HARD_NAMES):
            template = self.customers[i]
            self.customers.append(replace(template, customer_id=f"C{len(self.customers) + 1:04d}", base=base,
                                          form=form, country=COUNTRY_BY_CODE[country],
                                          currency=COUNTRY_BY_CODE[country].currency, vat_id=None,
                                          ibans=(random_iban(COUNTRY_BY_CODE[country], rng),)))
        self.hard = self.customers[150:]
        for customer in self.customers:  # what customers owe and nobody pays: the distractors
            for _ in range(2):
                self.invoice(customer)

    # invoices

    def seq(self, want: Callable[[int], bool] | None = None) -> int:
        """The next free sequence number (that `want` accepts)."""
        seq = self.next_seq
        while seq in self.taken or (want and not want(seq)):
            seq += 1
        self.taken.add(seq)
        while self.next_seq in self.taken:
            self.next_seq += 1
        return seq

    def claim(self, seq: int) -> bool:
        """Take a given sequence number if it is free."""
        if seq in self.taken or seq < 1 or seq > 999_999:
            return False
        self.taken.add(seq)
        while self.next_seq in self.taken:
            self.next_seq += 1
        return True

    def gross_of(self, customer: Customer, net: Decimal) -> Decimal:
        rate = _RATES[_tax_code(customer)]
        return net + quantize(net * rate, customer.currency)

    def fresh_net(self, customer: Customer, low: int = 80, high: int = 9000) -> Decimal:
        """A net whose gross no other invoice of the book has."""
        while True:
            net = Decimal(self.rng.randint(low * 100, high * 100)).scaleb(-2)
            if (customer.currency, self.gross_of(customer, net)) not in self.used_gross:
                return net

    def net_for(self, customer: Customer, gross: Decimal) -> Decimal | None:
        """A net whose gross is exactly `gross`, if the tax rate allows one."""
        rate = _RATES[_tax_code(customer)]
        guess = quantize(gross / (1 + rate), customer.currency)
        for step in (0, -1, 1, -2, 2):
            net = guess + Decimal(step).scaleb(-2)
            if self.gross_of(customer, net) == gross:
                return net
        return None

    def invoice(self, customer: Customer, net: Decimal | None = None, *, seq: int | None = None,
                issued: date | None = None, terms: str | None = None, status: str = "issued") -> Invoice:
        """A new flat invoice of the customer, numbered `INV-2026-<seq>`."""
        net = self.fresh_net(customer) if net is None else net
        seq = self.seq() if seq is None else seq
        number = f"INV-2026-{seq:06d}"
        day = issued or self.cal.value_day(self.as_of - timedelta(days=self.rng.randint(30, 95)))
        day = min(day, self.as_of - timedelta(days=12))
        inv = Invoice(f"K{len(self.invoices) + 1:06d}", customer, day, number=number, reference=rf_reference(number),
                      terms=terms, status=status, items=[(self.rng.choice(_SERVICES), Decimal(1), net, None,
                                                          _tax_code(customer))])
        inv.gross = self.gross_of(customer, net)
        if status == "void":
            inv.void_reason = "Wrong prices, reissued"
        self.used_gross.add((customer.currency, inv.gross))
        self.invoices.append(inv)
        return inv

    def credit_note(self, original: Invoice, net: Decimal) -> Invoice:
        number = f"CN-2026-{self.credit_seq:06d}"
        self.credit_seq += 1
        day = self.cal.value_day(original.issue_date + timedelta(days=self.rng.randint(2, 8)))
        note = Invoice(f"K{len(self.invoices) + 1:06d}", original.customer, day, kind="credit_note", number=number,
                       reference=rf_reference(number), corrects=original,
                       items=[("Credit: price reduction", Decimal(1), net, None, _tax_code(original.customer))])
        note.gross = self.gross_of(original.customer, net)
        self.invoices.append(note)
        return note

    # customers

    def customer(self, rng: random.Random, currency: str = "EUR", iban: bool = False) -> Customer:
        pool = [c for c in self.customers[:150] if c.currency == currency and (c.ibans or not iban)]
        return rng.choice(pool)

    # payments

    def pay(self, cls: str, rng: random.Random, amount: Decimal, text: str | None, truth: list[tuple[Invoice, Decimal]],
            *, customer: Customer | None = None, payer: str = "iban", name: str | None = None, iban: str | None = None,
            currency: str | None = None, day: date | None = None, after: date | None = None) -> date:
        """A payment draft; `payer` is how the customer shows: "iban", "name" (no IBAN), "unknown" (an
        account holder that is no customer) or "given" (`name` and `iban` as passed)."""
        if payer == "iban" and customer is not None:
            name = name or _bank_name(customer, rng)
            iban = customer.ibans[0] if customer.ibans else None
        elif payer == "name" and customer is not None:
            name = name or _bank_name(customer, rng)
            iban = None
        elif payer == "unknown":  # a private or clearing account: nothing tells who the customer is
            name = rng.choice(_ACCOUNT_HOLDERS)
            iban = random_iban(COUNTRY_BY_CODE["DE"], rng) if rng.random() < 0.7 else None
        if day is None:
            start = after or max((inv.issue_date for inv, _ in truth), default=self.as_of - timedelta(days=60))
            day = self.cal.value_day(start + timedelta(days=rng.randint(5, 25)))
        day = min(day, self.as_of)
        row: Row = {"amount": amount, "currency": currency or (customer.currency if customer else "EUR"),
                    "payer_name": name, "payer_iban": iban, "reference_text": text}
        self.drafts.append(_Draft(day, row, tuple((inv.key, a) for inv, a in truth), cls))
        return day

    def result(self, workbook_id: str | None) -> AdversarialSet:
        self.drafts.sort(key=lambda d: d.day)  # stable: on one day, in the order made
        payments, truth, classes = [], {}, {}
        for n, d in enumerate(self.drafts, start=1):
            payment_id = f"P{n:06d}"
            payments.append({c: d.row.get(c) for c in PAYMENTS.column_names} | {"payment_id": payment_id,
                                                                                  "value_date": d.day})
            truth[payment_id] = d.truth
            classes[payment_id] = d.cls
        data = SampleData(
            settings=default_settings(workbook_id, _COMPANY),
            customers=tuple(c.row() for c in self.customers),
            tax_rates=tuple(dict(r) for r in STANDARD_TAX_RATES),
            invoices=tuple(inv.row() for inv in self.invoices),
            lines=tuple(line for inv in self.invoices for line in inv.line_rows()),
            payments=tuple(payments),
            truth=MappingProxyType(truth),
            scenarios=MappingProxyType(classes),
        )
        return AdversarialSet(data, MappingProxyType({inv.key: str(inv.number) for inv in self.invoices}),
                              MappingProxyType({inv.key: inv.gross for inv in self.invoices}))


def _tax_code(customer: Customer) -> str:
    return customer.country.tax_code or "S19"


def _bank_name(customer: Customer, rng: random.Random) -> str:
    """The customer's name as most banks deliver it: as written, in capitals, or without umlauts."""
    r = rng.random()
    name = customer.name if r < 0.5 else customer.name.upper()
    return bank_ascii(name) if rng.random() < 0.4 else name


def _text(rng: random.Random, options: tuple[str | None, ...], **fill: object) -> str | None:
    """One of the remittance texts, filled in (None: the payment has no text)."""
    choice = rng.choice(options)
    return None if choice is None else choice.format(**fill)


def _net(inv: Invoice) -> Decimal:
    return inv.items[0][2]


def _seq(inv: Invoice) -> int:
    return int(str(inv.number).rsplit("-", 1)[1])


def _one_digit_away(book: _Book, seq: int, rng: random.Random) -> int:
    """A free sequence number one digit (or one transposition) away from `seq`."""
    digits = f"{seq:06d}"
    options = []
    for i in range(3, 6):
        for d in "0123456789":
            if d != digits[i]:
                options.append(int(digits[:i] + d + digits[i + 1:]))
    for i in range(3, 5):
        if digits[i] != digits[i + 1]:
            options.append(int(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]))
    rng.shuffle(options)
    for option in options:
        if book.claim(option):
            return option
    raise AssertionError(f"no free number near {seq}")


# -- the classes ---------------------------------------------------------------------------


def _plain(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng)
    inv = book.invoice(customer)
    text = rng.choice((inv.reference, f"SVWZ+{inv.reference}", f"Rechnung {inv.number}", f"RE {inv.number} danke",
                       str(inv.number)))
    book.pay("plain", rng, inv.gross, text, [(inv, inv.gross)], customer=customer, payer=rng.choice(("iban", "name")))


def _typo_real_number(book: _Book, rng: random.Random) -> None:
    """The payer types B's number for its own A; B is another customer's and owes something else."""
    customer = book.customer(rng, iban=True)
    inv = book.invoice(customer)
    other = book.customer(rng)
    while other is customer:
        other = book.customer(rng)
    trap = book.invoice(other, seq=_one_digit_away(book, _seq(inv), rng))
    text = rng.choice(("Rechnung {no}", "RE {no} danke", "{no}", "Invoice {no}")).format(no=trap.number)
    book.pay("typo_real_number", rng, inv.gross, text, [(inv, inv.gross)], customer=customer,
             payer=rng.choice(("iban", "name", "unknown")))


def _number_vs_amount(book: _Book, rng: random.Random) -> None:
    """Quotes A, pays to the cent what B (one digit away) owes: B's payment with a typo."""
    customer = book.customer(rng, iban=True)
    inv = book.invoice(customer)
    owner = customer if rng.random() < 0.5 else book.customer(rng)
    quoted = book.invoice(owner, seq=_one_digit_away(book, _seq(inv), rng))
    text = rng.choice(("Rechnung {no}", "RE {no}", "{no}", "Invoice {no} thank you")).format(no=quoted.number)
    book.pay("number_vs_amount", rng, inv.gross, text, [(inv, inv.gross)], customer=customer,
             payer=rng.choice(("iban", "iban", "name", "unknown")))


def _ambiguous_equal(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    net = book.fresh_net(customer)
    first, second = book.invoice(customer, net), book.invoice(customer, net)
    book.pay("ambiguous_equal", rng, first.gross, _text(rng, _NO_TEXTS), [], customer=customer,
             payer=rng.choice(("iban", "iban", "name")), after=max(first.issue_date, second.issue_date))


def _ambiguous_pair_sum(book: _Book, rng: random.Random) -> None:
    """One invoice (or two equal ones) owes the amount, and two others add up to it too."""
    customer = book.customer(rng, iban=True)
    while True:
        whole = book.fresh_net(customer, 500, 9000)
        total = book.gross_of(customer, whole)
        part = book.fresh_net(customer, 50, int(whole) // 2)
        rest = book.net_for(customer, total - book.gross_of(customer, part))
        if rest is not None and (customer.currency, total - book.gross_of(customer, part)) not in book.used_gross:
            break
    made = [book.invoice(customer, whole)]
    if rng.random() < 0.5:
        made.append(book.invoice(customer, whole))
    made += [book.invoice(customer, part), book.invoice(customer, rest)]
    book.pay("ambiguous_pair_sum", rng, total, _text(rng, _NO_TEXTS), [], customer=customer,
             after=max(i.issue_date for i in made))


def _messy_reference(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    kind = rng.choice(("no_prefix", "zeros_dropped", "ocr", "break_number", "break_rf", "rf_lower", "rf_spaces",
                       "rf_word_trap", "rf_word"))
    trap_word = None
    if kind == "rf_word_trap":  # a number whose RF reference followed by a common word passes the checksum too
        def swallows(seq: int) -> bool:
            ref = rf_reference(f"INV-2026-{seq:06d}")
            return any(is_rf_reference(ref + w) and len(ref + w) <= 25 for w in _TRAILING_WORDS)
        seq = book.seq(swallows)
        ref = rf_reference(f"INV-2026-{seq:06d}")
        trap_word = next(w for w in _TRAILING_WORDS if is_rf_reference(ref + w) and len(ref + w) <= 25)
        inv = book.invoice(customer, seq=seq)
    else:
        inv = book.invoice(customer)
    number, ref = str(inv.number), str(inv.reference)
    seq = number.rsplit("-", 1)[1]
    if kind == "no_prefix":
        text = rng.choice(("Rechnung 2026-{s}", "RE 2026-{s} danke", "2026/{s}", "Rg. 2026{s}")).format(s=seq)
    elif kind == "zeros_dropped":
        text = rng.choice(("Rechnung INV-2026-{s}", "INV 2026 {s}", "RE INV-2026-{s} Kd {c}")).format(
            s=seq.lstrip("0"), c=customer.customer_id)
    elif kind == "ocr":
        chars = list(number)
        spots = [i for i, ch in enumerate(chars) if ch in _OCR and i >= 4]
        for i in rng.sample(spots, k=min(len(spots), rng.randint(1, 3))):
            chars[i] = _OCR[chars[i]]
        text = rng.choice(("Rechnung {n}", "{n}", "RE {n} danke")).format(n="".join(chars))
    elif kind == "break_number":
        cut = rng.randint(6, len(number) - 2)
        text = f"Rechnung {number[:cut]}\n{number[cut:]} danke"
    elif kind == "break_rf":
        cut = rng.randint(6, len(ref) - 2)
        text = f"SVWZ+{ref[:cut]}\n{ref[cut:]}"
    elif kind == "rf_lower":
        text = rng.choice(("{r}", "ref {r}", "Zahlung {r}")).format(r=ref.lower())
    elif kind == "rf_spaces":
        cuts = sorted(rng.sample(range(2, len(ref)), k=3))
        text = " ".join(ref[a:b] for a, b in zip([0, *cuts], [*cuts, len(ref)]))
    elif kind == "rf_word_trap":
        text = rng.choice(("ref {r} {w}", "{r} {w}")).format(r=ref.lower(), w=str(trap_word).lower())
    else:
        text = f"ref {ref.lower()} {rng.choice(('danke', 'vielen dank', 'gruss', 'thanks'))}"
    book.pay("messy_reference", rng, inv.gross, text, [(inv, inv.gross)], customer=customer,
             payer=rng.choice(("iban", "name", "unknown", "unknown")))


def _third_party(book: _Book, rng: random.Random) -> None:
    """Someone else pays a customer's invoices, quoting their numbers, to the cent."""
    customer = book.customer(rng)
    invs = [book.invoice(customer) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
    total = sum((i.gross for i in invs), Decimal(0))
    nos = ", ".join(str(i.number) for i in invs)
    kind = rng.choice(("parent", "treasury", "factor"))
    if kind == "parent":
        parent = book.customer(rng, iban=True)
        while parent is customer:
            parent = book.customer(rng, iban=True)
        text = rng.choice(("Zahlung fuer {sub} RE {nos}", "RE {nos}", "i.A. {sub} {nos}")).format(
            sub=bank_ascii(customer.base), nos=nos)
        name, iban = _bank_name(parent, rng), parent.ibans[0]
    elif kind == "treasury":
        text = "Kassenzeichen 5.{a:04d}.{b:06d}.{c} RE {nos}".format(
            a=rng.randint(0, 9999), b=rng.randint(0, 999999), c=rng.randint(0, 9), nos=nos)
        name, iban = rng.choice(_TREASURIES), random_iban(COUNTRY_BY_CODE["DE"], rng)
    else:
        text = rng.choice(("Abtretung {sub} RE {nos}", "Factoring Zahlung {nos} Debitor {sub}")).format(
            sub=bank_ascii(customer.base), nos=nos)
        name, iban = rng.choice(_FACTORS), random_iban(COUNTRY_BY_CODE["DE"], rng)
    book.pay("third_party", rng, total, text, [(i, i.gross) for i in invs], customer=customer, payer="given",
             name=name, iban=iban)


def _name_variant(book: _Book, rng: random.Random) -> None:
    """No IBAN, no reference: only the payer's name, as a bank spells it, and the amount."""
    customer = rng.choice(book.hard) if rng.random() < 0.6 else book.customer(rng)
    inv = book.invoice(customer)
    base, form = customer.base, customer.form
    kinds = ["branch", "umlauts", "caps"]
    if form == "GmbH":
        kinds.append("gmbh_dots")
    if len(customer.name) > 28:
        kinds += ["cut"] * 3
    if form in ("s.r.o.", "UG (haftungsbeschränkt)"):
        kinds += ["form"] * 3
    kind = rng.choice(kinds)
    if kind == "branch":
        name = f"{bank_ascii(customer.name).upper()} {rng.choice(_BRANCHES)}"
    elif kind == "umlauts":
        name = bank_ascii(customer.name)
    elif kind == "caps":
        name = bank_ascii(customer.name).upper().replace("&", "UND")
    elif kind == "gmbh_dots":
        name = f"{bank_ascii(base).upper()} G.M.B.H."
    elif kind == "cut":  # as banks cut names; kept only where no other customer's name starts the same
        limit = max(n for n in (27, 35, 70) if n < len(customer.name))
        name = bank_ascii(customer.name).upper()[:limit]
        if any(c is not customer and bank_ascii(c.name).upper().startswith(name) for c in book.customers):
            name = bank_ascii(customer.name)
    else:
        name = rng.choice({"s.r.o.": (f"{bank_ascii(base)} s.r.o.", f"{bank_ascii(base).upper()} SRO",
                                      f"{base} spol. s r.o."),
                           "UG (haftungsbeschränkt)": (f"{bank_ascii(base)} UG (haftungsbeschraenkt)",
                                                       f"{bank_ascii(base).upper()} UG HAFTUNGSBESCHRAENKT",
                                                       f"{base} UG (haftungsbeschr.)")}[form])
    book.pay("name_variant", rng, inv.gross, _text(rng, _NO_TEXTS), [(inv, inv.gross)], customer=customer,
             payer="name", name=name)


def _collective(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    kind = rng.choice(("list", "shorthand", "range", "many", "partly_quoted"))
    if kind == "shorthand":  # every other number is the customer's; the ones between are someone else's
        count = rng.choice((3, 4))
        start = book.seq(lambda s: s % 1000 <= 990 and all(s + k not in book.taken for k in range(2 * count)))
        for k in range(1, 2 * count - 1):
            book.claim(start + k)
        invs = [book.invoice(customer, seq=start + 2 * k) for k in range(count)]
        for k in range(count - 1):
            book.invoice(book.customer(rng), seq=start + 2 * k + 1)
        tails = [str(i.number)[-3:] for i in invs[1:]]
        text = f"RE {invs[0].number}, {', '.join(tails[:-1])} und {tails[-1]}"
    elif kind == "range":
        count = rng.randint(3, 6)
        start = book.seq(lambda s: all(s + k not in book.taken for k in range(count)))
        for k in range(1, count):
            book.claim(start + k)
        invs = [book.invoice(customer, seq=start + k) for k in range(count)]
        text = rng.choice(("Rechnungen {a} bis {b}", "RE {a} bis {b}", "Invoices {a} to {b}")).format(
            a=invs[0].number, b=str(invs[-1].number).rsplit("-", 1)[1])
    else:
        count = rng.randint(5, 8) if kind == "many" else rng.randint(2, 4)
        invs = [book.invoice(customer) for _ in range(count)]
        quoted = invs[:-1] if kind == "partly_quoted" else invs
        text = rng.choice(("Rechnungen {nos}", "Sammelzahlung RE {nos}", "{nos}")).format(
            nos=", ".join(str(i.number) for i in quoted))
    total = sum((i.gross for i in invs), Decimal(0))
    book.pay("collective", rng, total, text, [(i, i.gross) for i in invs], customer=customer)


def _instalment(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    inv = book.invoice(customer, book.fresh_net(customer, 1500, 9000))
    count = rng.choice((2, 3))
    share = quantize(inv.gross / count, customer.currency)
    day = inv.issue_date
    for k in range(count):
        amount = share if k < count - 1 else inv.gross - share * (count - 1)
        text = (f"{k + 1}. Rate {inv.number}" if k < count - 1 else f"Restzahlung {inv.number}")
        day = book.pay("instalment", rng, amount, text, [(inv, amount)], customer=customer,
                       day=book.cal.value_day(day + timedelta(days=rng.randint(7, 14))))


def _discount(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    issued = book.cal.value_day(book.as_of - timedelta(days=rng.randint(20, 80)))
    inv = book.invoice(customer, issued=issued, terms="2/10 NET30")
    amount = quantize(inv.gross * Decimal("0.98"), customer.currency)
    late = rng.random() < 0.12
    if late:  # taken after the discount days: a partial payment of the invoice
        day = book.cal.value_day(inv.issue_date + timedelta(days=rng.randint(16, 20)))
        text: str | None = f"{inv.number} abzgl. Skonto"
    else:
        days = rng.randint(2, 7)
        while (book.cal.value_day(inv.issue_date + timedelta(days=days)) - inv.issue_date).days > 10:
            days -= 1
        day = book.cal.value_day(inv.issue_date + timedelta(days=days))
        text = _text(rng, ("{no} abzgl. 2% Skonto", "Rechnung {no} Skonto 2%", "{ref}", None),
                     no=inv.number, ref=inv.reference)
    book.pay("discount", rng, amount, text, [(inv, amount)], customer=customer, day=day)


def _overpaid(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    inv = book.invoice(customer)
    if rng.random() < 0.7:
        extra = Decimal(rng.randint(100, 25000)).scaleb(-2)
        book.pay("overpaid", rng, inv.gross + extra, f"Rechnung {inv.number}", [(inv, inv.gross)], customer=customer)
    else:  # the same invoice paid twice: the second payment pays nothing that is owed
        day = book.pay("overpaid", rng, inv.gross, f"Rechnung {inv.number}", [(inv, inv.gross)], customer=customer)
        book.pay("overpaid", rng, inv.gross, rng.choice((f"Rechnung {inv.number}", inv.reference)), [],
                 customer=customer, day=book.cal.value_day(day + timedelta(days=rng.randint(2, 10))))


def _currency(book: _Book, rng: random.Random) -> None:
    currency = rng.choice(("CHF", "GBP", "USD"))
    customer = book.customer(rng, currency)
    inv = book.invoice(customer)
    text = _text(rng, ("Invoice {no}", "{ref}", "Payment {no}", None), no=inv.number, ref=inv.reference)
    book.pay("currency", rng, inv.gross, text, [(inv, inv.gross)], customer=customer,
             payer="iban" if customer.ibans else "name")


def _currency_mismatch(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, rng.choice(("CHF", "GBP", "USD")))
    inv = book.invoice(customer)
    book.pay("currency_mismatch", rng, inv.gross, f"Invoice {inv.number}", [], customer=customer,
             payer="iban" if customer.ibans else "name", currency="EUR", after=inv.issue_date)


def _credit_noted(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    inv = book.invoice(customer, book.fresh_net(customer, 400, 9000))
    note = book.credit_note(inv, quantize(_net(inv) * rng.choice((Decimal("0.1"), Decimal("0.25"),
                                                                             Decimal("0.5"))), customer.currency))
    owed = inv.gross - note.gross
    text = _text(rng, ("Rechnung {no} abzgl. Gutschrift {cn}", "RE {no}", "{no} / {cn}", None),
                 no=inv.number, cn=note.number)
    book.pay("credit_noted", rng, owed, text, [(inv, owed)], customer=customer,
             after=note.issue_date)


def _void_or_credited(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    if rng.random() < 0.5:
        inv = book.invoice(customer, status="void")
    else:
        inv = book.invoice(customer)
        book.credit_note(inv, _net(inv))
    text = rng.choice(("Rechnung {no}", "{ref}", "RE {no} danke")).format(no=inv.number, ref=inv.reference)
    book.pay("void_or_credited", rng, inv.gross, text, [], customer=customer, after=inv.issue_date + timedelta(days=9))


def _void_reissued(book: _Book, rng: random.Random) -> None:
    customer = book.customer(rng, iban=True)
    void = book.invoice(customer, status="void")
    reissue = book.invoice(customer, issued=book.cal.value_day(void.issue_date + timedelta(days=rng.randint(1, 5))))
    text = rng.choice(("Rechnung {no}", "RE {no} danke")).format(no=void.number)
    book.pay("void_reissued", rng, reissue.gross, text, [(reissue, reissue.gross)], customer=customer)


def _partial_near_coincidence(book: _Book, rng: random.Random) -> None:
    """The payer pays part of its own A, quoting A; B, one digit away and another customer's,
    owes exactly that part. The payer speaks for A, the amount for B: neither wins."""
    customer = book.customer(rng, iban=True)
    inv = book.invoice(customer, book.fresh_net(customer, 4000, 9000))
    other = book.customer(rng)
    while other is customer:
        other = book.customer(rng)
    near = book.invoice(other, book.fresh_net(other, 300, 3000), seq=_one_digit_away(book, _seq(inv), rng))
    text = rng.choice(("1. Rate {no}", "Anzahlung {no}", "Teilzahlung RE {no}")).format(no=inv.number)
    book.pay("partial_near_coincidence", rng, near.gross, text, [], customer=customer,
             payer=rng.choice(("iban", "name")), after=max(inv.issue_date, near.issue_date))


def _collective_rest_ambiguous(book: _Book, rng: random.Random) -> None:
    """Quotes A and pays more: the rest is what each of two equal items owes, so only A is paid."""
    customer = book.customer(rng, iban=True)
    inv = book.invoice(customer)
    net = book.fresh_net(customer)
    first, second = book.invoice(customer, net), book.invoice(customer, net)
    book.pay("collective_rest_ambiguous", rng, inv.gross + first.gross, f"Rechnung {inv.number}", [(inv, inv.gross)],
             customer=customer, after=max(inv.issue_date, first.issue_date, second.issue_date))


def _void_reissue_ambiguous(book: _Book, rng: random.Random) -> None:
    """Quotes a void invoice; the reissue and another item of the customer owe the same amount."""
    customer = book.customer(rng, iban=True)
    void = book.invoice(customer, status="void")
    net = book.fresh_net(customer)
    reissue = book.invoice(customer, net, issued=book.cal.value_day(void.issue_date + timedelta(days=2)))
    twin = book.invoice(customer, net)
    book.pay("void_reissue_ambiguous", rng, reissue.gross, f"Rechnung {void.number}", [], customer=customer,
             after=max(reissue.issue_date, twin.issue_date))


def _unrelated(book: _Book, rng: random.Random) -> None:
    text = rng.choice(_UNRELATED_TEXTS).format(m=rng.randint(1, 10), q=rng.randint(1, 3), n=rng.randint(1000, 999999),
                                               seq=int(str(rng.choice(book.invoices).number).rsplit("-", 1)[1]))
    amount = Decimal(rng.randint(500, 400000)).scaleb(-2)
    while ("EUR", amount) in book.used_gross:
        amount += Decimal("0.01")
    if rng.random() < 0.25:  # a customer that is also a supplier sends a refund
        customer = book.customer(rng, iban=True)
        book.pay("unrelated", rng, amount, text, [], customer=customer, after=book.as_of - timedelta(days=60))
    else:
        book.pay("unrelated", rng, amount, text, [], payer="given", name=rng.choice(_STRANGERS),
                 iban=random_iban(COUNTRY_BY_CODE["DE"], rng), after=book.as_of - timedelta(days=60))


def _amount_coincidence(book: _Book, rng: random.Random) -> None:
    """A stranger's credit for exactly what a customer owes on an invoice nobody pays."""
    customer = book.customer(rng)
    inv = book.invoice(customer)
    text = _text(rng, _UNRELATED_TEXTS + (None, "Zahlung", "Erstattung"),
        m=rng.randint(1, 10), q=rng.randint(1, 3), n=rng.randint(1000, 999999), seq=rng.randint(1, 999999))
    book.pay("amount_coincidence", rng, inv.gross, text, [], payer="given", name=rng.choice(_STRANGERS),
             iban=random_iban(COUNTRY_BY_CODE["DE"], rng), after=inv.issue_date)


_MAKERS: dict[str, Callable[[_Book, random.Random], None]] = {
    "plain": _plain,
    "typo_real_number": _typo_real_number,
    "number_vs_amount": _number_vs_amount,
    "ambiguous_equal": _ambiguous_equal,
    "ambiguous_pair_sum": _ambiguous_pair_sum,
    "messy_reference": _messy_reference,
    "third_party": _third_party,
    "name_variant": _name_variant,
    "collective": _collective,
    "instalment": _instalment,
    "discount": _discount,
    "overpaid": _overpaid,
    "currency": _currency,
    "currency_mismatch": _currency_mismatch,
    "credit_noted": _credit_noted,
    "void_or_credited": _void_or_credited,
    "void_reissued": _void_reissued,
    "unrelated": _unrelated,
    "amount_coincidence": _amount_coincidence,
    "partial_near_coincidence": _partial_near_coincidence,
    "collective_rest_ambiguous": _collective_rest_ambiguous,
    "void_reissue_ambiguous": _void_reissue_ambiguous,
}
