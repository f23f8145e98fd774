"""An `InvoiceDocument` as UN/CEFACT Cross Industry Invoice D16B (`rsm:CrossIndustryInvoice`).

`cii_bytes(document, format_name)` writes plain EN 16931 CII (`cii`), the XML of a
Factur-X / ZUGFeRD invoice in its EN 16931 profile (`facturx`: the same specification
identifier, the PDF writer embeds it as `factur-x.xml`) or XRechnung 3.0 CII
(`xrechnung-cii`). A credit note is type code 381 with positive amounts. Elements come in
the order of the D16B schema; the business term each carries is named beside it.
"""

from __future__ import annotations

import datetime as dt

from billing.documents.formats import XmlFormat, amount, coded_discount, number, xml_format
from billing.documents.xml import Tree
from billing.invoicing.document import InvoiceDocument, Line, Party

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"


def cii_bytes(document: InvoiceDocument, format_name: str = "cii") -> bytes:
    """The CII XML of the document in the named format (`cii`, `facturx`, `xrechnung-cii`)."""
    fmt = xml_format(format_name)
    if fmt.syntax != "cii":
        raise ValueError(f"{format_name} is written in UBL, not CII")
    return _CiiWriter(document, fmt).write()


class _CiiWriter:
    def __init__(self, document: InvoiceDocument, fmt: XmlFormat):
        self.doc, self.fmt = document, fmt
        self.t = Tree("rsm:CrossIndustryInvoice", {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT})
        self.places = document.minor_unit

    def money(self, parent, tag: str, value, currency: bool = False) -> None:
        self.t.child(parent, tag, amount(value, self.places), currencyID=self.doc.currency if currency else None)

    def date(self, parent, tag: str, day: dt.date, kind: str = "udt") -> None:
        self.t.child(self.t.child(parent, tag), f"{kind}:DateTimeString", day.strftime("%Y%m%d"), format="102")

    def write(self) -> bytes:
        d, t, root = self.doc, self.t, self.t.root
        context = t.child(root, "rsm:ExchangedDocumentContext")
        if self.fmt.process:
            t.child(t.child(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"), "ram:ID",
                    self.fmt.process)  # BT-23
        t.child(t.child(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID",
                self.fmt.customization)  # BT-24
        header = t.child(root, "rsm:ExchangedDocument")
        t.child(header, "ram:ID", d.number)  # BT-1
        t.child(header, "ram:TypeCode", d.type_code)  # BT-3
        self.date(header, "ram:IssueDateTime", d.issue_date)  # BT-2
        for note in d.notes:
            t.child(t.child(header, "ram:IncludedNote"), "ram:Content", note)  # BT-22
        transaction = t.child(root, "rsm:SupplyChainTradeTransaction")
        for line in d.lines:
            self.line(transaction, line)
        agreement = t.child(transaction, "ram:ApplicableHeaderTradeAgreement")
        t.child(agreement, "ram:BuyerReference", d.buyer_reference)  # BT-10
        self.party(agreement, "ram:SellerTradeParty", d.seller, seller=True)  # BG-4
        self.party(agreement, "ram:BuyerTradeParty", d.buyer, seller=False)  # BG-7
        delivery = t.child(transaction, "ram:ApplicableHeaderTradeDelivery")  # BG-13
        if any(v.category == "K" for v in d.vat) and d.buyer.address.country:  # BR-IC-12: deliver-to country
            ship_to = t.child(delivery, "ram:ShipToTradeParty")
            self.address(ship_to, d.buyer)
        self.date(t.child(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime",
                  d.delivery_date)  # BT-72
        self.settlement(transaction)
        return t.bytes()

    def party(self, parent, tag: str, party: Party, seller: bool) -> None:
        t = self.t
        element = t.child(parent, tag)
        t.child(element, "ram:ID", party.identifier)  # BT-29 / BT-46
        t.child(element, "ram:Name", party.name)  # BT-27 / BT-44
        if party.registration:
            t.child(t.child(element, "ram:SpecifiedLegalOrganization"), "ram:ID", party.registration)  # BT-30
        if party.contact_name or party.contact_phone or party.contact_email:  # BG-6 / BG-9
            contact = t.child(element, "ram:DefinedTradeContact")
            t.child(contact, "ram:PersonName", party.contact_name)  # BT-41 / BT-56
            if party.contact_phone:
                t.child(t.child(contact, "ram:TelephoneUniversalCommunication"), "ram:CompleteNumber",
                        party.contact_phone)  # BT-42 / BT-57
            if party.contact_email:
                t.child(t.child(contact, "ram:EmailURIUniversalCommunication"), "ram:URIID",
                        party.contact_email)  # BT-43 / BT-58
        self.address(element, party)  # BG-5 / BG-8
        if party.endpoint is not None:
            t.child(t.child(element, "ram:URIUniversalCommunication"), "ram:URIID", party.endpoint.identifier,
                    schemeID=party.endpoint.scheme)  # BT-34 / BT-49
        if party.vat_id:
            t.child(t.child(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
        if seller and party.tax_number:
            t.child(t.child(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")

    def address(self, parent, party: Party) -> None:
        t = self.t
        address = t.child(parent, "ram:PostalTradeAddress")
        t.child(address, "ram:PostcodeCode", party.address.postcode)  # BT-38 / BT-53
        t.child(address, "ram:LineOne", party.address.street)  # BT-35 / BT-50
        t.child(address, "ram:CityName", party.address.city)  # BT-37 / BT-52
        t.child(address, "ram:CountryID", party.address.country or "")  # BT-40 / BT-55

    def settlement(self, transaction) -> None:
        d, t = self.doc, self.t
        element = t.child(transaction, "ram:ApplicableHeaderTradeSettlement")
        means = d.payment_means
        t.child(element, "ram:PaymentReference", means.remittance)  # BT-83
        t.child(element, "ram:InvoiceCurrencyCode", d.currency)  # BT-5
        payment = t.child(element, "ram:SpecifiedTradeSettlementPaymentMeans")  # BG-16
        t.child(payment, "ram:TypeCode", means.code)  # BT-81
        if means.iban:  # BG-17
            account = t.child(payment, "ram:PayeePartyCreditorFinancialAccount")
            t.child(account, "ram:IBANID", means.iban)  # BT-84
            t.child(account, "ram:AccountName", means.account_name)  # BT-85
            if means.bic:
                t.child(t.child(payment, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID",
                        means.bic)  # BT-86
        for vat in d.vat:  # BG-23
            tax = t.child(element, "ram:ApplicableTradeTax")
            self.money(tax, "ram:CalculatedAmount", vat.tax)  # BT-117
            t.child(tax, "ram:TypeCode", "VAT")
            t.child(tax, "ram:ExemptionReason", vat.exemption_reason)  # BT-120
            self.money(tax, "ram:BasisAmount", vat.taxable)  # BT-116
            t.child(tax, "ram:CategoryCode", vat.category)  # BT-118
            t.child(tax, "ram:ExemptionReasonCode", vat.exemption_code)  # BT-121
            t.child(tax, "ram:RateApplicablePercent", number(vat.rate))  # BT-119
        for allowance in d.allowances:  # BG-20
            charge = t.child(element, "ram:SpecifiedTradeAllowanceCharge")
            t.child(t.child(charge, "ram:ChargeIndicator"), "udt:Indicator", "false")
            if allowance.percent is not None:
                t.child(charge, "ram:CalculationPercent", number(allowance.percent))  # BT-94
            if allowance.base is not None:
                self.money(charge, "ram:BasisAmount", allowance.base)  # BT-93
            self.money(charge, "ram:ActualAmount", allowance.amount)  # BT-92
            t.child(charge, "ram:ReasonCode", allowance.reason_code)  # BT-98
            t.child(charge, "ram:Reason", allowance.reason)  # BT-97
            category = t.child(charge, "ram:CategoryTradeTax")
            t.child(category, "ram:TypeCode", "VAT")
            t.child(category, "ram:CategoryCode", allowance.category)  # BT-95
            t.child(category, "ram:RateApplicablePercent", number(allowance.rate))  # BT-96
        terms = t.child(element, "ram:SpecifiedTradePaymentTerms")
        t.child(terms, "ram:Description", self.terms_text())  # BT-20
        if d.payment_terms.due_date is not None:
            self.date(terms, "ram:DueDateDateTime", d.payment_terms.due_date)  # BT-9
        sums = t.child(element, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")  # BG-22
        totals = d.totals
        self.money(sums, "ram:LineTotalAmount", totals.line_net)  # BT-106
        if totals.charges:
            self.money(sums, "ram:ChargeTotalAmount", totals.charges)  # BT-108
        if d.allowances:
            self.money(sums, "ram:AllowanceTotalAmount", totals.allowances)  # BT-107
        self.money(sums, "ram:TaxBasisTotalAmount", totals.without_vat)  # BT-109
        self.money(sums, "ram:TaxTotalAmount", totals.vat, currency=True)  # BT-110
        if totals.rounding:
            self.money(sums, "ram:RoundingAmount", totals.rounding)  # BT-114
        self.money(sums, "ram:GrandTotalAmount", totals.with_vat)  # BT-112
        if totals.prepaid:
            self.money(sums, "ram:TotalPrepaidAmount", totals.prepaid)  # BT-113
        self.money(sums, "ram:DuePayableAmount", totals.payable)  # BT-115
        if d.preceding_number:  # BG-3
            reference = t.child(element, "ram:InvoiceReferencedDocument")
            t.child(reference, "ram:IssuerAssignedID", d.preceding_number)  # BT-25
            if d.preceding_date is not None:
                self.date(reference, "ram:FormattedIssueDateTime", d.preceding_date, "qdt")  # BT-26

    def terms_text(self) -> str:
        terms = self.doc.payment_terms
        if self.fmt.coded_discount and terms.discount_days is not None and terms.discount_pct is not None:
            return terms.text + "\n" + coded_discount(terms.discount_days, terms.discount_pct)
        return terms.text

    def line(self, transaction, line: Line) -> None:
        t = self.t
        element = t.child(transaction, "ram:IncludedSupplyChainTradeLineItem")  # BG-25
        t.child(t.child(element, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.line_id)  # BT-126
        t.child(t.child(element, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)  # BT-153
        agreement = t.child(element, "ram:SpecifiedLineTradeAgreement")
        if line.gross_price is not None:
            gross = t.child(agreement, "ram:GrossPriceProductTradePrice")
            t.child(gross, "ram:ChargeAmount", number(line.gross_price))  # BT-148
            discount = t.child(gross, "ram:AppliedTradeAllowanceCharge")
            t.child(t.child(discount, "ram:ChargeIndicator"), "udt:Indicator", "false")
            t.child(discount, "ram:ActualAmount", number(line.price_discount))  # BT-147
        t.child(t.child(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount",
                number(line.net_price))  # BT-146
        t.child(t.child(element, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", number(line.quantity),
                unitCode=line.unit_code)  # BT-129, BT-130
        settlement = t.child(element, "ram:SpecifiedLineTradeSettlement")
        tax = t.child(settlement, "ram:ApplicableTradeTax")
        t.child(tax, "ram:TypeCode", "VAT")
        t.child(tax, "ram:CategoryCode", line.category)  # BT-151
        t.child(tax, "ram:RateApplicablePercent", number(line.rate))  # BT-152
        self.money(t.child(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
                   line.net_amount)  # BT-131
