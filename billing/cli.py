"""The `xlbilling` command line: the stable interface scripts rely on.

Every command that works on a workbook takes its path first. `--json` prints exactly one
JSON document on stdout. Exit codes: 0 success, 1 the data is invalid or a check failed
(the result is still printed), 2 the file or the arguments cannot be used (one line on
stderr, never a traceback; set XLBILLING_DEBUG=1 to see one).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console

from billing.errors import BadFile, Finding

app = typer.Typer(
    name="xlbilling",
    help="Excel billing desk: validate, number, compute, match, age, close and seal billing workbooks.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout and nothing else there.")


class Exit(Exception):
    """Leave with this code after the output has been printed."""

    def __init__(self, code: int):
        self.code = code


def print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def working(message: str, quiet: bool) -> Iterator[None]:
    """A spinner on stderr while a step runs, only on a terminal and not under --json."""
    if quiet or not err.is_terminal:
        yield
        return
    with err.status(message):
        yield


def print_findings(findings: tuple[Finding, ...], label: str) -> None:
    for finding in findings:
        prefix = "warning: " if finding.severity == "warning" else ""
        sys.stdout.write(f"{label}!{finding.cell}: {prefix}{finding.message} ({finding.rule})\n")


def existing_file(path: Path) -> Path:
    if not path.exists():
        raise BadFile(f"{path}: no such file")
    if path.is_dir():
        raise BadFile(f"{path}: is a folder, not a workbook")
    return path


@app.command()
def new(
    path: Path = typer.Argument(..., help="Where to create the workbook (.xlsx)."),
    sample: int = typer.Option(0, "--sample", min=0, max=1_000_000, help="Fill N sample invoices and payments."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample data: same seed, same data."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Create a billing workbook of the contract's shape, optionally with sample data."""
    from billing.newbook import create_workbook
    from billing.sample import generate_sample

    if path.suffix.lower() != ".xlsx":
        raise BadFile(f"{path}: `new` writes an .xlsx workbook; give the path a .xlsx ending")
    if path.exists() and not force:
        raise BadFile(f"{path}: already exists; use --force to replace it")
    with working("Creating workbook", quiet=False):
        data = generate_sample(sample, seed=seed) if sample else None
        create_workbook(path, data, overwrite=force)
    what = f"{sample} sample invoices" if sample else "empty tables"
    err.print(f"Created {path} ({what}).")


@app.command()
def validate(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
    write: bool = typer.Option(False, "--write", help="Write the Validation sheet and mark the cells in the file."),
) -> None:
    """Check every rule of the contract; print each finding with its cell."""
    from billing.xlsx_read import read_book
    from validation import validate_book

    book = read_book(existing_file(path))
    with working("Validating", quiet=as_json):
        result = validate_book(book)
    if write:
        from billing.reports import validation_changes
        from billing.xlsx_write import apply_changes

        apply_changes(path, validation_changes(result.findings))
    if as_json:
        print_json({"valid": result.valid, "errors": [f.as_dict() for f in result.findings]})
    else:
        print_findings(result.findings, str(path))
        errors = len(result.errors)
        warnings = len(result.findings) - errors
        verdict = "valid" if result.valid else "invalid"
        err.print(f"{path}: {verdict} ({errors} errors, {warnings} warnings)")
    if not result.valid:
        raise Exit(1)


@app.command()
def compute(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
) -> None:
    """Fill the computed columns: due dates, line and invoice net/tax/gross, the tax summary."""
    from billing.money import format_amount
    from billing.pipeline import compute_step
    from billing.xlsx_read import read_book
    from billing.xlsx_write import apply_changes
    from validation import validate_book

    book = read_book(existing_file(path))
    with working("Validating", quiet=as_json):
        result = validate_book(book, check_computed=False)
    if not result.valid:
        _report_invalid(result, path, as_json)
    with working("Computing", quiet=as_json):
        step = compute_step(book, result.settings)
        computed = step.computed
    with working("Writing", quiet=as_json):
        apply_changes(path, step.changes)
    invoices = computed.invoices
    if as_json:
        print_json({"invoices": [
            {"invoice_key": key, "net": format_amount(net, cur), "tax": format_amount(tax, cur),
             "gross": format_amount(gross, cur), "due_date": due.isoformat()}
            for key, cur, net, tax, gross, due in invoices[
                ["invoice_key", "currency", "net", "tax", "gross", "due_date"]].itertuples(index=False)
        ]})
    else:
        print_findings(result.findings, str(path))
        err.print(f"{path}: computed {len(invoices)} invoices and {len(computed.lines)} lines")


def _report_invalid(result, path: Path, as_json: bool) -> None:
    """Print the findings that stop a command and leave with exit code 1."""
    if as_json:
        print_json({"valid": False, "errors": [f.as_dict() for f in result.findings]})
    else:
        print_findings(result.findings, str(path))
        err.print(f"{path}: invalid ({len(result.errors)} errors); nothing was written")
    raise Exit(1)


DbOption = typer.Option(None, "--db", help="Store URL (SQLAlchemy), e.g. postgresql+psycopg://host/db; "
                        "default: $XLBILLING_DATABASE_URL, else an SQLite file in the user data folder.")


@app.command()
def number(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
) -> None:
    """Number every issued invoice that has no number yet (drafts never), in issue-date order."""
    from billing.compute import compute as compute_all
    from billing.pipeline import number_step
    from billing.registry import remember_workbook
    from billing.store import open_store
    from billing.tables import typed_tables
    from billing.xlsx_read import read_book
    from billing.xlsx_write import Changes, apply_changes
    from validation import validate_book

    book = read_book(existing_file(path))
    result = validate_book(book, check_computed=False)
    if not result.valid:
        _report_invalid(result, path, as_json)
    engine = open_store(db)
    tables = typed_tables(book, result.settings)
    with working("Allocating numbers", quiet=as_json):
        step = number_step(book, tables, compute_all(tables), engine)
    if step.refusals:
        if as_json:
            print_json({"assigned": [], "errors": [f.as_dict() for f in step.refusals]})
        else:
            print_findings(step.refusals, str(path))
            err.print(f"{path}: nothing numbered ({len(step.refusals)} refused)")
        raise Exit(1)
    if step.updates:
        apply_changes(path, Changes(updates=tuple(step.updates), headers=tuple(step.headers)))
    remember_workbook(engine, step.workbook_id, str(path.resolve()))
    assigned = step.assigned
    if as_json:
        print_json({"assigned": [{"invoice_key": a.invoice_key, "invoice_no": a.number} for a in assigned]})
    else:
        for a in assigned:
            sys.stdout.write(f"{a.invoice_key}\t{a.number}\n")
        err.print(f"{path}: {len(assigned)} invoices numbered")


def csv_mapping(name: str):
    from billing.statements.csv_format import GERMAN_BANK, CsvMapping

    mappings = {"contract": CsvMapping(), "german": GERMAN_BANK}
    if name not in mappings:
        raise BadFile(f"--csv-format must be one of {', '.join(mappings)}, not {name!r}")
    return mappings[name]


@app.command()
def match(
    path: Path = typer.Argument(..., help="The billing workbook."),
    statement: list[Path] = typer.Option([], "--statement", help="Bank statement to import first "
                                          "(CAMT.053, MT940 or CSV); may be given several times."),
    csv_format: str = typer.Option("contract", "--csv-format",
                                   help="Columns of CSV statements: contract (Payments column names) or german."),
    as_json: bool = JsonOption,
) -> None:
    """Import statements into Payments, then match payments to open invoices."""
    from billing.compute import compute as compute_all
    from billing.contract import ALLOCATIONS
    from billing.money import format_amount
    from billing.pipeline import match_step
    from billing.tables import typed_tables
    from billing.xlsx_read import read_book
    from billing.xlsx_write import Changes, apply_changes
    from validation import validate_book

    book = read_book(existing_file(path), optional=(ALLOCATIONS,))
    result = validate_book(book, check_computed=False)
    if not result.valid:
        _report_invalid(result, path, as_json)
    tables = typed_tables(book, result.settings)
    with working("Matching", quiet=as_json):
        step = match_step(book, tables, compute_all(tables), [existing_file(s) for s in statement],
                          csv_mapping(csv_format))
    if step.problems:
        _report_invalid(result._replace(findings=tuple(step.problems)), path, as_json)
    apply_changes(path, Changes(outputs=step.outputs, updates=tuple(step.updates)))
    currency = dict(zip(step.tables.payments["payment_id"], step.tables.payments["currency"]))
    rows = step.rows()
    imported, outcome = step.imported, step.result
    if as_json:
        print_json({
            "allocations": [{"payment_id": p, "invoice_no": n, "amount": format_amount(a, currency[p]),
                             "method": m, "confidence": float(c) if c is not None else None}
                            for p, n, a, m, c, _ in rows],
            "unmatched": [p.payment_id for p in outcome.unmatched],
            "imported": imported.payments,
            "import": imported._asdict(),
        })
    else:
        methods: dict[str, int] = {}
        for row in rows:
            methods[row[3]] = methods.get(row[3], 0) + 1
        summary = ", ".join(f"{n} {m}" for m, n in sorted(methods.items()))
        err.print(f"{path}: {imported.payments} payments imported ({imported.already_there} already there, "
                  f"{imported.debits_skipped} debits skipped); {len(rows)} allocations ({summary or 'none'}); "
                  f"{len(outcome.unmatched)} payments unmatched")


def as_of_date(text: str, option: str = "--as-of"):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadFile(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def _receivables(path: Path, as_json: bool, as_of, dso_days: int = 90):
    """Read and validate a workbook and age it: (tables, pipeline.Reports)."""
    from billing.contract import ALLOCATIONS
    from billing.pipeline import compute_step, receivables_step
    from billing.xlsx_read import read_book
    from validation import validate_book

    book = read_book(existing_file(path), optional=(ALLOCATIONS,))
    result = validate_book(book, check_computed=False)
    if not result.valid:
        _report_invalid(result, path, as_json)
    step = compute_step(book, result.settings)
    return step.tables, receivables_step(book, step.tables, step.computed, as_of, dso_days)


def _dso_text(value) -> str | None:
    return None if value is None else str(value)


@app.command()
def aging(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_of: str = typer.Option(..., "--as-of", help="The date to age as of (YYYY-MM-DD)."),
    dso_days: int = typer.Option(90, "--dso-days", min=1, max=3660, help="Length of the DSO period in days."),
    as_json: bool = JsonOption,
) -> None:
    """Age open items as they stood on a date; write the Aging and Dunning sheets."""
    from billing.money import format_amount
    from billing.xlsx_write import Changes, apply_changes

    day = as_of_date(as_of)
    tables, reports = _receivables(path, as_json, day, dso_days)
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
                           "dso": _dso_text(report.dso[(r.customer_id, r.currency)])} for r in report.rows],
            # `total` stays one amount, as the contract has it: the base currency's; every currency's is in `totals`
            "total": format_amount(totals.get(settings.base_currency, 0), settings.base_currency),
            "totals": {currency: format_amount(amount, currency) for currency, amount in sorted(totals.items())},
            "dso_days": dso_days,
            "dso": {currency: _dso_text(value) for currency, value in report.dso_total.items()},
            "overdue_items": len(report.overdue),
        })
    else:
        shown = ", ".join(f"{format_amount(a, c)} {c} (DSO {report.dso_total[c] if report.dso_total[c] is not None else '-'})"
                          for c, a in sorted(totals.items()))
        err.print(f"{path}: aged {len(report.rows)} customer rows as of {day}; open: {shown or 'nothing'}; "
                  f"{len(report.overdue)} overdue items on the Dunning sheet")


@app.command()
def statements(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_of: str = typer.Option(..., "--as-of", help="Last day of the statements (YYYY-MM-DD)."),
    start: Optional[str] = typer.Option(None, "--from", help="First day (default: the 1st of the --as-of month)."),
    customer: Optional[str] = typer.Option(None, "--customer", help="Only this customer_id."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for the files "
                                       "(default: <workbook>-statements-<as-of> beside the workbook)."),
    as_json: bool = JsonOption,
) -> None:
    """Write one customer statement file (.xlsx) per customer: opening balance, invoices,
    credit notes, payments and closing balance."""
    from billing.customer_statements import statement_sheets, statements as build
    from billing.money import format_amount
    from billing.xlsx_write import write_workbook

    end = as_of_date(as_of)
    first = as_of_date(start, "--from") if start else end.replace(day=1)
    if first > end:
        raise BadFile(f"--from {first} is after --as-of {end}")
    tables, reports = _receivables(path, as_json, end)
    ledger = reports.ledger
    if customer is not None and customer not in ledger.names:
        raise BadFile(f"--customer {customer!r}: no such customer_id on the Customers sheet")
    found = build(ledger, first, end, customer)
    folder = out or path.with_name(f"{path.stem}-statements-{end.isoformat()}")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for s in found:
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in (s.customer_id or "unidentified"))
        dest = write_workbook(folder / f"{name}-{s.currency}.xlsx", statement_sheets(s, tables.settings.company_name))
        written.append((s, dest))
    if as_json:
        print_json({"as_of": end.isoformat(), "from": first.isoformat(), "statements": [
            {"customer_id": s.customer_id, "currency": s.currency, "opening": format_amount(s.opening, s.currency),
             "closing": format_amount(s.closing, s.currency), "lines": len(s.lines), "file": str(dest)}
            for s, dest in written]})
    else:
        for s, dest in written:
            sys.stdout.write(f"{s.customer_id}\t{s.currency}\t{format_amount(s.closing, s.currency)}\t{dest}\n")
        err.print(f"{path}: {len(written)} statements from {first} to {end} in {folder}")


numbers_app = typer.Typer(help="The numbering registry.", no_args_is_help=True)
app.add_typer(numbers_app, name="numbers")


def _rows_for_audit(path: Path) -> dict[str, tuple] | None:
    """invoice_key -> (invoice_no, customer_id, gross, status) of a workbook, None if unreadable."""
    from billing.compute import compute as compute_all
    from billing.tables import typed_tables
    from billing.xlsx_read import read_book
    from validation import validate_book

    try:
        book = read_book(path)
    except BadFile:
        return None
    result = validate_book(book, check_computed=False)
    tables = typed_tables(book, result.settings)
    gross = compute_all(tables).invoices["gross"] if result.valid else [None] * len(tables.invoices)
    invoices = tables.invoices
    return {key: (no, customer, g, status) for key, no, customer, g, status in zip(
        invoices["invoice_key"], invoices["invoice_no"], invoices["customer_id"], gross, invoices["status"])}


@numbers_app.command("audit")
def numbers_audit(
    series: Optional[str] = typer.Option(None, "--series", help="Only numbers of this series (pattern or prefix)."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
) -> None:
    """Gaps, duplicates and unexplained numbers in the registry (exit 1 if any)."""
    from billing.audit import audit
    from billing.store import open_store

    findings = audit(open_store(db), _rows_for_audit, series)
    ok = not any(f.severity == "error" for f in findings)
    if as_json:
        print_json({"ok": ok, "findings": [f.as_dict() for f in findings]})
    else:
        for f in findings:
            prefix = "warning: " if f.severity == "warning" else ""
            sys.stdout.write(f"{f.number or f.workbook_id}: {prefix}{f.message} ({f.kind})\n")
        err.print(f"numbers audit: {'ok' if ok else 'unexplained numbers found'} ({len(findings)} findings)")
    if not ok:
        raise Exit(1)


@app.command()
def demo(
    folder: Path = typer.Option(Path("xlbilling-demo"), "--dir", help="Where the demo puts its files."),
    invoices: int = typer.Option(300, "--invoices", min=1, help="Number of sample invoices."),
) -> None:
    """Make a sample workbook and check it, on the embedded defaults."""
    from billing.newbook import create_workbook
    from billing.sample import generate_sample
    from billing.xlsx_read import read_book
    from validation import validate_book

    folder.mkdir(parents=True, exist_ok=True)
    workbook = folder / "demo.xlsx"
    with working("Creating the sample workbook", quiet=False):
        create_workbook(workbook, generate_sample(invoices, seed=1), overwrite=True)
    with working("Validating", quiet=False):
        book = read_book(workbook)
        result = validate_book(book)
    print_findings(result.findings, str(workbook))
    counts = {table.sheet: len(table) for table in book}
    err.print(f"Sample workbook: {workbook.resolve()}")
    err.print("  " + ", ".join(f"{n} {sheet}" for sheet, n in counts.items()))
    err.print(f"  validation: {'valid' if result.valid else 'INVALID'} ({len(result.findings)} findings)")
    err.print("Open it in Excel, or try: xlbilling validate " + str(workbook))
    if not result.valid:
        raise Exit(1)


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point: run the app, turning every failure into a one-line reason and an exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="xlbilling", standalone_mode=False)
        code = 0
    except Exit as done:
        code = done.code
    except BadFile as exc:
        err.print(f"xlbilling: {exc}", markup=False)
        code = 2
    except typer.Exit as done:
        code = done.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err.print("xlbilling: aborted", markup=False)
        code = 2
    except Exception as exc:
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            # a usage error of the command-line parser (typer vendors click; its
            # exception classes are not public, their interface is)
            err.print(f"xlbilling: {' '.join(exc.format_message().split())}", markup=False)
            code = 2
        elif os.environ.get("XLBILLING_DEBUG"):
            raise
        else:  # a bug: still one line for the user, the traceback on request
            err.print(f"xlbilling: internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
                      " (set XLBILLING_DEBUG=1 for details)", markup=False)
            code = 2
    sys.exit(code)
