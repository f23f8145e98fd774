"""A new billing workbook, laid out for a person who works in Excel.

`create_workbook(path)` writes the input sheets of the workbook contract in its order,
each an Excel Table named after its sheet with the contract's headers in row 1, a frozen
header, column widths, number formats by column kind (on the data rows, on a margin of
empty rows below and as the column default) and dropdowns for the coded columns. With
`data` (a `SampleData`) the rows are filled in; without, Settings holds every setting with
its default and a fresh `workbook_id`, and TaxRates a small standard list.

The file is written to a temporary file beside the target and moved into place, so a
reader never sees half a workbook; an existing file is only replaced with `overwrite=True`.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple, Protocol, Sequence

from babel import Locale
from babel.numbers import get_territory_currencies
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from billing.atomic import NEW_FILE_MODE, publish_new, write_atomically
from billing.collections.reference_rates import reference_rate_rows
from billing.contract import (DISPUTE_REASONS, DISPUTE_STATUSES, DOCUMENT_FORMATS, FORMATS, INPUT_SHEETS,
                              INVOICE_KINDS, INVOICE_STATUSES, LANGUAGES, PERIODS, PRORATIONS, TAX_KINDS, TIMINGS,
                              USAGE_PRICING, YES_NO, Kind, SheetSpec)
from billing.money import is_currency
from billing.settings import SETTING_DEFAULTS, STANDARD_TAX_RATES, default_settings
from billing.changes import TABLE_STYLE, TEXT, cell_value

LISTS_SHEET = "_lists"
CURRENCY_NAME = "CurrencyCodes"  # defined name of the currency list on the helper sheet
COMMON_TERMS = ("NET14", "NET30", "NET60", "EOM30", "2/10 NET30", "DUE")
#: dropdowns and formats reach this far below the data (at least to row `_MIN_RANGE_ROWS`)
_MARGIN_ROWS = 1000
_MIN_RANGE_ROWS = 10_000
_FORMATTED_EMPTY_ROWS = 50  # empty rows below the table that carry the cell formats
_MIN_WIDTH = {Kind.DATE: 12, Kind.MONEY: 13, Kind.RATE: 9, Kind.NUMBER: 10, Kind.INTEGER: 8, Kind.TEXT: 10}
_MAX_WIDTH = 48
_WIDTH_SAMPLE_ROWS = 2000
_SETTING_CHOICES = {  # strict dropdowns on Settings values
    "price_mode": ("net", "gross"),
    "tax_rounding": ("line", "invoice"),
    "rounding": ("half_up", "half_even"),
    "aging_basis": ("due_date", "issue_date"),
    "interest_day_count": ("act/365", "act/360"),
    "smtp_starttls": YES_NO,
}


class SheetRows(Protocol):
    """The rows a new workbook is filled with (`billing.sample.SampleData` is one): the
    file writer takes them as data and never imports the sample generator."""

    @property
    def settings(self) -> Sequence[tuple[str, object]]: ...  # (key, value) pairs

    @property
    def tax_rates(self) -> Sequence[Mapping[str, object]]: ...

    def rows(self, sheet_name: str) -> Sequence[Mapping[str, object]]: ...  # by contract column name


def create_workbook(
    path: str | os.PathLike[str],
    data: SheetRows | None = None,
    *,
    workbook_id: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a new billing workbook at `path` (an `.xlsx`) and return its path.

    Without `data`: Settings with every default and a fresh uuid4 `workbook_id` (or the
    one given), TaxRates with the standard codes, the other tables empty. With `data`:
    its rows; a `workbook_id` given here replaces the one in `data.settings`.
    Raises FileExistsError if `path` exists and `overwrite` is false.
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValueError(f"{target.name}: a new workbook is an .xlsx file")
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True to replace it")
    workbook = build_workbook(data, workbook_id=workbook_id)
    _save_atomically(workbook, target, overwrite)
    return target


def build_workbook(data: SheetRows | None = None, *, workbook_id: str | None = None) -> Workbook:
    """The openpyxl Workbook `create_workbook` saves (nothing is written to disk)."""
    settings = _settings_rows(data, workbook_id)
    tax_rates = data.tax_rates if data else STANDARD_TAX_RATES
    wb = Workbook()
    wb.remove(wb.active)
    for spec in INPUT_SHEETS:
        if spec.name == "Settings":
            rows: Sequence[dict[str, object]] = settings
        elif spec.name == "TaxRates":
            rows = tax_rates
        elif spec.name == "InterestRates" and not data:
            rows = reference_rate_rows()  # the published reference rates: the template starts from them
        else:
            rows = data.rows(spec.name) if data else ()
        ws = wb.create_sheet(spec.name)
        _write_table(ws, spec, rows)
        _add_validations(ws, spec, rows)
    _write_lists_sheet(wb)
    wb.active = 0
    wb.properties.creator = "xlbilling"
    wb.properties.title = "Billing workbook"
    return wb


def current_currencies(today: date | None = None) -> list[str]:
    """ISO 4217 codes in use somewhere today: the common ones first, then A to Z."""
    today = today or date.today()
    codes: set[str] = set()
    for territory in Locale("en").territories:
        if len(territory) == 2 and territory.isalpha():
            codes.update(get_territory_currencies(territory, today, tender=True, non_tender=False))
    common = ["EUR", "USD", "GBP", "CHF"]
    return common + sorted(c for c in codes if c not in common and is_currency(c))


# --------------------------------------------------------------------------- sheets


def _settings_rows(data: SheetRows | None, workbook_id: str | None) -> list[dict[str, object]]:
    pairs = list(data.settings) if data else list(default_settings(workbook_id))
    if workbook_id:
        pairs = [(k, workbook_id if k == "workbook_id" else v) for k, v in pairs]
    meaning = {key: text for key, (_default, text) in SETTING_DEFAULTS.items()}
    return [{"key": k, "value": v, "meaning": meaning.get(k)} for k, v in pairs]


def _headers(spec: SheetSpec) -> tuple[str, ...]:
    """The contract's columns, plus an explanatory `meaning` column on Settings."""
    return spec.column_names + (("meaning",) if spec.name == "Settings" else ())


def _kind(spec: SheetSpec, header: str) -> Kind:
    return spec.column(header).kind if header in spec.column_names else Kind.TEXT


def _write_table(ws: Worksheet, spec: SheetSpec, rows: Sequence[dict[str, object]]) -> None:
    headers = _headers(spec)
    kinds = [_kind(spec, h) for h in headers]
    formats = [FORMATS.get(k) for k in kinds]
    ws.append(headers)
    for r, row in enumerate(rows, start=2):
        for c, header in enumerate(headers, start=1):
            value = row.get(header)
            if value is not None:  # blank cells are not written at all
                _put(ws.cell(r, c), value, formats[c - 1])
    last_row = max(2, len(rows) + 1)  # a Table needs one data row, even an empty one
    for c, (header, kind, fmt) in enumerate(zip(headers, kinds, formats), start=1):
        dimension = ws.column_dimensions[get_column_letter(c)]
        dimension.width = _width(header, kind, (r.get(header) for r in rows))
        if fmt:
            dimension.number_format = fmt  # the column's default for cells typed later
            for r in range(len(rows) + 2, last_row + _FORMATTED_EMPTY_ROWS + 1):
                ws.cell(r, c).number_format = fmt
    ref = f"A1:{get_column_letter(len(headers))}{last_row}"
    ws.add_table(
        Table(
            displayName=spec.name,
            ref=ref,
            autoFilter=AutoFilter(ref=ref),
            tableColumns=[TableColumn(id=i, name=h) for i, h in enumerate(headers, start=1)],
            tableStyleInfo=TableStyleInfo(name=TABLE_STYLE, showRowStripes=True),
        )
    )
    ws.freeze_panes = "A2"


def _put(cell: Cell, value: object, number_format: str | None) -> None:
    """Write a value as what it is (`billing.changes.cell_value`): text always text (typed
    `s`: never a formula or an error code, whatever it looks like), a number or date with
    its column's format."""
    written = cell_value(value, cell.coordinate)
    if written is None:
        return
    cell.value = written.value
    if written.kind == TEXT:
        cell.data_type = "s"
    elif number_format:
        cell.number_format = number_format


def _width(header: str, kind: Kind, values: Iterable[object]) -> float:
    longest = len(header)
    for n, value in enumerate(values):
        if n >= _WIDTH_SAMPLE_ROWS:
            break
        if isinstance(value, str):
            longest = max(longest, len(value))
        elif isinstance(value, (int, Decimal)) and kind in (Kind.MONEY, Kind.NUMBER):
            longest = max(longest, len(f"{value:,.2f}"))
    return float(min(_MAX_WIDTH, max(_MIN_WIDTH[kind], longest + 2)))


def _write_lists_sheet(wb: Workbook) -> None:
    """The hidden last sheet with lists too long for a dropdown's literal (255 chars)."""
    ws = wb.create_sheet(LISTS_SHEET)
    currencies = current_currencies()
    ws.append(["currency"])
    for code in currencies:
        ws.append([code])
    ws.sheet_state = "hidden"
    wb.defined_names.add(DefinedName(CURRENCY_NAME, attr_text=f"{LISTS_SHEET}!$A$2:$A${len(currencies) + 1}"))


# --------------------------------------------------------------------------- dropdowns


def _list_literal(values: Iterable[str]) -> str:
    return '"' + ",".join(values) + '"'


def _dropdown(formula: str, *, strict: bool = True, title: str = "", message: str = "") -> DataValidation:
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop" if strict else "warning",
        errorTitle=title or None,
        error=message or None,
    )


class _List(NamedTuple):
    """A dropdown: its list formula, whether other values are refused, and its error text."""

    formula: str
    strict: bool
    title: str
    message: str

    def validation(self) -> DataValidation:
        return _dropdown(self.formula, strict=self.strict, title=self.title, message=self.message)


_TERMS_LIST = _List(_list_literal(COMMON_TERMS), False, "Payment terms",
                    "Not a common terms code. Valid are NET<n>, EOM<n>, <p>/<d> NET<n> and DUE.")
_CURRENCY_LIST = _List(CURRENCY_NAME, True, "Currency", "Use an ISO 4217 code such as EUR.")
_TAX_CODE_LIST = _List('INDIRECT("TaxRates[tax_code]")', True, "Tax code", "Not a tax_code of the TaxRates sheet.")
_ON_HOLD_LIST = _List(_list_literal(YES_NO), True, "On hold", "yes stops reminders; no or blank: it does not.")
_CUSTOMER_LIST = _List('INDIRECT("Customers[customer_id]")', True, "Customer",
                       "Not a customer_id of the Customers sheet.")
_CONTRACT_LIST = _List('INDIRECT("Contracts[contract_id]")', True, "Contract",
                       "Not a contract_id of the Contracts sheet.")
#: the dropdown of each coded column, by sheet and column
_COLUMN_LISTS: dict[str, dict[str, _List]] = {
    "Customers": {"currency": _CURRENCY_LIST, "terms": _TERMS_LIST,
                  "document_format": _List(_list_literal(DOCUMENT_FORMATS), True, "Document format",
                                           "Pick a format from the list; blank: the Settings' document_format."),
                  "on_hold": _ON_HOLD_LIST,
                  "language": _List(_list_literal(LANGUAGES), True, "Language", "en or de; blank: en.")},
    "TaxRates": {"kind": _List(_list_literal(TAX_KINDS), True, "Tax kind", "Pick a kind from the list.")},
    "Invoices": {
        "kind": _List(_list_literal(INVOICE_KINDS), True, "Kind", "invoice or credit_note."),
        "customer_id": _CUSTOMER_LIST,
        "terms": _TERMS_LIST,
        "currency": _CURRENCY_LIST,
        "status": _List(_list_literal(INVOICE_STATUSES), True, "Status", "draft, issued or void."),
        "tax_code": _TAX_CODE_LIST,
        "on_hold": _ON_HOLD_LIST,
    },
    "InvoiceLines": {
        "invoice_key": _List('INDIRECT("Invoices[invoice_key]")', True, "Invoice",
                             "Not an invoice_key of the Invoices sheet."),
        "tax_code": _TAX_CODE_LIST,
    },
    "Payments": {"currency": _CURRENCY_LIST},
    "Disputes": {
        "invoice_no": _List('INDIRECT("Invoices[invoice_no]")', True, "Invoice",
                            "Not an invoice_no of the Invoices sheet."),
        "reason": _List(_list_literal(DISPUTE_REASONS), True, "Reason", "Pick a reason from the list."),
        "status": _List(_list_literal(DISPUTE_STATUSES), True, "Status", "open, resolved, credited or rejected."),
    },
    "Contracts": {
        "customer_id": _CUSTOMER_LIST,
        "currency": _CURRENCY_LIST,
        "tax_code": _TAX_CODE_LIST,
        # not strict: every_<n>_months is a period too
        "period": _List(_list_literal(PERIODS), False, "Billing period",
                        "Not a common period. Valid are monthly, quarterly, half_yearly, yearly and every_<n>_months."),
        "timing": _List(_list_literal(TIMINGS), True, "Timing", "advance or arrears; blank: advance."),
        "proration": _List(_list_literal(PRORATIONS), True, "Proration", "none, days or months; blank: days."),
        "on_hold": _List(_list_literal(YES_NO), True, "On hold", "yes: not billed; no or blank: billed."),
        "usage_pricing": _List(_list_literal(USAGE_PRICING), True, "Usage pricing",
                               "volume or graduated (tiers from PriceTiers); blank: the unit_price."),
    },
    "Usage": {"contract_id": _CONTRACT_LIST},
    "PriceTiers": {"contract_id": _CONTRACT_LIST},
}
#: dropdowns on the `value` cell of coded settings
_SETTING_LISTS: dict[str, _List] = {
    **{key: _List(_list_literal(values), True, key, "Pick a value from the list.")
       for key, values in _SETTING_CHOICES.items()},
    "base_currency": _CURRENCY_LIST,
    "default_terms": _TERMS_LIST,
}


def _add_validations(ws: Worksheet, spec: SheetSpec, rows: Sequence[dict[str, object]]) -> None:
    """Dropdowns on the coded columns, from row 2 to well below the data."""
    headers = _headers(spec)
    last = max(_MIN_RANGE_ROWS, len(rows) + _MARGIN_ROWS) + 1
    for name, choices in _COLUMN_LISTS.get(spec.name, {}).items():
        letter = get_column_letter(headers.index(name) + 1)
        validation = choices.validation()
        validation.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(validation)
    if spec.name == "Settings":
        value_column = get_column_letter(headers.index("value") + 1)
        for n, row in enumerate(rows, start=2):
            if row.get("key") in _SETTING_LISTS:
                validation = _SETTING_LISTS[str(row["key"])].validation()
                validation.add(f"{value_column}{n}")
                ws.add_data_validation(validation)


# --------------------------------------------------------------------------- saving


def _save_atomically(workbook: Workbook, target: Path, overwrite: bool) -> None:
    """Save through a temporary file beside `target` (`billing.atomic`); without `overwrite`,
    a `target` that appeared meanwhile is not clobbered (FileExistsError)."""
    if overwrite:
        # a new workbook, not the old one edited: the permissions of a new file (the umask)
        write_atomically(target, workbook.save, mode=NEW_FILE_MODE)
        return
    try:
        publish_new(target, workbook.save, links_optional=True)  # a share without hard links still works
    except FileExistsError:
        raise FileExistsError(f"{target} already exists; pass overwrite=True to replace it") from None
