"""Worksheet functions for identifiers: the RF payment reference, IBAN and VAT id checks."""

from __future__ import annotations

import xlwings as xw
from stdnum import iban
from stdnum.eu import vat

from billing.invoicing.rf_reference import rf_reference
from udfs.convert import text, udf


@xw.func
@xw.arg("invoice_no", doc="The invoice number, e.g. INV-2026-000123.")
@udf
def XLB_RF_REFERENCE(invoice_no):
    """The ISO 11649 creditor reference (RF…) a customer quotes to pay this invoice."""
    return rf_reference(text(invoice_no, "invoice_no"))


@xw.func
@xw.arg("iban_text", doc="An IBAN, with or without spaces.")
@udf
def XLB_VALID_IBAN(iban_text):
    """TRUE when the IBAN's length and check digits are right for its country."""
    return iban.is_valid(text(iban_text, "iban_text"))


@xw.func
@xw.arg("vat_id", doc="An EU VAT id with its country prefix, e.g. DE136695976.")
@udf
def XLB_VALID_VAT_ID(vat_id):
    """TRUE when the EU VAT id's format and check digit are right for its country."""
    return vat.is_valid(text(vat_id, "vat_id"))
