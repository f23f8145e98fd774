"""The SEPA payment QR code of a EUR invoice (EPC069-12, the "GiroCode").

The payload is twelve lines at most, joined by LF, with no line break after the last element:

    BCD                 service tag
    002                 version (002: the BIC may be left empty within the EEA)
    1                   character set: 1 = UTF-8
    SCT                 SEPA credit transfer
    BIC                 8 or 11 characters, or empty
    name                the beneficiary, at most 70 characters
    IBAN                at most 34 characters, no spaces
    EUR12.30            the amount, 0.01 to 999999999.99, two decimals
    purpose             an ISO 20022 purpose code of 4 letters, or empty
    RF reference        structured remittance (ISO 11649), at most 35 characters — or empty and:
    text                unstructured remittance, at most 140 characters
    (information)       to the payer, at most 70 characters (not used here)

Only for euro: a QR for any other currency is refused (`EpcError`), since the standard carries
euro amounts only. The whole payload is at most 331 bytes; the code uses error correction M.
"""

from __future__ import annotations

from functools import lru_cache
from decimal import Decimal
from typing import NamedTuple

MAX_NAME = 70
MAX_REFERENCE = 35
MAX_TEXT = 140
MAX_PAYLOAD = 331
MIN_AMOUNT, MAX_AMOUNT = Decimal("0.01"), Decimal("999999999.99")


class EpcError(ValueError):
    """The payment cannot be put into an EPC QR code (the message says which element)."""


class EpcPayment(NamedTuple):
    name: str
    iban: str
    amount: Decimal
    currency: str = "EUR"
    bic: str = ""
    reference: str = ""  # an RF creditor reference (ISO 11649): structured remittance
    text: str = ""  # otherwise an unstructured remittance text
    purpose: str = ""


def epc_payload(payment: EpcPayment) -> str:
    """The exact payload text of the QR code (`EpcError` when an element breaks the standard)."""
    if payment.currency != "EUR":
        raise EpcError(f"the EPC QR code carries euro amounts only, not {payment.currency}")
    if not isinstance(payment.amount, Decimal):
        raise EpcError(f"the amount must be a Decimal, not {type(payment.amount).__name__}")
    if not MIN_AMOUNT <= payment.amount <= MAX_AMOUNT:
        raise EpcError(f"the amount {payment.amount} is outside {MIN_AMOUNT} .. {MAX_AMOUNT}")
    if payment.amount != payment.amount.quantize(Decimal("0.01")):
        raise EpcError(f"the amount {payment.amount} has more than two decimals")
    name = " ".join(payment.name.split())[:MAX_NAME].rstrip()
    if not name:
        raise EpcError("the beneficiary's name is empty")
    iban = "".join(payment.iban.split()).upper()
    if not 5 <= len(iban) <= 34 or not iban.isalnum() or not iban[:2].isalpha():
        raise EpcError(f"{payment.iban!r} is not an IBAN")
    bic = payment.bic.strip().upper()
    if bic and len(bic) not in (8, 11):
        raise EpcError(f"the BIC {payment.bic!r} must have 8 or 11 characters")
    if payment.purpose and (len(payment.purpose) != 4 or not payment.purpose.isalpha()):
        raise EpcError(f"the purpose code {payment.purpose!r} must be 4 letters")
    reference = "".join(payment.reference.split()).upper()
    text = " ".join(payment.text.split())
    if reference and text:
        raise EpcError("give a structured reference or a text, not both")
    if len(reference) > MAX_REFERENCE:
        raise EpcError(f"the reference {reference} is longer than {MAX_REFERENCE} characters")
    if len(text) > MAX_TEXT:
        raise EpcError(f"the remittance text is longer than {MAX_TEXT} characters")
    lines = ["BCD", "002", "1", "SCT", bic, name, iban, f"EUR{payment.amount:.2f}", payment.purpose.upper(),
             reference]
    if text:
        lines.append(text)
    payload = "\n".join(lines).rstrip("\n")
    if len(payload.encode("utf-8")) > MAX_PAYLOAD:
        raise EpcError(f"the payload has more than {MAX_PAYLOAD} bytes")
    return payload


def epc_matrix(payment: EpcPayment) -> tuple[tuple[bool, ...], ...]:
    """The QR code's modules, row by row (True = dark), without the quiet zone: drawn as
    vector squares by the PDF renderer."""
    return _matrix_of(epc_payload(payment))


@lru_cache(maxsize=64)
def _matrix_of(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code of a payload, kept for the process's last documents: the PDF and the
    Factur-X of an invoice draw the same code (keyed by the payload, never by the amount)."""
    import segno  # the QR encoder, loaded only where a code is drawn

    code = segno.make(payload, error="m", encoding="utf-8", micro=False, boost_error=False)
    return tuple(tuple(bool(module) for module in row) for row in code.matrix)
