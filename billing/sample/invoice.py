"""One sample invoice or credit note: its record and its rows.

`Invoice` is the generator's working record; `row` and `line_rows` turn it into the
Invoices and InvoiceLines rows (computed columns left blank). `set_gross` works out the
gross the payments need, by billing's own invoice computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


from billing.invoicing.arithmetic import Items, compute_items, effective_rate
from billing.sample.customers import Customer
from billing.sample.data import Row
from billing.settings import STANDARD_TAX_RATES
from billing.sample.timeline import DEFAULT_TERMS

#: one invoice line: (description, quantity, unit_price, discount_pct, tax_code)
Item = tuple[str, Decimal, Decimal, Decimal | None, str]

@dataclass(eq=False)
class Invoice:
    """An invoice or credit note as the generator builds it, identified by `key`."""

    key: str
    customer: Customer
    issue_date: date
    kind: str = "invoice"
    status: str = "issued"
    number: str | None = None
    reference: str | None = None
    terms: str | None = None
    discount_pct: Decimal | None = None
    void_reason: str | None = None
    corrects: Invoice | None = None
    corrected: bool = False
    #: (description, quantity, unit_price, discount_pct, tax_code); empty for an invoice without lines
    items: list[Item] = field(default_factory=list)
    net: Decimal | None = None  # input net of an invoice without lines
    tax_code: str | None = None  # tax code of an invoice without lines
    gross: Decimal = Decimal(0)

    @property
    def effective_terms(self) -> str:
        """The invoice's terms, else its customer's, else the default terms."""
        return self.terms or self.customer.terms or DEFAULT_TERMS

    @property
    def open_item(self) -> bool:
        """Numbered, issued, an invoice and not corrected by a credit note: payable."""
        return self.status == "issued" and self.kind == "invoice" and self.number is not None and not self.corrected

    def row(self) -> Row:
        """The Invoices row; due date, tax and gross are left for the workbook to compute."""
        return {
            "invoice_key": self.key,
            "invoice_no": self.number,
            "kind": self.kind,
            "customer_id": self.customer.customer_id,
            "issue_date": self.issue_date,
            "terms": self.terms,
            "due_date": None,
            "currency": self.customer.currency,
            "discount_pct": self.discount_pct,
            "status": self.status,
            "void_reason": self.void_reason,
            "corrects": self.corrects.number if self.corrects else None,
            "payment_reference": self.reference,
            "tax_code": None if self.items else self.tax_code,
            "net": None if self.items else self.net,
            "tax": None,
            "gross": None,
        }

    def line_rows(self) -> list[Row]:
        """The InvoiceLines rows, numbered from 1; amounts are left for the workbook to compute."""
        return [
            {
                "invoice_key": self.key,
                "line_no": n,
                "description": description,
                "quantity": quantity,
                "unit_price": price,
                "discount_pct": discount,
                "tax_code": code,
                "net": None,
                "tax": None,
                "gross": None,
            }
            for n, (description, quantity, price, discount, code) in enumerate(self.items, start=1)
        ]


def set_gross(invoices: list[Invoice]) -> None:
    """Each invoice's gross by the workbook's default rules (net prices, tax per code, half_up)."""
    if not invoices:
        return
    rates = {str(r["tax_code"]): effective_rate(r["rate"], r["kind"]) for r in STANDARD_TAX_RATES}  # type: ignore[arg-type]
    rows = [
        (inv.key, quantity, price, discount or Decimal(0), inv.discount_pct or Decimal(0), code, inv.customer.currency)
        for inv in invoices
        for _, quantity, price, discount, code in (inv.items or [("", Decimal(1), inv.net, None, inv.tax_code)])
    ]
    keys, quantities, prices, discounts, invoice_discounts, codes, currencies = (list(c) for c in zip(*rows))
    items = Items(keys, quantities, prices, discounts, invoice_discounts, codes, [rates[c] for c in codes], currencies)
    gross = compute_items(items, "net", "invoice", "half_up").groupby("invoice", sort=False)["gross"].sum()
    for inv in invoices:
        inv.gross = gross[inv.key]
