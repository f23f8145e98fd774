"""Payment terms codes: `NET<n>`, `EOM<n>`, `<p>/<d> NET<n>` and `DUE`.

>>> parse_terms("2/10 NET30")
Terms(code='2/10 NET30', basis='net', days=30, discount_pct=Decimal('0.02'), discount_days=10)
>>> parse_terms("eom30").basis, parse_terms("DUE").days
('eom', 0)
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

_NET = re.compile(r"^NET\s*(\d{1,4})$")
_EOM = re.compile(r"^EOM\s*(\d{1,4})$")
_DISCOUNT = re.compile(r"^(\d{1,2}(?:\.\d{1,2})?)\s*/\s*(\d{1,4})\s+NET\s*(\d{1,4})$")


class Terms(NamedTuple):
    code: str  # canonical spelling
    basis: str  # "net" (days after issue) or "eom" (days after the end of the issue month)
    days: int
    discount_pct: Decimal | None = None  # early-payment discount as a fraction (2 % → 0.02)
    discount_days: int | None = None


class TermsError(ValueError):
    pass


def parse_terms(code: str) -> Terms:
    """The terms a code stands for; `TermsError` with a readable reason otherwise."""
    text = " ".join(str(code).split()).upper()
    if text == "DUE":
        return Terms("DUE", "net", 0)
    if m := _NET.match(text):
        return Terms(f"NET{int(m[1])}", "net", int(m[1]))
    if m := _EOM.match(text):
        return Terms(f"EOM{int(m[1])}", "eom", int(m[1]))
    if m := _DISCOUNT.match(text):
        pct, discount_days, days = Decimal(m[1]), int(m[2]), int(m[3])
        if not 0 < pct < 100:
            raise TermsError(f"early-payment discount {m[1]}% in {code!r} must be between 0 and 100")
        if discount_days > days:
            raise TermsError(f"discount period {discount_days} days in {code!r} is longer than the {days} days net")
        return Terms(f"{m[1]}/{discount_days} NET{days}", "net", days, pct / 100, discount_days)
    raise TermsError(f"unknown payment terms {code!r} (use NET30, EOM30, 2/10 NET30 or DUE)")
