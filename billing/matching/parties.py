"""Who paid: a payment's payer matched to a customer by IBAN, else by name.

An IBAN on file identifies the customer for certain. Names are compared in a normal form,
the same on both sides (`name_key`): case and accents dropped, umlauts spelled out as banks
do (ä→ae, ö→oe, ü→ue, ß→ss), dotted abbreviations closed up (`G.M.B.H.` → `gmbh`,
`s.r.o.` → `sro`), a branch suffix cut off (`NL HAMBURG`, `Niederlassung …`, `Filiale …`),
and legal forms dropped: those in `LEGAL_FORMS` anywhere, and any trailing token that
looks like one (a closed-up abbreviation such as `sro`, or a parenthesised part such as
`(haftungsbeschränkt)`). The name is matched exactly first; then, for a name as long as
banks cut them (27, 35 or 70 characters), as the beginning of exactly one customer's
name; then with rapidfuzz's token ratio, where a fuzzy name counts only when it is clearly
better than the next customer's, so two similar names give no match at all.

A payer identified that way is a customer for certain. One that is not may still be
compared with a single customer's name (`resembles`: the invoice's customer, when the text
already named the invoice); a name unlike it is reported as not identified, never as a
third party, since it may be the customer's own account under another name.

>>> name_key("Müller & Söhne GmbH"), name_key("MUELLER UND SOEHNE")
('mueller soehne', 'mueller soehne')
>>> name_key("ALPHA MASCHINENBAU G.M.B.H. NL HAMBURG"), name_key("Beta Trade s.r.o.")
('alpha maschinenbau', 'beta trade')
>>> name_key("Rheinland Medizintechnik UG (haftungsbeschränkt)"), name_key("Novák Strojírny spol. s r.o.")
('rheinland medizintechnik', 'novak strojirny')
>>> name_key("ZUERCHER FEINMECHANIK AG ZWNL BERLIN")
'zuercher feinmechanik'
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from typing import Iterable, NamedTuple

from rapidfuzz import fuzz, process

LEGAL_FORMS = frozenset(
    "gmbh ggmbh ag kg ohg ug mbh co kgaa se sa sas sasu sarl eurl srl spa snc bv b v nv vof cv ltd limited plc llc "
    "inc corp oy oyj ab hb kb as asa aps e k ek gbr eg ev und and sro spzoo kft zrt bt doo ood ad sl slu lda ltda "
    "bvba sprl pte pty sagl haftungsbeschraenkt".split()
)
#: written-out legal forms, closed up before the words are split
_SPELLED_OUT = ((re.compile(r"gesellschaft mit beschraenkter haftung"), "gmbh"),
                (re.compile(r"\baktiengesellschaft\b"), "ag"),
                (re.compile(r"\bkommanditgesellschaft\b"), "kg"),
                (re.compile(r"\bincorporated\b"), "inc"),
                (re.compile(r"\bcorporation\b"), "corp"),
                (re.compile(r"\bges\.? ?m\.? ?b\.? ?h\.?"), "gmbh"),
                (re.compile(r"\bsp\.? ?z ?o\.? ?o\.?"), "spzoo"),
                (re.compile(r"\bspol\.?\s+s\s*r\.?\s*o\b\.?"), "sro"))  # `spol. s r.o.`, the long Czech form
#: a word that starts a branch suffix: it and what follows name the branch, not the company
BRANCH_WORDS = frozenset("nl zn zwnl niederlassung zweigniederlassung filiale zweigstelle branch succursale".split())
_WORDS = re.compile(r"[a-z0-9]+")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
#: single letters joined by dots (`g.m.b.h.`, `e. k.`, `s.r.o.`): one abbreviation
_DOTTED = re.compile(r"\b(?:[a-z]\. ?){1,}[a-z]\b\.?")
_PARENTHESISED = re.compile(r"\([^)]*\)\s*$")

#: how similar a name must be (0–100), and how much better than the runner-up
NAME_SCORE = 88
NAME_MARGIN = 6
#: a payer name this long may have been cut by the bank (they cut at 27, 35 or 70)
TRUNCATED_AT = 26
#: the least of a customer's name a cut name must keep to be matched by its beginning
PREFIX_CHARS = 15


def plain_name(name: str) -> str:
    """Lower case ASCII, umlauts spelled out, dotted abbreviations closed up, written-out legal forms abbreviated."""
    spelled = name.casefold().translate(_UMLAUTS)  # as banks spell them without umlauts
    plain = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    plain = _DOTTED.sub(lambda m: m.group().replace(".", "").replace(" ", "") + " ", plain)
    for pattern, short in _SPELLED_OUT:
        plain = pattern.sub(short, plain)
    return plain


def name_key(name: str) -> str:
    """A company name reduced to the words that tell it apart."""
    return _key_of_plain(plain_name(name))


def _key_of_plain(plain: str) -> str:
    """`name_key` of a name already made `plain_name`."""
    words = _WORDS.findall(_PARENTHESISED.sub("", plain))
    for n, word in enumerate(words):
        if n and word in BRANCH_WORDS:
            words = words[:n]
            break
    return " ".join(w for w in words if w not in LEGAL_FORMS)


def _spelled(name: str) -> str:
    """The whole name in plain words, legal forms kept: what a bank's cut name is the start of."""
    return " ".join(_WORDS.findall(plain_name(name)))


_NOT_CUT = object()  # no customer's name begins with the payer's


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
        self._keys_of: dict[str, tuple[str, str]] = {}  # customer_id -> (name key, spelled name)
        spelled: list[tuple[str, str]] = []
        for customer_id, name, ibans in customers:
            for iban in ibans:
                self.by_iban[iban] = customer_id
            plain = plain_name(name or "")  # both keys start from it: worked out once
            key = _key_of_plain(plain)
            self.by_name.setdefault(key, []).append(customer_id)
            spelled.append((" ".join(_WORDS.findall(plain)), customer_id))
            self._keys_of[customer_id] = (key, spelled[-1][0])
        self._names = [k for k in self.by_name if k]
        # token_sort_ratio is ratio on the words sorted; the names' words are sorted here
        # once instead of at every comparison (keys are single-spaced words)
        self._sorted_names = [" ".join(sorted(k.split())) for k in self._names]
        self._by_iban_match = {iban: PayerMatch(c, "iban", 1.0) for iban, c in self.by_iban.items()}
        spelled.sort()
        self._spelled = [s for s, _ in spelled]
        self._spelled_ids = [c for _, c in spelled]
        self._fuzzy: dict[str, PayerMatch | None] = {}  # payers repeat: compare each name once
        self._exact: dict[str, PayerMatch | None] = {}  # the same for `known`

    def payer(self, iban: str | None, name: str | None) -> PayerMatch | None:
        """The customer who paid, or None when the payer cannot be told apart."""
        if iban and iban in self._by_iban_match:
            return self._by_iban_match[iban]
        if not name:
            return None
        if name not in self._fuzzy:
            self._fuzzy[name] = self._by_name(name)
        return self._fuzzy[name]

    def known(self, iban: str | None, name: str | None) -> PayerMatch | None:
        """The customer by IBAN or exact name only: the cheap part of `payer`."""
        if iban and iban in self._by_iban_match:
            return self._by_iban_match[iban]
        if not name:
            return None
        if name in self._fuzzy:
            return self._fuzzy[name]
        if name not in self._exact:
            exact = self.by_name.get(name_key(name))
            self._exact[name] = PayerMatch(exact[0], "name", 1.0) if exact and len(exact) == 1 else None
        return self._exact[name]

    def resembles(self, customer_id: str, name: str | None) -> bool:
        """Whether a payer's name is this customer's, compared with that customer's name alone
        (not against the others, so no margin): the same name key, the beginning of it a bank
        keeps, or a token ratio of at least `NAME_SCORE`. For a payer `payer` did not identify."""
        if not name or customer_id not in self._keys_of:
            return False
        key, spelled = self._keys_of[customer_id]
        payer_key = name_key(name)
        if payer_key == key:
            return True
        start = _spelled(name)
        if len(name.strip()) >= TRUNCATED_AT and len(start) >= PREFIX_CHARS and spelled.startswith(start):
            return True
        return bool(key) and fuzz.token_sort_ratio(payer_key, key) >= NAME_SCORE

    def unidentified(self, iban: str | None, name: str | None, customer_ids: Iterable[str]) -> str:
        """Evidence words for a payer that no IBAN on file and no customer's name identifies,
        paying invoices of `customer_ids`. A name unlike theirs is not called a third party:
        it may be the customer's own account under another name ("Buchhaltung")."""
        if not name:
            return "payer not identified (no name, " + ("IBAN on no customer's file)" if iban else "no IBAN)")
        if all(self.resembles(c, name) for c in customer_ids):
            return f"payer name '{name}' is like the customer's"
        return f"payer not identified ('{name}' is no customer's IBAN or name)"

    def _by_name(self, name: str) -> PayerMatch | None:
        key = name_key(name)
        exact = self.by_name.get(key)
        if exact:
            return PayerMatch(exact[0], "name", 1.0) if len(exact) == 1 else None
        if len(name.strip()) >= TRUNCATED_AT:
            cut = self._cut(name)
            if cut is not _NOT_CUT:  # begins one customer's name (a match) or several (no match at all)
                return cut
        # fuzz.token_sort_ratio, with the customers' words sorted once (see __init__);
        # ties keep the customers' order as before
        best = process.extract(" ".join(sorted(key.split())), self._sorted_names, scorer=fuzz.ratio, limit=2,
                               score_cutoff=NAME_SCORE - NAME_MARGIN)
        if not best or best[0][1] < NAME_SCORE:
            return None
        if len(best) > 1 and best[0][1] - best[1][1] < NAME_MARGIN:
            return None
        ids = self.by_name[self._names[best[0][2]]]
        return PayerMatch(ids[0], "fuzzy name", best[0][1] / 100) if len(ids) == 1 else None


    def _cut(self, name: str):
        """The one customer whose full name begins with this (cut) name; None when several
        do; `_NOT_CUT` when none does."""
        start = _spelled(name)
        if len(start) < PREFIX_CHARS:
            return _NOT_CUT
        low = bisect.bisect_left(self._spelled, start)
        high = bisect.bisect_left(self._spelled, start + "\x7f")
        ids = set(self._spelled_ids[low:high])
        if not ids:
            return _NOT_CUT
        return PayerMatch(ids.pop(), "name cut by the bank", 0.95) if len(ids) == 1 else None


def parties_of(customers) -> Parties:
    """The index of a typed Customers table (`customer_id`, `name`, `iban`: IBANs separated by `;`)."""
    return Parties([(c, n, tuple(i.replace(" ", "").upper() for i in (ib or "").split(";") if i.strip()))
                    for c, n, ib in zip(customers["customer_id"], customers["name"], customers["iban"])])
