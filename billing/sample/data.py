"""The sample's result: the `SampleData` record and the scenario names.

`SampleData` holds the rows of the input sheets plus the truth about every payment;
`SCENARIOS` names the payment situations the bank statement contains. The Settings and
TaxRates rows, always the same, are `billing.settings.default_settings()` and
`billing.settings.STANDARD_TAX_RATES`, which a blank workbook starts from too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping, NamedTuple

from billing.contract import (CONTRACTS, CUSTOMERS, DISPUTES, INTEREST_RATES, INVOICE_LINES, INVOICES, PAYMENTS,
                              PRICE_INDEX, PRICE_TIERS, TAX_RATES, USAGE)

#: One sheet row, keyed by contract column names.
Row = dict[str, object]
#: What a sample payment really pays of one invoice, `(invoice_key, amount)`: the ground truth
#: a matching run is scored against (not an allocation the matcher makes).
PaidShare = tuple[str, Decimal]


#: The payment situations the sample's bank statement contains (keys of `SampleData.scenarios`).
SCENARIOS: tuple[str, ...] = (
    "reference",  # quotes the invoice's RF creditor reference
    "invoice_no",  # quotes the invoice number in free text
    "typo",  # quotes the invoice number with a typo
    "combined",  # pays 2-3 invoices of one customer, quoting all numbers
    "combined_noref",  # pays 2-3 invoices of one customer, no reference at all
    "partial",  # pays part of an invoice
    "short",  # pays up to 0.05 less (bank fee)
    "discount",  # pays within the discount days less the early-payment discount
    "overpaid",  # pays more than the invoice, beyond the match tolerance
    "name_amount",  # no reference: only the payer's name, IBAN and the amount
    "noise",  # has nothing to do with any invoice
)


class Shape(NamedTuple):
    """How many rows per invoice a sample has, where a benchmark needs exact sizes.

    `lines_per_invoice`: every invoice and credit note has exactly that many lines (no flat
    fees without lines; a credit note gives back all lines of the invoice it corrects).
    `payments_per_invoice`: the bank statement has `round(invoices × it)` payments; those
    beyond the planned ones are unrelated bank lines (noise: refunds, interest, deposits),
    never fewer payments than the plans need. None: the generator's natural mix.
    """

    lines_per_invoice: int | None = None
    payments_per_invoice: float | None = None


#: the generator's natural mix: 0-5 lines per invoice, ≈ 0.46 payments per invoice
NATURAL = Shape()


@dataclass(frozen=True)
class SampleData:
    """Rows of the input sheets, keyed by contract column names, plus the truth.

    Blank cells are None; values are str, int, `datetime.date` or `Decimal`.
    `truth[payment_id]` is what that payment really pays: `(invoice_key, amount)` pairs,
    empty for noise. `scenarios[payment_id]` names the situation (one of `SCENARIOS`).
    """

    settings: tuple[tuple[str, object], ...]
    customers: tuple[Row, ...]
    tax_rates: tuple[Row, ...]
    invoices: tuple[Row, ...]
    lines: tuple[Row, ...]
    payments: tuple[Row, ...]
    truth: Mapping[str, tuple[PaidShare, ...]] = field(default_factory=lambda: MappingProxyType({}))
    scenarios: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    disputes: tuple[Row, ...] = ()
    interest_rates: tuple[Row, ...] = ()
    contracts: tuple[Row, ...] = ()
    usage: tuple[Row, ...] = ()
    price_index: tuple[Row, ...] = ()
    price_tiers: tuple[Row, ...] = ()

    @property
    def workbook_id(self) -> str | None:
        """The `workbook_id` setting."""
        return dict(self.settings).get("workbook_id")  # type: ignore[return-value]

    def rows(self, sheet_name: str) -> tuple[Row, ...]:
        """The rows of an input sheet by its contract name (Settings as key/value rows)."""
        if sheet_name == "Settings":
            return tuple({"key": key, "value": value} for key, value in self.settings)
        by_name = {
            CUSTOMERS.name: self.customers,
            TAX_RATES.name: self.tax_rates,
            INVOICES.name: self.invoices,
            INVOICE_LINES.name: self.lines,
            PAYMENTS.name: self.payments,
            DISPUTES.name: self.disputes,
            INTEREST_RATES.name: self.interest_rates,
            CONTRACTS.name: self.contracts,
            USAGE.name: self.usage,
            PRICE_INDEX.name: self.price_index,
            PRICE_TIERS.name: self.price_tiers,
        }
        return by_name[sheet_name]
