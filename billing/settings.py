"""The workbook's Settings: the contract's keys, their types and defaults, as one record.

`Settings` is what the domain code reads (rounding mode, price mode, buckets…). Turning
the Settings sheet into it, with errors that name the cell, is `validation.settings`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict

DEFAULT_INVOICE_SERIES = "INV-{yyyy}-{seq:06d}"
DEFAULT_CREDIT_NOTE_SERIES = "CN-{yyyy}-{seq:06d}"

#: Every contract setting with its default as the Settings sheet shows it, and its meaning.
SETTING_DEFAULTS: dict[str, tuple[str, str]] = {
    "workbook_id": ("", "stable identifier of this workbook (UUID), written when it is created"),
    "company_name": ("", "issuer's name"),
    "base_currency": ("EUR", "ISO 4217 code"),
    "invoice_series": (DEFAULT_INVOICE_SERIES, "number pattern for invoices"),
    "credit_note_series": (DEFAULT_CREDIT_NOTE_SERIES, "number pattern for credit notes"),
    "price_mode": ("net", "net (prices exclude tax) or gross (prices include tax)"),
    "tax_rounding": ("invoice", "line (round tax per line) or invoice (per invoice and rate)"),
    "rounding": ("half_up", "half_up or half_even"),
    "default_terms": ("NET30", "payment terms code: NET<n>, EOM<n>, <p>/<d> NET<n>, DUE"),
    "aging_buckets": ("30,60,90", "upper bounds in days past due of each aging bucket"),
    "aging_basis": ("due_date", "due_date or issue_date"),
    "match_tolerance": ("0.05", "largest short or over payment settled automatically, in base currency"),
    "business_days_country": ("", "ISO 3166 country whose public holidays NET<n>BD terms skip, e.g. DE"),
    "retention_years": ("10", "years a sealed workbook is kept in the archive (1-30; e.g. 8 for German invoices)"),
}


def _buckets(value: object) -> object:
    if isinstance(value, str):
        return tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value,)
    return value


class Settings(BaseModel):
    """Typed settings with the contract's defaults."""

    model_config = ConfigDict(frozen=True)

    workbook_id: Optional[str] = None
    company_name: Optional[str] = None
    base_currency: str = "EUR"
    invoice_series: str = DEFAULT_INVOICE_SERIES
    credit_note_series: str = DEFAULT_CREDIT_NOTE_SERIES
    price_mode: Literal["net", "gross"] = "net"
    tax_rounding: Literal["line", "invoice"] = "invoice"
    rounding: Literal["half_up", "half_even"] = "half_up"
    default_terms: str = "NET30"
    aging_buckets: Annotated[tuple[int, ...], BeforeValidator(_buckets)] = (30, 60, 90)
    aging_basis: Literal["due_date", "issue_date"] = "due_date"
    match_tolerance: Decimal = Decimal("0.05")
    business_days_country: Optional[str] = None
    retention_years: int = 10
