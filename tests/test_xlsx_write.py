"""billing.workbook.write: output sheets, cell updates, table growth, marks, atomic writes."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from billing.workbook import write as xlsx_write
from billing.errors import BadFile
from billing.changes import DoesNotFit
from billing.workbook.write import (
    CellUpdate,
    Changes,
    HeaderAdd,
    Mark,
    OutputSheet,
    apply_changes,
)
from builders import raw_sheet, write_raw_book

USER_FILL = "FF00B0F0"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _table(ws, name, ref):
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    return table


def make_book(path: Path, settings_table: str = "tblSettings") -> Path:
    """Settings, Invoices (a table, formula, formats, validation, user comment, user CF),
    an old Validation output sheet with a table of the same name, and a Summary sheet."""
    wb = openpyxl.Workbook()
    settings = wb.active
    settings.title = "Settings"
    settings.append(["key", "value"])
    settings.append(["base_currency", "EUR"])
    _table(settings, settings_table, "A1:B2")

    old = wb.create_sheet("Validation")
    old.append(["severity", "cell"])
    old.append(["error", "Invoices!B2"])
    old["Z99"] = "stale"
    _table(old, "Validation", "A1:B2")

    inv = wb.create_sheet("Invoices")
    inv.append(["invoice_key", "customer_id", "net"])
    inv.append(["K1", "C1", 100])
    inv.append(["K2", "C2", 250.5])
    _table(inv, "tblInvoices", "A1:C3")
    inv["F1"] = "=SUM(C2:C3)"
    inv["C2"].number_format = "#,##0.00"
    inv.column_dimensions["A"].width = 25
    inv["B2"].fill = PatternFill(fill_type="solid", start_color=USER_FILL, end_color=USER_FILL)
    inv["A2"].comment = Comment("checked by Anna", "Anna")
    dv = DataValidation(type="list", formula1='"C1,C2,C3"', allow_blank=True)
    dv.add("B2:B100")
    inv.add_data_validation(dv)
    user_fill = PatternFill(fill_type="solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
    rule = CellIsRule(operator="lessThan", formula=["0"], fill=user_fill)
    inv.conditional_formatting.add("C2:C3", rule)

    summary = wb.create_sheet("Summary")
    summary["A1"] = "=COUNTA(Validation!A:A)"
    wb.create_sheet("My Sheet")["B2"] = "x"
    wb.defined_names["BaseCurrency"] = DefinedName("BaseCurrency", attr_text="Settings!$B$2")
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path) -> Path:
    return make_book(tmp_path / "book.xlsx")


def load(path):
    return openpyxl.load_workbook(path, rich_text=True)


def all_tables(wb):
    return [name.casefold() for ws in wb.worksheets for name in ws.tables]


VALIDATION = OutputSheet(
    "Validation",
    ("severity", "cell", "rule", "message"),
    [("error", "Invoices!B2", "unknown_customer", "no such customer")],
    link_column="cell",
)


# --- output sheets -------------------------------------------------------------------


def test_output_sheet_replaced_in_place_and_rest_survives(book):
    apply_changes(book, Changes(outputs=(VALIDATION,)))
    wb = load(book)
    assert wb.sheetnames == ["Settings", "Validation", "Invoices", "Summary", "My Sheet"]
    ws = wb["Validation"]
    assert [c.value for c in ws[1]] == ["severity", "cell", "rule", "message"]
    assert [c.value for c in ws[2]] == ["error", "Invoices!B2", "unknown_customer", "no such customer"]
    assert (ws.max_row, ws.max_column) == (2, 4)  # the stale Z99 is gone
    assert ws.freeze_panes == "A2"
    table = ws.tables["Validation"]
    assert table.ref == "A1:D2"
    assert table.tableStyleInfo.name.startswith("TableStyleMedium")
    assert [c.name for c in table.tableColumns] == ["severity", "cell", "rule", "message"]
    assert 8 <= ws.column_dimensions["D"].width <= 60
    assert sorted(all_tables(wb)) == sorted(set(all_tables(wb)))  # no duplicate names

    inv = wb["Invoices"]
    assert inv["F1"].value == "=SUM(C2:C3)"
    assert inv["C2"].number_format == "#,##0.00"
    assert inv.column_dimensions["A"].width == 25
    assert inv.tables["tblInvoices"].ref == "A1:C3"
    assert [str(dv.sqref) for dv in inv.data_validations.dataValidation] == ["B2:B100"]
    assert wb.defined_names["BaseCurrency"].attr_text == "Settings!$B$2"
    assert wb["Summary"]["A1"].value == "=COUNTA(Validation!A:A)"
    assert wb["Settings"].tables["tblSettings"].ref == "A1:B2"


def test_output_replaced_twice_and_appended(book):
    allocations = OutputSheet("Allocations", ("payment_id", "amount"), [("P1", Decimal("10.00"))])
    apply_changes(book, Changes(outputs=(VALIDATION, allocations)))
    apply_changes(book, Changes(outputs=(VALIDATION._replace(rows=[]), allocations)))
    wb = load(book)
    assert wb.sheetnames[1] == "Validation"
    assert wb.sheetnames[-1] == "Allocations"
    assert wb.sheetnames.count("Allocations") == 1
    assert all_tables(wb).count("allocations") == 1
    assert all_tables(wb).count("validation") == 1


def test_sheet_names_match_case_insensitively(book):
    apply_changes(book, Changes(outputs=(VALIDATION._replace(name="VALIDATION"),)))
    apply_changes(book, Changes(updates=(CellUpdate("invoices", 4, 0, "K3"),)))
    wb = load(book)
    assert wb.sheetnames[:3] == ["Settings", "VALIDATION", "Invoices"]
    assert list(wb["VALIDATION"].tables) == ["VALIDATION"]
    assert wb["Invoices"]["A4"].value == "K3"


def test_empty_output_has_header_and_one_blank_table_row(book):
    apply_changes(book, Changes(outputs=(VALIDATION._replace(rows=()),)))
    ws = load(book)["Validation"]
    assert [c.value for c in ws[1]] == ["severity", "cell", "rule", "message"]
    assert ws.tables["Validation"].ref == "A1:D2"
    assert all(c.value is None for c in ws[2])


def test_table_name_taken_elsewhere_gets_a_suffix(tmp_path):
    path = make_book(tmp_path / "b.xlsx", settings_table="ALLOCATIONS")
    apply_changes(path, Changes(outputs=(OutputSheet("Allocations", ("a",), [("x",)]),)))
    wb = load(path)
    assert list(wb["Allocations"].tables) == ["Allocations_2"]
    assert len(all_tables(wb)) == len(set(all_tables(wb)))


@pytest.mark.parametrize("text", ["=1+2", "+49 30 1234", "-5", "@x", "#N/A", "=", "plain"])
def test_strings_stay_strings(book, text):
    apply_changes(
        book,
        Changes(
            outputs=(OutputSheet("Out", ("v",), [(text,)]),),
            updates=(CellUpdate("Invoices", 2, 1, text),),
        ),
    )
    wb = load(book)
    for cell in (wb["Out"]["A2"], wb["Invoices"]["B2"]):
        assert cell.value == text
        assert cell.data_type == "s"
    with zipfile.ZipFile(book) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        formulas = "".join(z.read(n).decode() for n in sheets)
    assert formulas.count("<f>") == 2  # only the fixture's own two formulas


def test_values_decimal_date_none_and_number_formats(book):
    out = OutputSheet(
        "Aging",
        ("customer_id", "amount", "due", "rate", "note"),
        [
            ("C1", Decimal("1190.50"), date(2026, 10, 31), Decimal("0.19"), None),
            ("C2", Decimal("-3"), datetime(2026, 1, 2, 3, 4), 0.5, True),
        ],
        number_formats={"amount": "#,##0.00", "rate": "0.00%"},
    )
    apply_changes(book, Changes(outputs=(out,)))
    ws = load(book)["Aging"]
    assert ws["B2"].value == pytest.approx(1190.5) and ws["B2"].data_type == "n"
    assert ws["B2"].number_format == "#,##0.00"
    assert ws["B3"].value == -3
    assert ws["C2"].value == datetime(2026, 10, 31)
    assert ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["C3"].value == datetime(2026, 1, 2, 3, 4)
    assert ws["D2"].value == pytest.approx(0.19) and ws["D2"].number_format == "0.00%"
    assert ws["E2"].value is None
    assert ws["E3"].value is True


def test_bad_output_definitions_raise_and_leave_file_alone(book):
    before = book.read_bytes()
    for bad in (
        OutputSheet("X", ("a", "A"), []),
        OutputSheet("X", ("a",), [], number_formats={"b": "0"}),
        OutputSheet("X", ("a",), [("1", "2")]),
        OutputSheet("X", ("a",), [(Decimal("NaN"),)]),
    ):
        with pytest.raises(ValueError):
            apply_changes(book, Changes(outputs=(bad,)))
    assert book.read_bytes() == before


@pytest.mark.parametrize(
    ("ref", "location"),
    [
        ("Invoices!E7", "Invoices!E7"),
        ("Invoices!7:7", "Invoices!A7"),
        ("'My Sheet'!B2", "'My Sheet'!B2"),
        ("'My Sheet'!3:3", "'My Sheet'!A3"),
        ("'O''Brien'!C4", "'O''Brien'!C4"),
    ],
)
def test_hyperlinks_point_inside_the_workbook(book, ref, location):
    out = VALIDATION._replace(rows=[("error", ref, "r", "m")])
    apply_changes(book, Changes(outputs=(out,)))
    cell = load(book)["Validation"]["B2"]
    assert cell.value == ref
    assert cell.hyperlink.location == location
    assert not cell.hyperlink.target
    with zipfile.ZipFile(book) as z:
        rels = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".rels"))
    assert "hyperlink" not in rels  # internal links need no relationship


# --- macro workbooks -----------------------------------------------------------------

VBA = b"\xd0\xcf\x11\xe0fake vba project" * 10


CONTROL_VML = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe"/>'
    '<v:shape id="Button1" type="#_x0000_t201" style="position:absolute"><x:ClientData ObjectType="Button">'
    "<x:FmlaMacro>[0]!RunClose</x:FmlaMacro></x:ClientData></v:shape></xml>"
)


def make_xlsm(path: Path) -> Path:
    """The fixture book as a macro workbook: a vbaProject.bin part and, on Settings, a
    form-control button in a legacy VML drawing (as Excel writes them)."""
    buffer = io.BytesIO()
    make_book(path.with_suffix(".xlsx"))
    with zipfile.ZipFile(path.with_suffix(".xlsx")) as src, zipfile.ZipFile(buffer, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                text = data.decode().replace(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
                extra = (
                    '<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                    '<Override PartName="/xl/drawings/vmlDrawing1.vml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/></Types>'
                )
                data = text.replace("</Types>", extra).encode()
            elif item.filename == "xl/_rels/workbook.xml.rels":
                rel = (
                    '<Relationship Id="rIdVba" Target="vbaProject.bin" '
                    'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"/>'
                )
                data = data.decode().replace("</Relationships>", rel + "</Relationships>").encode()
            elif item.filename == "xl/worksheets/_rels/sheet1.xml.rels":
                rel = (
                    '<Relationship Id="rIdVml" Target="../drawings/vmlDrawing1.vml" Type="http://schemas.'
                    'openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"/>'
                )
                data = data.decode().replace("</Relationships>", rel + "</Relationships>").encode()
            elif item.filename == "xl/worksheets/sheet1.xml":
                legacy = '<legacyDrawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rIdVml"/>'
                data = data.decode().replace("<tableParts", legacy + "<tableParts").encode()
            out.writestr(item, data)
        out.writestr("xl/vbaProject.bin", VBA)
        out.writestr("xl/drawings/vmlDrawing1.vml", CONTROL_VML)
    path.write_bytes(buffer.getvalue())
    return path


def check_package(path: Path) -> dict[str, bytes]:
    """No duplicate parts, every sheet relationship points to a part; the parts."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert len(names) == len(set(names)), "duplicate zip entries"
        for rels_name in [n for n in names if n.startswith("xl/worksheets/_rels/")]:
            for target in re.findall(r'Target="([^"]+)"', z.read(rels_name).decode()):
                part = target[1:] if target.startswith("/") else "xl/" + target.replace("../", "")
                assert part in names, f"{rels_name} points to missing {target}"
        return {n: z.read(n) for n in names}


def note_shapes(parts, sheet_xml):
    rels = parts.get(f"xl/worksheets/_rels/{sheet_xml}.rels", b"").decode()
    targets = re.findall(r'Target="([^"]+\.vml)"', rels)
    parts_of = [t[1:] if t.startswith("/") else "xl/" + t.replace("../", "") for t in targets]
    return [parts[part].decode() for part in parts_of]


def test_xlsm_keeps_vba_project_and_controls_through_marks(tmp_path):
    path = make_xlsm(tmp_path / "macro.xlsm")
    original = check_package(path)
    marks = (Mark("Invoices!B2", "bad"), Mark("Settings!A2", "odd"), Mark("'My Sheet'!B2", "x"))
    update = CellUpdate("Invoices", 4, 0, "K3")
    apply_changes(path, Changes(outputs=(VALIDATION,), updates=(update,), marks=marks))
    parts = check_package(path)
    assert [s for s, _ in mark_rules(load(path)["Settings"])] == ["A2"]
    apply_changes(path, Changes(marks=marks[:1]))
    check_package(path)
    apply_changes(path, Changes(marks=()))
    parts = check_package(path)
    for kept in ("xl/vbaProject.bin", "xl/drawings/vmlDrawing1.vml", "xl/worksheets/_rels/sheet1.xml.rels"):
        assert parts[kept] == original[kept], kept  # marks leave the VBA project and the button alone
    assert "macroEnabled" in parts["[Content_Types].xml"].decode()
    assert "vbaProject.bin" in parts["xl/_rels/workbook.xml.rels"].decode()
    (settings_vml,) = note_shapes(parts, "sheet1.xml")
    assert "Button1" in settings_vml
    assert note_shapes(parts, "sheet5.xml") == []  # marks add no note drawings
    wb = openpyxl.load_workbook(path, keep_vba=True)
    assert wb["Invoices"]["A4"].value == "K3"
    assert wb["Invoices"]["A2"].comment.author == "Anna"
    assert mark_rules(wb["Settings"]) == []


def test_macro_extension_must_be_kept(tmp_path, book):
    path = make_xlsm(tmp_path / "macro.xlsm")
    with pytest.raises(ValueError):
        apply_changes(path, Changes(), dest=tmp_path / "copy.xlsx")
    with pytest.raises(ValueError):
        apply_changes(book, Changes(), dest=tmp_path / "copy.xlsm")
    assert not (tmp_path / "copy.xlsx").exists()


# --- cell updates and table growth ---------------------------------------------------


def test_updates_land_and_keep_cell_styles(book):
    apply_changes(
        book,
        Changes(
            updates=(
                CellUpdate("Invoices", 2, 2, Decimal("99.95")),
                CellUpdate("Invoices", 3, 1, None),
                CellUpdate("Invoices", 10, 7, date(2026, 3, 1)),
            )
        ),
    )
    inv = load(book)["Invoices"]
    assert inv["C2"].value == pytest.approx(99.95)
    assert inv["C2"].number_format == "#,##0.00"
    assert inv["B3"].value is None
    assert inv["H10"].value == datetime(2026, 3, 1)
    assert inv["H10"].number_format == "yyyy-mm-dd"
    assert inv.tables["tblInvoices"].ref == "A1:C3"  # far away cells do not grow a table


def test_table_grows_for_new_rows_and_new_header(book):
    changes = Changes(
        headers=(HeaderAdd("Invoices", 1, 3, "invoice_no"),),
        updates=(
            CellUpdate("Invoices", 2, 3, "INV-1"),
            CellUpdate("Invoices", 5, 0, "K4"),  # below the row added next
            CellUpdate("Invoices", 4, 0, "K3"),
            CellUpdate("Invoices", 4, 3, "INV-3"),
        ),
    )
    apply_changes(book, changes)
    table = load(book)["Invoices"].tables["tblInvoices"]
    assert table.ref == "A1:D5"
    assert table.autoFilter.ref == "A1:D5"
    assert [c.name for c in table.tableColumns] == ["invoice_key", "customer_id", "net", "invoice_no"]
    assert len({c.id for c in table.tableColumns}) == 4


def test_update_right_of_table_without_header_names_the_column(book):
    apply_changes(book, Changes(updates=(CellUpdate("Invoices", 2, 3, "x"),)))
    ws = load(book)["Invoices"]
    table = ws.tables["tblInvoices"]
    assert table.ref == "A1:D3"
    assert ws["D1"].value == table.tableColumns[-1].name == "Column4"


def test_duplicate_header_or_missing_sheet_raise(book):
    with pytest.raises(ValueError):
        apply_changes(book, Changes(headers=(HeaderAdd("Invoices", 1, 3, "NET"),)))
    with pytest.raises(ValueError):
        apply_changes(book, Changes(updates=(CellUpdate("Nope", 1, 0, "x"),)))


# --- marks ---------------------------------------------------------------------------


def cf_rules(ws):
    return [(str(cf.sqref), rule) for cf in ws.conditional_formatting for rule in cf.rules]


def mark_rules(ws):
    return [(sqref, r) for sqref, r in cf_rules(ws) if r.formula and '"xlbilling"' in r.formula[0]]


def user_rules(ws):
    marks = mark_rules(ws)
    return [(sqref, r.operator, r.formula) for sqref, r in cf_rules(ws) if (sqref, r) not in marks]


MARKS = (
    Mark("Invoices!B2", "unknown customer"),
    Mark("Invoices!B2", "customer is blocked"),
    Mark("Invoices!3:3", "duplicate invoice_key"),
    Mark("Invoices!A2", "bad key"),  # has Anna's note
    Mark("Missing!A1", "sheet does not exist"),
    Mark("Invoices!not-a-cell", "ignored"),
    Mark("Invoices!XFE1", "beyond Excel's last column"),
)


def sheet_xml(path: Path, sheet: str) -> str:
    """The XML of a worksheet by its name."""
    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{sheet}"[^>]*r:id="([^"]+)"', book).group(1)
        target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
            re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
        return z.read("xl/" + target.group(1).lstrip("/").removeprefix("xl/")).decode()


def test_marks_highlight_then_clean_run_removes_them(book):
    with zipfile.ZipFile(book) as z:
        comments_before = {n: z.read(n) for n in z.namelist() if "comment" in n or n.endswith(".vml")}
    apply_changes(book, Changes(marks=MARKS))
    wb = load(book)
    inv = wb["Invoices"]
    (sqref, rule), = mark_rules(inv)
    assert set(sqref.split()) == {"B2", "A3:C3", "A2"}  # a row across its table
    assert rule.type == "expression" and rule.dxf.fill is not None
    assert rule.priority > max(r.priority for _, r in cf_rules(inv) if r is not rule)
    assert user_rules(inv) == [("C2:C3", "lessThan", ["0"])]
    assert inv["B2"].fill.start_color.rgb == USER_FILL  # the user's own style is never touched
    assert inv["B2"].comment is None  # marks are highlights; the messages are on the Validation sheet
    assert (inv["A2"].comment.author, inv["A2"].comment.text) == ("Anna", "checked by Anna")
    with zipfile.ZipFile(book) as z:
        assert {n: z.read(n) for n in z.namelist() if "comment" in n or n.endswith(".vml")} == comments_before
    xml = sheet_xml(book, "Invoices")
    assert xml.index("<conditionalFormatting") < xml.index("<dataValidations")  # the schema's order

    apply_changes(book, Changes(marks=None, outputs=(VALIDATION,)))  # None: marks stay
    assert len(mark_rules(load(book)["Invoices"])) == 1

    apply_changes(book, Changes(marks=()))
    inv = load(book)["Invoices"]
    assert mark_rules(inv) == []
    assert user_rules(inv) == [("C2:C3", "lessThan", ["0"])]
    assert [r.priority for _, r in cf_rules(inv)] == [1]  # the user's rule keeps its priority
    assert inv["B2"].fill.start_color.rgb == USER_FILL
    assert (inv["A2"].comment.author, inv["A2"].comment.text) == ("Anna", "checked by Anna")
    assert "xlbilling" not in sheet_xml(book, "Invoices")


def test_new_marks_replace_earlier_ones(book):
    apply_changes(book, Changes(marks=MARKS))
    apply_changes(book, Changes(marks=(Mark("'My Sheet'!B2", "look here"),)))
    wb = load(book)
    inv, mine = wb["Invoices"], wb["My Sheet"]
    assert mark_rules(inv) == []
    assert inv["A2"].comment.author == "Anna"
    assert [s for s, _ in mark_rules(mine)] == ["B2"]
    assert all(r.priority for cf in inv.conditional_formatting for r in cf.rules)


def test_marking_again_leaves_the_style_sheet_as_it_was(book):
    apply_changes(book, Changes(outputs=(VALIDATION,), marks=MARKS))
    with zipfile.ZipFile(book) as z:
        styles = z.read("xl/styles.xml")
    apply_changes(book, Changes(marks=()))
    apply_changes(book, Changes(outputs=(VALIDATION,), marks=MARKS))
    with zipfile.ZipFile(book) as z:
        assert z.read("xl/styles.xml") == styles  # styles are found again, not added run after run


def legacy_marked_book(path: Path, macro: bool = False) -> Path:
    """A book as earlier versions left it after a failed run: notes authored `xlbilling`
    (beside Anna's) and the highlight rule, written by openpyxl."""
    from openpyxl.formatting.rule import Rule
    from openpyxl.styles.differential import DifferentialStyle

    make_book(path)
    wb = openpyxl.load_workbook(path)
    inv = wb["Invoices"]
    inv["B2"].comment = Comment("error: unknown customer", "xlbilling")
    inv["C3"].comment = Comment("error: bad net", "xlbilling")
    wb["My Sheet"]["B2"].comment = Comment("error: x", "xlbilling")
    fill = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
    inv.conditional_formatting.add("B2 C3", Rule(type="expression", formula=['"xlbilling"="xlbilling"'],
                                                 dxf=DifferentialStyle(fill=fill)))
    wb.save(path)
    return path


def test_legacy_notes_are_removed_and_other_notes_stay(tmp_path):
    path = legacy_marked_book(tmp_path / "legacy.xlsx")
    apply_changes(path, Changes(marks=()))
    parts = check_package(path)
    wb = load(path)
    inv = wb["Invoices"]
    assert inv["B2"].comment is None and inv["C3"].comment is None
    assert (inv["A2"].comment.author, inv["A2"].comment.text) == ("Anna", "checked by Anna")
    assert mark_rules(inv) == [] and user_rules(inv) == [("C2:C3", "lessThan", ["0"])]
    assert wb["My Sheet"]["B2"].comment is None
    (inv_vml,) = note_shapes(parts, "sheet3.xml")
    assert inv_vml.count("Row>") == 2  # Anna's note shape (open and close tag), not the two of xlbilling
    assert note_shapes(parts, "sheet5.xml") == []  # My Sheet had only xlbilling's note: its drawing went
    assert "legacyDrawing" not in sheet_xml(path, "My Sheet")
    assert "comments" not in parts.get("xl/worksheets/_rels/sheet5.xml.rels", b"").decode()
    assert sum("<comment " in parts[n].decode() for n in parts if n.startswith("xl/comments")) == 1  # Anna's


# --- atomic write and bad files ------------------------------------------------------


def test_failed_save_leaves_original_and_no_temp_file(book, monkeypatch):
    from billing.workbook.package import Package

    before = book.read_bytes()
    files_before = sorted(p.name for p in book.parent.iterdir())

    def broken_write(self, out, *args, **kwargs):
        out.write(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(Package, "write_to", broken_write)
    with pytest.raises(OSError, match="disk full"):
        apply_changes(book, Changes(outputs=(VALIDATION,), marks=MARKS))
    with pytest.raises(OSError):
        apply_changes(book, Changes(), dest=book.parent / "copy.xlsx")
    assert book.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == files_before


def test_failed_replace_leaves_original_and_no_temp_file(book, monkeypatch):
    before = book.read_bytes()

    def broken_replace(src, dst):
        raise PermissionError("locked by Excel")

    monkeypatch.setattr(xlsx_write.os, "replace", broken_replace)
    with pytest.raises(PermissionError):
        apply_changes(book, Changes(outputs=(VALIDATION,)))
    assert book.read_bytes() == before
    assert [p.name for p in book.parent.iterdir()] == ["book.xlsx"]


def test_dest_written_elsewhere_keeps_source_and_mode(book, tmp_path):
    book.chmod(0o640)
    before = book.read_bytes()
    dest = apply_changes(book, Changes(outputs=(VALIDATION,)), dest=tmp_path / "out.xlsx")
    assert dest == tmp_path / "out.xlsx"
    assert book.read_bytes() == before
    assert "Validation" in load(dest).sheetnames
    apply_changes(book, Changes(outputs=(VALIDATION,)))
    assert book.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("content", [b"not a zip", b""])
def test_unreadable_file_is_bad_file(tmp_path, content):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(BadFile):
        apply_changes(path, Changes())
    assert path.read_bytes() == content


# --- shapes of real files ---------------------------------------------------------------


def values(path: Path, sheet: str) -> dict[str, object]:
    ws = load(path)[sheet]
    return {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}


def test_rows_and_cells_without_addresses_get_their_implicit_ones(tmp_path):
    rows = ('<row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v></c></row>'  # row 1: A1, B1
            '<row><c><v>2</v></c><c><v>3</v></c><c><v>4</v></c></row>'  # row 2
            '<row r="4"><c r="B4"><v>5</v></c><c><v>6</v></c></row>'  # C4 follows B4
            '<row><c><v>7</v></c></row>')  # row 5
    path = write_raw_book(tmp_path / "implicit.xlsx", {"Data": raw_sheet(rows)})
    apply_changes(path, Changes(updates=(CellUpdate("Data", 2, 1, "x"), CellUpdate("Data", 4, 3, "y"),
                                         CellUpdate("Data", 3, 0, "new row"), CellUpdate("Data", 6, 0, "last"))))
    assert values(path, "Data") == {"A1": "a", "B1": 1, "A2": 2, "B2": "x", "C2": 4, "A3": "new row",
                                    "B4": 5, "C4": 6, "D4": "y", "A5": 7, "A6": "last"}


def test_overwritten_shared_formula_anchor_gives_each_cell_its_own_formula(tmp_path):
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c>'
                   + (f'<c r="B{r}"><f t="shared" ref="B2:C4" si="0">A2*2+$A$1</f><v>0</v></c>' if r == 2 else
                      f'<c r="B{r}"><f t="shared" si="0"/><v>0</v></c>') + f'<c r="C{r}"><f t="shared" si="0"/></c>'
                   "</row>" for r in range(2, 5))
    path = write_raw_book(tmp_path / "shared.xlsx", {"Data": raw_sheet(rows)})
    apply_changes(path, Changes(updates=(CellUpdate("Data", 2, 1, Decimal("9")),)))
    got = values(path, "Data")
    assert got["B2"] == 9
    assert (got["C2"], got["B3"], got["C3"], got["B4"], got["C4"]) == (
        "=B2*2+$A$1", "=A3*2+$A$1", "=B3*2+$A$1", "=A4*2+$A$1", "=B4*2+$A$1")
    assert 't="shared"' not in sheet_xml(path, "Data")


def test_value_into_array_formula_or_merged_cells_is_refused_naming_the_cell(tmp_path):
    rows = ('<row r="1"><c r="A1"><f t="array" ref="A1:A3">B1:B3*2</f><v>2</v></c>'
            '<c r="C1"><f t="array" ref="C1">SUM(B1:B3)</f><v>6</v></c></row><row r="2"><c r="A2"><v>4</v></c></row>')
    path = write_raw_book(tmp_path / "array.xlsx", {"Data": raw_sheet(rows, '<mergeCells count="1">'
                                                                           '<mergeCell ref="E1:F2"/></mergeCells>')})
    before = path.read_bytes()
    for cell in ((2, 0), (1, 0), (2, 5)):
        with pytest.raises(DoesNotFit, match=rf"Data!{'AF'[cell[1] // 5]}{cell[0]}") as raised:
            apply_changes(path, Changes(updates=(CellUpdate("Data", *cell, "x"),)))
        assert isinstance(raised.value, BadFile) and isinstance(raised.value, ValueError)
        assert path.read_bytes() == before
    apply_changes(path, Changes(updates=(CellUpdate("Data", 1, 2, 7),)))  # a one-cell array formula: fine
    assert values(path, "Data")["C1"] == 7


def test_new_table_column_takes_the_header_already_in_the_sheet(tmp_path):
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2"><v>1</v></c></row>')
    table = (f'<table xmlns="{MAIN_NS}" id="1" name="T" displayName="T" ref="A1:A2"><autoFilter ref="A1:A2"/>'
             '<tableColumns count="1"><tableColumn id="1" name="key"/></tableColumns></table>')
    path = write_raw_book(
        tmp_path / "table.xlsx", {"Data": raw_sheet(rows, '<tableParts count="1"><tablePart r:id="rT"/></tableParts>')},
        shared_strings=["key", "typed by hand"], extra={"xl/tables/table1.xml": table.encode()},
        sheet_rels={"Data": f'<Relationship Id="rT" Type="{REL_NS}/table" Target="../tables/table1.xml"/>'})
    apply_changes(path, Changes(updates=(CellUpdate("Data", 2, 1, "x"), CellUpdate("Data", 2, 2, "y"))))
    ws = load(path)["Data"]
    assert ws.tables["T"].ref == "A1:C2"
    assert [c.name for c in ws.tables["T"].tableColumns] == ["key", "typed by hand", "Column3"]
    assert ws["C1"].value == "Column3"


def test_workbook_without_style_sheet_or_shared_strings_and_prefixed_sheet_is_written(tmp_path):
    plain = '<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row>'
    prefixed = ('<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>id</x:t></x:is></x:c></x:row>'
                '<x:row r="2"><x:c r="A2"><x:v>1</x:v></x:c></x:row>')
    path = write_raw_book(tmp_path / "bare.xlsx", {"Plain": raw_sheet(plain),
                                                   "Prefixed": raw_sheet(prefixed, '<x:pageMargins left="0.7" '
                                                                         'right="0.7" top="0.75" bottom="0.75" '
                                                                         'header="0.3" footer="0.3"/>', "x:")},
                          styles=False)
    changes = Changes(outputs=(VALIDATION,), marks=(Mark("Plain!A2", "m"), Mark("Prefixed!A2", "m")),
                      updates=(CellUpdate("Plain", 3, 0, date(2026, 1, 2)), CellUpdate("Prefixed", 2, 1, "x")))
    apply_changes(path, changes)
    wb = load(path)
    assert wb["Plain"]["A3"].value == datetime(2026, 1, 2) and wb["Plain"]["A3"].number_format == "yyyy-mm-dd"
    assert (wb["Prefixed"]["A2"].value, wb["Prefixed"]["B2"].value) == (1, "x")
    assert [s for s, _ in mark_rules(wb["Prefixed"])] == ["A2"]
    xml = sheet_xml(path, "Prefixed")
    assert "<x:c r=\"B2\"" in xml and xml.index("x:conditionalFormatting") < xml.index("x:pageMargins")
    with zipfile.ZipFile(path) as z:
        assert "xl/styles.xml" in z.namelist() and "styles" in z.read("xl/_rels/workbook.xml.rels").decode()


def test_strict_workbook_is_refused_unchanged(tmp_path):
    path = write_raw_book(tmp_path / "strict.xlsx", {"Data": raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')})
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    before = path.read_bytes()
    with pytest.raises(BadFile, match="Strict"):
        apply_changes(path, Changes(marks=()))
    assert path.read_bytes() == before


def test_replaced_output_sheet_drops_its_parts_but_not_a_picture_another_sheet_shows(tmp_path):
    drawing = (f'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"/>')
    rels = f'<Relationship Id="rD" Type="{REL_NS}/drawing" Target="../drawings/drawing{{n}}.xml"/>'
    picture = '<Relationship Id="rP" Type="{0}/image" Target="../media/image1.png"/>'.format(REL_NS)
    extra = {f"xl/drawings/drawing{n}.xml": drawing.encode() for n in (1, 2)}
    extra |= {f"xl/drawings/_rels/drawing{n}.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{picture}</Relationships>").encode() for n in (1, 2)}
    extra["xl/media/image1.png"] = b"\x89PNG fake"
    sheet = raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>', '<drawing r:id="rD"/>')
    path = write_raw_book(tmp_path / "pictures.xlsx", {"Validation": sheet, "Logo": sheet}, extra=extra,
                          sheet_rels={"Validation": rels.format(n=1), "Logo": rels.format(n=2)})
    apply_changes(path, Changes(outputs=(VALIDATION,)))
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
    assert "xl/drawings/drawing1.xml" not in names and "xl/drawings/_rels/drawing1.xml.rels" not in names
    assert {"xl/drawings/drawing2.xml", "xl/media/image1.png"} <= names  # the Logo sheet still shows it


def test_output_sheet_cannot_replace_a_chart_sheet(tmp_path, book):
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Id="rIdC" Type="{REL_NS}/chartsheet" '
                             'Target="chartsheets/sheet1.xml"/></Relationships>'.encode())
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"</sheets>", f'<sheet xmlns:r="{REL_NS}" name="Aging" sheetId="99" r:id="rIdC"/></sheets>'.encode())
    parts["xl/chartsheets/sheet1.xml"] = f'<chartsheet xmlns="{MAIN_NS}"/>'.encode()
    with zipfile.ZipFile(book, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    before = book.read_bytes()
    with pytest.raises(DoesNotFit, match="Aging"):
        apply_changes(book, Changes(outputs=(VALIDATION._replace(name="Aging"),)))
    assert book.read_bytes() == before


def test_unchanged_parts_are_byte_identical_and_parsed_parts_not_rewritten(book):
    with zipfile.ZipFile(book) as z:
        before = {n: z.read(n) for n in z.namelist()}
    apply_changes(book, Changes(marks=(Mark("Invoices!B2", "m"),)))
    with zipfile.ZipFile(book) as z:
        after = {n: z.read(n) for n in z.namelist()}
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed == {"xl/worksheets/sheet3.xml", "xl/styles.xml"}  # the marked sheet, the mark's fill
    assert set(after) == set(before)
