"""Pydantic models of one row of each contract input sheet.

Field names are the contract's column names. A model checks what one row can show on its
own (types, codes, ranges, checksums); rules across rows and sheets live in
`validation.rules`. Blank cells arrive as None and stay None here; a blank `kind` means
`invoice` and a blank `status` means `draft` (the contract's defaults).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from pydantic import BaseModel, ConfigDict

from billing.contract import INVOICE_KINDS, INVOICE_STATUSES, TAX_KINDS
from validation.fields import (
    Amount,
    Country,
    Currency,
    DocumentFormat,
    Email,
    EndpointId,
    ExcelDate,
    Iban,
    IbanList,
    Integer,
    Rate,
    RfReference,
    TermsCode,
    Text,
    VatId,
    bounded,
    one_of,
)

Status = one_of(INVOICE_STATUSES, "unknown_status")
InvoiceKind = one_of(INVOICE_KINDS, "unknown_kind")
TaxKind = one_of(TAX_KINDS, "unknown_tax_kind")
Quantity = bounded("quantity_not_positive", "quantity {value} must be greater than 0", gt=Decimal(0))
Received = bounded("amount_not_positive", "a payment received must be positive, not {value}", gt=Decimal(0))


class Row(BaseModel):
    """Common configuration: immutable, unknown columns ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class CustomerRow(Row):
    customer_id: Text
    name: Text
    vat_id: Optional[VatId] = None
    email: Optional[Email] = None
    currency: Optional[Currency] = None
    terms: Optional[TermsCode] = None
    iban: Optional[IbanList] = None
    street: Optional[Text] = None
    postcode: Optional[Text] = None
    city: Optional[Text] = None
    country: Optional[Country] = None
    buyer_reference: Optional[Text] = None
    endpoint_id: Optional[EndpointId] = None
    document_format: Optional[DocumentFormat] = None
    invoice_email: Optional[Email] = None


class TaxRateRow(Row):
    tax_code: Text
    rate: Rate
    kind: TaxKind
    description: Optional[Text] = None


class InvoiceRow(Row):
    invoice_key: Text
    invoice_no: Optional[Text] = None
    kind: Optional[InvoiceKind] = None
    customer_id: Text
    issue_date: ExcelDate
    terms: Optional[TermsCode] = None
    due_date: Optional[ExcelDate] = None
    currency: Optional[Currency] = None
    discount_pct: Optional[Rate] = None
    status: Optional[Status] = None
    void_reason: Optional[Text] = None
    corrects: Optional[Text] = None
    payment_reference: Optional[RfReference] = None
    tax_code: Optional[Text] = None
    net: Optional[Amount] = None
    tax: Optional[Amount] = None
    gross: Optional[Amount] = None


class InvoiceLineRow(Row):
    invoice_key: Text
    line_no: Optional[Integer] = None
    description: Optional[Text] = None
    quantity: Quantity
    unit_price: Amount
    discount_pct: Optional[Rate] = None
    tax_code: Text
    net: Optional[Amount] = None
    tax: Optional[Amount] = None
    gross: Optional[Amount] = None


class PaymentRow(Row):
    payment_id: Text
    value_date: ExcelDate
    amount: Received
    currency: Optional[Currency] = None
    payer_name: Optional[Text] = None
    payer_iban: Optional[Iban] = None
    reference_text: Optional[Text] = None


#: The row model of each input sheet (Settings is a key/value table: `validation.settings`).
ROW_MODELS: dict[str, type[Row]] = {
    "Customers": CustomerRow,
    "TaxRates": TaxRateRow,
    "Invoices": InvoiceRow,
    "InvoiceLines": InvoiceLineRow,
    "Payments": PaymentRow,
}
