"""The benchmark books (`bench/books.py`): the stated sizes, valid data, and a cache that never
serves a book made from older source."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from billing.contract import DISPUTES, INPUT_SHEETS
from billing.sample import Shape
from billing.workbook.read import read_book
from validation import validate_book

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def books():
    spec = importlib.util.spec_from_file_location("books", ROOT / "bench" / "books.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("invoices", [60, 400])
def test_book_has_three_lines_and_one_payment_per_invoice_and_is_valid(books, tmp_path, invoices):
    path = books.write_big_book(tmp_path / "book.xlsx", invoices)
    sheets = CalamineWorkbook.from_path(str(path))
    assert sheets.sheet_names == [spec.name for spec in INPUT_SHEETS]
    rows = {name: sheets.get_sheet_by_name(name).to_python()[1:] for name in ("Invoices", "InvoiceLines", "Payments")}
    assert (len(rows["Invoices"]), len(rows["InvoiceLines"]), len(rows["Payments"])) == (invoices, 3 * invoices, invoices)
    assert set(Counter(line[0] for line in rows["InvoiceLines"]).values()) == {3}
    assert sheets.get_sheet_by_name("Disputes").to_python()[0] == list(DISPUTES.column_names)
    result = validate_book(read_book(path))
    assert result.valid and not result.findings, result.findings[:3]


def test_cached_name_holds_size_seed_shape_and_source_digest(books, tmp_path, monkeypatch):
    monkeypatch.setattr(books, "OUT", tmp_path)
    monkeypatch.setattr(books, "write_big_book", lambda path, *a, **k: path.write_bytes(b"book"))
    path = books.big_book(70, seed=2, shape=Shape(4, 0.5))
    assert path.name == f"book-70-s2-l4-p0.5-{books.source_digest()}.xlsx"
    assert books.big_book(70).name == f"book-70-s1-l3-p1.0-{books.source_digest()}.xlsx"


def test_a_change_to_any_source_makes_a_new_book(books, tmp_path, monkeypatch):
    generator = tmp_path / "sample"
    generator.mkdir()
    (generator / "invoice.py").write_text("A = 1\n")
    contract = tmp_path / "contract.py"
    contract.write_text("COLUMNS = ('net',)\n")
    monkeypatch.setattr(books, "ROOT", tmp_path)
    monkeypatch.setattr(books, "SOURCES", (generator, contract))
    digests = [books.source_digest()]
    contract.write_text("COLUMNS = ('net', 'disputed')\n")
    digests.append(books.source_digest())
    (generator / "invoice.py").write_text("A = 2\n")
    digests.append(books.source_digest())
    (generator / "statement.py").write_text("")
    digests.append(books.source_digest())
    assert len(set(digests)) == 4


def test_sources_cover_the_generator_the_contract_and_the_writer(books):
    covered = {p.relative_to(ROOT).as_posix() for p in books.SOURCES}
    assert covered == {"billing/sample", "billing/contract.py", "billing/settings.py", "bench/books.py"}
