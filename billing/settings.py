"""The workbook's Settings: the contract's keys, their types and defaults, as one record.

`Settings` is what the domain code reads (rounding mode, price mode, buckets…). Turning
the Settings sheet into it, with errors that name the cell, is `validation.settings`.
A new workbook's Settings rows are `default_settings()`, its TaxRates rows
`STANDARD_TAX_RATES` (the blank template and the sample both start from them).
"""

from __future__ import annotations

import uuid
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
    # the seller's particulars, printed on documents and put in e-invoices (EN 16931 BT numbers)
    "company_street": ("", "seller's street and number (BT-35)"),
    "company_postcode": ("", "seller's postcode (BT-38)"),
    "company_city": ("", "seller's city (BT-37)"),
    "company_country": ("", "seller's country, ISO 3166 alpha-2 (BT-40)"),
    "company_vat_id": ("", "seller's VAT identification number (BT-31)"),
    "company_registration": ("", "seller's legal registration, e.g. HRB 12345 Amtsgericht München (BT-30)"),
    "company_iban": ("", "the account customers pay to (BT-84)"),
    "company_bic": ("", "its bank's BIC (BT-86)"),
    "company_email": ("", "seller's contact e-mail (BT-43)"),
    "company_phone": ("", "seller's contact telephone (BT-42)"),
    "document_format": ("pdf", "default format of issued invoices: pdf, facturx, xrechnung-ubl, xrechnung-cii, "
                               "peppol, ubl, cii"),
    "company_tax_number": ("", "seller's tax number from the tax office, e.g. 143/123/45678 (BT-32)"),
    "company_contact": ("", "seller's contact point: a person or department (BT-41)"),
    "company_endpoint_id": ("", "seller's electronic address as scheme:id, e.g. 0204:991-12345-67 (BT-34); "
                                "blank: EM:company_email"),
    "logo_file": ("", "an image file printed at the head of PDF invoices (relative to the workbook's folder)"),
    "documents_folder": ("", "where issued invoices go, a folder per month below it (relative to the workbook's "
                             "folder); blank: a folder beside the workbook"),
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
    company_street: Optional[str] = None
    company_postcode: Optional[str] = None
    company_city: Optional[str] = None
    company_country: Optional[str] = None
    company_vat_id: Optional[str] = None
    company_registration: Optional[str] = None
    company_iban: Optional[str] = None
    company_bic: Optional[str] = None
    company_email: Optional[str] = None
    company_phone: Optional[str] = None
    document_format: str = "pdf"
    company_tax_number: Optional[str] = None
    company_contact: Optional[str] = None
    company_endpoint_id: Optional[str] = None
    logo_file: Optional[str] = None
    documents_folder: Optional[str] = None


#: A small standard list of German tax codes (rates are fractions), by contract column name.
STANDARD_TAX_RATES: tuple[dict[str, object], ...] = (
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


def default_settings(workbook_id: str | None = None, company_name: str | None = None,
                     particulars: dict[str, str] | None = None) -> tuple[tuple[str, object], ...]:
    """Every contract setting (`SETTING_DEFAULTS`) with its default, as Settings rows.

    `particulars` gives values of other keys (the seller's address, VAT id, ...).
    `workbook_id` is a fresh uuid4 unless given; a blank default is None; the match
    tolerance is an amount, so a Decimal (a number cell, not text that looks like one).
    """
    given = {**(particulars or {}), "workbook_id": workbook_id or str(uuid.uuid4()), "company_name": company_name}
    rows = []
    for key, (default, _meaning) in SETTING_DEFAULTS.items():
        value: object = given[key] if key in given else (default or None)
        if key == "match_tolerance" and isinstance(value, str):
            value = Decimal(value)
        rows.append((key, value))
    return tuple(rows)
