"""The workbook contract as data: sheets, their columns, and how headers are matched.

`../shared/spec/workbook-contract.md` is the source of truth; this module is its
machine-readable form. Reading, validation, templates and output writing all take their
sheet and column names from here, so a name is spelled once.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import NamedTuple


class Kind(str, Enum):
    """How a column's cells are read."""

    TEXT = "text"
    MONEY = "money"  # Decimal, rounded to the row currency's minor unit
    RATE = "rate"  # a fraction: 0.19 shown as 19 %
    NUMBER = "number"  # an exact Decimal quantity
    INTEGER = "integer"
    DATE = "date"


class Column(NamedTuple):
    name: str
    kind: Kind = Kind.TEXT
    #: the header must be present for the sheet to be usable
    required_header: bool = False
    #: computed by the project (filled by `compute`/`number`), not typed by the user
    computed: bool = False


class SheetSpec(NamedTuple):
    name: str
    columns: tuple[Column, ...]
    #: the column whose values must be unique (blank values excluded)
    key: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


T, M, R, N, I, D = Kind.TEXT, Kind.MONEY, Kind.RATE, Kind.NUMBER, Kind.INTEGER, Kind.DATE

SETTINGS = SheetSpec(
    "Settings",
    (Column("key", T, True), Column("value", T, True)),
    key="key",
)
CUSTOMERS = SheetSpec(
    "Customers",
    (
        Column("customer_id", T, True),
        Column("name", T, True),
        Column("vat_id"),
        Column("email"),
        Column("currency"),
        Column("terms"),
        Column("iban"),
    ),
    key="customer_id",
)
TAX_RATES = SheetSpec(
    "TaxRates",
    (
        Column("tax_code", T, True),
        Column("rate", R, True),
        Column("kind", T, True),
        Column("description"),
    ),
    key="tax_code",
)
INVOICES = SheetSpec(
    "Invoices",
    (
        Column("invoice_key", T, True),
        Column("invoice_no", T, computed=True),
        Column("kind"),
        Column("customer_id", T, True),
        Column("issue_date", D, True),
        Column("terms"),
        Column("due_date", D),
        Column("currency"),
        Column("discount_pct", R),
        Column("status"),
        Column("void_reason"),
        Column("corrects"),
        Column("payment_reference"),
        Column("tax_code"),
        Column("net", M),
        Column("tax", M, computed=True),
        Column("gross", M),
    ),
    key="invoice_key",
)
INVOICE_LINES = SheetSpec(
    "InvoiceLines",
    (
        Column("invoice_key", T, True),
        Column("line_no", I),
        Column("description"),
        Column("quantity", N, True),
        Column("unit_price", M, True),
        Column("discount_pct", R),
        Column("tax_code", T, True),
        Column("net", M, computed=True),
        Column("tax", M, computed=True),
        Column("gross", M, computed=True),
    ),
)
PAYMENTS = SheetSpec(
    "Payments",
    (
        Column("payment_id", T, True),
        Column("value_date", D, True),
        Column("amount", M, True),
        Column("currency"),
        Column("payer_name"),
        Column("payer_iban"),
        Column("reference_text"),
    ),
    key="payment_id",
)

#: The sheets a user fills in, in the order a new workbook shows them.
INPUT_SHEETS: tuple[SheetSpec, ...] = (SETTINGS, CUSTOMERS, TAX_RATES, INVOICES, INVOICE_LINES, PAYMENTS)

ALLOCATIONS = SheetSpec(
    "Allocations",
    (
        Column("payment_id", T, True),
        Column("invoice_no", T, True),
        Column("amount", M, True),
        Column("method", T, True),
        Column("confidence", N),
        Column("explanation"),
    ),
)
VALIDATION = SheetSpec(
    "Validation",
    (Column("severity"), Column("cell"), Column("rule"), Column("message")),
)

#: Allowed values of the coded columns (also the dropdowns of a new workbook).
INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_STATUSES = ("draft", "issued", "void")
TAX_KINDS = ("standard", "reduced", "zero", "exempt", "reverse_charge")
ALLOCATION_METHODS = ("reference", "invoice_no", "fuzzy", "amount", "combined", "manual")

_SEPARATORS = re.compile(r"[\s_]+")


def normalize_header(header: object) -> str:
    """The comparable form of a header: case-folded, spaces and underscores alike.

    >>> normalize_header(" Invoice No ")
    'invoice_no'
    >>> normalize_header("INVOICE_NO") == normalize_header("invoice no")
    True
    """
    if header is None:
        return ""
    return _SEPARATORS.sub("_", str(header).strip().casefold())


def spec_for(sheet_name: str) -> SheetSpec | None:
    """The contract sheet of that name (case-insensitive), or None."""
    wanted = normalize_header(sheet_name)
    for spec in (*INPUT_SHEETS, ALLOCATIONS, VALIDATION):
        if normalize_header(spec.name) == wanted:
            return spec
    return None
