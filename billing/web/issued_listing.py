"""The issued documents (`xlbilling issue`, `billing.sealing.issued`) as the portal lists them:
filters, sort and paging in SQL, like the archive list (`billing.web.listing`, whose helpers
these share).

The index of issued documents does not hold the customer; the numbering registry does, for
every number it handed out (`numbers`: number, workbook, customer). A document's customer is
the registry's for its invoice number in its workbook, joined in the same query; a document
whose number the registry does not know (a store where it was deleted) shows none.

Search: invoice number from its start (`INV-2026-0001` or all of it), customer id from its
start, workbook id anywhere (all regardless of case), and the issue date by year, month or day
(`2026`, `2026-10`, `2026-10-08`: a range of dates, so an index can serve it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from sqlalchemy import Engine, and_, select

from billing.sealing.issued import IssuedDocument
from billing.store import issued_documents, numbers
from billing.web.listing import Page, like_anywhere, like_prefix, page_number, paged, reading, storable

_d = issued_documents.c
_n = numbers.c
#: The columns the list may be sorted by, by the name the page uses.
SORTS = {"seq": _d.seq, "invoice": _d.invoice_no, "customer": _n.customer_id, "workbook": _d.workbook_id,
         "format": _d.format, "issued": _d.issue_date}
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_FROM = issued_documents.outerjoin(numbers, and_(_n.number == _d.invoice_no, _n.workbook_id == _d.workbook_id))


class Document(NamedTuple):
    """An issued document and its customer (None when the numbering registry has not its number)."""

    document: IssuedDocument
    customer: str | None


class DocumentQuery(NamedTuple):
    """What the list of issued documents is asked for (empty filters = any)."""

    invoice: str = ""
    customer: str = ""
    workbook: str = ""
    issued: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD; anything else is dropped
    sort: str = "seq"
    descending: bool = True
    page: int = 1

    @classmethod
    def from_params(cls, params) -> "DocumentQuery":
        sort = params.get("sort", "seq")
        issued = params.get("issued", "").strip()[:10]
        return cls(invoice=params.get("invoice", "").strip()[:100], customer=params.get("customer", "").strip()[:200],
                   workbook=params.get("workbook", "").strip()[:64],
                   issued=issued if date_range(issued) is not None else "", sort=sort if sort in SORTS else "seq",
                   descending=params.get("dir", "desc") != "asc", page=page_number(params.get("page", "1")))


def date_range(text: str) -> tuple[dt.date, dt.date] | None:
    """The dates `text` names as [first, after last): a year, a month or a day; None if it names none.

    >>> date_range("2026-10"), date_range("2026-13"), date_range("26")
    ((datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)), None, None)
    """
    m = _DATE.fullmatch(text)
    if not m:
        return None
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        if day is not None:
            first = dt.date(year, month, day)
            return first, first + dt.timedelta(days=1)
        if month is not None:
            first = dt.date(year, month, 1)
            return first, dt.date(year + (month == 12), month % 12 + 1, 1)
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    except ValueError:
        return None


def _document(row) -> Document:
    return Document(IssuedDocument(**{name: getattr(row, name) for name in IssuedDocument._fields}), row.customer_id)


def _select():
    return select(issued_documents, _n.customer_id).select_from(_FROM)


def documents_page(engine: Engine, query: DocumentQuery) -> Page:
    """The issued documents `query` selects, one page of them, sorted (ties by entry number)."""
    conditions = []
    if query.invoice:
        conditions.append(like_prefix(_d.invoice_no, query.invoice))
    if query.customer:
        conditions.append(like_prefix(_n.customer_id, query.customer))
    if query.workbook:
        conditions.append(like_anywhere(_d.workbook_id, query.workbook))
    if query.issued:
        first, after = date_range(query.issued)
        conditions += [_d.issue_date >= first, _d.issue_date < after]
    column = SORTS[query.sort]
    order = [column.desc() if query.descending else column.asc()]
    if query.sort != "seq":
        order.append(_d.seq.desc() if query.descending else _d.seq.asc())
    rows, total, page, pages = paged(engine, _select().where(*conditions).order_by(*order), query.page)
    return Page([_document(row) for row in rows], total, page, pages)


def document_by_number(engine: Engine, seq: int) -> Document | None:
    """The issued document with this entry number (the only way the portal names one)."""
    if not storable(seq):
        return None
    with reading(engine) as conn:
        row = conn.execute(_select().where(_d.seq == seq)).first()
    return _document(row) if row else None


def other_formats(engine: Engine, document: IssuedDocument) -> list[IssuedDocument]:
    """The other documents of the same invoice of the same workbook (its PDF, UBL, CII…), in issue order."""
    with reading(engine) as conn:
        rows = conn.execute(select(issued_documents).where(
            _d.workbook_id == document.workbook_id, _d.invoice_no == document.invoice_no,
            _d.seq != document.seq).order_by(_d.seq)).all()
    return [IssuedDocument(**{name: getattr(row, name) for name in IssuedDocument._fields}) for row in rows]
