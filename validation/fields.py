"""Cell types of the contract as pydantic annotated types, and the rule names of their errors.

The models run hundreds of thousands of rows, so the types are pydantic's own (checked in
its Rust core): `str`, `Literal`, `Decimal` with bounds, strict `date`. Cells reach them
already read by `billing.cellvalues` (text as shown, codes case-folded, ISO dates parsed),
so what is left for pydantic to refuse is what the contract refuses. Only identifiers
with checksums (IBAN, VAT id, RF reference) and terms codes run Python validators.

Each constraint carries a `Rule` marker: the fixed snake_case rule name and the message
its failure shows. `describe` turns any pydantic error into that rule and message.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Callable, Literal, NamedTuple

from pydantic import AfterValidator, Field, Strict
from pydantic_core import PydanticCustomError
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as eu_vat

from billing.contract import DOCUMENT_FORMATS
from billing.money import NON_CURRENCIES, _known_currencies
from billing.invoicing.rf_reference import is_rf_reference
from billing.invoicing.terms import TermsError, parse_terms


class Rule(NamedTuple):
    """Rule name and message (with `{value}`) for a field's constraint failures."""

    name: str
    message: str


#: Dates a billing workbook holds. Excel's serial dates before 1900-03-01 are ambiguous (its
#: 1900 system counts a 29 February 1900 that never was), and past 2999 a due date or an
#: aging bucket could leave the calendar; such dates are typing mistakes, not invoices.
EARLIEST_DATE = dt.date(1900, 3, 1)
LATEST_DATE = dt.date(2999, 12, 31)
#: Amounts and quantities have at most 15 digits before the decimal point: Excel keeps 15
#: significant digits, and products and sums of such numbers stay exact in Decimal.
MAX_NUMBER = Decimal("1e15")


def show(value: object) -> str:
    """A value as the user typed it: 1001 rather than 1001.0, long text shortened, huge
    numbers in exponent form, logical values as Excel shows them."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (float, Decimal)) and _huge(value):
        return f"{float(value):.6g}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    elif isinstance(value, dt.date):
        value = value.isoformat()
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


# pydantic error type -> (rule, message) for type errors, whatever the field
_TYPE_ERRORS = {
    "missing": ("required", "a value is required here"),
    "string_type": ("invalid_text", "'{value}' is not text"),
    "decimal_parsing": ("invalid_number", "'{value}' is not a number"),
    "decimal_type": ("invalid_number", "'{value}' is not a number"),
    "finite_number": ("invalid_number", "'{value}' is not a finite number"),
    "int_from_float": ("invalid_integer", "{value} is not a whole number"),
    "int_parsing": ("invalid_integer", "'{value}' is not a whole number"),
    "int_type": ("invalid_integer", "'{value}' is not a whole number"),
}
_CONSTRAINT_ERRORS = {
    "literal_error", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
    "string_pattern_mismatch",
}


def _huge(value: float | Decimal) -> bool:
    try:
        return not abs(value) < MAX_NUMBER
    except (ValueError, ArithmeticError):  # NaN
        return False


def describe(error: dict, rule: Rule | None) -> tuple[str, str]:
    """The (rule, message) a pydantic error stands for, the offending value shown."""
    name, message = _classify(error, rule)
    return name, message()


def rule_of(error: dict, rule: Rule | None) -> str:
    """Just the rule `describe` names for the error (no message made: cheap)."""
    return _classify(error, rule)[0]


def _classify(error: dict, rule: Rule | None) -> tuple[str, Callable[[], str]]:
    kind, value = error["type"], error.get("input")
    if value is None and kind not in ("missing",):
        kind = "missing"  # a blank cell where the column is required
    if kind in ("less_than", "less_than_equal") and error.get("ctx", {}).get("lt") == MAX_NUMBER:
        return "number_too_large", lambda: (f"{show(value)} is too large: amounts and quantities have at most "
                                            f"15 digits before the decimal point")
    if kind in _CONSTRAINT_ERRORS and rule is not None:
        if rule.name == "unknown_currency" and value in NON_CURRENCIES:
            return "not_a_currency", lambda: (f"'{value}' is an ISO 4217 code of a metal, fund or unit of "
                                              f"account, or the test code, not a currency to bill in")
        return rule.name, lambda: rule.message.format(value=show(value))
    if kind.startswith("date"):
        if isinstance(value, dt.time):
            return "invalid_date", lambda: (f"{value.isoformat()} is a time of day, not a date (a date before "
                                            f"1900 cannot be an Excel date)")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return "invalid_date", lambda: f"{show(value)} is a number, not a date: format the cell as a date"
        return "invalid_date", lambda: f"'{show(value)}' is not a date (use a date cell or YYYY-MM-DD)"
    if isinstance(value, bool) and kind in _TYPE_ERRORS:
        holds = "text" if kind == "string_type" else "a number"
        return _TYPE_ERRORS[kind][0], lambda: f"{show(value)} is a logical value (TRUE/FALSE), not {holds}"
    if kind == "string_type" and isinstance(value, float) and _huge(value):
        return "imprecise_number", lambda: (f"{show(value)} is a number of more than 15 digits, of which Excel "
                                            f"kept only 15: format the cell as text and type it again")
    if kind in _TYPE_ERRORS:
        name, message = _TYPE_ERRORS[kind]
        return name, lambda: message.format(value=show(value))
    return kind, lambda: error["msg"]  # our own PydanticCustomError: its type is the rule name


def fail(rule: str, message: str, value: object) -> PydanticCustomError:
    return PydanticCustomError(rule, message.replace("{", "{{").replace("}", "}}").replace("{{value}}", "{value}"),
                               {"value": show(value)})


@lru_cache(maxsize=65536)  # payments repeat their payers' IBANs; the check costs ~10 µs
def _iban(value: str) -> str | None:
    compact = "".join(value.split()).upper()
    return compact if stdnum_iban.is_valid(compact) else None


def check_iban(value: str) -> str:
    compact = _iban(value)
    if compact is None:
        raise fail("invalid_iban", "'{value}' is not a valid IBAN (checksum or length wrong)", value)
    return compact


def check_iban_list(value: str) -> tuple[str, ...]:
    """One or more IBANs separated by ';'."""
    return tuple(check_iban(part) for part in value.split(";") if part.strip())


def check_vat_id(value: str) -> str:
    if not eu_vat.is_valid(value):
        raise fail("invalid_vat_id", "'{value}' is not a valid EU VAT id (country prefix and checksum)", value)
    return eu_vat.compact(value)


def check_rf_reference(value: str) -> str:
    """An ISO 11649 creditor reference (RF + 2 check digits + up to 21 characters)."""
    compact = value.replace(" ", "").upper()
    if not is_rf_reference(compact):
        raise fail("invalid_payment_reference", "'{value}' is not a valid ISO 11649 RF reference", value)
    return compact


@lru_cache(maxsize=1024)
def _terms(code: str) -> str:
    return parse_terms(code).code


def check_terms(value: str) -> str:
    try:
        return _terms(value)
    except TermsError as exc:
        raise fail("unknown_terms", str(exc), value) from None


def one_of(values: tuple[str, ...], rule: str) -> object:
    """A coded column: one of `values` (cells are case-folded before they get here)."""
    return Annotated[Literal[values], Rule(rule, f"'{{value}}' is not one of {', '.join(values)}")]


def bounded(rule: str, message: str, **bounds: Decimal) -> object:
    """A Decimal within `bounds` (failures: `rule`), and below `MAX_NUMBER` unless bounded above."""
    if "lt" not in bounds and "le" not in bounds:
        bounds["lt"] = MAX_NUMBER
    return Annotated[Decimal, Field(allow_inf_nan=False, **bounds), Rule(rule, message)]


Text = Annotated[str, Field(min_length=1)]
ExcelDate = Annotated[dt.date, Strict(), Field(ge=EARLIEST_DATE, le=LATEST_DATE),
                      Rule("date_out_of_range", f"{{value}} is outside the dates a billing workbook holds "
                                                f"({EARLIEST_DATE} to {LATEST_DATE})")]
Number = Annotated[Decimal, Field(allow_inf_nan=False, lt=MAX_NUMBER, gt=-MAX_NUMBER)]
Rate = bounded("rate_out_of_range", "{value} is not a fraction in [0, 1): write 19% or 0.19, not 19",
               ge=Decimal(0), lt=Decimal(1))
Amount = bounded("negative_amount", "amount {value} must not be negative; enter a credit note instead",
                 ge=Decimal(0))
Integer = int
Currency = Annotated[Literal[tuple(sorted(_known_currencies() - NON_CURRENCIES))],
                     Rule("unknown_currency", "'{value}' is not an ISO 4217 currency code")]
TermsCode = Annotated[str, AfterValidator(check_terms)]
Iban = Annotated[str, AfterValidator(check_iban)]
IbanList = Annotated[str, AfterValidator(check_iban_list)]
VatId = Annotated[str, AfterValidator(check_vat_id)]
RfReference = Annotated[str, AfterValidator(check_rf_reference)]
Email = Annotated[str, Field(pattern=r"^\s*[^@\s;]+@[^@\s;]+\.[^@\s;]+\s*(;\s*[^@\s;]+@[^@\s;]+\.[^@\s;]+\s*)*$"),
                  Rule("invalid_email", "'{value}' is not an e-mail address")]


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    from babel import Locale

    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


def check_country(value: str) -> str:
    code = value.strip().upper()
    if code not in _countries():
        raise fail("invalid_country", "'{value}' is not an ISO 3166 country code such as DE, AT or FR", value)
    return code


def check_bic(value: str) -> str:
    if not stdnum_bic.is_valid(value):
        raise fail("invalid_bic", "'{value}' is not a BIC (8 or 11 characters, e.g. COBADEFFXXX)", value)
    return stdnum_bic.compact(value)


def check_endpoint(value: str) -> str:
    """An electronic address `scheme:id`: an EAS scheme (four digits, or EM for e-mail) and an id."""
    scheme, sep, identifier = value.partition(":")
    scheme = scheme.strip().upper()
    if not sep or not identifier.strip() or not (scheme == "EM" or (len(scheme) == 4 and scheme.isdigit())):
        raise fail("invalid_endpoint", "'{value}' is not an electronic address scheme:id "
                   "(e.g. 0088:5790000435975, 0204:991-12345-67 or EM:invoices@example.com)", value)
    return f"{scheme}:{identifier.strip()}"


Country = Annotated[str, AfterValidator(check_country)]
Bic = Annotated[str, AfterValidator(check_bic)]
EndpointId = Annotated[str, AfterValidator(check_endpoint)]
DocumentFormat = Annotated[Literal[DOCUMENT_FORMATS], Rule("unknown_document_format",
                                                           f"'{{value}}' is not one of {', '.join(DOCUMENT_FORMATS)}")]
