"""Run a row model over a sheet table and report each failure at its cell.

This is the one place that maps pydantic's error `loc` plus the table's origin to a cell:
`loc == ("net",)` on Excel row 7 of a table whose `net` column is E → `Invoices!E7`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

from billing.cells import cell_ref, column_letter
from billing.errors import Finding, error
from billing.gcpause import gc_paused
from billing.tables import read_column
from billing.book import SheetTable
from validation.fields import Rule, describe, rule_of
from validation.limits import Limit


def prepared_column(table: SheetTable, name: str) -> list:
    """A column's cells as the contract reads them, numbers as the cells gave them
    (`billing.tables.read_column`: read once per table, the typed tables take the same reading)."""
    return read_column(table, name, numbers=False)


def rows_of(table: SheetTable) -> list[int]:
    """The table's Excel row numbers as a list, made once per table."""
    if "rows" not in table.derived:
        table.derived["rows"] = table.frame.index.tolist()
    return table.derived["rows"]


def field_rules(model: type[BaseModel]) -> dict[str, Rule]:
    """The `Rule` marker of each field that has one."""
    rules = {}
    for name, info in model.model_fields.items():
        for meta in info.metadata:
            if isinstance(meta, Rule):
                rules[name] = meta
        annotation = info.annotation
        for arg in getattr(annotation, "__args__", ()):  # Optional[Annotated[..., Rule]]
            for meta in getattr(arg, "__metadata__", ()):
                if isinstance(meta, Rule):
                    rules[name] = meta
    return rules


def validate_rows(table: SheetTable, model: type[BaseModel], limit: Limit | None = None) -> list[Finding]:
    """Validate every row of `table` with `model`; the findings name their cells.

    With a `limit`, a column whose findings pass its cap is *full*: from the next row on the
    row model leaves that column out (`_relaxed`), and the column's remaining cells are only
    counted, in one bulk validation (`_count_failures`). So a column wrong on a million rows
    costs about what a right one does."""
    present = [name for name in model.model_fields if table.has(name)]
    absent = {name for name in model.model_fields if name not in present}
    rules = field_rules(model)
    columns = [prepared_column(table, name) for name in present]
    # An optional column left blank throughout has nothing to check: leaving it out of the
    # row dicts saves pydantic a field on every row.
    keep = [i for i, name in enumerate(present)
            if model.model_fields[name].is_required() or any(v is not None for v in columns[i])]
    present, columns = [present[i] for i in keep], [columns[i] for i in keep]
    rows = rows_of(table)
    findings: list[Finding] = []
    full: dict[str, tuple[int, str]] = {}  # column -> (first row index not listed, its rule)
    at = 0
    with gc_paused():
        while at < len(rows):
            names = [n for n in present if n not in full]
            values = [c for n, c in zip(present, columns) if n not in full]
            validate = _relaxed(model, frozenset(full)).__pydantic_validator__.validate_python
            at = _validate_from(table, rows, at, names, values, validate, absent, rules, limit, findings, full)
    for name, (start, rule) in full.items():
        failures = _count_failures(model, name, columns[present.index(name)][start:])
        letters = column_letter(table.columns[name])
        limit.admit(table.sheet, letters, rule, count=failures)
    return findings


def _validate_from(table: SheetTable, rows: list[int], at: int, names: list[str], columns: list[list],
                   validate, absent: set[str], rules: dict[str, Rule], limit: Limit | None,
                   findings: list[Finding], full: dict[str, tuple[int, str]]) -> int:
    """Rows from index `at` on; returns where to go on (the end, or the row after a column
    filled up: the model changes there)."""
    tails = [column[at:] for column in columns] if at else columns
    for index, values in enumerate(zip(*tails), start=at):
        try:
            validate(dict(zip(names, values)))
        except ValidationError as exc:
            filled = _findings(table, exc.errors(include_url=False), rows[index], absent, rules, limit, findings)
            if filled:
                for name, rule in filled:
                    full.setdefault(name, (index + 1, rule))
                return index + 1
    return len(rows)


def _findings(table: SheetTable, errors: Iterable[dict], row: int, absent: set[str],
              rules: dict[str, Rule], limit: Limit | None, out: list[Finding]) -> list[tuple[str, str]]:
    """Add the findings of one row to `out`; the (column, rule) of those beyond the cap."""
    filled = []
    for err in errors:
        field = next((part for part in err["loc"] if isinstance(part, str)), None)
        if field in absent:
            continue  # reported once as a missing column, not on every row
        if limit is not None and field in table.columns:
            rule = rule_of(err, rules.get(field))
            if not limit.admit(table.sheet, column_letter(table.columns[field]), rule):
                filled.append((field, rule))
                continue
        rule, message = describe(err, rules.get(field))
        out.append(error(table.cell(field, row) if field else table.row(row), rule, message))
    return filled


@lru_cache(maxsize=64)
def _relaxed(model: type[BaseModel], full: frozenset[str]) -> type[BaseModel]:
    """The row model with the `full` columns taking anything (they are counted apart)."""
    if not full:
        return model
    return create_model(f"{model.__name__}Relaxed", __base__=model, **{name: (Any, None) for name in full})


@lru_cache(maxsize=64)
def _column_model(model: type[BaseModel], name: str) -> TypeAdapter:
    info = model.model_fields[name]
    return TypeAdapter(list[create_model(f"{model.__name__}_{name}", **{name: (info.annotation, info)})])


def _count_failures(model: type[BaseModel], name: str, values: list) -> int:
    """How many of a column's cells its row model's field refuses (one validation in pydantic's core)."""
    try:
        _column_model(model, name).validate_python([{name: v} for v in values])
    except ValidationError as exc:
        return exc.error_count()
    return 0


def table_shape(table: SheetTable) -> list[Finding]:
    """Headers the contract requires that are missing, headers written twice, rows left out."""
    findings = [
        error(table.header_cell(col.name), "missing_column", f"column '{col.name}' is missing from {table.sheet}")
        for col in table.spec.columns
        if col.required_header and not table.has(col.name)
    ]
    findings += [
        error(cell_ref(table.sheet, table.header_row, index), "duplicate_column",
              f"column '{text}' appears twice; only the first is read")
        for text, index in table.duplicate_headers
    ]
    findings += [
        error(table.row(row), "data_outside_table",
              f"row {row} is below the {table.table_name} table and is not read: extend the table over it")
        for row in table.rows_outside
    ]
    return findings



