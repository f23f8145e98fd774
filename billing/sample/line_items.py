"""What an invoice bills: lines drawn from a product catalogue, or a flat net without lines.

Domestic lines carry the product's tax code (standard, reduced or exempt); a foreign
customer's lines all carry its country's code (reverse charge or zero rate). A credit
note gives back some lines of the invoice it corrects.
"""

from __future__ import annotations

import random
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple

from billing.money import quantize
from billing.sample.draws import fast_randint, random_amount, weighted_choice
from billing.sample.invoice import Invoice


class Product(NamedTuple):
    """A catalogue entry: how often it is sold, in what quantities and at what prices."""

    description: str
    weight: int
    unit: str  # hours/days/metres (fractional), count
    low: int  # quantity range (in units of the step)
    high: int
    price_low: int
    price_high: int
    tax_code: str  # for domestic customers


#: what the issuer sells
_PRODUCTS: tuple[Product, ...] = (
    Product("Consulting, senior (hours)", 14, "quarter", 2, 160, 120, 180, "S19"),
    Product("Consulting, junior (hours)", 10, "quarter", 2, 160, 75, 110, "S19"),
    Product("Software development (hours)", 14, "quarter", 4, 160, 90, 140, "S19"),
    Product("On-site support (hours)", 8, "quarter", 2, 40, 85, 125, "S19"),
    Product("Travel time (hours)", 4, "half", 1, 16, 45, 70, "S19"),
    Product("Workshop facilitation (days)", 4, "half", 1, 6, 950, 1800, "S19"),
    Product("Software licence, annual subscription", 8, "count", 1, 10, 240, 1200, "S19"),
    Product("Maintenance contract, monthly fee", 6, "count", 1, 3, 150, 950, "S19"),
    Product("Cloud hosting, monthly fee", 6, "count", 1, 3, 49, 890, "S19"),
    Product('Notebook 14", 16 GB RAM', 3, "count", 1, 10, 899, 1799, "S19"),
    Product('Monitor 27", USB-C', 3, "count", 1, 12, 219, 449, "S19"),
    Product("Network cabling (metres)", 2, "half", 10, 400, 2, 7, "S19"),
    Product("Shipping and handling", 3, "count", 1, 1, 7, 49, "S19"),
    Product("Data migration, fixed price", 2, "count", 1, 1, 1500, 9800, "S19"),
    Product("Technical handbook (print)", 3, "count", 1, 20, 29, 89, "R7"),
    Product("Trade journal subscription, annual", 2, "count", 1, 5, 89, 249, "R7"),
    Product("Catering for workshop (per person)", 3, "count", 6, 40, 18, 42, "R7"),
    Product("Training course, per participant (exempt, § 4 Nr. 21 UStG)", 2, "count", 1, 12, 390, 1450, "EX"),
)
_PRODUCT_CUM = list(accumulate(p.weight for p in _PRODUCTS))
#: the quantity step of each unit
_STEP = {"quarter": Decimal("0.25"), "half": Decimal("0.5"), "count": Decimal(1)}
#: (number of lines, weight) of an invoice with lines
_LINE_COUNTS = ((1, 30), (2, 25), (3, 20), (4, 15), (5, 10))
#: the line discounts given now and then
_LINE_DISCOUNTS = (Decimal("0.03"), Decimal("0.05"), Decimal("0.1"), Decimal("0.15"))


def invoice_items(inv: Invoice, rng: random.Random, lines: int | None = None) -> None:
    """Fill a new invoice: mostly 1-5 catalogue lines, sometimes a flat fee without lines
    (`lines`: always exactly that many catalogue lines)."""
    domestic_code = inv.customer.country.tax_code
    if lines is None and rng.random() < 0.10:  # no lines: a flat fee with its own tax code and net
        inv.tax_code = domestic_code or ("S19" if rng.random() < 0.9 else "R7")
        inv.net = Decimal(rng.randint(5, 120) * 50) if rng.random() < 0.7 else random_amount(rng, 150, 6000)
        return
    if rng.random() < 0.06:
        inv.discount_pct = rng.choice((Decimal("0.05"), Decimal("0.1")))
    n_lines = lines if lines is not None else int(weighted_choice(rng, _LINE_COUNTS))  # type: ignore[call-overload]
    for product in rng.choices(_PRODUCTS, cum_weights=_PRODUCT_CUM, k=n_lines):
        quantity = fast_randint(rng, product.low, product.high) * _STEP[product.unit]
        if product.unit == "count" or product.price_high < 20:
            price = random_amount(rng, product.price_low, product.price_high)
        else:  # rates and list prices are round
            price = Decimal(fast_randint(rng, product.price_low // 5, product.price_high // 5) * 500).scaleb(-2)
        discount = rng.choice(_LINE_DISCOUNTS) if rng.random() < 0.08 else None
        inv.items.append((product.description, _plain(quantity), price, discount, domestic_code or product.tax_code))


def credit_items(inv: Invoice, rng: random.Random, lines: int | None = None) -> None:
    """A credit note gives back part or all of the corrected invoice (`lines`: all its lines,
    which are that many)."""
    original = inv.corrects
    assert original is not None
    if not original.items:
        inv.tax_code = original.tax_code
        inv.net = quantize(original.net * rng.choice((Decimal(1), Decimal("0.5"), Decimal("0.2"))),  # type: ignore[operator]
                           original.customer.currency)
        return
    inv.discount_pct = original.discount_pct
    if lines is not None:
        chosen = list(range(len(original.items)))
    else:
        chosen = sorted(rng.sample(range(len(original.items)), k=rng.randint(1, min(2, len(original.items)))))
    for index in chosen:
        description, quantity, price, discount, code = original.items[index]
        if quantity > 1 and rng.random() < 0.5:
            quantity = max(Decimal(1), (quantity / 2).to_integral_value())
        inv.items.append((f"Credit: {description}", quantity, price, discount, code))


def _plain(quantity: Decimal) -> Decimal:
    """A quantity without trailing zeros and never in exponent form: 3, 2.5, 0.25.

    >>> _plain(Decimal("3.00")), _plain(Decimal("2.50")), _plain(Decimal("10"))
    (Decimal('3'), Decimal('2.5'), Decimal('10'))
    """
    if quantity == quantity.to_integral_value():
        return quantity.quantize(Decimal(1))
    return quantity.normalize()
