"""The archive list as the portal pages it: filters, sort and paging done in SQL.

Thousands of entries stay fast because only one page of rows (`PAGE_SIZE`) and one count
leave the database; the sort column comes from a fixed table (`SORTS`), never from the
request as text.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Engine, func, or_, select

from billing.sealing.archive import Entry
from billing.store import archive_entries

PAGE_SIZE = 50
_c = archive_entries.c
#: The columns the list may be sorted by, by the name the page uses.
SORTS = {"seq": _c.seq, "period": _c.period, "workbook": _c.workbook_id, "sealer": _c.archived_by,
         "archived": _c.archived_at, "name": _c.original_name}


class Query(NamedTuple):
    """What the list is asked for: filters (empty = any), sort column and direction, page (from 1)."""

    period: str = ""
    workbook: str = ""
    sealer: str = ""
    sort: str = "seq"
    descending: bool = True
    page: int = 1

    @classmethod
    def from_params(cls, params) -> "Query":
        """The query from a request's parameters; anything unknown or malformed falls back to the default."""
        page = params.get("page", "1")
        sort = params.get("sort", "seq")
        return cls(period=params.get("period", "").strip()[:20], workbook=params.get("workbook", "").strip()[:64],
                   sealer=params.get("sealer", "").strip()[:200], sort=sort if sort in SORTS else "seq",
                   descending=params.get("dir", "desc") != "asc",
                   page=int(page) if page.isdigit() and 0 < int(page) < 10**9 else 1)


class Page(NamedTuple):
    """One page of entries and where it is in the whole."""

    entries: list[Entry]
    total: int
    page: int
    pages: int


def _reading(engine: Engine):
    """A connection that only reads: on SQLite a snapshot (plain `BEGIN`), not the store's write
    lock every other connection takes up front, so page views never queue behind each other
    or behind a sealer."""
    return engine.connect().execution_options(read_only=True)


def _escaped(text: str) -> str:
    """`text` for a LIKE pattern (escape character `\\`), its own wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere."""
    return f"%{_escaped(text)}%"


def archive_page(engine: Engine, query: Query) -> Page:
    """The entries `query` selects (workbook and sealer regardless of case, on every store), one
    page of them, sorted (ties by entry number)."""
    conditions = []
    if query.period:
        conditions.append(_c.period.like(_escaped(query.period) + "%", escape="\\"))
    if query.workbook:
        conditions.append(or_(_c.workbook_id.ilike(_like(query.workbook), escape="\\"),
                              _c.original_name.ilike(_like(query.workbook), escape="\\")))
    if query.sealer:
        conditions.append(_c.archived_by.ilike(_like(query.sealer), escape="\\"))
    column = SORTS[query.sort]
    order = [column.desc() if query.descending else column.asc()]
    if query.sort != "seq":
        order.append(_c.seq.desc() if query.descending else _c.seq.asc())
    with _reading(engine) as conn:
        total = conn.execute(select(func.count()).select_from(archive_entries).where(*conditions)).scalar_one()
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(query.page, pages)
        # the page's entry numbers first, then their rows: the sort and the skipping over
        # earlier pages handle numbers only (from an index), not whole rows (PostgreSQL
        # would otherwise sort every row of the archive on disk for each deep page)
        seqs = conn.execute(select(_c.seq).where(*conditions).order_by(*order)
                            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars().all()
        rows = {row.seq: row for row in conn.execute(select(archive_entries).where(_c.seq.in_(seqs)))} if seqs else {}
    return Page([Entry(**{name: getattr(rows[seq], name) for name in Entry._fields}) for seq in seqs],
                total, page, pages)


def entry_by_number(engine: Engine, seq: int) -> Entry | None:
    """The entry with this number (the only way the portal names an entry)."""
    with _reading(engine) as conn:
        row = conn.execute(select(archive_entries).where(_c.seq == seq)).first()
    return Entry(**{name: getattr(row, name) for name in Entry._fields}) if row else None


def chain_length(engine: Engine) -> int:
    """How many entries the chain has (the head's number)."""
    with _reading(engine) as conn:
        return conn.execute(select(func.coalesce(func.max(_c.seq), 0))).scalar_one()
