"""An audit package: one period's sealed workbooks with everything an auditor needs to check
them without the store, as one zip (`xlbilling archive export`, the portal's `/audit/export`);
and the check of such a zip (`xlbilling archive check-package`).

Members, in this order:

- `workbooks/entry-NNNNNN.xlsx` (or `.xlsm`): each archive entry of the period, the archived
  bytes; each is re-hashed while it is copied in, and an entry whose file is missing or no
  longer has its indexed SHA-256 refuses the whole export (an altered file is never shipped);
- `workbooks/entry-NNNNNN.xlsx.seal.json`: the seal record that workbook carries;
- `documents/doc-NNNNNN-FORMAT.pdf|.xml`: the issued documents of those workbooks whose
  invoice number lies in the entry's sealed invoice range (re-hashed the same way);
- `chain/archive_entries.json`, `chain/issued_documents.json`: the chain segments — every
  index row from the first packaged entry to the head at export (rows between the period's
  entries included, so the links can be followed), each marked `in_package`, with the
  fields its hash covers (`hashed_fields`) and the first link's `genesis`;
- `manifest.json`, last: period, exported at/by, tool version, the chain heads at export,
  the hash rule, and every other member with what it is, its SHA-256 and size.

The hash rule (`billing.sealing.archive.chain_hash`): an entry's `entry_hash` is the SHA-256
of the canonical JSON (keys sorted, separators `,` and `:`, UTF-8, no ASCII escaping) of its
`hashed_fields` (every column but `entry_hash`; dates as ISO text), and its `previous_hash`
is the entry before it's `entry_hash` (`genesis`, 64 zeros, for the first of the chain).

The zip is deterministic: the same inputs give the same bytes except for the manifest's
`exported_at`/`exported_by` (fixed member order, timestamps and attributes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from billing.errors import BadFile
from billing.sealing.archive import GENESIS, _HASHED, archived_path, chain_hash, entries
from billing.sealing.issued import _HASHED as _DOCUMENT_HASHED
from billing.sealing.issued import all_issued

FORMAT = "xlbilling-audit-package/1"
MANIFEST = "manifest.json"
PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every member's timestamp: the bytes depend on the contents only
_STORED = (".xlsx", ".xlsm", ".pdf")  # already compressed
HASH_RULE = ("entry_hash = SHA-256 of the canonical JSON (keys sorted, separators ',' and ':', UTF-8, non-ASCII "
             "kept) of the entry's hashed_fields (dates as ISO text); previous_hash = the entry_hash of the entry "
             "before it (genesis, 64 zeros, for the first entry of the chain).")


class NothingToExport(BadFile):
    """The archive holds no sealed workbook of the period asked for."""


class Member(NamedTuple):
    """One member of the package as the manifest lists it."""

    name: str
    what: str  # sealed_workbook | seal_record | issued_document | chain_segment
    sha256: str
    size: int
    archive_seq: int | None  # the index row it comes from (workbooks, seal records, documents)

    def as_dict(self) -> dict:
        return self._asdict()


class Exported(NamedTuple):
    """What `export_package` wrote."""

    period: str
    workbooks: int
    documents: int
    members: tuple[Member, ...]
    manifest: dict


def tool_version() -> str:
    """The installed xlbilling's version, as the manifest names the tool that wrote it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"xlbilling {version('xlbilling')}"
    except PackageNotFoundError:
        return "xlbilling (version unknown)"


def valid_period(text: str) -> bool:
    """Whether `text` is a period `YYYY-MM` (month 01..12).

    >>> [valid_period(t) for t in ("2026-10", "2026-13", "2026-1", "../x")]
    [True, False, False, False]
    """
    return PERIOD.fullmatch(text) is not None


def export_package(engine: Engine, root: Path, period: str, out: Path, *, exported_by: str,
                   now: dt.datetime | None = None) -> Exported:
    """Write the audit package of `period` to `out` (atomically; nothing is left on a refusal).
    A bad period, a period without sealed workbooks, or an archived file missing or altered
    → `BadFile` with one clear line."""
    from billing.atomic import write_atomically

    if not valid_period(period):
        raise BadFile(f"{period!r} is not a period (YYYY-MM)")
    chain = entries(engine)
    chosen = [e for e in chain if e.period == period]
    if not chosen:
        raise NothingToExport(f"no sealed workbook in the archive for period {period}")
    issued = all_issued(engine)
    documents = [d for d in issued if any(_covers(e, d) for e in chosen)]
    now = now or dt.datetime.now(dt.timezone.utc)
    result: list[Exported] = []

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w") as zf:
            members = _write_members(zf, root, chain, chosen, issued, documents)
            manifest = {
                "format": FORMAT, "period": period, "exported_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "exported_by": exported_by, "tool_version": tool_version(),
                "chain_head": _head(chain), "documents_head": _head(issued), "hash_rule": HASH_RULE,
                "members": [m.as_dict() for m in members],
            }
            _put(zf, MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        result.append(Exported(period, len(chosen), len(documents), tuple(members), manifest))

    write_atomically(out, write, mode=0o644)
    return result[0]


def _covers(entry, document) -> bool:
    """Whether `document` was issued from the sealed workbook of `entry`: the same workbook, its
    number within the entry's sealed invoice range (text order, as the seal record's range)."""
    return (document.workbook_id == entry.workbook_id and entry.first_invoice is not None
            and entry.first_invoice <= document.invoice_no <= entry.last_invoice)


def _write_members(zf: zipfile.ZipFile, root: Path, chain, chosen, issued, documents) -> list[Member]:
    members = []
    for entry in chosen:
        name = f"workbooks/entry-{entry.seq:06d}{entry.suffix}"
        path = _archived(root, entry.sha256, entry.suffix, f"archive entry {entry.seq} ({entry.original_name})")
        members.append(Member(name, "sealed_workbook", *_copy(zf, name, path, entry.sha256,
                                                               f"archive entry {entry.seq}"), entry.seq))
        record = _seal_record(path, entry.seq)
        members.append(_put(zf, name + ".seal.json", record, "seal_record", entry.seq))
    for document in documents:
        name = f"documents/doc-{document.seq:06d}-{document.format}{document.suffix}"
        what = f"issued document entry {document.seq} ({document.invoice_no}, {document.format})"
        path = _archived(root, document.sha256, document.suffix, what)
        members.append(Member(name, "issued_document", *_copy(zf, name, path, document.sha256, what), document.seq))
    in_package = {e.seq for e in chosen}
    members.append(_put(zf, "chain/archive_entries.json",
                        _segment("archive_entries", _HASHED, chain, chosen[0].seq, in_package), "chain_segment"))
    first_document = documents[0].seq if documents else None
    members.append(_put(zf, "chain/issued_documents.json",
                        _segment("issued_documents", _DOCUMENT_HASHED, issued if documents else [], first_document,
                                 {d.seq for d in documents}), "chain_segment"))
    return members


def _archived(root: Path, sha256: str, suffix: str, what: str) -> Path:
    path = archived_path(root, sha256, suffix)
    if not path.is_file():
        raise BadFile(f"{what}: its archived file is missing; nothing exported (run xlbilling archive check)")
    return path


def _copy(zf: zipfile.ZipFile, name: str, path: Path, sha256: str, what: str) -> tuple[str, int]:
    """Stream `path` into the zip as `name`, hashing the very bytes written; refuse them (the
    whole export) unless they have the indexed `sha256`."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as source, zf.open(_info(name), "w") as sink:
        while block := source.read(1 << 20):
            digest.update(block)
            size += len(block)
            sink.write(block)
    if digest.hexdigest() != sha256:
        raise BadFile(f"{what}: its archived file was altered (its SHA-256 is not the indexed one); "
                      "nothing exported (run xlbilling archive check)")
    return sha256, size


def _put(zf: zipfile.ZipFile, name: str, data: bytes, what: str = "", seq: int | None = None) -> Member:
    zf.writestr(_info(name), data)
    return Member(name, what, hashlib.sha256(data).hexdigest(), len(data), seq)


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED if name.endswith(_STORED) else zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, whatever the exporting machine
    info.external_attr = 0o100644 << 16
    return info


def _seal_record(path: Path, seq: int) -> bytes:
    from billing.sealing.sealed_package import read_embedded
    from billing.workbook.package import Package

    with Package(path) as pkg:
        record = read_embedded(pkg).record
    if not record:
        raise BadFile(f"archive entry {seq}: its workbook carries no seal record; nothing exported")
    return (record + "\n").encode("utf-8")


def _segment(table: str, hashed: tuple[str, ...], rows, first_seq: int | None, in_package: set[int]) -> bytes:
    segment = [{**row.as_dict(), "in_package": row.seq in in_package} for row in rows
               if first_seq is not None and row.seq >= first_seq]
    document = {"table": table, "hashed_fields": list(hashed), "genesis": GENESIS, "entries": segment}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _head(rows) -> dict:
    return {"seq": rows[-1].seq, "entry_hash": rows[-1].entry_hash} if rows else {"seq": 0, "entry_hash": None}


# --- the check of a package ------------------------------------------------------------------

def check_package(path: Path) -> list[str]:
    """Every inconsistency of the audit package at `path` (empty: consistent): a member whose
    SHA-256 or size is not the manifest's, a member missing or not listed, a chain row whose
    fields do not give its `entry_hash`, a row not linked to the one before, a segment not
    ending in the manifest's head, a packaged file not the one its row indexes, a seal record
    for other content. Uses only the package (and the hash rule it states)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return _check_open(zf)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{path}: not a readable zip ({exc})"]


def _check_open(zf: zipfile.ZipFile) -> list[str]:
    names = zf.namelist()
    if MANIFEST not in names:
        return ["manifest.json is missing"]
    try:
        manifest = json.loads(zf.read(MANIFEST))
        members = {m["name"]: m for m in manifest["members"]}
    except (ValueError, KeyError, TypeError) as exc:
        return [f"manifest.json is not a manifest ({exc})"]
    problems = [f"{name}: in the zip but not in the manifest" for name in names
                if name != MANIFEST and name not in members]
    for name, member in members.items():
        if name not in names:
            problems.append(f"{name}: listed in the manifest but not in the zip")
            continue
        digest, size = _hash_member(zf, name)
        if (digest, size) != (member.get("sha256"), member.get("size")):
            problems.append(f"{name}: its SHA-256 or size is not the manifest's (altered)")
    segments = {}
    for table, head_key in (("archive_entries", "chain_head"), ("issued_documents", "documents_head")):
        name = f"chain/{table}.json"
        if name not in names:
            problems.append(f"{name} is missing")
            continue
        try:
            segment = json.loads(zf.read(name))
            rows = segment["entries"]
            problems += _check_segment(name, segment, rows, manifest.get(head_key) or {})
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{name} is not a chain segment ({exc})")
            continue
        segments[table] = {row["seq"]: row for row in rows}
    problems += _check_files(zf, members.values(), segments, manifest.get("period"))
    return problems


def _hash_member(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with zf.open(name) as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _check_segment(name: str, segment: dict, rows: list, head: dict) -> list[str]:
    problems = []
    hashed = tuple(segment["hashed_fields"])
    previous = None
    for row in rows:
        if chain_hash(row, hashed) != row["entry_hash"]:
            problems.append(f"{name}: entry {row['seq']}'s fields do not give its entry_hash (edited)")
        if previous is not None and (row["seq"] != previous["seq"] + 1 or row["previous_hash"] != previous["entry_hash"]):
            problems.append(f"{name}: entry {row['seq']} does not follow entry {previous['seq']} (broken chain)")
        if row["seq"] == 1 and row["previous_hash"] != segment["genesis"]:
            problems.append(f"{name}: entry 1 does not start from the genesis hash")
        previous = row
    last = (rows[-1]["seq"], rows[-1]["entry_hash"]) if rows else None
    if rows and last != (head.get("seq"), head.get("entry_hash")):
        problems.append(f"{name}: the segment does not end in the manifest's head (entry {head.get('seq')})")
    return problems


def _check_files(zf: zipfile.ZipFile, members, segments: dict, period: str | None) -> list[str]:
    """Each packaged workbook and document is the file its chain row indexes; each seal record
    is of that workbook's content; each packaged workbook is of the manifest's period."""
    problems = []
    tables = {"sealed_workbook": "archive_entries", "seal_record": "archive_entries",
              "issued_document": "issued_documents"}
    for member in members:
        table = tables.get(member.get("what"))
        if table is None:
            continue
        row = segments.get(table, {}).get(member.get("archive_seq"))
        if row is None or not row.get("in_package"):
            problems.append(f"{member['name']}: no packaged row {member.get('archive_seq')} in chain/{table}.json")
        elif member["what"] == "seal_record":
            try:
                digest = json.loads(zf.read(member["name"])).get("content_digest")
            except (ValueError, KeyError, AttributeError):
                digest = None
            if digest != row["content_digest"]:
                problems.append(f"{member['name']}: a seal record of other content than entry {row['seq']}")
        elif member["sha256"] != row["sha256"]:
            problems.append(f"{member['name']}: not the file entry {row['seq']} of chain/{table}.json indexes")
        elif member["what"] == "sealed_workbook" and row.get("period") != period:
            problems.append(f"{member['name']}: entry {row['seq']} is of period {row.get('period')}, not {period}")
    return problems
