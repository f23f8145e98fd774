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
    # collections: the dunning policy, late-payment interest (Directive 2011/7/EU), delivery
    "dunning_levels": ("14,28,42", "days past due at which reminder levels 1, 2, 3 ... start"),
    "dunning_fees": ("0,0,0", "fee per reminder level in base currency (fewer fees than levels: the last repeats)"),
    "interest_margin": ("0.08", "late-payment interest margin over the reference rate (fraction; 0.09 = 9 pp)"),
    "late_payment_compensation": ("40", "fixed compensation per late invoice (B2B), base currency; 0: none"),
    "dunning_interest_levels": ("2,3", "reminder levels whose letter charges interest and the compensation"),
    "dunning_min_amount": ("0", "a customer's total due below it gets no reminder, base currency"),
    "dunning_min_days": ("7", "days between two reminders to the same customer and currency"),
    "dunning_grace_days": ("0", "days after the due date before level 1 can start"),
    "interest_day_count": ("act/365", "day count of late-payment interest: act/365 or act/360"),
    "dunning_texts": ("", "a TOML file with per-level and per-language texts of the reminders (relative to the "
                          "workbook's folder); blank: the built-in texts"),
    "smtp_host": ("", "the outgoing mail server (the password only from XLBILLING_SMTP_PASSWORD)"),
    "smtp_port": ("587", "its port"),
    "smtp_user": ("", "the user name on the mail server"),
    "mail_from": ("", "the sender address of messages"),
    "smtp_starttls": ("yes", "yes: STARTTLS before logging in; no: a plain connection (a local relay)"),
}

#: The Settings keys read as numbers: a new workbook writes them as number cells.
NUMBER_SETTINGS = frozenset({"match_tolerance", "interest_margin", "late_payment_compensation", "dunning_min_amount"})


def _buckets(value: object) -> object:
    if isinstance(value, str):
        return tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value,)
    return value


def _amounts(value: object) -> object:
    """`0,5,10` (or `0;5;10`, or one number) as Decimals."""
    if isinstance(value, str):
        return tuple(Decimal(part.strip()) for part in value.replace(";", ",").split(",") if part.strip())
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (Decimal(str(value)),)
    return value


def _yes_no(value: object) -> object:
    if isinstance(value, str) and value.strip().casefold() in ("yes", "no"):
        return value.strip().casefold() == "yes"
    return value


#: days past due → bounds; levels and the levels that charge interest
DayCounts = Annotated[tuple[int, ...], BeforeValidator(_buckets)]


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
    dunning_levels: DayCounts = (14, 28, 42)
    dunning_fees: Annotated[tuple[Decimal, ...], BeforeValidator(_amounts)] = (Decimal(0), Decimal(0), Decimal(0))
    interest_margin: Decimal = Decimal("0.08")
    late_payment_compensation: Decimal = Decimal(40)
    dunning_interest_levels: DayCounts = (2, 3)
    dunning_min_amount: Decimal = Decimal(0)
    dunning_min_days: int = 7
    dunning_grace_days: int = 0
    interest_day_count: Literal["act/365", "act/360"] = "act/365"
    dunning_texts: Optional[str] = None
    smtp_host: Optional[str] = None
    smtp_port: int = 587
    smtp_user: Optional[str] = None
    mail_from: Optional[str] = None
    smtp_starttls: Annotated[bool, BeforeValidator(_yes_no)] = True



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
    `workbook_id` is a fresh uuid4 unless given; a blank default is None; the amounts and
    fractions (`NUMBER_SETTINGS`) are Decimals (number cells, not text that looks like one).
    """
    given = {**(particulars or {}), "workbook_id": workbook_id or str(uuid.uuid4()), "company_name": company_name}
    rows = []
    for key, (default, _meaning) in SETTING_DEFAULTS.items():
        value: object = given[key] if key in given else (default or None)
        if key in NUMBER_SETTINGS and isinstance(value, str):
            value = Decimal(value)
        rows.append((key, value))
    return tuple(rows)
