"""The portal in a real browser: headless Chromium (Debian's `chromium` and `chromedriver`)
driven by Selenium against the real app served by uvicorn on a loopback port — log in as each
role, search, sort and page the archive, open an entry, download its sealed workbook (the
bytes are the archive's), be refused where the role may not go, log out; verify the sealed
workbook and a tampered copy chosen in the file dialog and read the change on the page; upload;
open the audit views, the periods and the issued documents.

Screenshots of the main pages are saved as `portal-*.png` in a temporary folder, or in the
folder named by `XLBILLING_SCREENSHOTS` (the README's come from there). Without a Chromium
and its driver the module is skipped, saying why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from billing.access.users import add_user
from billing.sealing.archive import _HASHED, append_chained_many, archived_path
from billing.sealing.keys import load_key
from billing.store import archive_entries, open_store
from billing.web.app import create_app
from tests_support import free_port, seal_books

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery staple"
ROLES = ("finance", "auditor", "billing", "admin")
SECRET = "browser-test-secret-" + "z" * 40
#: Synthetic index entries of the five years before the three sealed workbooks (their files are
#: a few bytes, stored read-only, so the chain check holds), so the list has more than one page;
#: the sealed ones come after them.
EXTRA = 60
SEALED = (EXTRA + 1, EXTRA + 2, EXTRA + 3)  # 2026-09, 2026-10, 2026-11


def chromium() -> tuple[str, str] | None:
    """The Chromium binary and its driver (Debian's packages), or None."""
    browser = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser"),
                                shutil.which("google-chrome")) if p and Path(p).is_file()), None)
    driver = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver") if p and Path(p).is_file()),
                  None)
    return (browser, driver) if browser and driver else None


FOUND = chromium()
pytestmark = pytest.mark.skipif(FOUND is None, reason="no Chromium and chromedriver found (Debian: apt-get install "
                                                      "chromium chromium-driver): the real-browser tests are skipped")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The portal served by uvicorn on a free loopback port over a store with one user per role,
    `EXTRA` index entries (2021-01..2025-12) and then three workbooks sealed by `xlbilling seal`
    (2026-09..11, entries `SEALED`)."""
    import uvicorn

    home = tmp_path_factory.mktemp("browser-portal")
    db, root = f"sqlite:///{home / 'store.sqlite'}", home / "archive"
    engine = open_store(db)
    months = [(2021 + i // 12, 1 + i % 12) for i in range(EXTRA)]
    for i in range(EXTRA):
        stored = archived_path(root, hashlib.sha256(f"old {i}".encode()).hexdigest(), ".xlsx")
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(f"old {i}".encode())
        stored.chmod(0o444)
    fields = [{"sha256": hashlib.sha256(f"old {i}".encode()).hexdigest(), "suffix": ".xlsx", "size": len(f"old {i}"),
               "content_digest": hashlib.sha256(f"content {i}".encode()).hexdigest(),
               "workbook_id": str(uuid.UUID(bytes=hashlib.sha256(f"book {y}".encode()).digest()[:16])),
               "period": f"{y}-{m:02d}",
               "first_customer": "C-0001", "last_customer": "C-0020", "first_invoice": f"INV-{y}-{m * 100 + 1:06d}",
               "last_invoice": f"INV-{y}-{m * 100 + 20:06d}", "original_name": f"Billing {y}-{m:02d}.xlsx",
               "key_id": "5f0c2a9e41d7b386", "sealed_at": f"{y}-{m:02d}-28T17:00:00Z",
               "archived_at": f"{y}-{m:02d}-28T17:05:00.000000Z", "archived_by": ("ute", "max")[i % 2],
               "retention_until": dt.date(y + 10, m, 28)} for i, (y, m) in enumerate(months)]
    append_chained_many(engine, archive_entries, fields, _HASHED, taken=lambda: False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOGNAME", "erika")  # who archives (the login name), as the screenshots show it
        books = seal_books(home, ("2026-09", "2026-10", "2026-11"), db, root)
    for role in ROLES:
        add_user(engine, f"{role}-user", role, PASSWORD, hasher=CHEAP)
    port = free_port()
    uploads = home / "uploads"
    uploads.mkdir()
    app = create_app(engine, root, SECRET, public_keys=(load_key(home / "signing-key.pem").public,),
                     upload_dir=uploads)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    else:
        pytest.fail("uvicorn did not start")
    yield f"http://127.0.0.1:{port}", engine, books
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    """One headless Chromium for the module (Selenium Manager kept offline: the driver is given)."""
    os.environ.setdefault("SE_OFFLINE", "true")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (uv sync)")
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = FOUND
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,900",
                     "--disable-gpu", "--no-first-run", "--password-store=basic", "--lang=en-US"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False,
                                              "credentials_enable_service": False,
                                              "profile.password_manager_enabled": False})
    from selenium.common.exceptions import WebDriverException

    try:
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
    except WebDriverException as exc:  # installed but unable to start here (no display libraries, …)
        pytest.skip(f"Chromium ({binary}, {driver_path}) did not start: {exc.msg or exc}".splitlines()[0])
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the screenshots go: `XLBILLING_SCREENSHOTS`, else a temporary folder."""
    folder = os.environ.get("XLBILLING_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def web(site, browser):
    """The browser at the portal with no session (each test logs in itself)."""
    base, _, _ = site
    browser.get(base + "/login")
    browser.delete_all_cookies()
    return Page(browser, base)


class Page:
    """The few things a test does with the browser, by what a user sees."""

    def __init__(self, driver, base: str):
        self.driver, self.base = driver, base

    def go(self, path: str) -> None:
        self.driver.get(self.base + path)

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base)

    def css(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self, selector: str = "body") -> str:
        return self.css(selector)[0].text

    def link(self, text: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.LINK_TEXT, text)

    def follow(self, element) -> None:
        """Click `element` and wait for the page it leads to (a click returns before it loads):
        the old page is marked, and the wait is over once a complete page lacks the mark."""
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver.execute_script("window.xlbillingLeft = true")
        element.click()
        WebDriverWait(self.driver, 10).until(lambda driver: driver.execute_script(
            "return !window.xlbillingLeft && document.readyState === 'complete'"))

    def rows(self) -> list[int]:
        """The entry numbers of the archive list, top to bottom."""
        return [int(a.text) for a in self.css("table.entries tbody td:first-child a")]

    def log_in(self, user: str, password: str = PASSWORD) -> None:
        self.go("/login")
        self.css("input[name=user]")[0].send_keys(user)
        self.css("input[name=password]")[0].send_keys(password)
        self.follow(self.css("form.login button")[0])

    def log_out(self) -> None:
        self.follow(self.css("form.logout button")[0])

    def search(self, **fields: str) -> None:
        for name, value in fields.items():
            box = self.css(f"form.search input[name={name}]")[0]
            box.clear()
            box.send_keys(value)
        self.follow(self.css("form.search button")[0])

    def shoot(self, folder: Path, name: str) -> Path:
        path = folder / f"portal-{name}.png"
        assert self.driver.save_screenshot(str(path)), path
        return path


def wait_for_file(folder: Path, name: str, seconds: float = 10) -> Path:
    """The file `name` once the browser has finished writing it into `folder`."""
    path = folder / name
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.is_file() and not any(folder.glob("*.crdownload")):
            return path
        time.sleep(0.05)
    pytest.fail(f"{name} was not downloaded; the folder holds {sorted(p.name for p in folder.iterdir())}")


# --- the tests --------------------------------------------------------------------------------

def test_the_login_page_and_a_failed_login(web, shots):
    web.go("/")
    assert web.path == "/login"  # nobody logged in: sent to the login
    web.shoot(shots, "login")
    web.log_in("finance-user", "not the password!")
    assert web.text(".error") == "Login failed."
    assert web.path == "/login" and not web.css("form.logout")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_logs_in_browses_and_logs_out(web, site, role):
    _, _, books = site
    web.log_in(f"{role}-user")
    assert web.path == "/"
    assert web.text("header form.logout span") == f"{role}-user ({role})"
    assert web.text("p.count") == f"{3 + EXTRA} entries, page 1 of 2"
    assert web.rows()[:4] == [3 + EXTRA, 2 + EXTRA, 1 + EXTRA, EXTRA]
    web.follow(web.link(str(SEALED[2])))
    assert web.path == f"/archive/{SEALED[2]}" and web.text("h1") == f"Archive entry {SEALED[2]}: Billing 2026-11.xlsx"
    web.log_out()
    assert web.path == "/login"
    web.go(f"/archive/{SEALED[2]}")
    assert web.path == "/login"  # the session is over in the browser too


def test_search_sort_and_page_the_archive(web, shots):
    web.log_in("finance-user")
    web.shoot(shots, "archive")
    web.follow(web.link("next →"))
    assert web.text("p.count") == f"{3 + EXTRA} entries, page 2 of 2"
    assert web.rows() == list(range(3 + EXTRA - 50, 0, -1))
    web.follow(web.link("← previous"))
    assert web.rows()[0] == 3 + EXTRA
    web.search(period="2026")
    assert web.rows() == list(reversed(SEALED)) and web.text("p.count") == "3 entries"
    web.follow(web.link("Period"))  # sort by period, newest first, keeping the search
    assert web.rows() == list(reversed(SEALED)) and "period=2026" in web.path
    web.follow(web.link("Period ▼"))  # again: the other way round
    assert web.rows() == list(SEALED)
    web.search(period="2025", sealer="max")  # max archived every other synthetic entry
    assert web.rows() == [60, 58, 56, 54, 52, 50] and web.text("p.count") == "6 entries"
    web.search(period="", sealer="", workbook="Billing 2026-10")
    assert web.rows() == [SEALED[1]]
    web.search(workbook="no such workbook")
    assert web.rows() == [] and "No sealed workbook matches." in web.text("table.entries")


def test_open_an_entry_and_download_its_sealed_workbook(web, site, downloads, shots):
    _, engine, books = site
    web.log_in("auditor-user")
    web.search(period="2026-10")
    web.follow(web.link(str(SEALED[1])))
    assert web.path == f"/archive/{SEALED[1]}"
    fields = web.text("table.fields")
    with engine.connect() as conn:
        entry = conn.execute(archive_entries.select().where(archive_entries.c.seq == SEALED[1])).one()
    for shown in (entry.sha256, entry.entry_hash, entry.key_id, f"entry {SEALED[1]} of {SEALED[2]}", entry.archived_by):
        assert shown in fields, shown
    web.shoot(shots, "entry")
    web.link("Download the sealed workbook").click()  # a download: the page stays
    got = wait_for_file(downloads, "Billing 2026-10.xlsx")
    assert got.read_bytes() == books[1].read_bytes()
    assert hashlib.sha256(got.read_bytes()).hexdigest() == entry.sha256
    got.unlink()


def test_the_admin_may_browse_but_not_download(web, downloads):
    web.log_in("admin-user")
    web.search(period="2026-10")
    web.follow(web.link(str(SEALED[1])))
    assert web.path == f"/archive/{SEALED[1]}"
    before = sorted(downloads.iterdir())
    web.follow(web.link("Download the sealed workbook"))
    assert web.text() == "Forbidden"
    time.sleep(0.3)  # were a file coming, it would be in the folder by now
    assert sorted(downloads.iterdir()) == before


# --- verify, upload, the audit views --------------------------------------------------------------

def tampered(source: Path, dest: Path, cell: str, value) -> tuple[object, Path]:
    """A copy of a sealed workbook with one cell changed as a person in Excel would; the old value."""
    import openpyxl

    shutil.copyfile(source, dest)
    book = openpyxl.load_workbook(dest)
    sheet, ref = cell.split("!")
    before = book[sheet][ref].value
    book[sheet][ref] = value
    book.save(dest)
    return before, dest


def test_verify_an_intact_and_a_tampered_workbook(web, site, tmp_path, shots):
    _, _, books = site
    web.log_in("finance-user")
    web.follow(web.link("Verify"))
    assert web.path == "/verify"
    web.css("input[name=workbook]")[0].send_keys(str(books[1]))  # the file chooser, as a user fills it
    web.follow(web.css("form.upload button")[0])
    assert web.css("section.verdict")[0].get_attribute("data-verdict") == "intact"
    assert web.text("section.verdict h2") == "Billing 2026-10.xlsx: Intact"
    assert not web.css("ul.changes")
    web.shoot(shots, "verify-intact")
    before, changed = tampered(books[1], tmp_path / "Billing 2026-10 (from mail).xlsx", "Invoices!H7", "CHF")
    web.css("input[name=workbook]")[0].send_keys(str(changed))  # the "verify another" form under the verdict
    web.follow(web.css("form.upload button")[0])
    assert web.css("section.verdict")[0].get_attribute("data-verdict") == "tampered"
    assert web.text("section.verdict h2") == "Billing 2026-10 (from mail).xlsx: TAMPERED"
    assert [item.text for item in web.css("ul.changes li")] == [f"Invoices!H7: {before!r} → 'CHF'"]
    web.shoot(shots, "verify-tampered")


def test_billing_may_upload_and_finance_may_not(web, site):
    _, _, books = site
    web.log_in("finance-user")
    assert not web.css("header a[href='/upload']")
    web.go("/upload")
    assert web.text() == "Forbidden"
    web.go("/")
    web.log_out()
    web.log_in("billing-user")
    web.follow(web.link("Upload"))
    web.css("input[name=workbook]")[0].send_keys(str(books[0]))
    web.follow(web.css("form.upload button")[0])
    assert web.text("section.verdict h2") == f"Billing 2026-09.xlsx: already in the archive as entry {SEALED[0]}"
    web.follow(web.link(f"Archive entry {SEALED[0]}"))
    assert web.path == f"/archive/{SEALED[0]}"


def test_the_audit_views(web, shots):
    web.log_in("auditor-user")
    web.follow(web.link("Chain check"))
    assert web.path == "/audit/chain"
    assert web.text("p.verdict") == "Sound (0 findings)."  # every archived file re-hashed, the chain followed
    assert f"entry {SEALED[2]}: " in web.text("table.fields")
    web.shoot(shots, "audit-chain")
    web.follow(web.link("Numbering audit"))
    assert web.path == "/audit/numbers"
    assert web.text("p.verdict") == "No unexplained numbers (0 findings)."
    web.shoot(shots, "audit-numbers")
    web.follow(web.link("Audit package"))
    assert web.path == "/audit/export" and web.css("form")


def test_the_periods_and_the_issued_documents(web, shots):
    """The lists of the other parts open from the menu (this store has no close and no issued
    documents: tests/test_web_documents.py has those)."""
    web.log_in("finance-user")
    web.follow(web.link("Periods"))
    assert web.path == "/periods" and web.text("h2") == "2026-11"  # the newest period first
    web.shoot(shots, "periods")
    web.follow(web.link("Issued documents"))
    assert web.path == "/documents" and "No issued document matches." in web.text()
    web.shoot(shots, "documents")
