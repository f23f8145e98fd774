"""`xlbilling aging`: open items by age, DSO and the dunning list as of a date."""

from __future__ import annotations

from pathlib import Path

import typer

from billing.cli.common import (ForceOption, JsonOption, WaitOption, aged_book, as_of_date, err, print_json,
                                writes_workbook)


def dso_text(value) -> str | None:
    return None if value is None else str(value)


@writes_workbook("aging")
def aging(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_of: str = typer.Option(..., "--as-of", help="The date to age as of (YYYY-MM-DD)."),
    dso_days: int = typer.Option(90, "--dso-days", min=1, max=3660, help="Length of the DSO period in days."),
    as_json: bool = JsonOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Age open items as they stood on a date; write the Aging and Dunning sheets."""
    from billing.money import format_amount
    from billing.changes import Changes
    from billing.workbook.write import apply_changes

    day = as_of_date(as_of)
    tables, reports = aged_book(path, as_json, day, dso_days)
    settings, report = tables.settings, reports.receivables
    apply_changes(path, Changes(outputs=reports.outputs))
    labels, totals = report.labels, report.totals
    if as_json:
        print_json({
            "as_of": day.isoformat(), "buckets": labels,
            "customers": [{"customer_id": r.customer_id, "currency": r.currency,
                           "buckets": {label: format_amount(r.buckets[label], r.currency) for label in labels},
                           "unapplied": format_amount(r.unapplied, r.currency),
                           "total": format_amount(r.total, r.currency),
                           "dso": dso_text(report.dso[(r.customer_id, r.currency)])} for r in report.rows],
            # `total` stays one amount, as the contract has it: the base currency's; every currency's is in `totals`
            "total": format_amount(totals.get(settings.base_currency, 0), settings.base_currency),
            "totals": {currency: format_amount(amount, currency) for currency, amount in sorted(totals.items())},
            "dso_days": dso_days,
            "dso": {currency: dso_text(value) for currency, value in report.dso_total.items()},
            "overdue_items": len(report.overdue),
        })
    else:
        shown = ", ".join(f"{format_amount(a, c)} {c} (DSO {report.dso_total[c] if report.dso_total[c] is not None else '-'})"
                          for c, a in sorted(totals.items()))
        err.print(f"{path}: aged {len(report.rows)} customer rows as of {day}; open: {shown or 'nothing'}; "
                  f"{len(report.overdue)} overdue items on the Dunning sheet")
