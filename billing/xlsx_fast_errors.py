"""The fast writer's one exception, apart so its modules share it without import cycles."""


class Unsupported(Exception):
    """This change needs the openpyxl writer (`billing.xlsx_write` falls back to it)."""
