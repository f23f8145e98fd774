"""The month-end close: every step on one workbook, written once.

validate → compute → number → import statements → match → age (DSO, dunning) →
statements → output sheets. The first step that finds errors stops the run: only those
errors are written (the Validation sheet and marks on their cells), nothing else, so
nothing is half-done. Otherwise every change of every step is collected into one
`Changes` and the caller writes it once, atomically. Numbers the registry gave before a
later step stopped stay recorded for the same invoice keys: a rerun gets the same ones.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

from billing.contract import CLOSE, STATEMENTS
from billing.receivables.aging import ZERO
from billing.receivables.customer_statements import statements
from billing.errors import Finding
from billing.gcpause import gc_paused
from billing.money import quantize
from billing.pipeline.steps import applied_of, compute_step, match_step, number_step, receivables_step
from billing.pipeline.findings import validation_changes, validation_sheet
from billing.book import Book
from billing.changes import Changes, OutputSheet

STEPS = ("validate", "compute", "number", "match", "age", "statements")


class CloseOptions(NamedTuple):
    as_of: dt.date
    statements: tuple[Path, ...] = ()
    csv_mapping: object = None
    dso_days: int = 90


class CloseResult(NamedTuple):
    ok: bool
    stopped_at: str | None  # the step that found errors
    findings: tuple[Finding, ...]  # the errors that stopped it, or the warnings of a good run
    changes: Changes  # what to write: everything, or just the errors
    summary: dict  # per step: plain values (Decimal amounts, ints, strings)
    seconds: dict[str, float]  # per step


def close(book: Book, engine, options: CloseOptions, on_step: Callable[[str], None] = lambda step: None,
          workbook: str = "") -> CloseResult:
    """Run the close on a read workbook; `engine` is the numbering registry's store.
    The cycle collector is paused for the run: its steps make millions of small acyclic
    objects (Decimals, tuples, rows) that it would rescan in vain (~5 s of a 100k close)."""
    with gc_paused():
        return _close(book, engine, options, on_step, workbook)


def _close(book: Book, engine, options: CloseOptions, on_step: Callable[[str], None], workbook: str) -> CloseResult:
    from billing.pipeline import checked

    seconds: dict[str, float] = {}
    summary: dict = {"as_of": options.as_of.isoformat()}
    summary["steps"] = {}
    running: list = [None, time.perf_counter()]  # the step under way, and since when

    def lap() -> None:
        now = time.perf_counter()
        if running[0] is not None:
            seconds[running[0]] = now - running[1]
        running[1] = now

    def begin(step: str) -> None:
        lap()
        running[0] = step
        summary["steps"][step] = {}
        on_step(step)

    def stop(step: str, errors: Sequence[Finding]) -> CloseResult:
        lap()
        errors = tuple(errors)
        return CloseResult(False, step, errors, validation_changes(errors), summary, seconds)

    begin("validate")
    valid = checked(book)
    result = valid.validation
    summary["steps"]["validate"] = {"errors": len(result.errors), "warnings": len(result.findings) - len(result.errors)}
    if not valid.valid:
        return stop("validate", result.findings)
    begin("compute")
    computation = compute_step(book, valid.tables)
    computed = computation.computed
    summary["steps"]["compute"] = {"invoices": len(computed.invoices), "lines": len(computed.lines),
                                   "tax": _tax_totals(computed.tax_summary, computation.tables.invoices)}
    begin("number")
    numbering = number_step(book, computation.tables, computed, engine, computation.changes.headers)
    if numbering.refusals:
        return stop("number", numbering.refusals)
    summary["steps"]["number"] = {"assigned": len(numbering.assigned), "workbook_id": numbering.workbook_id}
    begin("match")
    matching = match_step(book, numbering.tables, computed, options.statements, options.csv_mapping)
    if matching.problems:
        return stop("match", matching.problems)
    rows = matching.rows()
    summary["steps"]["match"] = {"imported": matching.imported.payments,
                                 "allocations": dict(sorted(Counter(r[3] for r in rows).items())),
                                 "unmatched": len(matching.result.unmatched)}
    begin("age")
    tables = matching.tables
    reports = receivables_step(book, tables, computed, options.as_of, options.dso_days, applied_of(matching))
    report = reports.receivables
    buckets: dict[str, dict[str, Decimal]] = {}
    for row in report.rows:
        mine = buckets.setdefault(row.currency, {label: ZERO for label in (*report.labels, "unapplied")})
        for label in report.labels:
            mine[label] += row.buckets[label]
        mine["unapplied"] += row.unapplied
    buckets = {c: {label: quantize(a, c) for label, a in b.items()} for c, b in buckets.items()}
    summary["steps"]["age"] = {"buckets": buckets, "totals": {c: quantize(a, c) for c, a in report.totals.items()}, "dso": report.dso_total,
                               "dso_days": options.dso_days, "overdue_items": len(report.overdue)}
    begin("statements")
    start = options.as_of.replace(day=1)
    found = statements(reports.ledger, start, options.as_of)
    summary["steps"]["statements"] = {"accounts": len(found), "from": start.isoformat()}
    lap()
    outputs = (*computation.changes.outputs, *matching.outputs, *reports.outputs, statements_sheet(found),
               close_sheet(summary, workbook), validation_sheet(result.findings))
    changes = Changes(outputs=outputs,
                      updates=(*computation.changes.updates, *numbering.updates, *matching.updates),
                      headers=(*computation.changes.headers, *numbering.headers),
                      marks=())  # a good run clears the marks of an earlier failed one
    return CloseResult(True, None, result.findings, changes, summary, seconds)


def _tax_totals(tax_summary, invoices) -> list[dict]:
    """Base and tax per tax code and currency over every issued invoice and credit note."""
    status = dict(zip(invoices["invoice_key"], invoices["status"]))
    currency = dict(zip(invoices["invoice_key"], invoices["currency"]))
    totals: dict[tuple[str, str], list[Decimal]] = {}
    for key, code, base, tax in zip(tax_summary["invoice_key"], tax_summary["tax_code"], tax_summary["base"],
                                    tax_summary["tax"]):
        if status.get(key) == "issued":
            pair = totals.setdefault((code, currency[key]), [ZERO, ZERO])
            pair[0] += base
            pair[1] += tax
    return [{"tax_code": code, "currency": cur, "base": base, "tax": tax}
            for (code, cur), (base, tax) in sorted(totals.items())]


def statements_sheet(found) -> OutputSheet:
    """Every customer's statement of the month in one table (files per customer: `xlbilling statements`)."""
    rows = []
    for s in found:
        customer = s.customer_id or None  # a payer not identified
        rows.append((customer, s.currency, s.start, "opening balance", None, None, None, s.opening, None))
        rows += [(customer, s.currency, m.date, m.kind.replace("_", " "), m.reference, m.due_date, m.amount, b,
                  m.description) for m, b in s.lines]
        rows.append((customer, s.currency, s.end, "closing balance", None, None, None, s.closing, None))
    # `description` (who paid, for a third party's payment) comes last: the other columns keep their places
    return OutputSheet(STATEMENTS.name, STATEMENTS.column_names, rows, STATEMENTS.number_formats())


def close_sheet(summary: dict, workbook: str) -> OutputSheet:
    """The Close sheet: the run's parameters and each step's figures, so the workbook explains itself."""
    rows: list[tuple] = [("run", "as_of", None, None, summary["as_of"]),
                         ("run", "workbook", None, None, workbook or None),
                         ("run", "closed_at_utc", None, None,
                          dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()),
                         ("run", "workbook_id", None, None, summary["steps"]["number"]["workbook_id"]),
                         *summary_rows(summary)]
    return OutputSheet(CLOSE.name, CLOSE.column_names, rows, CLOSE.number_formats())


def summary_rows(summary: dict) -> list[tuple]:
    """Each step's figures of a good close as (section, item, currency, amount, note) rows, in
    the steps' order: the Close sheet and the command line's table both show these."""
    steps = summary["steps"]
    rows: list[tuple] = [("validate", "warnings", None, steps["validate"]["warnings"], None),
                         ("compute", "invoices", None, steps["compute"]["invoices"], None),
                         ("compute", "lines", None, steps["compute"]["lines"], None)]
    for t in steps["compute"]["tax"]:
        rows += [("tax", f"{t['tax_code']} base", t["currency"], t["base"], None),
                 ("tax", f"{t['tax_code']} tax", t["currency"], t["tax"], None)]
    rows.append(("number", "numbers assigned", None, steps["number"]["assigned"], None))
    rows.append(("match", "payments imported", None, steps["match"]["imported"], None))
    rows += [("match", f"matched by {method}", None, n, None) for method, n in steps["match"]["allocations"].items()]
    rows.append(("match", "payments unmatched", None, steps["match"]["unmatched"], None))
    age = steps["age"]
    for currency, buckets in age["buckets"].items():
        rows += [("open AR", label, currency, amount, None) for label, amount in buckets.items()]
        rows.append(("open AR", "total", currency, age["totals"][currency], None))
        dso = age["dso"].get(currency)
        rows.append(("open AR", f"DSO ({age['dso_days']} days)", currency, dso,
                     None if dso is not None else "no sales in the period"))
    rows.append(("dunning", "overdue items", None, age["overdue_items"], None))
    rows.append(("statements", "accounts", None, steps["statements"]["accounts"], None))
    return rows
