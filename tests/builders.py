"""Workbooks built by the tests themselves: sheets given as header + rows, Tables or not."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table

WORKBOOK_ID = "5f0c6f1e-3b7a-4c1d-9d2e-8a6b4c3d2e1f"


def base_sheets() -> dict[str, list[list]]:
    """A small valid billing workbook: two customers, rates, three invoices, payments."""
    return copy.deepcopy(
        {
            "Settings": [
                ["key", "value"],
                ["workbook_id", WORKBOOK_ID],
                ["company_name", "Example GmbH"],
                ["base_currency", "EUR"],
                ["rounding", "half_up"],
            ],
            "Customers": [
                ["customer_id", "name", "vat_id", "email", "currency", "terms", "iban"],
                ["C1", "Alpha GmbH", "DE136695976", "ap@alpha.example", "EUR", "NET30", "DE89370400440532013000"],
                ["C2", "Beta BV", None, None, "EUR", "2/10 NET30", "NL91ABNA0417164300;GB82WEST12345698765432"],
            ],
            "TaxRates": [
                ["tax_code", "rate", "kind", "description"],
                ["S19", 0.19, "standard", "19 %"],
                ["R7", 0.07, "reduced", "7 %"],
                ["EX", 0, "exempt", "exempt"],
            ],
            "Invoices": [
                ["invoice_key", "invoice_no", "kind", "customer_id", "issue_date", "terms", "due_date",
                 "currency", "discount_pct", "status", "void_reason", "corrects", "payment_reference",
                 "tax_code", "net", "tax", "gross"],
                ["K1", "INV-2026-000001", "invoice", "C1", dt.date(2026, 10, 1), None, None, "EUR", None,
                 "issued", None, None, "RF18539007547034", None, None, None, None],
                ["K2", None, None, "C2", "2026-10-15", "NET14", dt.date(2026, 10, 29), "EUR", 0.05,
                 "draft", None, None, None, None, None, None, None],
                ["K3", "CN-2026-000001", "credit_note", "C1", dt.date(2026, 10, 5), None, None, "EUR", None,
                 "issued", None, "INV-2026-000001", None, "S19", 10, None, None],
            ],
            "InvoiceLines": [
                ["invoice_key", "line_no", "description", "quantity", "unit_price", "discount_pct", "tax_code",
                 "net", "tax", "gross"],
                ["K1", 1, "Consulting", 2.5, 120, None, "S19", None, None, None],
                ["K1", 2, "Books", 3, 19.99, 0.1, "R7", None, None, None],
                ["K2", 1, "Support", 1, 500, None, "S19", None, None, None],
            ],
            "Payments": [
                ["payment_id", "value_date", "amount", "currency", "payer_name", "payer_iban", "reference_text"],
                ["P1", dt.date(2026, 10, 20), 100.5, "EUR", "Alpha GmbH", "DE89 3704 0044 0532 0130 00", "RF18539007547034"],
            ],
        }
    )


def write_book(path: Path, sheets: dict[str, list[list]], tables: bool = True, origin: str = "A1") -> Path:
    """Write the sheets; with `tables`, each becomes an Excel Table whose header starts at `origin`."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    first_col = openpyxl.utils.cell.column_index_from_string(origin.rstrip("0123456789"))
    first_row = int(origin.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    cell = ws.cell(row=first_row + r, column=first_col + c, value=value)
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"
                    if isinstance(value, dt.date):
                        cell.number_format = "yyyy-mm-dd"
        if tables and rows:
            width = max(len(r) for r in rows)
            last_row = first_row + max(len(rows) - 1, 1)
            ref = f"{get_column_letter(first_col)}{first_row}:{get_column_letter(first_col + width - 1)}{last_row}"
            ws.add_table(Table(displayName=name, ref=ref))
    wb.save(path)
    return path


def set_cell(sheets: dict[str, list[list]], sheet: str, row: int, column: str, value) -> None:
    """Set a value by Excel row number (header is row 1) and column name."""
    header = sheets[sheet][0]
    sheets[sheet][row - 1][header.index(column)] = value


def shuffled(rows: list[list], order: list[int]) -> list[list]:
    return [[row[i] if i < len(row) else None for i in order] for row in rows]


def write_rich_book(path: Path, sheets: dict[str, list[list]], picture: bytes, vba: bytes | None = None) -> Path:
    """The billing sheets as Excel Tables (written by xlsxwriter, as Excel would lay them out)
    plus what real workbooks carry beside them: a logo picture on Settings, a note of the
    user's on Invoices A2 (and the note Excel keeps beside a threaded comment on Payments
    A2), a list dropdown on Invoices, defined names, and a Dashboard sheet with a formula,
    a chart, a picture in a cell and a hyperlink; `vba` makes it an .xlsm with that
    VBA project. Every sheet gets a relationship part (tests add to them)."""
    import io

    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy-mm-dd", "strings_to_formulas": False,
                                         "strings_to_urls": False})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        width = max(len(r) for r in rows)
        data = [[row[i] if i < len(row) else None for i in range(width)] for row in rows[1:]]
        ws.add_table(0, 0, max(len(rows) - 1, 1), width - 1,
                     {"name": name, "columns": [{"header": h} for h in rows[0]], "data": data})
        if name in ("Invoices", "Payments"):
            author = "Anna" if name == "Invoices" else "tc={5E4B7A47-0000-4000-8000-0000000000AA}"
            ws.write_comment("A2", "checked by Anna", {"author": author})
        if name == "Invoices":
            status = rows[0].index("status")
            ws.data_validation(1, status, 1000, status, {"validate": "list", "source": ["draft", "issued", "void"]})
        if name == "Settings":
            ws.insert_image("E2", "logo.png", {"image_data": io.BytesIO(picture)})
    dash = wb.add_worksheet("Dashboard")
    dash.write_formula("A1", "=SUM(TaxRates!B2:B4)", None, 0.26)
    dash.embed_image("B1", "cell.png", {"image_data": io.BytesIO(picture)})
    dash.write_url("A3", "internal:Invoices!A1", string="to the invoices")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=TaxRates!$B$2:$B$4", "categories": "=TaxRates!$A$2:$A$4"})
    dash.insert_chart("D8", chart)
    for name in sheets:  # a relationship part for every sheet: an external link on each
        wb.get_worksheet_by_name(name).write_url("Z1", "https://example.com/", string="link")
    wb.define_name("BaseCurrency", "=Settings!$B$4")
    wb.define_name("Dashboard!LocalTotal", "=Dashboard!$A$1")
    if vba is not None:
        wb.add_vba_project(io.BytesIO(vba), is_stream=True)
    wb.close()
    return path


RAW_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RAW_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_raw_book(path: Path, sheets: dict[str, str], styles: bool = True, shared_strings: list[str] | None = None,
                   extra: dict[str, bytes] | None = None, sheet_rels: dict[str, str] | None = None) -> Path:
    """A package written by hand, for shapes no library writes: `sheets` maps each sheet's
    name to its whole worksheet XML (sheet1.xml, sheet2.xml, ... in order). Without
    `styles` there is no style sheet; `shared_strings` gives a sharedStrings part;
    `sheet_rels` maps a sheet name to its relationships' inner XML; `extra` adds members."""
    import zipfile

    overrides = [("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")]
    book_rels = []
    entries = []
    for n, name in enumerate(sheets, 1):
        overrides.append((f"/xl/worksheets/sheet{n}.xml",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"))
        book_rels.append(f'<Relationship Id="rId{n}" Type="{RAW_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>')
        entries.append(f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>')
    members = {}
    if styles:
        overrides.append(("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"))
        book_rels.append(f'<Relationship Id="rIdS" Type="{RAW_REL}/styles" Target="styles.xml"/>')
        members["xl/styles.xml"] = (
            f'<styleSheet xmlns="{RAW_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
            '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
    if shared_strings is not None:
        overrides.append(("/xl/sharedStrings.xml",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"))
        book_rels.append(f'<Relationship Id="rIdSS" Type="{RAW_REL}/sharedStrings" Target="sharedStrings.xml"/>')
        items = "".join(f"<si><t>{s}</t></si>" for s in shared_strings)
        members["xl/sharedStrings.xml"] = f'<sst xmlns="{RAW_MAIN}" count="{len(shared_strings)}">{items}</sst>'
    types = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in overrides)
    members["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{types}</Types>')
    members["_rels/.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RAW_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    members["xl/workbook.xml"] = (f'<workbook xmlns="{RAW_MAIN}" xmlns:r="{RAW_REL}"><sheets>{"".join(entries)}'
                                  "</sheets></workbook>")
    members["xl/_rels/workbook.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{"".join(book_rels)}</Relationships>')
    for n, (name, xml) in enumerate(sheets.items(), 1):
        members[f"xl/worksheets/sheet{n}.xml"] = xml
        if sheet_rels and name in sheet_rels:
            members[f"xl/worksheets/_rels/sheet{n}.xml.rels"] = (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f"{sheet_rels[name]}</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in {**members, **(extra or {})}.items():
            z.writestr(name, data)
    return path


def raw_sheet(rows: str, after: str = "", prefix: str = "") -> str:
    """A worksheet's XML around `rows` (the inside of sheetData), with `after` (merged
    cells, conditional formats, ...) after them; `prefix` (`x:`) puts the main namespace
    on a prefix, as some generators write it."""
    p = prefix
    ns = f'xmlns:{p[:-1]}="{RAW_MAIN}"' if p else f'xmlns="{RAW_MAIN}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {ns} xmlns:r="{RAW_REL}">'
            f"<{p}sheetData>{rows}</{p}sheetData>{after}</{p}worksheet>")
