"""The seal record: what was sealed, by whom and when, signed with Ed25519.

The record is a JSON object written in canonical form: keys sorted, no spaces
(`separators=(",", ":")`), UTF-8 without `\\u` escapes for non-ASCII, and only strings,
integers, booleans, null, arrays and objects (no floats), so any JSON library can
reproduce the bytes. `signature` is the base64 (RFC 4648, with padding) of the Ed25519
signature over the canonical JSON of every other field. The fields:

| field | meaning |
|---|---|
| `format` | `xlbilling-seal/1` |
| `canonical` | the canonical form the digests follow: `xlbilling-canonical/2` for new seals (`/1` seals still verify) |
| `content_digest` | SHA-256 of the manifest (see `billing.sealing.canonical`) |
| `sheets` | `[{"name", "state", "digest"}]` in workbook order: the manifest's sheet lines |
| `names_digest`, `vba_digest`, `date1904` | the manifest's other lines |
| `calculation` | (canonical /2 only) the manifest's `calculation` line: `auto`, `manual` or `autoNoTable` |
| `file_sha256` | SHA-256 of the workbook file exactly as it was validated, before the seal wrote protection and this record into it (the sealed file itself cannot hold its own hash; its SHA-256 is the archive id) |
| `workbook_id` | Settings `workbook_id` |
| `period` | `YYYY-MM` sealed (`--period`, default the month of the latest issue date) |
| `invoice_numbers`, `credit_note_numbers` | `{"first", "last", "count"}` of the numbers in the workbook, or null |
| `customers` | `{"first", "last", "count"}` of the customer ids invoiced, or null |
| `sealed_at` | UTC, `YYYY-MM-DDTHH:MM:SSZ` |
| `sealer` | who sealed (`--sealer`, default the OS user) |
| `key_id` | first 16 hex digits of the SHA-256 of the raw public key |
| `previous_digest` | the content digest of this workbook's previous seal in the archive, or null |
| `parts_digest` | (optional: seals made before it have none) the SHA-256 of the canonical JSON of `{"PART": SHA-256}`: every part of the sealed file by its zip member name, with the SHA-256 of its inflated bytes — all but the two `record_parts` |
| `record_parts` | (with `parts_digest`) `[the _seal sheet's part, the custom properties part]`: where the record itself is written |

`parts_digest` is a shortcut, not the seal: a file that holds both record parts and whose
other members give the same digest holds byte for byte the XML that was sealed, so its
canonical content is the sealed one (the canonical form reads neither record part). Any
other file — saved again by Excel, re-zipped, changed — is judged by its canonical content
as before. Older records without it verify as they always did. (One digest rather than the
list: the record lives in one cell, and Excel keeps at most 32,767 characters in a cell.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import NamedTuple

from billing.sealing.canonical import FORMATS as CANONICAL_FORMATS
from billing.sealing.canonical import Content, SheetDigest, content_digest, version_of
from billing.sealing.keys import SigningKey, is_valid_signature, key_id

FORMAT = "xlbilling-seal/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


class NumberRange(NamedTuple):
    """The first and last of some numbers or ids, and how many there are."""

    first: str
    last: str
    count: int


class RecordError(Exception):
    """The record is not a seal record this version can read; `str()` says why."""


def canonical_json(value: object) -> bytes:
    """The canonical JSON bytes of a record (or of any JSON value without floats)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def number_range(values) -> dict | None:
    """{"first", "last", "count"} of the non-blank values, in text order; None if there are none."""
    found = sorted({str(v) for v in values if v is not None and str(v).strip()})
    return NumberRange(found[0], found[-1], len(found))._asdict() if found else None


def build_record(content: Content, *, file_sha256: str, workbook_id: str, period: str, invoice_numbers: dict | None,
                 credit_note_numbers: dict | None, customers: dict | None, sealed_at: str, sealer: str,
                 signing_key: SigningKey, previous_digest: str | None, parts: dict[str, str] | None = None,
                 record_parts: tuple[str, ...] = ()) -> dict:
    """The signed record of a workbook's content (`parts`, `record_parts`: the sealed file's
    part digests and where its record goes, when the seal knows them)."""
    if not _PERIOD.fullmatch(period):
        raise RecordError(f"period {period!r} is not YYYY-MM")
    record = {
        "format": FORMAT,
        "canonical": CANONICAL_FORMATS[content.version],
        "content_digest": content.digest,
        "sheets": [s._asdict() for s in content.sheets],
        "names_digest": content.names_digest,
        "vba_digest": content.vba_digest,
        "date1904": content.date1904,
        "file_sha256": file_sha256,
        "workbook_id": workbook_id,
        "period": period,
        "invoice_numbers": invoice_numbers,
        "credit_note_numbers": credit_note_numbers,
        "customers": customers,
        "sealed_at": sealed_at,
        "sealer": sealer,
        "key_id": signing_key.key_id,
        "previous_digest": previous_digest,
    }
    if content.version >= 2:
        record["calculation"] = content.calculation
    if parts is not None:
        record["parts_digest"] = parts_digest(parts)
        record["record_parts"] = list(record_parts)
    signature = signing_key.private.sign(canonical_json(record))
    return {**record, "signature": base64.b64encode(signature).decode("ascii")}


def parse_record(text: str) -> dict:
    """The record in `text`, its fields checked for shape (not yet for truth)."""
    try:
        record = json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise RecordError(f"the seal record is not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise RecordError("the seal record is not a JSON object")
    if record.get("format") != FORMAT:
        raise RecordError(f"not an {FORMAT} record (format {str(record.get('format'))[:40]!r})")
    for field in ("content_digest", "names_digest", "file_sha256"):
        if not isinstance(record.get(field), str) or not _HEX64.fullmatch(record[field]):
            raise RecordError(f"the seal record's {field} is not a SHA-256")
    for field in ("workbook_id", "period", "sealed_at", "sealer", "key_id", "signature", "vba_digest"):
        if not isinstance(record.get(field), str):
            raise RecordError(f"the seal record has no {field}")
    sheets = record.get("sheets")
    if not isinstance(sheets, list) or not all(
            isinstance(s, dict) and all(isinstance(s.get(k), str) for k in ("name", "state", "digest")) for s in sheets):
        raise RecordError("the seal record's sheets are not a list of name, state and digest")
    if not isinstance(record.get("date1904"), bool):
        raise RecordError("the seal record has no date1904")
    version = version_of(record.get("canonical"))
    if version is not None and version >= 2 and not isinstance(record.get("calculation"), str):
        raise RecordError("the seal record has no calculation")
    if "parts_digest" in record or "record_parts" in record:
        where = record.get("record_parts")
        if not isinstance(record.get("parts_digest"), str) or not _HEX64.fullmatch(record["parts_digest"]):
            raise RecordError("the seal record's parts_digest is not a SHA-256")
        if not (isinstance(where, list) and len(where) == 2 and all(isinstance(p, str) for p in where)
                and where[0] != where[1]):
            raise RecordError("the seal record's record_parts are not the two parts that hold it")
    return record


def parts_digest(parts: dict[str, str]) -> str:
    """The SHA-256 of the canonical JSON of `{part name: SHA-256 of its inflated bytes}`."""
    return hashlib.sha256(canonical_json(parts)).hexdigest()


def same_parts(record: dict, digests: dict[str, str] | None) -> bool:
    """Whether a package holds the sealed parts, unchanged: both record parts are there, and
    all its other members (`digests`: the package's, by member name, from the safety gate)
    give the record's `parts_digest` — the same names, no more, no fewer, the same bytes.
    False when the record has no parts digest (a seal older than it) or no digests are given."""
    if "parts_digest" not in record or digests is None:
        return False
    where = record["record_parts"]
    if not all(part in digests for part in where):
        return False
    return parts_digest({k: v for k, v in digests.items() if k not in where}) == record["parts_digest"]


def record_sheets(record: dict) -> tuple[SheetDigest, ...]:
    """The manifest's sheet lines as the record has them."""
    return tuple(SheetDigest(s["name"], s["state"], s["digest"]) for s in record["sheets"])


def record_version(record: dict) -> int | None:
    """The canonical form's version the record's digests follow (None: one this code does not know)."""
    return version_of(record.get("canonical"))


def record_content(record: dict) -> Content:
    """The content the record says was sealed (its version's manifest fields)."""
    version = record_version(record) or max(CANONICAL_FORMATS)
    return Content(record["content_digest"], record_sheets(record), record["names_digest"], record["vba_digest"],
                   record["date1904"], record.get("calculation", "auto") if version >= 2 else "auto", version)


def signature_problems(record: dict, public) -> list[str]:
    """Why the record's signature does not hold with this public key ([] when it does)."""
    problems = []
    if record["key_id"] != key_id(public):
        problems.append(f"the record says it was signed with key {record['key_id']}, "
                        f"but the public key given is {key_id(public)}")
    try:
        signature = base64.b64decode(record["signature"], validate=True)
    except (binascii.Error, ValueError):
        return problems + ["the signature is not base64"]
    unsigned = {k: v for k, v in record.items() if k != "signature"}
    if not is_valid_signature(public, signature, canonical_json(unsigned)):
        problems.append("the signature does not match the record: the record was changed after it was "
                        "signed, or signed with another key")
    return problems


def manifest_problems(record: dict) -> list[str]:
    """Whether the record's content digest follows from its own sheet list and digests."""
    if record_version(record) is None:
        return [f"the record uses the canonical form {str(record.get('canonical'))[:40]!r}, "
                f"this version knows {' and '.join(CANONICAL_FORMATS.values())}"]
    sealed = record_content(record)
    expected = content_digest(sealed.sheets, sealed.names_digest, sealed.vba_digest, sealed.date1904,
                              sealed.calculation, sealed.version)
    if expected != record["content_digest"]:
        return ["the record's content digest does not follow from its sheet digests"]
    return []
