"""Values that are valid but unlikely meant: warnings at their cells, for a person to confirm.

* An invoice in another currency than its customer's (both written): a customer billed in EUR
  whose invoice says USD is usually a slip, and the payment will not match it.
* A discount above `DISCOUNT_WARNING` (50 %) on an invoice or a line: 0.999 for 99.9 % is a
  typing mistake far more often than a gift (a discount of 100 % or more is an error already).

The Settings' own bounds (`match_tolerance`) live with the Settings: `validation.settings`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from billing.errors import Finding, warning
from billing.money import is_currency
from billing.settings import Settings
from billing.book import Book, SheetTable
from validation.fields import NON_CURRENCIES
from validation.rules import column, rows_of

DISCOUNT_WARNING = Decimal("0.5")


def sanity_rules(book: Book, settings: Settings) -> Iterator[Finding]:
    invoices, customers = book.get("Invoices"), book.get("Customers")
    if invoices is not None and customers is not None and invoices.has("currency") and customers.has("currency"):
        currency_of = dict(zip(column(customers, "customer_id"), column(customers, "currency")))
        for row, customer, currency in zip(rows_of(invoices), column(invoices, "customer_id"),
                                           column(invoices, "currency")):
            theirs = currency_of.get(customer)
            if currency != theirs and is_currency(currency) and is_currency(theirs) \
                    and not {currency, theirs} & NON_CURRENCIES:
                yield warning(invoices.cell("currency", row), "currency_differs_from_customer",
                              f"invoice in {currency}, but customer '{customer}' is billed in {theirs}")
    for table in (invoices, book.get("InvoiceLines")):
        yield from _large_discounts(table)


def _large_discounts(table: SheetTable | None) -> Iterator[Finding]:
    if table is None or not table.has("discount_pct"):
        return
    for row, discount in zip(rows_of(table), column(table, "discount_pct")):
        if isinstance(discount, (int, float)) and not isinstance(discount, bool) and DISCOUNT_WARNING < discount < 1:
            yield warning(table.cell("discount_pct", row), "large_discount",
                          f"a discount of {discount:.1%}: is that meant? (more than {DISCOUNT_WARNING:.0%})")
