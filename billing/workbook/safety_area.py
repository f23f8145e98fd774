"""A worksheet's used area as python-calamine lays it out: the gate's bound on dense grids.

python-calamine reads a sheet into a dense grid, from A1 to the last row and the last column
that any cell of the sheet's XML holding something names (`to_python(skip_empty_area=False)`;
its Rust range spans the first to the last such cell). One cell at XFD1048576 thus asks for
17 G cells and the process aborts. The `<dimension>` element does not count (it can lie);
cells do — those with content: an empty cell tag (`<c r="XFD1048576" s="0"/>`, formatting
only, as Gnumeric writes to the end of the grid) is skipped by python-calamine and here.

`MAX_AREA` is 32 columns × all 1,048,576 rows: measured, python-calamine needs 2.2 s and
1.4 GB to hand such a grid to Python (A1 + AF1048576; 52 columns: 4.1 s and 2.2 GB). The
widest contract sheet has 17 columns, so a full-height Invoices sheet with 15 columns of the
user's own still fits, as does a 100,000-row sheet 335 columns wide.

Following a sheet costs one regular expression per buffer in the common case:

* a cell written `<c r="B7"` — a one-letter column, a row of up to six digits, `r` first, as
  Excel, LibreOffice, openpyxl and xlsxwriter write them — lies in columns A..Z, so whatever
  the rows, it keeps the area within 26 × 1,048,576 < `MAX_AREA`;
* any other cell (a column beyond Z, a 7-digit row, attributes in another order, a namespace
  prefix, no `r` at all) is looked at; once one lies beyond column `FREE_WIDTH`, or its place
  is not written out, or many are odd, `needs_exact` is set and the gate makes a second pass,
  `exact_area`, which finds the last row and column exactly: the cell references with one
  regular expression, and, only when some cell has no `r` (python-calamine then places it
  after the previous cell), a walk of the XML with expat that places each cell as
  python-calamine does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.parsers import expat

MAX_ROWS = 1_048_576
#: The largest sheet area (last row × last column referenced) a reader may be given.
MAX_AREA = 32 * MAX_ROWS
#: Columns a sheet may use at any height without the area being counted exactly.
FREE_WIDTH = 32
#: Odd cells looked at one by one before the exact pass is cheaper.
MAX_ODD_CELLS = 10_000
#: Bytes before a buffer's end where a cut-off cell tag is left for the next buffer (the gate
#: keeps as many bytes of each buffer in front of the next one).
OVERLAP = 256

#: A cell tag not of the plain narrow form `<c r="B7"`; a cell tag with a namespace prefix.
#: (Two expressions: each starts with a literal, which `re` searches for fast.)
_ODD_CELL = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]\d{1,6}"[\s/>])')
_PREFIXED_CELL = re.compile(rb':c[\s/>]')
_CELL_R = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]*)(\d*)["']""")
#: Every cell reference: a `r` attribute holding column letters and a row, and whether its
#: tag closes itself (an empty cell).
_ANY_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})(\d{1,7})["'][^>]*?(/?)>""")
#: A cell tag without a `r` attribute.
_PLACELESS = re.compile(rb"""<(?:[\w.-]+:)?c(?=[\s/>])(?![^>]*\sr\s*=)""")


def column_number(letters: bytes | str) -> int:
    """1-based column of letters: A → 1, AA → 27, XFD → 16,384."""
    number = 0
    for letter in letters.upper() if isinstance(letters, str) else letters.upper().decode("ascii"):
        number = number * 26 + ord(letter) - 64
    return number


class SheetArea:
    """Follows one worksheet's XML buffer by buffer; `needs_exact` once the cheap look cannot
    vouch that the area stays within `MAX_AREA`."""

    def __init__(self) -> None:
        self.needs_exact = False
        self._odd = 0

    def scan(self, buf: bytes) -> None:
        if self.needs_exact:
            return
        if _PREFIXED_CELL.search(buf):  # `<x:c`: tags with a prefix are read by the exact pass
            self.needs_exact = True
            return
        for m in _ODD_CELL.finditer(buf):
            start = m.start()
            end = buf.find(b">", start)
            if end < 0:
                if len(buf) - start < OVERLAP:
                    continue  # cut at the buffer's end: the next buffer sees it whole
                self.needs_exact = True
                return
            if buf[end - 1:end] == b"/":
                continue  # an empty cell: python-calamine skips it
            ref = _CELL_R.search(buf, start, end)
            self._odd += 1
            if (ref is None or not ref.group(1) or not ref.group(2) or len(ref.group(1)) > 3
                    or column_number(ref.group(1)) > FREE_WIDTH or self._odd > MAX_ODD_CELLS):
                self.needs_exact = True
                return


def referenced_area(chunks: Iterable[bytes]) -> tuple[int, int] | None:
    """(last row, last column), 1-based, that the sheet's cell references reach; None when
    some cell does not name its place (then only `walk_area` can tell)."""
    rows = columns = 0
    tail = b""
    for chunk in chunks:
        buf = tail + chunk
        if _PLACELESS.search(buf) is not None:
            return None
        for letters, digits, empty in set(_ANY_REF.findall(buf)):
            if empty:
                continue
            columns = max(columns, column_number(letters))
            rows = max(rows, int(digits))
        tail = buf[-OVERLAP:]
    return rows, columns


class CellPlacer:
    """Places cells as python-calamine does: a row without `r` follows the previous row, a
    cell without `r` follows the previous cell of its row; `r` wins where it is written.
    Rows and columns are 1-based."""

    def __init__(self) -> None:
        self.row = self.column = 0

    def start_row(self, attrs: dict[str, str]) -> None:
        r = attrs.get("r", "").strip()
        self.row = int(r) if r.isdigit() else self.row + 1
        self.column = 0

    def place_cell(self, attrs: dict[str, str]) -> tuple[int, int]:
        m = _A1.fullmatch(attrs.get("r", "").strip())
        if m:
            row, column = int(m[2]), column_number(m[1])
        else:
            row, column = self.row, self.column + 1
        self.column = column
        return row, column


_A1 = re.compile(r"([A-Za-z]{1,3})(\d{1,7})")


def walk_area(chunks: Iterable[bytes]) -> tuple[int, int]:
    """(last row, last column) of a sheet walked with expat, every cell placed by `CellPlacer`
    and counted once something is in it (an element: a value, a formula, inline text)."""
    placer = CellPlacer()
    last = [0, 0]
    cell: list[tuple[int, int]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            placer.start_row(attrs)
        elif local == "c":
            cell[:] = [placer.place_cell(attrs)]
        elif cell:
            row, column = cell.pop()
            last[0], last[1] = max(last[0], row), max(last[1], column)

    def end(name: str) -> None:
        if name.rpartition(":")[2] == "c":
            cell.clear()

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)
    return last[0], last[1]
