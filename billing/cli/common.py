"""What every command of the command line shares: exit codes, options, output, the workbook
lock, the read-and-check preamble.

Command modules import only typer and this module at module level (the domain inside the
command functions), so `xlbilling --help` loads little and no module imports
`billing.cli` itself: every one of them imports on its own.
"""

from __future__ import annotations

import functools
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

import typer
from rich.console import Console

from billing.errors import BadFile, Reported

err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout and nothing else there.")
WaitOption = typer.Option(False, "--wait", help="When another run or a spreadsheet program has the workbook, "
                          "wait until it is free instead of refusing.")
ForceOption = typer.Option(False, "--force", help="Replace the workbook even when it is read-only.")
DbOption = typer.Option(None, "--db", help="Store URL (SQLAlchemy), e.g. postgresql+psycopg://host/db; "
                        "default: $XLBILLING_DATABASE_URL, else an SQLite file in the user data folder.")
KeyOption = typer.Option(None, "--key", help="The private signing key file (default: $XLBILLING_KEY_FILE, else "
                         "signing-key.pem in the user data folder).")
ArchiveOption = typer.Option(None, "--archive", help="The archive folder (default: $XLBILLING_ARCHIVE_DIR, else "
                             "archive/ beside the store's SQLite file).")


class Exit(Exception):
    """Leave with this code after the output has been printed."""

    def __init__(self, code: int):
        self.code = code


def print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


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


@contextmanager
def working(message: str, quiet: bool) -> Iterator[None]:
    """A spinner on stderr while a step runs, only on a terminal and not under --json."""
    if quiet or not err.is_terminal:
        yield
        return
    with err.status(message):
        yield


@contextmanager
def step_progress(steps: tuple[str, ...], quiet: bool):
    """A progress bar over a run's steps on a terminal; yields `on_step(name)`."""
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


def print_findings(findings: Iterable[Reported], label: str | None = None) -> None:
    """Every finding on stdout, one line each: `label!place: [warning: ]message (rule)`, the
    label being the workbook; without a label `place: …`, and without a place (a fault of a
    whole archive) just the message (`errors.Reported`)."""
    for finding in findings:
        head = f"{label}!{finding.place}: " if label else f"{finding.place}: " if finding.place else ""
        prefix = "warning: " if finding.severity == "warning" else ""
        sys.stdout.write(f"{head}{prefix}{finding.message} ({finding.rule})\n")


def report_invalid(result, path: Path, as_json: bool) -> None:
    """Print the findings that stop a command and leave with exit code 1."""
    if as_json:
        print_json({"valid": False, "errors": [f.as_dict() for f in result.findings]})
    else:
        print_findings(result.findings, str(path))
        err.print(f"{path}: invalid ({len(result.errors)} errors); nothing was written")
    raise Exit(1)


def checked_book(path: Path, as_json: bool, optional: tuple = ()):
    """Read a workbook file and check it (`billing.pipeline.checked`): (book, Checked); an
    invalid one is reported and the command leaves with exit code 1."""
    from billing.pipeline import checked
    from billing.workbook.read import read_book

    book = read_book(existing_file(path), optional=optional)
    with working("Validating", quiet=as_json):
        found = checked(book)
    if not found.valid:
        report_invalid(found.validation, path, as_json)
    return book, found


def existing_file(path: Path) -> Path:
    if not path.exists():
        raise BadFile(f"{path}: no such file")
    if path.is_dir():
        raise BadFile(f"{path}: is a folder, not a workbook")
    return path


def as_of_date(text: str, option: str = "--as-of"):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadFile(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def csv_mapping(name: str):
    from billing.bank.csv_format import GERMAN_BANK, CsvMapping

    mappings = {"contract": CsvMapping(), "german": GERMAN_BANK}
    if name not in mappings:
        raise BadFile(f"--csv-format must be one of {', '.join(mappings)}, not {name!r}")
    return mappings[name]


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


def aged_book(path: Path, as_json: bool, as_of, dso_days: int = 90):
    """Read, check and age a workbook (`aging`, `statements`): (tables, pipeline.steps.Reports)."""
    from billing.contract import ALLOCATIONS
    from billing.pipeline.steps import compute_step, receivables_step

    book, found = checked_book(path, as_json, optional=(ALLOCATIONS,))
    step = compute_step(book, found.tables)
    return step.tables, receivables_step(book, step.tables, step.computed, as_of, dso_days)
