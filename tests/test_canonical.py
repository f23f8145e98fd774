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

import billing.sealing.canonical.sheet as canonical_sheet
import billing.sealing.canonical.jobs as sheet_jobs
from billing.sealing.canonical import content_of, manifest, read_content, sheet_block
from billing.sealing.canonical.cells import Unusual
from billing.sealing.canonical.links import formula_link
from billing.errors import BadFile
from billing.workbook.create import create_workbook
from billing.workbook.package import Package
from billing.sample import generate_sample
from shared_data import shared_set

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


def parts_of(path: Path, version: int | None = None):
    with Package(path) as pkg:
        return read_content(pkg, keep=True, version=version)


def test_the_block_is_exactly_as_documented_in_version_1(tmp_path):
    reading = parts_of(by_openpyxl(tmp_path / "o.xlsx"), version=1)
    assert sheet_block(reading.parts["S"], 1).decode() == EXPECTED_BLOCK
    assert reading.content.sheets[0].digest == hashlib.sha256(EXPECTED_BLOCK.encode()).hexdigest()
    names = hashlib.sha256(b"").hexdigest()
    assert manifest(reading.content.sheets, names, "", False, version=1).decode() == (
        f"xlbilling-canonical/1\ndate1904\t0\nnames\t{names}\nvba\t\n"
        f"sheet\tS\tvisible\t{hashlib.sha256(EXPECTED_BLOCK.encode()).hexdigest()}\n")
    assert reading.content.digest == hashlib.sha256(manifest(reading.content.sheets, names, "", False,
                                                             version=1)).hexdigest()
    # the worked example of docs/seal-format.md, section 1.6 (version 1)
    assert reading.content.sheets[0].digest == "481b05746bbee74c25b8a05b265abd2741fb253be61d8126058ece24c5f4d6eb"
    assert reading.content.digest == "4df72df6e212d2d66536409049a5a634c38b133835d31d3222a1d84f3bf23468"


EXPECTED_BLOCK_2 = (
    "xlbilling-sheet/2\n"
    "hidden-rows\t3-3\n"
    "hidden-columns\t3-3\n"
    "rows-hidden-by-default\t0\n"
    "merged\tA5:B6\n"
    "low-rows\t4-4\n"
    "narrow-columns\t\n"
    "columns-hidden-by-default\t0\n"
    "zeros-shown\t1\n"
    "conditional-format\tB1:B2\tcfRule(operator=greaterThan,type=cellIs)[formula=100];dxf[numFmt(formatCode=;;;)]\n"
    "A1\ts\ta\\tb\tGeneral\t1\t\n"
    "B1\tn\t1.5\t0.00\t1\t\n"
    "C1\tf\tB1*19%\tGeneral\t1\tn:0.285\n"
    "D1\ts\tsecret\tGeneral\t0\t\n"
    "A2\tb\tTRUE\tGeneral\t1\t\n"
    "B2\tn\t46234.0\tyyyy-mm-dd\t1\t\n"
    "A5\ts\tm\tGeneral\t1\t\n"
)


def by_xlsxwriter_2(path: Path) -> Path:
    """The example of version 2: version 1's, and a formula's cached result, white text, a row
    2 points high and a conditional format that hides numbers over 100."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("S")
    ws.write_string("A1", "a\tb")
    ws.write_number("B1", 1.5, book.add_format({"num_format": "0.00"}))
    ws.write_formula("C1", "=B1*19%", None, 0.285)
    ws.write_string("D1", "secret", book.add_format({"font_color": "#FFFFFF"}))
    ws.write_boolean("A2", True)
    ws.write_number("B2", 46234, book.add_format({"num_format": "yyyy-mm-dd"}))
    ws.set_row(2, None, None, {"hidden": True})
    ws.set_row(3, 2)
    ws.set_column("C:C", None, None, {"hidden": True})
    ws.merge_range("A5:B6", "m")
    ws.conditional_format("B1:B2", {"type": "cell", "criteria": ">", "value": 100,
                                    "format": book.add_format({"num_format": ";;;"})})
    book.close()
    return path


def by_openpyxl_2(path: Path) -> Path:
    """The same with openpyxl, which writes no cached results: the test adds C1's as Excel would."""
    from openpyxl.formatting.rule import Rule
    from openpyxl.styles import Font
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"], ws["B1"], ws["C1"], ws["D1"] = "a\tb", 1.5, "=B1*19%", "secret"
    ws["B1"].number_format = "0.00"
    ws["D1"].font = Font(color="FFFFFF")
    ws["A2"], ws["B2"] = True, 46234
    ws["B2"].number_format = "yyyy-mm-dd"
    ws.row_dimensions[3].hidden = True
    ws.row_dimensions[4].height = 2
    ws.column_dimensions["C"].hidden = True
    ws.merge_cells("A5:B6")
    ws["A5"] = "m"
    ws.conditional_formatting.add("B1:B2", Rule(type="cellIs", operator="greaterThan", formula=["100"], dxf=(
        DifferentialStyle(numFmt=NumberFormat(numFmtId=164, formatCode=";;;")))))
    wb.save(path.with_name("no-cache-" + path.name))
    return rewrite_part(path.with_name("no-cache-" + path.name), "xl/worksheets/sheet1.xml",
                        lambda x: re.sub(r"<f>B1\*19%</f>(<v\s*/>|<v></v>)?", "<f>B1*19%</f><v>0.285</v>", x))


def test_the_block_is_exactly_as_documented(tmp_path):
    reading = parts_of(by_xlsxwriter_2(tmp_path / "x.xlsx"))
    assert reading.content.version == 2
    assert sheet_block(reading.parts["S"]).decode() == EXPECTED_BLOCK_2
    names = hashlib.sha256(b"").hexdigest()
    assert manifest(reading.content.sheets, names, "", False, "auto").decode() == (
        f"xlbilling-canonical/2\ndate1904\t0\ncalculation\tauto\nnames\t{names}\nvba\t\n"
        f"sheet\tS\tvisible\t{hashlib.sha256(EXPECTED_BLOCK_2.encode()).hexdigest()}\n")
    # the worked example of docs/seal-format.md, section 1.7 (version 2)
    assert reading.content.sheets[0].digest == "c6b5c4607da0f7295d8262d3415feb556471b9f454a8662397d4211b46369543"
    assert reading.content.digest == "fd97c429f7fea69494776185a63e3aab26f049b2d3c7c2e466b4169fb2cea177"


def documented_blocks() -> list[str]:
    """The fenced blocks of docs/seal-format.md's worked examples (1.6 and 1.7), in order."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "seal-format.md").read_text(encoding="utf-8")
    examples = text.split("### 1.6 ", 1)[1].split("### 1.8 ", 1)[0]
    return re.findall(r"```\n(.*?)```", examples, re.S)


def test_the_documented_examples_are_exact(tmp_path):
    block_1, manifest_1, block_2, manifest_2 = documented_blocks()
    assert (block_1, block_2) == (EXPECTED_BLOCK, EXPECTED_BLOCK_2)
    one = parts_of(by_openpyxl(tmp_path / "o.xlsx"), version=1).content
    two = parts_of(by_xlsxwriter_2(tmp_path / "x.xlsx")).content
    assert manifest_1.encode() == manifest(one.sheets, one.names_digest, "", False, version=1)
    assert manifest_2.encode() == manifest(two.sheets, two.names_digest, "", False, "auto", 2)


@pytest.mark.parametrize("version", [1, 2])
def test_same_content_written_by_openpyxl_and_xlsxwriter_has_the_same_digest(tmp_path, version):
    a = content_of(by_openpyxl(tmp_path / "o.xlsx"), version)
    b = content_of(by_xlsxwriter(tmp_path / "x.xlsx"), version)
    if version == 2:  # xlsxwriter writes C1's cached result, openpyxl none: what calamine reads differs
        assert a.digest != b.digest
        a = content_of(by_openpyxl_2(tmp_path / "o2.xlsx"), version)
        b = content_of(by_xlsxwriter_2(tmp_path / "x2.xlsx"), version)
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


def test_a_caller_may_hold_the_reading_to_fewer_processes(monkeypatch):
    """The seal's pre-reading reads in one process (the other core validates meanwhile),
    whatever `XLBILLING_WORKERS` says."""
    monkeypatch.setattr(sheet_jobs, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv(sheet_jobs.ENV_WORKERS, "2")
    jobs = [sheet_jobs.Job("a", "x", 1), sheet_jobs.Job("b", "y", 1)]
    if sheet_jobs.workers_for(jobs) < 2:
        pytest.skip("no fork on this platform")
    assert sheet_jobs.workers_for(jobs, most=1) == 1


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
    assert lines[:3] == ["A1\ts\ttext 0\tGeneral\t1\t", "B1\tn\t0.0\tGeneral\t1\t", "C1\tb\tTRUE\tGeneral\t1\t"]
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


# --------------------------------------------------------------------------- version 2 (issue 13)


def cell_line(path: Path, ref: str, version: int | None = None) -> str:
    cells = parts_of(path, version).parts["S"].cells.splitlines()
    return next(line for line in cells if line.startswith(ref + "\t"))


@pytest.mark.parametrize(("cached", "line"), [
    ("<v>0.285</v>", "C1\tf\tB1*19%\tGeneral\t1\tn:0.285"),
    ("<v>0.2850</v>", "C1\tf\tB1*19%\tGeneral\t1\tn:0.285"),
    ("<v>2.85E-1</v>", "C1\tf\tB1*19%\tGeneral\t1\tn:0.285"),
    ("<v>2850</v>", "C1\tf\tB1*19%\tGeneral\t1\tn:2850.0"),
    ("", "C1\tf\tB1*19%\tGeneral\t1\t"),
    ("<v></v>", "C1\tf\tB1*19%\tGeneral\t1\t"),
])
def test_a_formulas_cached_result_is_content_normalised(tmp_path, cached, line):
    path = rewrite_part(by_xlsxwriter_2(tmp_path / "x.xlsx"), "xl/worksheets/sheet1.xml",
                        lambda x: x.replace("<v>0.285</v>", cached))
    assert cell_line(path, "C1") == line
    assert cell_line(path, "C1", 1) == "C1\tf\tB1*19%\tGeneral"  # version 1 leaves it out


@pytest.mark.parametrize(("cell", "line"), [
    ('<c r="C1" t="str"><f>B1*19%</f><v>x&amp;y</v></c>', "s:x&y"),
    ('<c r="C1" t="e"><f>B1*19%</f><v>#DIV/0!</v></c>', "e:#DIV/0!"),
    ('<c r="C1" t="b"><f>B1*19%</f><v>0</v></c>', "b:FALSE"),
    ('<c r="C1" t="str"><f>B1*19%</f><v></v></c>', ""),
])
def test_cached_results_of_every_type(tmp_path, monkeypatch, cell, line):
    path = rewrite_part(by_xlsxwriter_2(tmp_path / "x.xlsx"), "xl/worksheets/sheet1.xml",
                        lambda x: x.replace('<c r="C1"><f>B1*19%</f><v>0.285</v></c>', cell))
    fast, slow = fast_and_slow(path, monkeypatch)
    assert fast.parts == slow.parts
    assert cell_line(path, "C1").split("\t")[-1] == line


def styled(tmp_path, font=None, fill=None, name="s.xlsx") -> str:
    """The readability flag of A1 holding `x`, with this font and fill (openpyxl objects)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "x"
    if font is not None:
        ws["A1"].font = font
    if fill is not None:
        ws["A1"].fill = fill
    wb.save(tmp_path / name)
    return cell_line(tmp_path / name, "A1").split("\t")[4]


def _readability_cases():
    from openpyxl.styles import Color, Font, GradientFill, PatternFill

    solid = lambda colour: PatternFill("solid", fgColor=colour)  # noqa: E731
    return [
        ("default", None, None, "1"),
        ("white on no fill", Font(color="FFFFFF"), None, "0"),
        ("white on white", Font(color="FFFFFFFF"), solid("FFFFFF"), "0"),
        ("white on black", Font(color="FFFFFF"), solid("000000"), "1"),
        ("near white on white", Font(color="FEFEFE"), None, "0"),
        ("light grey on white (1.6:1)", Font(color="C8C8C8"), None, "1"),
        ("theme lt1 (white)", Font(color=Color(theme=0)), None, "0"),
        ("theme dk1 (black)", Font(color=Color(theme=1)), None, "1"),
        ("theme lt1 darkened by half", Font(color=Color(theme=0, tint=-0.5)), None, "1"),
        ("indexed white", Font(color=Color(indexed=9)), None, "0"),
        ("black on indexed black", Font(color=Color(indexed=8)), solid(Color(indexed=8)), "0"),
        ("automatic (black) on black", Font(color=Color(auto=True)), solid("000000"), "0"),
        ("red on red", Font(color="FF0000"), solid("FF0000"), "0"),
        ("one point", Font(sz=1), None, "0"),
        ("white on a white pattern background", Font(color="FFFFFF"),
         PatternFill("gray125", fgColor="000000", bgColor="FFFFFF"), "0"),
        ("white on a white gradient", Font(color="FFFFFF"), GradientFill(stop=("FFFFFF", "FFFFFF")), "0"),
        ("white on a white-to-black gradient", Font(color="FFFFFF"), GradientFill(stop=("FFFFFF", "000000")), "1"),
    ]


@pytest.mark.parametrize(("case", "font", "fill", "readable"), _readability_cases(),
                         ids=[c[0] for c in _readability_cases()])
def test_text_a_style_makes_unreadable(tmp_path, case, font, fill, readable):
    assert styled(tmp_path, font, fill) == readable


def must(old: str, new: str):
    """A change replacing `old` (which must be there) by `new`."""
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new)
    return change


def with_sheet(tmp_path, change) -> Path:
    return rewrite_part(by_xlsxwriter(tmp_path / "x.xlsx"), "xl/worksheets/sheet1.xml", change)


@pytest.mark.parametrize(("change", "field", "expected"), [
    (must('<row r="2" spans="1:4">', '<row r="2" spans="1:4" ht="0" customHeight="1">'),
     "low_rows", ((2, 2),)),
    (must('<row r="2" spans="1:4">', '<row r="2" spans="1:4" ht="4.9" customHeight="1">'),
     "low_rows", ((2, 2),)),
    (must('<row r="2" spans="1:4">', '<row r="2" spans="1:4" ht="5" customHeight="1">'),
     "low_rows", ()),
    (must('<row r="2" spans="1:4">', '<row r="2" spans="1:4" ht="12.75" customHeight="1">'),
     "low_rows", ()),
    (must('<row r="2" spans="1:4">', '<row ht="0.5" r="2">'), "low_rows", ((2, 2),)),
    (must('<row r="3" spans="1:4" hidden="1"/>', '<row r="3" hidden="1" ht="0"/>'), "low_rows", ()),
    (must("</cols>", '<col min="2" max="2" width="0.5" customWidth="1"/></cols>'),
     "narrow_columns", ((2, 2),)),
    (must("</cols>", '<col min="4" max="6" width="0" customWidth="1"/></cols>'),
     "narrow_columns", ((4, 6),)),
    (must("</cols>", '<col min="2" max="2" width="1" customWidth="1"/></cols>'),
     "narrow_columns", ()),
    (must('<sheetFormatPr defaultRowHeight="15"/>', '<sheetFormatPr defaultRowHeight="1"/>'),
     "rows_hidden_by_default", True),
    (must('<sheetFormatPr defaultRowHeight="15"/>', '<sheetFormatPr defaultRowHeight="15" defaultColWidth="0.2"/>'),
     "columns_hidden_by_default", True),
    (must('<sheetFormatPr defaultRowHeight="15"/>', '<sheetFormatPr defaultRowHeight="15" baseColWidth="0"/>'),
     "columns_hidden_by_default", True),
    (must('<sheetView tabSelected="1" workbookViewId="0"/>',
          '<sheetView showZeros="0" tabSelected="1" workbookViewId="0"/>'), "zeros_shown", False),
])
def test_what_hides_rows_columns_and_zeros(tmp_path, monkeypatch, change, field, expected):
    path = with_sheet(tmp_path, change)
    fast, slow = fast_and_slow(path, monkeypatch)
    assert getattr(fast.parts["S"], field) == expected
    assert fast.parts == slow.parts
    plain = tmp_path / "x.xlsx"
    assert (content_of(path).digest != content_of(plain).digest) == (expected != ())
    assert content_of(path, 1) == content_of(plain, 1)  # none of it is content in version 1


X14_RULE = (
    '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
    '<x14:conditionalFormattings><x14:conditionalFormatting '
    'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
    '<x14:cfRule type="dataBar" id="{00000000-000E-0000-0000-000001000000}"><x14:dataBar showValue="0">'
    '<x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/><x14:negativeFillColor rgb="FFFF0000"/></x14:dataBar>'
    '</x14:cfRule><xm:sqref>B1:B2</xm:sqref></x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>'
)


def test_conditional_formats_are_content(tmp_path, monkeypatch):
    path = by_xlsxwriter_2(tmp_path / "x.xlsx")
    base = content_of(path)
    renumbered = rewrite_part(path, "xl/worksheets/sheet1.xml", lambda x: x.replace('priority="1"', 'priority="7"'))
    assert content_of(renumbered) == base  # Excel renumbers priorities keeping their order
    other = rewrite_part(path, "xl/worksheets/sheet1.xml", lambda x: x.replace("<formula>100</formula>",
                                                                              "<formula>10</formula>"))
    assert content_of(other).digest != base.digest and content_of(other, 1) == content_of(path, 1)
    with_bar = rewrite_part(path, "xl/worksheets/sheet1.xml", lambda x: x.replace("</worksheet>", X14_RULE +
                                                                                  "</worksheet>"))
    fast, slow = fast_and_slow(with_bar, monkeypatch)
    assert fast.parts == slow.parts
    assert fast.parts["S"].conditional == (
        "B1:B2\tcfRule(operator=greaterThan,type=cellIs)[formula=100];dxf[numFmt(formatCode=;;;)]",
        "B1:B2\tcfRule(type=dataBar)[dataBar(showValue=0)[cfvo(type=autoMin);cfvo(type=autoMax);"
        "negativeFillColor=FF0000]]",
    )


@pytest.mark.parametrize(("calc", "mode"), [
    ("", "auto"), ('<calcPr calcId="191029"/>', "auto"), ('<calcPr calcId="191029" calcMode="manual"/>', "manual"),
    ('<calcPr calcMode="manual" fullCalcOnLoad="1"/>', "auto"), ('<calcPr calcMode="autoNoTable"/>', "autoNoTable"),
])
def test_the_calculation_mode_is_content(tmp_path, calc, mode):
    path = rewrite_part(by_xlsxwriter(tmp_path / "x.xlsx"), "xl/workbook.xml",
                        lambda x: re.sub(r"<calcPr\b[^>]*/>", calc, x))
    content = content_of(path)
    assert content.calculation == mode
    assert (content.digest == content_of(tmp_path / "x.xlsx").digest) == (mode == "auto")


@pytest.mark.parametrize(("formula", "rule"), [
    ("cmd|'/c calc'!A0", "dde_formula"),
    ("=cmd|'/c calc'!A0", "dde_formula"),
    ("SUM(A1)+DDE|x!y", "dde_formula"),
    ("[1]Sheet1!A1", "external_link"),
    ("'[1]Sheet 1'!A1", "external_link"),
    ("[Book.xlsx]Prices!B2*2", "external_link"),
    ("'C:\\data\\[prices.xlsx]List'!B2", "external_link"),
    ("[1]!Rate", "external_link"),
    ("'a|b'!A1", None),
    ('"x|y"&A1', None),
    ('"[1]S!A1"', None),
    ("SUM(Table1[Amount])+S!A1", None),
    ("Table1[[#This Row],[Amount]]*2", None),
    ("[@Amount]*S!B1", None),
    ("B1*19%", None),
])
def test_dde_and_links_to_other_workbooks_are_recognised(formula, rule):
    found = formula_link(formula)
    assert (found[0] if found else None) == rule


def test_refused_formulas_are_named_by_cell_by_both_readers(tmp_path, monkeypatch):
    path = rewrite_part(by_xlsxwriter(tmp_path / "x.xlsx"), "xl/worksheets/sheet1.xml",
                        lambda x: x.replace("<f>B1*19%</f>", "<f>cmd|'/c calc'!A0</f>").replace(
                            '<c r="A2" t="b"><v>1</v></c>', '<c r="A2"><f>[1]Other!A1</f><v>3</v></c>'))
    fast, slow = fast_and_slow(path, monkeypatch)
    for reading in (fast, slow):
        assert [(link.cell, link.rule) for link in reading.links] == [("S!C1", "dde_formula"),
                                                                      ("S!A2", "external_link")]


def test_a_part_named_in_another_case_is_found(tmp_path):
    """OPC part names compare case-insensitively: a relationship to sharedStrings.xml finds
    xl/SharedStrings.xml (calamine's tests_issue_419.xlsx)."""
    path = by_xlsxwriter(tmp_path / "x.xlsx")
    out = tmp_path / "cased.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name = "xl/SharedStrings.xml" if info.filename == "xl/sharedStrings.xml" else info.filename
            dst.writestr(name, src.read(info.filename))
    assert content_of(out) == content_of(path)


REAL_WORLD = shared_set("real-world")


def real_world_files() -> list[Path]:
    return sorted(p for p in REAL_WORLD.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm")) if REAL_WORLD.is_dir() \
        else []


def test_every_real_world_workbook_gets_a_digest_or_a_one_line_reason():
    """Both canonical forms read every workbook other projects test their readers with: a
    digest, or a BadFile whose reason is one line — never another exception."""
    if not REAL_WORLD.is_dir():
        pytest.skip(f"{REAL_WORLD} is missing: the real-world workbooks are not here")
    files = real_world_files()
    assert len(files) > 100
    read, refused = 0, []
    for path in files:
        for version in (1, 2):
            try:
                content_of(path, version)
                read += 1
            except BadFile as exc:
                assert "\n" not in str(exc) and str(exc), path
                refused.append((path.name, version))
    assert read >= 2 * (len(files) - 12), refused
