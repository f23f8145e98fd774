"""The seal's reading started while the workbook is validated (`billing.sealing.seal.PreReading`):
the same reading as the seal makes itself, used only for the bytes validated."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

import billing.sealing.seal as seal_module
from billing.sealing.seal import PreReading
from billing.sealing.sealed_package import protected_sheet
from billing.sealing.canonical import read_content
from billing.workbook.create import create_workbook
from billing.workbook.package import Package
from billing.sample import generate_sample
from test_seal import edit, xlbilling

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is Linux's")


@pytest.fixture
def book(tmp_path) -> Path:
    return create_workbook(tmp_path / "book.xlsx", generate_sample(30, seed=7))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_pre_reading_is_the_seals_own_reading(book):
    with Package(book) as pkg:
        own = read_content(pkg, also=protected_sheet)
    early = PreReading(book).result(sha(book))
    assert early is not None
    assert (early.content, early.links, early.names) == (own.content, own.links, own.names)
    assert early.extra == own.extra  # the protected, deflated sheets: byte for byte


def test_a_pre_reading_of_other_bytes_is_not_used(book):
    validated = sha(book)
    assert PreReading(book).result("0" * 64) is None
    create_workbook(book, generate_sample(31, seed=7), overwrite=True)  # saved again after it was validated
    assert PreReading(book).result(validated) is None


def test_seal_uses_the_pre_reading_and_verifies(book, capsys, monkeypatch):
    in_this_process = []
    real = seal_module.read_content

    def counted(*args, **kwargs):
        in_this_process.append(1)  # a forked process appends to its own copy
        return real(*args, **kwargs)

    monkeypatch.setattr(seal_module, "read_content", counted)
    monkeypatch.setattr(seal_module, "PREREAD_MIN_BYTES", 0)
    code, out, err = xlbilling(capsys, "seal", book, "--json")
    assert code == 0, err
    assert in_this_process == []
    code, out, _ = xlbilling(capsys, "verify", book, "--json")
    assert (code, json.loads(out)["intact"], json.loads(out)["checked"]) == (0, True, "parts")


def test_an_invalid_workbook_stops_the_pre_reading(book, capsys, monkeypatch):
    started = []
    real_start = PreReading.start

    def start(path, version=None):
        started.append(real_start(path, version))
        return started[-1]

    monkeypatch.setattr(seal_module, "PREREAD_MIN_BYTES", 0)
    monkeypatch.setattr(PreReading, "start", staticmethod(start))
    edit(book, lambda wb: wb["InvoiceLines"].cell(row=2, column=7, value="X9"))  # an unknown tax code
    code, _, _ = xlbilling(capsys, "seal", book, "--json")
    assert code == 1
    assert started and not started[0]._process.is_alive()


def test_no_pre_reading_without_the_memory_to_spare(book, monkeypatch):
    monkeypatch.setattr(seal_module, "PREREAD_MIN_BYTES", 0)
    size = book.stat().st_size
    monkeypatch.setattr(seal_module, "available_memory", lambda: size * seal_module.PREREAD_MEMORY_PER_BYTE - 1)
    assert PreReading.start(book) is None
    monkeypatch.setattr(seal_module, "available_memory", lambda: size * seal_module.PREREAD_MEMORY_PER_BYTE)
    started = PreReading.start(book)
    assert started is not None
    started.close()


def test_the_memory_available_is_read_from_the_system():
    assert seal_module.available_memory() > 0
