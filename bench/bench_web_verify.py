"""Verify of the 100k-invoice benchmark workbook: `xlbilling verify` against the portal's
POST /verify through a real uvicorn server on loopback, side by side (goal: web <= 1.2x CLI).

Run: uv run python bench/bench_web_verify.py [invoices] [repeats]
Works on a copy of the cached benchmark workbook (`bench/books.py`) in a temporary folder with
its own store, archive and key: the copy is sealed once (as `bench_seal.py` does, its facts
from Settings), then, best of `repeats`:

- cli:     `xlbilling verify BOOK --json` as a user runs it (a child process, wall time:
           interpreter start included);
- inside:  `verify_workbook` in this process (the work both do, without start or transport);
- web:     POST /verify of the same file by a logged-in user to `xlbilling serve` (a child
           process, already started): upload over loopback, the private copy, the same
           verification, the page.
Both must give the verdict intact.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from books import ROOT, big_book

from billing.access.users import add_user
from billing.sealing.archive import file_sha256
from billing.sealing.keys import init_key, public_pem
from billing.contract import SETTINGS
from billing.sealing.seal import SealFacts, seal_workbook
from billing.sealing.verify import verify_workbook
from billing.store import open_store
from billing.workbook.read import read_book
from validation.settings import read_settings

PASSWORD = "bench password, long enough"


def timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answered(url: str, seconds: float = 30) -> httpx.Response:
    """The first answer of a server that is starting."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"no answer from {url}")


def sealed_copy(work: Path, invoices: int) -> tuple[Path, str, Path, Path]:
    """The benchmark workbook validated and sealed in `work`: (book, store URL, archive, key)."""
    path, db, archive = work / "book.xlsx", f"sqlite:///{work / 'store.db'}", work / "archive"
    shutil.copyfile(big_book(invoices), path)
    engine = open_store(db)
    key, _ = init_key(work / "key.pem")
    validated = file_sha256(path)
    # the seal's facts from Settings alone: what verify checks does not depend on them (and the
    # cached benchmark books predate some of the contract's later sheets, which validation wants)
    settings = read_settings(read_book(path, specs=(SETTINGS,)).get(SETTINGS.name))[0]
    facts = SealFacts(settings.workbook_id, "2026-10", None, None, None, settings.retention_years)
    seal_workbook(path, facts, engine=engine, archive_root=archive, signing_key=key, validated_sha256=validated)
    path.with_name(path.name + ".seal.json").unlink()  # the record inside the workbook, as it is mailed
    add_user(engine, "bench", "finance", PASSWORD)
    engine.dispose()
    (work / "public.pem").write_bytes(public_pem(key.public))
    return path, db, archive, work / "key.pem"


def main(invoices: int = 100_000, repeats: int = 2) -> None:
    best: dict[str, float] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(seconds, best.get(name, seconds))

    env = {**os.environ, "XLBILLING_WEB_SECRET": "bench-" + "s" * 40}
    with tempfile.TemporaryDirectory(prefix="bench-web-verify-") as folder:
        work = Path(folder)
        started = time.perf_counter()
        path, db, archive, key = sealed_copy(work, invoices)
        print(f"sealed {path.stat().st_size / 1e6:.1f} MB ({invoices:,} invoices) in "
              f"{time.perf_counter() - started:.0f} s")
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "billing", "serve", "--port", str(port), "--db", db,
                                   "--archive", str(archive), "--public-key", str(work / "public.pem")],
                                  env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            login = answered(f"{base}/login")
            client = httpx.Client(base_url=base, timeout=600, cookies=login.cookies)
            token = login.text.split('name="csrf" value="')[1].split('"')[0]
            assert client.post("/login", data={"user": "bench", "password": PASSWORD, "csrf": token}).status_code == 303
            token = client.get("/verify").text.split('name="csrf" value="')[1].split('"')[0]
            from billing.sealing.keys import load_key

            public = load_key(key).public
            engine = open_store(db)
            for _ in range(repeats):
                seconds, done = timed(lambda: subprocess.run(
                    [sys.executable, "-m", "billing", "verify", str(path), "--json", "--db", db, "--archive",
                     str(archive), "--key", str(key)], env=env, cwd=ROOT, capture_output=True, text=True))
                assert done.returncode == 0 and '"intact": true' in done.stdout, done.stderr
                keep("cli", seconds)
                done_seconds = seconds
                seconds, report = timed(lambda: verify_workbook(path, public, engine=engine, archive_root=archive))
                assert report.intact
                keep("inside", seconds)
                report_seconds = seconds
                with open(path, "rb") as fh:
                    seconds, page = timed(lambda: client.post(
                        "/verify", data={"csrf": token},
                        files={"workbook": ("book.xlsx", fh, "application/octet-stream")}))
                assert page.status_code == 200 and 'data-verdict="intact"' in page.text, page.text[:500]
                keep("web", seconds)
                print(f"  run: cli {done_seconds:.2f} s, in process {report_seconds:.2f} s, web {seconds:.2f} s", flush=True)
            engine.dispose()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"best of {repeats}:")
    print(f"xlbilling verify (child process, --json):    {best['cli']:6.2f} s")
    print(f"verify_workbook in process (the work):       {best['inside']:6.2f} s")
    print(f"POST /verify to xlbilling serve on loopback: {best['web']:6.2f} s = {best['web'] / best['cli']:.2f}x the "
          f"CLI (goal <= 1.2x), {best['web'] / best['inside']:.2f}x the in-process verify")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 2)
