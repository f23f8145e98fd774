"""What a remittance text refers to: RF creditor references and invoice-number candidates.

Bank lines mangle what payers type: spaces or line breaks inside references
(`RF18 5390 0754 7034`, `rf18 5390\n0754 7034`), lost separators (`INV2026000123`), letters
for digits (`INV-2O26-OOO123`, O/Q/D→0, I/l→1, Z→2, S→5, G→6, B→8), a dropped prefix
(`2026-000123`), dropped leading zeros (`INV-2026-123`), one character transposed or
missing, and lists written short (`INV-2026-001895, 897 und 899`, `002540 bis 002543`).

* `rf_references` finds the valid ISO 11649 references in a text. A reference is at most
  25 characters and ends where a word ends; when several readings of one match pass the
  checksum (`rf09100410001154 danke` reads as `RF09100410001154` and as
  `RF09100410001154DANKE`), the one printed on an invoice (`known`) wins, else the longest
  that does not end in a plain word.
* `number_key` reduces an invoice number to the comparable form both sides are indexed by;
  `loose_key` is a weaker form (digit groups without leading zeros) for numbers written
  without them; `digits_key` is the number without its series prefix.
* `number_readings` proposes the tokens of a text that could be invoice numbers, with how
  each was read (`text`, `list`, `range`).

>>> rf_references("Zahlung RF18 5390 0754 7034 danke")
['RF18539007547034']
>>> number_key("INV-2026-000123"), number_key("inv 2O26/000123"), loose_key("INV-2026-123")
('INV2026000123', 'INV2026000123', 'INV:2026.123')
>>> number_tokens("Rechnungen INV-2026-000123 und INV-2026-000124, Kd 4711")
['INV2026000123', 'INV2026000124']
>>> [r.key for r in number_readings("RE INV-2026-001895, 897 und 899")]
['INV2026001895', 'INV2026001897', 'INV2026001899']
"""

from __future__ import annotations

import re
from typing import Collection, NamedTuple

from billing.invoicing.rf_reference import is_rf_reference

#: "RF", two check digits, at most 21 characters; up to two whitespace characters (a space,
#: a line break) may stand between any two of them
_RF = re.compile(r"[Rr][Ff]\s{0,2}[0-9]\s{0,2}[0-9](?:\s{0,2}[0-9A-Za-z]){1,21}")
RF_MAX = 25
#: OCR- and typing-alike confusions, applied to the digit part of a number only
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6",
                                   "B": "8"})
_SEPARATORS = re.compile(r"[\s\-_/.:#]+")
#: a candidate: from a word's start, letters (the series prefix, maybe none), a digit, then
#: digits or look-alikes with separators only where a real digit follows, so a next word
#: is never swallowed
#: (letters spelled out, not IGNORECASE: that would let `İ`, `ı` or the Kelvin sign `K` stand for a letter)
_CANDIDATE = re.compile(r"\b[A-Za-z]{0,6}[\s\-_/.:#]*[0-9](?:[0-9OQDILZSBGoqdilzsbg]|(?:[\s\-_/.:#]{1,2}|[\-_/.:#]?\r\n)"
                        r"(?=[0-9]|[OQDILZSBGoqdilzsbg]+[0-9]))*")
#: after a number: more of the same series written short (`, 897`, `und 899`) or a range's end
#: (`bis 002543`); not an amount (`, 45,00`), not the start of a longer number
_TAIL = re.compile(r"\s*(,|;|\+|&|/|und|and|u\.|sowie|bis|to|through|-|–)\s*([0-9]{2,12})(?![0-9])(?![.,][0-9])"
                   r"(?![\s\-/][0-9])", re.IGNORECASE | re.ASCII)
_RANGE_WORDS = {"bis", "to", "through", "-", "–"}
#: the most invoices a written range may stand for
RANGE_MAX = 50


def rf_references(text: str | None, known: Collection[str] = ()) -> list[str]:
    """Valid RF references in the text, compacted, in order of appearance (see the module)."""
    if not text:
        return []
    found = []
    for match in _RF.finditer(text):
        raw = match.group()
        compact = raw.upper()
        if compact.isalnum() and (compact in known or not known) and is_rf_reference(compact):
            readings = [(compact, False)]  # the common case: one word, valid, printed on an invoice
        else:
            readings = _rf_readings(raw)
        if not readings:
            continue
        printed = [r for r, _ in readings if r in known]
        plain = [r for r, ends_in_word in readings if not ends_in_word]
        best = printed[0] if printed else plain[0] if plain else readings[0][0]
        if best not in found:
            found.append(best)
    return found


def _rf_readings(raw: str) -> list[tuple[str, bool]]:
    """The valid readings of one match, longest first: cut where a word ends, else (a word
    glued to the reference) character by character; with whether it ends in a plain word."""
    chunks = raw.upper().split()
    readings = []
    for k in range(len(chunks), 0, -1):
        compact = "".join(chunks[:k])
        if 5 <= len(compact) <= RF_MAX and is_rf_reference(compact):
            readings.append((compact, k > 1 and chunks[k - 1].isalpha()))
    if readings:
        return readings
    compact = "".join(chunks)[:RF_MAX]
    while len(compact) >= 5:
        if is_rf_reference(compact):
            return [(compact, False)]
        compact = compact[:-1]
    return []


_DROP_SEPARATORS = str.maketrans("", "", " \t\r\n-_/.:#")
_LETTERS_SET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NO_LETTERS = str.maketrans("", "", _LETTERS_SET)


def number_key(number: str) -> str:
    """The comparable form of an invoice number: upper case, no separators, digit look-alikes fixed."""
    compact = number.upper().replace("-", "")
    if not compact.isalnum():
        compact = compact.translate(_DROP_SEPARATORS)
    rest = compact.lstrip(_LETTERS_SET)
    if rest.isdigit():  # the common case: nothing to fix
        return compact
    # the leading letters are the series prefix; after them look-alikes are digits
    return compact[: len(compact) - len(rest)] + rest.translate(_DIGIT_LOOKALIKES)


_LEADING = re.compile(r"[\s\-_/.:#]*([A-Z]*)")
_DIGIT_RUN = re.compile(r"\d+")


def loose_key(number: str, written: bool = False) -> str | None:
    """The prefix and the digit groups without leading zeros (`INV-2026-000123` →
    `INV:2026.123`); None for a number of a single group (its zeros cannot be told apart).
    A `written` token counts only when it has dropped its zeros (`INV-2026-123`): one that
    still has some (`INV-2026-00123`) lost a digit, which is a typo, not a style."""
    upper = number.upper()
    prefix = _LEADING.match(upper)
    groups = _DIGIT_RUN.findall(upper[prefix.end():].translate(_DIGIT_LOOKALIKES))
    if len(groups) < 2 or (written and any(len(g) > 1 and g[0] == "0" for g in groups)):
        return None
    return prefix.group(1) + ":" + ".".join(g.lstrip("0") or "0" for g in groups)


def digits_key(key: str) -> str:
    """A `number_key` without its series prefix: `INV2026000123` → `2026000123`."""
    return key.lstrip(_LETTERS_SET)


class NumberReading(NamedTuple):
    key: str  # number_key
    raw: str | None  # as written, for `loose_key`; None for a number made from a list or range
    how: str  # "text" (written out), "list" (written short after another) or "range"


_DIGITS = "0123456789"
_LETTERS = _LETTERS_SET


def one_edit_variants(key: str, digits_only: bool = False) -> set[str]:
    """Every string one edit from `key`: a character replaced, dropped, added, or two
    neighbours swapped (letters in the series prefix, digits after it). With `digits_only`
    (the prefix is a real one) only the digits are edited.

    Looking these up in the index of invoice numbers finds exactly the numbers within
    edit distance one, with no scan of the others.

    >>> variants = one_edit_variants("INV2026000132")
    >>> all(v in variants for v in ("INV2026000123", "INV202600132", "IVN2026000132", "INV20260001320"))
    True
    """
    prefix = len(key) - len(key.lstrip(_LETTERS))
    out = set()
    for i in range(prefix if digits_only else 0, len(key) + 1):
        head, here, after = key[:i], key[i:], key[i + 1:]
        if i < len(key):
            out.update([head + c + after for c in (_LETTERS if i < prefix else _DIGITS)])  # replaced
            out.add(head + after)  # dropped
        if i < len(key) - 1:
            out.add(head + key[i + 1] + key[i] + key[i + 2:])  # swapped
        out.update([head + c + here for c in (_LETTERS if i < prefix else _DIGITS)])  # added
    out.discard(key)
    return out


def number_readings(text: str | None) -> list[NumberReading]:
    """Tokens of a text that could be invoice numbers (at least 6 digits), each with the
    numbers written short after it (`, 897`, `und 899`: the first one's digits with the tail
    replaced, only ascending) and ranges (`bis 002543`, at most `RANGE_MAX` numbers)."""
    if not text:
        return []
    out: dict[str, NumberReading] = {}
    for match in _CANDIDATE.finditer(text):
        raw = match.group()
        key = number_key(raw)
        digits = digits_key(key)
        # fewer than 6 digits (after the prefix the usual key has digits only: counted without a translate)
        if (len(digits) if digits.isdigit() else len(key.translate(_NO_LETTERS))) < 6:
            continue
        out.setdefault(key, NumberReading(key, raw, "text"))
        tail_of = len(digits)
        previous, end = key, match.end()
        while (tail := _TAIL.match(text, end)) is not None:
            word, written = tail.group(1).lower(), tail.group(2)
            if len(written) >= tail_of:  # a number of its own: the candidate loop reads it
                break
            last = previous[: len(previous) - len(written)] + written
            if int(digits_key(last)) <= int(digits_key(previous)):
                break
            if word in _RANGE_WORDS:
                first = int(digits_key(previous))
                count = int(digits_key(last)) - first
                if count + 1 > RANGE_MAX:
                    break
                width = len(digits_key(previous))
                stem = previous[: len(previous) - width]
                for n in range(first + 1, first + count + 1):
                    more = stem + str(n).zfill(width)
                    out.setdefault(more, NumberReading(more, None, "range"))
            else:
                out.setdefault(last, NumberReading(last, None, "list"))
            previous, end = last, tail.end()
    return list(out.values())


def number_tokens(text: str | None) -> list[str]:
    """The `number_key`s of `number_readings`."""
    return [r.key for r in number_readings(text)]
