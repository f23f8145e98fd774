"""The portal's audit views (`billing.web.audit_routes`) and the audit package
(`billing.sealing.audit_package`, `xlbilling archive export|check-package`): the numbering audit
and the chain check show what the CLI's `--json` says, a broken archive shows its faults and
refuses to export, a package holds the period's archived bytes with hashes an auditor can
recompute, and only the roles that may audit get in."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import os
import re
import shutil
import zipfile

import pytest
from sqlalchemy import delete, select, update

from billing.access import audit
from billing.access.users import add_user
from billing.cli import main
from billing.sample import generate_sample
from billing.sealing.archive import archived_path, chain_hash, entries
from billing.sealing.audit_package import check_package, export_package
from billing.store import archive_entries, numbers, open_store
from billing.web.app import create_app
from billing.workbook.create import create_workbook
from test_web import CHEAP, PASSWORD, ROLES, SECRET, client_of, log_in, xlbilling

PERIODS = ("2026-09", "2026-10", "2026-11")


def build_store(home):
    """A store with one user per role, a sample workbook numbered (`xlbilling number`) with two
    UBL documents issued (`xlbilling issue`), sealed for three periods (`xlbilling seal`)."""
    db, root, key = f"sqlite:///{home / 'store.sqlite'}", home / "archive", home / "signing-key.pem"
    xlbilling("keys", "init", "--key", key)
    book = create_workbook(home / "sample.xlsx", generate_sample(20, seed=3))
    xlbilling("number", book, "--db", db, "--json")
    xlbilling("issue", book, "--format", "ubl", "--invoice", "INV-2026-000001", "--invoice", "INV-2026-000002",
              "--db", db, "--archive", root, "--out", home / "documents", "--json")
    for period in PERIODS:
        path = home / f"Billing {period}.xlsx"
        shutil.copyfile(book, path)
        xlbilling("seal", path, "--period", period, "--key", key, "--db", db, "--archive", root, "--json")
    engine = open_store(db)
    for role in ROLES:
        add_user(engine, f"{role}-user", role, PASSWORD, hasher=CHEAP)
    return engine, db, root


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    engine, db, root = build_store(tmp_path_factory.mktemp("audit"))
    yield engine, db, root
    engine.dispose()


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """The same store, then tampered with: entry 2's archived file altered, entry 3's index row
    edited, a number deleted from the registry (a gap)."""
    engine, db, root = build_store(tmp_path_factory.mktemp("broken"))
    second = entries(engine)[1]
    path = archived_path(root, second.sha256, second.suffix)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes() + b"\0")
    with engine.begin() as conn:
        conn.execute(update(archive_entries).where(archive_entries.c.seq == 3).values(archived_by="mallory"))
        conn.execute(delete(numbers).where(numbers.c.number == "INV-2026-000005"))
    yield engine, db, root
    engine.dispose()


def login(engine, root, role):
    client = client_of(create_app(engine, root, SECRET))
    if role is not None:
        assert log_in(client, f"{role}-user").status_code == 303
    return client


def cli_json(capsys, *args) -> tuple[int, dict]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args] + ["--json"])
    return done.value.code, json.loads(capsys.readouterr().out)


def table_rows(page: str) -> list[list[str]]:
    """The cells of every row of the page's findings table, as text."""
    body = re.search(r'<table class="findings">.*?<tbody>(.*?)</tbody>', page, re.S)
    if body is None:
        return []
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)]


# --- the numbering audit ---------------------------------------------------------------------

@pytest.mark.parametrize("which", ["store", "broken"])
def test_the_numbering_audit_page_shows_the_clis_findings(request, capsys, which):
    engine, db, root = request.getfixturevalue(which)
    code, cli = cli_json(capsys, "numbers", "audit", "--archived", "--db", db, "--archive", root)
    page = login(engine, root, "auditor").get("/audit/numbers")
    assert page.status_code == 200
    expected = [[f["severity"], f["kind"], f["number"], f["workbook_id"] or "", f["message"]] for f in cli["findings"]]
    assert table_rows(page.text) == expected
    assert ("No unexplained numbers" in page.text) == cli["ok"] == (code == 0)
    if which == "broken":
        assert ["error", "gap", "INV-2026-000005"] in [row[:3] for row in table_rows(page.text)]
        assert not cli["ok"]
    else:
        assert cli == {"ok": True, "findings": []}


def test_the_archived_audit_equals_the_working_one_while_the_books_are_as_sealed(store, capsys):
    _, db, root = store
    assert cli_json(capsys, "numbers", "audit", "--db", db) == cli_json(
        capsys, "numbers", "audit", "--archived", "--db", db, "--archive", root)


def test_a_number_allocated_after_the_newest_seal_is_not_expected_in_the_sealed_copy(tmp_path, capsys):
    engine, db, root = build_store(tmp_path)
    sealed = max(e.sealed_at for e in entries(engine))
    with engine.begin() as conn:
        row = conn.execute(select(numbers).where(numbers.c.number == "INV-2026-000020")).mappings().one()
        moments = {"INV-2026-000021": dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc),
                   "INV-2026-000022": dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)}
        for seq, (number, moment) in enumerate(moments.items(), start=21):
            conn.execute(numbers.insert().values({**row, "number": number, "seq": seq, "invoice_key": f"NEW{seq}",
                                                  "allocated_at": moment}))
    working = cli_json(capsys, "numbers", "audit", "--db", db)[1]["findings"]
    archived = cli_json(capsys, "numbers", "audit", "--archived", "--db", db, "--archive", root)[1]["findings"]
    assert [(f["kind"], f["number"]) for f in working] == [("row_deleted", "INV-2026-000021"),
                                                           ("row_deleted", "INV-2026-000022")]
    assert [(f["kind"], f["number"]) for f in archived] == [("row_deleted", "INV-2026-000021")]  # 22: after {sealed}
    assert sealed < "2100"
    engine.dispose()


# --- the chain check -------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["store", "broken"])
def test_the_chain_page_shows_the_clis_verdict_head_and_length(request, capsys, which):
    engine, db, root = request.getfixturevalue(which)
    code, cli = cli_json(capsys, "archive", "check", "--db", db, "--archive", root)
    page = login(engine, root, "billing").get("/audit/chain").text
    expected = [[f["severity"], f["kind"], "" if f["seq"] is None else str(f["seq"]), f["message"]]
                for f in cli["findings"]]
    assert table_rows(page) == expected
    assert ("FAULTS FOUND" in page) == (not cli["ok"]) == (code == 1)
    head = entries(engine)[-1]
    assert f"entry {head.seq}: {head.entry_hash}" in page and "3 entries" in page and "2 entries" in page
    assert re.search(r"Checked at</th><td>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(took \d+\.\d\d s\)", page)
    kinds = {(row[1], row[2]) for row in table_rows(page)}
    if which == "broken":
        assert {("altered_file", "2"), ("altered_entry", "3")} <= kinds
    else:
        assert cli["ok"] and not kinds - {("writable_file", "")}


# --- the audit package -----------------------------------------------------------------------

def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_the_package_holds_the_periods_archived_bytes_and_a_manifest_of_their_hashes(store):
    engine, _, root = store
    client = login(engine, root, "auditor")
    got = client.get("/audit/export/2026-10.zip")
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert 'filename="audit-package-2026-10.zip"' in got.headers["content-disposition"]
    members = read_zip(got.content)
    entry = next(e for e in entries(engine) if e.period == "2026-10")
    assert list(members) == [f"workbooks/entry-{entry.seq:06d}.xlsx", f"workbooks/entry-{entry.seq:06d}.xlsx.seal.json",
                             "documents/doc-000001-ubl.xml", "documents/doc-000002-ubl.xml",
                             "chain/archive_entries.json", "chain/issued_documents.json", "manifest.json"]
    assert members[f"workbooks/entry-{entry.seq:06d}.xlsx"] == archived_path(root, entry.sha256, ".xlsx").read_bytes()
    assert json.loads(members[f"workbooks/entry-{entry.seq:06d}.xlsx.seal.json"])["period"] == "2026-10"
    manifest = json.loads(members["manifest.json"])
    assert (manifest["period"], manifest["exported_by"]) == ("2026-10", "auditor-user (portal)")
    assert manifest["chain_head"] == {"seq": 3, "entry_hash": entries(engine)[-1].entry_hash}
    assert manifest["tool_version"].startswith("xlbilling ")
    listed = {m["name"]: m for m in manifest["members"]}
    assert set(listed) == set(members) - {"manifest.json"}
    for name, data in members.items():
        if name != "manifest.json":
            assert (listed[name]["sha256"], listed[name]["size"]) == (hashlib.sha256(data).hexdigest(), len(data))
    segment = json.loads(members["chain/archive_entries.json"])
    rows = segment["entries"]
    assert [(r["seq"], r["in_package"]) for r in rows] == [(2, True), (3, False)]  # from the period's entry to the head
    for before, row in zip([None] + rows, rows):
        assert chain_hash(row, tuple(segment["hashed_fields"])) == row["entry_hash"]
        assert before is None or row["previous_hash"] == before["entry_hash"]
    logged = audit.entries(engine, user="auditor-user", action="export_audit")[0].subject
    assert "audit package 2026-10" in logged and entries(engine)[-1].entry_hash in logged


def test_a_package_is_the_same_bytes_for_the_same_inputs(store, tmp_path):
    engine, _, root = store
    moment = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    export_package(engine, root, "2026-09", first, exported_by="x", now=moment)
    export_package(engine, root, "2026-09", second, exported_by="x", now=moment)
    assert first.read_bytes() == second.read_bytes()
    assert check_package(first) == []


def test_the_cli_exports_the_same_package_and_checks_it(store, capsys, tmp_path):
    engine, db, root = store
    out = tmp_path / "p.zip"
    code, done = cli_json(capsys, "archive", "export", "--period", "2026-11", "--out", out, "--db", db, "--archive", root)
    assert code == 0 and (done["workbooks"], done["documents"]) == (1, 2)
    portal = read_zip(login(engine, root, "billing").get("/audit/export/2026-11.zip").content)
    cli = read_zip(out.read_bytes())
    assert {k: v for k, v in cli.items() if k != "manifest.json"} == {k: v for k, v in portal.items() if k != "manifest.json"}
    assert cli_json(capsys, "archive", "check-package", out) == (0, {"ok": True, "problems": []})
    with pytest.raises(SystemExit) as again:
        main(["archive", "export", "--period", "2026-11", "--out", str(out), "--db", db, "--archive", str(root)])
    assert again.value.code != 0  # never replaces a file without --force


def rewrite(source, dest, change):
    """A copy of the zip `source` with `change(name, data) -> data` applied to each member."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info.filename)))
    return dest


def rehash_manifest(members_changed: dict):
    """A change that also rewrites the manifest's hashes of the changed members (a forger's care)."""
    def change(name, data):
        if name in members_changed:
            return members_changed[name](data)
        if name == "manifest.json":
            manifest = json.loads(data)
            for member in manifest["members"]:
                if member["name"] in members_changed:
                    member["sha256"] = hashlib.sha256(changed[member["name"]]).hexdigest()
                    member["size"] = len(changed[member["name"]])
            return json.dumps(manifest).encode()
        return data
    changed: dict[str, bytes] = {}
    return change, changed


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1])


def edit_chain_row(data: bytes) -> bytes:
    segment = json.loads(data)
    segment["entries"][0]["archived_by"] = "someone else"
    return json.dumps(segment).encode()


@pytest.mark.parametrize(("member", "alter", "rehash", "says"), [
    ("workbooks/entry-000001.xlsx", flip_last_byte, False, "not the manifest's (altered)"),
    ("documents/doc-000001-ubl.xml", flip_last_byte, False, "not the manifest's (altered)"),
    ("workbooks/entry-000001.xlsx", flip_last_byte, True, "not the file entry 1"),
    ("chain/archive_entries.json", edit_chain_row, False, "not the manifest's (altered)"),
    ("chain/archive_entries.json", edit_chain_row, True, "do not give its entry_hash (edited)"),
])
def test_check_package_finds_a_changed_member_or_chain_row(store, capsys, tmp_path, member, alter, rehash, says):
    engine, _, root = store
    good = tmp_path / "good.zip"
    export_package(engine, root, "2026-09", good, exported_by="x")
    if rehash:
        change, changed = rehash_manifest({member: alter})
        with zipfile.ZipFile(good) as zf:
            changed[member] = alter(zf.read(member))
    else:
        def change(name, data):
            return alter(data) if name == member else data
    bad = rewrite(good, tmp_path / "bad.zip", change)
    problems = check_package(bad)
    assert any(says in p for p in problems), problems
    code, out = cli_json(capsys, "archive", "check-package", bad)
    assert code == 1 and out["problems"] == problems


def test_an_altered_archived_file_refuses_the_export(broken):
    engine, _, root = broken
    client = login(engine, root, "auditor")
    refused = client.get("/audit/export/2026-10.zip")
    assert refused.status_code == 409 and "text/html" in refused.headers["content-type"]
    assert "archive entry 2" in refused.text and "altered" in refused.text and "nothing exported" in refused.text
    assert audit.entries(engine, action="export_audit") == []
    assert client.get("/audit/export/2026-09.zip").status_code == 200  # the other periods are sound


def test_the_cli_refuses_to_export_an_altered_file_and_writes_nothing(broken, capsys, tmp_path):
    _, db, root = broken
    out = tmp_path / "p.zip"
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["archive", "export", "--period", "2026-10", "--out", str(out), "--db", db, "--archive", str(root)])
    assert done.value.code != 0 and not out.exists() and list(tmp_path.iterdir()) == []
    assert "archive entry 2" in capsys.readouterr().err


def test_an_empty_period_says_so(store):
    engine, _, root = store
    client = login(engine, root, "auditor")
    answer = client.get("/audit/export/2026-05.zip")
    assert answer.status_code == 404 and "no sealed workbook in the archive for period 2026-05" in answer.text
    form = client.get("/audit/export", params={"period": "2026-05"})
    assert (form.status_code, form.headers["location"]) == (303, "/audit/export/2026-05.zip")


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "2026-00", "26-10", "2026-10x", "..", "%2E%2E%2Fx"])
def test_a_bad_period_in_the_download_is_not_found(store, period):
    engine, _, root = store
    assert login(engine, root, "auditor").get(f"/audit/export/{period}.zip").status_code == 404


@pytest.mark.parametrize("period", ["../x", "2026-13", "2026-1", "", "2026-10/../../etc"])
def test_a_bad_period_in_the_form_is_a_clear_400(store, period):
    engine, _, root = store
    answer = login(engine, root, "auditor").get("/audit/export", params={"period": period})
    assert answer.status_code == 400 and "is not a period: give it as YYYY-MM" in answer.text


def test_the_form_lists_the_sealed_periods(store):
    engine, _, root = store
    page = login(engine, root, "auditor").get("/audit/export").text
    assert [p for p in re.findall(r'href="/audit/export/([^"]+)\.zip"', page)] == ["2026-11", "2026-10", "2026-09"]


# --- who may -------------------------------------------------------------------------------

ROUTES = ("/audit/numbers", "/audit/chain", "/audit/export", "/audit/export/2026-10.zip")


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("role", [*ROLES, None])
def test_authorization_matrix(store, path, role):
    engine, _, root = store
    answer = login(engine, root, role).get(path)
    if role in ("auditor", "billing"):
        assert answer.status_code == 200
    elif role is None and not path.endswith(".zip"):
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    else:
        assert answer.status_code == 403 and answer.text == "Forbidden"


@pytest.mark.parametrize("role", ROLES)
def test_the_audit_links_are_shown_to_whoever_may_follow_them(store, role):
    engine, _, root = store
    page = login(engine, root, role).get("/").text
    shown = {link for link in ROUTES if f'href="{link}"' in page}
    assert shown == ({"/audit/numbers", "/audit/chain", "/audit/export"} if role in ("auditor", "billing") else set())


def test_audit_views_are_logged(store):
    engine, _, root = store
    client = login(engine, root, "billing")
    client.get("/audit/numbers")
    client.get("/audit/chain")
    subjects = [e.subject for e in audit.entries(engine, user="billing-user", action="audit")][:2]
    assert subjects[0].startswith("archive chain check: ") and subjects[1].startswith("numbering audit: ")
