"""The canonical content digest: exact blocks, the same digest whoever wrote the same
content, both readers agreeing, hostile files refused."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

import billing.canonical_sheet as canonical_sheet
import billing.sheet_jobs as sheet_jobs
from billing.canonical import content_of, manifest, read_content, sheet_block
from billing.canonical_cells import Unusual
from billing.errors import BadFile
from billing.newbook import create_workbook
from billing.ooxml import Package
from billing.sample import generate_sample

EXPECTED_BLOCK = (
    "xlbilling-sheet/1\n"
    "hidden-rows\t3-3\n"
    "hidden-columns\t3-3\n"
    "rows-hidden-by-default\t0\n"
    "merged\tA5:B6\n"
    "A1\ts\ta\\tb\tGeneral\n"
    "B1\tn\t1.5\t0.00\n"
    "C1\tf\tB1*19%\tGeneral\n"
    "A2\tb\tTRUE\tGeneral\n"
    "B2\tn\t46234.0\tyyyy-mm-dd\n"
    "A5\ts\tm\tGeneral\n"
)


def by_openpyxl(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "a\tb"
    ws["B1"] = 1.5
    ws["B1"].number_format = "0.00"
    ws["C1"] = "=B1*19%"
    ws["A2"] = True
    ws["B2"] = 46234
    ws["B2"].number_format = "yyyy-mm-dd"
    ws["D4"].number_format = "0.00"  # a style alone is no content
    ws.row_dimensions[3].hidden = True
    ws.column_dimensions["C"].hidden = True
    ws.merge_cells("A5:B6")
    ws["A5"] = "m"
    wb.save(path)
    return path


def by_xlsxwriter(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("S")
    ws.write_string("A1", "a\tb")
    ws.write_number("B1", 1.5, book.add_format({"num_format": "0.00"}))
    ws.write_formula("C1", "=B1*19%", None, 0.285)
    ws.write_boolean("A2", True)
    ws.write_number("B2", 46234, book.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_blank("D4", None, book.add_format({"num_format": "0.00"}))
    ws.set_row(2, None, None, {"hidden": True})
    ws.set_column("C:C", None, None, {"hidden": True})
    ws.merge_range("A5:B6", "m")
    book.close()
    return path


def parts_of(path: Path):
    with Package(path) as pkg:
        return read_content(pkg, keep=True)


def test_the_block_is_exactly_as_documented(tmp_path):
    reading = parts_of(by_openpyxl(tmp_path / "o.xlsx"))
    assert sheet_block(reading.parts["S"]).decode() == EXPECTED_BLOCK
    assert reading.content.sheets[0].digest == hashlib.sha256(EXPECTED_BLOCK.encode()).hexdigest()
    names = hashlib.sha256(b"").hexdigest()
    assert manifest(reading.content.sheets, names, "", False).decode() == (
        f"xlbilling-canonical/1\ndate1904\t0\nnames\t{names}\nvba\t\n"
        f"sheet\tS\tvisible\t{hashlib.sha256(EXPECTED_BLOCK.encode()).hexdigest()}\n")
    assert reading.content.digest == hashlib.sha256(manifest(reading.content.sheets, names, "", False)).hexdigest()
    # the worked example of docs/seal-format.md
    assert reading.content.sheets[0].digest == "481b05746bbee74c25b8a05b265abd2741fb253be61d8126058ece24c5f4d6eb"
    assert reading.content.digest == "4df72df6e212d2d66536409049a5a634c38b133835d31d3222a1d84f3bf23468"


def test_same_content_written_by_openpyxl_and_xlsxwriter_has_the_same_digest(tmp_path):
    a = content_of(by_openpyxl(tmp_path / "o.xlsx"))
    b = content_of(by_xlsxwriter(tmp_path / "x.xlsx"))
    assert a == b


def test_a_resave_keeps_the_digest(tmp_path):
    path = create_workbook(tmp_path / "s.xlsx", generate_sample(20, seed=4))
    wb = openpyxl.load_workbook(path)
    wb.save(tmp_path / "again.xlsx")
    assert content_of(path) == content_of(tmp_path / "again.xlsx")


def rewrite_part(path: Path, part: str, change) -> Path:
    """A copy of the package with one part's XML text changed."""
    out = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, change(data.decode()).encode() if info.filename == part else data)
    return out


@pytest.mark.parametrize("written", ["1.50", "1.5E0", "15e-1", "+1.5"])
def test_numbers_are_normalised(tmp_path, written):
    path = by_xlsxwriter(tmp_path / "x.xlsx")
    changed = rewrite_part(path, "xl/worksheets/sheet1.xml", lambda x: x.replace("<v>1.5</v>", f"<v>{written}</v>"))
    assert content_of(changed) == content_of(path)


def test_a_shared_formula_is_each_cells_own_formula(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (1, 2, 3):
        ws[f"A{row}"] = row
        ws[f"B{row}"] = f"=A{row}*2"
    wb.save(tmp_path / "plain.xlsx")

    def share(xml: str) -> str:
        xml = xml.replace("<f>A1*2</f>", '<f t="shared" ref="B1:B3" si="0">A1*2</f>')
        return xml.replace("<f>A2*2</f>", '<f t="shared" si="0"/>').replace("<f>A3*2</f>", '<f t="shared" si="0"/>')

    shared = rewrite_part(tmp_path / "plain.xlsx", "xl/worksheets/sheet1.xml", share)
    assert 't="shared"' in zipfile.ZipFile(shared).read("xl/worksheets/sheet1.xml").decode()
    assert content_of(shared) == content_of(tmp_path / "plain.xlsx")


def test_changes_change_the_digest(tmp_path):
    path = by_openpyxl(tmp_path / "o.xlsx")
    base = content_of(path)
    for old, new in (("<v>1.5</v>", "<v>1.6</v>"), ('<row r="3" hidden="1"', '<row r="3"'),
                     ('<mergeCell ref="A5:B6"/>', '<mergeCell ref="A5:B7"/>')):
        changed = rewrite_part(path, "xl/worksheets/sheet1.xml", lambda x: x.replace(old, new))
        assert content_of(changed).digest != base.digest, (old, new)


def fast_and_slow(path: Path, monkeypatch):
    fast = parts_of(path)

    def refuse(*args):
        raise Unusual("test: read element by element")

    monkeypatch.setattr(canonical_sheet, "_fast", refuse)
    slow = parts_of(path)
    monkeypatch.undo()
    return fast, slow


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter", "sample"])
def test_both_readers_agree(tmp_path, monkeypatch, writer):
    if writer == "sample":
        path = create_workbook(tmp_path / "s.xlsx", generate_sample(40, seed=2))
    else:
        path = (by_openpyxl if writer == "openpyxl" else by_xlsxwriter)(tmp_path / "w.xlsx")
    fast, slow = fast_and_slow(path, monkeypatch)
    assert fast.content == slow.content
    assert fast.parts == slow.parts


def test_sheets_read_in_parallel_give_the_same_content(tmp_path, monkeypatch):
    path = create_workbook(tmp_path / "s.xlsx", generate_sample(40, seed=2))
    alone = parts_of(path)
    monkeypatch.setattr(sheet_jobs, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv(sheet_jobs.ENV_WORKERS, "2")
    if sheet_jobs.workers_for([sheet_jobs.Job("a", "x", 1), sheet_jobs.Job("b", "y", 1)]) < 2:
        pytest.skip("no fork on this platform")
    together = parts_of(path)
    assert together == alone


def test_the_seal_sheet_and_document_properties_are_not_content(tmp_path):
    path = by_openpyxl(tmp_path / "o.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("_seal")["A1"] = "anything"
    wb["_seal"].sheet_state = "veryHidden"
    wb.properties.title = "another title"
    wb.save(tmp_path / "with-seal.xlsx")
    assert content_of(tmp_path / "with-seal.xlsx") == content_of(path)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda x: x.replace("<v>1.5</v>", "<v>abc</v>"), r"S!B1: holds 'abc', which is not a number"),
    (lambda x: x.replace('<c r="A2" t="b"><v>1</v>', '<c r="A2" t="b"><v>7</v>'), r"S!A2: holds '7'"),
    (lambda x: x.replace('t="b"', 't="q"'), r"S!A2: has the unknown cell type 'q'"),
    (lambda x: x.replace("<sheetData>", '<!DOCTYPE x [<!ENTITY a "b">]><sheetData>'), r"DOCTYPE"),
    (lambda x: x.replace("</sheetData>", "<sheetData>"), r"not well-formed"),
])
def test_bad_sheets_are_refused_naming_the_cell(tmp_path, change, reason):
    path = by_xlsxwriter(tmp_path / "x.xlsx")
    changed = rewrite_part(path, "xl/worksheets/sheet1.xml", change)
    with pytest.raises(BadFile, match=reason):
        content_of(changed)


def test_a_shared_string_beyond_the_table_is_refused(tmp_path):
    path = by_xlsxwriter(tmp_path / "x.xlsx")
    changed = rewrite_part(path, "xl/worksheets/sheet1.xml",
                           lambda x: re.sub(r'(<c r="A1" t="s"><v>)\d+', r"\g<1>99", x))
    with pytest.raises(BadFile, match=r"S!A1: refers to shared string 99, but the workbook has 2"):
        content_of(changed)


def test_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("a;b\n1;2\n")
    with pytest.raises(BadFile, match="not a zip package"):
        content_of(path)
    empty = tmp_path / "e.xlsx"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("hello.txt", "x")
    with pytest.raises(BadFile, match="not an Excel workbook"):
        content_of(empty)


def test_defined_names_and_hidden_sheets_are_content(tmp_path):
    path = by_openpyxl(tmp_path / "o.xlsx")
    base = content_of(path)
    wb = openpyxl.load_workbook(path)
    wb.defined_names["Rate"] = openpyxl.workbook.defined_name.DefinedName("Rate", attr_text="S!$B$1")
    wb.save(tmp_path / "named.xlsx")
    named = content_of(tmp_path / "named.xlsx")
    assert named.names_digest != base.names_digest and named.sheets == base.sheets
    wb = openpyxl.load_workbook(path)
    wb["S"].sheet_state = "hidden"
    wb.create_sheet("T")
    wb.save(tmp_path / "hidden.xlsx")
    hidden = content_of(tmp_path / "hidden.xlsx")
    assert [(s.name, s.state) for s in hidden.sheets] == [("S", "hidden"), ("T", "visible")]
    assert hidden.sheets[0].digest == base.sheets[0].digest


def test_a_big_part_is_read_without_building_the_whole_tree(tmp_path):
    book = xlsxwriter.Workbook(str(tmp_path / "big.xlsx"))
    ws = book.add_worksheet("Rows")
    for row in range(20_000):
        ws.write_row(row, 0, [f"text {row % 300}", row * 1.25, row % 7 == 0])
    book.close()
    reading = parts_of(tmp_path / "big.xlsx")
    lines = reading.parts["Rows"].cells.splitlines()
    assert len(lines) == 60_000
    assert lines[:3] == ["A1\ts\ttext 0\tGeneral", "B1\tn\t0.0\tGeneral", "C1\tb\tTRUE\tGeneral"]
    assert io.BytesIO(sheet_block(reading.parts["Rows"])).getbuffer().nbytes > 1_000_000


def test_the_macro_project_is_content(tmp_path):
    path = by_openpyxl(tmp_path / "o.xlsx")

    def with_vba(project: bytes) -> Path:
        out = tmp_path / f"m{len(project)}.xlsm"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "xl/_rels/workbook.xml.rels":
                    data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.'
                                        b'microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"'
                                        b"/></Relationships>")
                dst.writestr(info.filename, data)
            dst.writestr("xl/vbaProject.bin", project)
        return out

    plain, one, other = content_of(path), content_of(with_vba(b"macro 1")), content_of(with_vba(b"macro 22"))
    assert plain.vba_digest == "" and one.vba_digest == hashlib.sha256(b"macro 1").hexdigest()
    assert one.sheets == other.sheets == plain.sheets and len({plain.digest, one.digest, other.digest}) == 3
