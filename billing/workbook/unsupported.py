"""The package writer's own exception, apart so its modules share it without import cycles."""

from billing.errors import BadFile


class DoesNotFit(BadFile, ValueError):
    """The changes cannot be written into this workbook as it is (a value inside merged
    cells or into part of an array formula, a table column name taken): a `BadFile`, so the
    user gets one line naming the cell and the file stays as it was, and a `ValueError`,
    as `apply_changes` promises for changes that do not fit."""
