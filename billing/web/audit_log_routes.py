"""The audit log view, `/audit/log` (action `audit`: auditor, billing): the store's audit log
(`billing.access.audit.entries`) newest first — who logged in, downloaded, verified, uploaded,
exported, changed a user, when and from where — filtered by user (the exact name), action and
a date range (whole UTC days, both ends included), 50 a page.

Only one page of rows and one count leave the database (`billing.web.listing.window`, the
paging of the archive list). A date that is not `YYYY-MM-DD`, or a range that ends before it
starts, is a message on the page (400), nothing searched. Looking at the log is itself logged
(`audit`, with the filters), after the page is read, so a page does not list its own view.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from billing.web import guard
from billing.web.listing import PAGE_SIZE, Page, page_number, window
from billing.web.portal import Portal


class LogQuery(NamedTuple):
    """The filters (empty = any; `since`/`until`: first and last day, inclusive) and the page."""

    user: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None
    page: int = 1

    @classmethod
    def from_params(cls, params) -> tuple["LogQuery", str | None]:
        """The query a request asks for, and what is wrong with its dates (None when nothing is)."""
        user, action = params.get("user", "").strip()[:100], params.get("action", "").strip()[:40]
        days, problem = {}, None
        for field, label in (("since", "From"), ("until", "To")):
            text = params.get(field, "").strip()
            try:
                days[field] = date.fromisoformat(text) if text else None
            except ValueError:
                problem = problem or f"{label}: {text[:20]!r} is not a date; give it as YYYY-MM-DD (2026-11-30)."
                days[field] = None
        if not problem and days["since"] and days["until"] and days["until"] < days["since"]:
            problem = "The range ends before it starts: To is earlier than From."
        return cls(user, action, days["since"], days["until"], page_number(params.get("page", "1"))), problem

    def filters(self) -> dict:
        """The keyword filters of `billing.access.audit.entries` and `count`."""
        return {"user": self.user or None, "action": self.action or None,
                "since": _midnight(self.since) if self.since else None,
                "until": _midnight(self.until + timedelta(days=1)) if self.until else None}

    def describe(self) -> str:
        parts = [f"{k} {v}" for k, v in (("user", self.user), ("action", self.action), ("from", self.since),
                                          ("to", self.until)) if v]
        return ", ".join(parts) or "no filter"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def log_page(engine, query: LogQuery) -> Page:
    """One page of the entries `query` selects, newest first."""
    from billing.access import audit

    filters = query.filters()
    total = audit.count(engine, **filters)
    at = window(total, query.page)
    return Page(audit.entries(engine, **filters, limit=PAGE_SIZE, offset=at.offset), total, at.page, at.pages)


def routes(portal: Portal) -> list[Route]:
    def audit_log(request: Request) -> Response:
        if (no := portal.refused(request, guard.AUDIT, page_route=True)) is not None:
            return no
        from billing.access import audit

        query, problem = LogQuery.from_params(request.query_params)
        actions = audit.actions(portal.engine)
        if problem:
            return portal.page(request, "audit_log.html", status=400, query=query, problem=problem, found=None,
                               actions=actions)
        found = log_page(portal.engine, query)
        portal.record(request, "audit", f"audit log: {query.describe()}, page {found.page}")
        return portal.page(request, "audit_log.html", query=query, problem=None, found=found, actions=actions)

    return [Route("/audit/log", audit_log, methods=["GET"])]
