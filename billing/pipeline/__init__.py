"""The steps shared by the command line, the ribbon and the month-end close.

`checked(book)` is the preamble every step starts from: validate the read workbook and,
when it is valid, its typed tables. The caller reports an invalid book its own way (the
CLI prints the findings and exits 1, the ribbon writes the Validation sheet, the close
writes them and stops). Imports stay inside the function: importing a pipeline module
loads neither pydantic nor `validation` until a book is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from billing.tables import Tables
    from billing.workbook.read import Book


class Checked(NamedTuple):
    """A validated workbook: the validation's result and, when it is valid, the typed tables."""

    validation: object  # validation.ValidationResult
    tables: Tables | None  # None when the book is invalid

    @property
    def valid(self) -> bool:
        return self.tables is not None


def checked(book: Book, check_computed: bool = False) -> Checked:
    """Validate a read workbook (`check_computed=False`: leave out the comparison of typed
    totals with the computation, what a step does before it overwrites them) and type its
    tables when it is valid."""
    from billing.tables import typed_tables
    from validation import validate_book

    result = validate_book(book, check_computed=check_computed)
    if not result.valid:
        return Checked(result, None)
    return Checked(result, result.tables if result.tables is not None else typed_tables(book, result.settings))
