"""`/periods`: every period with its latest sealed workbook and that workbook's close summary
(the Close sheet's figures, `billing.web.close_summary`), newest period first.

The latest is the entry archived last for the period (a period sealed again after a
correction shows its newest seal; the earlier ones stay in the archive list).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from billing.web import guard
from billing.web.close_summary import close_summary
from billing.web.listing import latest_per_period, page_number
from billing.web.portal import Portal


def routes(portal: Portal) -> list[Route]:
    def periods(request: Request) -> Response:
        if (no := portal.refused(request, guard.BROWSE, page_route=True)) is not None:
            return no
        found = latest_per_period(portal.engine, page_number(request.query_params.get("page", "1")))
        closes = [(entry, close_summary(portal.archive_root, entry)) for entry in found.entries]
        return portal.page(request, "periods.html", found=found, closes=closes)

    return [Route("/periods", periods, methods=["GET"])]
