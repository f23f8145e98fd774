"""xlbilling from Python: the names a script or a notebook needs, each from its home module.

    from billing import read_book, checked, compute_step

`import billing` loads nothing but this file: each name is imported from its home module the
first time it is used (PEP 562), so `from billing import Money` does not pay for pandas, and
`from billing import read_book` pays for the workbook reader only. Everything not listed here
stays reachable at its module path (`billing.receivables.dso`, `billing.sealing.keys`, …).
Inside the package, modules import from the defining module, never from `billing` itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Each public name by its home module, grouped as a user meets them.
_HOMES: dict[str, tuple[str, ...]] = {
    # records and errors
    "billing.errors": ("BadFile", "Finding"),
    "billing.money": ("Money", "to_decimal", "quantize", "format_amount"),
    "billing.settings": ("Settings",),
    "billing.book": ("Book", "SheetTable"),
    "billing.tables": ("Tables", "typed_tables"),
    "billing.changes": ("Changes", "OutputSheet", "CellUpdate", "HeaderAdd", "Mark"),
    # dates and the domain
    "billing.invoicing.terms": ("parse_terms", "due_date"),
    "billing.invoicing.compute": ("compute", "Computed"),
    "billing.invoicing.rf_reference": ("rf_reference", "is_rf_reference"),
    "billing.bank": ("read_statement",),
    "billing.matching": ("match_tables",),
    "billing.receivables.aging": ("age",),
    "billing.store": ("open_store",),
    # workbook files
    "billing.workbook.read": ("read_book",),
    "billing.workbook.write": ("apply_changes",),
    "billing.workbook.newfile": ("write_workbook",),
    "billing.workbook.create": ("create_workbook",),
    # the workflow: checking, the steps, the close, sealing, the sample
    "validation": ("validate_book",),
    "billing.pipeline": ("checked",),
    "billing.pipeline.steps": ("compute_step", "number_step", "match_step", "receivables_step"),
    "billing.pipeline.close": ("close", "CloseOptions"),
    "billing.pipeline.seal": ("seal_path",),
    "billing.sealing.seal": ("seal_workbook",),
    "billing.sealing.verify": ("verify_workbook",),
    "billing.sample": ("generate_sample",),
}

__all__ = [
    "BadFile", "Finding", "Money", "to_decimal", "quantize", "format_amount", "Settings",
    "Book", "SheetTable", "Tables", "typed_tables",
    "Changes", "OutputSheet", "CellUpdate", "HeaderAdd", "Mark",
    "parse_terms", "due_date", "compute", "Computed", "rf_reference", "is_rf_reference",
    "read_statement", "match_tables", "age", "open_store",
    "read_book", "apply_changes", "write_workbook", "create_workbook",
    "validate_book", "checked", "compute_step", "number_step", "match_step", "receivables_step",
    "close", "CloseOptions", "seal_path", "seal_workbook", "verify_workbook", "generate_sample",
]

_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> object:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'billing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what the names are, for type checkers and editors; never run
    from billing.bank import read_statement
    from billing.book import Book, SheetTable
    from billing.changes import CellUpdate, Changes, HeaderAdd, Mark, OutputSheet
    from billing.errors import BadFile, Finding
    from billing.invoicing.compute import Computed, compute
    from billing.invoicing.rf_reference import is_rf_reference, rf_reference
    from billing.invoicing.terms import due_date, parse_terms
    from billing.matching import match_tables
    from billing.money import Money, format_amount, quantize, to_decimal
    from billing.pipeline import checked
    from billing.pipeline.close import CloseOptions, close
    from billing.pipeline.seal import seal_path
    from billing.pipeline.steps import compute_step, match_step, number_step, receivables_step
    from billing.receivables.aging import age
    from billing.sample import generate_sample
    from billing.sealing.seal import seal_workbook
    from billing.sealing.verify import verify_workbook
    from billing.settings import Settings
    from billing.store import open_store
    from billing.tables import Tables, typed_tables
    from billing.workbook.create import create_workbook
    from billing.workbook.newfile import write_workbook
    from billing.workbook.read import read_book
    from billing.workbook.write import apply_changes
    from validation import validate_book
