"""The `xlbilling` command line: the stable interface scripts rely on.

Every command that works on a workbook takes its path first. `--json` prints exactly one
JSON document on stdout. Exit codes: 0 success, 1 the data is invalid or a check failed
(the result is still printed), 2 the file or the arguments cannot be used (one line on
stderr, never a traceback; set XLBILLING_DEBUG=1 to see one).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer
from rich.console import Console

from billing import config
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


WaitOption = typer.Option(False, "--wait", help="When another run or a spreadsheet program has the workbook, "
                          "wait until it is free instead of refusing.")
ForceOption = typer.Option(False, "--force", help="Replace the workbook even when it is read-only.")


def writes_workbook(command: str, when: Callable[[dict], bool] = lambda options: True):
    """The command replaces its workbook: hold it for the whole read-modify-write
    (`billing.workbook.lock`), refusing while another run or a spreadsheet program has it.
    The command takes `wait` (--wait) and `force` (--force, a read-only file) for this."""

    def decorate(run: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(run)
        def held(**options) -> None:
            if not when(options):
                return run(**options)
            from billing.workbook.lock import hold_for_writing

            path = existing_file(options["path"])
            with hold_for_writing(path, command=command, wait=options["wait"], force=options["force"],
                                  on_wait=lambda why: err.print(f"xlbilling: waiting: {why}", markup=False)):
                return run(**options)

        return held

    return decorate


@app.command()
def new(
    path: Path = typer.Argument(..., help="Where to create the workbook (.xlsx)."),
    sample: int = typer.Option(0, "--sample", min=0, max=1_000_000, help="Fill N sample invoices and payments."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample data: same seed, same data."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Create a billing workbook of the contract's shape, optionally with sample data."""
    from billing.workbook.create import create_workbook
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
@writes_workbook("validate --write", when=lambda options: options["write"])
def validate(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
    write: bool = typer.Option(False, "--write", help="Write the Validation sheet and mark the cells in the file."),
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Check every rule of the contract; print each finding with its cell."""
    from billing.workbook.read import read_book
    from validation import validate_book

    book = read_book(existing_file(path))
    with working("Validating", quiet=as_json):
        result = validate_book(book)
    if write:
        from billing.pipeline.findings import validation_changes
        from billing.workbook.write import apply_changes

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
@writes_workbook("compute")
def compute(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Fill the computed columns: due dates, line and invoice net/tax/gross, the tax summary."""
    from billing.money import format_amount
    from billing.pipeline.steps import compute_step
    from billing.workbook.read import read_book
    from billing.workbook.write import apply_changes
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
@writes_workbook("number")
def number(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Number every issued invoice that has no number yet (drafts never), in issue-date order."""
    from billing.invoicing.compute import compute as compute_all
    from billing.pipeline.steps import number_step
    from billing.numbering.registry import remember_workbook
    from billing.store import open_store
    from billing.tables import typed_tables
    from billing.workbook.read import read_book
    from billing.changes import Changes
    from billing.workbook.write import apply_changes
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
    from billing.bank.csv_format import GERMAN_BANK, CsvMapping

    mappings = {"contract": CsvMapping(), "german": GERMAN_BANK}
    if name not in mappings:
        raise BadFile(f"--csv-format must be one of {', '.join(mappings)}, not {name!r}")
    return mappings[name]


@app.command()
@writes_workbook("match")
def match(
    path: Path = typer.Argument(..., help="The billing workbook."),
    statement: list[Path] = typer.Option([], "--statement", help="Bank statement to import first "
                                          "(CAMT.053, MT940 or CSV); may be given several times."),
    csv_format: str = typer.Option("contract", "--csv-format",
                                   help="Columns of CSV statements: contract (Payments column names) or german."),
    as_json: bool = JsonOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Import statements into Payments, then match payments to open invoices."""
    from billing.invoicing.compute import compute as compute_all
    from billing.contract import ALLOCATIONS
    from billing.money import format_amount
    from billing.pipeline.steps import match_step
    from billing.tables import typed_tables
    from billing.workbook.read import read_book
    from billing.changes import Changes
    from billing.workbook.write import apply_changes
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
    from billing.pipeline.steps import compute_step, receivables_step
    from billing.workbook.read import read_book
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
    from billing.receivables.customer_statements import statement_sheets, statements as build
    from billing.money import format_amount
    from billing.workbook.newfile import write_workbook

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


def statement_files(paths: list[Path]) -> tuple[Path, ...]:
    """The statement files given: files as they are, folders by their files (hidden ones skipped)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        else:
            found.append(existing_file(path))
    return tuple(found)


def jsonable(value: object) -> object:
    """Summaries as JSON: Decimals as their exact text, dates in ISO form."""
    from decimal import Decimal

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@app.command("close")
@writes_workbook("close")
def close_command(
    path: Path = typer.Argument(..., help="The billing workbook."),
    as_of: str = typer.Option(..., "--as-of", help="The closing date (YYYY-MM-DD), usually the month's last day."),
    statement: list[Path] = typer.Option([], "--statement", help="Bank statement file or folder of them to import "
                                          "(CAMT.053, MT940, CSV); may be given several times."),
    csv_format: str = typer.Option("contract", "--csv-format", help="Columns of CSV statements: contract or german."),
    dso_days: int = typer.Option(90, "--dso-days", min=1, max=3660, help="Length of the DSO period in days."),
    seal: bool = typer.Option(False, "--seal", help="Seal and archive the closed workbook."),
    as_json: bool = JsonOption,
    db: Optional[str] = DbOption,
    wait: bool = WaitOption,
    force: bool = ForceOption,
) -> None:
    """Month-end close: validate, compute, number, import, match, age, statements; one write."""
    from billing.pipeline.close import STEPS, CloseOptions, close
    from billing.contract import ALLOCATIONS
    from billing.numbering.registry import remember_workbook
    from billing.store import open_store
    from billing.workbook.read import read_book
    from billing.workbook.write import apply_changes

    day = as_of_date(as_of)
    options = CloseOptions(day, statement_files(statement), csv_mapping(csv_format), dso_days)
    engine = open_store(db)
    with step_progress(STEPS + ("write",), quiet=as_json) as on_step:
        on_step("read")
        book = read_book(existing_file(path), optional=(ALLOCATIONS,))
        result = close(book, engine, options, on_step, workbook=path.name)
        on_step("write")
        apply_changes(path, result.changes)
    if result.ok:
        remember_workbook(engine, result.summary["steps"]["number"]["workbook_id"], str(path.resolve()))
    document = {"ok": result.ok, "stopped_at": result.stopped_at, **jsonable(result.summary),
                "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
                "errors": [f.as_dict() for f in result.findings if f.severity == "error"]}
    if result.ok and seal:
        from billing.cli.seal import seal_after_close

        document["seal"] = seal_after_close(path, db, as_json)
    if as_json:
        print_json(document)
    else:
        print_findings(result.findings, str(path))
        if result.ok:
            print_close_summary(document)
            err.print(f"{path}: closed as of {day}")
        else:
            err.print(f"{path}: close stopped at `{result.stopped_at}` ({len(document['errors'])} errors, written to "
                      "the Validation sheet); nothing else was changed")
    if not result.ok:
        raise Exit(1)


@contextmanager
def step_progress(steps: tuple[str, ...], quiet: bool):
    """A progress bar over the close's steps on a terminal; yields `on_step(name)`."""
    if quiet or not err.is_terminal:
        yield lambda step: None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<12}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task("read", total=len(steps) + 1)

        def on_step(step: str) -> None:
            progress.update(task, description=step, completed=(steps.index(step) + 1) if step in steps else 0)

        yield on_step


def print_close_summary(document: dict) -> None:
    """The close's figures as tables on the terminal."""
    from rich.table import Table

    steps = document["steps"]
    table = Table(title=f"Close as of {document['as_of']}", show_lines=False)
    for column in ("step", "figure", "value"):
        table.add_column(column, justify="right" if column == "value" else "left")
    table.add_row("compute", "invoices / lines", f"{steps['compute']['invoices']} / {steps['compute']['lines']}")
    for t in steps["compute"]["tax"]:
        table.add_row("tax", f"{t['tax_code']} {t['currency']} base / tax", f"{t['base']} / {t['tax']}")
    table.add_row("number", "numbers assigned", str(steps["number"]["assigned"]))
    table.add_row("match", "payments imported", str(steps["match"]["imported"]))
    for method, n in steps["match"]["allocations"].items():
        table.add_row("match", f"matched by {method}", str(n))
    table.add_row("match", "unmatched payments", str(steps["match"]["unmatched"]))
    for currency, buckets in steps["age"]["buckets"].items():
        for label, amount in buckets.items():
            table.add_row("open AR", f"{currency} {label}", amount)
        table.add_row("open AR", f"{currency} total", steps["age"]["totals"][currency])
        table.add_row("open AR", f"{currency} DSO ({steps['age']['dso_days']} days)",
                      steps["age"]["dso"].get(currency) or "-")
    table.add_row("dunning", "overdue items", str(steps["age"]["overdue_items"]))
    table.add_row("statements", "accounts", str(steps["statements"]["accounts"]))
    if "seal" in document:
        table.add_row("seal", "archive id", str(document["seal"].get("archive_id")))
    err.print(table)


numbers_app = typer.Typer(help="The numbering registry.", no_args_is_help=True)
app.add_typer(numbers_app, name="numbers")


def _rows_for_audit(path: Path) -> dict[str, tuple] | None:
    """invoice_key -> (invoice_no, customer_id, gross, status) of a workbook, None if unreadable."""
    from billing.invoicing.compute import compute as compute_all
    from billing.tables import typed_tables
    from billing.workbook.read import read_book
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
    from billing.numbering.audit import audit
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
    invoices: int = typer.Option(300, "--invoices", min=1, max=100_000, help="Number of sample invoices."),
) -> None:
    """Make a sample workbook and bank statements, run the month-end close on them (with the
    seal), verify the seal; everything on the embedded defaults inside the demo folder."""
    from billing.sample.demo import prepare_demo

    import shutil

    folder = folder.resolve()
    # the demo's store and archive are its own: a rerun starts them afresh (a new sample
    # workbook reuses the numbers, which a kept store would rightly refuse)
    for leftover in (folder / "store.db", folder / "store.db-wal", folder / "store.db-shm"):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(folder / "archive", ignore_errors=True)
    store = f"sqlite:///{folder / 'store.db'}"
    os.environ.setdefault(config.ENV_ARCHIVE_DIR, str(folder / "archive"))
    os.environ.setdefault(config.ENV_KEY_FILE, str(folder / "keys" / "signing-key.pem"))
    with working("Creating the sample workbook and bank statements", quiet=False):
        files = prepare_demo(folder, invoices)
    err.print(f"Sample workbook: {files.workbook}")
    for statement in files.statements:
        err.print(f"Bank statement:  {statement}")
    code = _demo_step(["close", str(files.workbook), "--as-of", files.as_of.isoformat(), "--db", store,
                       *(arg for s in files.statements for arg in ("--statement", str(s))), *_demo_seal_args()])
    if code == 0 and _demo_seal_args():
        code = _demo_step(["verify", str(files.workbook)])
    err.print(f"\nOpen {files.workbook} and look at the sheets Close, Aging (with its chart), Dunning, "
              "Allocations, Unmatched, Statements and InvoiceTaxSummary.")
    err.print(f"Store (numbers{', archive index' if _demo_seal_args() else ''}): {folder / 'store.db'}")
    if code:
        raise Exit(code)


def _demo_seal_args() -> list[str]:
    """`--seal` once sealing is registered as a command."""
    return ["--seal"] if "seal" in {c.name for c in app.registered_commands} else []


def _demo_step(argv: list[str]) -> int:
    """Run one command of the demo as a user would type it; its exit code."""
    err.print(f"\n$ xlbilling {' '.join(argv)}", style="bold")
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="xlbilling", standalone_mode=False)
    except Exit as done:
        return done.code
    return 0


from billing.cli import seal as _seal  # noqa: E402,F401  (registers seal, verify, keys, archive)
from billing.cli import addin as _addin  # noqa: E402,F401  (registers addin build/install)


def os_problem(exc: OSError) -> str:
    """One line for a failure of the machine rather than of the data (disk full, no
    permission): what happened and to which file. Every write is atomic, so the
    workbook is as it was."""
    import errno

    what = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied"}.get(exc.errno or 0) or " ".join((exc.strerror or str(exc)).split())
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{what}{where}; files being written were left as they were"


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
    except OSError as exc:
        err.print(f"xlbilling: {os_problem(exc)}", markup=False)
        code = 2
    except (typer.Abort, KeyboardInterrupt):
        err.print("xlbilling: aborted", markup=False)
        code = 2
    except Exception as exc:
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            # a usage error of the command-line parser (typer vendors click; its
            # exception classes are not public, their interface is)
            err.print(f"xlbilling: {' '.join(exc.format_message().split())}", markup=False)
            code = 2
        elif config.debug():
            raise
        else:  # a bug: still one line for the user, the traceback on request
            err.print(f"xlbilling: internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
                      " (set XLBILLING_DEBUG=1 for details)", markup=False)
            code = 2
    sys.exit(code)
