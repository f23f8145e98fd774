"""The portal's verify and upload pages (`billing.web.verify_routes`) through Starlette's
TestClient: the verdict and the change list equal to `xlbilling verify`'s for the same file,
hostile files refused with one line and nothing kept, the size cap, CSRF, who may do what,
uploads into the archive and their refusals, the audit log."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import time
from pathlib import Path

import openpyxl
import pytest
from test_safety import OLE_MAGIC, SHEET, XXE, XXE_SHEET, DECL, package
from test_web import CHEAP, PASSWORD, ROLES, SECRET, client_of, csrf_of, log_in, portal, xlbilling  # noqa: F401

from billing.access import audit
from billing.access.users import add_user
from billing.cli import main
from billing.sealing.archive import add_years, archived_path, entries
from billing.sealing.diff import CellChange, SheetChange
from billing.sealing.keys import init_key, load_key
from billing.store import open_store
from billing.web.app import create_app


# --- the portal of these tests --------------------------------------------------------------------

@pytest.fixture(scope="module")
def keys(portal):
    """The sealing key of `portal` (test_web's: three sealed books) and a stranger's."""
    home = portal[2][0].parent
    stranger, _ = init_key(home / "stranger.pem")
    return load_key(home / "signing-key.pem"), stranger


@pytest.fixture
def uploads(tmp_path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


@pytest.fixture
def app(portal, keys, uploads):
    engine, root, _ = portal
    return create_app(engine, root, SECRET, public_keys=(keys[0].public,), upload_dir=uploads)


@pytest.fixture
def as_role(app):
    def make(role: str | None, of=None):
        client = client_of(of or app)
        if role is not None:
            assert log_in(client, f"{role}-user").status_code == 303
        return client
    return make


def post(client, route: str, workbook: Path | None = None, *, record: Path | None = None, name: str | None = None,
         csrf: str | None = "from-page", content: bytes | None = None):
    """POST the form of `route` as a browser sends it: the CSRF token first, then the files."""
    data = {} if csrf is None else {"csrf": csrf_of(client.get(route).text) if csrf == "from-page" else csrf}
    files = {}
    if workbook is not None or content is not None:
        files["workbook"] = (name or workbook.name, content if content is not None else workbook.read_bytes(),
                             "application/octet-stream")
    if record is not None:
        files["record"] = (record.name, record.read_bytes(), "application/json")
    return client.post(route, data=data, files=files)


def verdict_of(page: str) -> str | None:
    found = re.search(r'data-verdict="(\w+)"', page)
    return found.group(1) if found else None


def listed(page: str, kind: str) -> list[str]:
    """The items of the page's `<ul class="kind">` list, as text."""
    block = re.search(rf'<ul class="{kind}">(.*?)</ul>', page, re.S)
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []


def error_of(page: str) -> str:
    return html.unescape(re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S).group(1))


def cli_verify(capsys, portal, keys, path: Path) -> tuple[int, dict, list[str]]:
    """`xlbilling verify PATH` on the portal's store, archive and key: (exit code, --json, stdout lines)."""
    engine, root, _ = portal
    options = ["--db", engine.url.render_as_string(hide_password=False), "--archive", root, "--key", keys[0].path]
    runs = []
    for extra in (["--json"], []):
        with pytest.raises(SystemExit) as done:
            main([str(a) for a in ["verify", path, *options, *extra]])
        runs.append((done.value.code, capsys.readouterr().out))
    (code, out), (text_code, text) = runs
    assert code == text_code
    return code, json.loads(out), text.splitlines()


def edited(source: Path, dest: Path, change) -> Path:
    """A copy of a sealed workbook changed as a person with openpyxl (or Excel) would."""
    if source != dest:
        shutil.copyfile(source, dest)
    if change is not None:
        wb = openpyxl.load_workbook(dest)
        change(wb)
        wb.save(dest)
    return dest


def add_sheet(wb):
    wb.create_sheet("Notes")["A1"] = "paid in cash"


def edit_record(wb):
    record = json.loads(wb["_seal"]["A1"].value)
    record["period"] = "2026-08"
    wb["_seal"]["A1"] = json.dumps(record, sort_keys=True, separators=(",", ":"))


def add_name(wb):
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names.add(DefinedName("Foo", attr_text="Invoices!$A$1"))


#: A change to a sealed workbook → the verdict and a line the change list must hold.
CHANGES = {
    "intact": (None, "intact", None),
    "value": (lambda wb: wb["Customers"].cell(row=3, column=2, value="Someone Else Ltd"), "tampered",
              "Customers!B3: "),
    "formula": (lambda wb: wb["InvoiceLines"].__setitem__("E2", "=1+1"), "tampered", "InvoiceLines!E2: "),
    "format": (lambda wb: setattr(wb["InvoiceLines"]["E2"], "number_format", "0.0"), "tampered",
               "InvoiceLines!E2: number format '#,##0.00' → '0.0'"),
    "hidden row": (lambda wb: setattr(wb["Invoices"].row_dimensions[3], "hidden", True), "tampered",
                   "Invoices: hidden rows now hidden: 3"),
    "added sheet": (add_sheet, "tampered", "Notes: sheet added"),
    "renamed sheet": (lambda wb: setattr(wb["Payments"], "title", "Receipts"), "tampered",
                      "Payments: renamed to Receipts"),
    "defined name": (add_name, "tampered", "workbook: defined name Foo added (=Invoices!$A$1)"),
    "forged record": (edit_record, "tampered", None),
}


# --- the verdict, as the command line gives it ------------------------------------------------

@pytest.mark.parametrize("case", list(CHANGES))
def test_the_page_says_what_xlbilling_verify_says(as_role, portal, keys, tmp_path, capsys, case):
    change, expected, line = CHANGES[case]
    _, _, books = portal
    path = edited(books[1], tmp_path / "Billing 2026-10.xlsx", change)  # no .seal.json beside it: the one inside
    page = post(as_role("finance"), "/verify", path)
    assert page.status_code == 200
    code, report, text = cli_verify(capsys, portal, keys, path)
    lines = listed(page.text, "changes")
    assert verdict_of(page.text) == expected and code == (0 if expected == "intact" else 1)
    assert lines == text  # the same lines, in the same order
    assert lines == ([CellChange(**c).render() for c in report["changes"]]
                     + [SheetChange(**s).render() for s in report["sheet_changes"]]
                     + [f"workbook: {w}" for w in report["workbook_changes"]])
    assert listed(page.text, "problems") == report["problems"]
    assert report["sha256"] in page.text
    if line is not None:
        assert any(item.startswith(line) for item in lines), lines
    if case == "value":
        assert report["changed_cells"] == ["Customers!B3"]
        assert f"compared cell by cell with archive entry {report['archived_original']['archive_id']}" in page.text
    if case == "forged record":
        assert report["problems"][0].startswith("the signature does not match the record")


def test_a_value_change_reads_old_then_new(as_role, portal, tmp_path):
    _, _, books = portal
    before = openpyxl.load_workbook(books[1])["Customers"]["B3"].value
    path = edited(books[1], tmp_path / "b.xlsx", CHANGES["value"][0])
    assert listed(post(as_role("finance"), "/verify", path).text, "changes") == [
        f"Customers!B3: {before!r} → 'Someone Else Ltd'"]


def test_the_seal_record_dropped_beside_the_workbook_counts(as_role, portal, keys, tmp_path, capsys):
    """A workbook whose record came apart from it: the record is read as `NAME.seal.json` beside
    it, as `xlbilling verify NAME` reads it."""
    _, _, books = portal
    record = books[1].with_name(books[1].name + ".seal.json")
    path = edited(books[1], tmp_path / "book.xlsx", CHANGES["value"][0])
    shutil.copyfile(record, tmp_path / "book.xlsx.seal.json")
    doctored = json.loads(record.read_text())
    doctored["sealer"] = "Someone Else"
    (tmp_path / "doctored.seal.json").write_text(json.dumps(doctored))
    client = as_role("auditor")
    for sidecar, problem in ((record, None), (tmp_path / "doctored.seal.json", "differs from the one inside")):
        shutil.copyfile(sidecar, tmp_path / "book.xlsx.seal.json")
        page = post(client, "/verify", path, record=tmp_path / "book.xlsx.seal.json")
        code, report, text = cli_verify(capsys, portal, keys, path)
        assert (verdict_of(page.text), listed(page.text, "changes")) == ("tampered", text)
        assert listed(page.text, "problems") == report["problems"]
        assert (problem is None) == (not any("book.xlsx.seal.json differs from the one inside" in p
                                             for p in report["problems"]))


def test_an_unsealed_workbook(as_role, portal, keys, tmp_path, capsys):
    from billing.sample import generate_sample
    from billing.workbook.create import create_workbook

    path = create_workbook(tmp_path / "plain.xlsx", generate_sample(5, seed=1))
    page = post(as_role("finance"), "/verify", path)
    code, report, _ = cli_verify(capsys, portal, keys, path)
    assert (page.status_code, verdict_of(page.text), code, report["sealed"]) == (200, "unsealed", 1, False)
    assert "Not sealed" in page.text and listed(page.text, "problems") == report["problems"]


def test_a_superseded_seal(tmp_path, keys):
    """The workbook sealed for 2026-10, corrected and sealed again for 2026-10: the first sealed
    file, dropped on the page, is intact as such but superseded, and the page names the seal that counts."""
    db, root = f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path / "archive"
    engine = open_store(db)
    add_user(engine, "fin", "finance", PASSWORD, hasher=CHEAP)
    from billing.sample import generate_sample
    from billing.workbook.create import create_workbook

    path = create_workbook(tmp_path / "book.xlsx", generate_sample(5, seed=2))
    xlbilling("seal", path, "--period", "2026-10", "--key", keys[0].path, "--db", db, "--archive", root)
    first = tmp_path / "first.xlsx"
    shutil.copyfile(path, first)
    edited(path, path, lambda wb: wb["Customers"].cell(row=3, column=2, value="Corrected Ltd"))
    xlbilling("seal", path, "--period", "2026-10", "--key", keys[0].path, "--db", db, "--archive", root)
    client = client_of(create_app(engine, root, SECRET, public_keys=(keys[0].public,)))
    log_in(client, "fin")
    page = post(client, "/verify", first)
    assert verdict_of(page.text) == "superseded" and "SUPERSEDED by archive entry 2" in page.text
    assert '<a href="/archive/2">archive entry 2</a>' in page.text
    engine.dispose()


@pytest.mark.parametrize(("trusted", "expected"), [((1, 0), "intact"), ((0,), "intact"), ((1,), "tampered")])
def test_the_records_key_id_picks_among_the_trusted_keys(portal, keys, uploads, trusted, expected):
    engine, root, books = portal
    app = create_app(engine, root, SECRET, public_keys=tuple(keys[i].public for i in trusted), upload_dir=uploads)
    client = client_of(app)
    log_in(client, "finance-user")
    page = post(client, "/verify", books[0])
    assert verdict_of(page.text) == expected
    if expected == "tampered":
        assert f"the public key given is {keys[1].key_id}" in page.text
    for i in trusted:
        assert keys[i].key_id in client.get("/verify").text


def test_without_a_public_key_the_page_says_so(portal, uploads):
    engine, root, books = portal
    client = client_of(create_app(engine, root, SECRET, upload_dir=uploads))
    log_in(client, "billing-user")
    for route in ("/verify", "/upload"):
        page = client.get(route)
        assert page.status_code == 200 and "has no public key to check seals with" in page.text
        assert 'type="file"' not in page.text
        refused = client.post(route, data={"csrf": csrf_of(page.text)},
                              files={"workbook": ("b.xlsx", books[0].read_bytes())})
        assert refused.status_code == 503 and "--public-key FILE" in html.unescape(refused.text)
    assert list(uploads.iterdir()) == []


# --- hostile and unusable files -----------------------------------------------------------------

def zip_bomb(path: Path) -> Path:
    return package(path, {SHEET: bytes(4 << 20)})


def xxe(path: Path) -> Path:
    return package(path, {SHEET: DECL + XXE + XXE_SHEET.removeprefix(DECL)})


def encrypted(path: Path) -> Path:
    """An encrypted workbook as Excel saves one: an OLE compound file with an EncryptionInfo stream."""
    path.write_bytes(OLE_MAGIC + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(500)
                     + "EncryptedPackage".encode("utf-16-le") + bytes(2000))
    return path


def pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return path


def empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


HOSTILE = {"zip bomb": (zip_bomb, "bomb"), "XXE": (xxe, "DOCTYPE"), "encrypted": (encrypted, "encrypted"),
           "PDF renamed": (pdf, "not"), "empty": (empty, "empty file")}


def archive_state(engine, root: Path) -> tuple:
    """What the archive holds: its index and every file below its folder."""
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
    return [e.entry_hash for e in entries(engine)], files


@pytest.mark.parametrize("route", ["/verify", "/upload"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_with_one_line_and_nothing_is_kept(as_role, portal, uploads, tmp_path, route,
                                                                    case):
    engine, root, _ = portal
    build, word = HOSTILE[case]
    path = build(tmp_path / "Rechnung.xlsx")
    before = archive_state(engine, root)
    logged = len(audit.entries(engine, action=route[1:], limit=1000))
    page = post(as_role("billing"), route, path)
    assert page.status_code == 422
    message = error_of(page.text)
    assert message.startswith("Rechnung.xlsx: ") and "\n" not in message and word.lower() in message.lower(), message
    assert "Traceback" not in page.text
    assert archive_state(engine, root) == before
    assert list(uploads.iterdir()) == []
    last = audit.entries(engine, action=route[1:], limit=1000)
    assert len(last) == logged + 1
    assert (last[0].user, last[0].subject) == ("billing-user", "Rechnung.xlsx")
    assert last[0].detail.startswith("sha256 ") and "refused: " in last[0].detail


@pytest.mark.parametrize("name", ["invoice.pdf", "book.csv", "book", "book.xls"])
def test_only_xlsx_and_xlsm_files_are_taken(as_role, portal, uploads, name):
    _, _, books = portal
    page = post(as_role("finance"), "/verify", books[0], name=name)
    assert page.status_code == 422 and "only .xlsx and .xlsm workbooks" in page.text
    assert list(uploads.iterdir()) == []


def test_no_file_chosen(as_role, uploads):
    client = as_role("finance")
    page = client.post("/verify", data={"csrf": csrf_of(client.get("/verify").text)},
                       files={"workbook": ("", b"", "application/octet-stream")})
    assert page.status_code == 400 and "Choose the workbook" in page.text
    assert list(uploads.iterdir()) == []


@pytest.mark.parametrize("route", ["/verify", "/upload"])
def test_a_file_over_the_cap_is_refused_before_and_while_it_arrives(portal, keys, uploads, route):
    engine, root, books = portal
    app = create_app(engine, root, SECRET, public_keys=(keys[0].public,), upload_limit=100_000, upload_dir=uploads)
    client = client_of(app)
    log_in(client, "billing-user")
    token = csrf_of(client.get(route).text)
    big = b"PK" + bytes(300_000)
    declared = post(client, route, content=big, name="big.xlsx")  # Content-Length says it: refused unread
    assert declared.status_code == 413 and "The file is larger than the 0.1 MB the portal takes" in declared.text

    boundary = "xlbillingboundary"

    def body():  # no Content-Length: the cap is met while streaming
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
               f'--{boundary}\r\nContent-Disposition: form-data; name="workbook"; filename="big.xlsx"\r\n'
               "Content-Type: application/octet-stream\r\n\r\n").encode()
        for _ in range(40):
            yield bytes(10_000)
        yield f"\r\n--{boundary}--\r\n".encode()

    streamed = client.post(route, content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert streamed.status_code == 413 and "The file is larger than" in streamed.text
    assert list(uploads.iterdir()) == []
    assert archive_state(engine, root)[0] == [e.entry_hash for e in entries(engine)]


def test_the_cap_comes_from_the_environment(monkeypatch):
    from billing.config import web_upload_limit

    for value, limit in (("", 200_000_000), ("5", 5_000_000), ("0", 200_000_000), ("-3", 200_000_000),
                         ("lots", 200_000_000)):
        monkeypatch.setenv("XLBILLING_WEB_UPLOAD_MB", value)
        assert web_upload_limit() == limit


@pytest.mark.parametrize("route", ["/verify", "/upload"])
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_the_sessions_csrf_token_is_refused(as_role, portal, uploads, route, token):
    engine, root, books = portal
    before = archive_state(engine, root)
    answer = post(as_role("billing"), route, books[0], csrf=token)
    assert answer.status_code == 403 and b"Forbidden" in answer.content
    assert list(uploads.iterdir()) == [] and archive_state(engine, root) == before


def test_the_csrf_token_must_come_before_the_file(as_role, portal, uploads):
    _, _, books = portal
    client = as_role("finance")
    token = csrf_of(client.get("/verify").text)
    boundary = "b0undary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="workbook"; filename="b.xlsx"\r\n\r\n'.encode()
            + books[0].read_bytes()
            + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n--{boundary}--\r\n'
            .encode())
    answer = client.post("/verify", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 403 and list(uploads.iterdir()) == []


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/x-www-form-urlencoded", b"csrf=x"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc"),
])
def test_what_is_not_the_form_is_a_bad_request(as_role, uploads, content_type, body):
    answer = as_role("finance").post("/verify", content=body, headers={"content-type": content_type})
    assert answer.status_code == 400 and list(uploads.iterdir()) == []


def test_the_upload_folder_goes_even_when_the_check_fails_unexpectedly(as_role, portal, uploads, monkeypatch):
    import billing.sealing.verify as verify_module

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr(verify_module, "verify_workbook", broken)
    with pytest.raises(RuntimeError):
        post(as_role("finance"), "/verify", portal[2][0])
    assert list(uploads.iterdir()) == []


def test_every_verify_is_in_the_audit_log(as_role, portal, tmp_path):
    engine, _, books = portal
    client = as_role("auditor")
    path = edited(books[2], tmp_path / "Nov.xlsx", CHANGES["value"][0])
    for file in (books[2], path):
        post(client, "/verify", file)
    found = audit.entries(engine, user="auditor-user", action="verify", limit=2)
    import hashlib

    assert [(e.subject, e.detail, e.remote_addr) for e in reversed(found)] == [
        (books[2].name, f"sha256 {hashlib.sha256(books[2].read_bytes()).hexdigest()}; verdict intact", "testclient"),
        ("Nov.xlsx", f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}; verdict tampered", "testclient")]


# --- who may do what ------------------------------------------------------------------------------

#: route → role → status (anonymous: None)
MATRIX = {
    ("GET", "/verify"): {None: 303, "finance": 200, "auditor": 200, "billing": 200, "admin": 403},
    ("POST", "/verify"): {None: 403, "finance": 200, "auditor": 200, "billing": 200, "admin": 403},
    ("GET", "/upload"): {None: 303, "finance": 403, "auditor": 403, "billing": 200, "admin": 403},
    ("POST", "/upload"): {None: 403, "finance": 403, "auditor": 403, "billing": 200, "admin": 403},
}


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("route", list(MATRIX))
def test_authorization_matrix(as_role, portal, uploads, route, role):
    engine, root, books = portal
    method, path = route
    client = as_role(role)
    before = archive_state(engine, root)
    if method == "GET":
        answer = client.get(path)
    else:  # the token of a page this role may see, or of the login page
        token = csrf_of(client.get("/login").text)
        answer = client.post(path, data={"csrf": token}, files={"workbook": (books[0].name, books[0].read_bytes())})
    assert answer.status_code == MATRIX[route][role]
    if answer.status_code in (303, 403):
        assert answer.content in (b"", b"Forbidden")
        if answer.status_code == 303:
            assert answer.headers["location"] == "/login"
    assert archive_state(engine, root) == before  # books[0] is archived already: an upload adds nothing
    assert list(uploads.iterdir()) == []


LISTS = ["/", "/documents", "/periods"]  # the lists everyone logged in may read


@pytest.mark.parametrize(("role", "links"), [("finance", [*LISTS, "/verify"]), ("auditor", [*LISTS, "/verify"]),
                                             ("billing", [*LISTS, "/verify", "/upload"]), ("admin", LISTS)])
def test_the_menu_shows_what_the_role_may_do(as_role, role, links):
    page = as_role(role).get("/").text
    menu = re.search(r'<nav class="main">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r'href="([^"]+)"', menu) == links


def test_the_pages_have_no_inline_script_or_style(as_role, portal, tmp_path):
    client = as_role("billing")
    pages = [client.get("/verify").text, client.get("/upload").text,
             post(client, "/verify", edited(portal[2][1], tmp_path / "x.xlsx", CHANGES["value"][0])).text]
    for page in pages:
        assert "<script" not in page and "style=" not in page and "<style" not in page


# --- upload ---------------------------------------------------------------------------------------

@pytest.fixture
def empty_archive(tmp_path, keys, uploads):
    """A fresh store and an empty archive (no folder yet), with a billing and a finance user."""
    engine = open_store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    for role in ("billing", "finance"):
        add_user(engine, f"{role}-user", role, PASSWORD, hasher=CHEAP)
    root = tmp_path / "fresh-archive"
    app = create_app(engine, root, SECRET, public_keys=(keys[0].public,), upload_dir=uploads)
    client = client_of(app)
    log_in(client, "billing-user")
    yield engine, root, client
    engine.dispose()


def test_a_sealed_workbook_is_archived_by_its_uploader(empty_archive, portal, uploads):
    from billing.sealing.archive_check import check_archive

    engine, root, client = empty_archive
    book = portal[2][1]
    page = post(client, "/upload", book)
    assert page.status_code == 200 and "archived as entry 1" in page.text and '<a href="/archive/1">' in page.text
    [entry] = entries(engine)
    assert (entry.seq, entry.archived_by, entry.original_name, entry.period) == (1, "billing-user", book.name,
                                                                                 "2026-10")
    assert entry.retention_until == add_years(dt.datetime.now(dt.timezone.utc).date(), 10)
    assert archived_path(root, entry.sha256, ".xlsx").read_bytes() == book.read_bytes()
    assert [f for f in check_archive(engine, root) if f[0] == "error"] == []
    [logged] = audit.entries(engine, action="upload")
    assert (logged.user, logged.subject, logged.detail) == ("billing-user", book.name,
                                                            f"sha256 {entry.sha256}; archived as entry 1")
    assert client.get("/archive/1").status_code == 200  # the entry's page is there
    assert list(uploads.iterdir()) == []

    again = post(client, "/upload", book, name="again.xlsx")
    assert again.status_code == 200 and "already in the archive as entry 1" in again.text
    assert "these very bytes" in again.text and len(entries(engine)) == 1
    assert audit.entries(engine, action="upload")[0].detail == f"sha256 {entry.sha256}; already archive entry 1"


def test_a_copy_saved_again_is_the_seal_already_archived(empty_archive, portal, tmp_path):
    engine, root, client = empty_archive
    book = portal[2][1]
    post(client, "/upload", book)
    resaved = edited(book, tmp_path / "resaved.xlsx", lambda wb: None)
    assert resaved.read_bytes() != book.read_bytes()
    page = post(client, "/upload", resaved)
    assert page.status_code == 200 and "already in the archive as entry 1" in page.text and "saved again" in page.text
    assert len(entries(engine)) == 1 and len(list(root.rglob("*.xlsx"))) == 1


def test_a_later_seal_supersedes_and_an_earlier_one_is_refused(empty_archive, keys, tmp_path):
    from billing.sample import generate_sample
    from billing.workbook.create import create_workbook

    engine, root, client = empty_archive
    side = f"sqlite:///{tmp_path / 'side.sqlite'}"
    path = create_workbook(tmp_path / "book.xlsx", generate_sample(5, seed=4))
    xlbilling("seal", path, "--period", "2026-10", "--key", keys[0].path, "--db", side, "--archive", tmp_path / "a")
    first = shutil.copyfile(path, tmp_path / "first.xlsx")
    time.sleep(1.1)  # a seal's time is to the second: the later one is later
    edited(path, path, lambda wb: wb["Customers"].cell(row=3, column=2, value="Corrected Ltd"))
    xlbilling("seal", path, "--period", "2026-10", "--key", keys[0].path, "--db", side, "--archive", tmp_path / "a")
    later = shutil.copyfile(path, tmp_path / "later.xlsx")

    assert "archived as entry 1" in post(client, "/upload", first).text
    page = post(client, "/upload", later)
    assert page.status_code == 200 and "archived as entry 2" in page.text
    assert "It supersedes archive entry 1" in page.text
    before = archive_state(engine, root)
    engine2_root = tmp_path / "other-archive"  # the later seal first, then the earlier one: refused
    engine2 = open_store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    add_user(engine2, "b", "billing", PASSWORD, hasher=CHEAP)
    other = client_of(create_app(engine2, engine2_root, SECRET, public_keys=(keys[0].public,)))
    log_in(other, "b")
    assert "archived as entry 1" in post(other, "/upload", later).text
    refused = post(other, "/upload", first)
    assert refused.status_code == 422 and "not archived: SUPERSEDED by archive entry 1" in error_of(refused.text)
    assert len(entries(engine2)) == 1
    engine2.dispose()
    assert archive_state(engine, root) == before


@pytest.mark.parametrize(("case", "message"), [
    ("tampered", "not archived: TAMPERED"), ("forged record", "the signature does not match"),
    ("unsealed", "carries no seal"), ("stranger's key", "but the public key given is"),
])
def test_refused_uploads_store_nothing(empty_archive, portal, keys, tmp_path, uploads, case, message):
    from billing.sample import generate_sample
    from billing.workbook.create import create_workbook

    engine, root, client = empty_archive
    book = portal[2][1]
    if case == "tampered":
        path = edited(book, tmp_path / "t.xlsx", CHANGES["value"][0])
    elif case == "forged record":
        path = edited(book, tmp_path / "t.xlsx", edit_record)
    elif case == "unsealed":
        path = create_workbook(tmp_path / "t.xlsx", generate_sample(5, seed=1))
    else:
        path = create_workbook(tmp_path / "t.xlsx", generate_sample(5, seed=5))
        xlbilling("seal", path, "--key", keys[1].path, "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "--archive",
                  tmp_path / "x")
    before = archive_state(engine, root)
    page = post(client, "/upload", path)
    assert page.status_code == 422 and message in error_of(page.text)
    assert archive_state(engine, root) == before == ([], [])
    assert list(uploads.iterdir()) == []
    [logged] = audit.entries(engine, action="upload")
    assert "refused: not archived" in logged.detail or "refused:" in logged.detail


def test_the_upload_form_takes_no_seal_record(empty_archive, portal):
    engine, root, client = empty_archive
    book = portal[2][1]
    page = post(client, "/upload", book, record=book.with_name(book.name + ".seal.json"))
    assert page.status_code == 400 and entries(engine) == []


# --- xlbilling serve --public-key -----------------------------------------------------------------

def test_serve_takes_public_keys(tmp_path, keys, monkeypatch, capsys):
    """`--public-key` (repeatable) and the default, the local signing key's public key."""
    from billing.cli import serve as serve_module
    from billing.sealing.keys import public_pem

    pem = tmp_path / "stranger.pub.pem"
    pem.write_bytes(public_pem(keys[1].public))
    assert [k.public_bytes_raw() for k in serve_module._public_keys([pem], None)] == [keys[1].public.public_bytes_raw()]
    assert serve_module._public_keys([], keys[0].path)[0].public_bytes_raw() == keys[0].public.public_bytes_raw()
    assert serve_module._public_keys([], tmp_path / "none.pem") == ()
    assert "no public key to verify seals with" in capsys.readouterr().err
    got = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: got.setdefault("keys", app.state.portal.public_keys))
    xlbilling("serve", "--db", f"sqlite:///{tmp_path / 's.sqlite'}", "--public-key", pem, "--public-key",
              tmp_path / "stranger.pub.pem")
    assert len(got["keys"]) == 2
    with pytest.raises(SystemExit) as done:
        main(["serve", "--db", f"sqlite:///{tmp_path / 's.sqlite'}", "--public-key", str(tmp_path / "missing.pem")])
    assert done.value.code == 2


# --- the server's process -------------------------------------------------------------------------

FORKING_UNDER_A_SERVER = '''
import os, signal, sys, threading, zipfile
import billing.sealing.canonical.jobs as jobs

signal.signal(signal.SIGTERM, lambda *args: None)  # as uvicorn does: SIGTERM means "finish, then stop"
jobs.PARALLEL_MIN_BYTES = 0  # a small book shared out all the same
path = sys.argv[1]
with zipfile.ZipFile(path) as z:
    parts = [i for i in z.infolist() if i.filename.startswith("xl/worksheets/")]
    read = z.read
    batch = [jobs.Job(i.filename, i.filename, i.file_size) for i in parts]
    results = []
    def run():  # in a thread, as the portal's verify runs in Starlette's thread pool
        for _ in range(30):
            results.append(jobs.run_jobs(path, batch, lambda job, xml: len(xml), read))
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
assert len(results) == 30 and results[0] == [i.file_size for i in parts], results
print("done")
'''


def test_sheet_workers_forked_by_the_server_end_when_their_pool_closes(portal, tmp_path):
    """The verify of a big workbook forks sheet workers from the server's process; the pool ends
    them with SIGTERM, which uvicorn's handler (inherited by the fork) would swallow: the request
    then hung for ever. The workers put SIGTERM back to its default."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FORKING_UNDER_A_SERVER, str(portal[2][0])], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "XLBILLING_WORKERS": "2"})
    assert (done.returncode, done.stdout.strip()) == (0, "done"), done.stderr
