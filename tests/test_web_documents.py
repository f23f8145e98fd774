"""The portal's issued documents (`/documents`), close summaries (`/archive/N`, `/periods`) and
the archive's customer filter, over a store built by the real commands: two sample workbooks
each numbered and closed (`xlbilling close`), issued as PDF and UBL (`xlbilling issue`, the
UBL checked by the EN 16931 rules), sealed and archived (`xlbilling seal`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from billing.access import audit
from billing.access.users import add_user
from billing.sealing.archive import _HASHED as ARCHIVE_HASHED
from billing.sealing.archive import append_chained_many, archived_path, entries
from billing.sealing.issued import _HASHED as ISSUED_HASHED
from billing.sealing.issued import all_issued
from billing.store import archive_entries, issued_documents, numbers, open_store
from billing.web.app import create_app
from billing.web.close_summary import shown
from billing.web.issued_listing import date_range
from billing.web.listing import PAGE_SIZE
from tests.test_issue import needs_rules
from tests.test_web import CHEAP, PASSWORD, ROLES, SECRET, client_of, log_in, seconds_per_page, xlbilling

#: The sample's invoices, and the periods its two seals name (None: the seal's default, the
#: month of the latest issue date; an early month holds fewer of its customers).
INVOICES, PERIODS = 10, ("2026-08", None)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A sample workbook made, closed, issued (PDF + UBL) by the command line, then sealed twice
    (two copies, two periods) into the archive; one user per role. (engine, archive root, the
    sealed workbooks in archive order, the issue output folder)."""
    needs_rules("ubl")
    home = tmp_path_factory.mktemp("documents")
    db, root, key, out = f"sqlite:///{home / 'store.sqlite'}", home / "archive", home / "key.pem", home / "out"
    xlbilling("keys", "init", "--key", key)
    book = home / "book.xlsx"
    xlbilling("new", book, "--sample", INVOICES, "--seed", 11)
    xlbilling("close", book, "--as-of", "2026-12-31", "--db", db, "--json")
    xlbilling("issue", book, "--format", "pdf", "--format", "ubl", "--out", out, "--db", db, "--archive", root, "--json")
    books = []
    for i, period in enumerate(PERIODS):
        copy = Path(shutil.copy(book, home / f"book-{i}.xlsx"))
        xlbilling("seal", copy, *(["--period", period] if period else []), "--key", key, "--db", db,
                  "--archive", root, "--json")
        books.append(copy)
    engine = open_store(db)
    for role in ROLES:
        add_user(engine, f"{role}-user", role, PASSWORD, hasher=CHEAP)
    yield engine, root, books, out
    engine.dispose()


@pytest.fixture
def as_role(store):
    engine, root, _, _ = store
    app = create_app(engine, root, SECRET)

    def make(role: str | None):
        client = client_of(app)
        if role is not None:
            assert log_in(client, f"{role}-user").status_code == 303
        return client
    return make


def customers_by_number(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {n: c for n, c in conn.execute(numbers.select().with_only_columns(numbers.c.number,
                                                                                   numbers.c.customer_id))}


def listed(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/documents/(\d+)">', html)]


# --- the list -----------------------------------------------------------------------------------

def test_the_list_shows_every_issued_document_newest_first(as_role, store):
    engine = store[0]
    issued = all_issued(engine)
    assert {d.format for d in issued} == {"pdf", "ubl"} and len(issued) == 2 * INVOICES
    page = as_role("finance").get("/documents").text
    assert listed(page) == [d.seq for d in reversed(issued)]
    assert f"{len(issued)} documents" in page
    owner = customers_by_number(engine)
    for d in issued:  # each row shows its customer, from the numbering registry
        assert re.search(rf'/documents/{d.seq}">{d.seq}</a></td><td>{d.invoice_no}</td><td>{owner[d.invoice_no]}<',
                         page)


SEARCHES = {
    "invoice exactly": (lambda docs, own: "invoice=" + docs[2].invoice_no,
                        lambda d, docs, own: d.invoice_no == docs[2].invoice_no),
    "invoice prefix, any case": (lambda docs, own: "invoice=" + docs[0].invoice_no[:-1].lower(),
                                 lambda d, docs, own: d.invoice_no.startswith(docs[0].invoice_no[:-1])),
    "customer": (lambda docs, own: "customer=" + own[docs[0].invoice_no],
                 lambda d, docs, own: own[d.invoice_no].startswith(own[docs[0].invoice_no])),
    "workbook": (lambda docs, own: "workbook=" + docs[-1].workbook_id[:8],
                 lambda d, docs, own: d.workbook_id.startswith(docs[-1].workbook_id[:8])),
    "issue month": (lambda docs, own: "issued=" + docs[0].issue_date.strftime("%Y-%m"),
                    lambda d, docs, own: d.issue_date.strftime("%Y-%m") == docs[0].issue_date.strftime("%Y-%m")),
    "issue day": (lambda docs, own: "issued=" + docs[-1].issue_date.isoformat(),
                  lambda d, docs, own: d.issue_date == docs[-1].issue_date),
    "a wildcard is literal": (lambda docs, own: "invoice=%25", lambda d, docs, own: False),
    "a date that is none is dropped": (lambda docs, own: "issued=2026-13", lambda d, docs, own: True),
}


@pytest.mark.parametrize("case", SEARCHES)
def test_search(as_role, store, case):
    engine = store[0]
    docs, own = all_issued(engine), customers_by_number(engine)
    query, wanted = SEARCHES[case]
    expected = [d.seq for d in reversed(docs) if wanted(d, docs, own)]
    assert expected or case == "a wildcard is literal"
    assert listed(as_role("finance").get("/documents?" + query(docs, own)).text) == expected


@pytest.mark.parametrize(("sort", "key"), [("invoice", lambda d, own: d.invoice_no),
                                           ("customer", lambda d, own: own[d.invoice_no]),
                                           ("issued", lambda d, own: d.issue_date),
                                           ("format", lambda d, own: d.format)])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sort(as_role, store, sort, key, direction):
    engine = store[0]
    docs, own = all_issued(engine), customers_by_number(engine)
    descending = direction == "desc"
    # ties by entry number, in the same direction
    expected = [d.seq for d in sorted(docs, key=lambda d: (key(d, own), d.seq), reverse=descending)]
    assert listed(as_role("finance").get(f"/documents?sort={sort}&dir={direction}").text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2026", (dt.date(2026, 1, 1), dt.date(2027, 1, 1))), ("2026-12", (dt.date(2026, 12, 1), dt.date(2027, 1, 1))),
    ("2026-02-28", (dt.date(2026, 2, 28), dt.date(2026, 3, 1))), ("2026-02-30", None), ("2026-1", None),
    ("", None), ("2026-10%", None)])
def test_the_issue_date_searched_is_a_range_of_days(text, expected):
    assert date_range(text) == expected


@pytest.fixture
def many(store_url, tmp_path):
    """A store (SQLite, and PostgreSQL when configured) with 130 issued documents of three
    workbooks (index rows only: the list needs no files), their numbers in the registry, and
    an archive entry per workbook and period."""
    engine = open_store(store_url)
    made = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    registry = [{"number": f"INV_{i:04d}", "series_key": "INV", "seq": i, "workbook_id": f"wb-{i % 3}",
                 "invoice_key": f"k{i}", "kind": "invoice", "customer_id": f"C{i % 7}",
                 "issue_date": dt.date(2026, 1 + i % 12, 1 + i % 28), "allocated_at": made, "allocated_by": "t"}
                for i in range(130)]
    docs = [{"workbook_id": f"wb-{i % 3}", "invoice_no": f"INV_{i:04d}", "invoice_key": f"k{i}", "format": "ubl",
             "file_name": f"x/INV_{i:04d}-ubl.xml", "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
             "suffix": ".xml", "size": 100, "source_digest": "s" * 64, "rules": "EN 16931 (UBL)",
             "issue_date": r["issue_date"], "recorded_at": "2026-11-01T00:00:00.000000Z", "recorded_by": "t"}
            for i, r in enumerate(registry)]
    with engine.begin() as conn:
        conn.execute(numbers.insert(), registry)
    append_chained_many(engine, issued_documents, docs, ISSUED_HASHED, taken=lambda: False)
    archived = [{"sha256": hashlib.sha256(f"a{w}{m}".encode()).hexdigest(), "suffix": ".xlsx", "size": 1,
                 "content_digest": "c" * 64, "workbook_id": f"wb-{w}", "period": f"2026-{m:02d}",
                 "first_customer": "C0", "last_customer": "C6", "first_invoice": None, "last_invoice": None,
                 "original_name": f"wb{w}-{m}.xlsx", "key_id": "0" * 16, "sealed_at": "2026-11-02T09:30:00Z",
                 "archived_at": "2026-11-02T09:30:00.000000Z", "archived_by": "erika",
                 "retention_until": dt.date(2036, 11, 2)} for w in range(3) for m in (3, 6, 12)]
    append_chained_many(engine, archive_entries, archived, ARCHIVE_HASHED, taken=lambda: False)
    add_user(engine, "reader", "finance", PASSWORD, hasher=CHEAP)
    client = client_of(create_app(engine, tmp_path / "archive", SECRET))
    log_in(client, "reader")
    yield client, engine, registry
    engine.dispose()


@pytest.mark.parametrize(("query", "expected"), [
    ("", list(range(130, 80, -1))), ("page=2", list(range(80, 30, -1))), ("page=3", list(range(30, 0, -1))),
    ("page=99", list(range(30, 0, -1))), ("dir=asc&page=3", list(range(101, 131))),
    ("invoice=INV_01", list(range(130, 100, -1))),  # the `_` typed is literal: INV_0100..0129
    ("invoice=INV%5F01&page=2", list(range(130, 100, -1))),  # past the end: the last page
    ("customer=c3&workbook=WB-1", [i + 1 for i in range(129, -1, -1) if i % 7 == 3 and i % 3 == 1]),
    ("issued=2026-05", [i + 1 for i in range(129, -1, -1) if 1 + i % 12 == 5]),
])
def test_paging_and_search_in_sql_on_every_store(many, query, expected):
    client, _, _ = many
    assert PAGE_SIZE == 50
    assert listed(client.get(f"/documents?{query}").text) == expected


def test_a_page_of_documents_is_one_query_of_a_page(many):
    client, engine, _ = many
    per_page = seconds_per_page(client, "/documents?page=2&sort=customer&customer=c")
    print(f"documents page ({engine.dialect.name}): {per_page * 1000:.1f} ms")
    assert per_page < 0.5


def test_the_next_page_and_the_sort_links_keep_the_search(many):
    client, _, _ = many
    html = client.get("/documents?invoice=inv&issued=2026&sort=customer&dir=asc").text
    assert ('href="?invoice=inv&amp;customer=&amp;workbook=&amp;issued=2026&amp;sort=customer&amp;dir=asc'
            '&amp;page=2">next →</a>') in html
    assert 'href="?invoice=inv&amp;customer=&amp;workbook=&amp;issued=2026&amp;sort=customer&amp;dir=desc">' in html
    archive = client.get("/?customer=C%265&period=2026").text  # what is typed is URL-encoded in the links
    assert 'href="?period=2026&amp;workbook=&amp;sealer=&amp;customer=C%265&amp;sort=seq&amp;dir=asc">' in archive


def archive_rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/archive/(\d+)">', html)]


@pytest.mark.parametrize("customer", ["C3", "c5", "C", "C9", "%"])
def test_the_customer_filter_is_who_the_registry_numbered_in_the_workbook_by_its_period(many, customer):
    client, engine, registry = many
    expected = sorted((e.seq for e in entries(engine)
                       if any(r["workbook_id"] == e.workbook_id and r["customer_id"].lower().startswith(customer.lower())
                              and r["issue_date"].strftime("%Y-%m") <= e.period for r in registry)), reverse=True)
    assert archive_rows(client.get(f"/?customer={customer}").text) == expected
    assert customer not in ("C3", "C") or expected  # the cases that should find some do


# --- one document, its file --------------------------------------------------------------------

def test_a_documents_page(as_role, store):
    engine = store[0]
    docs = all_issued(engine)
    ubl = next(d for d in docs if d.format == "ubl")
    pdf = next(d for d in docs if d.format == "pdf" and d.invoice_no == ubl.invoice_no)
    page = as_role("finance").get(f"/documents/{ubl.seq}").text
    for text in (ubl.invoice_no, customers_by_number(engine)[ubl.invoice_no], "UBL", ubl.issue_date.isoformat(),
                 ubl.workbook_id, ubl.file_name, ubl.sha256, ubl.previous_hash, ubl.entry_hash,
                 f"issued document entry {ubl.seq} of {len(docs)}", f'href="/documents/{pdf.seq}">PDF</a>',
                 "<strong>passed</strong>", "EN 16931 (UBL)", f'href="/documents/{ubl.seq}/file">Download the XML'):
        assert text in page, text
    pdf_page = as_role("finance").get(f"/documents/{pdf.seq}").text
    assert "<strong>not applicable</strong>" in pdf_page and f'href="/documents/{ubl.seq}">UBL</a>' in pdf_page
    assert f'href="/documents/{pdf.seq}/file">View the PDF' in pdf_page
    assert "<iframe" not in pdf_page and "<embed" not in pdf_page and "<object" not in pdf_page


def test_files_are_the_archived_bytes_pdf_inline_xml_attached_and_audited(as_role, store):
    engine, root, _, out = store
    client = as_role("auditor")
    before = len(audit.entries(engine, user="auditor-user", action="download"))
    docs = [d for d in all_issued(engine)][:4]
    for d in docs:
        got = client.get(f"/documents/{d.seq}/file")
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == d.sha256
        assert got.content == archived_path(root, d.sha256, d.suffix).read_bytes() == (out / d.file_name).read_bytes()
        name = d.file_name.rsplit("/", 1)[1]
        if d.format == "pdf":
            assert got.headers["content-type"] == "application/pdf" and got.content.startswith(b"%PDF-")
            assert got.headers["content-disposition"] == f'inline; filename="{name}"'
        else:
            assert got.headers["content-type"].startswith("application/xml") and b"<Invoice" in got.content[:500]
            assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
    logged = audit.entries(engine, user="auditor-user", action="download")
    assert len(logged) == before + len(docs)
    subjects = {e.subject for e in logged}
    for d in docs:
        assert f"issued document {d.seq} {d.invoice_no} {d.format} {d.sha256}" in subjects


def test_an_altered_archived_document_is_not_served(store, tmp_path):
    engine, root, _, _ = store
    copy = tmp_path / "archive"
    shutil.copytree(root, copy)
    doc = all_issued(engine)[0]
    stored = archived_path(copy, doc.sha256, doc.suffix)
    stored.chmod(0o644)
    stored.write_bytes(b"%PDF-1.7 not the issued invoice")
    client = client_of(create_app(engine, copy, SECRET))
    log_in(client, "finance-user")
    got = client.get(f"/documents/{doc.seq}/file")
    assert got.status_code == 500 and "missing or altered" in got.text and b"not the issued" not in got.content
    assert client.get(f"/documents/{doc.seq + 1}/file").status_code == 200  # the others are served


@pytest.mark.parametrize("path", ["/documents/0", "/documents/99999", "/documents/99999/file", "/documents/-1",
                                  "/documents/abc/file", "/documents/1.pdf/file", "/documents/..%2F..%2Fetc%2Fpasswd",
                                  "/documents/1%2F..%2F..%2Fapp.py/file", "/documents/2147483648",
                                  "/documents/99999999999999999999", "/documents/99999999999999999999/file",
                                  "/archive/99999999999999999999", "/archive/99999999999999999999/download",
                                  "/archive/2147483648/seal.json"])
def test_ids_that_are_not_document_numbers_are_not_found(as_role, path):
    answer = as_role("finance").get(path)
    assert answer.status_code == 404 and b"root:" not in answer.content


# --- who may see what --------------------------------------------------------------------------

PAGE, FILE = "page", "file"
ROUTES = [("/documents", PAGE), ("/documents/1", PAGE), ("/documents/2", PAGE), ("/periods", PAGE),
          ("/documents/1/file", FILE), ("/documents/2/file", FILE), ("/?customer=C", PAGE)]
EXPECTED = {PAGE: {None: 303, "finance": 200, "auditor": 200, "billing": 200, "admin": 200},
            FILE: {None: 403, "finance": 200, "auditor": 200, "billing": 200, "admin": 403}}


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize(("path", "kind"), ROUTES)
def test_authorization_matrix(as_role, path, kind, role):
    answer = as_role(role).get(path)
    assert answer.status_code == EXPECTED[kind][role]
    if answer.status_code in (303, 403):
        assert answer.content in (b"", b"Forbidden")
    if role == "admin" and kind == PAGE and path.startswith("/documents/"):
        assert "/file" not in answer.text  # no link to what the role may not fetch


def test_anonymous_visitors_cannot_tell_which_documents_exist(as_role):
    client = as_role(None)
    assert [client.get(p).status_code for p in ("/documents/1", "/documents/99999")] == [303, 303]
    assert [client.get(p).status_code for p in ("/documents/1/file", "/documents/99999/file")] == [403, 403]


def test_new_pages_have_no_inline_script_or_style_and_link_each_other(as_role, store):
    engine = store[0]
    client = as_role("finance")
    workbook = entries(engine)[0].workbook_id
    for path in ("/documents", "/documents/1", "/periods", "/archive/1"):
        html = client.get(path).text
        assert "<script" not in html and "style=" not in html and "<style" not in html
        assert 'href="/documents">Issued documents</a>' in html and 'href="/periods">Periods</a>' in html
    assert f'href="/documents?workbook={workbook}"' in client.get("/archive/1").text


# --- close summaries -----------------------------------------------------------------------------

def close_cells(path) -> list[tuple]:
    """The Close sheet's rows below its header, read independently (openpyxl, read-only), each
    with its row number last."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [(*row, n) for n, row in enumerate(wb["Close"].iter_rows(min_row=2, values_only=True), start=2)
                if any(v is not None for v in row)]
    finally:
        wb.close()


def close_table(html: str) -> list[tuple[str, ...]]:
    body = re.search(r'<table class="close">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return [tuple(c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def sheet_xml_amounts(path) -> dict[int, str]:
    """The `amount` cells' text exactly as the Close sheet's XML stores it (column D), by row number."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        book = z.read("xl/workbook.xml").decode()
        rid = re.search(r'<sheet [^>]*name="Close"[^>]*id="([^"]+)"', book).group(1)
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"|'
                           rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
        part = (target.group(1) or target.group(2)).lstrip("/")
        xml = z.read(part if part.startswith("xl/") else "xl/" + part).decode()
    return {int(row): text for row, text in re.findall(r'<c r="D(\d+)"[^>]*>(?:<v>([^<]*)</v>)?', xml)}


def check_close(table: list[tuple[str, ...]], path) -> None:
    """The page's close table is the Close sheet's cells (openpyxl), amounts equal as Decimal,
    money shown with its cents exactly as the sheet's XML stores it."""
    cells = close_cells(path)
    assert [r[:3] for r in table] == [(s, i, c or "") for s, i, c, *_ in cells]
    assert [r[4] for r in table] == ["" if n is None else str(n) for *_, n, _ in cells]
    stored = sheet_xml_amounts(path)
    for row, (_s, _i, currency, amount, _note, number) in zip(table, cells):
        text = stored.get(number)
        if amount is None:
            assert row[3] == ""
            continue
        assert Decimal(row[3]) == Decimal(str(amount)) == Decimal(text), row
        if currency and not row[1].startswith("DSO"):  # money: the stored text itself (DSO: days)
            assert row[3] == text and re.fullmatch(r"-?\d+\.\d\d", text), row
        elif not currency:
            assert row[3] == text and text.lstrip("-").isdigit(), row  # a count


def test_the_close_summary_is_the_close_sheets_figures(as_role, store):
    engine, root, books, _ = store
    client = as_role("finance")
    for entry, book in zip(entries(engine), books):
        table = close_table(client.get(f"/archive/{entry.seq}").text)
        assert len(table) > 20
        check_close(table, archived_path(root, entry.sha256, entry.suffix))
        check_close(table, book)


@pytest.mark.parametrize(("amount", "currency", "text"), [
    (Decimal("2000.0"), "EUR", "2000.00"), (Decimal("-486.04"), "EUR", "-486.04"), (Decimal("5"), "JPY", "5"),
    (Decimal("1.005"), "EUR", "1.005"), (Decimal("6.0"), "", "6"), (Decimal("137.8"), "", "137.8"),
    (Decimal("1E+3"), "", "1000"), (None, "EUR", "")])
def test_amounts_are_shown_exactly(amount, currency, text):
    assert shown(amount, currency) == text


def test_periods_list_their_latest_sealed_workbook_with_its_close(as_role, store):
    engine, root, _, _ = store
    html = as_role("finance").get("/periods").text
    latest = {}
    for e in entries(engine):
        latest[e.period] = e
    shown_periods = re.findall(r'<h2 id="period-([0-9-]+)">', html)
    assert shown_periods == sorted(latest, reverse=True)
    sections = html.split('<section class="period">')[1:]
    for period, section in zip(shown_periods, sections):
        entry = latest[period]
        assert f'href="/archive/{entry.seq}">entry {entry.seq}</a>' in section
        check_close(close_table(section), archived_path(root, entry.sha256, entry.suffix))


def test_a_workbook_sealed_without_a_close_says_so(tmp_path):
    from billing.sample import generate_sample
    from billing.workbook.create import create_workbook

    db, root, key = f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path / "archive", tmp_path / "key.pem"
    xlbilling("keys", "init", "--key", key)
    book = create_workbook(tmp_path / "plain.xlsx", generate_sample(5, seed=2))
    xlbilling("seal", book, "--period", "2026-05", "--key", key, "--db", db, "--archive", root, "--json")
    engine = open_store(db)
    add_user(engine, "f", "finance", PASSWORD, hasher=CHEAP)
    client = client_of(create_app(engine, root, SECRET))
    log_in(client, "f")
    assert "No close summary: this workbook has no Close sheet" in client.get("/archive/1").text
    assert "No close summary" in client.get("/periods").text
    engine.dispose()


# --- the archive's customer filter on the real workbooks --------------------------------------------

def customers_held(book, period: str) -> set[str]:
    """The customers of the workbook's numbered invoices dated in or before `period` (openpyxl)."""
    wb = openpyxl.load_workbook(book, read_only=True)
    try:
        rows = wb["Invoices"].iter_rows(values_only=True)
        header = [str(h).strip() if h else "" for h in next(rows)]
        at = {name: header.index(name) for name in ("customer_id", "invoice_no", "issue_date")}
        return {row[at["customer_id"]] for row in rows if row[at["invoice_no"]]
                and row[at["issue_date"]].strftime("%Y-%m") <= period}
    finally:
        wb.close()


def test_the_archive_filters_by_customer(as_role, store):
    engine, _, books, _ = store
    client = as_role("finance")
    sealed = entries(engine)
    held = {e.seq: customers_held(book, e.period) for e, book in zip(sealed, books)}
    every = set().union(*held.values())
    assert len(every) > 1
    # the same workbook sealed for an early month holds fewer customers than sealed for its last
    assert held[sealed[0].seq] < held[sealed[1].seq], held
    for customer in sorted(every) + ["C9999"]:
        expected = sorted((seq for seq, found in held.items() if customer in found), reverse=True)
        assert archive_rows(client.get(f"/?customer={customer}").text) == expected, customer
