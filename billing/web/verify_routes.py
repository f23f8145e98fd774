"""Verify and upload: `/verify` (drop a workbook, and its `.seal.json` if it came apart from
it: the verdict and every change, as `xlbilling verify` says them) and `/upload` (billing: a
sealed, intact workbook into the archive).

A dropped file goes the way a file given to the command line goes: streamed into a private
folder of its own (`billing.web.incoming`: size cap, CSRF token before any file), then
`billing.sealing.verify.verify_workbook`, whose first reader is the safety gate
(`billing.workbook.safety.check_workbook_file`: zip bombs, XXE, encrypted and OLE files, what
is not a workbook → one line on the page, 422). The verdict and the change lines come from
`billing.sealing.report`, which `xlbilling verify` prints through, so both say the same of the
same file. The folder is removed whatever happens; nothing of a verify is kept but its line in
the audit log (who, the file's name, its SHA-256, the verdict). An upload is archived only by
`billing.pipeline.upload.accept_sealed`, the archive's one writer behind it.

The record dropped beside the workbook is put beside it as `NAME.seal.json`, where
`xlbilling verify NAME` looks for it. The verification runs in the thread pool: a 100k-invoice
workbook takes seconds, and the portal keeps answering meanwhile.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from billing.errors import BadFile
from billing.web import guard
from billing.web.incoming import BadForm, Form, NoToken, TooLarge, receive
from billing.web.portal import Portal
from billing.web.security import csrf_ok

SUFFIXES = (".xlsx", ".xlsm")
#: A seal record is a few kB (one line per sheet); a bigger "record" is not one.
MAX_RECORD = 1 << 20
#: The change lines a page shows at most (the command line's `--json` has them all).
MAX_LINES = 5000
NO_KEYS = ("The portal has no public key to check seals with, so it cannot verify or accept a sealed workbook. "
           "Start it with `xlbilling serve --public-key FILE` (the sealer's key from `xlbilling keys export-public`).")
HEADLINES = {"intact": "Intact", "tampered": "TAMPERED", "superseded": "SUPERSEDED", "unsealed": "Not sealed"}


def routes(portal: Portal) -> list[Route]:
    def form_page(request: Request, name: str, status: int = 200, **context) -> Response:
        from billing.sealing.keys import key_id

        return portal.page(request, name, status, keys=[key_id(k) for k in portal.public_keys],
                           limit_mb=f"{portal.upload_limit / 1e6:g}", no_keys=NO_KEYS, **context)

    def verify_form(request: Request) -> Response:
        if (no := portal.refused(request, guard.VERIFY, page_route=True)) is not None:
            return no
        return form_page(request, "verify.html")

    def upload_form(request: Request) -> Response:
        if (no := portal.refused(request, guard.UPLOAD, page_route=True)) is not None:
            return no
        return form_page(request, "upload.html")

    async def taken(request: Request, page: str, files: tuple[str, ...], work) -> Response:
        """Receive the form into a private folder, hand it to `work(request, folder, form)` in
        the thread pool, and remove the folder, whatever happens."""
        if not portal.public_keys:
            return form_page(request, page, status=503, error=NO_KEYS)
        folder = Path(tempfile.mkdtemp(prefix="xlbilling-upload-", dir=portal.upload_dir))
        try:
            try:
                form = await receive(request, folder, portal.upload_limit, files,
                                     lambda token: csrf_ok(request.session, token))
            except NoToken:
                return PlainTextResponse("Forbidden: the form is stale or not ours; reload the page", status_code=403)
            except TooLarge:
                return form_page(request, page, status=413, error=f"The file is larger than the "
                                 f"{portal.upload_limit / 1e6:g} MB the portal takes; nothing was kept.")
            except BadForm as exc:
                return form_page(request, page, status=400, error=f"{str(exc).capitalize()}.")
            if "workbook" not in form.files:
                return form_page(request, page, status=400, error="Choose the workbook file first.")
            return await run_in_threadpool(work, request, folder, form)
        finally:
            await run_in_threadpool(shutil.rmtree, folder, True)

    def refuse(request: Request, page: str, action: str, form: Form, message: str) -> Response:
        """A file that cannot be used: one line on the page (422) and in the audit log."""
        got = form.files["workbook"]
        portal.record(request, action, got.name, f"sha256 {got.sha256}; refused: {message}")
        return form_page(request, page, status=422, error=f"{got.name}: {message}")

    def placed(folder: Path, form: Form) -> Path | str:
        """The workbook where the checks read it (`workbook.xlsx`, its record beside it as
        `workbook.xlsx.seal.json`), or why it cannot be checked."""
        from billing.sealing.seal import sidecar_path

        got, record = form.files["workbook"], form.files.get("record")
        suffix = Path(got.name).suffix.lower()
        if suffix not in SUFFIXES:
            return "not a workbook file: only .xlsx and .xlsm workbooks are taken"
        if record is not None and record.size > MAX_RECORD:
            return f"{record.name} is not a seal record (a record is a few kB, this file {record.size:,} bytes)"
        path = got.path.rename(folder / f"workbook{suffix}")
        if record is not None:
            record.path.rename(sidecar_path(path))
        return path

    def archive_root() -> Path | None:
        """The archive to compare with, as `xlbilling verify` takes it: only when its folder is there."""
        return portal.archive_root if portal.archive_root.is_dir() else None

    def verified(request: Request, folder: Path, form: Form) -> Response:
        from billing.sealing.report import change_lines, summary, verdict
        from billing.sealing.seal import sidecar_path
        from billing.sealing.verify import verify_workbook

        path = placed(folder, form)
        if isinstance(path, str):
            return refuse(request, "verify.html", "verify", form, path)
        try:
            report = verify_workbook(path, portal.public_keys, engine=portal.engine, archive_root=archive_root())
        except BadFile as exc:
            return refuse(request, "verify.html", "verify", form, str(exc))
        got, record = form.files["workbook"], form.files.get("record")
        found = verdict(report)
        portal.record(request, "verify", got.name, f"sha256 {report.sha256}; verdict {found}"
                      + (f"; with the seal record {record.name}" if record else ""))
        lines = change_lines(report)
        # the problems name the record by the name it was dropped with, not the private copy's
        problems = [p.replace(sidecar_path(path).name, record.name) if record else p for p in report.problems]
        return form_page(request, "verify.html", file_name=got.name, report=report, problems=problems, verdict=found,
                         headline=HEADLINES[found], summary=summary(report), lines=lines[:MAX_LINES],
                         more=max(0, len(lines) - MAX_LINES))

    def uploaded(request: Request, folder: Path, form: Form) -> Response:
        from billing.pipeline.upload import accept_sealed

        path = placed(folder, form)
        if isinstance(path, str):
            return refuse(request, "upload.html", "upload", form, path)
        got = form.files["workbook"]
        try:
            outcome = accept_sealed(path, portal.public_keys, engine=portal.engine, archive_root=portal.archive_root,
                                    archived_by=portal.user_of(request), original_name=got.name)
        except BadFile as exc:
            return refuse(request, "upload.html", "upload", form, str(exc))
        if outcome.refused:
            return refuse(request, "upload.html", "upload", form, f"not archived: {outcome.refused}")
        entry = outcome.entry
        portal.record(request, "upload", got.name, f"sha256 {got.sha256}; "
                      + (f"archived as entry {entry.seq}" if outcome.added else f"already archive entry {entry.seq}"))
        return form_page(request, "upload.html", file_name=got.name, outcome=outcome, entry=entry)

    async def verify(request: Request) -> Response:
        if (no := portal.refused(request, guard.VERIFY, page_route=False)) is not None:
            return no
        return await taken(request, "verify.html", ("workbook", "record"), verified)

    async def upload(request: Request) -> Response:
        if (no := portal.refused(request, guard.UPLOAD, page_route=False)) is not None:
            return no
        return await taken(request, "upload.html", ("workbook",), uploaded)

    return [Route("/verify", verify_form, methods=["GET"]), Route("/verify", verify, methods=["POST"]),
            Route("/upload", upload_form, methods=["GET"]), Route("/upload", upload, methods=["POST"])]
