"""What a remittance text refers to: RF creditor references and invoice-number candidates.

Bank lines mangle what payers type: spaces inside references (`RF18 5390 0754 7034`),
lost separators (`INV2026000123`), letters for digits (`INV-2O26-OOO123`), one character
transposed or missing. `rf_references` finds the valid ISO 11649 references in a text;
`number_key` reduces an invoice number to the comparable form both sides are indexed by,
and `number_tokens` proposes the tokens of a text that could be invoice numbers.

>>> rf_references("Zahlung RF18 5390 0754 7034 danke")
['RF18539007547034']
>>> number_key("INV-2026-000123"), number_key("inv 2O26/000123")
('INV2026000123', 'INV2026000123')
>>> number_tokens("Rechnungen INV-2026-000123 und INV-2026-000124, Kd 4711")
['INV2026000123', 'INV2026000124']
"""

from __future__ import annotations

import re

from billing.references import is_rf_reference

_RF = re.compile(r"RF\s?\d\s?\d(?:\s?[0-9A-Z]){1,21}", re.IGNORECASE)
#: OCR- and typing-alike confusions, applied to the digit part of a number only
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8"})
_SEPARATORS = re.compile(r"[\s\-_/.:#]+")
#: a candidate: from a word's start, letters (the series prefix, maybe none), a digit, then
#: digits or look-alikes with separators only where a real digit follows, so a next word
#: is never swallowed
_CANDIDATE = re.compile(r"\b[A-Z]{0,6}[\s\-_/.:#]*[0-9](?:[0-9OQDILZSB]|[\s\-_/.:#]{1,2}(?=[0-9]))*",
                        re.IGNORECASE)


def rf_references(text: str | None) -> list[str]:
    """Valid RF references in the text, compacted, in order of appearance."""
    if not text:
        return []
    found = []
    for match in _RF.finditer(text):
        candidate = re.sub(r"\s", "", match.group()).upper()
        # the greedy match may have swallowed a following word's characters: shorten until valid
        while len(candidate) >= 5:
            if is_rf_reference(candidate):
                found.append(candidate)
                break
            candidate = candidate[:-1]
    return found


_DROP_SEPARATORS = str.maketrans("", "", " \t\r\n-_/.:#")
_LETTERS_SET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def number_key(number: str) -> str:
    """The comparable form of an invoice number: upper case, no separators, digit look-alikes fixed."""
    compact = number.upper().replace("-", "")
    if not compact.isalnum():
        compact = compact.translate(_DROP_SEPARATORS)
    rest = compact.lstrip(_LETTERS_SET)
    if not rest.isdigit():  # the leading letters are the series prefix; after them look-alikes are digits
        rest = rest.translate(_DIGIT_LOOKALIKES)
    return compact[: len(compact) - len(rest)] + rest


_DIGITS = "0123456789"
_LETTERS = _LETTERS_SET


def one_edit_variants(key: str) -> set[str]:
    """Every string one edit from `key`: a character replaced, dropped, added, or two
    neighbours swapped (letters in the series prefix, digits after it).

    Looking these up in the index of invoice numbers finds exactly the numbers within
    edit distance one, with no scan of the others.

    >>> variants = one_edit_variants("INV2026000132")
    >>> all(v in variants for v in ("INV2026000123", "INV202600132", "IVN2026000132", "INV20260001320"))
    True
    """
    prefix = len(key) - len(key.lstrip(_LETTERS))
    out = set()
    for i in range(len(key) + 1):
        if i < len(key):
            for c in _LETTERS if i < prefix else _DIGITS:
                out.add(key[:i] + c + key[i + 1:])  # replaced
            out.add(key[:i] + key[i + 1:])  # dropped
        if i < len(key) - 1:
            out.add(key[:i] + key[i + 1] + key[i] + key[i + 2:])  # swapped
        for c in (_LETTERS if i < prefix else "") + (_DIGITS if i >= prefix else ""):
            out.add(key[:i] + c + key[i:])  # added
    out.discard(key)
    return out


def number_tokens(text: str | None) -> list[str]:
    """Tokens of a text that could be invoice numbers, as `number_key`s (at least 6 digits)."""
    if not text:
        return []
    keys = []
    for match in _CANDIDATE.finditer(text):
        key = number_key(match.group())
        digits = sum(c.isdigit() for c in key)
        if digits >= 6 and key not in keys:
            keys.append(key)
    return keys
