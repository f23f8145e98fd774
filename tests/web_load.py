"""The portal under load: `xlbilling serve` (uvicorn, in a process of its own) on a loopback
port, and N virtual users, each logged in with a session of its own, browsing it at once.

Each user loops, for a fixed time, over what finance and auditors do: the archive list's first
page, deep pages, searches by period, workbook and sealer, sorted pages, entry pages,
downloads of sealed workbooks and seal records, and a verify (`POST /verify`) of a small
sealed workbook. Every answer is checked, not only its status:
a list page must show the count and page the store holds, an entry page the entry's SHA-256
and its seal record, a download the bytes the index names (SHA-256), a seal record the JSON
of a seal, a verify the verdict "intact"; an admin, who may browse but not download or
verify, must be refused (403). Any
other answer, and any exception, is an error.

Used by `tests/test_web_load.py` (bounded, in CI) and `bench/bench_web_load.py` (the figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

import httpx

from portal_store import PASSWORD, PortalStore

#: The route kinds that are archive pages (the issue's budget: p95 ≤ 200 ms at 10,000 entries).
PAGE_KINDS = ("list", "deep page", "search", "sorted", "entry")
PAGE_BUDGET = 0.200
#: How often a user does each thing (relative weights).
WEIGHTS = {"list": 3, "deep page": 2, "search": 3, "sorted": 2, "entry": 4, "seal.json": 1, "download": 1,
           "verify": 1}
#: Roles that may download and verify (the rest, admin, must be refused).
DOWNLOADERS = ("finance", "auditor", "billing")


class Sample(NamedTuple):
    """One request: its kind, how long it took (seconds, to the last byte), and what was wrong (None: nothing)."""

    kind: str
    seconds: float
    error: str | None


class Figures(NamedTuple):
    """The requests of one kind: how many, how many went wrong, latency percentiles (ms), rate (per s)."""

    kind: str
    count: int
    errors: int
    p50: float
    p95: float
    p99: float
    max: float
    rate: float


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of `values` (not empty).

    >>> percentile([1, 2, 3, 4], 0.5), percentile([1, 2, 3, 4], 0.95), percentile([7], 0.99)
    (2, 4, 7)
    """
    ordered = sorted(values)
    return ordered[max(0, -(-int(share * 1000) * len(ordered) // 1000) - 1)]


def summarize(samples: list[Sample], seconds: float) -> list[Figures]:
    """Figures per kind (in `WEIGHTS` order, then the rest), and `all` over every request."""
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    order = [k for k in ("login", *WEIGHTS) if k in by_kind] + sorted(set(by_kind) - {"login", *WEIGHTS})

    def figures(kind: str, group: list[Sample]) -> Figures:
        ms = [s.seconds * 1000 for s in group]
        return Figures(kind, len(group), sum(s.error is not None for s in group), percentile(ms, 0.50),
                       percentile(ms, 0.95), percentile(ms, 0.99), max(ms), len(group) / seconds)

    return [figures(kind, by_kind[kind]) for kind in order] + ([figures("all", samples)] if samples else [])


def table(runs: dict[str, list[Figures]]) -> str:
    """The figures of each run (name → figures) as one plain-text table, runs side by side by row."""
    lines = [f"{'store':<11}{'kind':<11}{'requests':>9}{'errors':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
             f"{'max ms':>8}{'req/s':>8}"]
    for name, figures in runs.items():
        for f in figures:
            lines.append(f"{name:<11}{f.kind:<11}{f.count:>9}{f.errors:>7}{f.p50:>8.1f}{f.p95:>8.1f}{f.p99:>8.1f}"
                         f"{f.max:>8.1f}{f.rate:>8.1f}")
    return "\n".join(lines)


def over_budget(figures: list[Figures], budget: float = PAGE_BUDGET) -> list[str]:
    """What breaks the issue's bar: any error, or an archive page kind with p95 over `budget` (s)."""
    return ([f"{f.kind}: {f.errors} of {f.count} requests failed" for f in figures if f.errors and f.kind != "all"]
            + [f"{f.kind}: p95 {f.p95:.0f} ms > {budget * 1000:.0f} ms" for f in figures
               if f.kind in PAGE_KINDS and f.p95 > budget * 1000])


# --- the server ---------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def xlbilling_command() -> list[str]:
    """The installed `xlbilling` beside this Python (as a user starts it)."""
    found = shutil.which("xlbilling", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from billing.cli import main; main()"]


@contextlib.contextmanager
def serving(store: PortalStore, startup: float = 60.0):
    """`xlbilling serve` over `store` on a free loopback port, for the `with` block: its base URL."""
    port = free_port()
    env = os.environ | {"XLBILLING_WEB_SECRET": "load-test-" + uuid.uuid4().hex * 2,
                        "XLBILLING_KEY_FILE": str(store.key)}  # its public key checks the seals
    server = subprocess.Popen([*xlbilling_command(), "serve", "--port", str(port), "--db", store.url,
                               "--archive", str(store.archive)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"xlbilling serve ended ({server.returncode}): {server.stderr.read()}")
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"xlbilling serve did not answer on {base} within {startup:.0f} s")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()


@contextlib.contextmanager
def pg_schema(base_url: str):
    """A PostgreSQL URL on a fresh schema of `base_url`'s database, dropped after the block."""
    from sqlalchemy import create_engine, text

    schema = f"load_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


# --- the users ----------------------------------------------------------------------------------

class Expected(NamedTuple):
    """What the store holds, for checking answers: entries, and how many per period, sealer, workbook."""

    total: int
    sha256: dict[int, str]
    periods: dict[str, int]
    sealers: dict[str, int]
    workbooks: dict[str, int]

    @classmethod
    def of(cls, store: PortalStore) -> "Expected":
        from sqlalchemy import func, select

        from billing.store import archive_entries, open_store

        engine = open_store(store.url)
        c = archive_entries.c
        try:
            with engine.connect() as conn:
                def counts(column):
                    return dict(conn.execute(select(column, func.count()).group_by(column)).all())
                return cls(len(store.sha256), store.sha256, counts(c.period), counts(c.archived_by),
                           counts(c.workbook_id))
        finally:
            engine.dispose()


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PAGE_SIZE = 50


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _list_check(expected_total: int, page: int):
    """The check of a list page: the count, and the page (clamped to the last) of the pages there are."""
    pages = _pages(expected_total)
    shown = f"{expected_total} entries" + (f", page {min(page, pages)} of {pages}" if pages > 1 else "")

    def check(response: httpx.Response) -> str | None:
        if response.status_code != 200:
            return f"status {response.status_code}"
        return None if shown in response.text else f"not on the page: {shown!r}"
    return check


def _guarded(allowed: bool, check):
    """The check of a download or a verify: refused (403) when the role may not, else 200 and `check`."""
    def guarded(response: httpx.Response) -> str | None:
        if not allowed:
            return None if response.status_code == 403 else f"status {response.status_code} (403 expected)"
        return f"status {response.status_code}" if response.status_code != 200 else check(response)
    return guarded


class User:
    """One virtual user: a session of its own (cookie jar), a role, a random walk."""

    def __init__(self, client: httpx.AsyncClient, name: str, role: str, expected: Expected, seed: int,
                 book: tuple[str, bytes] = ("book.xlsx", b"")):
        self.client, self.name, self.role, self.expected, self.book = client, name, role, expected, book
        self.random = random.Random(seed)
        self.csrf = ""

    async def timed(self, kind: str, samples: list[Sample], request, check) -> None:
        started = time.perf_counter()
        try:
            response = await request()
            error = check(response)
        except Exception as exc:  # noqa: BLE001 -- every failure is an error of the run, named
            error = f"{type(exc).__name__}: {exc}"
        samples.append(Sample(kind, time.perf_counter() - started, None if error is None else f"{self.name} {kind}: {error}"))

    async def log_in(self, samples: list[Sample]) -> None:
        async def login():
            form = await self.client.get("/login")
            token = _CSRF.search(form.text).group(1)
            done = await self.client.post("/login", data={"user": self.name, "password": PASSWORD, "csrf": token})
            self.csrf = _CSRF.search((await self.client.get("/")).text).group(1)  # the session's token
            return done
        await self.timed("login", samples, login,
                         lambda r: None if r.status_code == 303 and r.headers.get("location") == "/" else f"status {r.status_code}")

    def step(self):
        """The next thing to do: (kind, path, check)."""
        r, x = self.random, self.expected
        kind = r.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        seq = r.randint(1, x.total)
        if kind == "list":
            return kind, "/", _list_check(x.total, 1)
        if kind == "deep page":
            page = r.randint(_pages(x.total) // 2, _pages(x.total))
            return kind, f"/?page={page}", _list_check(x.total, page)
        if kind == "search":
            field, counts = r.choice([("period", x.periods), ("sealer", x.sealers), ("workbook", x.workbooks)])
            value = r.choice(sorted(counts))
            page = r.randint(1, _pages(counts[value]))
            return kind, f"/?{field}={value}&page={page}", _list_check(counts[value], page)
        if kind == "sorted":
            column = r.choice(["period", "workbook", "sealer", "archived", "name", "seq"])
            page = r.randint(1, _pages(x.total))
            return (kind, f"/?sort={column}&dir={r.choice(['asc', 'desc'])}&page={page}",
                    _list_check(x.total, page))
        sha = x.sha256[seq]
        if kind == "entry":
            def entry(response):
                if response.status_code != 200:
                    return f"status {response.status_code}"
                if sha not in response.text or "content_digest" not in response.text:
                    return f"entry {seq}: its SHA-256 or seal record is not on the page"
                return None
            return kind, f"/archive/{seq}", entry
        allowed = self.role in DOWNLOADERS
        if kind == "verify":
            return kind, "/verify", _guarded(allowed, lambda r: None if 'data-verdict="intact"' in r.text
                                             else "the verdict is not intact")
        if kind == "download":
            def download(response):
                got = hashlib.sha256(response.content).hexdigest()
                return None if got == sha else f"entry {seq}: downloaded bytes have SHA-256 {got[:12]}…"
            return kind, f"/archive/{seq}/download", _guarded(allowed, download)
        return "seal.json", f"/archive/{seq}/seal.json", _guarded(allowed, lambda r: None if "content_digest" in
                                                                   json.loads(r.text) else f"entry {seq}: no seal record")

    async def walk(self, until: float, think: float, samples: list[Sample], steps: int | None = None) -> None:
        """Take steps until the clock says `until` (or `steps` steps), pausing `think` s on average."""
        taken = 0
        while (time.monotonic() < until) if steps is None else taken < steps:
            taken += 1
            kind, path, check = self.step()
            if kind == "verify":  # the token first: the portal reads no file before it
                def request():
                    return self.client.post(path, data={"csrf": self.csrf}, files={"workbook": self.book})
            else:
                def request():
                    return self.client.get(path)
            await self.timed(kind, samples, request, check)
            if think:
                await asyncio.sleep(self.random.uniform(0, 2 * think))


async def _load(base: str, store: PortalStore, expected: Expected, users: int, seconds: float,
                think: float) -> tuple[list[Sample], float]:
    samples: list[Sample] = []
    names = list(store.users.items())[:users]
    book = (store.sealed_book.name, store.sealed_book.read_bytes()) if store.sealed_book else ("book.xlsx", b"")

    def client(cookies=None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=60, cookies=cookies,
                                 limits=httpx.Limits(max_connections=1))  # like a browser tab: one connection

    # one login at a time (each renews an Argon2 hash at the portal's full cost: 64 MiB apiece),
    # then a fresh connection per user, so none has sat idle past the server's keep-alive
    walkers = []
    for n, (name, role) in enumerate(names):
        async with client() as login:
            walker = User(login, name, role, expected, seed=n, book=book)
            await walker.log_in(samples)
            walker.client = client(login.cookies)
        walkers.append(walker)
    try:
        # warm-up, not measured: each user's first steps, until every kind has been asked for
        # once (the first of a kind imports its modules and compiles its template: a one-off
        # stall of every request in flight, which a 10 s run would count as its p95)
        warm: list[Sample] = []
        while {s.kind for s in warm} < set(WEIGHTS) and len(warm) < 50 * len(WEIGHTS):
            await asyncio.gather(*(w.walk(0, 0, warm, steps=1) for w in walkers))
        started = time.monotonic()
        await asyncio.gather(*(w.walk(started + seconds, think, samples) for w in walkers))
        elapsed = time.monotonic() - started
    finally:
        await asyncio.gather(*(w.client.aclose() for w in walkers))
    return samples + [s._replace(kind="warm-up") for s in warm if s.error], elapsed


def run_load(base: str, store: PortalStore, users: int = 20, seconds: float = 60.0,
             think: float = 0.0) -> tuple[list[Figures], list[str]]:
    """`users` virtual users (at most the store's) on the portal at `base` for `seconds`, each
    waiting on average `think` seconds between requests (0: none); the figures per kind
    (the logins first; they and a warm-up come before the clock starts) and the first ten
    errors (of the logins and the warm-up too)."""
    if users > len(store.users):
        raise ValueError(f"the store has {len(store.users)} users, {users} asked for")
    samples, elapsed = asyncio.run(_load(base, store, Expected.of(store), users, seconds, think))
    logins = [s for s in samples if s.kind == "login"]
    walked = [s for s in samples if s.kind not in ("login", "warm-up")]  # warm-up: only its errors count
    figures = summarize(walked, elapsed)
    login = summarize(logins, elapsed)[0]
    errors = [s.error for s in samples if s.error][:10]
    return [login._replace(rate=float("nan")), *figures], errors
