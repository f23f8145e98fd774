"""Issue invoices: the documents a customer receives, checked, written, archived.

For every numbered, issued invoice and credit note of a validated workbook not issued yet
(or for those named), in the customer's `document_format` (else the Settings'), or in the
formats asked for:

1. the particulars each format needs are checked (`validation.particulars`): what is
   missing is refused at its cell, before anything is made;
2. an invoice issued before is compared with the record it was issued from: the same
   record gives the archived bytes again, a changed one is refused (issued means
   immutable: a correction is a credit note);
3. every document is made (PDF, Factur-X, UBL, CII) into a staging folder, each XML
   checked by the official rules of its format (`billing.documents.rules`: the XSD, then
   EN 16931 and the Peppol, XRechnung or Factur-X rules) — on both cores when there are
   many (the pool starts while steps 1–2 run; one task per invoice, its plain PDF and
   Factur-X PDF from one drawing); each broken rule is refused at the workbook cell its
   business term comes from;
4. only when nothing was refused: the files move to `<out>/<yyyy-mm>/`, all are stored in
   the write-once archive and made durable, then recorded in the store's chain in one
   transaction (`billing.sealing.issued.archive_documents`), and the Documents sheet lists
   every issued document of the workbook.

Any refusal: nothing is written, nothing archived. The bytes are deterministic (the
documents are dated by the issue date), so the same workbook row gives the same file.

Killed at any point (SIGKILL, a power cut), a run leaves nothing a rerun does not finish:
the workbook is replaced atomically (the old or the new one, whole); a document is stored
in the archive before its entry is recorded, so an entry never names a missing file, and a
file stored but not recorded is recorded by the rerun, which makes the same bytes (until
then `archive check` warns of it); documents moved into place but not archived are made and
archived again; the staging folder a killed run left is removed by the next run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple, Sequence

from billing.book import Book
from billing.changes import OutputSheet
from billing.contract import DOCUMENT_FORMATS, DOCUMENTS
from billing.errors import BadFile, Finding, error
from billing.invoicing.document import DocumentError, InvoiceDocument, Source, document_of

#: The syntax and official rule profiles each XML format is checked with (`billing.documents.rules`).
#: Factur-X's own EN 16931 schematron holds the EN 16931 rules for CII and Factur-X's.
FORMAT_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ubl": ("ubl", ("en16931",)),
    "peppol": ("ubl", ("en16931", "peppol")),
    "xrechnung-ubl": ("ubl", ("en16931", "xrechnung")),
    "cii": ("cii", ("en16931",)),
    "facturx": ("cii", ("facturx",)),
    "xrechnung-cii": ("cii", ("en16931", "xrechnung")),
}
#: Below this many documents they are made in this process (a worker's start and the
#: compilation of its rules cost about a second).
PARALLEL_FROM = 24
#: The staging folders in the documents folder: `STAGING<random>`, each held by its run.
STAGING = ".xlbilling-issue-"
RULE = "einvoice_rule"
CHANGED = "issued_document_changed"

# -- where a business term comes from in the workbook -------------------------------------------
SELLER_TERMS = {
    "BG-4": "company_name", "BT-27": "company_name", "BT-28": "company_name", "BT-29": "company_registration",
    "BT-30": "company_registration", "BT-31": "company_vat_id", "BT-32": "company_tax_number",
    "BT-34": "company_endpoint_id", "BG-5": "company_street", "BT-35": "company_street", "BT-36": "company_street",
    "BT-37": "company_city", "BT-38": "company_postcode", "BT-40": "company_country", "BG-6": "company_contact",
    "BT-41": "company_contact", "BT-42": "company_phone", "BT-43": "company_email", "BT-84": "company_iban",
    "BT-85": "company_name", "BT-86": "company_bic", "BG-17": "company_iban",
}
BUYER_TERMS = {
    "BT-10": "buyer_reference", "BG-7": "name", "BT-44": "name", "BT-45": "name", "BT-46": "customer_id",
    "BT-47": "customer_id", "BT-48": "vat_id", "BT-49": "endpoint_id", "BG-8": "street", "BT-50": "street",
    "BT-51": "street", "BT-52": "city", "BT-53": "postcode", "BT-55": "country", "BT-58": "invoice_email",
}
LINE_TERMS = {
    "BT-126": "line_no", "BT-129": "quantity", "BT-130": "quantity", "BT-131": "net", "BT-146": "unit_price",
    "BT-147": "discount_pct", "BT-148": "unit_price", "BT-151": "tax_code", "BT-152": "tax_code",
    "BT-153": "description", "BG-29": "unit_price", "BG-30": "tax_code", "BG-31": "description",
}
INVOICE_TERMS = {
    "BT-1": "invoice_no", "BT-2": "issue_date", "BT-3": "kind", "BT-5": "currency", "BT-9": "due_date",
    "BT-20": "terms", "BT-25": "corrects", "BT-26": "corrects", "BG-3": "corrects", "BT-72": "issue_date",
    "BT-83": "payment_reference", "BT-92": "discount_pct", "BT-93": "discount_pct", "BT-94": "discount_pct",
    "BG-20": "discount_pct", "BT-106": "net", "BT-107": "discount_pct", "BT-109": "net", "BT-110": "tax",
    "BT-112": "gross", "BT-115": "gross", "BG-22": "gross", "BG-23": "tax_code", "BT-116": "net",
    "BT-117": "tax", "BT-118": "tax_code", "BT-119": "tax_code", "BT-120": "tax_code", "BT-121": "tax_code",
}


class Job(NamedTuple):
    """One document to make: what a worker gets."""

    document: InvoiceDocument
    format: str
    staged: str  # the file to write
    rules_dir: str | None
    logo: str | None


class Made(NamedTuple):
    """What a worker made: the file's SHA-256 and size, the fatal rule failures (empty: valid),
    and the `source_digest` of its document (made beside the documents, not after them)."""

    sha256: str
    size: int
    failures: tuple  # of billing.documents.rules.RuleFailure
    source_digest: str = ""


class Produced(NamedTuple):
    """One document of the run: new, or issued before and given again."""

    invoice_no: str
    format: str
    file: str  # relative to the out folder
    sha256: str
    valid: str | None  # "yes" for an XML that passed its rules, None for a plain PDF
    issued_at: object  # datetime.date: the issue date
    rules: str
    new: bool

    def as_dict(self) -> dict:
        return {**self._asdict(), "issued_at": self.issued_at.isoformat()}


class Refusal(NamedTuple):
    invoice_no: str
    format: str
    finding: Finding

    def as_dict(self) -> dict:
        return {"invoice_no": self.invoice_no, "format": self.format, "cell": self.finding.cell,
                "rule": self.finding.rule, "message": self.finding.message}


class IssueOptions(NamedTuple):
    out: Path
    numbers: tuple[str, ...] | None = None  # None: every issued document not issued yet
    formats: tuple[str, ...] | None = None  # None: each customer's format
    rules_dir: Path | None = None
    workers: int | None = None  # None: one per core when there are many documents
    logo: Path | None = None


class IssueResult(NamedTuple):
    ok: bool
    issued: list[Produced]
    already_issued: int  # issued before and not asked for again
    refused: list[Refusal]
    documents_sheet: OutputSheet | None  # every issued document of the workbook, when ok

    @property
    def findings(self) -> list[Finding]:
        return [r.finding for r in self.refused]


# -- naming, digests, places ----------------------------------------------------------------------


def file_name(invoice_no: str, format_name: str) -> str:
    """The document's file name: the invoice number (characters a file name cannot hold as `_`),
    the format unless it is the plain PDF, and the suffix.

    >>> file_name("INV-2026-000001", "pdf"), file_name("INV/7", "peppol"), file_name("CN-1", "facturx")
    ('INV-2026-000001.pdf', 'INV_7-peppol.xml', 'CN-1-facturx.pdf')
    """
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", invoice_no).strip(".") or "_"
    if format_name == "pdf":
        return f"{safe}.pdf"
    return f"{safe}-{format_name}.{'pdf' if format_name == 'facturx' else 'xml'}"


def relative_file(document: InvoiceDocument, format_name: str) -> str:
    """`<yyyy-mm>/<file name>`: the folder of the issue date's month."""
    return f"{document.issue_date:%Y-%m}/{file_name(document.number, format_name)}"


def source_digest(document: InvoiceDocument) -> str:
    """SHA-256 of what the document says: the record without where its values sit in the
    workbook (rows may be sorted) and without the format (each format is its own entry)."""
    values = dataclasses.asdict(document)
    for key in ("source", "customer_source", "document_format"):
        values.pop(key)
    for line in values["lines"]:
        line.pop("source")
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rules_title(format_name: str) -> str:
    """The official rules a format is checked with, as the Documents sheet names them."""
    if format_name not in FORMAT_RULES:
        return ""
    from billing.documents.rules import PROFILE_NAMES

    syntax, profiles = FORMAT_RULES[format_name]
    return ", ".join(f"{PROFILE_NAMES[p]} ({syntax.upper()})" for p in profiles)


def term_source(document: InvoiceDocument, term: str | None, line: int | None) -> Source:
    """The workbook place a business term of this document comes from (the invoice's row when
    the term is not one the workbook holds)."""
    from billing.invoicing.particulars import setting

    if line is not None and 0 < line <= len(document.lines) and document.lines[line - 1].source is not None:
        row = document.lines[line - 1].source.row
        return Source("InvoiceLines", row, LINE_TERMS.get(term or "", "description"))
    if term in SELLER_TERMS:
        return setting(SELLER_TERMS[term])
    if term in BUYER_TERMS and document.customer_source is not None:
        return document.customer_source._replace(column=BUYER_TERMS[term])
    if term in BUYER_TERMS:
        return document.source._replace(column="customer_id")
    if term in LINE_TERMS:  # an invoice without lines: its one line is the invoice row
        return document.source._replace(column={"description": "invoice_no", "quantity": "net",
                                                 "unit_price": "net"}.get(LINE_TERMS[term], LINE_TERMS[term]))
    return document.source._replace(column=INVOICE_TERMS.get(term or "", "invoice_no"))


def place(book: Book, source: Source) -> tuple[str, str]:
    from validation.particulars import place_of

    return place_of(book, source)


def failure_finding(book: Book, document: InvoiceDocument, format_name: str, failure) -> Finding:
    """A broken official rule as a finding at the cell its business term comes from."""
    cell, hint = place(book, term_source(document, failure.business_term, failure.line))
    text = " ".join(failure.text.split())
    where = f" (line {failure.line})" if failure.line else ""
    message = f"{failure.rule} {text}{where} [{format_name}: {failure.source}]" + (f"; {hint}" if hint else "")
    return error(cell, RULE, message)


# -- making one document --------------------------------------------------------------------------


def make(document: InvoiceDocument, format_name: str, rules_dir: str | os.PathLike | None = None,
         logo: str | os.PathLike | None = None, check: bool = True) -> tuple[bytes, list]:
    """The document's bytes in a format and the fatal failures of its official rules (an XML,
    and the XML inside a Factur-X, is checked before anything else is made from it)."""
    logo_path = Path(logo) if logo else None
    if format_name == "pdf":
        from billing.documents.pdf import render_pdf

        return render_pdf(document, logo=logo_path), []
    xml, failures = checked_xml(document, format_name, rules_dir, check)
    if failures or format_name != "facturx":
        return xml, failures
    from billing.documents.facturx import render_facturx

    return render_facturx(document, xml, logo=logo_path), []


def checked_xml(document: InvoiceDocument, format_name: str, rules_dir: str | os.PathLike | None = None,
                check: bool = True) -> tuple[bytes, list]:
    """The XML of an e-invoice format (for Factur-X: the CII it carries) and the fatal failures of
    its official rules."""
    from billing.documents import rules

    syntax, profiles = FORMAT_RULES[format_name]
    if syntax == "ubl":
        from billing.documents.ubl import ubl_bytes

        xml = ubl_bytes(document, format_name)
    else:
        from billing.documents.cii import cii_bytes

        xml = cii_bytes(document, format_name)
    return xml, [f for f in rules.check(xml, syntax, profiles, rules_dir) if f.fatal] if check else []


def make_job(job: Job) -> Made:
    """Make one document into its staging file (the bytes stay out of the parent's memory); an
    invalid one is not written."""
    data, failures = make(job.document, job.format, job.rules_dir, job.logo)
    if failures:
        return Made("", 0, tuple(failures))
    return _staged(job, data)


def _staged(job: Job, data: bytes) -> Made:
    Path(job.staged).write_bytes(data)
    return Made(hashlib.sha256(data).hexdigest(), len(data), ())


def make_document(jobs: tuple[Job, ...]) -> tuple[Made, ...]:
    """A worker's task: every document of one invoice (`jobs`, all of the same document), in
    order. The plain PDF and the Factur-X PDF are made from one drawing of the page when both
    are asked for and the Factur-X's XML passed its rules (`render_pdf_and_facturx`: the same
    bytes as two drawings)."""
    document = jobs[0].document
    made: dict[int, Made] = {}
    formats = [job.format for job in jobs]
    if "pdf" in formats and "facturx" in formats:
        plain, factur = formats.index("pdf"), formats.index("facturx")
        xml, failures = checked_xml(document, "facturx", jobs[factur].rules_dir)
        if failures:
            made[factur] = Made("", 0, tuple(failures))
        else:
            from billing.documents.facturx import render_pdf_and_facturx

            logo = Path(jobs[plain].logo) if jobs[plain].logo else None
            pdf_bytes, facturx_bytes = render_pdf_and_facturx(document, xml, logo=logo)
            made[plain], made[factur] = _staged(jobs[plain], pdf_bytes), _staged(jobs[factur], facturx_bytes)
    digest = source_digest(document)
    return tuple((made[i] if i in made else make_job(job))._replace(source_digest=digest)
                 for i, job in enumerate(jobs))


def warm_worker(needs: Sequence[tuple[str, tuple[str, ...]]], rules_dir: str | None) -> None:
    """A worker's initializer: compile the rules it will run (`billing.documents.rules.warm`)
    and load the PDF renderer, before its first document."""
    from billing.documents import rules

    for syntax, profiles in needs:
        rules.warm(syntax, profiles, rules_dir)
    import billing.documents.pdf  # noqa: F401


def rule_needs(formats: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(syntax, profiles) to compile for these formats, each syntax once."""
    wanted: dict[str, dict[str, None]] = {}
    for name in formats:
        if name in FORMAT_RULES:
            syntax, profiles = FORMAT_RULES[name]
            wanted.setdefault(syntax, {}).update(dict.fromkeys(profiles))
    return [(syntax, tuple(profiles)) for syntax, profiles in wanted.items()]


def start_pool(expected: int, workers: int | None = None, formats: Iterable[str] = (),
               rules_dir: str | None = None):
    """A pool of processes (one per core, `spawn`: the same on every platform) for about
    `expected` documents, its workers started and warming now (`warm_worker`: the rules of
    `formats`; others are compiled at their first document) — while this process reads the
    documents; None when they are few enough to make here. The caller shuts it down."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if expected < PARALLEL_FROM or count <= 1:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn"),
                               initializer=warm_worker, initargs=(rule_needs(formats), rules_dir))
    for _ in range(count):  # a worker is started per task waiting for one
        pool.submit(int)
    return pool


def run_jobs(jobs: list[Job], workers: int | None = None, on_done: Callable[[int], None] = lambda n: None,
             pool=None) -> list[Made]:
    """Make every job, in order, a document's jobs together (`make_document`): on `pool`
    (`start_pool`), else on a pool of its own when there are many, else in this process.
    `on_done(n)`: n jobs made so far."""
    groups: list[tuple[Job, ...]] = []
    for job in jobs:
        if groups and groups[-1][0].document is job.document:
            groups[-1] += (job,)
        else:
            groups.append((job,))
    made: list[Made] = []
    executor = pool if pool is not None or not jobs else start_pool(len(jobs), workers, {job.format for job in jobs},
                                                                    jobs[0].rules_dir)
    if executor is None:
        for group in groups:
            made.extend(make_document(group))
            on_done(len(made))
        return made
    count = workers if workers is not None else (os.cpu_count() or 1)
    try:  # small chunks: every worker busy to the end
        for result in executor.map(make_document, groups, chunksize=max(1, min(8, len(groups) // (8 * count)))):
            made.extend(result)
            on_done(len(made))
    finally:
        if executor is not pool:
            executor.shutdown()
    return made


# -- the run ----------------------------------------------------------------------------------------


def issue(book: Book, tables, computed, engine, archive_root: Path, options: IssueOptions,
          on_done: Callable[[int], None] = lambda n: None) -> IssueResult:
    """Issue the documents of a validated, computed workbook (`tables`, `computed`): see the
    module's text. `engine`: the store; `archive_root`: the archive folder. The pool of workers
    (`start_pool`) starts while the documents are read and checked for their particulars."""
    from billing.sealing.issued import issued_of_workbook
    from validation.particulars import issued_numbers

    for name in options.formats or ():
        if name not in DOCUMENT_FORMATS:
            raise BadFile(f"--format {name!r} is not a document format ({', '.join(DOCUMENT_FORMATS)})")
    workbook_id = tables.settings.workbook_id
    numbered = issued_numbers(tables)
    if options.numbers is not None:
        unknown = [n for n in options.numbers if n not in set(numbered)]
        if unknown:
            raise BadFile(f"--invoice {unknown[0]}: no issued invoice or credit note has this number")
        chosen = list(dict.fromkeys(options.numbers))
    else:
        chosen = numbered
    if chosen and not workbook_id:
        raise BadFile("the workbook has no workbook_id: number it first (xlbilling number or close)")
    before = {(d.invoice_no, d.format): d for d in issued_of_workbook(engine, workbook_id)} if workbook_id else {}

    rules_dir = str(options.rules_dir) if options.rules_dir else None
    warm = [name for name in options.formats or () if rules_installed(name, rules_dir)]  # others: refused below
    pool = start_pool(_expected(chosen, options.formats, before), options.workers, warm, rules_dir)
    try:
        return _issue(book, tables, computed, engine, archive_root, options, on_done, chosen, before, workbook_id,
                      pool)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _expected(chosen: list[str], formats: tuple[str, ...] | None, before: dict) -> int:
    """About how many documents the run makes, before the documents are read (to start the pool)."""
    if formats:
        return sum((number, name) not in before for number in chosen for name in formats)
    done = {number for number, _ in before}
    return sum(number not in done for number in chosen)


def _issue(book, tables, computed, engine, archive_root: Path, options: IssueOptions, on_done, chosen, before,
           workbook_id, pool) -> IssueResult:
    from billing.invoicing.particulars import missing_particulars
    from billing.sealing.issued import issued_of_workbook

    refused: list[Refusal] = []
    again: list[tuple[InvoiceDocument, str]] = []  # issued before, asked for again, unchanged
    todo: list[tuple[InvoiceDocument, str]] = []
    already = 0
    for number in chosen:
        try:
            document = document_of(tables, computed, number)
        except DocumentError as exc:
            raise BadFile(f"--invoice {number}: {exc}") from None
        for format_name in options.formats or (document.document_format,):
            earlier = before.get((number, format_name))
            if earlier is not None:
                if earlier.source_digest != source_digest(document):
                    cell, _ = place(book, document.source)
                    refused.append(Refusal(number, format_name, error(
                        cell, CHANGED, f"{number} was issued as {format_name} on {earlier.issue_date} "
                        f"(sha256 {earlier.sha256[:16]}…) and its data changed since: an issued invoice is not "
                        "changed, a correction is a credit note")))
                elif options.numbers is not None:
                    again.append((document, format_name))
                else:
                    already += 1
                continue
            missing = missing_particulars(document, format_name)
            for item in missing:
                cell, hint = place(book, item.source)
                refused.append(Refusal(number, format_name, error(
                    cell, item.rule, f"{item.message}; {hint}" if hint else item.message)))
            if not missing:
                todo.append((document, format_name))
    if refused:
        return IssueResult(False, [], already, _unique(refused), None)
    require_rules({f for _, f in todo}, options.rules_dir)

    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    with staging_folder(out) as staging:
        jobs = [Job(d, f, str(staging / f"{i}{Path(file_name(d.number, f)).suffix}"),
                    str(options.rules_dir) if options.rules_dir else None,
                    str(options.logo) if options.logo else None) for i, (d, f) in enumerate(todo)]
        made = run_jobs(jobs, options.workers, on_done, pool)
        for (document, format_name), result in zip(todo, made):
            for failure in result.failures:
                refused.append(Refusal(document.number, format_name,
                                       failure_finding(book, document, format_name, failure)))
        if refused:
            return IssueResult(False, [], already, _unique(refused), None)
        produced = _publish(out, staging, engine, archive_root, workbook_id, todo, jobs, made)
    produced += [_give_again(out, archive_root, before[(d.number, f)]) for d, f in again]
    return IssueResult(True, produced, already, [], documents_sheet(issued_of_workbook(engine, workbook_id)))


@contextmanager
def staging_folder(out: Path) -> Iterator[Path]:
    """A new staging folder in `out` (`.xlbilling-issue-<random>`), held while this run makes
    its documents in it and removed after; first, the staging folders that killed runs left
    in `out` are removed. The hold is the workbook hold's operating-system lock
    (`billing.workbook.lock`), taken before the folder exists: the system lets go of it when
    its process ends, however it ends, so a folder whose hold can be taken has no run."""
    from billing.workbook.lock import hold_for_writing

    for left in abandoned_staging(out):
        shutil.rmtree(left, ignore_errors=True)
    staging = out / f"{STAGING}{secrets.token_hex(8)}"
    with hold_for_writing(staging, command="issue"):
        staging.mkdir()
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def abandoned_staging(out: Path) -> Iterator[Path]:
    """The staging folders in `out` no run holds (each held while it is yielded): a killed
    run's, with the documents it made and had not moved into place yet."""
    from billing.workbook.lock import WorkbookBusy, hold_for_writing, lock_file

    before, _, after = lock_file(out / "*").name.partition("*")
    found = {p for p in out.glob(f"{STAGING}*") if p.is_dir()}
    # and the hold of a run killed before it made its folder
    found |= {out / p.name[len(before):len(p.name) - len(after)] for p in out.glob(f"{before}{STAGING}*{after}")}
    for folder in sorted(found):
        try:
            with hold_for_writing(folder, command="issue"):
                yield folder
        except WorkbookBusy:
            continue  # another run is making its documents there


def _unique(refused: list[Refusal]) -> list[Refusal]:
    """Each (document, cell, rule, message) once."""
    seen, out = set(), []
    for r in refused:
        key = (r.invoice_no, r.format, r.finding.cell, r.finding.rule, r.finding.message)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _publish(out: Path, staging: Path, engine, archive_root: Path, workbook_id: str,
             todo: list[tuple[InvoiceDocument, str]], jobs: list[Job], made: list[Made]) -> list[Produced]:
    """Move the made files into place, archive them and record them (`archive_documents`: the
    files made durable, then all entries in one transaction)."""
    from billing.sealing.issued import archive_documents

    produced, archived = [], []
    for (document, format_name), job, result in zip(todo, jobs, made):
        relative = relative_file(document, format_name)
        dest = out / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(job.staged, dest)
        rules = rules_title(format_name)
        archived.append((dest, result.sha256, {
            "workbook_id": workbook_id, "invoice_no": document.number, "invoice_key": str(document.invoice_key),
            "format": format_name, "file_name": relative, "suffix": dest.suffix, "source_digest":
            result.source_digest or source_digest(document), "rules": rules, "issue_date": document.issue_date}))
        produced.append(Produced(document.number, format_name, relative, result.sha256, "yes" if rules else None,
                                 document.issue_date, rules, True))
    archive_documents(engine, archive_root, archived)
    return produced


def _give_again(out: Path, archive_root: Path, earlier) -> Produced:
    """An issued document asked for again: the archived bytes, where it was written."""
    from billing.atomic import write_bytes_atomically
    from billing.sealing.archive import archived_path, file_sha256

    stored = archived_path(archive_root, earlier.sha256, earlier.suffix)
    if not stored.is_file():
        raise BadFile(f"{earlier.invoice_no} ({earlier.format}) was issued, but its archived file {stored} is missing")
    dest = out / earlier.file_name
    if not dest.is_file() or file_sha256(dest) != earlier.sha256:
        dest.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(dest, stored.read_bytes())
    return Produced(earlier.invoice_no, earlier.format, earlier.file_name, earlier.sha256,
                    "yes" if earlier.rules else None, earlier.issue_date, earlier.rules, False)


def documents_sheet(issued: Sequence) -> OutputSheet:
    """The Documents sheet: every issued document of the workbook, in the order issued."""
    rows = [(d.invoice_no, d.format, d.file_name, d.sha256, "yes" if d.rules else None, d.issue_date,
             d.rules or None) for d in issued]
    return OutputSheet(DOCUMENTS.name, DOCUMENTS.column_names, rows, DOCUMENTS.number_formats())


def require_rules(formats: Iterable[str], rules_dir: str | os.PathLike | None = None) -> None:
    """`RulesNotInstalled` (before any worker starts) when a format's official rules are found nowhere."""
    from billing.documents.rules import locate

    for syntax, profiles in rule_needs(formats):
        for profile in profiles:
            locate(syntax, profile, rules_dir)


def rules_installed(format_name: str, rules_dir: str | os.PathLike | None = None) -> bool:
    """Whether every official rule set of a format can be found (a plain PDF needs none)."""
    if format_name not in FORMAT_RULES:
        return True
    from billing.documents.rules import RulesNotInstalled, locate

    syntax, profiles = FORMAT_RULES[format_name]
    try:
        for profile in profiles:
            locate(syntax, profile, rules_dir)
    except RulesNotInstalled:
        return False
    return True


def documents_folder(workbook: str | os.PathLike, settings, default: str = "documents") -> Path:
    """Where a workbook's documents go (each below in the folder of its month): the Settings'
    `documents_folder` (relative to the workbook's folder, or absolute), else `default`
    beside the workbook (the command line: `documents`; the ribbon: `<workbook stem> documents`)."""
    base = Path(workbook).resolve().parent
    named = (settings.documents_folder or "").strip()
    return base / Path(named).expanduser() if named else base / default


def logo_of(workbook: str | os.PathLike, settings) -> Path | None:
    """The Settings' `logo_file` (relative to the workbook's folder) when that file exists."""
    if not settings.logo_file:
        return None
    path = Path(workbook).resolve().parent / settings.logo_file
    return path if path.is_file() else None


def month_documents(tables, computed, day) -> dict[str, list[str]]:
    """The numbers of the issued invoices and credit notes dated in `day`'s month, by the
    format each is issued in (the customer's, else the Settings')."""
    from validation.particulars import issued_numbers

    found: dict[str, list[str]] = {}
    for number in issued_numbers(tables):
        document = document_of(tables, computed, number)
        if (document.issue_date.year, document.issue_date.month) == (day.year, day.month):
            found.setdefault(document.document_format, []).append(number)
    return found
