"""Run a row model over a sheet table and report each failure at its cell.

This is the one place that maps pydantic's error `loc` plus the table's origin to a cell:
`loc == ("net",)` on Excel row 7 of a table whose `net` column is E → `Invoices!E7`.
"""

from __future__ import annotations

from typing import Iterable

from pydantic import BaseModel, ValidationError

from billing.cells import cell_ref
from billing.errors import Finding, error
from billing.gcpause import gc_paused
from billing.tables import read_column
from billing.xlsx_read import SheetTable
from validation.fields import Rule, describe


def prepared_column(table: SheetTable, name: str) -> list:
    """A column's cells as the contract reads them (`billing.tables.read_column`), once."""
    key = ("prepared", name)
    if key not in table.derived:
        table.derived[key] = read_column(table, name, numbers=False)
    return table.derived[key]


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


def validate_rows(table: SheetTable, model: type[BaseModel]) -> list[Finding]:
    """Validate every row of `table` with `model`; the findings name their cells."""
    present = [name for name in model.model_fields if table.has(name)]
    absent = {name for name in model.model_fields if name not in present}
    rules = field_rules(model)
    columns = [prepared_column(table, name) for name in present]
    # An optional column left blank throughout has nothing to check: leaving it out of the
    # row dicts saves pydantic a field on every row.
    keep = [i for i, name in enumerate(present)
            if model.model_fields[name].is_required() or any(v is not None for v in columns[i])]
    present, columns = [present[i] for i in keep], [columns[i] for i in keep]
    findings: list[Finding] = []
    validate = model.__pydantic_validator__.validate_python  # model_validate minus a Python frame
    with gc_paused():
        for row, values in zip(table.frame.index.tolist(), zip(*columns)):
            try:
                validate(dict(zip(present, values)))
            except ValidationError as exc:
                findings.extend(_findings(table, exc.errors(include_url=False), row, absent, rules))
    return findings


def _findings(table: SheetTable, errors: Iterable[dict], row: int, absent: set[str],
              rules: dict[str, Rule]) -> Iterable[Finding]:
    for err in errors:
        field = next((part for part in err["loc"] if isinstance(part, str)), None)
        if field in absent:
            continue  # reported once as a missing column, not on every row
        rule, message = describe(err, rules.get(field))
        yield error(table.cell(field, row) if field else table.row(row), rule, message)


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



