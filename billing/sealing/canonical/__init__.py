"""The canonical content digest of a workbook: same content, same digest, whoever saved it.

A seal signs this digest, so it is a format others may verify independently; it is defined
byte for byte in `docs/seal-format.md`. Two versions, both still verified:

* `xlbilling-canonical/1`: per sheet, every cell with content (`REF TYPE VALUE FORMAT`:
  value or formula text, number format code), hidden rows and columns, rows hidden by
  default and merged ranges; per workbook, the date system, defined names, the macro
  project, the sheets' names, order and visibility.
* `xlbilling-canonical/2` (what new seals use) seals, in addition, what changes what a
  reader sees without changing a cell's value: a formula's cached result (python-calamine
  reads it; Excel shows it under manual calculation), the calculation mode as Excel opens
  the workbook, whether a cell style's text can be read at all (font against fill, font
  size), rows too low and columns too narrow to show anything, default row heights and
  column widths, `showZeros`, the conditional-format rules with the formats they apply, and
  each Excel Table's range and header and totals row counts (xlbilling's reader takes a
  contract sheet's data rows from its Table).

**Sheet block** (UTF-8, every line ends in `\\n`), version 2::

    xlbilling-sheet/2
    hidden-rows<TAB>RUNS
    hidden-columns<TAB>RUNS
    rows-hidden-by-default<TAB>0|1          (zeroHeight, or a default row height below 5 points)
    merged<TAB>RANGES
    low-rows<TAB>RUNS                       (rows with `ht` below 5 points)
    narrow-columns<TAB>RUNS                 (columns with `width` below 1 character)
    columns-hidden-by-default<TAB>0|1
    zeros-shown<TAB>0|1
    conditional-format<TAB>SQREF<TAB>RULE   (one per rule, by priority)
    table<TAB>NAME<TAB>DISPLAYNAME<TAB>REF<TAB>HEADERROWS<TAB>TOTALSROWS   (per Excel Table, sorted)
    REF<TAB>TYPE<TAB>VALUE<TAB>FORMAT<TAB>READABLE<TAB>CACHED   (one per cell with content)

Version 1's block is the first five lines (`xlbilling-sheet/1`) and cell lines of four fields.

**Manifest** (the content digest is its SHA-256), version 2::

    xlbilling-canonical/2
    date1904<TAB>0|1
    calculation<TAB>auto|manual|autoNoTable   (calcMode; `auto` when fullCalcOnLoad is set)
    names<TAB>SHA-256 of the defined names block
    vba<TAB>SHA-256 of the macro project, empty when there is none
    sheet<TAB>NAME<TAB>STATE<TAB>SHA-256 of its block     (per sheet, in workbook order)

Version 1's manifest has no `calculation` line. The sheet `_seal` is left out of both.
"""

from __future__ import annotations

import hashlib
import os
from typing import Callable, NamedTuple

from billing.sealing.canonical.cells import CellForms, escape
from billing.sealing.canonical.scan import KeyedForms
from billing.sealing.canonical.links import EXTERNAL, Link, formula_link
from billing.sealing.canonical.parts import SharedStrings, cell_looks, table_lines
from billing.sealing.canonical.sheet import SheetParts, read_sheet
from billing.gcpause import gc_paused
from billing.sealing.canonical.jobs import Job, run_jobs
from billing.workbook.ns import rels_part
from billing.workbook.package import Package, local

FORMATS = {1: "xlbilling-canonical/1", 2: "xlbilling-canonical/2"}
SHEET_FORMATS = {1: "xlbilling-sheet/1", 2: "xlbilling-sheet/2"}
#: the version new seals use (read at call time: a test may pin an older one)
CURRENT = 2
FORMAT = FORMATS[CURRENT]
SEAL_SHEET = "_seal"
CALCULATION_MODES = ("auto", "manual", "autoNoTable")
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
    calculation: str = "auto"  # version 2 only
    version: int = CURRENT


def version_of(name: object) -> int | None:
    """The version number of a canonical form's name (None for one this code does not know)."""
    return next((v for v, n in FORMATS.items() if n == name), None)


def sha256(data: bytes) -> str:
    """Lower-case hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def manifest(sheets, names_digest: str, vba_digest: str, date1904: bool, calculation: str = "auto",
             version: int = CURRENT) -> bytes:
    """The manifest bytes whose SHA-256 is the content digest."""
    lines = [FORMATS[version], f"date1904\t{int(date1904)}"]
    if version >= 2:
        lines.append(f"calculation\t{escape(calculation)}")
    lines += [f"names\t{names_digest}", f"vba\t{vba_digest}"]
    lines += [f"sheet\t{escape(s.name)}\t{s.state}\t{s.digest}" for s in sheets]
    return ("\n".join(lines) + "\n").encode("utf-8")


def content_digest(sheets, names_digest: str, vba_digest: str, date1904: bool, calculation: str = "auto",
                   version: int = CURRENT) -> str:
    """The SHA-256 of the manifest."""
    return sha256(manifest(sheets, names_digest, vba_digest, date1904, calculation, version))


def _runs(runs) -> str:
    return ",".join(f"{a}-{b}" for a, b in runs)


def sheet_block(parts: SheetParts, version: int = CURRENT) -> bytes:
    """The canonical block of a worksheet."""
    head = [
        SHEET_FORMATS[version],
        "hidden-rows\t" + _runs(parts.hidden_rows),
        "hidden-columns\t" + _runs(parts.hidden_columns),
        f"rows-hidden-by-default\t{int(parts.rows_hidden_by_default)}",
        "merged\t" + ",".join(parts.merged),
    ]
    if version >= 2:
        head += [
            "low-rows\t" + _runs(parts.low_rows),
            "narrow-columns\t" + _runs(parts.narrow_columns),
            f"columns-hidden-by-default\t{int(parts.columns_hidden_by_default)}",
            f"zeros-shown\t{int(parts.zeros_shown)}",
        ]
        head += [f"conditional-format\t{rule}" for rule in parts.conditional]
        head += list(parts.tables)
    return ("\n".join(head) + "\n" + parts.cells).encode("utf-8")


def other_block(kind: str, version: int = CURRENT) -> bytes:
    """The block of a chart sheet, dialog sheet, or a sheet whose part is missing (`missing`)."""
    return f"{SHEET_FORMATS[version]}\nkind\t{kind}\n".encode()


def calculation_mode(workbook) -> str:
    """How Excel calculates when it opens the workbook: `calcPr/@calcMode` (default `auto`),
    but `auto` when `fullCalcOnLoad` makes it recalculate everything on opening anyway."""
    for child in workbook:
        if local(child.tag) == "calcPr":
            if child.get("fullCalcOnLoad") in _TRUE:
                return "auto"
            return child.get("calcMode") or "auto"
    return "auto"


class Reading(NamedTuple):
    """What `read_content` found."""

    content: Content
    parts: dict[str, SheetParts]  # each worksheet's parts by sheet name, when asked to keep them
    extra: dict[str, object]  # what `also` made of each worksheet's XML, by part
    links: tuple[Link, ...] = ()  # DDE formulas and links to other workbooks (a seal refuses them)
    names: tuple[str, ...] = ()  # the defined names block's lines


def read_content(pkg: Package, keep: bool = False, also: Callable[[bytes, str], object] | None = None,
                 version: int | None = None, processes: int | None = None) -> Reading:
    """The canonical content of an open package (in the `version` given, else `CURRENT`).

    `keep`: also return each worksheet's parts (what a cell-by-cell comparison needs).
    `also(xml, part)`: more work to do on each worksheet's XML while it is at hand (the seal
    protects and deflates it); its results come back by part. Big books are read in
    several processes (`billing.sealing.canonical.jobs`), at most `processes` when given."""
    version = version or CURRENT
    with gc_paused():
        book_part = pkg.workbook_part()
        workbook = pkg.xml(book_part)
        entries = [e for e in pkg.sheets(workbook) if e.name != SEAL_SHEET]
        read = _sheet_reader(pkg, book_part, version, entries)

        def work(job: Job, xml: bytes) -> tuple:
            """One worksheet: (digest, parts if kept, what `also` made of it, its links)."""
            parts = read(xml, job)
            return (sha256(sheet_block(parts, version)), parts if keep else None,
                    also(xml, job.part) if also else None, parts.links)

        jobs = _jobs(pkg, entries)
        done = dict(zip(((j.name, j.part) for j in jobs), run_jobs(str(pkg.path), jobs, work, pkg.read, processes)))
        sheets, kept, extra, links = [], {}, {}, []
        for entry in entries:
            if (entry.name, entry.part) in done:
                digest, parts, made, found = done[(entry.name, entry.part)]
                links += found
                if keep:
                    kept[entry.name] = parts
                if also:
                    extra[entry.part] = made
            else:
                digest = sha256(other_block(entry.kind if entry.part is not None else "missing", version))
            sheets.append(SheetDigest(entry.name, entry.state, digest))
        all_names = [e.name for e in pkg.sheets(workbook)]
        name_lines = names_lines(workbook, all_names)
        names = sha256("".join(line + "\n" for line in name_lines).encode("utf-8"))
        vba_part = pkg.related(book_part, "vbaProject")
        vba = sha256(pkg.read(vba_part)) if vba_part else ""
        date1904 = any(local(c.tag) == "workbookPr" and c.get("date1904") in _TRUE for c in workbook)
        calculation = calculation_mode(workbook) if version >= 2 else "auto"
        digest = content_digest(sheets, names, vba, date1904, calculation, version)
        links += _workbook_links(pkg, workbook)
    return Reading(Content(digest, tuple(sheets), names, vba, date1904, calculation, version), kept, extra,
                   tuple(links), tuple(name_lines))


def read_sheets(pkg: Package, names: set[str], version: int | None = None) -> dict[str, SheetParts]:
    """The parts of just these worksheets (what a comparison of changed sheets needs)."""
    with gc_paused():
        book_part = pkg.workbook_part()
        entries = [e for e in pkg.sheets() if e.name in names and e.name != SEAL_SHEET]
        read = _sheet_reader(pkg, book_part, version or CURRENT, entries)
        jobs = _jobs(pkg, entries)
        return dict(zip((j.name for j in jobs),
                        run_jobs(str(pkg.path), jobs, lambda job, xml: read(xml, job), pkg.read)))


def read_names(pkg: Package) -> tuple[str, ...]:
    """The lines of the defined names block (the same in every version)."""
    workbook = pkg.xml(pkg.workbook_part())
    return tuple(names_lines(workbook, [e.name for e in pkg.sheets(workbook)]))


def _sheet_reader(pkg: Package, book_part: str, version: int, entries) -> Callable[[bytes, Job], SheetParts]:
    """Reads a worksheet's XML into its parts, with the workbook's strings and styles (and,
    version 2, the sheet's Excel Tables, read here in this process: workers get them by fork)."""
    strings = SharedStrings(pkg, book_part)
    formats, looks = cell_looks(pkg, book_part, version)
    forms = CellForms(strings, formats, version, looks)
    keyed = KeyedForms(forms, strings.escaped)
    tables = {e.part: table_lines(pkg, e.part) for e in entries if e.part is not None} if version >= 2 else {}

    def read(xml: bytes, job: Job) -> SheetParts:
        parts = read_sheet(xml, job.name, forms, keyed)
        return parts._replace(tables=tables[job.part]) if tables.get(job.part) else parts

    return read


def _jobs(pkg: Package, entries) -> list[Job]:
    return [Job(e.name, e.part, pkg.info(e.part).file_size) for e in entries
            if e.part is not None and e.kind in ("worksheet", "macrosheet")]


def names_lines(workbook, sheet_names: list[str]) -> list[str]:
    """One line per defined name, `NAME TAB SCOPE TAB HIDDEN TAB FORMULA`, sorted."""
    lines = []
    for name in _defined_names(workbook):
        scope = name.get("localSheetId")
        sheet = sheet_names[int(scope)] if scope and scope.isdigit() and int(scope) < len(sheet_names) else ""
        if scope and not sheet:
            sheet = f"#{scope}"  # a scope beyond the sheets: kept visible rather than dropped
        formula = name.text or ""
        formula = formula[1:] if formula.startswith("=") else formula
        hidden = int(name.get("hidden") in _TRUE)
        lines.append(f"{escape(name.get('name', ''))}\t{escape(sheet)}\t{hidden}\t{escape(formula)}")
    return sorted(lines)


def _defined_names(workbook):
    for group in workbook:
        if local(group.tag) != "definedNames":
            continue
        for name in group:
            if local(name.tag) == "definedName" and name.get("name") != "_xlnm._FilterDatabase":
                yield name


def _workbook_links(pkg: Package, workbook) -> list[Link]:
    """Links to other workbooks outside the cells: `xl/externalLinks/` parts (Excel's record of
    every workbook a formula refers to, DDE links among them) and defined names."""
    found = []
    for info in pkg.infos:
        name = info.filename
        folder, _, base = name.lower().rpartition("/")
        if folder.endswith("externallinks") and base.endswith(".xml"):
            targets = [t for t in _external_targets(pkg, name)]
            where = f" ({', '.join(targets)})" if targets else ""
            found.append(Link(name, EXTERNAL, f"the workbook links to another workbook{where}"))
    for name in _defined_names(workbook):
        link = formula_link((name.text or "").lstrip("="))
        if link is not None:
            found.append(Link(f"defined name {name.get('name', '')}", *link))
    return found


def _external_targets(pkg: Package, part: str) -> list[str]:
    rels = rels_part(part)
    if not pkg.has(rels):
        return []
    return [r.get("Target", "")[:120] for r in pkg.xml(rels) if r.get("TargetMode") == "External"]


def content_of(path: str | os.PathLike, version: int | None = None) -> Content:
    """The canonical content of the workbook file at `path` (checked by the safety gate first)."""
    with Package(path) as pkg:
        return read_content(pkg, version=version).content
