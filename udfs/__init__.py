"""Worksheet functions (xlwings `@xw.func`): thin wrappers over `billing/`.

Each function converts its arguments in one line, calls the domain core and converts the
result back; it returns a readable `#XLB: …` error string instead of raising. The
functions arrive with the Excel layer (issue 8).
"""
