"""An `InvoiceDocument` as OASIS UBL 2.1: an `Invoice`, or a `CreditNote` for type 381.

`ubl_bytes(document, format_name)` writes EN 16931 (`ubl`), Peppol BIS Billing 3.0
(`peppol`) or XRechnung 3.0 (`xrechnung-ubl`); the three differ in the specification
identifier (BT-24), the business process (BT-23) and, for XRechnung, the coded
early-payment discount in the payment terms. Elements come in the order of the UBL 2.1
schema; the business term each carries is named beside it.
"""

from __future__ import annotations

from billing.documents.formats import XmlFormat, amount, coded_discount, number, xml_format
from billing.documents.xml import Tree
from billing.invoicing.document import InvoiceDocument, Line, Party

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def ubl_bytes(document: InvoiceDocument, format_name: str = "ubl") -> bytes:
    """The UBL XML of the document in the named format (`ubl`, `peppol`, `xrechnung-ubl`)."""
    fmt = xml_format(format_name)
    if fmt.syntax != "ubl":
        raise ValueError(f"{format_name} is written in CII, not UBL")
    return _UblWriter(document, fmt).write()


class _UblWriter:
    def __init__(self, document: InvoiceDocument, fmt: XmlFormat):
        self.doc, self.fmt = document, fmt
        self.credit = document.is_credit_note
        root = "CreditNote" if self.credit else "Invoice"
        self.t = Tree(root, {None: CREDIT_NOTE_NS if self.credit else INVOICE_NS, "cac": CAC, "cbc": CBC})
        self.places = document.minor_unit

    def money(self, parent, tag: str, value) -> None:
        self.t.child(parent, tag, amount(value, self.places), currencyID=self.doc.currency)

    def write(self) -> bytes:
        d, t, root = self.doc, self.t, self.t.root
        t.child(root, "cbc:CustomizationID", self.fmt.customization)  # BT-24
        t.child(root, "cbc:ProfileID", self.fmt.process)  # BT-23
        t.child(root, "cbc:ID", d.number)  # BT-1
        t.child(root, "cbc:IssueDate", d.issue_date.isoformat())  # BT-2
        due = d.payment_terms.due_date
        if not self.credit and due is not None:
            t.child(root, "cbc:DueDate", due.isoformat())  # BT-9
        t.child(root, "cbc:CreditNoteTypeCode" if self.credit else "cbc:InvoiceTypeCode", d.type_code)  # BT-3
        if d.notes:
            t.child(root, "cbc:Note", "\n".join(d.notes))  # BT-22 (Peppol: one note)
        t.child(root, "cbc:DocumentCurrencyCode", d.currency)  # BT-5
        t.child(root, "cbc:BuyerReference", d.buyer_reference)  # BT-10
        if d.preceding_number:  # BG-3
            ref = t.child(t.child(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
            t.child(ref, "cbc:ID", d.preceding_number)  # BT-25
            if d.preceding_date is not None:
                t.child(ref, "cbc:IssueDate", d.preceding_date.isoformat())  # BT-26
        self.party(t.child(root, "cac:AccountingSupplierParty"), d.seller, seller=True)  # BG-4
        self.party(t.child(root, "cac:AccountingCustomerParty"), d.buyer, seller=False)  # BG-7
        delivery = t.child(root, "cac:Delivery")  # BG-13
        t.child(delivery, "cbc:ActualDeliveryDate", d.delivery_date.isoformat())  # BT-72
        if any(v.category == "K" for v in d.vat) and d.buyer.address.country:  # BR-IC-12: deliver-to country
            address = t.child(t.child(delivery, "cac:DeliveryLocation"), "cac:Address")
            self.address_lines(address, d.buyer)
        self.payment_means(root)
        t.child(t.child(root, "cac:PaymentTerms"), "cbc:Note", self.terms_text())  # BT-20
        for allowance in d.allowances:  # BG-20
            element = t.child(root, "cac:AllowanceCharge")
            t.child(element, "cbc:ChargeIndicator", "false")
            t.child(element, "cbc:AllowanceChargeReasonCode", allowance.reason_code)  # BT-98
            t.child(element, "cbc:AllowanceChargeReason", allowance.reason)  # BT-97
            if allowance.percent is not None:
                t.child(element, "cbc:MultiplierFactorNumeric", number(allowance.percent))  # BT-94
            self.money(element, "cbc:Amount", allowance.amount)  # BT-92
            if allowance.base is not None:
                self.money(element, "cbc:BaseAmount", allowance.base)  # BT-93
            self.category(element, "cac:TaxCategory", allowance.category, allowance.rate)  # BT-95, BT-96
        total = t.child(root, "cac:TaxTotal")
        self.money(total, "cbc:TaxAmount", d.totals.vat)  # BT-110
        for vat in d.vat:  # BG-23
            sub = t.child(total, "cac:TaxSubtotal")
            self.money(sub, "cbc:TaxableAmount", vat.taxable)  # BT-116
            self.money(sub, "cbc:TaxAmount", vat.tax)  # BT-117
            self.category(sub, "cac:TaxCategory", vat.category, vat.rate,  # BT-118, BT-119
                          vat.exemption_code, vat.exemption_reason)  # BT-121, BT-120
        sums = t.child(root, "cac:LegalMonetaryTotal")  # BG-22
        self.money(sums, "cbc:LineExtensionAmount", d.totals.line_net)  # BT-106
        self.money(sums, "cbc:TaxExclusiveAmount", d.totals.without_vat)  # BT-109
        self.money(sums, "cbc:TaxInclusiveAmount", d.totals.with_vat)  # BT-112
        if d.allowances:
            self.money(sums, "cbc:AllowanceTotalAmount", d.totals.allowances)  # BT-107
        if d.totals.charges:
            self.money(sums, "cbc:ChargeTotalAmount", d.totals.charges)  # BT-108
        if d.totals.prepaid:
            self.money(sums, "cbc:PrepaidAmount", d.totals.prepaid)  # BT-113
        if d.totals.rounding:
            self.money(sums, "cbc:PayableRoundingAmount", d.totals.rounding)  # BT-114
        self.money(sums, "cbc:PayableAmount", d.totals.payable)  # BT-115
        for line in d.lines:
            self.line(root, line)
        return t.bytes()

    def terms_text(self) -> str:
        terms = self.doc.payment_terms
        if self.fmt.coded_discount and terms.discount_days is not None and terms.discount_pct is not None:
            return terms.text + "\n" + coded_discount(terms.discount_days, terms.discount_pct)
        return terms.text

    def party(self, parent, party: Party, seller: bool) -> None:
        t = self.t
        element = t.child(parent, "cac:Party")
        if party.endpoint is not None:
            t.child(element, "cbc:EndpointID", party.endpoint.identifier, schemeID=party.endpoint.scheme)  # BT-34/49
        if party.identifier:
            t.child(t.child(element, "cac:PartyIdentification"), "cbc:ID", party.identifier)  # BT-29/46
        address = t.child(element, "cac:PostalAddress")  # BG-5 / BG-8
        self.address_lines(address, party)
        if party.vat_id:
            scheme = t.child(element, "cac:PartyTaxScheme")
            t.child(scheme, "cbc:CompanyID", party.vat_id)  # BT-31 / BT-48
            t.child(t.child(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
        if seller and party.tax_number:
            scheme = t.child(element, "cac:PartyTaxScheme")
            t.child(scheme, "cbc:CompanyID", party.tax_number)  # BT-32
            t.child(t.child(scheme, "cac:TaxScheme"), "cbc:ID", "FC")
        legal = t.child(element, "cac:PartyLegalEntity")
        t.child(legal, "cbc:RegistrationName", party.name)  # BT-27 / BT-44
        t.child(legal, "cbc:CompanyID", party.registration)  # BT-30
        if party.contact_name or party.contact_phone or party.contact_email:  # BG-6 / BG-9
            contact = t.child(element, "cac:Contact")
            t.child(contact, "cbc:Name", party.contact_name)  # BT-41 / BT-56
            t.child(contact, "cbc:Telephone", party.contact_phone)  # BT-42 / BT-57
            t.child(contact, "cbc:ElectronicMail", party.contact_email)  # BT-43 / BT-58

    def address_lines(self, address, party: Party) -> None:
        t = self.t
        t.child(address, "cbc:StreetName", party.address.street)  # BT-35 / BT-50
        t.child(address, "cbc:CityName", party.address.city)  # BT-37 / BT-52
        t.child(address, "cbc:PostalZone", party.address.postcode)  # BT-38 / BT-53
        country = t.child(address, "cac:Country")
        t.child(country, "cbc:IdentificationCode", party.address.country or "")  # BT-40 / BT-55

    def payment_means(self, root) -> None:
        t, means = self.t, self.doc.payment_means
        element = t.child(root, "cac:PaymentMeans")  # BG-16
        t.child(element, "cbc:PaymentMeansCode", means.code)  # BT-81
        if self.credit and self.doc.payment_terms.due_date is not None:
            t.child(element, "cbc:PaymentDueDate", self.doc.payment_terms.due_date.isoformat())  # BT-9
        t.child(element, "cbc:PaymentID", means.remittance)  # BT-83
        if means.iban:  # BG-17
            account = t.child(element, "cac:PayeeFinancialAccount")
            t.child(account, "cbc:ID", means.iban)  # BT-84
            t.child(account, "cbc:Name", means.account_name)  # BT-85
            if means.bic:
                t.child(t.child(account, "cac:FinancialInstitutionBranch"), "cbc:ID", means.bic)  # BT-86

    def category(self, parent, tag: str, code: str, rate, exemption_code=None, exemption_reason=None) -> None:
        t = self.t
        element = t.child(parent, tag)
        t.child(element, "cbc:ID", code)
        t.child(element, "cbc:Percent", number(rate))
        t.child(element, "cbc:TaxExemptionReasonCode", exemption_code)
        t.child(element, "cbc:TaxExemptionReason", exemption_reason)
        t.child(t.child(element, "cac:TaxScheme"), "cbc:ID", "VAT")

    def line(self, root, line: Line) -> None:
        t = self.t
        element = t.child(root, "cac:CreditNoteLine" if self.credit else "cac:InvoiceLine")  # BG-25
        t.child(element, "cbc:ID", line.line_id)  # BT-126
        t.child(element, "cbc:CreditedQuantity" if self.credit else "cbc:InvoicedQuantity",
                number(line.quantity), unitCode=line.unit_code)  # BT-129, BT-130
        self.money(element, "cbc:LineExtensionAmount", line.net_amount)  # BT-131
        item = t.child(element, "cac:Item")
        t.child(item, "cbc:Name", line.name)  # BT-153
        self.category(item, "cac:ClassifiedTaxCategory", line.category, line.rate)  # BT-151, BT-152
        price = t.child(element, "cac:Price")
        t.child(price, "cbc:PriceAmount", number(line.net_price), currencyID=self.doc.currency)  # BT-146
        if line.gross_price is not None:
            discount = t.child(price, "cac:AllowanceCharge")
            t.child(discount, "cbc:ChargeIndicator", "false")
            t.child(discount, "cbc:Amount", number(line.price_discount), currencyID=self.doc.currency)  # BT-147
            t.child(discount, "cbc:BaseAmount", number(line.gross_price), currencyID=self.doc.currency)  # BT-148
