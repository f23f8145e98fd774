"""Pydantic models of one row of each contract input sheet.

Field names are the contract's column names. A model checks what one row can show on its
own (types, codes, ranges, checksums); rules across rows and sheets live in
`validation.rules`. Blank cells arrive as None and stay None here; a blank `kind` means
`invoice` and a blank `status` means `draft` (the contract's defaults).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from billing.contract import (DISPUTE_REASONS, DISPUTE_STATUSES, INVOICE_KINDS, INVOICE_STATUSES, LANGUAGES,
                              PRORATIONS, TAX_KINDS, TIMINGS, USAGE_PRICING, YES_NO)
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
    Number,
    Rate,
    RfReference,
    Rule,
    TermsCode,
    Text,
    VatId,
    bounded,
    one_of,
)
from validation.schedules import check_period, check_price_change

Status = one_of(INVOICE_STATUSES, "unknown_status")
InvoiceKind = one_of(INVOICE_KINDS, "unknown_kind")
TaxKind = one_of(TAX_KINDS, "unknown_tax_kind")
Quantity = bounded("quantity_not_positive", "quantity {value} must be greater than 0", gt=Decimal(0))
YesNo = one_of(YES_NO, "invalid_yes_no")
Language = one_of(LANGUAGES, "unknown_language")
DisputeReason = one_of(DISPUTE_REASONS, "unknown_dispute_reason")
DisputeStatus = one_of(DISPUTE_STATUSES, "unknown_dispute_status")
Disputed = bounded("amount_not_positive", "a disputed amount must be positive, not {value} (blank: the whole "
                   "open amount)", gt=Decimal(0))
#: a reference rate may be negative (the ECB's deposit rate was), never a whole 100 %
ReferenceRate = bounded("rate_out_of_range", "{value} is not a fraction in (-1, 1): write 4.5% or 0.045, not 4.5",
                        gt=Decimal(-1), lt=Decimal(1))
DunningLevel = Annotated[int, Field(ge=0, le=99),
                         Rule("invalid_dunning_level", "dunning_level {value} must be a reminder level: 0, 1, 2, ...")]
Period = Annotated[str, AfterValidator(check_period)]
PriceChange = Annotated[str, AfterValidator(check_price_change)]
Timing = one_of(TIMINGS, "unknown_timing")
Proration = one_of(PRORATIONS, "unknown_proration")
UsagePricing = one_of(USAGE_PRICING, "unknown_usage_pricing")
AnchorDay = Annotated[int, Field(ge=1, le=31),
                      Rule("invalid_anchor_day", "anchor_day {value} must be a day of the month, 1 to 31")]
MinimumTerm = Annotated[int, Field(ge=1, le=1200),
                        Rule("invalid_minimum_term", "minimum_term_months {value} must be a number of months, "
                                                     "1 or more")]
IndexValue = bounded("index_value_not_positive", "an index value must be greater than 0, not {value}", gt=Decimal(0))
TierStart = bounded("negative_quantity", "from_quantity {value} must not be negative", ge=Decimal(0))
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
    on_hold: Optional[YesNo] = None
    promise_date: Optional[ExcelDate] = None
    language: Optional[Language] = None


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
    on_hold: Optional[YesNo] = None
    promise_date: Optional[ExcelDate] = None
    last_reminder: Optional[ExcelDate] = None
    dunning_level: Optional[DunningLevel] = None


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


class DisputeRow(Row):
    invoice_no: Text
    opened: ExcelDate
    reason: Optional[DisputeReason] = None
    amount: Optional[Disputed] = None
    status: DisputeStatus
    owner: Optional[Text] = None
    note: Optional[Text] = None


class InterestRateRow(Row):
    valid_from: ExcelDate
    rate: ReferenceRate


class ContractRow(Row):
    contract_id: Text
    customer_id: Text
    description: Text
    quantity: Number  # negative for a credit line (a discount); zero: usage only
    unit_price: Amount
    currency: Optional[Currency] = None
    tax_code: Text
    period: Period
    start_date: ExcelDate
    end_date: Optional[ExcelDate] = None
    anchor_day: Optional[AnchorDay] = None
    timing: Optional[Timing] = None
    proration: Optional[Proration] = None
    price_change: Optional[PriceChange] = None
    notice_date: Optional[ExcelDate] = None
    minimum_term_months: Optional[MinimumTerm] = None
    on_hold: Optional[YesNo] = None
    usage_pricing: Optional[UsagePricing] = None


class UsageRow(Row):
    contract_id: Text
    date: ExcelDate
    quantity: Number  # negative: a correction of usage reported before
    note: Optional[Text] = None


class PriceIndexRow(Row):
    index: Text
    month: ExcelDate
    value: IndexValue


class PriceTierRow(Row):
    contract_id: Text
    from_quantity: TierStart
    unit_price: Amount


#: The row model of each input sheet (Settings is a key/value table: `validation.settings`).
ROW_MODELS: dict[str, type[Row]] = {
    "Customers": CustomerRow,
    "TaxRates": TaxRateRow,
    "Invoices": InvoiceRow,
    "InvoiceLines": InvoiceLineRow,
    "Payments": PaymentRow,
    "Disputes": DisputeRow,
    "InterestRates": InterestRateRow,
    "Contracts": ContractRow,
    "Usage": UsageRow,
    "PriceIndex": PriceIndexRow,
    "PriceTiers": PriceTierRow,
}
