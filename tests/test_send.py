"""`xlbilling send` against a real SMTP server (aiosmtpd on 127.0.0.1, started here): delivery of
the archived bytes, a temporary failure then success, a permanent failure, a server that is down,
a run killed between the server's acceptance and the record — nothing lost, nothing sent twice —
and the .eml outbox, the dry run, the letters, the configuration."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from billing.delivery import smtp
from billing.delivery.config import mail_config
from billing.delivery.message import message_id
from billing.delivery.templates import render

from tests_support import ROOT, SAMPLE_INVOICES as COUNT, Handler, Work, cli, free_port, sent_sheet, server, use


# -- the workbook and the SMTP server: tests_support.py (Handler, server, cli...), conftest.py (issued, work)


def customer_languages(book: Path) -> dict[str, str | None]:
    """customer_id -> the Customers sheet's `language` (the sample's follow the country)."""
    rows = list(openpyxl.load_workbook(book, read_only=True)["Customers"].iter_rows(values_only=True))
    header = list(rows[0])
    return {r[header.index("customer_id")]: r[header.index("language")] for r in rows[1:] if r[0]}


def archived(work: Work) -> dict[str, dict[str, str]]:
    """Invoice number → {file name: sha256} of the issued documents in the store."""
    from billing.sealing.issued import all_issued
    from billing.store import open_store

    found: dict[str, dict[str, str]] = {}
    for d in all_issued(open_store(work.db)):
        found.setdefault(d.invoice_no, {})[Path(d.file_name).name] = d.sha256
    return found


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


def test_statement_pdfs_are_archived_by_statements_and_sent_once(work, capsys, monkeypatch, tmp_path):
    """`statements --pdf` archives each PDF as a `statement` letter dated --as-of; `send
    --statements` sends those very bytes, once; statements made again are the letters made before."""
    from billing.sealing.issued import all_issued
    from billing.sealing.letters import letters_of_workbook
    from billing.store import open_store

    def statements() -> dict:
        code, made, err = cli(capsys, "statements", str(work.book), "--as-of", "2026-12-31", "--from", "2026-01-01",
                              "--out", str(tmp_path / "st"), "--pdf", "--json", *work.store())
        assert code == 0, err
        return made

    made = statements()
    pdfs = {str(s["letter_id"]): Path(s["pdf"]) for s in made["statements"] if "pdf" in s}
    assert len(pdfs) >= 2 and all(s["customer_id"] for s in made["statements"] if "pdf" in s)
    engine = open_store(work.db)
    workbook_id = all_issued(engine)[0].workbook_id
    stored = letters_of_workbook(engine, workbook_id)
    assert {str(l.id): (l.kind, l.date, l.file_name) for l in stored} == {
        id_: ("statement", dt.date(2026, 12, 31), str(pdf)) for id_, pdf in pdfs.items()}
    assert all(l.sha256 == hashlib.sha256(pdfs[str(l.id)].read_bytes()).hexdigest() for l in stored)
    assert {str(s["letter_id"]) for s in statements()["statements"] if "pdf" in s} == set(pdfs)  # the same letters
    assert len(letters_of_workbook(engine, workbook_id)) == len(pdfs)
    handler = Handler()
    with server(handler) as port:
        use(monkeypatch, port)
        code, result, _ = cli(capsys, *work.args("--statements", "--json"))
        assert code == 0 and result["failed"] == []
        sent = {s["document"]: s for s in result["sent"]}
        assert set(sent) | {s["document"] for s in result["skipped"]} == set(pdfs) and sent
        assert all(s["kind"] == "statement" for s in result["sent"])
        by_recipient = {m["To"].addresses[0].addr_spec.lower(): m for m in handler.messages()}
        for document, row in sent.items():
            (part,) = by_recipient[row["to"].lower()].iter_attachments()
            assert part.get_content() == pdfs[document].read_bytes()
        code, again, _ = cli(capsys, *work.args("--statements", "--json"))
        assert code == 0 and again["sent"] == [] and len(handler.envelopes) == len(sent)


class Crash(BaseException):
    """The run dies here (not an Exception: nothing on the way catches it)."""


def test_the_store_migrates_and_the_record_comes_first_on_each_store(store_url, work, capsys, monkeypatch, tmp_path):
    """On SQLite and PostgreSQL (XLBILLING_TEST_DATABASE_URL): migration 4 makes `letters` and
    `messages`; statements archived there are sent; a run that dies after the server accepted a
    message leaves it `sending`, the next run calls it `uncertain` and does not send it again,
    --resend sends it with the same Message-ID (and the sent ones as a new generation)."""
    from sqlalchemy import inspect, text

    from billing.delivery import record
    from billing.store import MIGRATIONS, open_store

    engine = open_store(store_url)
    open_store(store_url)  # opening again migrates nothing
    with engine.connect() as conn:
        versions = [row[0] for row in conn.execute(text("SELECT version FROM schema_version ORDER BY version"))]
        assert versions == sorted(MIGRATIONS) and 4 in versions  # letters and messages: migration 4
        assert {"letters", "messages"} <= set(inspect(conn).get_table_names())
    store = ["--db", store_url, "--archive", str(work.archive)]
    code, made, err = cli(capsys, "statements", str(work.book), "--as-of", "2026-12-31", "--from", "2026-01-01",
                          "--out", str(tmp_path / "st"), "--pdf", "--json", *store)
    assert code == 0, err
    letters = sorted(str(s["letter_id"]) for s in made["statements"] if "pdf" in s)
    assert len(letters) >= 2
    send = ["send", str(work.book), *store, "--statements", "--json"]
    real_mark_sent = record.mark_sent

    def die(*args, **kwargs):
        raise Crash

    handler = Handler()
    with server(handler) as port:
        use(monkeypatch, port)
        monkeypatch.setattr(record, "mark_sent", die)
        with pytest.raises(Crash):
            main_in_process(capsys, *send)
        (first,) = record.messages_of_workbook(engine, workbook_of(engine))
        assert first.status == record.SENDING and len(handler.envelopes) == 1
        assert handler.messages()[0]["Message-ID"] == first.message_id
        monkeypatch.setattr(record, "mark_sent", real_mark_sent)
        code, result, _ = cli(capsys, *send)
        assert code == 0 and sorted([s["document"] for s in result["sent"]] + [first.document]) == letters
        assert [(s["document"], s["status"]) for s in result["skipped"]] == [(first.document, record.UNCERTAIN)]
        assert len(handler.envelopes) == len(letters)  # nothing twice
        code, again, _ = cli(capsys, *send, "--resend")
        resent = {s["document"]: s["message_id"] for s in again["sent"]}
        assert code == 0 and sorted(resent) == letters and resent[first.document] == first.message_id
        assert all(resent[d] != s["message_id"] for d, s in ((s["document"], s) for s in result["sent"]))
        assert {m.status for m in record.messages_of_workbook(engine, workbook_of(engine))} == {record.SENT}


def main_in_process(capsys, *args: str) -> None:
    from billing.cli import main

    capsys.readouterr()
    main(list(args))


def workbook_of(engine) -> str:
    """The one workbook whose letters the store holds."""
    from billing.store import letters
    from sqlalchemy import select

    with engine.connect() as conn:
        (workbook_id,) = {row[0] for row in conn.execute(select(letters.c.workbook_id))}
    return workbook_id


def test_the_typed_settings_give_the_mail_server_as_the_sheet_says_it():
    """Settings types `smtp_starttls` as a bool and `smtp_port` as an int: the mail config reads
    them back (a `True` once became 'true', refused as neither yes nor no)."""
    from billing.pipeline.send import mail_settings
    from billing.settings import Settings

    settings = Settings(smtp_host="mail.example.com", smtp_port=2525, smtp_starttls=False, mail_from="a@example.com")
    config = mail_config(mail_settings(settings), environ={})
    assert (config.host, config.port, config.starttls, config.sender) == ("mail.example.com", 2525, False, "a@example.com")
    assert mail_config(mail_settings(Settings()), environ={}).starttls is True
