"""The canonical content digest of a workbook: same content, same digest, whoever saved it.

A seal signs this digest, so it is a format others may verify independently; it is
described here and in `docs/seal-format.md`. Version: `xlbilling-canonical/1`.

**Sheet block** (one per sheet, UTF-8, each line ends in `\\n`)::

    xlbilling-sheet/1
    hidden-rows<TAB>RUNS
    hidden-columns<TAB>RUNS
    rows-hidden-by-default<TAB>0|1
    merged<TAB>RANGES
    REF<TAB>TYPE<TAB>VALUE<TAB>FORMAT      (one line per cell with content, in file order)

* RUNS: the rows (columns, 1-based numbers) marked hidden, merged into maximal runs
  `low-high` in ascending order, joined by `,` (empty when none): `3-3,7-9`.
  `rows-hidden-by-default` is the sheet's `sheetFormatPr zeroHeight`.
* RANGES: the merged ranges as written, upper case, `$` removed, sorted, joined by `,`.
* REF: the cell's A1 reference (upper case). Cells come in the order of the file, which
  ECMA-376 requires to be by row, then column.
* TYPE and VALUE: `n` number (the shortest decimal text that reads back as the same IEEE-754
  double, as Python's `repr(float)`: `46234.0`, `0.19`, `1e-05`, `1.5e+16`; -0 is `0.0`);
  `s` text (shared, inline or `str` alike; rich-text runs concatenated, phonetic runs left
  out; XML entities decoded, Excel's `_xHHHH_` escapes kept as written); `b` boolean
  (`TRUE`/`FALSE`); `e` error (`#N/A`…) and `d` ISO date, as written; `f` formula (its text
  without a leading `=`; a shared formula as each cell's own, relative references moved);
  `fa` array formula (`RANGE FORMULA`). A formula's cached result is not content (programs
  recompute it; some drop it on save). A cell with no value and no formula, or with empty
  text, has no line: a style alone is not content.
* FORMAT: the number format code of the cell's style (`cellXfs[s].numFmtId`, custom codes
  from `numFmts`, built-in ids by the table of ECMA-376 §18.8.30, `builtin:N` for ids
  outside it; `General` when the cell has no style).
* In VALUE, FORMAT and names, `\\` `TAB` `LF` `CR` are written `\\\\` `\\t` `\\n` `\\r`.

A chart sheet or dialog sheet's block is `xlbilling-sheet/1`, then `kind<TAB>chartsheet`
(or `dialogsheet`); a sheet whose part is missing, `kind<TAB>missing`.

**Defined names block**: one line per defined name, `NAME<TAB>SCOPE<TAB>HIDDEN<TAB>FORMULA`
(SCOPE: the sheet name of `localSheetId`, empty for workbook scope; HIDDEN 0|1; the formula
without a leading `=`), sorted; Excel's own `_xlnm._FilterDatabase` is left out.

**Manifest** (the content digest is the SHA-256 of these bytes, in lower-case hex)::

    xlbilling-canonical/1
    date1904<TAB>0|1
    names<TAB>SHA-256 of the defined names block
    vba<TAB>SHA-256 of the macro project (`vbaProject.bin`), empty when there is none
    sheet<TAB>NAME<TAB>STATE<TAB>SHA-256 of its block     (per sheet, in workbook order)

STATE is `visible`, `hidden` or `veryHidden`. The sheet named `_seal` (which carries the
seal) is left out, and so is everything not listed here: fonts, fills, borders, widths,
comments, conditional formats, data validation, Tables, charts, document properties
(the seal's own property among them), sheet and workbook protection.
"""

from __future__ import annotations

import hashlib
import os
from typing import Callable, NamedTuple

from billing.canonical_cells import CellForms, escape
from billing.canonical_keys import KeyedForms
from billing.canonical_parts import SharedStrings, number_formats
from billing.canonical_sheet import SheetParts, read_sheet
from billing.gcpause import gc_paused
from billing.sheet_jobs import Job, run_jobs
from billing.ooxml import Package, local

FORMAT = "xlbilling-canonical/1"
SHEET_FORMAT = "xlbilling-sheet/1"
SEAL_SHEET = "_seal"
_TRUE = ("1", "true")


class SheetDigest(NamedTuple):
    """A sheet's line in the manifest."""

    name: str
    state: str
    digest: str


class Content(NamedTuple):
    """A workbook's canonical content: the digest and what it is made of."""

    digest: str
    sheets: tuple[SheetDigest, ...]
    names_digest: str
    vba_digest: str
    date1904: bool


def sha256(data: bytes) -> str:
    """Lower-case hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def manifest(sheets, names_digest: str, vba_digest: str, date1904: bool) -> bytes:
    """The manifest bytes whose SHA-256 is the content digest."""
    lines = [FORMAT, f"date1904\t{int(date1904)}", f"names\t{names_digest}", f"vba\t{vba_digest}"]
    lines += [f"sheet\t{escape(s.name)}\t{s.state}\t{s.digest}" for s in sheets]
    return ("\n".join(lines) + "\n").encode("utf-8")


def content_digest(sheets, names_digest: str, vba_digest: str, date1904: bool) -> str:
    """The SHA-256 of the manifest."""
    return sha256(manifest(sheets, names_digest, vba_digest, date1904))


def sheet_block(parts: SheetParts) -> bytes:
    """The canonical block of a worksheet."""
    head = [
        SHEET_FORMAT,
        "hidden-rows\t" + ",".join(f"{a}-{b}" for a, b in parts.hidden_rows),
        "hidden-columns\t" + ",".join(f"{a}-{b}" for a, b in parts.hidden_columns),
        f"rows-hidden-by-default\t{int(parts.rows_hidden_by_default)}",
        "merged\t" + ",".join(parts.merged),
    ]
    return ("\n".join(head) + "\n" + parts.cells).encode("utf-8")


class Reading(NamedTuple):
    """What `read_content` found."""

    content: Content
    parts: dict[str, SheetParts]  # each worksheet's parts by sheet name, when asked to keep them
    extra: dict[str, object]  # what `also` made of each worksheet's XML, by part


def read_content(pkg: Package, keep: bool = False, also: Callable[[bytes, str], object] | None = None) -> Reading:
    """The canonical content of an open package.

    `keep`: also return each worksheet's parts (what a cell-by-cell comparison needs).
    `also(xml, part)`: more work to do on each worksheet's XML while it is at hand (the seal
    protects and deflates it); its results come back by part. Big books are read in
    several processes (`billing.sheet_jobs`)."""
    with gc_paused():
        book_part = pkg.workbook_part()
        workbook = pkg.xml(book_part)
        entries = [e for e in pkg.sheets(workbook) if e.name != SEAL_SHEET]
        read = _sheet_reader(pkg, book_part)

        def work(job: Job, xml: bytes) -> tuple:
            """One worksheet: (digest, parts if kept, what `also` made of it)."""
            parts = read(xml, job.name)
            return sha256(sheet_block(parts)), parts if keep else None, also(xml, job.part) if also else None

        jobs = _jobs(pkg, entries)
        done = dict(zip(((j.name, j.part) for j in jobs), run_jobs(str(pkg.path), jobs, work, pkg.read)))
        sheets, kept, extra = [], {}, {}
        for entry in entries:
            if (entry.name, entry.part) in done:
                digest, parts, made = done[(entry.name, entry.part)]
                if keep:
                    kept[entry.name] = parts
                if also:
                    extra[entry.part] = made
            else:
                kind = entry.kind if entry.part is not None else "missing"
                digest = sha256(f"{SHEET_FORMAT}\nkind\t{kind}\n".encode())
            sheets.append(SheetDigest(entry.name, entry.state, digest))
        all_names = [e.name for e in pkg.sheets(workbook)]
        names = sha256(_names_block(workbook, all_names))
        vba_part = pkg.related(book_part, "vbaProject")
        vba = sha256(pkg.read(vba_part)) if vba_part else ""
        date1904 = any(local(c.tag) == "workbookPr" and c.get("date1904") in _TRUE for c in workbook)
        digest = content_digest(sheets, names, vba, date1904)
    return Reading(Content(digest, tuple(sheets), names, vba, date1904), kept, extra)


def read_sheets(pkg: Package, names: set[str]) -> dict[str, SheetParts]:
    """The parts of just these worksheets (what a comparison of changed sheets needs)."""
    with gc_paused():
        book_part = pkg.workbook_part()
        read = _sheet_reader(pkg, book_part)
        jobs = _jobs(pkg, [e for e in pkg.sheets() if e.name in names and e.name != SEAL_SHEET])
        return dict(zip((j.name for j in jobs),
                        run_jobs(str(pkg.path), jobs, lambda job, xml: read(xml, job.name), pkg.read)))


def _sheet_reader(pkg: Package, book_part: str) -> Callable[[bytes, str], SheetParts]:
    """Reads a worksheet's XML into its parts, with the workbook's strings and formats."""
    strings = SharedStrings(pkg, book_part)
    forms = CellForms(strings, number_formats(pkg, book_part))
    keyed = KeyedForms(forms, strings.escaped)
    return lambda xml, name: read_sheet(xml, name, forms, keyed)


def _jobs(pkg: Package, entries) -> list[Job]:
    return [Job(e.name, e.part, pkg.info(e.part).file_size) for e in entries
            if e.part is not None and e.kind in ("worksheet", "macrosheet")]


def _names_block(workbook, sheet_names: list[str]) -> bytes:
    lines = []
    for group in workbook:
        if local(group.tag) != "definedNames":
            continue
        for name in group:
            if local(name.tag) != "definedName" or name.get("name") == "_xlnm._FilterDatabase":
                continue
            scope = name.get("localSheetId")
            sheet = sheet_names[int(scope)] if scope and scope.isdigit() and int(scope) < len(sheet_names) else ""
            if scope and not sheet:
                sheet = f"#{scope}"  # a scope beyond the sheets: kept visible rather than dropped
            formula = name.text or ""
            formula = formula[1:] if formula.startswith("=") else formula
            hidden = int(name.get("hidden") in _TRUE)
            lines.append(f"{escape(name.get('name', ''))}\t{escape(sheet)}\t{hidden}\t{escape(formula)}")
    return "".join(line + "\n" for line in sorted(lines)).encode("utf-8")


def content_of(path: str | os.PathLike) -> Content:
    """The canonical content of the workbook file at `path` (checked by the safety gate first)."""
    with Package(path) as pkg:
        return read_content(pkg).content
