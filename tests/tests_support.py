"""Shared test helpers: typed tables straight from sample data, without a workbook file in
between; a PDF's text; a sample workbook with issued invoices and a store; a real SMTP server
(aiosmtpd on 127.0.0.1) and the command line run in-process (the `issued` and `work` fixtures
that use them are in conftest.py)."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from billing.contract import (CONTRACTS, CUSTOMERS, DISPUTES, INTEREST_RATES, INVOICE_LINES, INVOICES, PAYMENTS,
                              PRICE_INDEX, PRICE_TIERS, TAX_RATES, USAGE)
from billing.settings import Settings
from billing.tables import Tables, complete


def tables_of(data) -> Tables:
    """What `billing.tables.typed_tables` builds from the sample's workbook, minus the file."""
    def frame(rows, spec):
        return pd.DataFrame([{c: r.get(c) for c in spec.column_names} for r in rows], columns=list(spec.column_names),
                            index=pd.RangeIndex(2, 2 + len(rows), name="row"), dtype=object)

    settings = Settings(**{k: v for k, v in data.settings if v not in (None, "")})
    return complete(settings, frame(data.customers, CUSTOMERS), frame(data.tax_rates, TAX_RATES),
                    frame(data.invoices, INVOICES), frame(data.lines, INVOICE_LINES),
                    frame(data.payments, PAYMENTS), frame(getattr(data, "disputes", ()), DISPUTES),
                    frame(getattr(data, "interest_rates", ()), INTEREST_RATES),
                    frame(getattr(data, "contracts", ()), CONTRACTS), frame(getattr(data, "usage", ()), USAGE),
                    frame(getattr(data, "price_index", ()), PRICE_INDEX),
                    frame(getattr(data, "price_tiers", ()), PRICE_TIERS))


def text_of(pdf_bytes: bytes) -> str:
    """The page text as a reader sees it (pypdfium2, the dev dependency that draws the README picture)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(pdf_bytes)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


# -- a sample workbook with issued invoices, and its store ------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_INVOICES = 4  # invoices of the `issued` sample workbook


class Work(NamedTuple):
    """A workbook with its own store and archive (the `work` fixture)."""

    book: Path
    db: str
    archive: Path

    def store(self) -> list[str]:
        return ["--db", self.db, "--archive", str(self.archive)]

    def args(self, *more: str) -> list[str]:
        """`xlbilling send` on the workbook, with its store."""
        return ["send", str(self.book), *self.store(), *more]


def issue_sample(folder: Path) -> Path:
    """A sample workbook `book.xlsx` in `folder`, closed as of 2026-12-31, its invoices issued as
    PDF (and CII when its rules are there) into `store.db` and `archive/` beside it."""
    from billing.pipeline.issue import rules_installed

    book = folder / "book.xlsx"
    env = {**os.environ, "XLBILLING_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
           "XLBILLING_ARCHIVE_DIR": str(folder / "archive")}
    env.pop("XLBILLING_DEBUG", None)
    formats = ["--format", "pdf"] + (["--format", "cii"] if rules_installed("cii") else [])
    for args in (["new", str(book), "--sample", str(SAMPLE_INVOICES)],
                 ["close", str(book), "--as-of", "2026-12-31", "--json"], ["issue", str(book), *formats, "--json"]):
        done = subprocess.run([sys.executable, "-m", "billing", *args], capture_output=True, text=True, cwd=ROOT,
                              env=env)
        assert done.returncode == 0, done.stderr
    return folder


def cli(capsys, *args: str) -> tuple[int, dict | str, str]:
    """Run the command line in this process: (exit code, stdout as JSON when it is, stderr)."""
    from billing.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    try:
        return done.value.code, json.loads(out), err
    except ValueError:
        return done.value.code, out, err


def xlbilling(*args) -> None:
    """Run the command line in this process; it must succeed."""
    from billing.cli import main

    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    assert done.value.code == 0


def seal_books(home: Path, periods, db: str, root: Path) -> list[Path]:
    """One sample workbook per period (`home/Billing {period}.xlsx`), sealed by `xlbilling keys
    init` and `xlbilling seal` into the store `db` and the archive folder `root`."""
    from billing.sample import generate_sample
    from billing.workbook.create import create_workbook

    key = home / "signing-key.pem"
    xlbilling("keys", "init", "--key", key)
    sample = create_workbook(home / "sample.xlsx", generate_sample(20, seed=3)).read_bytes()
    books = []
    for period in periods:
        path = home / f"Billing {period}.xlsx"
        path.write_bytes(sample)
        xlbilling("seal", path, "--period", period, "--key", key, "--db", db, "--archive", root, "--json")
        books.append(path)
    return books


def sent_sheet(book: Path) -> list[dict]:
    """The rows of the workbook's Sent sheet, by header."""
    import openpyxl

    sheet = openpyxl.load_workbook(book, read_only=True)["Sent"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


# -- a real SMTP server -----------------------------------------------------------------------------


class Handler:
    """Records each accepted envelope; answers DATA with `answers` first (one per message),
    then 250."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.envelopes = []
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.answers:
            answer = self.answers.pop(0)
            if not answer.startswith("250"):
                return answer
        self.envelopes.append(envelope)
        return "250 2.0.0 Message accepted for delivery"

    def messages(self) -> list:
        return [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(handler: Handler, port: int | None = None):
    """An aiosmtpd server on 127.0.0.1 for the block; yields its port."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def use(monkeypatch, port: int) -> None:
    """Send through the local server on `port` (the environment overrides the Settings)."""
    monkeypatch.setenv("XLBILLING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XLBILLING_SMTP_PORT", str(port))
