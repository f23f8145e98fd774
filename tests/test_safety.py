"""The workbook gate: real workbooks pass, broken and hostile ones are refused in one line.

Every hostile file is built here with zipfile, struct and bytes; budgets are shrunk with
monkeypatch so that no test needs a big file.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import struct
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest

from billing.workbook import safety
from billing.errors import BadFile
from billing.workbook.safety import OLE_MAGIC, check_workbook_file

DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CONTENT_TYPES = DECL + (
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)
WORKBOOK = DECL + (b"<workbook " + MAIN_NS
                   + b'><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
SHEET = "xl/worksheets/sheet1.xml"


def sheet_xml(body: bytes, dimension: bytes = b"A1") -> bytes:
    return (DECL + b"<worksheet " + MAIN_NS + b'><dimension ref="' + dimension + b'"/><sheetData>'
            + body + b"</sheetData></worksheet>")


def package(path: Path, parts: dict[str, bytes | None] | None = None,
            compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A minimal workbook package; `parts` adds, replaces or (with None) drops parts."""
    members = {"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": WORKBOOK,
               SHEET: sheet_xml(b'<row r="1"><c r="A1"><v>1</v></c></row>')}
    members.update(parts or {})
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            if data is not None:
                zf.writestr(name, data)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path: Path, *words: str) -> str:
    before = sha(path) if path.is_file() else None
    with pytest.raises(BadFile) as caught:
        check_workbook_file(path)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message and message
    assert any(w.lower() in message.lower() for w in words), message
    if before is not None:
        assert sha(path) == before
    return message


def passes(path: Path) -> None:
    before = sha(path)
    assert check_workbook_file(path) is None
    assert sha(path) == before


def patch_entry(data: bytes, name: str, **fields: int) -> bytes:
    """Overwrite header fields of one entry in both its local header and the central directory."""
    local_at = {"crc": 14, "compress_size": 18, "file_size": 22, "flags": 6}
    central_at = {"crc": 16, "compress_size": 20, "file_size": 24, "flags": 8, "offset": 42}
    buf = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    eocd = data.rfind(b"PK\x05\x06")
    pos = struct.unpack_from("<I", data, eocd + 16)[0]
    while data[pos:pos + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        if data[pos + 46:pos + 46 + name_len] == name.encode():
            for field, value in fields.items():
                fmt = "<H" if field == "flags" else "<I"
                struct.pack_into(fmt, buf, pos + central_at[field], value)
                if field in local_at:
                    struct.pack_into(fmt, buf, info.header_offset + local_at[field], value)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(buf)


# -- files that pass ---------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm"])
def test_openpyxl_workbook_passes(tmp_path, suffix):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Invoices"
    ws.append(["invoice_key", "net", "description"])
    for i in range(200):
        ws.append([f"K{i}", i * 1.5, "Consulting <b> & \"quotes\" r=\"ZZZZ1\" <!DOCTYPE x>"])
    wb.create_sheet("Payments")["A1"] = "payment_id"
    path = tmp_path / f"book{suffix}"
    wb.save(path)
    passes(path)


def test_minimal_package_and_grid_corners_pass(tmp_path):
    """Excel's last cell is inside the grid: named by a calculation chain it passes (in a
    worksheet its used area is too large, see the area tests below)."""
    body = b'<row r="0001"><c r="A0000001"/></row><row r="1048576"><c r="AF1048576"><v>1</v></c></row>'
    cf = (b'<conditionalFormatting sqref="A1"><cfRule type="cellIs" operator="between" priority="1"/>'
          b"</conditionalFormatting>")
    xml = sheet_xml(body, b"A1:XFD1048576").replace(b"</worksheet>", cf + b"</worksheet>")
    chain = b'<calcChain><c r="XFD1048576" i="1"/></calcChain>'
    passes(package(tmp_path / "corners.xlsx", {SHEET: xml, "xl/calcChain.xml": chain}))


def test_utf16_part_passes(tmp_path):
    xml = WORKBOOK.replace(b"UTF-8", b"UTF-16").decode().encode("utf-16")
    passes(package(tmp_path / "utf16.xlsx", {"xl/workbook.xml": xml}))


def zip64_package(path: Path, monkeypatch) -> Path:
    with monkeypatch.context() as m:
        m.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)  # makes zipfile write the zip64 end records
        package(path)
    data = bytearray(path.read_bytes())
    assert b"PK\x06\x06" in data
    struct.pack_into("<HH", data, data.rfind(b"PK\x05\x06") + 8, 0xFFFF, 0xFFFF)  # "see the zip64 record"
    path.write_bytes(bytes(data))
    return path


def test_zip64_package_passes(tmp_path, monkeypatch):
    passes(zip64_package(tmp_path / "z64.xlsx", monkeypatch))


def test_zip64_entry_count_is_read(tmp_path, monkeypatch):
    path = zip64_package(tmp_path / "z64.xlsx", monkeypatch)
    monkeypatch.setattr(safety, "MAX_ENTRIES", 2)
    assert "3 zip entries" in refused(path, "entries")


# -- not a usable file -------------------------------------------------------------------------

def test_missing_file(tmp_path):
    refused(tmp_path / "nope.xlsx", "not found")


def test_directory(tmp_path):
    (tmp_path / "dir.xlsx").mkdir()
    refused(tmp_path / "dir.xlsx", "directory")


def test_empty_file(tmp_path):
    (tmp_path / "empty.xlsx").write_bytes(b"")
    refused(tmp_path / "empty.xlsx", "empty")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_named_pipe_is_not_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.xlsx")
    refused(tmp_path / "pipe.xlsx", "regular file")


def test_read_error_is_bad_file(tmp_path, monkeypatch):
    # (a chmod-000 file cannot show this as root, which CI runs as)
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    path = package(tmp_path / "locked.xlsx")
    monkeypatch.setattr(safety, "open", denied, raising=False)
    assert "Permission denied" in refused(path, "cannot read")


# -- OLE: encrypted or legacy ------------------------------------------------------------------

@pytest.mark.parametrize("at", [8, 60, 64, 1000])
def test_ole_encrypted(tmp_path, monkeypatch, at):
    monkeypatch.setattr(safety, "CHUNK", 64)  # the stream name may straddle two reads
    needle = "EncryptionInfo".encode("utf-16-le")
    data = OLE_MAGIC + bytes(at - 8) + needle + bytes(500) + "EncryptedPackage".encode("utf-16-le")
    (tmp_path / "secret.xlsx").write_bytes(data)
    assert "password" in refused(tmp_path / "secret.xlsx", "encrypted")


def test_ole_legacy_xls(tmp_path):
    (tmp_path / "old.xlsx").write_bytes(OLE_MAGIC + bytes(504) + "Workbook".encode("utf-16-le") + bytes(1000))
    assert ".xlsx" in refused(tmp_path / "old.xlsx", "legacy .xls")


# -- not a zip, broken zip ---------------------------------------------------------------------

@pytest.mark.parametrize("content", [
    b"invoice_key;net\nK1;100\n",
    b"<html><body><table><tr><td>1</td></tr></table></body></html>",
    b"\xef\xbb\xbfinvoice_key,net\r\n",
    b"PK\x05\x06" + bytes(18),
])
def test_not_a_zip(tmp_path, content):
    (tmp_path / "renamed.xlsx").write_bytes(content)
    refused(tmp_path / "renamed.xlsx", "not a zip", "empty zip")


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, -22, -1])
def test_truncated_zip(tmp_path, keep):
    data = package(tmp_path / "full.xlsx").read_bytes()
    cut = int(len(data) * keep) if keep > 0 else len(data) + keep
    (tmp_path / "cut.xlsx").write_bytes(data[:cut])
    refused(tmp_path / "cut.xlsx", "truncated")


def test_crc_failure(tmp_path):
    parts = {"xl/media/image1.png": b"\x89PNG MARKER-BYTES"}
    path = package(tmp_path / "crc.xlsx", parts, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[data.find(b"MARKER") ] ^= 0x20
    path.write_bytes(bytes(data))
    refused(path, "CRC")


def test_deflate_stream_cut_short(tmp_path):
    rows = b"".join(b'<row r="%d"/>' % i for i in range(1, 5000))
    path = package(tmp_path / "short.xlsx", {SHEET: sheet_xml(rows)})
    info = zipfile.ZipFile(path).getinfo(SHEET)
    path.write_bytes(patch_entry(path.read_bytes(), SHEET, compress_size=info.compress_size // 2))
    refused(path, "cut short")


def test_backslash_part_names(tmp_path):
    path = package(tmp_path / "win.xlsx", {"xl/workbook.xml": None, "xl\\workbook.xml": WORKBOOK})
    refused(path, "backslashes")


@pytest.mark.parametrize("missing", ["[Content_Types].xml", "xl/workbook.xml"])
def test_zip_that_is_not_a_workbook(tmp_path, missing):
    assert missing in refused(package(tmp_path / "plain.xlsx", {missing: None}), "not an Excel workbook")


def test_unsupported_compression(tmp_path):
    path = package(tmp_path / "bz.xlsx", {"xl/media/image1.png": b"x" * 100})
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/media/image2.png", b"y" * 100, compress_type=zipfile.ZIP_BZIP2)
    refused(path, "compression method")


def test_encrypted_zip_entry(tmp_path):
    path = package(tmp_path / "zipcrypto.xlsx")
    path.write_bytes(patch_entry(path.read_bytes(), SHEET, flags=0x1))
    refused(path, "encrypted zip entry")


# -- zip bombs and ambiguous archives ----------------------------------------------------------

def test_too_many_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_ENTRIES", 20)
    refused(package(tmp_path / "many.xlsx", {f"xl/media/i{i}.png": b"" for i in range(30)}), "entries")


def test_oversized_central_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_CENTRAL_DIRECTORY", 300)
    parts = {f"xl/media/{'n' * 100}{i}.png": b"" for i in range(3)}
    refused(package(tmp_path / "dir.xlsx", parts), "directory")


@pytest.mark.parametrize("name", ["../evil.xml", "xl/../../evil.xml", "/etc/cron.d/evil", "C:/evil.xml",
                                  "xl\\..\\..\\evil.xml", "xl/evil\x00.xml"])
def test_path_traversal_member_name(tmp_path, name):
    path = package(tmp_path / "trav.xlsx", {name.replace("\x00", "~"): b"<x/>"})
    path.write_bytes(path.read_bytes().replace(b"evil~", b"evil\x00"))  # zipfile cuts names at NUL
    refused(path, "traversal")


def test_duplicate_member(tmp_path):
    path = package(tmp_path / "dup.xlsx")
    with warnings.catch_warnings(), zipfile.ZipFile(path, "a") as zf:
        warnings.simplefilter("ignore")
        zf.writestr(SHEET, sheet_xml(b""))
    refused(path, "twice")


def test_overlapping_entries(tmp_path):
    path = package(tmp_path / "overlap.xlsx", {"xl/media/a.png": b"a" * 50, "xl/media/b.png": b"b" * 50})
    first = zipfile.ZipFile(path).getinfo("xl/media/a.png").header_offset
    path.write_bytes(patch_entry(path.read_bytes(), "xl/media/b.png", offset=first))
    refused(path, "overlap")


def test_declared_part_size(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_PART_SIZE", 1 << 20)
    refused(package(tmp_path / "big.xlsx", {"xl/media/a.bin": bytes(2 << 20)}), "declares")


def test_declared_total_size(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_TOTAL_SIZE", 3 << 20)
    parts = {f"xl/media/{i}.bin": bytes(1 << 20) for i in range(4)}
    refused(package(tmp_path / "total.xlsx", parts), "in total")


def test_high_ratio_bomb(tmp_path):
    assert "bomb" in refused(package(tmp_path / "ratio.xlsx", {SHEET: bytes(4 << 20)}), "ratio")


def xml_comment_bomb(size: int) -> bytes:
    """A well-formed sheet holding an XML comment of `size` repeated bytes (deflates ~1000:1)."""
    return sheet_xml(b"<!--" + b"a" * size + b"-->")


@pytest.mark.parametrize("parts", [
    {SHEET: xml_comment_bomb(48 << 20)},  # one part far beyond its ratio
    {"xl/media/zeros.bin": bytes(32 << 20)},  # a part that is not XML
    {f"xl/media/{i}.bin": bytes(1 << 20) for i in range(100)},  # parts each within the allowance
])
def test_ratio_bounded_for_every_part_and_the_whole_file(tmp_path, parts):
    """Ratio limits hold for small parts and for the package: refused from the headers, before
    anything is inflated (quick, and with a few MB of memory)."""
    import time
    import tracemalloc

    path = package(tmp_path / "bomb.xlsx", parts)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        refused(path, "bomb")
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 8 << 20


def test_lying_ratio_caught_while_inflating(tmp_path):
    """Headers that declare a modest size: the inflation stops at the declared size."""
    path = package(tmp_path / "liar.xlsx", {SHEET: xml_comment_bomb(16 << 20)})
    path.write_bytes(patch_entry(path.read_bytes(), SHEET, file_size=200_000))
    refused(path, "beyond its declared size")


def test_small_compressible_parts_pass(tmp_path):
    """Tiny and moderately repetitive parts (within the allowance) are not refused for their ratio."""
    passes(package(tmp_path / "small.xlsx", {"xl/media/a.bin": bytes(512 << 10), "xl/styles.xml":
                                             DECL + b"<styleSheet>" + b"<xf/>" * 50_000 + b"</styleSheet>"}))


def lying_package(tmp_path: Path) -> Path:
    """A sheet whose headers declare 1,000 bytes while its deflate stream inflates to ~1.5 MiB."""
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 40_000))
    path = package(tmp_path / "liar.xlsx", {SHEET: sheet_xml(rows)})
    path.write_bytes(patch_entry(path.read_bytes(), SHEET, file_size=1000))
    assert zipfile.ZipFile(path).getinfo(SHEET).file_size == 1000
    return path


def test_lying_header_caught_by_actual_bytes(tmp_path):
    refused(lying_package(tmp_path), "beyond its declared size")


def test_lying_header_caught_by_actual_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_TOTAL_SIZE", 256 << 10)  # the declared sizes fit this budget
    refused(lying_package(tmp_path), "budget")


# -- DTDs in XML parts -------------------------------------------------------------------------

LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
XXE = b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_SHEET = sheet_xml(b'<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>')


@pytest.mark.parametrize("name, xml", [
    ("xl/workbook.xml", DECL + LAUGHS + WORKBOOK[len(DECL):]),
    (SHEET, DECL + XXE + XXE_SHEET.removeprefix(DECL)),
    (SHEET, sheet_xml(b"").replace(b"<worksheet", b"<!doctype worksheet><worksheet")),
    ("[Content_Types].xml", CONTENT_TYPES.replace(b"<Types", b'<!ENTITY a "b"><Types')),
    ("xl/_rels/workbook.xml.rels", DECL + XXE + b"<Relationships/>"),
    ("xl/drawings/vmlDrawing1.vml", b"<!DOCTYPE x><xml/>"),
    ("xl/workbook.xml", (DECL.replace(b"8", b"16") + LAUGHS + WORKBOOK[len(DECL):]).decode().encode("utf-16")),
    ("xl/workbook.xml", (LAUGHS + WORKBOOK[len(DECL):]).decode().encode("utf-16-be")),
])
def test_dtd_refused(tmp_path, name, xml):
    refused(package(tmp_path / "dtd.xlsx", {name: xml}), "DOCTYPE")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("shift", range(-9, 2))
def test_doctype_split_across_chunks(tmp_path, monkeypatch, compression, shift):
    monkeypatch.setattr(safety, "CHUNK", 64)
    head = sheet_xml(b"").split(b"<sheetData>")[0] + b"<sheetData>"
    pad = b" " * (64 * 40 - len(head) + shift)  # past the gathered head, <!DOCTYPE straddles byte 2560
    xml = head + pad + b"<!DOCTYPE x>" + b" " * 200 + b"</sheetData></worksheet>"
    refused(package(tmp_path / "split.xlsx", {SHEET: xml}, compression), "DOCTYPE")


@pytest.mark.parametrize("xml, word", [
    (b'<?xml version="1.0" encoding="UTF-7"?><workbook/>', "encoding"),
    (b'<?xml version="1.0" encoding="cp037"?><workbook/>', "encoding"),
    ('<?xml version="1.0" encoding="UTF-32"?><workbook/>'.encode("utf-32"), "UTF-32"),
    ("<workbook/>".encode("utf-32-le"), "UTF-32"),
    ("<?xml version='1.0'?><workbook/>".encode("cp037"), "not an XML"),
    (b"<?xml version=\"1.0\"" + b" " * 2000 + b"?><workbook/>", "declaration"),
])
def test_hidden_encodings_refused(tmp_path, xml, word):
    refused(package(tmp_path / "enc.xlsx", {"xl/workbook.xml": xml}), word)


# -- Excel's grid -------------------------------------------------------------------------------

@pytest.mark.parametrize("body, dimension, word", [
    (b'<row r="1048577"><c r="A1048577"/></row>', b"A1", "row 1048577"),
    (b'<row r="1"><c r="XFE1"/></row>', b"A1", "column XFE"),
    (b'<row r="1"><c r="AAAAA1"/></row>', b"A1", "column AAAAA"),
    (b"<row r='5'><c r = 'A99999999'/></row>", b"A1", "row 99999999"),
    (b'<row r="1"><c r="a00000000002000000"/></row>', b"A1", "row 2000000"),
    (b"", b"A1:XFE5", "column XFE"),
    (b"", b"$A$1:$B$1048577", "row 1048577"),
])
def test_beyond_excel_grid(tmp_path, body, dimension, word):
    refused(package(tmp_path / "grid.xlsx", {SHEET: sheet_xml(body, dimension)}), word)


def test_reference_in_other_xml_part(tmp_path):
    calc_chain = b'<calcChain><c r="XFE1" i="1"/></calcChain>'
    refused(package(tmp_path / "calc.xlsx", {"xl/calcChain.xml": calc_chain}), "column")


@pytest.mark.parametrize("shift", range(-14, 2))
def test_reference_split_across_chunks(tmp_path, monkeypatch, shift):
    monkeypatch.setattr(safety, "CHUNK", 64)
    head = sheet_xml(b"").split(b"<sheetData>")[0] + b"<sheetData>"
    pad = b'<row r="1">' + b" " * (64 * 40 - len(head) - 11 + shift)
    xml = head + pad + b'<c r="XFE1"/></row>' + b" " * 200 + b"</sheetData></worksheet>"
    refused(package(tmp_path / "split.xlsx", {SHEET: xml}, zipfile.ZIP_STORED), "column")


def test_too_many_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_SHEETS", 3)
    sheets = {f"xl/worksheets/sheet{i}.xml": sheet_xml(b"") for i in range(1, 5)}
    refused(package(tmp_path / "sheets.xlsx", sheets), "sheets")


# -- whatever the damage, only BadFile -----------------------------------------------------------

def test_random_damage_gives_only_bad_file(tmp_path):
    original = package(tmp_path / "seed.xlsx", {"xl/media/image1.png": bytes(range(256)) * 8}).read_bytes()
    rnd = random.Random(20261123)
    path = tmp_path / "damaged.xlsx"
    outcomes = set()
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rnd.randint(1, 6)):
            at = rnd.randrange(len(data))
            if rnd.random() < 0.6:
                data[at] = rnd.randrange(256)
            else:
                del data[at:at + rnd.randint(1, 40)]
        path.write_bytes(bytes(data))
        try:
            check_workbook_file(path)
            outcomes.add("passed")
        except BadFile as exc:
            assert "\n" not in str(exc)
            outcomes.add("refused")
    assert "refused" in outcomes


# -- a worksheet's used area (python-calamine makes a dense grid of it) -------------------------

RELS = DECL + (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
               b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
ROOT_RELS = DECL + (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
NAMED_WORKBOOK = WORKBOOK.replace(b'name="S"', b'name="Invoices"').replace(
    b"<workbook ", b'<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ')


def cells(*refs: str) -> bytes:
    return b"".join(b'<row r="%s"><c r="%s"><v>1</v></c></row>'
                    % (ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ").encode(), ref.encode()) for ref in refs)


@pytest.mark.parametrize("body", [
    cells("XFD1048576"),
    cells("A1", "XFD1048576"),
    cells("A1", "AG1048576"),  # 33 columns at full height
    cells("A1", "ZZ50000"),  # 702 columns of 50,000 rows
    cells("A1", "C5") + b'<row r="1048576"><c r="AG1048576" s="1"><v>1</v></c></row>'.replace(
        b'<c r="AG1048576" s="1">', b'<c s="1" r="AG1048576">'),  # attributes in another order
    b'<x:row r="1048576"><x:c r="AG1048576"><x:v>1</x:v></x:c></x:row>',  # a namespace prefix
    b"<row r='1048576'><c r = 'ag1048576'><v>1</v></c></row>",  # quotes, spaces, lower case
    b'<row r="1048576">' + b"<c><v>1</v></c>" * 40 + b"</row>",  # cells placed one after another
    b'<row r="1048000"><c r="A1048000"><v>1</v></c></row><row><c r="AF2"/><c/><c><f>1</f></c></row>',  # r-less
])
def test_sparse_huge_sheet_refused(tmp_path, body):
    xml = sheet_xml(body).replace(MAIN_NS, MAIN_NS + b' xmlns:x="http://schemas.openxmlformats.org/'
                                                    b'spreadsheetml/2006/main"')
    message = refused(package(tmp_path / "huge.xlsx", {SHEET: xml}), "too large")
    assert "cells" in message


@pytest.mark.parametrize("body", [
    b'<row r="1048576"><c r="XFD1048576" s="3"/></row>',  # formatting only, as Gnumeric writes it
    b'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">' + b'<c s="1"/>' * 40 + b"</row>",
])
def test_empty_cells_do_not_count(tmp_path, body):
    """python-calamine skips cells without content, and so does the area."""
    passes(package(tmp_path / "styled.xlsx", {SHEET: sheet_xml(body)}))


def test_huge_sheet_named_with_its_used_range(tmp_path):
    path = package(tmp_path / "huge.xlsx", {SHEET: sheet_xml(cells("A1", "XFD1048576")),
                                            "xl/workbook.xml": NAMED_WORKBOOK, "xl/_rels/workbook.xml.rels": RELS})
    message = refused(path, "too large")
    assert "'Invoices' uses A1:XFD1048576" in message, message


def test_huge_sheet_in_utf16_refused(tmp_path):
    xml = sheet_xml(cells("A1", "AZ1048576")).replace(b"UTF-8", b"UTF-16").decode().encode("utf-16")
    refused(package(tmp_path / "huge16.xlsx", {SHEET: xml}), "too large")


@pytest.mark.parametrize("body", [
    cells("A1", "AF1048576"),  # 32 columns at full height: the budget
    cells("A1", "ZZ40000"),  # wide but short: 702 × 40,000 = 28 M cells
    cells("XFD1"),  # one row across the whole width
    b'<row r="1048576">' + b"<c><v>1</v></c>" * 30 + b"</row>",
    b"".join(b'<row r="%d"><c s="1" r="AZ%d"><v>1</v></c></row>' % (i, i) for i in range(1, 20_001)),
])
def test_large_but_bounded_sheets_pass(tmp_path, body):
    passes(package(tmp_path / "wide.xlsx", {SHEET: sheet_xml(body)}))


def test_huge_sheet_is_exit_2_in_one_line_not_an_abort(tmp_path):
    """In a child process: a SIGABRT in python-calamine would kill pytest itself."""
    import subprocess
    import sys

    path = package(tmp_path / "huge.xlsx", {SHEET: sheet_xml(cells("A1", "XFD1048576")), "_rels/.rels": ROOT_RELS,
                                            "xl/workbook.xml": NAMED_WORKBOOK, "xl/_rels/workbook.xml.rels": RELS})
    for command in ("validate", "compute"):
        run = subprocess.run([sys.executable, "-m", "billing", command, str(path)], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 2, (run.returncode, run.stderr[-500:])
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "too large" in lines[0], run.stderr
