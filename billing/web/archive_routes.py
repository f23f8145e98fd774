"""The archive: `/` (the list: search, sort, paging), `/archive/{n}` (an entry's page), and
`/archive/{n}/download`, `/archive/{n}/seal.json` (its sealed workbook and seal record). The
entry's page shows the workbook's close summary (`billing.web.close_summary`) and links to
the documents issued from the workbook.

An entry is named only by its number: the file served is the one the index names under the
archive root, and only when its bytes still have the indexed SHA-256, so nothing from the
request reaches the file system. Downloads are written to the audit log.

Pages and downloads are plain functions, which Starlette runs in its thread pool (they read
the store and hash files).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from billing.web import guard
from billing.web.archived import intact_file
from billing.web.close_summary import close_summary
from billing.web.listing import Query, archive_page, chain_length, entry_by_number
from billing.web.portal import Portal

MEDIA_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12"}
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,150}")


def download_name(original: str, seq: int, suffix: str, stem: str = "archive") -> str:
    """The file name a download is offered under: the archived name when it is plain, else `<stem>-N<suffix>`.

    >>> download_name('Billing 2026-10.xlsx', 3, '.xlsx'), download_name('a"b.xlsx', 3, '.xlsx')
    ('Billing 2026-10.xlsx', 'archive-3.xlsx')
    """
    return original if _SAFE_NAME.fullmatch(original) and original.lower().endswith(suffix) else f"{stem}-{seq}{suffix}"


def routes(portal: Portal) -> list[Route]:
    def archive_list(request: Request) -> Response:
        return portal.list_page(request, "archive.html", Query, archive_page)

    def entry_page(request: Request) -> Response:
        entry, no = portal.named_row(request, guard.BROWSE, entry_by_number, page_route=True)
        if no is not None:
            return no
        record = _seal_record(portal.archive_root, entry)
        return portal.page(request, "entry.html", entry=entry, record=record, chain=chain_length(portal.engine),
                           close=close_summary(portal.archive_root, entry))

    def download(request: Request) -> Response:
        entry, no = portal.named_row(request, guard.DOWNLOAD, entry_by_number, page_route=False)
        if no is not None:
            return no
        stored = intact_file(portal.archive_root, entry)
        if stored is None:
            return PlainTextResponse(f"Archive entry {entry.seq}: its file is missing or altered; "
                                     "run xlbilling archive check", status_code=500)
        portal.record(request, "download", f"archive entry {entry.seq} workbook {entry.sha256}")
        return FileResponse(stored, media_type=MEDIA_TYPES.get(entry.suffix, "application/octet-stream"),
                            filename=download_name(entry.original_name, entry.seq, entry.suffix))

    def seal_json(request: Request) -> Response:
        entry, no = portal.named_row(request, guard.DOWNLOAD, entry_by_number, page_route=False)
        if no is not None:
            return no
        text = _seal_text(portal.archive_root, entry)
        if text is None:
            return PlainTextResponse(f"Archive entry {entry.seq}: its file is missing or carries no seal",
                                     status_code=500)
        portal.record(request, "download", f"archive entry {entry.seq} seal record")
        name = download_name(entry.original_name, entry.seq, entry.suffix) + ".seal.json"
        return Response(text + "\n", media_type="application/json",
                        headers={"content-disposition": f'attachment; filename="{name}"'})

    return [Route("/", archive_list, methods=["GET"]), Route("/archive/{seq:int}", entry_page, methods=["GET"]),
            Route("/archive/{seq:int}/download", download, methods=["GET"]),
            Route("/archive/{seq:int}/seal.json", seal_json, methods=["GET"])]


def _seal_text(root: Path, entry) -> str | None:
    """The seal record the archived workbook carries (the text `PATH.seal.json` holds), if any.

    The file is hashed on every call (an altered file shows no record); the record itself is
    read from the package once per SHA-256, since bytes with that hash carry that record."""
    stored = intact_file(root, entry)
    return None if stored is None else _embedded_record(stored, entry.sha256)


@functools.lru_cache(maxsize=4096)
def _embedded_record(stored: Path, sha256: str) -> str | None:
    """The record embedded in the archived file `stored`, whose bytes have `sha256` (the cache key)."""
    from billing.sealing.sealed_package import read_embedded
    from billing.workbook.package import Package

    with Package(stored) as pkg:
        return read_embedded(pkg).record


def _seal_record(root: Path, entry) -> dict | None:
    """The seal record as a dict, for the entry's page (None when it cannot be read)."""
    import json

    text = _seal_text(root, entry)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None
