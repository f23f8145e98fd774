"""Payment matching: bank payments applied to open invoices, each with its method,
confidence and explanation; the doubtful ones left, with candidates, for a person.

`match_tables(tables, computed, manual)` is the whole run on typed tables; see
`engine` for the passes, `settle` for how an amount is applied, `items` for what is open,
`reasons` for why a payment nothing pointed anywhere was left.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Sequence

from billing.gcpause import gc_paused
from billing.matching.engine import Matcher, MatchResult
from billing.matching.items import ZERO, OpenItem, Payment
from billing.matching.parties import parties_of
from billing.matching.reasons import why_left
from billing.matching.settle import Allocation

if TYPE_CHECKING:  # the typed tables bring pandas and the workbook reader: not for the UDFs' matcher
    from billing.invoicing.compute import Computed
    from billing.tables import Tables

__all__ = ["Allocation", "MatchResult", "ManualRow", "match_tables", "open_items"]


class ManualRow(NamedTuple):
    """A row of the Allocations sheet whose method is `manual`: the user's decision, kept."""

    payment_id: str
    invoice_no: str
    amount: Decimal
    settled: Decimal = ZERO


def open_items(tables: Tables, computed: Computed, manual: Sequence[ManualRow] = ()) -> list[OpenItem]:
    """Issued, numbered invoices with what is still open on them before matching."""
    invoices = tables.invoices
    extra = computed.invoices  # gross and due date, row for row (aligned by row like `assign` would)
    if not extra.index.equals(invoices.index):
        extra = extra.reindex(invoices.index)
    taken: dict[str, Decimal] = {}
    for row in manual:
        taken[row.invoice_no] = taken.get(row.invoice_no, ZERO) + row.amount + row.settled
    # masks as arrays and only the columns used, filtered one by one: no copy of the whole table
    is_issued = (invoices["status"] == "issued").to_numpy()
    kind = invoices["kind"]
    credits = is_issued & (kind == "credit_note").to_numpy()
    for corrected, gross in zip(invoices["corrects"][credits].tolist(), extra["gross"][credits].tolist()):
        if corrected is not None:
            taken[corrected] = taken.get(corrected, ZERO) + gross
    payable = is_issued & (kind == "invoice").to_numpy() & invoices["invoice_no"].notna().to_numpy()
    columns = [invoices[c] for c in ("invoice_key", "invoice_no", "customer_id", "currency", "issue_date")]
    columns += [extra["due_date"], extra["gross"], invoices["terms"], invoices["payment_reference"]]
    return [
        OpenItem(key, no, customer, currency, issued, due, gross, gross - taken.get(no, ZERO), terms, reference)
        for key, no, customer, currency, issued, due, gross, terms, reference
        in zip(*(column[payable].tolist() for column in columns))
    ]


def match_tables(tables: Tables, computed: Computed, manual: Sequence[ManualRow] = ()) -> MatchResult:
    """Match every payment (less what manual rows already applied) to the open items."""
    with gc_paused():  # a few hundred thousand small objects, no cycles
        return _match(tables, computed, manual)


def _match(tables: Tables, computed: Computed, manual: Sequence[ManualRow]) -> MatchResult:
    settings = tables.settings
    customers = tables.customers
    parties = parties_of(customers)
    applied: dict[str, Decimal] = {}
    for row in manual:
        applied[row.payment_id] = applied.get(row.payment_id, ZERO) + row.amount
    columns = ("payment_id", "value_date", "amount", "currency", "payer_name", "payer_iban", "reference_text")
    payments = [
        Payment(pid, day, amount, currency, name, (iban or "").replace(" ", "").upper() or None, text,
                remaining=amount - applied.get(pid, ZERO))
        for pid, day, amount, currency, name, iban, text in zip(*(tables.payments[c].tolist() for c in columns))
    ]
    invoices = tables.invoices
    void = invoices.loc[(invoices["status"] == "void") & invoices["invoice_no"].notna(), "invoice_no"].tolist()
    matcher = Matcher(open_items(tables, computed, manual), parties, settings.match_tolerance, settings.base_currency,
                      void)
    result = matcher.run(payments)
    for payment in result.unmatched:  # a held payment says why; one nothing pointed anywhere gets it said here
        if not payment.notes:
            payment.notes.append(why_left(matcher, payment))
    return result
