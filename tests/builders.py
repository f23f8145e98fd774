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
