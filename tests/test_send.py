"""`xlbilling send` against a real SMTP server (aiosmtpd on 127.0.0.1, started here): delivery of
the archived bytes, a temporary failure then success, a permanent failure, a server that is down,
a run killed between the server's acceptance and the record — nothing lost, nothing sent twice —
and the .eml outbox, the dry run, the letters, the configuration."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from billing.cli import main
from billing.delivery import smtp
from billing.delivery.config import mail_config
from billing.delivery.message import message_id
from billing.delivery.templates import render
from billing.pipeline.issue import rules_installed

ROOT = Path(__file__).resolve().parents[1]
COUNT = 4  # sample invoices


# -- a real SMTP server ---------------------------------------------------------------------------


class Handler:
    """Records each accepted envelope; answers DATA with `answers` first (one per message),
    then 250."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.envelopes = []
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.answers:
            answer = self.answers.pop(0)
            if not answer.startswith("250"):
                return answer
        self.envelopes.append(envelope)
        return "250 2.0.0 Message accepted for delivery"

    def messages(self) -> list:
        return [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes]


def customer_languages(book: Path) -> dict[str, str | None]:
    """customer_id -> the Customers sheet's `language` (the sample's follow the country)."""
    rows = list(openpyxl.load_workbook(book, read_only=True)["Customers"].iter_rows(values_only=True))
    header = list(rows[0])
    return {r[header.index("customer_id")]: r[header.index("language")] for r in rows[1:] if r[0]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(handler: Handler, port: int | None = None):
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


# -- a workbook with issued invoices ----------------------------------------------------------------


class Work(NamedTuple):
    book: Path
    db: str
    archive: Path

    def args(self, *more: str) -> list[str]:
        return ["send", str(self.book), "--db", self.db, "--archive", str(self.archive), *more]


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> Path:
    """A sample workbook, closed, its invoices issued as PDF (and CII when its rules are there)."""
    folder = tmp_path_factory.mktemp("issued")
    book = folder / "book.xlsx"
    env = {**os.environ, "XLBILLING_DATABASE_URL": f"sqlite:///{folder / 'store.db'}",
           "XLBILLING_ARCHIVE_DIR": str(folder / "archive")}
    env.pop("XLBILLING_DEBUG", None)
    formats = ["--format", "pdf"] + (["--format", "cii"] if rules_installed("cii") else [])
    for args in (["new", str(book), "--sample", str(COUNT)], ["close", str(book), "--as-of", "2026-12-31", "--json"],
                 ["issue", str(book), *formats, "--json"]):
        done = subprocess.run([sys.executable, "-m", "billing", *args], capture_output=True, text=True, cwd=ROOT,
                              env=env)
        assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def work(issued, tmp_path, monkeypatch) -> Work:
    folder = Path(shutil.copytree(issued, tmp_path / "w"))
    for name in ("XLBILLING_SMTP_HOST", "XLBILLING_SMTP_PORT", "XLBILLING_SMTP_USER", "XLBILLING_SMTP_FROM",
                 "XLBILLING_SMTP_PASSWORD", "XLBILLING_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XLBILLING_SMTP_STARTTLS", "no")  # aiosmtpd here speaks plain SMTP
    monkeypatch.setattr(smtp, "DELAYS", (0.0, 0.0))  # the back-off, without the waiting
    return Work(folder / "book.xlsx", f"sqlite:///{folder / 'store.db'}", folder / "archive")


def use(monkeypatch, port: int) -> None:
    monkeypatch.setenv("XLBILLING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XLBILLING_SMTP_PORT", str(port))


def cli(capsys, *args: str) -> tuple[int, dict | str, str]:
    """Run the command line in this process: (exit code, stdout as JSON when it is, stderr)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    try:
        return done.value.code, json.loads(out), err
    except ValueError:
        return done.value.code, out, err


def archived(work: Work) -> dict[str, dict[str, str]]:
    """Invoice number → {file name: sha256} of the issued documents in the store."""
    from billing.sealing.issued import all_issued
    from billing.store import open_store

    found: dict[str, dict[str, str]] = {}
    for d in all_issued(open_store(work.db)):
        found.setdefault(d.invoice_no, {})[Path(d.file_name).name] = d.sha256
    return found


def sent_sheet(book: Path) -> list[dict]:
    sheet = openpyxl.load_workbook(book, read_only=True)["Sent"]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def statuses(work: Work) -> dict[str, str]:
    from billing.delivery.record import messages_of_workbook
    from billing.store import messages, open_store
    from sqlalchemy import select

    engine = open_store(work.db)
    with engine.connect() as conn:
        workbook_ids = {row[0] for row in conn.execute(select(messages.c.workbook_id))}
    return {m.message_id: m.status for w in workbook_ids for m in messages_of_workbook(engine, w)}


# -- delivery ---------------------------------------------------------------------------------------


def test_each_issued_invoice_is_delivered_once_with_its_archived_files(work, capsys, monkeypatch):
    handler = Handler()
    with server(handler) as port:
        use(monkeypatch, port)
        code, result, err = cli(capsys, *work.args("--json"))
        assert code == 0, err
        files = archived(work)
        assert len(result["sent"]) == len(files) == COUNT and result["failed"] == result["skipped"] == []
        received = {m["Message-ID"]: m for m in handler.messages()}
        languages = customer_languages(work.book)
        assert len(handler.envelopes) == COUNT and set(received) == {s["message_id"] for s in result["sent"]}
        for listed in result["sent"]:
            message = received[listed["message_id"]]
            assert message["To"] == listed["to"] and message["Subject"] == listed["subject"]
            assert message["From"] == "rechnungen@lindenhof-digital.de"  # Settings mail_from absent: company_email
            title, word = {("invoice", "en"): ("Invoice", "from"), ("credit_note", "en"): ("Credit note", "from"),
                           ("invoice", "de"): ("Rechnung", "von"), ("credit_note", "de"): ("Gutschrift", "von")}[
                listed["kind"], languages.get(listed["customer_id"]) or "en"]
            assert listed["subject"] == f"{title} {listed['document']} {word} Lindenhof Digital GmbH"
            parts = {p.get_filename(): p for p in message.iter_attachments()}
            assert {a["name"]: a["sha256"] for a in listed["attachments"]} == files[listed["document"]]
            assert {name: hashlib.sha256(p.get_content()).hexdigest() for name, p in parts.items()} \
                == files[listed["document"]]
            assert {name: p.get_content_type() for name, p in parts.items()} == {
                name: "application/pdf" if name.endswith(".pdf") else "application/xml" for name in parts}
            envelope = next(e for e in handler.envelopes if listed["message_id"].encode() in e.original_content)
            assert envelope.rcpt_tos == [listed["to"]] and envelope.mail_from == message["From"]
        sheet = sent_sheet(work.book)
        assert [(r["to"], r["subject"], r["message_id"], r["result"], r["kind"], r["attempts"]) for r in sheet] == [
            (s["to"], s["subject"], s["message_id"], "sent", s["kind"], 1) for s in result["sent"]]
        assert {s["kind"] for s in result["sent"]} == {"invoice", "credit_note"}  # the sample has both
        assert all(r["sent_at"] and r["customer_id"] for r in sheet)
        assert sheet[0]["attachments"] == "; ".join(f"{a['name']} ({a['sha256']})" for a in result["sent"][0]
                                                   ["attachments"])

        code, again, _ = cli(capsys, *work.args("--json"))  # nothing new
        assert code == 0 and again["sent"] == [] and len(handler.envelopes) == COUNT
        assert [s["message_id"] for s in again["skipped"]] == [s["message_id"] for s in result["sent"]]
        assert all("sent on" in s["reason"] and "--resend" in s["reason"] for s in again["skipped"])

        code, resent, _ = cli(capsys, *work.args("--invoices", "--resend", "--json"))  # a deliberate resend
        assert code == 0 and len(resent["sent"]) == COUNT and len(handler.envelopes) == 2 * COUNT
        assert [s["message_id"].replace(".2@", ".1@") for s in resent["sent"]] == \
            [s["message_id"] for s in result["sent"]]
        assert len(sent_sheet(work.book)) == 2 * COUNT


def test_a_temporary_refusal_is_retried_with_back_off_and_then_delivered(work, capsys, monkeypatch):
    waits = []
    monkeypatch.setattr(smtp, "DELAYS", (0.5, 1.0))
    monkeypatch.setattr(smtp.time, "sleep", waits.append)
    handler = Handler("451 4.3.0 Temporary local problem, try again later")
    with server(handler) as port:
        use(monkeypatch, port)
        code, result, _ = cli(capsys, *work.args("--json"))
    assert code == 0 and len(result["sent"]) == COUNT and handler.seen == COUNT + 1 and waits == [0.5]
    assert [s.get("attempts") for s in result["sent"]] == [2] + [1] * (COUNT - 1)
    assert [r["attempts"] for r in sent_sheet(work.book)] == [2] + [1] * (COUNT - 1)


def test_a_permanent_refusal_is_failed_with_the_servers_answer_and_tried_again_next_run(work, capsys, monkeypatch):
    handler = Handler(*["550 5.1.1 Mailbox unavailable"] * COUNT)
    with server(handler) as port:
        use(monkeypatch, port)
        code, result, _ = cli(capsys, *work.args("--json"))
        assert code == 1 and result["sent"] == [] and handler.seen == COUNT  # no retry of a 5xx
        assert [(f["status"], f["error"]) for f in result["failed"]] == \
            [("failed", "550 5.1.1 Mailbox unavailable")] * COUNT
        assert {r["result"] for r in sent_sheet(work.book)} == {"failed: 550 5.1.1 Mailbox unavailable"}
        assert set(statuses(work).values()) == {"failed"}
        code, again, _ = cli(capsys, *work.args("--json"))  # the address was fixed at the other end
        assert code == 0 and [s["message_id"] for s in again["sent"]] == [f["message_id"] for f in result["failed"]]
        assert [r["attempts"] for r in sent_sheet(work.book)] == [2] * COUNT


def test_a_server_that_is_down_leaves_the_messages_queued_for_the_next_run(work, capsys, monkeypatch):
    port = free_port()  # nothing listens there: connection refused
    use(monkeypatch, port)
    code, result, _ = cli(capsys, *work.args("--json"))
    assert code == 1 and result["sent"] == [] and len(result["failed"]) == COUNT
    assert all(f["status"] == "queued" and "cannot reach 127.0.0.1" in f["error"] for f in result["failed"])
    assert set(statuses(work).values()) == {"queued"}
    assert [r["attempts"] for r in sent_sheet(work.book)] == [3] * COUNT  # the first try and two retries
    handler = Handler()
    with server(handler, port):
        code, later, _ = cli(capsys, *work.args("--json"))
    assert code == 0 and [s["message_id"] for s in later["sent"]] == [f["message_id"] for f in result["failed"]]
    assert len(handler.envelopes) == COUNT and set(statuses(work).values()) == {"sent"}


CRASH = """
import os, signal, sys
from billing.delivery import record

def stop(*args, **kwargs):  # the server has the message; the run dies before recording it
    os.kill(os.getpid(), signal.SIGKILL)

record.mark_sent = stop
from billing.cli import main
main(sys.argv[1:])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_run_killed_after_the_server_accepted_does_not_send_twice(work, capsys, monkeypatch, tmp_path):
    handler = Handler()
    runner = tmp_path / "crash.py"
    runner.write_text(CRASH)
    with server(handler) as port:
        use(monkeypatch, port)
        done = subprocess.run([sys.executable, str(runner), *work.args("--json")], capture_output=True, text=True,
                              cwd=ROOT, env=os.environ)
        assert done.returncode == -9 and len(handler.envelopes) == 1
        first = handler.messages()[0]["Message-ID"]
        assert statuses(work) == {first: "sending"}

        code, result, _ = cli(capsys, *work.args("--json"))
        assert code == 0 and len(result["sent"]) == COUNT - 1 and len(handler.envelopes) == COUNT
        (skipped,) = result["skipped"]
        assert skipped["message_id"] == first and skipped["status"] == "uncertain"
        assert "may have been delivered" in skipped["reason"] and "--resend" in skipped["reason"]
        assert len({m["Message-ID"] for m in handler.messages()}) == COUNT  # not one twice
        assert statuses(work)[first] == "uncertain"
        assert next(r for r in sent_sheet(work.book) if r["message_id"] == first)["result"].startswith("uncertain")

        code, again, _ = cli(capsys, *work.args("--json"))  # still not sent again
        assert code == 0 and again["sent"] == [] and len(handler.envelopes) == COUNT

        code, resent, _ = cli(capsys, *work.args("--resend", "--json"))
        assert code == 0 and first in [s["message_id"] for s in resent["sent"]]  # the same Message-ID
        assert [m["Message-ID"] for m in handler.messages()].count(first) == 2
        assert statuses(work)[first] == "sent"


# -- drafts, dry runs, what cannot be sent ----------------------------------------------------------


def test_the_outbox_holds_drafts_outlook_opens_and_nothing_is_recorded(work, capsys):
    before = work.book.read_bytes()
    outbox = work.book.parent / "outbox"
    code, result, _ = cli(capsys, *work.args("--outbox", str(outbox), "--json"))
    assert code == 0 and len(result["sent"]) == COUNT and statuses(work) == {}
    assert work.book.read_bytes() == before  # no Sent sheet: nothing was sent
    files = archived(work)
    for listed in result["sent"]:
        draft = email.message_from_bytes((outbox / listed["file"]).read_bytes(), policy=email.policy.default)
        assert draft["X-Unsent"] == "1" and draft["Message-ID"] == listed["message_id"]
        assert draft["To"] == listed["to"] and draft["Subject"] == listed["subject"]
        assert {p.get_filename(): hashlib.sha256(p.get_content()).hexdigest() for p in draft.iter_attachments()} \
            == files[listed["document"]]


def test_a_dry_run_lists_and_records_nothing(work, capsys, monkeypatch):
    before = work.book.read_bytes()
    code, result, _ = cli(capsys, *work.args("--dry-run", "--json"))  # no SMTP host needed either
    assert code == 0 and result["dry_run"] is True and len(result["sent"]) == COUNT
    assert statuses(work) == {} and work.book.read_bytes() == before


def test_without_an_smtp_host_send_refuses_in_one_line(work, capsys):
    before = work.book.read_bytes()
    code, out, err = cli(capsys, *work.args("--json"))
    assert code == 2 and out == "" and err.strip().count("\n") == 0 and "no SMTP host configured" in err
    assert work.book.read_bytes() == before


def test_a_customer_without_an_e_mail_is_skipped_at_the_cell(work, capsys):
    from tests.test_issue import set_customer

    code, result, _ = cli(capsys, *work.args("--dry-run", "--json"))
    customer = result["sent"][0]["customer_id"]
    row = set_customer(work.book, customer, email=None, invoice_email=None)
    code, result, _ = cli(capsys, *work.args("--dry-run", "--json"))
    wb = openpyxl.load_workbook(work.book, read_only=True)
    header = [c.value for c in next(wb["Customers"].iter_rows(max_row=1))]
    cell = f"Customers!{openpyxl.utils.get_column_letter(header.index('email') + 1)}{row}"
    assert {s["reason"] for s in result["skipped"]} == {f"{cell}: no e-mail for invoices"}
    assert all(s["customer_id"] == customer and s["cell"] == cell for s in result["skipped"])
    assert all(s["customer_id"] != customer for s in result["sent"])


def test_letters_in_the_store_are_sent_once_as_reminders_and_statements(work, capsys, monkeypatch, tmp_path):
    from billing.sealing.letters import LetterChanged, archive_letter, letters_of_workbook
    from billing.store import open_store

    engine = open_store(work.db)
    code, listed, _ = cli(capsys, *work.args("--dry-run", "--json"))
    customer, workbook_id = listed["sent"][0]["customer_id"], None
    from billing.sealing.issued import all_issued

    workbook_id = all_issued(engine)[0].workbook_id
    pdf = tmp_path / "reminder.pdf"
    pdf.write_bytes(b"%PDF-1.7 a reminder\n")
    letter = archive_letter(engine, work.archive, pdf, workbook_id=workbook_id, kind="reminder", customer_id=customer,
                            currency="EUR", date=dt.date(2026, 12, 31), file_name="reminders/R-1.pdf", level=2)
    assert archive_letter(engine, work.archive, pdf, workbook_id=workbook_id, kind="reminder", customer_id=customer,
                          currency="EUR", date=dt.date(2026, 12, 31), file_name="reminders/R-1.pdf") == letter
    pdf.write_bytes(b"%PDF-1.7 other bytes\n")
    with pytest.raises(LetterChanged):
        archive_letter(engine, work.archive, pdf, workbook_id=workbook_id, kind="reminder", customer_id=customer,
                       currency="EUR", date=dt.date(2026, 12, 31), file_name="reminders/R-1.pdf")
    assert letters_of_workbook(engine, workbook_id) == [letter]
    handler = Handler()
    with server(handler) as port:
        use(monkeypatch, port)
        code, result, _ = cli(capsys, *work.args("--reminders", "--statements", "--json"))
        assert code == 0 and [(s["kind"], s["document"]) for s in result["sent"]] == [("reminder", str(letter.id))]
        (message,) = handler.messages()
        (part,) = message.iter_attachments()
        assert part.get_filename() == "R-1.pdf" and hashlib.sha256(part.get_content()).hexdigest() == letter.sha256
        assert "Payment reminder (2) of 2026-12-31" in message["Subject"]
        code, again, _ = cli(capsys, *work.args("--reminders", "--json"))
        assert again["sent"] == [] and len(handler.envelopes) == 1


# -- the parts --------------------------------------------------------------------------------------


def test_the_message_id_is_stable_for_document_and_recipient():
    one = message_id("wb", "invoice", "INV-1", "a@b.example", 1, "Billing <billing@acme.example>")
    assert one == message_id("wb", "invoice", "INV-1", "A@B.example", 1, "billing@acme.example")
    assert one.endswith(".1@acme.example>") and one.startswith("<")
    assert len({one, message_id("wb", "invoice", "INV-2", "a@b.example"), message_id("wb2", "invoice", "INV-1",
                "a@b.example"), message_id("wb", "invoice", "INV-1", "c@b.example"),
                message_id("wb", "invoice", "INV-1", "a@b.example", 2)}) == 5


@pytest.mark.parametrize("kind, language, subject", [
    ("invoice", "en", "Invoice INV-9 from ACME"),
    ("invoice", "de", "Rechnung INV-9 von ACME"),
    ("credit_note", "DE", "Gutschrift INV-9 von ACME"),
    ("credit_note", "fr", "Credit note INV-9 from ACME"),  # no French text: English
    ("statement", "de", "Kontoauszug (EUR) vom 2026-12-31 von ACME"),
    ("reminder", "", "Payment reminder (1) of 2026-12-31 from ACME"),
])
def test_templates_by_kind_and_language(kind, language, subject):
    text = render(kind, language, {"number": "INV-9", "company": "ACME", "date": "2026-12-31", "currency": "EUR",
                                   "level": 1, "customer": "Kunde"})
    assert text.subject == subject and "Kunde" in text.body and "ACME" in text.body


def test_the_password_comes_from_the_environment_or_the_keyring_never_the_workbook():
    settings = {"smtp_host": "mail.example", "smtp_port": 2525.0, "smtp_user": "billing", "mail_from": "b@x.example",
                "smtp_password": "from-the-workbook"}
    config = mail_config(settings, environ={}, keyring_lookup=lambda account: None)
    assert (config.host, config.port, config.user, config.password, config.starttls) == \
        ("mail.example", 2525, "billing", None, True)
    assert mail_config(settings, environ={}, keyring_lookup={"billing@mail.example": "k"}.get).password == "k"
    env = {"password": "secret", "smtp_host": "other.example", "smtp_port": "25", "smtp_starttls": "no"}
    config = mail_config(settings, environ=env)
    assert (config.host, config.port, config.password, config.starttls) == ("other.example", 25, "secret", False)
    assert "secret" not in repr(config)


def test_the_environment_overrides_the_settings(monkeypatch):
    from billing.config import smtp_environment

    for name, value in {"XLBILLING_SMTP_HOST": "env.example", "XLBILLING_SMTP_PORT": "465", "XLBILLING_SMTP_USER": "u",
                        "XLBILLING_SMTP_FROM": "f@env.example", "XLBILLING_SMTP_STARTTLS": "no",
                        "XLBILLING_SMTP_PASSWORD": "pw"}.items():
        monkeypatch.setenv(name, value)
    assert smtp_environment() == {"smtp_host": "env.example", "smtp_port": "465", "smtp_user": "u",
                                  "mail_from": "f@env.example", "smtp_starttls": "no", "password": "pw"}
    config = mail_config({"smtp_host": "settings.example", "mail_from": "s@settings.example"})
    assert config == ("env.example", 465, "u", "pw", "f@env.example", False)


def test_the_typed_settings_give_the_mail_server_as_the_sheet_says_it():
    """Settings types `smtp_starttls` as a bool and `smtp_port` as an int: the mail config reads
    them back (a `True` once became 'true', refused as neither yes nor no)."""
    from billing.pipeline.send import mail_settings
    from billing.settings import Settings

    settings = Settings(smtp_host="mail.example.com", smtp_port=2525, smtp_starttls=False, mail_from="a@example.com")
    config = mail_config(mail_settings(settings), environ={})
    assert (config.host, config.port, config.starttls, config.sender) == ("mail.example.com", 2525, False, "a@example.com")
    assert mail_config(mail_settings(Settings()), environ={}).starttls is True
