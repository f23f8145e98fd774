"""Who paid: a payment's payer matched to a customer by IBAN, else by name.

An IBAN on file identifies the customer for certain. Names are compared in a normal
form (case, accents, punctuation and legal forms such as GmbH, AG, B.V., Ltd dropped),
exactly first, then with rapidfuzz's token ratio; a fuzzy name counts only when it is
clearly better than the next customer's, so two similar names give no match at all.

>>> name_key("Müller & Söhne GmbH"), name_key("MUELLER UND SOEHNE")
('mueller soehne', 'mueller soehne')
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from rapidfuzz import fuzz, process

LEGAL_FORMS = frozenset(
    "gmbh ag kg ohg ug mbh co kgaa se sa sas sarl srl spa bv b v nv ltd limited plc llc inc corp "
    "oy ab as aps e k ek gbr eg ev und and".split()
)
_WORDS = re.compile(r"[a-z0-9]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

#: how similar a name must be (0–100), and how much better than the runner-up
NAME_SCORE = 88
NAME_MARGIN = 6


def name_key(name: str) -> str:
    """A company name reduced to the words that tell it apart."""
    spelled = name.casefold().translate(_UMLAUTS)  # as banks spell them without umlauts
    plain = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    return " ".join(w for w in _WORDS.findall(plain) if w not in LEGAL_FORMS)


class PayerMatch(NamedTuple):
    customer_id: str
    how: str  # "iban", "name" or "fuzzy name"
    score: float  # 1.0 for IBAN and exact name


class Parties:
    """An index of the customers by IBAN and by name key."""

    def __init__(self, customers: list[tuple[str, str, tuple[str, ...]]]):
        """`customers`: (customer_id, name, IBANs)."""
        self.by_iban: dict[str, str] = {}
        self.by_name: dict[str, list[str]] = {}
        for customer_id, name, ibans in customers:
            for iban in ibans:
                self.by_iban[iban] = customer_id
            self.by_name.setdefault(name_key(name or ""), []).append(customer_id)
        self._names = [k for k in self.by_name if k]
        self._fuzzy: dict[str, PayerMatch | None] = {}  # payers repeat: compare each name once

    def payer(self, iban: str | None, name: str | None) -> PayerMatch | None:
        """The customer who paid, or None when the payer cannot be told apart."""
        if iban and iban in self.by_iban:
            return PayerMatch(self.by_iban[iban], "iban", 1.0)
        if not name:
            return None
        key = name_key(name)
        if key not in self._fuzzy:
            self._fuzzy[key] = self._by_name(key)
        return self._fuzzy[key]

    def _by_name(self, key: str) -> PayerMatch | None:
        exact = self.by_name.get(key)
        if exact:
            return PayerMatch(exact[0], "name", 1.0) if len(exact) == 1 else None
        best = process.extract(key, self._names, scorer=fuzz.token_sort_ratio, limit=2,
                               score_cutoff=NAME_SCORE - NAME_MARGIN)
        if not best or best[0][1] < NAME_SCORE:
            return None
        if len(best) > 1 and best[0][1] - best[1][1] < NAME_MARGIN:
            return None
        ids = self.by_name[best[0][0]]
        return PayerMatch(ids[0], "fuzzy name", best[0][1] / 100) if len(ids) == 1 else None


def parties_of(customers) -> Parties:
    """The index of a typed Customers table (`customer_id`, `name`, `iban`: IBANs separated by `;`)."""
    return Parties([(c, n, tuple(i.replace(" ", "").upper() for i in (ib or "").split(";") if i.strip()))
                    for c, n, ib in zip(customers["customer_id"], customers["name"], customers["iban"])])
