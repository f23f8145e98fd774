"""Deterministic, realistic sample data for a billing workbook (pure Python, no Excel).

`generate_sample(invoices, seed, as_of)` builds the rows of the input sheets of the
workbook contract for a German issuer with mostly German and a few foreign customers:
valid VAT ids (python-stdnum) and IBANs (schwifty), gap-free invoice numbers with ISO 11649
RF payment references, invoice lines from a product list, and a bank statement whose
payments exercise a matcher (RF references, invoice numbers in free text and with typos,
combined, partial, short, discounted and over payments, payments by name and amount only,
unrelated noise). What each payment really pays is recorded in `SampleData.truth`, so a
matcher's precision and recall can be measured.

Everything except `workbook_id` is a function of `(invoices, seed, as_of)`: every random
choice comes from `random.Random` instances seeded from `seed`, nothing iterates a set,
and nothing reads the clock.

The modules, in the order the generator uses them:

- `data`: the `SampleData` record and the scenario names (the fixed Settings and TaxRates rows
  are `billing.settings`'s)
- `draws`: seeded generators and the cheap weighted and ranged draws everything uses
- `timeline`: the sample's time window, business days, payment terms and due dates
- `countries`, `identifiers`, `customers`: who the customers are, with VAT ids and IBANs
- `invoice`, `line_items`, `issuing`: the invoice record, its lines, the issued book
- `payment_plans`, `statement`: who pays what when, and the bank statement that shows it
- `collections`: reference rates, disputes, holds, promises and reminder history, added last
- `contracts`: billing schedules (Contracts, Usage, PriceIndex, PriceTiers) for a few customers

This module puts them together: each part draws from its own generator (`part_rng`), so the
customers do not change when the number of invoices does, and a change in one part never
shifts another's draws.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import MappingProxyType

from billing.gcpause import gc_paused
from billing.sample.collections import add_collections
from billing.sample.contracts import make_contracts
from billing.sample.customers import add_particulars, make_customers
from billing.sample.data import NATURAL, SCENARIOS, PaidShare, Row, SampleData, Shape
from billing.settings import STANDARD_TAX_RATES, default_settings
from billing.sample.draws import part_rng
from billing.invoicing.rf_reference import rf_reference
from billing.sample.issuing import make_invoices
from billing.sample.payment_plans import plan_payments
from billing.sample.statement import write_statement
from billing.sample.timeline import DEFAULT_AS_OF, HISTORY_DAYS, SampleCalendar

__all__ = [
    "DEFAULT_AS_OF",
    "SAMPLE_COMPANY_NAME",
    "SAMPLE_PARTICULARS",
    "SCENARIOS",
    "STANDARD_TAX_RATES",
    "PaidShare",
    "Row",
    "SampleData",
    "Shape",
    "default_settings",
    "generate_sample",
    "rf_reference",
]

#: the issuer's name in the sample's Settings
SAMPLE_COMPANY_NAME = "Lindenhof Digital GmbH"
#: the issuer's particulars in the sample's Settings (a valid VAT id, IBAN and BIC of one bank)
SAMPLE_PARTICULARS = {
    "company_street": "Lindwurmstraße 88",
    "company_postcode": "80337",
    "company_city": "München",
    "company_country": "DE",
    "company_vat_id": "DE293048564",
    "company_registration": "HRB 218734, Amtsgericht München",
    "company_iban": "DE89370400440532013000",
    "company_bic": "COBADEFFXXX",
    "company_email": "rechnungen@lindenhof-digital.de",
    "company_phone": "+49 89 2154 3870",
    "company_tax_number": "143/234/56789",
    "company_contact": "Debitorenbuchhaltung",
    "company_endpoint_id": "9930:DE293048564",
}


def generate_sample(
    invoices: int,
    seed: int = 0,
    as_of: date | None = None,
    *,
    workbook_id: str | None = None,
    shape: Shape = NATURAL,
) -> SampleData:
    """Sample data with `invoices` Invoices rows issued in the ~3 months before `as_of`.

    `as_of` defaults to `DEFAULT_AS_OF` (2026-10-31); no payment is dated after it.
    `workbook_id` defaults to a fresh uuid4, since it must be unique per workbook;
    everything else is a function of `(invoices, seed, as_of)`. `shape` fixes the lines
    and payments per invoice (benchmarks); the natural mix draws exactly as without it.
    """
    if invoices < 0:
        raise ValueError("invoices must not be negative")
    with gc_paused():  # millions of acyclic objects: the cycle collector only costs time
        return _generate(invoices, seed, as_of or DEFAULT_AS_OF, workbook_id, shape)


def _generate(invoices: int, seed: int, as_of: date, workbook_id: str | None, shape: Shape) -> SampleData:
    """The sample for a given `as_of`, built part by part."""
    cal = SampleCalendar(as_of - timedelta(days=HISTORY_DAYS + 10), as_of)
    customers = make_customers(max(5, invoices // 20), part_rng(seed, "customers"))
    add_particulars(customers, part_rng(seed, "particulars"))
    invs = make_invoices(invoices, customers, as_of, cal, part_rng(seed, "invoices"),
                         lines=shape.lines_per_invoice)
    plans = plan_payments(invs, as_of, cal, part_rng(seed, "payments"))
    payments, truth, scenarios = write_statement(plans, invs, as_of, cal, part_rng(seed, "statement"),
        payments=None if shape.payments_per_invoice is None else round(invoices * shape.payments_per_invoice))
    customer_rows, invoice_rows, disputes, interest_rates = add_collections(
        tuple(c.row() for c in customers), invs, tuple(inv.row() for inv in invs), truth, as_of,
        part_rng(seed, "collections"))
    contracts, usage, price_index, price_tiers = make_contracts(customer_rows, as_of, part_rng(seed, "contracts"))
    return SampleData(
        settings=default_settings(workbook_id, SAMPLE_COMPANY_NAME, SAMPLE_PARTICULARS),
        customers=customer_rows,
        tax_rates=tuple(dict(r) for r in STANDARD_TAX_RATES),
        invoices=invoice_rows,
        lines=tuple(line for inv in invs for line in inv.line_rows()),
        payments=payments,
        truth=MappingProxyType(truth),
        scenarios=MappingProxyType(scenarios),
        disputes=disputes,
        interest_rates=interest_rates,
        contracts=contracts,
        usage=usage,
        price_index=price_index,
        price_tiers=price_tiers,
    )
