"""The sample's customers: unique company names, terms, VAT ids, IBANs and paying habits.

The first customers are chosen so that even a tiny sample has reverse charge, a foreign
currency and every payment terms code; after them countries, legal forms, terms and
paying behaviour are drawn by weight.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from billing.sample.addresses import particulars
from billing.sample.countries import COUNTRY_BY_CODE, COUNTRY_WEIGHTS, FIRST_COUNTRIES, Country
from billing.sample.data import Row
from billing.sample.draws import weighted_choice
from billing.sample.identifiers import random_iban, random_vat_id

#: added to a company name when the plain one is taken
_QUALIFIERS = ("Nord", "Süd", "West", "Ost", "Rhein-Main", "Berlin", "Hamburg", "München", "Sachsen", "Franken")
_TERMS_CHOICES = (("NET30", 45), ("NET14", 20), ("EOM30", 10), ("2/10 NET30", 12), ("DUE", 5), (None, 8))
#: how customers pay: (name, weight, earliest and latest day relative to the due date, share never paid)
_BEHAVIOURS = (("punctual", 45, -7, 3, 0.01), ("late", 35, 1, 30, 0.03), ("slow", 15, 15, 60, 0.06),
               ("bad", 5, 30, 90, 0.6))
_BEHAVIOUR_WEIGHTS = tuple((b, b[1]) for b in _BEHAVIOURS)
_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


@dataclass
class Customer:
    """One customer; `behaviour` is its entry of the paying habits (see `_BEHAVIOURS`)."""

    customer_id: str
    country: Country
    base: str  # the name without its legal form
    form: str
    currency: str
    terms: str | None
    vat_id: str | None
    email: str
    ibans: tuple[str, ...]
    behaviour: tuple[str, int, int, int, float]
    #: address, buyer reference, electronic address, format, invoice e-mail (`add_particulars`)
    particulars: dict[str, str | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The full company name: base and legal form."""
        return f"{self.base} {self.form}"

    def row(self) -> Row:
        """The customer's Customers row."""
        return {
            "customer_id": self.customer_id,
            "name": self.name,
            "vat_id": self.vat_id,
            "email": self.email,
            "currency": self.currency,
            "terms": self.terms,
            "iban": ";".join(self.ibans) or None,
            **self.particulars,
        }


def make_customers(count: int, rng: random.Random) -> list[Customer]:
    """`count` customers C0001, C0002, ... with unique names; the first cover every terms code."""
    used_names: set[str] = set()
    terms_cover = [code for code, _ in _TERMS_CHOICES if code]
    rng.shuffle(terms_cover)  # the first customers cover every terms code
    customers = []
    for i in range(count):
        if i < len(FIRST_COUNTRIES):
            country = COUNTRY_BY_CODE[FIRST_COUNTRIES[i]]
        else:
            country = weighted_choice(rng, COUNTRY_WEIGHTS)  # type: ignore[assignment]
        base = _company_base(country, rng, used_names)
        form = str(weighted_choice(rng, country.forms))
        pays_euro = country.code == "CH" and i >= len(FIRST_COUNTRIES) and rng.random() < 0.2
        currency = "EUR" if pays_euro else country.currency
        terms = terms_cover[i] if i < len(terms_cover) else weighted_choice(rng, _TERMS_CHOICES)
        ibans: tuple[str, ...] = ()
        if country.banks:
            ibans = tuple(random_iban(country, rng) for _ in range(2 if rng.random() < 0.12 else 1))
        behaviour = weighted_choice(rng, _BEHAVIOUR_WEIGHTS)
        customers.append(
            Customer(
                customer_id=f"C{i + 1:04d}",
                country=country,
                base=base,
                form=form,
                currency=currency,
                terms=terms,  # type: ignore[arg-type]
                vat_id=random_vat_id(country.code, rng),
                email=f"{rng.choice(country.mailbox)}@{_slug(base)}.{country.tld}",
                ibans=ibans,
                behaviour=behaviour,  # type: ignore[arg-type]
            )
        )
    return customers


def add_particulars(customers: list[Customer], rng: random.Random) -> None:
    """Each customer's particulars for issuing documents, from a generator of their own."""
    for customer in customers:
        customer.particulars = particulars(customer.country.code, customer.vat_id, customer.email, rng)


def _company_base(country: Country, rng: random.Random, used: set[str]) -> str:
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


def bank_ascii(text: str) -> str:
    """German transliteration, then accents dropped: what a bank statement shows.

    >>> bank_ascii("Krüger Weißenburg Lefèvre")
    'Krueger Weissenburg Lefevre'
    """
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _slug(text: str) -> str:
    """A company name as the label of its mail domain.

    >>> _slug("Böhm Gebäudeservice Süd")
    'boehm-gebaeudeservice-sued'
    """
    return re.sub(r"[^a-z0-9]+", "-", bank_ascii(text).lower()).strip("-")
