"""ISO 11649 structured creditor references (RF) printed on invoices for payers to quote.

>>> rf_reference("INV-2026-000123")
'RF98INV2026000123'
>>> from stdnum import iso11649; iso11649.is_valid(rf_reference("CN-2026-000001"))
True
"""

from __future__ import annotations

import re

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

_NOT_ALLOWED = re.compile(r"[^0-9A-Z]")


def rf_reference(text: str) -> str:
    """The RF reference whose body is `text` without separators (at most 21 characters)."""
    body = _NOT_ALLOWED.sub("", text.upper())[-21:]
    if not body:
        raise ValueError(f"no letters or digits in {text!r} to make an RF reference from")
    reference = f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"
    return iso11649.validate(reference)
