"""The audit views: `/audit/numbers` (the numbering audit), `/audit/chain` (the archive chain
check), `/audit/export` (the audit package form) and `/audit/export/{period}.zip` (the package).

Each computes what its CLI command computes, by the same function: the numbering audit
(`billing.pipeline.numbers_audit`, against the sealed copies in the archive — the portal
reads no path remembered from a desktop, only files the archive index names), the chain
check (`billing.sealing.archive_check.check_everything`, `xlbilling archive check`) and the
package (`billing.sealing.audit_package.export_package`, `xlbilling archive export`).

Handlers are plain functions: Starlette runs them in its thread pool, so re-hashing every
archived file or spooling a package does not hold up other requests. The download is a GET:
it changes nothing but the audit log (like every download), its period is checked by a
strict pattern (`YYYY-MM`) before anything else, and only the archive index chooses the files.
Every view and export is written to the audit log.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from billing.web import guard
from billing.web.portal import Portal


def routes(portal: Portal) -> list[Route]:
    def audit_view(request: Request, template: str, label: str, run) -> Response:
        """The page of one check: `run()` gives its result and its verdict (the CLI's `--json`)."""
        if (no := portal.refused(request, guard.AUDIT, page_route=True)) is not None:
            return no
        result, verdict = run()
        portal.record(request, "audit", f"{label}: {'ok' if verdict['ok'] else 'FAULTS'} "
                                        f"({len(verdict['findings'])} findings)")
        return portal.page(request, template, result=result, verdict=verdict)

    def numbers(request: Request) -> Response:
        def run():
            from billing.errors import verdict
            from billing.pipeline.numbers_audit import numbers_audit

            findings = numbers_audit(portal.engine, archive_root=portal.archive_root)
            return findings, verdict(findings)
        return audit_view(request, "audit_numbers.html", "numbering audit", run)

    def chain(request: Request) -> Response:
        def run():
            from billing.sealing.archive_check import check_everything

            result = check_everything(portal.engine, portal.archive_root)
            return result, result.as_dict()
        return audit_view(request, "audit_chain.html", "archive chain check", run)

    def export_form(request: Request) -> Response:
        if (no := portal.refused(request, guard.EXPORT_AUDIT, page_route=True)) is not None:
            return no
        period = request.query_params.get("period")
        if period is None:
            return _form(portal, request)
        period = period.strip()
        if not _valid(period):
            return _form(portal, request, period, f"{period!r} is not a period: give it as YYYY-MM (2026-10).", 400)
        return RedirectResponse(f"/audit/export/{period}.zip", status_code=303)

    def export(request: Request) -> Response:
        if (no := portal.refused(request, guard.EXPORT_AUDIT, page_route=False)) is not None:
            return no
        period = request.path_params["period"]
        if not _valid(period):
            return _form(portal, request, None, "Not a period: give it as YYYY-MM (2026-10).", 404)
        from billing.errors import BadFile
        from billing.sealing.audit_package import NothingToExport, export_package

        handle, name = tempfile.mkstemp(prefix="xlbilling-audit-", suffix=".zip")
        os.close(handle)
        spool = Path(name)
        try:
            done = export_package(portal.engine, portal.archive_root, period, spool,
                                  exported_by=f"{portal.user_of(request)} (portal)")
        except BadFile as refused:
            spool.unlink(missing_ok=True)
            status = 404 if isinstance(refused, NothingToExport) else 409
            return _form(portal, request, period, str(refused), status)
        head = done.manifest["chain_head"]
        portal.record(request, "export_audit", f"audit package {period}: {done.workbooks} workbooks, "
                                               f"{done.documents} documents, chain head {head['seq']} "
                                               f"{head['entry_hash']}")
        return FileResponse(spool, media_type="application/zip", filename=f"audit-package-{period}.zip",
                            background=BackgroundTask(spool.unlink, missing_ok=True))

    return [Route("/audit/numbers", numbers, methods=["GET"]), Route("/audit/chain", chain, methods=["GET"]),
            Route("/audit/export", export_form, methods=["GET"]),
            Route("/audit/export/{period}.zip", export, methods=["GET"])]


def _valid(period: str) -> bool:
    from billing.sealing.audit_package import valid_period

    return valid_period(period)


def _form(portal: Portal, request: Request, period: str | None = None, problem: str | None = None,
          status: int = 200) -> Response:
    from billing.sealing.archive import entries

    periods = sorted({entry.period for entry in entries(portal.engine)}, reverse=True)
    return portal.page(request, "audit_export.html", status=status, period=period, problem=problem, periods=periods)
