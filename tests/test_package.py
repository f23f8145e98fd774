"""The one workbook package (`billing.workbook.package`) and the one zip writer
(`billing.workbook.zipout`): relationship paths, case-insensitive part names, the edit API
the seal and the package writer share, and raw copies of untouched parts."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from billing.errors import BadFile
from billing.workbook.ns import BUILTIN_FORMAT_IDS, BUILTIN_FORMATS, WORKSHEET_CT, WORKSHEET_REL
from billing.workbook.ns import rels_part, rels_source, resolve
from billing.workbook.package import Package
from billing.workbook.zipout import ZipOut, deflate
from builders import raw_sheet, write_raw_book


def _raw(path, name: str) -> bytes:
    """A member's compressed bytes as they stand in the file."""
    with zipfile.ZipFile(path) as z, open(path, "rb") as f:
        info = z.getinfo(name)
        f.seek(info.header_offset + 26)
        skip = int.from_bytes(f.read(2), "little") + int.from_bytes(f.read(2), "little")
        f.seek(info.header_offset + 30 + skip)
        return f.read(info.compress_size)


def test_relationship_paths():
    assert rels_part("xl/worksheets/sheet1.xml") == "xl/worksheets/_rels/sheet1.xml.rels"
    assert rels_part("") == "_rels/.rels"
    assert rels_source("xl/worksheets/_rels/sheet1.xml.rels") == "xl/worksheets/sheet1.xml"
    assert rels_source("_rels/.rels") == ""
    assert resolve("xl/workbook.xml", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve("xl/worksheets/sheet1.xml", "../tables/table1.xml") == "xl/tables/table1.xml"
    assert resolve("xl/workbook.xml", "/xl/styles.xml") == "xl/styles.xml"


def test_builtin_formats_both_ways():
    assert all(BUILTIN_FORMATS[number] == code for code, number in BUILTIN_FORMAT_IDS.items())
    assert BUILTIN_FORMAT_IDS["#,##0.00"] == 4 and BUILTIN_FORMATS[14] == "mm-dd-yy"


def test_reads_part_names_case_insensitively(tmp_path):
    path = write_raw_book(tmp_path / "b.xlsx", {"Data": raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')},
                          shared_strings=["x"])
    renamed = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(renamed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            name = "xl/SharedStrings.xml" if info.filename == "xl/sharedStrings.xml" else info.filename
            out.writestr(name, src.read(info))
    with Package(renamed) as pkg:
        assert pkg.related("xl/workbook.xml", "sharedStrings") == "xl/SharedStrings.xml"
        assert [(s.name, s.part) for s in pkg.sheets()] == [("Data", "xl/worksheets/sheet1.xml")]
        assert pkg.sheet_parts()["Data"].path == "xl/worksheets/sheet1.xml"


def test_edits_write_only_what_changed(tmp_path):
    path = write_raw_book(tmp_path / "b.xlsx", {"A": raw_sheet(""), "B": raw_sheet("")})
    out = io.BytesIO()
    with Package(path) as pkg:
        pkg.tree("[Content_Types].xml")  # looked at, not changed: copied as it is
        assert pkg.add_rel("xl/workbook.xml", WORKSHEET_REL, "xl/worksheets/new.xml", rel_id="rIdNew") == "rIdNew"
        assert pkg.add_rel("xl/workbook.xml", WORKSHEET_REL, "xl/worksheets/new.xml", rel_id="rIdNew") == "rIdNew"
        pkg.write("xl/worksheets/new.xml", raw_sheet("").encode())
        pkg.write("docProps/custom.xml", b"<x/>")
        assert pkg.content_type_of("xl/worksheets/sheet1.xml") == WORKSHEET_CT
        assert pkg.content_type_of("xl/worksheets/new.xml") is None
        pkg.content_type("xl/worksheets/new.xml", WORKSHEET_CT)
        pkg.write_to(out, deflated={"xl/worksheets/sheet2.xml": deflate(b"<sheet2/>")}, level=1)
    result = tmp_path / "out.xlsx"
    result.write_bytes(out.getvalue())
    with zipfile.ZipFile(result) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[-2:] == ["xl/worksheets/new.xml", "docProps/custom.xml"]  # new parts in the order they came
        assert z.read("xl/worksheets/sheet2.xml") == b"<sheet2/>"
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        assert rels.count('Id="rIdNew"') == 1 and 'Target="worksheets/new.xml"' in rels
        assert '"/xl/worksheets/new.xml"' in z.read("[Content_Types].xml").decode()
    for untouched in ("xl/worksheets/sheet1.xml", "xl/styles.xml", "_rels/.rels"):
        assert _raw(result, untouched) == _raw(path, untouched)


def test_unchanged_content_types_copied_raw(tmp_path):
    path = write_raw_book(tmp_path / "b.xlsx", {"A": raw_sheet("")})
    out = io.BytesIO()
    with Package(path) as pkg:
        pkg.tree("[Content_Types].xml")
        pkg.relationships("xl/workbook.xml")
        pkg.write_to(out)
    result = tmp_path / "out.xlsx"
    result.write_bytes(out.getvalue())
    with zipfile.ZipFile(path) as before:
        for info in before.infolist():
            assert _raw(result, info.filename) == _raw(path, info.filename)


def test_zip_writer_level():
    data = b"".join(b"<row r='%d'><c><v>%d</v></c></row>" % (i, i * 7919 % 1000) for i in range(20000))
    fast, small = io.BytesIO(), io.BytesIO()
    for stream, level in ((fast, 1), (small, 9)):
        writer = ZipOut(stream, level)
        writer.add("xl/worksheets/sheet1.xml", data)
        writer.close()
        with zipfile.ZipFile(stream) as z:
            assert z.read("xl/worksheets/sheet1.xml") == data
    assert len(small.getvalue()) < len(fast.getvalue())


def test_missing_part_is_a_bad_file(tmp_path):
    path = write_raw_book(tmp_path / "b.xlsx", {"A": raw_sheet("")})
    with Package(path, named=True) as pkg:
        with pytest.raises(BadFile, match=r"^b\.xlsx: damaged workbook: part 'xl/nothing\.xml' is missing"):
            pkg.read("xl/nothing.xml")


# --------------------------------------------------------------------------- a big sheet in pieces

from hypothesis import given, settings, strategies as st  # noqa: E402

from billing.workbook.sheettext import SheetText  # noqa: E402
from billing.workbook.zipout import deflate_pieces  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.text(alphabet="aé€😀<>&\t", max_size=12), max_size=20), size=st.integers(1, 9))
def test_a_sheet_in_pieces_is_the_sheet_and_deflates_the_same(rows, size):
    """A changed sheet's bytes come in slices of its rows (`to_chunks`), deflated piece by piece
    (`deflate_pieces`): the same bytes as the sheet made whole, whatever characters fall on a
    slice's edge (two, three and four UTF-8 bytes), the same CRC and size."""
    from xml.sax.saxutils import escape

    cells = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{escape(text)}</t></is></c></row>'
                    for n, text in enumerate(rows, 1))
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           f'spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>').encode("utf-8")
    text = SheetText(xml, "S")
    text.set_body(text.take_body())  # changed: written anew from its text
    whole = b"".join(text.to_chunks())
    assert whole == xml
    pieces = list(text.to_chunks(size))
    assert b"".join(pieces) == whole
    made = deflate_pieces(pieces, level=1)
    assert (made.crc, made.size) == (zlib.crc32(whole), len(whole))
    assert zlib.decompress(made.data, -zlib.MAX_WBITS) == whole
    assert made == deflate(whole, level=1)
