"""The archive list as the portal pages it: filters, sort and paging done in SQL.

Thousands of entries stay fast because only one page of rows (`PAGE_SIZE`) and one count
leave the database; the sort column comes from a fixed table (`SORTS`), never from the
request as text. `like_anywhere`, `like_prefix` and `paged` are shared with the other
lists of the portal (issued documents, periods).

**Customer** (`Query.customer`): a sealed workbook holds a customer when the numbering
registry (`numbers`, written by `xlbilling number` / `close`) numbered an invoice or credit
note for that customer in the same workbook (`workbook_id`) with an issue date in or
before the entry's period (the period a seal names is the month of the workbook's latest
issue date, so later numbers of the same workbook belong to its later seals). The customer
id is matched from its start, regardless of case (`C00` finds C0001…C0099). The seal
record's first/last customer only bound a range and say nothing of who is in between, so
they are not used for the search.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Engine, String, cast, exists, func, or_, select

from billing.sealing.archive import Entry
from billing.store import archive_entries, numbers

PAGE_SIZE = 50
_c = archive_entries.c
#: The columns the list may be sorted by, by the name the page uses.
SORTS = {"seq": _c.seq, "period": _c.period, "workbook": _c.workbook_id, "sealer": _c.archived_by,
         "archived": _c.archived_at, "name": _c.original_name}


def page_number(text: str) -> int:
    """A page number from a request (1 for anything that is not a plain positive number)."""
    return int(text) if text.isdigit() and 0 < int(text) < 10**9 else 1


class Query(NamedTuple):
    """What the list is asked for: filters (empty = any), sort column and direction, page (from 1)."""

    period: str = ""
    workbook: str = ""
    sealer: str = ""
    sort: str = "seq"
    descending: bool = True
    page: int = 1
    customer: str = ""

    @classmethod
    def from_params(cls, params) -> "Query":
        """The query from a request's parameters; anything unknown or malformed falls back to the default."""
        sort = params.get("sort", "seq")
        return cls(period=params.get("period", "").strip()[:20], workbook=params.get("workbook", "").strip()[:64],
                   sealer=params.get("sealer", "").strip()[:200], sort=sort if sort in SORTS else "seq",
                   descending=params.get("dir", "desc") != "asc", page=page_number(params.get("page", "1")),
                   customer=params.get("customer", "").strip()[:200])


class Page(NamedTuple):
    """One page of rows (archive entries, issued documents…) and where it is in the whole."""

    entries: list
    total: int
    page: int
    pages: int


def escaped(text: str) -> str:
    """`text` for a LIKE pattern (escape character `\\`), its own wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_anywhere(column, text: str):
    """`column` holds `text` anywhere, regardless of case (its wildcards taken literally)."""
    return column.ilike(f"%{escaped(text)}%", escape="\\")


def like_prefix(column, text: str, *, any_case: bool = True):
    """`column` starts with `text` (regardless of case unless `any_case` is false)."""
    pattern = escaped(text) + "%"
    return column.ilike(pattern, escape="\\") if any_case else column.like(pattern, escape="\\")


class Window(NamedTuple):
    """Where the asked page falls among `total` rows: its number (clamped to the last), how many
    pages there are (at least one), and the offset of its first row."""

    page: int
    pages: int
    offset: int


def window(total: int, asked: int, size: int = PAGE_SIZE) -> Window:
    """The page `asked` of `total` rows `size` a page, past the end meaning the last.

    >>> window(0, 3), window(120, 2), window(120, 9)
    (Window(page=1, pages=1, offset=0), Window(page=2, pages=3, offset=50), Window(page=3, pages=3, offset=100))
    """
    pages = max(1, -(-total // size))
    page = min(asked, pages)
    return Window(page, pages, (page - 1) * size)


def reading(engine: Engine):
    """A connection that only reads: on SQLite a snapshot (plain `BEGIN`), not the store's write
    lock every other connection takes up front, so page views never queue behind each other
    or behind a sealer."""
    return engine.connect().execution_options(read_only=True)


def paged(engine: Engine, query, page: int, size: int = PAGE_SIZE, key=None) -> tuple[list, int, int, int]:
    """One page of the rows of `query` (a SELECT, already filtered and ordered): (rows, total,
    the page shown — the last when `page` is past it — and the number of pages). With `key`
    (a unique column), the page's keys are found first and then their rows: the sort and the
    skipping over earlier pages handle keys only (from an index), not whole rows (PostgreSQL
    would otherwise sort every row of a 10,000-entry archive on disk for each deep page)."""
    with reading(engine) as conn:
        total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        at = window(total, page, size)
        if key is None:
            return conn.execute(query.limit(size).offset(at.offset)).all(), total, at.page, at.pages
        keys = conn.execute(query.with_only_columns(key).limit(size).offset(at.offset)).scalars().all()
        found = {getattr(row, key.name): row for row in conn.execute(query.order_by(None).where(key.in_(keys)))}
    return [found[k] for k in keys], total, at.page, at.pages


def month_of(engine: Engine, column):
    """The `YYYY-MM` of a date column, in the store's dialect."""
    if engine.dialect.name == "sqlite":
        return func.strftime("%Y-%m", column)
    if engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(cast(column, String), 1, 7)


def holds_customer(engine: Engine, customer: str):
    """The condition "this archive entry holds a customer whose id starts with `customer`" (the
    rule in the module's text)."""
    n = numbers.c
    return exists().where(n.workbook_id == _c.workbook_id, like_prefix(n.customer_id, customer),
                          month_of(engine, n.issue_date) <= _c.period)


def archive_page(engine: Engine, query: Query) -> Page:
    """The entries `query` selects (workbook and sealer regardless of case, on every store), one
    page of them, sorted (ties by entry number)."""
    conditions = []
    if query.period:
        conditions.append(like_prefix(_c.period, query.period, any_case=False))
    if query.workbook:
        conditions.append(or_(like_anywhere(_c.workbook_id, query.workbook),
                              like_anywhere(_c.original_name, query.workbook)))
    if query.sealer:
        conditions.append(like_anywhere(_c.archived_by, query.sealer))
    if query.customer:
        conditions.append(holds_customer(engine, query.customer))
    column = SORTS[query.sort]
    order = [column.desc() if query.descending else column.asc()]
    if query.sort != "seq":
        order.append(_c.seq.desc() if query.descending else _c.seq.asc())
    rows, total, page, pages = paged(engine, select(archive_entries).where(*conditions).order_by(*order), query.page,
                                     key=_c.seq)
    return Page([entry_of_row(row) for row in rows], total, page, pages)


def entry_of_row(row) -> Entry:
    return Entry(**{name: getattr(row, name) for name in Entry._fields})


#: The largest entry number a store holds (the columns are 32-bit integers on PostgreSQL).
MAX_NUMBER = 2**31 - 1


def storable(seq: int) -> bool:
    """Whether `seq` can be an entry number at all: a larger one from a URL is no entry, not an
    error of the database (SQLite refuses integers past 64 bits, PostgreSQL past 32)."""
    return 0 < seq <= MAX_NUMBER


def entry_by_number(engine: Engine, seq: int) -> Entry | None:
    """The entry with this number (the only way the portal names an entry)."""
    if not storable(seq):
        return None
    with reading(engine) as conn:
        row = conn.execute(select(archive_entries).where(_c.seq == seq)).first()
    return entry_of_row(row) if row else None


def chain_length(engine: Engine, table=archive_entries) -> int:
    """How many entries a hash chain (`table`: the archive's, or the issued documents') has (the head's number)."""
    with reading(engine) as conn:
        return conn.execute(select(func.coalesce(func.max(table.c.seq), 0))).scalar_one()


#: Periods a page of `/periods` shows (each with its close figures: a year's worth).
PERIODS_PAGE = 12


def latest_per_period(engine: Engine, page: int = 1) -> Page:
    """Each period with its latest sealed workbook (the entry archived last for it), newest period
    first, `PERIODS_PAGE` a page — grouped and paged in SQL."""
    latest = select(func.max(_c.seq).label("seq")).group_by(_c.period).subquery()
    query = select(archive_entries).join(latest, latest.c.seq == _c.seq).order_by(_c.period.desc())
    rows, total, page, pages = paged(engine, query, page, PERIODS_PAGE)
    return Page([entry_of_row(row) for row in rows], total, page, pages)
