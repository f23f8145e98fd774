"""docs/workbook-contract.md says what the code does, and what the common contract says.

Always: its sheet tables are `billing/contract.py` (names, order, kinds, required and computed
headers), its kinds table is `contract.FORMATS`, its Settings keys are `settings.SETTING_DEFAULTS`
(with their defaults), and its command table is the command line (every command, its
arguments and options). When the common contract lies beside the repository
(`../shared/spec/workbook-contract.md`), the page's sheets, columns, keys and commands marked
`yes` or `planned` are the ones the common contract lists, and those marked `added` are not;
without that file those checks skip, naming it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from billing.contract import FORMATS, INPUT_SHEETS, OUTPUT_SHEETS, STATEMENT_FILE_SHEETS, Kind
from billing.receivables.aging import bucket_labels
from billing.settings import SETTING_DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "workbook-contract.md"
COMMON = ROOT.parent / "shared" / "spec" / "workbook-contract.md"
SHEET_TABLE = ("column", "kind", "header", "shared", "meaning")
ORIGINS = {"yes", "added", "planned"}
DEFAULT_BUCKETS = (30, 60, 90)


# --- reading markdown ---------------------------------------------------------------------

def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def tables(text: str) -> list[tuple[tuple[str, ...], list[list[str]]]]:
    """Every table of a markdown text: its header cells and its rows."""
    found, lines = [], text.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("|") and n + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[n + 1].strip()):
            if n and lines[n - 1].startswith("|"):
                continue
            rows = []
            for body in lines[n + 2:]:
                if not body.startswith("|"):
                    break
                rows.append(_cells(body))
            found.append((tuple(_cells(line)), rows))
    return found


def table(text: str, header: tuple[str, ...]) -> list[list[str]]:
    """The rows of the one table of `text` with that header."""
    (rows,) = [rows for head, rows in tables(text) if head[:len(header)] == header]
    return rows


def ticked(text: str) -> list[str]:
    """The `code` spans of a text, in order."""
    return re.findall(r"`([^`]+)`", text)


def sections(text: str, level: int = 3) -> dict[str, str]:
    """Heading text -> body, for the headings of one level (a body ends at the next heading
    of that level or above)."""
    out: dict[str, str] = {}
    parts = re.split(rf"^(#{{1,{level}}}) (.+)$", text, flags=re.M)
    for marks, heading, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        if len(marks) == level:
            out[heading.strip()] = body
    return out


def chapter(text: str, heading: str) -> str:
    """The body of the `## heading` (or of the one that starts so), its subsections included."""
    start = re.search(rf"^## {re.escape(heading)}\b.*$", text, flags=re.M).start()
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


# --- the page -----------------------------------------------------------------------------

def docs_text() -> str:
    return DOCS.read_text(encoding="utf-8")


def docs_sheets() -> dict[str, list[list[str]]]:
    """Sheet name -> its table rows, in the page's order."""
    found = {}
    for heading, body in sections(docs_text()).items():
        for head, rows in tables(body):
            if head == SHEET_TABLE:
                found[heading] = rows
    return found


def origin(row: list[str], at: int = 3) -> str:
    """The `shared` cell of a row: at 3 in a sheet table, at 2 in the keys and command tables."""
    assert row[at] in ORIGINS, row
    return row[at]


def column_name(cell: str) -> str:
    (name,) = ticked(cell)
    return name


def docs_settings() -> list[list[str]]:
    return table(sections(docs_text())["Settings"], ("key", "default", "shared", "meaning"))


def docs_commands() -> list[list[str]]:
    return table(chapter(docs_text(), "Command line"), ("command", "options", "shared", "does"))


def command_words(cell: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`xlbilling archive show ENTRY_ID` -> (("archive", "show"), ("ENTRY_ID",))."""
    (text,) = ticked(cell)
    words = text.split()
    assert words[0] == "xlbilling", cell
    path = tuple(w for w in words[1:] if re.fullmatch(r"[a-z][a-z-]*", w))
    return path, tuple(words[1 + len(path):])


def option_names(cell: str) -> set[str]:
    return {t.split()[0] for t in ticked(cell)}


# --- the code -----------------------------------------------------------------------------

def header_of(column) -> str:
    assert not (column.required_header and column.computed), column
    return "required" if column.required_header else "computed" if column.computed else "—"


def cli_commands() -> dict[tuple[str, ...], tuple[tuple[str, ...], set[str]]]:
    """Command path -> (its arguments in capitals, its options), from the Typer app."""
    import typer.main

    from billing.cli import app

    found = {}

    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
            return
        arguments = tuple(p.name.upper() for p in command.params if p.param_type_name == "argument")
        options = {p.opts[0] for p in command.params if p.param_type_name == "option"}
        found[path] = (arguments, options)

    walk(typer.main.get_command(app), ())
    return found


# --- the page against the code ------------------------------------------------------------

def test_the_sheet_tables_are_the_contract():
    specs = (*INPUT_SHEETS, *OUTPUT_SHEETS, *STATEMENT_FILE_SHEETS)
    documented = docs_sheets()
    assert list(documented) == [s.name for s in specs]
    for spec in specs:
        rows = [r for r in documented[spec.name] if origin(r) != "planned"]
        assert [(column_name(r[0]), r[1], r[2]) for r in rows] == \
               [(c.name, c.kind.value, header_of(c)) for c in spec.columns], spec.name


def test_the_kinds_table_is_the_formats():
    rows = table(docs_text(), ("kind", "read as", "number format"))
    shown = {r[0]: (ticked(r[2]) or ["General"])[0] for r in rows}
    assert shown == {k.value: FORMATS.get(k, "General") for k in Kind}


def test_the_settings_keys_are_the_defaults():
    rows = [r for r in docs_settings() if origin(r, 2) != "planned"]
    assert [(column_name(r[0]), (ticked(r[1]) or [""])[0]) for r in rows] == \
           [(key, default) for key, (default, _) in SETTING_DEFAULTS.items()]


def test_the_command_table_is_the_command_line():
    documented = {}
    for row in docs_commands():
        path, arguments = command_words(row[0])
        if origin(row, 2) != "planned":
            documented[path] = (arguments, option_names(row[1]))
    assert documented == cli_commands()


@pytest.mark.parametrize("page", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name)
def test_a_page_links_to_no_file_outside_the_repository(page):
    """A clone on its own has every file its pages link to (web addresses aside)."""
    for target in re.findall(r"\]\(([^)]+)\)", page.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        linked = (page.parent / target.split("#")[0]).resolve()
        assert linked.is_relative_to(ROOT) and linked.exists(), f"{page.name} links to {target}"


# --- the page against the common contract -------------------------------------------------

@pytest.fixture(scope="module")
def common() -> str:
    if not COMMON.is_file():
        pytest.skip(f"{COMMON} is missing: the page is checked against the code only")
    return COMMON.read_text(encoding="utf-8")


def _without_parentheses(text: str) -> str:
    while True:
        shorter = re.sub(r"\([^()]*\)", "", text)
        if shorter == text:
            return text
        text = shorter


def common_sheets(text: str) -> dict[str, str]:
    """Sheet -> the common contract's words about it (a heading naming several sheets is cut
    at each `Name:`), tables left out."""
    found = {}
    for part in ("Input sheets", "Output sheets"):
        for heading, body in sections(chapter(text, part)).items():
            names, _, tail = heading.partition(" — ")
            names = [n.strip() for n in names.split(",")]
            prose = tail + "\n" + "\n".join(line for line in body.splitlines() if not line.startswith("|"))
            cuts = [0] + [m.start() for n in names[1:] for m in [re.search(rf"(?<![\w`]){n}: ", prose)] if m]
            for name, start, end in zip(names, cuts, [*cuts[1:], len(prose)]):
                found[name] = prose[start:end]
    return found


def listed_columns(words: str) -> set[str]:
    """The columns a passage lists: the code spans of its sentences that are comma lists,
    parenthesised remarks left out."""
    out: set[str] = set()
    for sentence in re.split(r"(?<=\.)\s+(?=[A-Z`])", _without_parentheses(words)):
        if re.search(r"`[^`]+`\s*,\s*`", sentence):
            out.update(ticked(sentence))
    return out


def test_the_sheets_are_the_common_contracts(common):
    theirs = common_sheets(common)
    ours = docs_sheets()
    page = docs_text()  # the "Planned sheets" chapter goes when every common sheet is implemented
    planned = {column_name(r[0]) for r in table(chapter(page, "Planned sheets"), ("sheet", "for"))} \
        if re.search(r"^## Planned sheets", page, flags=re.M) else set()
    assert set(theirs) - set(ours) == planned, "a common sheet neither implemented nor listed as planned"
    assert not planned & set(ours)
    for sheet, rows in ours.items():
        if sheet not in theirs:
            assert {origin(r) for r in rows} == {"added"}, f"{sheet} is not in {COMMON.name}: all its columns are added"


def test_the_columns_are_the_common_contracts(common):
    theirs = common_sheets(common)
    for sheet, rows in docs_sheets().items():
        if sheet not in theirs:
            continue
        words = theirs[sheet]
        mentioned = set(ticked(words))
        shared = {column_name(r[0]) for r in rows if origin(r) in ("yes", "planned")}
        added = {column_name(r[0]) for r in rows if origin(r) == "added"}
        per_label = {"{bucket}"} & shared
        if per_label:  # the aging buckets: the common contract names the default ones
            assert set(bucket_labels(DEFAULT_BUCKETS)) <= mentioned, sheet
        assert listed_columns(words) <= shared, f"{sheet}: a column of {COMMON.name} is missing here"
        assert shared - per_label <= mentioned, f"{sheet}: marked shared but not in {COMMON.name}"
        assert not added & mentioned, f"{sheet}: marked added but {COMMON.name} has it"


def test_the_settings_keys_are_the_common_contracts(common):
    (settings,) = [body for heading, body in sections(chapter(common, "Input sheets")).items()
                   if heading.startswith("Settings")]
    theirs = {key for row in table(settings, ("key",)) for key in ticked(row[0])}
    rows = docs_settings()
    assert {column_name(r[0]) for r in rows if origin(r, 2) in ("yes", "planned")} == theirs
    assert not {column_name(r[0]) for r in rows if origin(r, 2) == "added"} & theirs


def common_commands(text: str) -> dict[tuple[str, ...], set[str]]:
    """Command path -> the options the common contract's command table names."""
    found: dict[tuple[str, ...], set[str]] = {}
    for row in table(chapter(text, "Command line"), ("command",)):
        for form in ticked(row[0]):
            words = form.replace("\\|", "|").split()
            words = words[1:] if words[0] == "xlbilling" else words
            path = []
            for w in words:
                if not re.fullmatch(r"[a-z][a-z|-]*", w):
                    break
                path.append(w)
            options = {w.strip("[]") for w in words if w.strip("[").startswith("--")}
            for last in path[-1].split("|"):
                found[(*path[:-1], last)] = options
    return found


def test_the_commands_are_the_common_contracts(common):
    theirs = common_commands(common)
    ours = {command_words(r[0])[0]: (origin(r, 2), option_names(r[1])) for r in docs_commands()}
    assert {p for p, (o, _) in ours.items() if o in ("yes", "planned")} == set(theirs)
    assert not {p for p, (o, _) in ours.items() if o == "added"} & set(theirs)
    for path, (o, options) in ours.items():
        if o == "yes":
            assert theirs[path] <= options, f"{' '.join(path)}: an option of {COMMON.name} is missing here"
