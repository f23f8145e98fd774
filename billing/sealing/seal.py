"""Sealing a validated workbook: sign its content, protect it, archive it.

`seal_workbook` works on a workbook the caller has validated (`xlbilling seal` refuses an
invalid one before anything is written). In one pass over the package it computes the
canonical content digest and protects, deflates and hashes each sheet (in several processes
for a big book), signs the record — with a digest of every part the sealed file holds but
the record's own two, what lets `verify` recognise an untouched file at once — writes the
sealed workbook to a temporary file beside the original, stores that file in the archive
and indexes it, and only then moves it into place and writes the record beside it as
`PATH.seal.json`. A failure at any step leaves the original file as it was and nothing in
the archive. `xlbilling seal` starts that reading of a big workbook in a
forked process while it validates the workbook (`PreReading`): used only when it was made
of the validated bytes.

A workbook with DDE formulas or links to other workbooks is refused (`Unsealable`, each
place a finding: `billing.sealing.canonical.links`): its values come from outside what is sealed.
"""

from __future__ import annotations

import datetime as dt
import getpass
import multiprocessing
import sys
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from billing.sealing.archive import Entry, archive_sealed, entries_of_workbook, file_sha256
from billing.atomic import staged, write_text_atomically
from billing.sealing.canonical import Reading, read_content
from billing.sealing.canonical.links import Link
from billing.errors import BadFile, Finding
from billing.sealing.keys import SigningKey
from billing.workbook.package import Package
from billing.sealing.sealed_package import Layout, part_digests, prepare_sealed, property_value, protected_sheet, \
    write_sealed
from billing.sealing.record import build_record, canonical_json, number_range
from billing.tables import Tables

SUFFIXES = (".xlsx", ".xlsm")


class SealFacts(NamedTuple):
    """What the record says about the workbook's data, taken from its validated tables."""

    workbook_id: str
    period: str
    invoice_numbers: dict | None
    credit_note_numbers: dict | None
    customers: dict | None
    retention_years: int


class Unsealable(BadFile):
    """The workbook takes values from outside itself (DDE, other workbooks): nothing was sealed."""

    def __init__(self, links: tuple[Link, ...]):
        self.links = links
        first = links[0]
        super().__init__(f"{first.cell}: {first.message}; a workbook with DDE formulas or links to other "
                         "workbooks is not sealed")

    def findings(self) -> tuple[Finding, ...]:
        """Each place as an error finding."""
        return tuple(Finding("error", link.cell, link.rule, f"{link.message}; a workbook with DDE formulas or "
                                                             "links to other workbooks is not sealed")
                     for link in self.links)


class SealResult(NamedTuple):
    """A sealed workbook: where it is, its record, its archive entry."""

    path: Path
    sidecar: Path
    sha256: str  # of the sealed file: its name in the archive
    record: dict
    entry: Entry


def sidecar_path(path: Path) -> Path:
    """Where the record is written beside the workbook: `NAME.xlsx.seal.json`."""
    return path.with_name(path.name + ".seal.json")


def seal_facts(tables: Tables, period: str | None = None) -> SealFacts:
    """Workbook id, period (default: the month of the latest issue date) and number ranges."""
    settings = tables.settings
    if not settings.workbook_id:
        raise BadFile("Settings has no workbook_id: a seal names the workbook it seals (run `xlbilling number` "
                      "or enter a UUID in Settings)")
    invoices = tables.invoices
    kinds = invoices["kind"].tolist()
    numbers = invoices["invoice_no"].tolist()
    if period is None:
        dates = [d for d in invoices["issue_date"].tolist() if d is not None]
        period = (max(dates) if dates else dt.date.today()).strftime("%Y-%m")
    return SealFacts(
        settings.workbook_id, period,
        number_range(n for n, k in zip(numbers, kinds) if k != "credit_note"),
        number_range(n for n, k in zip(numbers, kinds) if k == "credit_note"),
        number_range(invoices["customer_id"].tolist()),
        settings.retention_years,
    )


#: below this file size the forked pre-reading costs more than it overlaps
PREREAD_MIN_BYTES = 4 << 20
#: what the pre-reading process holds at most, per byte of the file (measured: 0.86 GB for the
#: 53 MB closed 100k-invoice book, ~16x); it starts only with this much memory to spare and
#: half as much again, else the seal reads after validation, as on one core
PREREAD_MEMORY_PER_BYTE = 24


class PreReading:
    """The seal's reading of a workbook (canonical content, each sheet protected, deflated and
    hashed) started in a forked process while the caller validates the workbook in this one.

    Validation reads the file with python-calamine, which cannot give the canonical form, so
    the seal must read the XML once more; on two cores the two reads run side by side
    instead of one after the other. The same work is done, only earlier: the result is used
    only if the file's SHA-256 before and after the pre-reading is the one validated (else,
    or if anything went wrong, `seal_workbook` reads the file itself and reports as always)."""

    def __init__(self, path: Path, version: int | None = None):
        self.version = version
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_pre_read, args=(send, path, version), daemon=True)
        self._process.start()
        send.close()

    @classmethod
    def start(cls, path: Path, version: int | None = None) -> "PreReading | None":
        """A pre-reading of a big workbook where `fork` is at hand (Linux) and the memory to
        spare for it; None otherwise."""
        try:
            size = path.stat().st_size
        except OSError:
            return None
        if size < PREREAD_MIN_BYTES or not sys.platform.startswith("linux"):
            return None
        return cls(path, version) if available_memory() >= size * PREREAD_MEMORY_PER_BYTE else None

    def result(self, sha256: str) -> Reading | None:
        """The reading, if it was made of the file with this SHA-256 (waits for it); else None."""
        try:
            outcome = self._receive.recv()
        except (EOFError, OSError):
            outcome = None
        finally:
            self.close()
        if outcome is None or outcome[0] != sha256 or outcome[1] != sha256:
            return None
        return outcome[2]

    def close(self) -> None:
        """Stop the pre-reading (if it still runs) and free its process."""
        self._receive.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


def available_memory() -> int:
    """Bytes of memory the system can give without swapping (Linux's MemAvailable; 0 unknown)."""
    try:
        with open("/proc/meminfo", "rb") as info:
            for line in info:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _pre_read(send, path: Path, version: int | None) -> None:
    """In the forked process: (SHA-256 before, SHA-256 after, the Reading), or None on any failure."""
    try:
        before = file_sha256(path)
        with Package(path) as pkg:  # through the gate: validation has not finished yet
            # one process: the other core validates
            reading = read_content(pkg, also=protected_sheet, version=version, processes=1)
        send.send((before, file_sha256(path), reading))
    except BaseException:  # the seal reads the file itself and reports whatever this was
        send.send(None)
    finally:
        send.close()


def seal_workbook(path: Path, facts: SealFacts, *, engine: Engine, archive_root: Path, signing_key: SigningKey,
                  sealer: str | None = None, validated_sha256: str | None = None,
                  now: dt.datetime | None = None, version: int | None = None,
                  pre_reading: PreReading | None = None) -> SealResult:
    """Seal the workbook at `path` in place, archive it and write `PATH.seal.json`.

    `validated_sha256`: the file's SHA-256 when it was validated; if the file changed since,
    nothing is sealed. `version`: the canonical form (default: the current one).
    `pre_reading`: the reading started while the workbook was validated (`PreReading`), used
    when it was made of the validated bytes in the same `version`."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BadFile(f"{path}: only .xlsx and .xlsm workbooks can be sealed")
    source_sha256 = file_sha256(path)
    if validated_sha256 is not None and source_sha256 != validated_sha256:
        raise BadFile(f"{path} changed while it was being validated; nothing was sealed")
    now = now or dt.datetime.now(dt.timezone.utc)
    previous = entries_of_workbook(engine, facts.workbook_id)
    # the sealed file is staged beside the original and replaces it only once it is archived
    # and indexed; the original keeps its place (and its permissions) if anything fails
    with staged(path, suffix=".sealing") as sealed:
        # the bytes validation read passed the safety gate then: unchanged, they need not pass again
        with Package(path, checked=source_sha256 == validated_sha256) as pkg:
            reading = (pre_reading.result(source_sha256) if pre_reading is not None and pre_reading.version == version
                       else None)
            if reading is None:
                # each worksheet is protected, deflated and hashed in the same job that reads its cells
                reading = read_content(pkg, also=protected_sheet, version=version)
            if reading.links:
                raise Unsealable(reading.links)
            content, protected = reading.content, reading.extra
            layout = prepare_sealed(pkg)
            record = build_record(
                content, file_sha256=source_sha256, workbook_id=facts.workbook_id, period=facts.period,
                invoice_numbers=facts.invoice_numbers, credit_note_numbers=facts.credit_note_numbers,
                customers=facts.customers, sealed_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                sealer=sealer or getpass.getuser(), signing_key=signing_key,
                previous_digest=previous[-1].content_digest if previous else None,
                parts=part_digests(pkg, layout, protected), record_parts=layout.record_parts)
            record_text = canonical_json(record).decode("utf-8")
            sealed.write(lambda tmp: _write_sealed(tmp, pkg, layout, protected, record_text, record))
        sha256 = file_sha256(sealed.path)
        entry = archive_sealed(engine, archive_root, sealed.path, sha256=sha256, suffix=suffix, record=record,
                               original_name=path.name, retention_years=facts.retention_years, now=now)
    sidecar = sidecar_path(path)
    write_text_atomically(sidecar, record_text + "\n")
    return SealResult(path, sidecar, sha256, record, entry)


def _write_sealed(tmp: Path, pkg: Package, layout: Layout, protected: dict, record_text: str, record: dict) -> None:
    with open(tmp, "wb") as out:
        write_sealed(pkg, layout, out, protected, record_text, property_value(record))
