"""The Settings sheet (a table of `key`, `value`) to a typed `Settings`, errors by cell.

`match_tolerance` — the short or over payment that matching settles and writes off — is meant
for bank fees and rounding: cents, a few units at most. Counted in minor units of the base
currency (cents; yen), above `TOLERANCE_WARNING` (10,000: 100.00 EUR, 10,000 JPY) it is a
warning, above `TOLERANCE_LIMIT` (1,000,000: 10,000.00 EUR) an error: a payment of 1.00 would
settle an invoice of 10,000 and write the rest off. (Minor units keep the bound fair across
currencies; for the few whose unit is worth very little, such as VND, the warning comes early.)
"""

from __future__ import annotations

import string
import uuid
from decimal import Decimal
from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from billing.cellvalues import code_column, text_column, upper_column
from billing.contract import normalize_header
from billing.errors import Finding, error, warning
from billing.money import minor_unit
from billing.settings import SETTING_DEFAULTS, Settings
from billing.invoicing.terms import BusinessCalendar, TermsError
from billing.book import SheetTable
from validation.fields import (MAX_NUMBER, Bic, Country, Currency, DocumentFormat, Email, EndpointId, Iban, Rule,
                               TermsCode, VatId, bounded, describe, fail, one_of)
from validation.rows import field_rules

TOLERANCE_WARNING = 10_000
TOLERANCE_LIMIT = 1_000_000

#: fields a series pattern may use; `seq` is the counter and must be there
SERIES_FIELDS = frozenset({"yyyy", "yy", "mm", "seq"})


def check_series(pattern: str) -> str:
    """A number pattern such as `INV-{yyyy}-{seq:06d}`.

    >>> check_series("CN-{yy}{mm}-{seq:04d}")
    'CN-{yy}{mm}-{seq:04d}'
    """
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
        pattern.format(yyyy="2026", yy="26", mm="01", seq=1)
    except (ValueError, KeyError, IndexError):
        names = set()
    if "seq" not in names or not names <= SERIES_FIELDS:
        raise fail("invalid_setting", "'{value}' is not a number pattern like INV-{yyyy}-{seq:06d} "
                   "(it must use {seq} and may use {yyyy}, {yy}, {mm})", pattern)
    return pattern


def check_buckets(text: str) -> tuple[int, ...]:
    try:
        bounds = tuple(int(p) for p in text.replace(";", ",").split(",") if p.strip())
    except ValueError:
        bounds = ()
    if not bounds or bounds[0] <= 0 or any(a >= b for a, b in zip(bounds, bounds[1:])):
        raise fail("invalid_setting", "'{value}' must be increasing day counts like 30,60,90", text)
    return bounds


def check_levels(text: str) -> tuple[int, ...]:
    """Reminder levels: increasing day counts, e.g. `14,28,42`."""
    try:
        bounds = tuple(int(p) for p in text.replace(";", ",").split(",") if p.strip())
    except ValueError:
        bounds = ()
    if not bounds or bounds[0] <= 0 or any(a >= b for a, b in zip(bounds, bounds[1:])):
        raise fail("invalid_setting", "'{value}' must be increasing day counts like 14,28,42", text)
    return bounds


def check_fees(text: str) -> tuple[Decimal, ...]:
    """A fee per reminder level, e.g. `0,5,10`: non-negative amounts."""
    try:
        fees = tuple(Decimal(p.strip()) for p in text.replace(";", ",").split(",") if p.strip())
    except ArithmeticError:
        fees = ()
    if not fees or any(not f.is_finite() or f < 0 or f >= MAX_NUMBER for f in fees):
        raise fail("invalid_setting", "'{value}' must be non-negative amounts, one per level, like 0,5,10", text)
    return fees


def check_level_numbers(text: str) -> tuple[int, ...]:
    """Reminder levels by number, e.g. `2,3`."""
    try:
        levels = tuple(int(p) for p in text.replace(";", ",").split(",") if p.strip())
    except ValueError:
        levels = (0,)
    if any(level < 1 for level in levels):
        raise fail("invalid_setting", "'{value}' must be level numbers like 2,3 (level 1 is the first reminder)", text)
    return levels


def check_uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise fail("invalid_setting", "'{value}' is not a UUID", text) from None


def check_country(text: str) -> str:
    code = text.strip().upper()
    try:
        BusinessCalendar(code)
    except TermsError:
        raise fail("invalid_setting", "'{value}' is not a country whose public holidays are known (e.g. DE, AT, FR)",
                   text) from None
    return code


def _choice(*values: str):
    return one_of(values, "invalid_setting")


class SettingsInput(BaseModel):
    """What each setting's cell may hold (blank: the default applies)."""

    model_config = ConfigDict(frozen=True)

    workbook_id: Optional[Annotated[str, AfterValidator(check_uuid)]] = None
    company_name: Optional[str] = None
    base_currency: Optional[Currency] = None
    invoice_series: Optional[Annotated[str, AfterValidator(check_series)]] = None
    credit_note_series: Optional[Annotated[str, AfterValidator(check_series)]] = None
    price_mode: Optional[_choice("net", "gross")] = None
    tax_rounding: Optional[_choice("line", "invoice")] = None
    rounding: Optional[_choice("half_up", "half_even")] = None
    default_terms: Optional[TermsCode] = None
    aging_buckets: Optional[Annotated[str, AfterValidator(check_buckets)]] = None
    aging_basis: Optional[_choice("due_date", "issue_date")] = None
    match_tolerance: Optional[bounded("invalid_setting", "match_tolerance {value} must be a non-negative amount",
                                      ge=Decimal(0))] = None
    business_days_country: Optional[Annotated[str, AfterValidator(check_country)]] = None
    retention_years: Optional[Annotated[int, Field(ge=1, le=30),
                                        Rule("invalid_setting", "retention_years {value} must be whole years from 1 to 30")]] = None
    company_street: Optional[str] = None
    company_postcode: Optional[str] = None
    company_city: Optional[str] = None
    company_country: Optional[Country] = None
    company_vat_id: Optional[VatId] = None
    company_registration: Optional[str] = None
    company_iban: Optional[Iban] = None
    company_bic: Optional[Bic] = None
    company_email: Optional[Email] = None
    company_phone: Optional[str] = None
    document_format: Optional[DocumentFormat] = None
    company_tax_number: Optional[str] = None
    company_contact: Optional[str] = None
    company_endpoint_id: Optional[EndpointId] = None
    logo_file: Optional[str] = None
    documents_folder: Optional[str] = None
    dunning_levels: Optional[Annotated[str, AfterValidator(check_levels)]] = None
    dunning_fees: Optional[Annotated[str, AfterValidator(check_fees)]] = None
    interest_margin: Optional[bounded("invalid_setting", "interest_margin {value} is not a fraction: write 0.09 "
                                      "(or 9%) for 9 percentage points", gt=Decimal(-1), lt=Decimal(1))] = None
    late_payment_compensation: Optional[bounded("invalid_setting", "late_payment_compensation {value} must be a "
                                                "non-negative amount (0: none)", ge=Decimal(0))] = None
    dunning_interest_levels: Optional[Annotated[str, AfterValidator(check_level_numbers)]] = None
    dunning_min_amount: Optional[bounded("invalid_setting", "dunning_min_amount {value} must be a non-negative amount",
                                         ge=Decimal(0))] = None
    dunning_min_days: Optional[Annotated[int, Field(ge=0, le=3660),
                                         Rule("invalid_setting", "dunning_min_days {value} must be whole days, 0 or more")]] = None
    dunning_grace_days: Optional[Annotated[int, Field(ge=0, le=3660),
                                           Rule("invalid_setting", "dunning_grace_days {value} must be whole days, 0 or more")]] = None
    interest_day_count: Optional[_choice("act/365", "act/360")] = None
    dunning_texts: Optional[str] = None
    smtp_host: Optional[str] = None
    smtp_port: Optional[Annotated[int, Field(ge=1, le=65535),
                                  Rule("invalid_setting", "smtp_port {value} must be a port number from 1 to 65535")]] = None
    smtp_user: Optional[str] = None
    mail_from: Optional[Email] = None
    smtp_starttls: Optional[_choice("yes", "no")] = None


assert set(SettingsInput.model_fields) == set(SETTING_DEFAULTS)
_CODED = {"price_mode", "tax_rounding", "rounding", "aging_basis", "interest_day_count", "smtp_starttls"}
#: read as the cell gives them: pydantic reads numbers and numeric text exactly itself
_NUMBERS = {"match_tolerance", "retention_years", "interest_margin", "late_payment_compensation",
            "dunning_min_amount", "dunning_min_days", "dunning_grace_days", "smtp_port"}
#: an interest margin outside this range is legal but most likely a typing mistake
MARGIN_PLAUSIBLE = (Decimal("-0.05"), Decimal("0.5"))


def _read(key: str, value: object) -> object:
    if key in _CODED or key == "document_format":
        return code_column([value])[0]
    if key == "base_currency":
        return upper_column([value])[0]
    if key in _NUMBERS:
        return value
    return text_column([value])[0]


def read_settings(table: SheetTable | None) -> tuple[Settings, list[Finding]]:
    """Typed settings (defaults for blank or missing keys) and the findings about them."""
    findings: list[Finding] = []
    values: dict[str, object] = {}
    rows: dict[str, int] = {}
    if table is not None and table.has("key") and table.has("value"):
        for row, key, value in zip(table.frame.index, table.frame["key"], table.frame["value"]):
            name = normalize_header(key)
            if not name:
                findings.append(error(table.cell("key", row), "required", "a setting needs a key"))
            elif name not in SETTING_DEFAULTS:
                findings.append(warning(table.cell("key", row), "unknown_setting",
                                        f"'{key}' is not a setting xlbilling knows; it is ignored"))
            elif name in rows:
                findings.append(error(table.cell("key", row), "duplicate_key",
                                      f"setting '{name}' is also on row {rows[name]}"))
            else:
                rows[name] = row
                if value is not None:
                    values[name] = _read(name, value)
    given = set(values)
    try:
        parsed = SettingsInput.model_validate(values)
    except ValidationError as exc:
        rules = field_rules(SettingsInput)
        for err in exc.errors(include_url=False):
            name = err["loc"][0]
            rule, message = describe(err, rules.get(name))
            findings.append(error(table.cell("value", rows[name]), rule, f"{name}: {message}"))
            values.pop(name)
        parsed = SettingsInput.model_validate(values)
    if table is not None and "workbook_id" not in given:
        place = table.cell("value", rows["workbook_id"]) if "workbook_id" in rows else table.header_cell("value")
        findings.append(warning(place, "missing_workbook_id",
                                "Settings has no workbook_id; numbering and sealing need one"))
    typed = {name: getattr(parsed, name) for name in SettingsInput.model_fields if getattr(parsed, name) is not None}
    settings = Settings(**typed)
    if "match_tolerance" in typed:
        findings += _tolerance(settings, table.cell("value", rows["match_tolerance"]))
    place = (lambda key: table.cell("value", rows[key]) if key in rows else table.header_cell("value")) \
        if table is not None else (lambda key: "Settings!A1")
    findings += _dunning(settings, set(typed), place)
    return settings, findings


def _dunning(settings: Settings, given: set[str], place) -> list[Finding]:
    """The dunning settings against each other, and an implausible interest margin."""
    findings: list[Finding] = []
    levels = len(settings.dunning_levels)
    if "interest_margin" in given and not MARGIN_PLAUSIBLE[0] <= settings.interest_margin <= MARGIN_PLAUSIBLE[1]:
        findings.append(warning(place("interest_margin"), "implausible_margin",
                                f"interest_margin {settings.interest_margin:f} is {settings.interest_margin:.2%} "
                                f"over the reference rate; statutory margins are a few points (0.08 = 8 pp, "
                                f"0.09 in Germany): is that meant?"))
    if len(settings.dunning_fees) > levels and "dunning_fees" in given:
        findings.append(warning(place("dunning_fees"), "unused_fee",
                                f"dunning_fees has {len(settings.dunning_fees)} fees for {levels} levels; "
                                f"the fees after the {levels}th are never charged"))
    beyond = [n for n in settings.dunning_interest_levels if n > levels]
    if beyond and "dunning_interest_levels" in given:
        findings.append(warning(place("dunning_interest_levels"), "unknown_level",
                                f"dunning_interest_levels names level {beyond[0]}, but dunning_levels has only "
                                f"{levels} levels: no letter of that level is ever written"))
    return findings


def _tolerance(settings: Settings, place: str) -> list[Finding]:
    currency = settings.base_currency
    units = settings.match_tolerance.scaleb(minor_unit(currency))
    shown = f"match_tolerance {settings.match_tolerance:,f} {currency}"
    if units > TOLERANCE_LIMIT:
        limit = Decimal(TOLERANCE_LIMIT).scaleb(-minor_unit(currency))
        return [error(place, "tolerance_too_large",
                      f"{shown}: payments this far short would settle invoices and the rest be written off; "
                      f"a tolerance is for bank fees and rounding (at most {limit:,f} {currency})")]
    if units > TOLERANCE_WARNING:
        return [warning(place, "large_tolerance",
                        f"{shown}: payments this far short or over settle invoices and the difference is "
                        f"written off; is that meant? (tolerances are usually cents)")]
    return []
