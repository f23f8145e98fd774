"""Rules across rows and sheets: unique keys, references, and consistency within a row.

Each rule is vectorised over whole columns (pandas `duplicated`, `isin`, comparisons), so
100k invoices cost milliseconds here. Cells are read as validation's row models read them
(`prepared_column`), and every finding names the cell that must change: the later
duplicate, the dangling reference, the due date.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import pandas as pd

from billing.errors import Finding, error, warning
from billing.xlsx_read import Book, SheetTable
from validation.rows import prepared_column


def columns(table: SheetTable | None, *names: str) -> pd.DataFrame:
    """The named columns as the row models read them (absent columns all blank)."""
    if table is None:
        return pd.DataFrame(columns=list(names))
    data = {n: prepared_column(table, n) if table.has(n) else [None] * len(table) for n in names}
    return pd.DataFrame(data, index=table.frame.index, dtype=object)


def unique(table: SheetTable | None, column: str, rule: str = "duplicate_key") -> list[Finding]:
    """Every repeat of a non-blank value after its first row."""
    if table is None or not table.has(column):
        return []
    values = columns(table, column)[column].dropna()
    repeats = values[values.duplicated(keep="first")]
    if repeats.empty:
        return []
    first_row = values.reset_index().groupby(column, sort=False)["row"].first()
    return [
        error(table.cell(column, row), rule, f"{column} '{value}' is also on row {first_row[value]}")
        for row, value in repeats.items()
    ]


def known(table: SheetTable | None, column: str) -> set:
    if table is None or not table.has(column):
        return set()
    return set(columns(table, column)[column].dropna())


def references(table: SheetTable | None, column: str, keys: set, rule: str, what: str) -> list[Finding]:
    """Every non-blank value of `column` that is not among the `keys`."""
    if table is None or not table.has(column):
        return []
    values = columns(table, column)[column].dropna()
    dangling = values[~values.isin(keys)]
    return [error(table.cell(column, row), rule, f"{what} '{value}' does not exist") for row, value in dangling.items()]


def _is_date(series: pd.Series) -> pd.Series:
    return pd.Series([type(v) is dt.date for v in series], index=series.index)


def invoice_rules(invoices: SheetTable, line_keys: set) -> list[Finding]:
    """Rules within the Invoices sheet and between invoices and their lines."""
    frame = columns(invoices, "invoice_key", "invoice_no", "kind", "customer_id", "issue_date", "due_date",
                    "status", "void_reason", "corrects", "tax_code", "net", "gross")
    if frame.empty:
        return []
    findings: list[Finding] = []
    cell = invoices.cell

    dated = frame[_is_date(frame["issue_date"]) & _is_date(frame["due_date"])]
    for row in dated.index[dated["due_date"] < dated["issue_date"]]:
        findings.append(error(cell("due_date", row), "due_before_issue",
                              f"due date {dated.at[row, 'due_date']} is before the issue date "
                              f"{dated.at[row, 'issue_date']}"))

    status = frame["status"].fillna("draft")
    lineless = ~frame["invoice_key"].isin(line_keys) & (status != "void")
    no_amount = lineless & frame["net"].isna() & frame["gross"].isna()
    for row in frame.index[no_amount]:
        findings.append(error(cell("net", row), "missing_amount",
                              "an invoice without lines needs its net (or gross) and tax_code"))
    for row in frame.index[lineless & ~no_amount & frame["tax_code"].isna()]:
        findings.append(error(cell("tax_code", row), "required", "an invoice without lines needs its tax_code"))

    for row in frame.index[(status == "void") & frame["void_reason"].isna()]:
        findings.append(warning(cell("void_reason", row), "void_without_reason",
                                "a void invoice should say why in void_reason"))

    kind = frame["kind"].fillna("invoice")
    numbered = frame.loc[kind != "credit_note", ["invoice_no", "customer_id"]].dropna()
    owner = dict(zip(numbered["invoice_no"], numbered["customer_id"]))
    credits = frame[(kind == "credit_note") & frame["corrects"].notna()]
    for row, corrected, customer in zip(credits.index, credits["corrects"], credits["customer_id"]):
        if corrected not in owner:
            findings.append(error(cell("corrects", row), "unknown_corrected_invoice",
                                  f"credit note corrects invoice '{corrected}', which is not in Invoices"))
        elif owner[corrected] != customer:
            findings.append(error(cell("corrects", row), "corrects_other_customer",
                                  f"invoice '{corrected}' belongs to customer '{owner[corrected]}', not '{customer}'"))
    for row in frame.index[(kind == "invoice") & frame["corrects"].notna()]:
        findings.append(warning(cell("corrects", row), "corrects_on_invoice",
                                "only a credit note corrects an invoice; set kind to credit_note"))
    return findings


def line_rules(lines: SheetTable) -> list[Finding]:
    frame = columns(lines, "invoice_key", "line_no")
    numbered = frame[frame["line_no"].notna() & frame["invoice_key"].notna()]
    repeats = numbered.duplicated(["invoice_key", "line_no"], keep="first")
    return [
        error(lines.cell("line_no", row), "duplicate_line_no",
              f"line {numbered.at[row, 'line_no']:g} of invoice '{numbered.at[row, 'invoice_key']}' appears twice")
        for row in numbered.index[repeats]
        if isinstance(numbered.at[row, "line_no"], (int, float))
    ]


def cross_sheet_rules(book: Book) -> Iterable[Finding]:
    """Unique keys and references between the sheets."""
    customers, rates = book.get("Customers"), book.get("TaxRates")
    invoices, lines, payments = book.get("Invoices"), book.get("InvoiceLines"), book.get("Payments")
    yield from unique(customers, "customer_id")
    yield from unique(rates, "tax_code")
    yield from unique(payments, "payment_id")
    yield from unique(invoices, "invoice_key")
    yield from unique(invoices, "invoice_no", "duplicate_invoice_no")
    tax_codes = known(rates, "tax_code")
    yield from references(invoices, "customer_id", known(customers, "customer_id"), "unknown_customer", "customer")
    yield from references(invoices, "tax_code", tax_codes, "unknown_tax_code", "tax code")
    yield from references(lines, "tax_code", tax_codes, "unknown_tax_code", "tax code")
    yield from references(lines, "invoice_key", known(invoices, "invoice_key"), "unknown_invoice", "invoice_key")
    if invoices is not None:
        yield from invoice_rules(invoices, known(lines, "invoice_key"))
    if lines is not None:
        yield from line_rules(lines)
