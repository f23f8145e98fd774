"""Deterministic, realistic sample data for a billing workbook (pure Python, no Excel).

`generate_sample(invoices, seed, as_of)` builds the rows of the six input sheets of the
workbook contract for a German issuer with mostly German and a few foreign customers:
valid VAT ids (python-stdnum) and IBANs (schwifty), gap-free invoice numbers with ISO 11649
RF payment references, invoice lines from a product list, and a bank statement whose
payments exercise a matcher (RF references, invoice numbers in free text and with typos,
combined, partial, short, discounted and over payments, payments by name and amount only,
unrelated noise). What each payment really pays is recorded in `SampleData.truth`, so a
matcher's precision and recall can be measured.

Everything except `workbook_id` is a function of `(invoices, seed, as_of)`: every random
choice comes from `random.Random` instances seeded from `seed`, nothing iterates a set,
and nothing reads the clock.
"""

from __future__ import annotations

import calendar
import random
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate
from types import MappingProxyType
from typing import Mapping, NamedTuple

import holidays
from schwifty import IBAN
from stdnum import iso11649, luhn
from stdnum.at import uid as at_uid
from stdnum.iso7064 import mod_11_10, mod_97_10

from billing.gcpause import gc_paused
from billing.contract import CUSTOMERS, INVOICE_LINES, INVOICES, PAYMENTS, TAX_RATES
from billing.money import quantize
from billing.settings import DEFAULT_CREDIT_NOTE_SERIES, DEFAULT_INVOICE_SERIES, SETTING_DEFAULTS
from billing.terms import Terms, parse_terms

#: The `as_of` date used when none is given, fixed so that sample data is reproducible.
DEFAULT_AS_OF = date(2026, 10, 31)

Row = dict[str, object]
Allocation = tuple[str, Decimal]


#: A small standard list of German tax codes (rates are fractions).
STANDARD_TAX_RATES: tuple[Row, ...] = (
    {"tax_code": "S19", "rate": Decimal("0.19"), "kind": "standard", "description": "Standard rate 19 %"},
    {"tax_code": "R7", "rate": Decimal("0.07"), "kind": "reduced", "description": "Reduced rate 7 % (books, food)"},
    {"tax_code": "Z0", "rate": Decimal("0"), "kind": "zero", "description": "Zero rate: export outside the EU"},
    {"tax_code": "EX", "rate": Decimal("0"), "kind": "exempt", "description": "Exempt (§ 4 UStG, e.g. training)"},
    {
        "tax_code": "RC",
        "rate": Decimal("0"),
        "kind": "reverse_charge",
        "description": "Reverse charge: the EU business customer accounts for the VAT",
    },
)

#: The payment situations the sample's bank statement contains (keys of `SampleData.scenarios`).
SCENARIOS: tuple[str, ...] = (
    "reference",  # quotes the invoice's RF creditor reference
    "invoice_no",  # quotes the invoice number in free text
    "typo",  # quotes the invoice number with a typo
    "combined",  # pays 2-3 invoices of one customer, quoting all numbers
    "combined_noref",  # pays 2-3 invoices of one customer, no reference at all
    "partial",  # pays part of an invoice
    "short",  # pays up to 0.05 less (bank fee)
    "discount",  # pays within the discount days less the early-payment discount
    "overpaid",  # pays more than the invoice, beyond the match tolerance
    "name_amount",  # no reference: only the payer's name, IBAN and the amount
    "noise",  # has nothing to do with any invoice
)

SAMPLE_COMPANY_NAME = "Lindenhof Digital GmbH"
_DEFAULT_TERMS = SETTING_DEFAULTS["default_terms"][0]
_HISTORY_DAYS = 92  # invoices are issued over about three months before as_of
_UNNUMBERED_DAYS = 3  # issued invoices this recent are not numbered yet
_TAXABLE_KINDS = ("standard", "reduced")


@dataclass(frozen=True)
class SampleData:
    """Rows of the six input sheets, keyed by contract column names, plus the truth.

    Blank cells are None; values are str, int, `datetime.date` or `Decimal`.
    `truth[payment_id]` is what that payment really pays: `(invoice_key, amount)` pairs,
    empty for noise. `scenarios[payment_id]` names the situation (one of `SCENARIOS`).
    """

    settings: tuple[tuple[str, object], ...]
    customers: tuple[Row, ...]
    tax_rates: tuple[Row, ...]
    invoices: tuple[Row, ...]
    lines: tuple[Row, ...]
    payments: tuple[Row, ...]
    truth: Mapping[str, tuple[Allocation, ...]] = field(default_factory=lambda: MappingProxyType({}))
    scenarios: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def workbook_id(self) -> str | None:
        """The `workbook_id` setting."""
        return dict(self.settings).get("workbook_id")  # type: ignore[return-value]

    def rows(self, sheet_name: str) -> tuple[Row, ...]:
        """The rows of an input sheet by its contract name (Settings as key/value rows)."""
        if sheet_name == "Settings":
            return tuple({"key": key, "value": value} for key, value in self.settings)
        by_name = {
            CUSTOMERS.name: self.customers,
            TAX_RATES.name: self.tax_rates,
            INVOICES.name: self.invoices,
            INVOICE_LINES.name: self.lines,
            PAYMENTS.name: self.payments,
        }
        return by_name[sheet_name]


def default_settings(workbook_id: str | None = None, company_name: str | None = None) -> tuple[tuple[str, object], ...]:
    """Every contract setting (`billing.settings.SETTING_DEFAULTS`) with its default.

    `workbook_id` is a fresh uuid4 unless given; a blank default is None; the match
    tolerance is an amount, so a Decimal (a number cell, not text that looks like one).
    """
    given = {"workbook_id": workbook_id or str(uuid.uuid4()), "company_name": company_name}
    rows = []
    for key, (default, _meaning) in SETTING_DEFAULTS.items():
        value: object = given[key] if key in given else (default or None)
        if key == "match_tolerance" and isinstance(value, str):
            value = Decimal(value)
        rows.append((key, value))
    return tuple(rows)


def generate_sample(
    invoices: int,
    seed: int = 0,
    as_of: date | None = None,
    *,
    workbook_id: str | None = None,
) -> SampleData:
    """Sample data with `invoices` Invoices rows issued in the ~3 months before `as_of`.

    `as_of` defaults to `DEFAULT_AS_OF` (2026-10-31); no payment is dated after it.
    `workbook_id` defaults to a fresh uuid4, since it must be unique per workbook;
    everything else is a function of `(invoices, seed, as_of)`.
    """
    if invoices < 0:
        raise ValueError("invoices must not be negative")
    with gc_paused():  # millions of acyclic objects: the cycle collector only costs time
        return _generate(invoices, seed, as_of or DEFAULT_AS_OF, workbook_id)


def _generate(invoices: int, seed: int, as_of: date, workbook_id: str | None) -> SampleData:
    calendar_ = _Calendar(as_of - timedelta(days=_HISTORY_DAYS + 10), as_of)
    customers = _make_customers(max(5, invoices // 20), _rng(seed, "customers"))
    invs = _make_invoices(invoices, customers, as_of, calendar_, _rng(seed, "invoices"))
    plans = _plan_payments(invs, as_of, calendar_, _rng(seed, "payments"))
    payments, truth, scenarios = _write_payments(plans, customers, invs, as_of, calendar_, _rng(seed, "statement"))
    return SampleData(
        settings=default_settings(workbook_id, SAMPLE_COMPANY_NAME),
        customers=tuple(c.row() for c in customers),
        tax_rates=tuple(dict(r) for r in STANDARD_TAX_RATES),
        invoices=tuple(inv.row() for inv in invs),
        lines=tuple(line for inv in invs for line in inv.line_rows()),
        payments=payments,
        truth=MappingProxyType(truth),
        scenarios=MappingProxyType(scenarios),
    )


def _rng(seed: int, part: str) -> random.Random:
    """An independent generator per part, so one part's draws never shift another's."""
    return random.Random(f"xlbilling-sample:{seed}:{part}")


# --------------------------------------------------------------------------- amounts


def _invoice_gross(
    items: list[tuple[Decimal, Decimal, Decimal | None, str]],
    discount_pct: Decimal | None,
    currency: str,
) -> Decimal:
    """Gross of an invoice from `(quantity, unit_price, line_discount, tax_code)` items.

    Replaced by billing's invoice computation in a later issue.

    line net = round(qty x price x (1 - line discount)); per tax code the invoice
    discount is group net - round(group net x pct) and the tax round(group net x rate)
    (0 for zero, exempt and reverse charge); gross = sum of net + tax. Rounding is
    half_up to the currency's minor unit. Credit notes come out positive too.
    """
    groups: dict[str, Decimal] = {}
    for quantity, price, line_discount, code in items:
        net = quantize(quantity * price * (1 - (line_discount or 0)), currency)
        groups[code] = groups.get(code, Decimal(0)) + net
    gross = Decimal(0)
    for code, net in groups.items():
        if discount_pct:
            net -= quantize(net * discount_pct, currency)
        gross += net + quantize(net * _TAX_RATE[code], currency)
    return gross


_TAX_RATE: dict[str, Decimal] = {
    str(r["tax_code"]): (r["rate"] if r["kind"] in _TAXABLE_KINDS else Decimal(0))  # type: ignore[misc]
    for r in STANDARD_TAX_RATES
}


def _plain(quantity: Decimal) -> Decimal:
    """A quantity without trailing zeros and never in exponent form: 3, 2.5, 0.25."""
    if quantity == quantity.to_integral_value():
        return quantity.quantize(Decimal(1))
    return quantity.normalize()


def _randint(rng: random.Random, low: int, high: int) -> int:
    """`rng.randint` for the hot loops: the same distribution, a third of the cost."""
    return low + int(rng.random() * (high - low + 1))


def _cents(rng: random.Random, low: int, high: int) -> Decimal:
    """A random amount between low and high units with two decimals."""
    return Decimal(_randint(rng, low * 100, high * 100)).scaleb(-2)


@lru_cache(maxsize=None)
def _terms(code: str) -> Terms:
    return parse_terms(code)


def _due_date(issue: date, terms: Terms) -> date:
    if terms.basis == "eom":
        issue = issue.replace(day=calendar.monthrange(issue.year, issue.month)[1])
    return issue + timedelta(days=terms.days)


# --------------------------------------------------------------------------- calendar


class _Calendar:
    """Business days: issue dates skip German holidays, value dates TARGET2 closing days."""

    def __init__(self, start: date, end: date):
        years = list(range(start.year, end.year + 2))
        self._office = holidays.country_holidays("DE", years=years)
        self._bank = holidays.financial_holidays("XECB", years=years)

    def issue_days(self, start: date, end: date) -> list[date]:
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        return [d for d in days if d.weekday() < 5 and d not in self._office]

    def value_day(self, day: date) -> date:
        """The first bank business day on or after `day`."""
        while day.weekday() >= 5 or day in self._bank:
            day += timedelta(days=1)
        return day


# --------------------------------------------------------------------------- customers


class _Country(NamedTuple):
    code: str
    weight: int
    currency: str
    tax_code: str  # the tax code of every line, or "" for the product's own (domestic)
    tld: str
    mailbox: tuple[str, ...]
    first: tuple[str, ...]
    sector: tuple[str, ...]
    forms: tuple[tuple[str, int], ...]
    banks: tuple[tuple[str, str], ...]  # (bank_code, branch_code)


_DE_SECTORS = (
    "Logistik", "Maschinenbau", "Medientechnik", "Bau", "Elektrotechnik", "Software", "Consulting",
    "Handel", "Druckerei", "Gebäudeservice", "Verpackung", "Automation", "Energietechnik",
    "Feinkost", "Textil", "Kunststofftechnik", "Metallbau", "Immobilien", "Reisen",
    "Labortechnik", "Holzbau", "Werbeagentur", "IT-Service", "Medizintechnik",
)
_COUNTRIES: tuple[_Country, ...] = (
    _Country(
        "DE", 80, "EUR", "", "de", ("rechnung", "buchhaltung", "kreditoren", "rechnungseingang"),
        (
            "Nordwind", "Bergmann", "Sonnenfeld", "Hansa", "Rheinland", "Lindner", "Falkenstein", "Weber",
            "Eichenhof", "Alster", "Brandt", "Kessler", "Adler", "Greif", "Isar", "Elbtal", "Schwarzwald",
            "Ostsee", "Hoffmann", "Lorenz", "Krüger", "Schubert", "Vogel", "Wagner", "Zeller", "Moosburg",
            "Tannenberg", "Mainfeld", "Spree", "Harz", "Böhm", "Weißenburg",
        ),
        _DE_SECTORS,
        (("GmbH", 60), ("GmbH & Co. KG", 15), ("AG", 8), ("KG", 7), ("e.K.", 5), ("UG (haftungsbeschränkt)", 5)),
        (("37040044", ""), ("50010517", ""), ("10010010", ""), ("20050550", ""), ("70150000", ""),
         ("43060967", ""), ("60050101", ""), ("30050110", "")),
    ),
    _Country(
        "AT", 5, "EUR", "RC", "at", ("rechnung", "buchhaltung"),
        ("Hofer", "Gruber", "Huber", "Steiner", "Moser", "Pichler", "Alpen", "Donau", "Tauern", "Wachau"),
        _DE_SECTORS,
        (("GmbH", 70), ("KG", 15), ("AG", 15)),
        (("12000", ""), ("20111", ""), ("14000", ""), ("32000", "")),
    ),
    _Country(
        "NL", 3, "EUR", "RC", "nl", ("facturen", "crediteuren"),
        ("Van Dijk", "De Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "De Boer", "Mulder", "Polder"),
        ("Logistiek", "Techniek", "Consultancy", "Installatietechniek", "Handelsonderneming", "Software"),
        (("B.V.", 100),),
        (("ABNA", ""), ("INGB", ""), ("RABO", "")),
    ),
    _Country(
        "FR", 2, "EUR", "RC", "fr", ("comptabilite", "factures"),
        ("Dupont", "Martin", "Bernard", "Moreau", "Lefèvre", "Rousseau", "Garnier", "Fontaine", "Chevalier", "Lumière"),
        ("Services", "Ingénierie", "Conseil", "Distribution", "Informatique", "Transports"),
        (("SARL", 45), ("SAS", 40), ("SA", 15)),
        (("30006", "00001"), ("30004", "00828")),
    ),
    _Country(
        "BE", 2, "EUR", "RC", "be", ("invoices", "facturen"),
        ("Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Claes", "Brabant", "Schelde", "Ardennes"),
        ("Services", "Consult", "Logistics", "Engineering", "Trading"),
        (("NV", 45), ("BV", 35), ("SA", 20)),
        (("001", ""), ("310", ""), ("735", "")),
    ),
    _Country(
        "CH", 4, "CHF", "Z0", "ch", ("kreditoren", "rechnungen"),
        ("Alpenblick", "Zürichsee", "Matterhorn", "Gotthard", "Keller", "Meier", "Brunner", "Baumann", "Rigi"),
        _DE_SECTORS,
        (("AG", 70), ("GmbH", 30)),
        (("00230", ""), ("00700", ""), ("09000", "")),
    ),
    _Country(
        "GB", 2, "GBP", "Z0", "co.uk", ("accounts.payable", "invoices"),
        ("Thames", "Pennine", "Albion", "Harrington", "Whitmore", "Ashford", "Kingsley", "Northgate", "Cotswold"),
        ("Analytics", "Engineering", "Logistics", "Consulting", "Software", "Trading"),
        (("Ltd", 80), ("PLC", 10), ("LLP", 10)),
        (("NWBK", "601613"), ("BARC", "200000"), ("HBUK", "400515"), ("LOYD", "309634")),
    ),
    _Country(
        "US", 2, "USD", "Z0", "com", ("ap", "accounts.payable"),
        ("Redwood", "Summit", "Lakeshore", "Pioneer", "Liberty", "Cascade", "Granite", "Prairie", "Hudson"),
        ("Systems", "Technologies", "Industries", "Analytics", "Supply", "Labs"),
        (("Inc.", 60), ("LLC", 30), ("Corp.", 10)),
        (),  # US accounts have no IBAN
    ),
)
_COUNTRY = {c.code: c for c in _COUNTRIES}
#: the first customers' countries, so even a small sample has reverse charge and a foreign currency
_FIRST_COUNTRIES = ("DE", "DE", "NL", "CH", "DE")
_QUALIFIERS = ("Nord", "Süd", "West", "Ost", "Rhein-Main", "Berlin", "Hamburg", "München", "Sachsen", "Franken")
_TERMS_CHOICES = (("NET30", 45), ("NET14", 20), ("EOM30", 10), ("2/10 NET30", 12), ("DUE", 5), (None, 8))
#: how customers pay: (name, weight, earliest and latest day relative to the due date, share never paid)
_BEHAVIOURS = (("punctual", 45, -7, 3, 0.01), ("late", 35, 1, 30, 0.03), ("slow", 15, 15, 60, 0.06),
               ("bad", 5, 30, 90, 0.6))


@dataclass
class _Customer:
    customer_id: str
    country: _Country
    base: str  # the name without its legal form
    form: str
    currency: str
    terms: str | None
    vat_id: str | None
    email: str
    ibans: tuple[str, ...]
    behaviour: tuple[str, int, int, int, float]

    @property
    def name(self) -> str:
        return f"{self.base} {self.form}"

    def row(self) -> Row:
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "vat_id": self.vat_id,
            "email": self.email,
            "currency": self.currency,
            "terms": self.terms,
            "iban": ";".join(self.ibans) or None,
        }


def _weighted(rng: random.Random, choices: tuple[tuple[object, int], ...]) -> object:
    """One value of `(value, weight)` pairs."""
    values, cum_weights = _cumulative(choices)
    return rng.choices(values, cum_weights=cum_weights)[0]


@lru_cache(maxsize=None)
def _cumulative(choices: tuple[tuple[object, int], ...]) -> tuple[list[object], list[int]]:
    return [c[0] for c in choices], list(accumulate(c[1] for c in choices))


def _make_customers(count: int, rng: random.Random) -> list[_Customer]:
    used_names: set[str] = set()
    terms_cover = [code for code, _ in _TERMS_CHOICES if code]
    rng.shuffle(terms_cover)  # the first customers cover every terms code
    customers = []
    for i in range(count):
        if i < len(_FIRST_COUNTRIES):
            country = _COUNTRY[_FIRST_COUNTRIES[i]]
        else:
            country = _weighted(rng, tuple((c, c.weight) for c in _COUNTRIES))  # type: ignore[assignment]
        base = _company_base(country, rng, used_names)
        form = str(_weighted(rng, country.forms))
        pays_euro = country.code == "CH" and i >= len(_FIRST_COUNTRIES) and rng.random() < 0.2
        currency = "EUR" if pays_euro else country.currency
        terms = terms_cover[i] if i < len(terms_cover) else _weighted(rng, _TERMS_CHOICES)
        ibans: tuple[str, ...] = ()
        if country.banks:
            ibans = tuple(_iban(country, rng) for _ in range(2 if rng.random() < 0.12 else 1))
        behaviour = _weighted(rng, tuple((b, b[1]) for b in _BEHAVIOURS))
        customers.append(
            _Customer(
                customer_id=f"C{i + 1:04d}",
                country=country,
                base=base,
                form=form,
                currency=currency,
                terms=terms,  # type: ignore[arg-type]
                vat_id=_VAT_MAKERS[country.code](rng) if country.code in _VAT_MAKERS else None,
                email=f"{rng.choice(country.mailbox)}@{_slug(base)}.{country.tld}",
                ibans=ibans,
                behaviour=behaviour,
            )
        )
    return customers


def _company_base(country: _Country, rng: random.Random, used: set[str]) -> str:
    """A company name without legal form, unique in the sample."""
    for attempt in range(40):
        base = f"{rng.choice(country.first)} {rng.choice(country.sector)}"
        if attempt >= 10:
            base = f"{base} {rng.choice(_QUALIFIERS)}"
        if base not in used:
            used.add(base)
            return base
    n = 2
    while f"{base} {n}" in used:
        n += 1
    used.add(f"{base} {n}")
    return f"{base} {n}"


_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


def _ascii(text: str) -> str:
    """German transliteration, then accents dropped: what a bank statement shows."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text).lower()).strip("-")


_ACCOUNT_LENGTH = {"DE": 10, "AT": 11, "NL": 10, "FR": 11, "BE": 7, "CH": 12, "GB": 8}


def _iban(country: _Country, rng: random.Random) -> str:
    """A valid IBAN at a real bank, national account checksum included (schwifty).

    German account numbers embed a check digit whose method depends on the bank, which
    `IBAN.random` solves for the pinned bank code; elsewhere the national check digits
    have their own field that `IBAN.generate` computes from an all-digit account number.
    """
    length = _ACCOUNT_LENGTH[country.code]
    for _ in range(100):
        bank, branch = rng.choice(country.banks)
        try:
            if country.code == "DE":
                iban = IBAN.random(country.code, random=rng, bank_code=bank)
            else:
                account = str(rng.randint(10 ** (length - 3), 10**length - 1)).zfill(length)
                iban = IBAN.generate(country.code, bank_code=bank, branch_code=branch, account_code=account)
            return str(IBAN(str(iban), validate_bban=True))
        except ValueError:
            continue
    raise RuntimeError(f"cannot generate an IBAN for {country.code}")


def _digits(rng: random.Random, n: int) -> str:
    """n random digits, the first not zero."""
    return str(rng.randint(10 ** (n - 1), 10**n - 1))


def _vat_de(rng: random.Random) -> str:
    body = _digits(rng, 8)
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def _vat_at(rng: random.Random) -> str:
    body = "U" + _digits(rng, 7)
    return f"AT{body}{at_uid.calc_check_digit(body)}"


def _vat_nl(rng: random.Random) -> str:
    while True:  # a BSN/RSIN-style number: weighted sum of the 9 digits divisible by 11
        body = _digits(rng, 8)
        check = sum((9 - i) * int(d) for i, d in enumerate(body)) % 11
        if check < 10:
            return f"NL{body}{check}B{rng.choice(('01', '01', '02'))}"


def _vat_fr(rng: random.Random) -> str:
    body = _digits(rng, 8)
    siren = body + luhn.calc_check_digit(body)
    return f"FR{int(siren + '12') % 97:02d}{siren}"


def _vat_be(rng: random.Random) -> str:
    body = "0" + _digits(rng, 7)
    return f"BE{body}{97 - int(body) % 97:02d}"


_VAT_MAKERS = {
    "DE": _vat_de, "AT": _vat_at, "NL": _vat_nl, "FR": _vat_fr, "BE": _vat_be,
}  # customers outside the EU carry no VAT id: the contract's vat_id is an EU VAT id


# --------------------------------------------------------------------------- invoices


class _Product(NamedTuple):
    description: str
    weight: int
    unit: str  # hours/days/metres (fractional), count
    low: int  # quantity range (in units of the step)
    high: int
    price_low: int
    price_high: int
    tax_code: str  # for domestic customers


_PRODUCTS: tuple[_Product, ...] = (
    _Product("Consulting, senior (hours)", 14, "quarter", 2, 160, 120, 180, "S19"),
    _Product("Consulting, junior (hours)", 10, "quarter", 2, 160, 75, 110, "S19"),
    _Product("Software development (hours)", 14, "quarter", 4, 160, 90, 140, "S19"),
    _Product("On-site support (hours)", 8, "quarter", 2, 40, 85, 125, "S19"),
    _Product("Travel time (hours)", 4, "half", 1, 16, 45, 70, "S19"),
    _Product("Workshop facilitation (days)", 4, "half", 1, 6, 950, 1800, "S19"),
    _Product("Software licence, annual subscription", 8, "count", 1, 10, 240, 1200, "S19"),
    _Product("Maintenance contract, monthly fee", 6, "count", 1, 3, 150, 950, "S19"),
    _Product("Cloud hosting, monthly fee", 6, "count", 1, 3, 49, 890, "S19"),
    _Product('Notebook 14", 16 GB RAM', 3, "count", 1, 10, 899, 1799, "S19"),
    _Product('Monitor 27", USB-C', 3, "count", 1, 12, 219, 449, "S19"),
    _Product("Network cabling (metres)", 2, "half", 10, 400, 2, 7, "S19"),
    _Product("Shipping and handling", 3, "count", 1, 1, 7, 49, "S19"),
    _Product("Data migration, fixed price", 2, "count", 1, 1, 1500, 9800, "S19"),
    _Product("Technical handbook (print)", 3, "count", 1, 20, 29, 89, "R7"),
    _Product("Trade journal subscription, annual", 2, "count", 1, 5, 89, 249, "R7"),
    _Product("Catering for workshop (per person)", 3, "count", 6, 40, 18, 42, "R7"),
    _Product("Training course, per participant (exempt, § 4 Nr. 21 UStG)", 2, "count", 1, 12, 390, 1450, "EX"),
)
_PRODUCT_CUM = list(accumulate(p.weight for p in _PRODUCTS))
_STEP = {"quarter": Decimal("0.25"), "half": Decimal("0.5"), "count": Decimal(1)}
_LINE_COUNTS = ((1, 30), (2, 25), (3, 20), (4, 15), (5, 10))
_LINE_DISCOUNTS = (Decimal("0.03"), Decimal("0.05"), Decimal("0.1"), Decimal("0.15"))
_VOID_REASONS = (
    "Duplicate of an invoice already sent",
    "Issued to the wrong customer",
    "Order cancelled before delivery",
    "Wrong prices, reissued",
    "Entered in error",
)


@dataclass(eq=False)
class _Invoice:
    key: str
    customer: _Customer
    issue_date: date
    kind: str = "invoice"
    status: str = "issued"
    number: str | None = None
    reference: str | None = None
    terms: str | None = None
    discount_pct: Decimal | None = None
    void_reason: str | None = None
    corrects: _Invoice | None = None
    corrected: bool = False
    #: (description, quantity, unit_price, discount_pct, tax_code); empty for an invoice without lines
    items: list[tuple[str, Decimal, Decimal, Decimal | None, str]] = field(default_factory=list)
    net: Decimal | None = None  # input net of an invoice without lines
    tax_code: str | None = None  # tax code of an invoice without lines
    gross: Decimal = Decimal(0)

    @property
    def effective_terms(self) -> str:
        return self.terms or self.customer.terms or _DEFAULT_TERMS

    @property
    def open_item(self) -> bool:
        """Numbered, issued, an invoice and not corrected by a credit note: payable."""
        return self.status == "issued" and self.kind == "invoice" and self.number is not None and not self.corrected

    def compute_gross(self) -> None:
        currency = self.customer.currency
        if self.items:
            items = [(q, p, d, code) for _, q, p, d, code in self.items]
            self.gross = _invoice_gross(items, self.discount_pct, currency)
        else:
            self.gross = _invoice_gross([(Decimal(1), self.net, None, self.tax_code)], None, currency)  # type: ignore[list-item]

    def row(self) -> Row:
        return {
            "invoice_key": self.key,
            "invoice_no": self.number,
            "kind": self.kind,
            "customer_id": self.customer.customer_id,
            "issue_date": self.issue_date,
            "terms": self.terms,
            "due_date": None,
            "currency": self.customer.currency,
            "discount_pct": self.discount_pct,
            "status": self.status,
            "void_reason": self.void_reason,
            "corrects": self.corrects.number if self.corrects else None,
            "payment_reference": self.reference,
            "tax_code": None if self.items else self.tax_code,
            "net": None if self.items else self.net,
            "tax": None,
            "gross": None,
        }

    def line_rows(self) -> list[Row]:
        return [
            {
                "invoice_key": self.key,
                "line_no": n,
                "description": description,
                "quantity": quantity,
                "unit_price": price,
                "discount_pct": discount,
                "tax_code": code,
                "net": None,
                "tax": None,
                "gross": None,
            }
            for n, (description, quantity, price, discount, code) in enumerate(self.items, start=1)
        ]


def rf_reference(invoice_no: str) -> str:
    """The ISO 11649 creditor reference (`RF..`) derived from an invoice number.

    >>> rf_reference("INV-2026-000123")
    'RF98INV2026000123'
    """
    body = re.sub(r"[^0-9A-Z]", "", invoice_no.upper())[:21]
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def _number(series: str, issue: date, counters: dict[tuple[str, int], int]) -> str:
    seq = counters.get((series, issue.year), 0) + 1
    counters[(series, issue.year)] = seq
    return series.replace("{yyyy}", f"{issue.year:04d}").format(seq=seq)


def _make_invoices(
    count: int, customers: list[_Customer], as_of: date, cal: _Calendar, rng: random.Random
) -> list[_Invoice]:
    days = cal.issue_days(as_of - timedelta(days=_HISTORY_DAYS), as_of) or [as_of]
    # some customers buy much more often than others
    activity = list(accumulate(rng.lognormvariate(0, 0.7) for _ in customers))
    buyers = rng.choices(customers, cum_weights=activity, k=count)
    drawn = sorted((days[int(rng.random() * len(days))], i, buyer) for i, buyer in enumerate(buyers))
    unnumbered_after = as_of - timedelta(days=_UNNUMBERED_DAYS)
    counters: dict[tuple[str, int], int] = {}
    history: dict[str, list[_Invoice]] = {}  # numbered invoices per customer, in order
    invoices = []
    for n, (issue, _, customer) in enumerate(drawn, start=1):
        inv = _Invoice(f"K{n:06d}", customer, issue)
        numbered = issue <= unnumbered_after
        recent = (as_of - issue).days <= 14
        earlier = [e for e in history.get(customer.customer_id, [])[-6:] if not e.corrected]
        r = rng.random()
        if r < (0.2 if recent else 0.02):
            inv.status = "draft"
        elif numbered and r < (0.2 if recent else 0.02) + 0.02:
            inv.status = "void"
            inv.void_reason = rng.choice(_VOID_REASONS)
        elif earlier and rng.random() < 0.055:
            inv.kind = "credit_note"
            inv.corrects = rng.choice(earlier)
            inv.corrects.corrected = True
        if inv.kind == "credit_note":
            _credit_items(inv, rng)
        else:
            _invoice_items(inv, rng)
        if inv.status != "draft" and numbered:
            series = DEFAULT_CREDIT_NOTE_SERIES if inv.kind == "credit_note" else DEFAULT_INVOICE_SERIES
            inv.number = _number(series, issue, counters)
            inv.reference = rf_reference(inv.number)
            if inv.kind == "invoice" and inv.status == "issued":
                history.setdefault(customer.customer_id, []).append(inv)
        if rng.random() < 0.07:
            inv.terms = rng.choice(("NET14", "NET30", "NET60", "DUE", "2/10 NET30"))
        inv.compute_gross()
        invoices.append(inv)
    return invoices


def _invoice_items(inv: _Invoice, rng: random.Random) -> None:
    domestic_code = inv.customer.country.tax_code
    if rng.random() < 0.10:  # no lines: a flat fee with its own tax code and net
        inv.tax_code = domestic_code or ("S19" if rng.random() < 0.9 else "R7")
        inv.net = Decimal(rng.randint(5, 120) * 50) if rng.random() < 0.7 else _cents(rng, 150, 6000)
        return
    if rng.random() < 0.06:
        inv.discount_pct = rng.choice((Decimal("0.05"), Decimal("0.1")))
    n_lines = int(_weighted(rng, _LINE_COUNTS))  # type: ignore[call-overload]
    for product in rng.choices(_PRODUCTS, cum_weights=_PRODUCT_CUM, k=n_lines):
        quantity = _randint(rng, product.low, product.high) * _STEP[product.unit]
        if product.unit == "count" or product.price_high < 20:
            price = _cents(rng, product.price_low, product.price_high)
        else:  # rates and list prices are round
            price = Decimal(_randint(rng, product.price_low // 5, product.price_high // 5) * 500).scaleb(-2)
        discount = rng.choice(_LINE_DISCOUNTS) if rng.random() < 0.08 else None
        inv.items.append((product.description, _plain(quantity), price, discount, domestic_code or product.tax_code))


def _credit_items(inv: _Invoice, rng: random.Random) -> None:
    """A credit note gives back part or all of the corrected invoice."""
    original = inv.corrects
    assert original is not None
    if not original.items:
        inv.tax_code = original.tax_code
        inv.net = quantize(original.net * rng.choice((Decimal(1), Decimal("0.5"), Decimal("0.2"))),  # type: ignore[operator]
                           original.customer.currency)
        return
    inv.discount_pct = original.discount_pct
    chosen = sorted(rng.sample(range(len(original.items)), k=rng.randint(1, min(2, len(original.items)))))
    for index in chosen:
        description, quantity, price, discount, code = original.items[index]
        if quantity > 1 and rng.random() < 0.5:
            quantity = max(Decimal(1), (quantity / 2).to_integral_value())
        inv.items.append((f"Credit: {description}", quantity, price, discount, code))


# --------------------------------------------------------------------------- payments


@dataclass(eq=False)
class _Plan:
    scenario: str
    invoices: list[_Invoice]
    pay_date: date


_SINGLE_WEIGHTS = (
    ("reference", 34), ("invoice_no", 22), ("typo", 7), ("name_amount", 10),
    ("partial", 5), ("short", 5), ("overpaid", 3),
)


def _pay_date(inv: _Invoice, rng: random.Random) -> date | None:
    """When the customer pays this invoice (may be after as_of), or None if never."""
    _, _, early, late, never = inv.customer.behaviour
    if rng.random() < never:
        return None
    due = _due_date(inv.issue_date, _terms(inv.effective_terms))
    return max(inv.issue_date + timedelta(days=1), due + timedelta(days=rng.randint(early, late)))


def _plan_payments(invoices: list[_Invoice], as_of: date, cal: _Calendar, rng: random.Random) -> list[_Plan]:
    """Which invoices are paid, when, and how; unpaid ones are simply left out."""
    paid: dict[str, list[tuple[_Invoice, date, bool]]] = {}
    for inv in invoices:
        if not inv.open_item:
            continue
        terms = _terms(inv.effective_terms)
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
    plans: list[_Plan] = []
    for items in paid.values():  # customers in first-invoice order: deterministic
        i = 0
        while i < len(items):
            inv, day, discount = items[i]
            if discount:
                plans.append(_Plan("discount", [inv], day))
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
                plans.append(_Plan(scenario, [g[0] for g in group], max(g[1] for g in group)))
            else:
                scenario = str(_weighted(rng, _SINGLE_WEIGHTS))
                if scenario == "name_amount" and not inv.customer.ibans:
                    scenario = "invoice_no"
                plans.append(_Plan(scenario, [inv], day))
            i += len(group)
    _cover_scenarios(plans, as_of, cal, rng)
    return plans


def _cover_scenarios(plans: list[_Plan], as_of: date, cal: _Calendar, rng: random.Random) -> None:
    """Turn some plain reference payments into any scenario chance left out, so that
    every scenario appears whenever the sample is big enough to hold it."""
    present = {p.scenario for p in plans}
    for scenario in SCENARIOS:
        if scenario in present or scenario == "noise":
            continue
        plain = [p for p in plans if p.scenario == "reference"]
        if scenario in ("combined", "combined_noref"):
            by_customer: dict[str, list[_Plan]] = {}
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


def _payer_name(customer: _Customer, rng: random.Random) -> str:
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
    return _ascii(name) if rng.random() < 0.3 else name


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


def _write_payments(
    plans: list[_Plan],
    customers: list[_Customer],
    invoices: list[_Invoice],
    as_of: date,
    cal: _Calendar,
    rng: random.Random,
) -> tuple[tuple[Row, ...], dict[str, tuple[Allocation, ...]], dict[str, str]]:
    numbers = {inv.number for inv in invoices if inv.number}
    drafts: list[tuple[date, int, Row, tuple[Allocation, ...], str]] = []

    def add(day: date, row: Row, truth: list[Allocation], scenario: str) -> None:
        drafts.append((day, len(drafts), row, tuple(truth), scenario))

    for plan in plans:
        inv = plan.invoices[0]
        customer = inv.customer
        row: Row = {
            "currency": customer.currency,
            "payer_name": _payer_name(customer, rng),
            "payer_iban": rng.choice(customer.ibans) if customer.ibans else None,
        }
        no, gross, scenario = inv.number, inv.gross, plan.scenario
        fill = {"no": no, "cid": customer.customer_id, "date": inv.issue_date.strftime("%d.%m.%Y"), "ref": inv.reference}
        truth: list[Allocation] = [(inv.key, gross)]
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
                add(rest_day, rest, [(inv.key, gross - amount)], "partial")
        elif scenario == "short":
            amount = gross - Decimal(rng.randint(1, 5)).scaleb(-2)
            truth = [(inv.key, amount)]
            text = rng.choice(_NO_TEMPLATES).format(**fill)
        elif scenario == "discount":
            discount_pct = _terms(inv.effective_terms).discount_pct or Decimal(0)
            amount = quantize(gross * (1 - discount_pct), customer.currency)
            truth = [(inv.key, amount)]
            text = rng.choice(_DISCOUNT_TEXTS).format(pct=f"{(discount_pct * 100).normalize():f}", **fill)
        elif scenario == "overpaid":
            amount = gross + _cents(rng, 1, 250)
            text = rng.choice(_NO_TEMPLATES).format(**fill)
        elif scenario == "name_amount":
            text = rng.choice(_NAME_ONLY_TEXTS)
        else:
            raise AssertionError(scenario)
        add(plan.pay_date, dict(row, amount=amount, reference_text=text), truth, scenario)

    if invoices:
        start = as_of - timedelta(days=_HISTORY_DAYS)
        for _ in range(max(1, round(len(plans) * 0.03))):
            day = cal.value_day(start + timedelta(days=rng.randint(0, _HISTORY_DAYS)))
            if day > as_of:
                day = start
            text = rng.choice(_NOISE_TEXTS).format(n=rng.randint(100000, 999999), q=rng.randint(1, 4), y=day.year)
            row = {
                "amount": _cents(rng, 5, 2500),
                "currency": "EUR",
                "payer_name": rng.choice(_NOISE_PAYERS),
                "payer_iban": _iban(_COUNTRY["DE"], rng),
                "reference_text": text,
            }
            add(day, row, [], "noise")

    drafts.sort(key=lambda d: (d[0], d[1]))
    payments, truth_by_id, scenarios = [], {}, {}
    for n, (day, _, row, truth, scenario) in enumerate(drafts, start=1):
        payment_id = f"P{n:06d}"
        payments.append({name: row.get(name) for name in PAYMENTS.column_names} | {"payment_id": payment_id, "value_date": day})
        truth_by_id[payment_id] = truth
        scenarios[payment_id] = scenario
    return tuple(payments), truth_by_id, scenarios
