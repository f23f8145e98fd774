"""Worksheet functions for amounts: tax, gross, net from gross, a line's net."""

from __future__ import annotations

from decimal import Decimal

import xlwings as xw

from billing.invoicing.arithmetic import tax_of
from billing.money import quantize, rounding_mode
from udfs.convert import UdfError, number, text, udf

_CURRENCY_DOC = "ISO 4217 code whose minor unit the result is rounded to (default EUR: 2 decimals)."
_ROUNDING_DOC = "half_up (default) or half_even."


def _rate(value: object) -> Decimal:
    rate = number(value, "tax_rate")
    if not 0 <= rate < 1:
        raise UdfError(f"tax_rate {rate} must be a fraction between 0 and 1 (19% is 0.19)")
    return rate


def _rounding(value: object) -> str:
    name = text(value, "rounding", "half_up").lower()
    rounding_mode(name)  # a readable error for an unknown name
    return name


@xw.func
@xw.arg("amount", doc="The net amount (mode net) or the gross amount including tax (mode gross).")
@xw.arg("tax_rate", doc="The tax rate as a fraction: 0.19 for 19%.")
@xw.arg("mode", doc="net (default): amount excludes tax; gross: amount includes it.")
@xw.arg("rounding", doc=_ROUNDING_DOC)
@xw.arg("currency_code", doc=_CURRENCY_DOC)
@udf
def XLB_TAX(amount, tax_rate, mode=None, rounding=None, currency_code=None):
    """The tax on an amount, rounded to the currency's minor unit as invoices are: net × tax_rate,
    or, for a gross amount, gross × tax_rate / (1 + tax_rate)."""
    value, r = number(amount, "amount"), _rate(tax_rate)
    how, cur = text(mode, "mode", "net").lower(), text(currency_code, "currency_code", "EUR").upper()
    if how not in ("net", "gross"):
        raise UdfError(f"mode must be net or gross, not {how!r}")
    return quantize(tax_of(value, r, how), cur, _rounding(rounding))


@xw.func
@xw.arg("net", doc="The net amount.")
@xw.arg("tax_rate", doc="The tax rate as a fraction: 0.19 for 19%.")
@xw.arg("rounding", doc=_ROUNDING_DOC)
@xw.arg("currency_code", doc=_CURRENCY_DOC)
@udf
def XLB_GROSS(net, tax_rate, rounding=None, currency_code=None):
    """Net plus its tax (the tax rounded first, as on an invoice line)."""
    value, cur = number(net, "net"), text(currency_code, "currency_code", "EUR").upper()
    return quantize(value, cur, _rounding(rounding)) + quantize(tax_of(value, _rate(tax_rate)), cur,
                                                                _rounding(rounding))


@xw.func
@xw.arg("gross", doc="The amount including tax.")
@xw.arg("tax_rate", doc="The tax rate as a fraction: 0.19 for 19%.")
@xw.arg("rounding", doc=_ROUNDING_DOC)
@xw.arg("currency_code", doc=_CURRENCY_DOC)
@udf
def XLB_NET_FROM_GROSS(gross, tax_rate, rounding=None, currency_code=None):
    """The net amount inside a gross one: gross less its tax, the tax rounded as invoices round
    it (10.00 at 19% → 8.40)."""
    value, r, cur = number(gross, "gross"), _rate(tax_rate), text(currency_code, "currency_code", "EUR").upper()
    return quantize(value, cur, _rounding(rounding)) - quantize(tax_of(value, r, "gross"), cur, _rounding(rounding))


@xw.func
@xw.arg("quantity", doc="How many units.")
@xw.arg("unit_price", doc="Price of one unit.")
@xw.arg("discount", doc="Line discount as a fraction (0.1 for 10%); empty for none.")
@xw.arg("rounding", doc=_ROUNDING_DOC)
@xw.arg("currency_code", doc=_CURRENCY_DOC)
@udf
def XLB_LINE_NET(quantity, unit_price, discount=None, rounding=None, currency_code=None):
    """A line's net amount: quantity × unit price × (1 − discount), rounded once."""
    off = Decimal(0) if discount is None or discount == "" else number(discount, "discount")
    if not 0 <= off <= 1:
        raise UdfError(f"discount {off} must be a fraction between 0 and 1")
    cur = text(currency_code, "currency_code", "EUR").upper()
    return quantize(number(quantity, "quantity") * number(unit_price, "unit_price") * (1 - off), cur,
                    _rounding(rounding))
