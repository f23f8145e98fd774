"""Nothing lost: every zip member a command does not mean to change is byte for byte the same.

A billing workbook is built with what real workbooks carry beside the billing tables —
a logo picture, a picture in a cell, notes, threaded comments (with their persons part),
a chart, a pivot table with its cache, data validation, defined names, a calculation
chain, a thumbnail and, as .xlsm, a VBA project — then taken through what a user does:
`validate --write` on an invalid workbook, a `close` that stops at validation, the fix,
a `close` that succeeds (and removes the marks), and another `close`. After each run,
every member of the package before it is compared, raw bytes, with the one after it;
only the members listed in `meant_to_change` may differ.

The same holds for `apply_changes` on every real-world workbook the project keeps from
other projects' test suites (../shared/testdata/real-world).
"""

from __future__ import annotations

import importlib.util
import io
import posixpath
import re
import shutil
import struct
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree

from billing.cells import quote_sheet
from billing.errors import BadFile
from billing.workbook.write import CellUpdate, Changes, Mark, OutputSheet, apply_changes
from builders import base_sheets, set_cell, write_rich_book
from shared_data import shared_set

ROOT = Path(__file__).resolve().parents[1]
REAL_WORLD = shared_set("real-world")
_XLWINGS_SPEC = importlib.util.find_spec("xlwings")
XLWINGS = Path(_XLWINGS_SPEC.origin).parent if _XLWINGS_SPEC and _XLWINGS_SPEC.origin else None

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TC_NS = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
#: what any writing run may change beside the sheets it writes: the workbook and its
#: relationships (a new output sheet), the content types, the style sheet
WORKBOOK_MEMBERS = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}
#: the sheets each run writes (output sheets new to the file are new members, not changes)
VALIDATE_SHEETS = {"Validation", "Payments"}  # the Validation sheet, the marked cells' sheet
CLOSE_SHEETS = {"Validation", "Payments", "Invoices", "InvoiceLines"}  # outputs, computed cells, marks removed


# --- the workbook -----------------------------------------------------------------------


def png_1x1() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def vba_project() -> bytes:
    """A real VBA project: the one in xlwings' quickstart workbook."""
    source = XLWINGS / "quickstart.xlsm" if XLWINGS else None
    if source is None or not source.exists():
        pytest.skip(f"no VBA project to borrow: {source} is missing")
    with zipfile.ZipFile(source) as z:
        return z.read("xl/vbaProject.bin")


def inject(path: Path, parts: dict[str, bytes], edits: dict[str, callable]) -> None:
    """Rewrite the zip at `path` with `parts` added and `edits` (name -> text -> text) applied."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename in edits:
                data = edits[item.filename](data.decode("utf-8")).encode("utf-8")
            out.writestr(item, data)
        for name, data in parts.items():
            out.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def add_rel(text: str, rid: str, kind: str, target: str) -> str:
    return text.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
                                            "</Relationships>")


def add_override(text: str, part: str, content_type: str) -> str:
    return text.replace("</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>')


def _targets(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> target member of `part`."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in z.namelist():
        return {}
    out = {}
    for rel in etree.fromstring(z.read(rels)):
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            out[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
    return out


def workbook_member(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("_rels/.rels"))
        return next((r.get("Target").lstrip("/") for r in root if r.get("Type", "").endswith("/officeDocument")),
                    "xl/workbook.xml")


def sheet_part_map(path: Path) -> dict[str, str]:
    """Sheet name -> its zip member, read independently of the writer."""
    book = workbook_member(path)
    with zipfile.ZipFile(path) as z:
        targets = _targets(z, book)
        root = etree.fromstring(z.read(book))
    return {s.get("name"): targets.get(s.get(f"{{{REL}}}id")) for s in root.iter(f"{{{MAIN}}}sheet")}


def with_extras(path: Path) -> Path:
    """Add to a workbook written by `write_rich_book` what xlsxwriter does not write:
    threaded comments (on Payments A2, with the persons part), a pivot table (on Dashboard,
    its cache over Customers), a calculation chain (Dashboard A1) and a thumbnail."""
    sheets = sheet_part_map(path)
    payments = sheets["Payments"]
    dashboard = sheets["Dashboard"]
    dashboard_id = list(sheets).index("Dashboard") + 1
    pay_folder, pay_name = posixpath.split(payments)
    dash_folder, dash_name = posixpath.split(dashboard)
    person = "{5E4B7A47-0000-4000-8000-000000000001}"
    parts = {
        "xl/threadedComments/threadedComment1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments xmlns="{TC_NS}" '
            f'xmlns:x="{MAIN}"><threadedComment ref="A2" dT="2026-10-21T09:30:00.00" personId="{person}" '
            'id="{5E4B7A47-0000-4000-8000-0000000000AA}"><text>Paid twice? Ask Alpha.</text></threadedComment>'
            "</ThreadedComments>").encode(),
        "xl/persons/person.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<personList xmlns="{TC_NS}" '
            f'xmlns:x="{MAIN}"><person displayName="Anna" id="{person}" userId="anna@example.com" '
            'providerId="None"/></personList>').encode(),
        "xl/pivotCache/pivotCacheDefinition1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheDefinition xmlns="{MAIN}" '
            f'xmlns:r="{REL}" r:id="rId1" refreshOnLoad="1" recordCount="2"><cacheSource type="worksheet">'
            '<worksheetSource ref="A1:B3" sheet="Customers"/></cacheSource><cacheFields count="2">'
            '<cacheField name="customer_id" numFmtId="0"><sharedItems/></cacheField><cacheField name="name" '
            'numFmtId="0"><sharedItems/></cacheField></cacheFields></pivotCacheDefinition>').encode(),
        "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": add_rel(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
            "rId1", f"{REL}/pivotCacheRecords", "pivotCacheRecords1.xml").encode(),
        "xl/pivotCache/pivotCacheRecords1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheRecords xmlns="{MAIN}" '
            'count="2"><r><s v="C1"/><s v="Alpha GmbH"/></r><r><s v="C2"/><s v="Beta BV"/></r>'
            "</pivotCacheRecords>").encode(),
        "xl/pivotTables/pivotTable1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotTableDefinition xmlns="{MAIN}" '
            'name="PivotTable1" cacheId="1" dataCaption="Values" updatedVersion="6" createdVersion="6">'
            '<location ref="D3:D5" firstHeaderRow="1" firstDataRow="1" firstDataCol="0"/><pivotFields count="2">'
            '<pivotField axis="axisRow" showAll="0"><items count="1"><item t="default"/></items></pivotField>'
            '<pivotField showAll="0"/></pivotFields><rowFields count="1"><field x="0"/></rowFields>'
            "</pivotTableDefinition>").encode(),
        "xl/pivotTables/_rels/pivotTable1.xml.rels": add_rel(
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
            "rId1", f"{REL}/pivotCacheDefinition", "../pivotCache/pivotCacheDefinition1.xml").encode(),
        "xl/calcChain.xml": (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain '
                             f'xmlns="{MAIN}"><c r="A1" i="{dashboard_id}"/></calcChain>').encode(),
        "docProps/thumbnail.jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64)) + b"\xff\xd9",
    }

    def content_types(text: str) -> str:
        for part, kind in (
            ("xl/threadedComments/threadedComment1.xml", "application/vnd.ms-excel.threadedcomments+xml"),
            ("xl/persons/person.xml", "application/vnd.ms-excel.person+xml"),
            ("xl/pivotCache/pivotCacheDefinition1.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml"),
            ("xl/pivotCache/pivotCacheRecords1.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheRecords+xml"),
            ("xl/pivotTables/pivotTable1.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotTable+xml"),
            ("xl/calcChain.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"),
        ):
            text = add_override(text, part, kind)
        return text.replace("</Types>", '<Default Extension="jpeg" ContentType="image/jpeg"/></Types>')

    def workbook_rels(text: str) -> str:
        text = add_rel(text, "rIdPerson", "http://schemas.microsoft.com/office/2017/10/relationships/person",
                       "persons/person.xml")
        text = add_rel(text, "rIdPivotCache", f"{REL}/pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml")
        return add_rel(text, "rIdCalcChain", f"{REL}/calcChain", "calcChain.xml")

    def workbook(text: str) -> str:
        caches = f'<pivotCaches><pivotCache xmlns:r="{REL}" cacheId="1" r:id="rIdPivotCache"/></pivotCaches>'
        at = text.index("</workbook>")
        for later in ("<smartTagPr", "<smartTagTypes", "<webPublishing", "<fileRecoveryPr", "<webPublishObjects",
                      "<extLst"):
            if later in text:
                at = min(at, text.index(later))
        return text[:at] + caches + text[at:]

    def rels_of(folder: str, name: str, rid: str, kind: str, target: str):
        rels = f"{folder}/_rels/{name}.rels"
        return rels, lambda text: add_rel(text, rid, kind, target)

    edits = {
        "[Content_Types].xml": content_types,
        "xl/_rels/workbook.xml.rels": workbook_rels,
        "xl/workbook.xml": workbook,
        "_rels/.rels": lambda text: add_rel(
            text, "rIdThumb", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
            "docProps/thumbnail.jpeg"),
    }
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
    for folder, name, rid, kind, target in (
        (pay_folder, pay_name, "rIdThreaded", "http://schemas.microsoft.com/office/2017/10/relationships/"
         "threadedComment", "../threadedComments/threadedComment1.xml"),
        (dash_folder, dash_name, "rIdPivot", f"{REL}/pivotTable", "../pivotTables/pivotTable1.xml"),
    ):
        rels, edit = rels_of(folder, name, rid, kind, target)
        assert rels in names, f"{rels}: write_rich_book gives this sheet a relationship part"
        edits[rels] = edit
    inject(path, parts, edits)
    return path


@pytest.fixture(params=[".xlsx", ".xlsm"])
def rich_book(request, tmp_path) -> Path:
    vba = vba_project() if request.param == ".xlsm" else None
    sheets = base_sheets()
    set_cell(sheets, "Payments", 2, "amount", -5)  # invalid: amounts are positive
    path = write_rich_book(tmp_path / f"book{request.param}", sheets, png_1x1(), vba)
    return with_extras(path)


# --- the runs -----------------------------------------------------------------------------


def xlbilling(*args: str) -> int:
    """Run the command line in this process (as `xlbilling ...`); its exit code."""
    from billing.cli import main

    try:
        main(list(args))
    except SystemExit as done:
        return done.code
    return 0


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert len(names) == len(set(names)), "duplicate zip members"
        return {name: z.read(name) for name in names}


def meant_to_change(path: Path, sheets: set[str], cells_written: bool) -> set[str]:
    """The members a run writing `sheets` may change in the package at `path` (as it was
    before the run): those sheets, their relationships and tables, the workbook members,
    and the calculation chain when cells were written."""
    parts = sheet_part_map(path)
    book = workbook_member(path)
    meant = set(WORKBOOK_MEMBERS) | {book, posixpath.join(posixpath.dirname(book), "_rels",
                                                          posixpath.basename(book) + ".rels")}
    if cells_written:
        meant.add("xl/calcChain.xml")
    before = members(path)
    for name in sheets:
        part = parts.get(name)
        if part is None:
            continue
        folder, base = posixpath.split(part)
        rels = f"{folder}/_rels/{base}.rels"
        meant |= {part, rels}
        for target in re.findall(r'Target="([^"]+)"', before.get(rels, b"").decode()):
            resolved = posixpath.normpath(posixpath.join(folder, target))
            if resolved.startswith("xl/tables/"):
                meant.add(resolved)
    return meant


def assert_preserved(before: dict[str, bytes], path: Path, meant: set[str]) -> None:
    """Every member of `before` not `meant` to change is in the file at `path`, byte for
    byte; every member written is well-formed XML."""
    after = members(path)
    lost = sorted(set(before) - set(after) - meant)
    changed = sorted(n for n in set(before) & set(after) - meant if before[n] != after[n])
    assert not lost and not changed, f"lost {lost}, changed {changed}"
    for name, data in after.items():
        if before.get(name) != data and name.endswith((".xml", ".rels")):
            etree.fromstring(data)  # raises on anything not well-formed


def test_every_member_survives_validate_failed_close_close_and_mark_removal(rich_book, tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    path = rich_book
    original = members(path)
    user_sheets = set(sheet_part_map(path))
    assert {"xl/media/image1.png", "xl/threadedComments/threadedComment1.xml", "xl/persons/person.xml",
            "xl/pivotTables/pivotTable1.xml", "xl/calcChain.xml", "docProps/thumbnail.jpeg",
            "xl/charts/chart1.xml"} <= set(original)
    assert any(n.startswith("xl/comments") for n in original)
    assert any(n.startswith("xl/richData/") for n in original)  # the picture in a cell
    assert ("xl/vbaProject.bin" in original) == (path.suffix == ".xlsm")

    meant = meant_to_change(path, VALIDATE_SHEETS, cells_written=False)
    assert xlbilling("validate", str(path), "--write") == 1
    assert_preserved(original, path, meant)
    payments = members(path)[sheet_part_map(path)["Payments"]].decode()
    assert '"xlbilling"="xlbilling"' in payments  # the mark is there

    before = members(path)
    meant = meant_to_change(path, VALIDATE_SHEETS, cells_written=False)
    assert xlbilling("close", str(path), "--as-of", "2026-10-31", "--db", db) == 1  # stops at validation
    assert_preserved(before, path, meant)

    amount = base_sheets()["Payments"][0].index("amount")
    apply_changes(path, Changes(updates=(CellUpdate("Payments", 2, amount, 100.5),)))  # the user's fix
    before = members(path)
    meant = meant_to_change(path, CLOSE_SHEETS, cells_written=True)
    assert xlbilling("close", str(path), "--as-of", "2026-10-31", "--db", db) == 0
    assert_preserved(before, path, meant)
    after = members(path)
    assert "xlbilling" not in after[sheet_part_map(path)["Payments"]].decode()  # the marks are gone again
    assert "xl/calcChain.xml" not in after  # cells changed: Excel rebuilds it

    before = members(path)
    outputs = set(sheet_part_map(path)) - user_sheets  # the sheets the close added
    meant = meant_to_change(path, CLOSE_SHEETS | outputs, cells_written=True)
    assert xlbilling("close", str(path), "--as-of", "2026-10-31", "--db", db) == 0
    assert_preserved(before, path, meant)

    final = members(path)
    for name in original:
        if not name.startswith(("xl/worksheets/", "xl/tables/")) and name not in WORKBOOK_MEMBERS | {
                "xl/calcChain.xml"}:
            assert final.get(name) == original[name], name  # over all four runs


# --- real-world workbooks ----------------------------------------------------------------


def real_world_books() -> list[Path]:
    if not REAL_WORLD.is_dir():
        return []
    return sorted(p for p in REAL_WORLD.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))


def worksheet_names(path: Path) -> list[str]:
    from billing.workbook.package_writer import _sheets
    from billing.workbook.package import Package

    pkg = Package(path)
    try:
        return [s.name for s in _sheets(pkg, pkg.workbook_part()).values() if s.worksheet and s.part]
    finally:
        pkg.close()


def test_real_world_workbooks_keep_every_member_they_do_not_mean_to_change(tmp_path):
    from billing.workbook.safety import check_workbook_file

    books = real_world_books()
    if not books:
        pytest.skip(f"no real-world workbooks: {REAL_WORLD} is missing")
    started, written, refused = time.perf_counter(), 0, []
    for source in books:
        try:
            check_workbook_file(source)
        except BadFile:
            continue
        for kind in ("marks", "output"):
            path = tmp_path / f"{kind}-{source.name}"
            shutil.copyfile(source, path)
            try:
                names = worksheet_names(path)
            except BadFile as exc:
                refused.append(f"{source.name}: {exc}")
                continue
            if kind == "marks":
                marks = tuple(Mark(f"{quote_sheet(n)}!{a}", "m") for n in names[:3] for a in ("B2", "3:3", "A1"))
                steps, sheets = [Changes(marks=marks), Changes(marks=())], set(names[:3])
            else:
                output = OutputSheet("Validation", ("severity", "cell"), [("error", "Sheet1!A1")], link_column="cell")
                steps, sheets = [Changes(outputs=(output,))], {"Validation"}
            for changes in steps:
                raw = path.read_bytes()
                before, meant = members(path), meant_to_change(path, sheets, cells_written=False)
                try:
                    apply_changes(path, changes)
                except BadFile as exc:  # the only way to fail: one line, the file as it was
                    assert path.read_bytes() == raw
                    refused.append(f"{source.name}: {exc}")
                    break
                assert_preserved(before, path, meant)
                written += 1
    print(f"\n{written} writes on {len(books)} real-world workbooks in {time.perf_counter() - started:.1f} s; "
          f"refused: {refused}", file=sys.stderr)
    assert written > 200
