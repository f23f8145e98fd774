"""`xlbilling bill`: the draft invoices the contracts owe for a month, once per contract line and
period; `--plan`: the calendar of the months ahead, nothing billed.

Exit codes: 0 billed (or nothing new to bill), 1 a finding stops the run (a price index value
missing for a month, at its cell: nothing written, nothing recorded) — a contract changed since
it was billed is a warning, reported and not billed again; 2 the file or the arguments cannot
be used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from billing.cli.common import (DbOption, Exit, ForceOption, JsonOption, WaitOption, checked_book, err,
                                print_findings, print_json, working, writes_workbook)


@writes_workbook("bill")
def bill(
    path: Path = typer.Argument(..., help="The billing workbook."),
    period: Optional[str] = typer.Option(None, "--period", help="The month to bill (YYYY-MM)."),
    show_plan: bool = typer.Option(False, "--plan", help="Only list what each month from --from to --to would "
                                   "bill (the BillingPlan sheet, with a chart); nothing billed or recorded."),
    first: Optional[str] = typer.Option(None, "--from", help="With --plan: the first month (YYYY-MM)."),
    last: Optional[str] = typer.Option(None, "--to", help="With --plan: the last month (YYYY-MM)."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Draft invoices from Contracts and Usage for a month (BILL-<customer>-<YYYY-MM>), each contract
    period billed once; the BillingRun sheet. With --plan --from --to: the BillingPlan sheet."""
    from billing.contract import ALLOCATIONS
    from billing.errors import BadFile
    from billing.pipeline.bill import months_between, parse_month

    if show_plan:
        if first is None or last is None or period is not None:
            raise BadFile("--plan takes --from YYYY-MM and --to YYYY-MM (and no --period)")
        months = months_between(parse_month(first, "--from"), parse_month(last, "--to"))
    elif period is None or first is not None or last is not None:
        raise BadFile("bill takes --period YYYY-MM (or --plan --from YYYY-MM --to YYYY-MM)")
    else:
        month = parse_month(period)
    book, found = checked_book(path, as_json, optional=(ALLOCATIONS,))
    if show_plan:
        return _plan(path, book, found.tables, months, as_json)
    _bill(path, book, found.tables, month, as_json, db)


def _bill(path: Path, book, tables, month, as_json: bool, db: Optional[str]) -> None:
    from billing.contract import INVOICES
    from billing.pipeline.bill import bill as run_bill
    from billing.schedules.billed import billed_of, mark_done, record_pending, settle
    from billing.store import open_store
    from billing.workbook.write import apply_changes

    with working("Billing", quiet=as_json):
        engine = open_store(db)
        workbook_id = tables.settings.workbook_id
        if workbook_id:  # a stopped run's pending periods: in the workbook → done, else dropped
            settle(engine, workbook_id, {str(k) for k in tables.invoices["invoice_key"]})
        billed = billed_of(engine, workbook_id) if workbook_id else {}
        result = run_bill(book, tables, month, billed)
        if result.ok:
            record_pending(engine, result.workbook_id, result.entries)
            apply_changes(path, result.changes)
            mark_done(engine, result.workbook_id, {b.invoice_key for b in result.entries})
    if as_json:
        print_json(document_of(result))
    else:
        print_findings(result.findings, str(path))
        for d in result.drafts:
            err.print(f"  {d.invoice_key}: {len(d.lines)} lines, net {d.net} {d.currency}", markup=False)
        if result.ok:
            err.print(f"{path}: billed {month}: {len(result.drafts)} draft invoices, {result.billed} lines; "
                      f"{len(result.skipped)} skipped (see the BillingRun sheet)", markup=False)
        else:
            err.print(f"{path}: nothing billed ({sum(f.severity == 'error' for f in result.findings)} problems); "
                      "nothing was written or recorded", markup=False)
    if not result.ok:
        raise Exit(1)


def _plan(path: Path, book, tables, months, as_json: bool) -> None:
    from billing.pipeline.bill import month_label, plan
    from billing.workbook.write import apply_changes

    with working("Planning", quiet=as_json):
        result = plan(book, tables, months)
        if result.ok:
            apply_changes(path, result.changes)
    if as_json:
        print_json(plan_document(result))
    else:
        print_findings(result.findings, str(path))
        for row in result.rows:
            sys_line = f"  {month_label(row.month)}  {row.customer_id:<12} {row.currency} {row.net:>14}"
            err.print(sys_line, markup=False)
        if result.ok:
            err.print(f"{path}: the plan of {months[0]} to {months[-1]}: {len(result.rows)} month and customer "
                      "totals on the BillingPlan sheet; nothing billed", markup=False)
    if not result.ok:
        raise Exit(1)


def document_of(result) -> dict:
    """The JSON of a run: the shared contract's keys (`period`, `invoices` with their `lines`,
    `skipped`), then additions: per invoice `currency`, `issue_date`, `net` (negative for a credit
    note), `kind` (`invoice`, `credit_note`), `corrects` (a credit note's invoice number, once numbered); per line
    `description`, `rule`, `tax_code`, `kind` (`period` billed; `credit` or `charge`: the days an end
    date moved since the period was billed, pro rata — `period_from`/`period_to` are those days); per skipped line `detail` (in words), `description`, `period_from`,
    `period_to`; `ok`, `workbook_id`, `errors` (findings, warnings included)."""
    from billing.cli.common import jsonable

    invoices = [{"invoice_key": d.invoice_key, "customer_id": d.customer_id,
                 "lines": [{"contract_id": line.contract_id, "period_from": line.period_from,
                            "period_to": line.period_to, "quantity": line.quantity, "unit_price": line.unit_price,
                            "net": line.net, "description": line.description, "rule": line.rule,
                            "tax_code": line.tax_code, "kind": line.kind} for line in d.lines],
                 "currency": d.currency, "issue_date": d.issue_date, "net": d.net, "kind": d.kind,
                 "corrects": d.corrects} for d in result.drafts]
    skipped = [{"contract_id": s.contract_id, "reason": s.reason, "detail": s.detail, "description": s.description,
                "period_from": s.period_from, "period_to": s.period_to} for s in result.skipped]
    return jsonable({"period": str(result.month), "invoices": invoices, "skipped": skipped, "ok": result.ok,
                     "workbook_id": result.workbook_id, "errors": [f.as_dict() for f in result.findings]})


def plan_document(result) -> dict:
    """The JSON of --plan: `from`, `to`, `plan` [{`month`, `customer_id`, `currency`, `net`}],
    `skipped` [{`month`, `contract_id`, `description`, `reason`, `detail`, `period_from`, `period_to`}]
    (periods left out of a month: a PriceIndex value not there yet), `notes` (the same in words),
    `totals` [{`month`, `currency`, `net`}], `ok`, `errors` (a warning per period left out)."""
    from collections import defaultdict
    from decimal import Decimal

    from billing.cli.common import jsonable
    from billing.pipeline.bill import month_label

    totals: dict = defaultdict(Decimal)
    for r in result.rows:
        totals[(month_label(r.month), r.currency)] += r.net
    return jsonable({"from": str(result.months[0]), "to": str(result.months[-1]),
                     "plan": [{"month": month_label(r.month), "customer_id": r.customer_id, "currency": r.currency,
                               "net": r.net} for r in result.rows],
                     "skipped": [{"month": month_label(s.month), "contract_id": s.contract_id, "description": s.description,
                                  "reason": s.reason, "detail": s.detail, "period_from": s.period_from,
                                  "period_to": s.period_to} for s in result.skipped],
                     "notes": [f"{month_label(s.month)}: {s.contract_id} {s.description} {s.period_from} – {s.period_to} left out: "
                               f"{s.detail}" for s in result.skipped],
                     "totals": [{"month": m, "currency": c, "net": v} for (m, c), v in sorted(totals.items())],
                     "ok": result.ok, "errors": [f.as_dict() for f in result.findings]})
