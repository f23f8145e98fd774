"""`xlbilling numbers audit`: every number accounted for.

From the registry alone: gaps in a series (a sequence number never issued), numbers out
of issue-date order, numbers that do not follow their series' pattern. Against the
workbooks the registry last numbered (their remembered paths): numbered rows that were
deleted, renumbered, or changed customer or amount after numbering, numbers a workbook
shows that the registry never recorded, and the same number in two places. Voids with a
reason are explained; everything else found is an error (exit 1).

The workbooks compared are the registry's remembered paths, or other copies the caller
names (`copies`: the sealed copies in the archive, each as of when it was sealed — a
number allocated after that is not expected in it).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable, Mapping, NamedTuple

import pandas as pd
from sqlalchemy import Engine, select

from billing.numbering.series import render
from billing.store import numbers, workbooks


class AuditFinding(NamedTuple):
    severity: str  # error | warning
    kind: str
    number: str
    message: str
    workbook_id: str | None = None

    def as_dict(self) -> dict:
        return self._asdict()

    @property
    def place(self) -> str:  # `errors.Reported`: the number, else the workbook it is about
        return f"{self.number or self.workbook_id}"

    @property
    def rule(self) -> str:
        return self.kind


#: invoice_key -> (invoice_no, customer_id, gross, status) of a workbook, or None if unreadable
WorkbookRows = Callable[[Path], dict[str, tuple] | None]


class Copy(NamedTuple):
    """A copy of a workbook to compare the registry with: its file, and the moment it shows
    (None: now; a sealed copy: when it was sealed — later numbers are not expected in it)."""

    path: str
    as_of: dt.datetime | None = None


def audit(engine: Engine, read_rows: WorkbookRows, series: str | None = None,
          copies: Mapping[str, Copy] | None = None) -> list[AuditFinding]:
    """Every finding about the registry's numbers (optionally of one series only), against the
    workbooks at the registry's remembered paths, or at `copies` (workbook_id -> `Copy`) if given."""
    with engine.connect().execution_options(read_only=True) as conn:
        records = pd.DataFrame(conn.execute(select(numbers)).mappings().all(), columns=numbers.columns.keys())
        if copies is None:
            copies = {workbook_id: Copy(path) for workbook_id, path in
                      conn.execute(select(workbooks.c.workbook_id, workbooks.c.path)).all()}
    if series:
        records = records[records["series_key"].str.startswith(series) | records["number"].str.startswith(series)]
    findings = list(_series_findings(records))
    findings += _workbook_findings(records, copies, read_rows)
    return findings


def _series_findings(records: pd.DataFrame) -> Iterable[AuditFinding]:
    for key, group in records.groupby("series_key", sort=True):
        if key.startswith("foreign:"):
            for number in group["number"]:
                yield AuditFinding("error", "foreign_number", number,
                                   "does not follow its series' pattern (adopted from a workbook as it was)")
            continue
        pattern = key.rsplit("@", 1)[0]
        group = group.sort_values("seq")
        seqs = set(group["seq"])
        some_date = group["issue_date"].iloc[0]
        for seq in range(1, int(group["seq"].max()) + 1):
            if seq not in seqs:
                yield AuditFinding("error", "gap", render(pattern, some_date, seq),
                                   f"sequence {seq} of {key} was never issued")
        latest = None
        for number, issued in zip(group["number"], group["issue_date"]):
            if latest is not None and issued < latest[1]:
                yield AuditFinding("error", "out_of_date_order", number,
                                   f"issued {issued}, numbered after {latest[0]} issued {latest[1]}")
            if latest is None or issued >= latest[1]:
                latest = (number, issued)
        for number, reason, voided in zip(group["number"], group["void_reason"], group["voided_at"]):
            if pd.notna(voided) and not reason:
                yield AuditFinding("warning", "void_without_reason", number, "voided without a reason")


def _workbook_findings(records: pd.DataFrame, copies: Mapping[str, Copy], read_rows: WorkbookRows) -> list[AuditFinding]:
    findings: list[AuditFinding] = []
    shown_in: dict[str, list[str]] = defaultdict(list)
    for workbook_id, recorded in records.groupby("workbook_id", sort=True):
        copy = copies.get(workbook_id)
        path = copy.path if copy else None
        if copy is not None and copy.as_of is not None:  # numbered after this copy was made: not in it
            # to the second: a seal's time is written to the second, a number's to the microsecond
            allocated = pd.to_datetime(recorded["allocated_at"], utc=True).dt.floor("s")
            recorded = recorded[allocated <= pd.Timestamp(copy.as_of)]
        rows = read_rows(Path(path)) if path else None
        if rows is None:
            findings.append(AuditFinding("warning", "workbook_unreachable", "", f"cannot read {path or 'its file'} "
                                         "to compare its rows", workbook_id))
            continue
        registered = set(recorded["number"])
        for number, key, customer, gross, voided in zip(recorded["number"], recorded["invoice_key"],
                                                        recorded["customer_id"], recorded["gross"],
                                                        recorded["voided_at"]):
            row = rows.get(key)
            if row is None:
                findings.append(AuditFinding("error", "row_deleted", number,
                                             f"invoice_key '{key}' is no longer in {path}", workbook_id))
                continue
            shown, now_customer, now_gross, status = row
            if shown != number:
                findings.append(AuditFinding("error", "number_changed", number,
                                             f"invoice_key '{key}' now shows {shown!r}", workbook_id))
            if now_customer != customer:
                findings.append(AuditFinding("error", "customer_changed", number,
                                             f"customer {customer} when numbered, now {now_customer}", workbook_id))
            if gross is not None and pd.notna(gross) and now_gross is not None and now_gross != gross:
                findings.append(AuditFinding("error", "amount_changed", number,
                                             f"gross {gross} when numbered, now {now_gross}", workbook_id))
            if status == "void" and pd.isna(voided):
                findings.append(AuditFinding("warning", "void_not_recorded", number,
                                             "void in the workbook; run `xlbilling number` to record it", workbook_id))
        for key, (shown, *_rest) in rows.items():
            if shown:
                shown_in[shown].append(workbook_id)
                if shown not in registered:
                    findings.append(AuditFinding("error", "unregistered_number", shown,
                                                 f"shown by invoice_key '{key}' but never recorded", workbook_id))
    for number, holders in shown_in.items():
        if len(holders) > 1:
            findings.append(AuditFinding("error", "duplicate", number, f"shown {len(holders)} times", holders[0]))
    return findings
