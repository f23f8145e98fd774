"""The workbook contract as data: sheets, their columns, their number formats, and how
headers are matched.

`docs/workbook-contract.md` describes the contract in words; this module is its
machine-readable form (`tests/test_contract_docs.py` keeps the two equal). Reading,
validation, templates and every writer of an output sheet take their sheet names, column
names and number formats from here, so each is spelled once: a column has a `Kind`, and
the kind decides both how its cells are read and how they are shown (`FORMATS`).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Iterable, NamedTuple, Sequence


class Kind(str, Enum):
    """How a column's cells are read."""

    TEXT = "text"
    MONEY = "money"  # Decimal, rounded to the row currency's minor unit
    RATE = "rate"  # a fraction: 0.19 shown as 19 %
    NUMBER = "number"  # an exact Decimal quantity
    INTEGER = "integer"
    DATE = "date"
    # kinds only output sheets have: the project writes these values, a user does not type them
    SCORE = "score"  # a 0–1 grade, e.g. a match's confidence: two decimals
    DAYS = "days"  # a length of time in days to one decimal, e.g. DSO
    COUNT = "count"  # a whole number the project counts (days past due, a reminder level): no format


#: The Excel number format of each kind; a kind not listed (text, a count) keeps Excel's General.
FORMATS: dict[Kind, str] = {
    Kind.DATE: "yyyy-mm-dd",
    Kind.MONEY: "#,##0.00",
    Kind.RATE: "0.00%",
    Kind.NUMBER: "#,##0.00##",  # 3 shows as 3.00, 2.5 as 2.50, 0.125 as 0.125; never "3."
    Kind.INTEGER: "0",
    Kind.SCORE: "0.00",
    Kind.DAYS: "0.0",
}
#: The value axis of an output sheet's chart (amounts): whole units, the decimals would be noise.
CHART_AXIS_FORMAT = "#,##0"


class Column(NamedTuple):
    name: str
    kind: Kind = Kind.TEXT
    #: the header must be present for the sheet to be usable
    required_header: bool = False
    #: computed by the project (filled by `compute`/`number`), not typed by the user
    computed: bool = False
    #: stands for one column per label known only at run time (the aging buckets, from the
    #: `aging_buckets` setting); `name` is its placeholder
    per_label: bool = False


class SheetSpec(NamedTuple):
    name: str
    columns: tuple[Column, ...]
    #: the column whose values must be unique (blank values excluded)
    key: str | None = None
    #: an input sheet a workbook may lack: read when present, never reported missing, and a
    #: workbook without it works as before (its typed table is empty)
    optional: bool = False

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def header(self, labels: Sequence[str] = (), without: Iterable[str] = ()) -> tuple[str, ...]:
        """The columns as an output sheet writes them, in order: a per-label column becomes
        one column per label, the columns named in `without` are left out."""
        left_out = set(without)
        return tuple(name for c in self.columns if c.name not in left_out
                     for name in (labels if c.per_label else (c.name,)))

    def number_formats(self, labels: Sequence[str] = (), without: Iterable[str] = ()) -> dict[str, str]:
        """The number format of each column of `header(labels, without)` whose kind has one (`FORMATS`)."""
        left_out = set(without)
        return {name: FORMATS[c.kind] for c in self.columns if c.kind in FORMATS and c.name not in left_out
                for name in (labels if c.per_label else (c.name,))}


T, M, R, N, I, D = Kind.TEXT, Kind.MONEY, Kind.RATE, Kind.NUMBER, Kind.INTEGER, Kind.DATE
S, DAYS, C = Kind.SCORE, Kind.DAYS, Kind.COUNT

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
        # particulars of issued documents (e-invoices: EN 16931 business terms)
        Column("street"),
        Column("postcode"),
        Column("city"),
        Column("country"),  # ISO 3166-1 alpha-2
        Column("buyer_reference"),  # BT-10, e.g. a German Leitweg-ID
        Column("endpoint_id"),  # BT-49, the electronic address as `scheme:id`
        Column("document_format"),  # blank: the Settings' document_format
        Column("invoice_email"),  # blank: `email`
        # collections: holds, promises to pay, the language of letters and messages
        Column("on_hold"),  # yes: no reminders
        Column("promise_date", D),  # no reminder until after it
        Column("language"),  # en, de; blank: en
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
        # collections: holds, promises, and the reminder history (`remind` writes the last two)
        Column("on_hold"),
        Column("promise_date", D),
        Column("last_reminder", D),
        Column("dunning_level", I),
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

DISPUTES = SheetSpec(
    "Disputes",
    (
        Column("invoice_no", T, True),
        Column("opened", D, True),
        Column("reason"),
        Column("amount", M),  # the disputed part; blank: the whole open amount
        Column("status", T, True),
        Column("owner"),
        Column("note"),
    ),
    optional=True,
)
INTEREST_RATES = SheetSpec(
    "InterestRates",
    (Column("valid_from", D, True), Column("rate", R, True)),
    key="valid_from",
    optional=True,
)

# Billing schedules (issue 19): recurring contract lines, metered usage, price indexes and
# usage price tiers. `contract_id` is not unique: a contract may have several lines; a line's
# key is (contract_id, description).
CONTRACTS = SheetSpec(
    "Contracts",
    (
        Column("contract_id", T, True),
        Column("customer_id", T, True),
        Column("description", T, True),
        Column("quantity", N, True),
        Column("unit_price", M, True),
        Column("currency"),  # blank: the customer's, else the base currency
        Column("tax_code", T, True),
        Column("period", T, True),  # PERIODS or every_<n>_months
        Column("start_date", D, True),
        Column("end_date", D),  # blank: open-ended
        Column("anchor_day", I),  # 1–31; blank: the start date's day
        Column("timing"),  # TIMINGS; blank: advance
        Column("proration"),  # PRORATIONS; blank: days
        Column("price_change"),  # blank, `N%` (yearly, on each anniversary) or `index:<name>`
        # ours, after the common contract's
        Column("notice_date", D),  # the day notice of cancellation was given
        Column("minimum_term_months", I),
        Column("on_hold"),  # yes: not billed
        Column("usage_pricing"),  # USAGE_PRICING: tiers from PriceTiers; blank: the unit_price
    ),
    optional=True,
)
USAGE = SheetSpec(
    "Usage",
    (
        Column("contract_id", T, True),
        Column("date", D, True),
        Column("quantity", N, True),
        Column("note"),
    ),
    optional=True,
)
PRICE_INDEX = SheetSpec(
    "PriceIndex",
    (
        Column("index", T, True),
        Column("month", D, True),  # any day of the month stands for the month
        Column("value", N, True),
    ),
    optional=True,
)
PRICE_TIERS = SheetSpec(
    "PriceTiers",
    (
        Column("contract_id", T, True),
        Column("from_quantity", N, True),
        Column("unit_price", M, True),
    ),
    optional=True,
)

#: The sheets a user fills in, in the order a new workbook shows them (the `optional` ones
#: may be missing: a workbook made before them stays valid and works as before).
INPUT_SHEETS: tuple[SheetSpec, ...] = (SETTINGS, CUSTOMERS, TAX_RATES, INVOICES, INVOICE_LINES, PAYMENTS,
                                       DISPUTES, INTEREST_RATES, CONTRACTS, USAGE, PRICE_INDEX, PRICE_TIERS)

# Output sheets: written by the project, replaced on each run. Columns in the order written;
# a column added later goes last, so the columns before it keep their places.
ALLOCATIONS = SheetSpec(
    "Allocations",
    (
        Column("payment_id", T, True),
        Column("invoice_no", T, True),
        Column("amount", M, True),
        Column("method", T, True),
        Column("confidence", S),
        Column("explanation"),
        # the difference written off (short payment within tolerance, early-payment discount)
        Column("settled", M, computed=True),
    ),
)
UNMATCHED = SheetSpec(
    "Unmatched",
    (
        Column("payment_id"),
        Column("value_date", D),
        Column("amount", M),
        Column("payer_name"),
        Column("reference_text"),
        Column("candidates"),
        Column("currency"),
        Column("reason"),
    ),
)
INVOICE_TAX_SUMMARY = SheetSpec(
    "InvoiceTaxSummary",
    (
        Column("invoice_key"),
        Column("invoice_no"),
        Column("tax_code"),
        Column("rate", R),
        Column("kind"),
        Column("base", M),
        Column("tax", M),
        Column("currency"),
        Column("note"),
    ),
)
AGING = SheetSpec(
    "Aging",
    (
        Column("customer_id"),
        Column("name"),
        Column("currency"),
        Column("{bucket}", M, per_label=True),
        Column("unapplied", M),
        Column("total", M),
        Column("dso", DAYS),
        Column("disputed", M),  # only when the workbook has a Disputes sheet
    ),
)
DUNNING = SheetSpec(
    "Dunning",
    (
        Column("customer_id"),
        Column("name"),
        Column("currency"),
        Column("invoice_no"),
        Column("issue_date", D),
        Column("due_date", D),
        Column("days_past_due", C),
        Column("open_amount", M),
        Column("level", C),
        Column("customer_level", C),
        Column("last_reminder", D),  # only when Invoices has a `last_reminder` column
    ),
)
DISPUTE_LIST = SheetSpec(
    "DisputeList",
    (
        Column("invoice_no"),
        Column("customer_id"),
        Column("currency"),
        Column("opened", D),
        Column("age_days", C),
        Column("reason"),
        Column("amount", M),
        Column("status"),
        Column("owner"),
        Column("note"),
    ),
)
#: a line of a customer statement: the statement file's Statement sheet, and the close's
#: Statements sheet, which puts the customer and the currency in front of each line
_STATEMENT_LINE = (
    Column("date", D),
    Column("type"),
    Column("reference"),
    Column("due_date", D),
    Column("amount", M),
    Column("balance", M),
    Column("description"),
)
STATEMENTS = SheetSpec("Statements", (Column("customer_id"), Column("currency"), *_STATEMENT_LINE))
CLOSE = SheetSpec(
    "Close",
    # `amount` holds counts as well as money: one column of figures, shown alike
    (Column("section"), Column("item"), Column("currency"), Column("amount", M), Column("note")),
)
DOCUMENTS = SheetSpec(
    "Documents",
    (
        Column("invoice_no"),
        Column("format"),
        Column("file"),
        Column("sha256"),
        Column("valid"),
        Column("issued_at", D),
        Column("rules"),
    ),
)
REMINDERS = SheetSpec(
    "Reminders",
    (
        Column("customer_id"),
        Column("currency"),
        Column("level", C),
        Column("invoice_no"),
        Column("open", M),
        Column("days_past_due", C),
        Column("interest", M),
        Column("fee", M),
        Column("letter"),
        Column("as_of", D),
        Column("compensation", M),
        Column("disputed", M),
        Column("total", M),
    ),
)
SENT = SheetSpec(
    "Sent",
    (
        Column("to"),
        Column("subject"),
        Column("message_id"),
        Column("attachments"),
        Column("result"),
        Column("kind"),
        Column("customer_id"),
        Column("sent_at"),
        Column("attempts", C),
    ),
)
BILLING_RUN = SheetSpec(
    "BillingRun",
    (
        Column("contract_id"),
        Column("period_from", D),
        Column("period_to", D),
        Column("invoice_key"),  # blank when skipped
        Column("net", M),
        Column("note"),  # what was billed, or why not
        # ours, after the common contract's
        Column("description"),
        Column("customer_id"),
        Column("quantity", N),
        Column("unit_price", M),
        Column("rule"),  # the proration shown on the line, e.g. `17/31 days`
    ),
)
#: a calendar: one column per month (`YYYY-MM`), so the bar chart of the TOTAL rows shows the
#: months side by side, as the Aging chart shows its buckets
BILLING_PLAN = SheetSpec(
    "BillingPlan",
    (
        Column("customer_id"),
        Column("currency"),
        Column("{month}", M, per_label=True),
        Column("total", M),
    ),
)
VALIDATION = SheetSpec(
    "Validation",
    (Column("severity"), Column("cell"), Column("rule"), Column("message")),
)

#: The output sheets of the billing workbook, in the order the close writes them (the
#: commands' own sheets, such as BillingRun and BillingPlan of `bill`, among them).
OUTPUT_SHEETS: tuple[SheetSpec, ...] = (INVOICE_TAX_SUMMARY, ALLOCATIONS, UNMATCHED, AGING, DUNNING, DISPUTE_LIST,
                                        STATEMENTS, CLOSE, DOCUMENTS, REMINDERS, SENT, BILLING_RUN, BILLING_PLAN,
                                        VALIDATION)

# The sheets of one customer's statement file (`xlbilling statements`), not of the workbook.
ACCOUNT = SheetSpec(
    "Account",
    (
        Column("issuer"),
        Column("customer_id"),
        Column("customer"),
        Column("currency"),
        Column("period_start", D),
        Column("period_end", D),
        Column("opening_balance", M),
        Column("closing_balance", M),
    ),
)
STATEMENT = SheetSpec("Statement", _STATEMENT_LINE)
STATEMENT_FILE_SHEETS: tuple[SheetSpec, ...] = (ACCOUNT, STATEMENT)

#: Allowed values of the coded columns (also the dropdowns of a new workbook).
INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_STATUSES = ("draft", "issued", "void")
TAX_KINDS = ("standard", "reduced", "zero", "exempt", "reverse_charge", "intra_eu", "export")
#: The formats an invoice document can be issued in (Settings and Customers `document_format`).
DOCUMENT_FORMATS = ("pdf", "facturx", "xrechnung-ubl", "xrechnung-cii", "peppol", "ubl", "cii")
ALLOCATION_METHODS = ("reference", "invoice_no", "fuzzy", "amount", "combined", "manual")
DISPUTE_REASONS = ("price", "quantity", "quality", "not_received", "duplicate", "terms", "other")
#: open: its amount is kept out of reminders and interest; the others close it
DISPUTE_STATUSES = ("open", "resolved", "credited", "rejected")
#: the yes/no columns (Customers and Invoices `on_hold`); blank: no
YES_NO = ("yes", "no")
#: the languages of letters and messages (Customers `language`); blank: the first
LANGUAGES = ("en", "de")
#: the named billing periods (Contracts `period`) and their length in months; besides them,
#: `every_<n>_months` (PERIOD_PATTERN) for any n from 1 to MAX_PERIOD_MONTHS
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}
PERIODS = tuple(PERIOD_MONTHS)
PERIOD_PATTERN = re.compile(r"every_(\d+)_months")
MAX_PERIOD_MONTHS = 120
#: when a period is billed (Contracts `timing`): at its start, or after its end; blank: the first
TIMINGS = ("advance", "arrears")
#: how a partial period is priced (Contracts `proration`): the full price, by days, by months;
#: blank: `days`
PRORATIONS = ("none", "days", "months")
DEFAULT_TIMING, DEFAULT_PRORATION = "advance", "days"
#: how usage is priced from PriceTiers (Contracts `usage_pricing`): `volume` — the whole
#: quantity at the price of the tier it reaches; `graduated` — each tier's part at its price
USAGE_PRICING = ("volume", "graduated")

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
    for spec in (*INPUT_SHEETS, *OUTPUT_SHEETS):
        if normalize_header(spec.name) == wanted:
            return spec
    return None
