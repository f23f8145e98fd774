"""The gate every workbook passes before python-calamine or openpyxl sees it.

`check_workbook_file(path)` opens the file read-only, never changes it, and either returns
None or raises `BadFile` with a one-line reason. It refuses:

* what is not a readable regular file: missing, a directory, a device or pipe, empty, unreadable;
* OLE compound files: an encrypted (password-protected) workbook, whose OLE container holds an
  `EncryptionInfo` stream, or a legacy binary `.xls`;
* what is not a sound zip package: not a zip at all (a CSV, text or HTML file renamed to
  `.xlsx`), a truncated zip, a part whose deflate stream is broken or whose CRC fails, encrypted
  entries, unknown compression methods; and a zip that is not a workbook (no
  `[Content_Types].xml` or `xl/workbook.xml`);
* zip bombs and ambiguous archives: too many entries, an oversized central directory, absolute
  or `..` member names, duplicate names, overlapping entries, a local header naming another
  part than the central directory, absurd declared sizes or compression ratios. Headers can
  lie, so every part is also inflated here in chunks, counting the bytes that actually come
  out; a part that inflates beyond its declared size, or parts beyond the total budget, stop
  the check at once. Nothing is ever held in memory beyond one chunk;
* XML parts (`.xml`, `.rels`, `.vml`) with a `<!DOCTYPE` or `<!ENTITY` declaration (billion
  laughs, external entities: Excel never writes a DTD), in UTF-32 or in an encoding that is not
  ASCII-compatible (which could hide one), or that do not start like XML;
* sheets beyond Excel's grid: a `<dimension ref>`, or a `row`/`c`/`cell` reference beyond
  row 1,048,576 or column XFD (16,384), in any XML part; and absurdly many sheets;
* worksheets whose used area — last row × last column that any cell names, however sparse —
  exceeds `billing.workbook.safety_area.MAX_AREA` (32 columns at full height): python-calamine makes a
  dense grid of that area, and one cell at XFD1048576 would ask for 17 G cells.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import itertools
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from xml.parsers import expat

from billing.workbook import safety_area
from billing.cells import column_letter
from billing.errors import BadFile, one_line
from billing.workbook.safety_area import SheetArea, referenced_area, walk_area

MiB = 1 << 20
GiB = 1 << 30

# -- budgets ---------------------------------------------------------------------------------
#: Excel writes ~10 entries plus ~3 per sheet and a few per picture or chart; 10,000 is far
#: beyond any real workbook and keeps the central directory cheap to list.
MAX_ENTRIES = 10_000
#: Excel's central directory costs ~100 bytes an entry: 16 MiB fits 10,000 entries with very
#: long names, and is read before the entries are counted by `zipfile`.
MAX_CENTRAL_DIRECTORY = 16 * MiB
#: One part (sheet XML, picture): a 1,048,576-row sheet of a few columns is a few hundred MiB
#: of XML; a larger part is a bomb, not a billing workbook.
MAX_PART_SIZE = 1 * GiB
#: The whole package inflated, declared and actual: twice the biggest part.
MAX_TOTAL_SIZE = 2 * GiB
#: Sheet XML deflates 10-50x (measured: 9-19x even for rows of identical styled empty
#: cells). The most in 157 real-world test workbooks: 121x, a sheet of long strings of one
#: letter, as Excel compressed it — 250x once zlib (level 6, as most tools) compresses it
#: again, 259x at level 9. Zeros and repeated bytes deflate ~1000x. So every part may inflate
#: to at most MAX_RATIO times its compressed size plus RATIO_ALLOWANCE (small parts compress
#: however they like), and the whole package to MAX_RATIO times the file's size plus
#: TOTAL_RATIO_ALLOWANCE: a 1 MB file never inflates beyond ~516 MB.
MAX_RATIO = 500
RATIO_ALLOWANCE = 1 * MiB
TOTAL_RATIO_ALLOWANCE = 16 * MiB
#: Excel has no fixed sheet limit (memory bound); a billing workbook has about a dozen.
#: Counting worksheets, chartsheets, dialog and macro sheets.
MAX_SHEETS = 2_000
#: Excel's grid: rows 1..1,048,576, columns A..XFD.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384

# -- streaming -------------------------------------------------------------------------------
#: Bytes read from the file and inflated per step; the tests shrink it.
CHUNK = 1 * MiB
#: Bytes of one chunk kept in front of the next, so a token split between two chunks is
#: still seen whole (`<!DOCTYPE` is 9 bytes, a cell reference with its attribute ~20).
OVERLAP = 256
#: Bytes gathered before an XML part's encoding and declaration are judged.
HEAD = 1024
#: The workbook part and its relationships are parsed to name a sheet in a message up to this size.
HEAD_LIMIT = 16 * MiB

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_REQUIRED = ("[Content_Types].xml", "xl/workbook.xml")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_SHEET_PART = re.compile(r"xl/(work|chart|dialog|macro)sheets/[^/]+\.xml", re.I)
_ASCII_ENCODINGS = re.compile(rb"utf-?8|(us-)?ascii|iso[-_]?8859-\d{1,2}|latin-?1|(windows|cp)-?125\d", re.I)
_UTF16_ENCODINGS = re.compile(rb"utf-?16(-?[lb]e)?", re.I)
_DECL_ENCODING = re.compile(rb"""\sencoding\s*=\s*["']([^"']*)["']""")
#: Only suspicious references: three letters (column AAA and beyond) or seven digits (row
#: 1,000,000 and beyond). Real sheets of normal width never match, which keeps this fast.
_REF = re.compile(rb"""r\s*=\s*["']([A-Za-z]{3}|[A-Za-z]{0,2}\d{7})""")
_TOKEN = re.compile(rb"([A-Za-z]*)(\d*)")
_DIMENSION = re.compile(rb"""dimension\s+ref\s*=\s*["']([^"'<>]{0,40})["']""")
_TAG_NAME = re.compile(rb"[^\s/>]{0,256}")
_REF_TAGS = (b"c", b"row", b"cell")
_WHITESPACE = (b" ", b"\t", b"\r", b"\n")
_CONVERTED = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error, zlib.error,
              NotImplementedError, OverflowError)


def check_workbook_file(path: str | os.PathLike, digests: dict[str, str] | None = None) -> None:
    """Raise `BadFile` with a one-line reason if the workbook at `path` must not be parsed.

    Reads the file read-only and never modifies it; returns None when the file is a sound
    .xlsx/.xlsm package that python-calamine and openpyxl can be given. Any problem with the
    file itself (unreadable, corrupt, hostile) is reported as `BadFile`, never as another error.
    `digests`: filled with the SHA-256 (hex) of every part's inflated bytes, by part name, from
    the same pass that checks them (what `xlbilling verify` compares with a seal's parts digest).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise BadFile("file not found") from None
    except (OSError, ValueError) as exc:
        raise BadFile(f"cannot open the file: {one_line(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise BadFile("this is a directory, not a workbook file")
    if not stat.S_ISREG(st.st_mode):
        raise BadFile("not a regular file (a device, pipe or socket), not a workbook")
    if st.st_size == 0:
        raise BadFile("empty file (0 bytes), not a workbook")
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise BadFile(f"cannot read the file: {one_line(exc)}") from None
    with f:
        try:
            _check_open_file(f, st.st_size, digests)
        except OSError as exc:
            if exc.errno == errno.EINVAL:  # a seek to an offset the zip structure made up
                raise BadFile("damaged workbook: its zip structure points outside the file") from None
            raise BadFile(f"cannot read the file: {one_line(exc)}") from None
        except _CONVERTED as exc:
            raise BadFile(f"damaged workbook: {one_line(exc)}") from None


def _check_open_file(f, size: int, digests: dict[str, str] | None = None) -> None:
    magic = f.read(8)
    if magic == OLE_MAGIC:
        _refuse_ole(f)
    if magic[:4] == b"PK\x05\x06":
        raise BadFile("not an Excel workbook: an empty zip archive")
    if magic[:4] != b"PK\x03\x04":
        raise BadFile("not an Excel workbook: the file is not a zip package (.xlsx/.xlsm); "
                      "is it a CSV, text or HTML file renamed to .xlsx?")
    _check_end_record(f, size)
    with zipfile.ZipFile(f) as zf:
        infos = zf.infolist()
    _check_listing(infos, size)
    total = [0]
    for info in sorted(infos, key=lambda i: i.header_offset):
        chunks = _inflate(f, info, total)
        if digests is not None:
            chunks = _hashed(chunks, info.filename, digests)
        if info.filename.lower().endswith(_XML_SUFFIXES):
            area = SheetArea() if _SHEET_PART.fullmatch(info.filename) else None
            _scan_xml(info.filename, chunks, area)
            if area is not None and area.needs_exact:
                _check_area(f, info, infos)
        else:
            for _ in chunks:
                pass


def _check_area(f, info: zipfile.ZipInfo, infos: list[zipfile.ZipInfo]) -> None:
    """The exact used area of a worksheet the cheap look could not vouch for (a second pass)."""
    area = referenced_area(_as_utf8(info.filename, _inflate(f, info, [0]))[1])
    if area is None:  # cells without a reference: place them as python-calamine does
        try:
            area = walk_area(_inflate(f, info, [0]))
        except expat.ExpatError as exc:
            raise BadFile(f"damaged workbook: part {_q(info.filename)} is not well-formed XML "
                          f"({one_line(exc)})") from None
    rows, columns = area
    if rows * columns > safety_area.MAX_AREA:
        sheet = _sheet_name(f, infos, info.filename)
        raise BadFile(f"sheet too large to read: {sheet} uses A1:{column_letter(columns - 1)}{rows} "
                      f"({rows:,} rows × {columns:,} columns = {rows * columns:,} cells; the limit is "
                      f"{safety_area.MAX_AREA:,} cells, e.g. 32 columns of 1,048,576 rows); "
                      f"delete the cells far outside the data")


def _sheet_name(f, infos: list[zipfile.ZipInfo], part: str) -> str:
    """The name of the sheet stored in `part`, as the workbook lists it; else the part name.
    Both small XML parts have passed the DTD check by now. (The Package cannot be used here:
    it opens files through this gate; the part-name rules are the same, `billing.workbook.ns`.)"""
    from xml.etree import ElementTree

    from billing.workbook.ns import DEFAULT_WORKBOOK, rels_part, resolve

    sizes = {i.filename: i.file_size for i in infos}
    names = (DEFAULT_WORKBOOK, rels_part(DEFAULT_WORKBOOK))
    if any(sizes.get(n, HEAD_LIMIT + 1) > HEAD_LIMIT for n in names):
        return _q(part)
    try:
        with zipfile.ZipFile(f) as zf:
            rels = ElementTree.fromstring(zf.read(names[1]))
            workbook = ElementTree.fromstring(zf.read(names[0]))
        targets = {r.get("Id"): resolve(DEFAULT_WORKBOOK, r.get("Target", ""))
                   for r in rels if r.tag.endswith("Relationship")}
        for sheet in workbook.iter():
            if sheet.tag.endswith("}sheet"):
                rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
                if targets.get(rid) == part:
                    return repr(sheet.get("name", ""))
    except Exception:  # a name for a message only; the part name does as well
        pass
    return _q(part)


def _refuse_ole(f) -> None:
    f.seek(0)
    tail = b""
    while block := f.read(CHUNK):
        if _ENCRYPTION_INFO in tail + block:
            raise BadFile("encrypted workbook: remove the password in Excel "
                          "(File > Info > Protect Workbook) and try again")
        tail = block[-len(_ENCRYPTION_INFO):]
    raise BadFile("legacy .xls (binary Excel 97-2003) file: open it in Excel and save it as "
                  "an Excel Workbook (.xlsx)")


def _check_end_record(f, size: int) -> None:
    """Count entries from the end record before `zipfile` reads the central directory."""
    f.seek(max(0, size - 22 - 0xFFFF))
    tail = f.read()
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise BadFile("damaged workbook: the zip package is truncated (its end record is missing); "
                      "copy or download the file again")
    entries, directory = struct.unpack_from("<HI", tail, pos + 10)
    zip64 = pos >= 20 and tail[pos - 20:pos - 16] == b"PK\x06\x07"
    if zip64 and (entries == 0xFFFF or directory == 0xFFFFFFFF):
        f.seek(struct.unpack_from("<Q", tail, pos - 12)[0])
        record = f.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            entries, directory = struct.unpack_from("<QQ", record, 32)
    if entries > MAX_ENTRIES:
        raise BadFile(f"hostile or broken workbook: {entries:,} zip entries (limit {MAX_ENTRIES:,})")
    if directory > MAX_CENTRAL_DIRECTORY:
        raise BadFile(f"hostile or broken workbook: a zip directory of {directory:,} bytes "
                      f"(limit {MAX_CENTRAL_DIRECTORY:,})")


def _check_listing(infos: list[zipfile.ZipInfo], file_size: int) -> None:
    if len(infos) > MAX_ENTRIES:
        raise BadFile(f"hostile or broken workbook: {len(infos):,} zip entries (limit {MAX_ENTRIES:,})")
    seen: set[str] = set()
    names = {info.filename for info in infos}
    for info in infos:
        name = info.orig_filename
        parts = name.replace("\\", "/").split("/")
        if not name or parts[0] == "" or ".." in parts or "\x00" in name or re.match(r"[A-Za-z]:", name):
            raise BadFile(f"hostile workbook: zip member name {_q(name)} is absolute, escapes "
                          f"the package or holds a NUL (path traversal)")
        if name.lower() in seen:
            raise BadFile(f"hostile or broken workbook: the zip holds {_q(name)} twice")
        seen.add(name.lower())
        if info.flag_bits & 0x1:
            raise BadFile(f"encrypted zip entry {_q(name)}: not a workbook Excel writes")
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in zip(ordered, ordered[1:]):
        if b.header_offset < a.header_offset + 30 + len(_raw_name(a)) + a.compress_size:
            raise BadFile(f"hostile workbook: zip entries {_q(a.filename)} and {_q(b.filename)} overlap")
    for required in _REQUIRED:
        if required not in names:
            hint = ("; its part names use backslashes, re-save it in Excel"
                    if required.replace("/", "\\") in names else "")
            raise BadFile(f"not an Excel workbook: the zip package has no {required}{hint}")
    sheets = sum(1 for i in infos if _SHEET_PART.fullmatch(i.filename))
    if sheets > MAX_SHEETS:
        raise BadFile(f"too many sheets: {sheets:,} (limit {MAX_SHEETS:,})")
    for info in infos:
        if info.file_size > MAX_PART_SIZE:
            raise BadFile(f"zip bomb suspected: part {_q(info.filename)} declares {_size(info.file_size)} "
                          f"uncompressed (limit {_size(MAX_PART_SIZE)})")
        if info.file_size > MAX_RATIO * info.compress_size + RATIO_ALLOWANCE:
            raise BadFile(f"zip bomb suspected: part {_q(info.filename)} inflates {_size(info.compress_size)} "
                          f"to {_size(info.file_size)} (ratio {info.file_size // max(info.compress_size, 1):,}:1; "
                          f"limit {MAX_RATIO}:1)")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_RATIO * file_size + TOTAL_RATIO_ALLOWANCE:
        raise BadFile(f"zip bomb suspected: a file of {_size(file_size)} whose parts inflate to {_size(declared)} "
                      f"(ratio {declared // max(file_size, 1):,}:1; limit {MAX_RATIO}:1)")
    if declared > MAX_TOTAL_SIZE:
        raise BadFile(f"zip bomb suspected: the parts declare {_size(declared)} uncompressed in total "
                      f"(limit {_size(MAX_TOTAL_SIZE)})")


def _hashed(chunks: Iterator[bytes], name: str, digests: dict[str, str]) -> Iterator[bytes]:
    """The chunks as they pass; once all came out (the CRC held), their SHA-256 under `name`."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    digests[name] = digest.hexdigest()


def _inflate(f, info: zipfile.ZipInfo, total: list[int]) -> Iterator[bytes]:
    """Yield the part's bytes chunk by chunk, enforcing its declared size, the budget and CRC."""
    name = info.filename
    f.seek(info.header_offset)
    local = f.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise BadFile(f"damaged workbook: the zip header of part {_q(name)} is missing")
    name_length, extra_length = struct.unpack_from("<HH", local, 26)
    if f.read(name_length) != _raw_name(info):
        raise BadFile(f"hostile or broken workbook: part {_q(name)} has another name in its local header")
    f.seek(info.header_offset + 30 + name_length + extra_length)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
    elif info.compress_type != zipfile.ZIP_STORED:
        raise BadFile(f"unsupported workbook: part {_q(name)} uses zip compression method "
                      f"{info.compress_type}; Excel writes only deflate")
    elif info.compress_size != info.file_size:
        raise BadFile(f"hostile or damaged workbook: stored part {_q(name)} declares {info.file_size:,} "
                      f"bytes but holds {info.compress_size:,}")
    else:
        decompressor = None
    left, size, crc = info.compress_size, 0, 0
    while left > 0 and not (decompressor and decompressor.eof):
        raw = f.read(min(CHUNK, left))
        if not raw:
            raise BadFile(f"damaged workbook: the zip package is truncated inside part {_q(name)}")
        left -= len(raw)
        for out in _pump(name, decompressor, raw) if decompressor else (raw,):
            size += len(out)
            total[0] += len(out)
            if total[0] > MAX_TOTAL_SIZE:
                raise BadFile(f"zip bomb suspected: the parts inflate to more than "
                              f"{_size(MAX_TOTAL_SIZE)} in total (budget)")
            if size > info.file_size:
                raise BadFile(f"damaged or hostile workbook (zip bomb?): part {_q(name)} inflates beyond "
                              f"its declared size of {info.file_size:,} bytes")
            crc = zlib.crc32(out, crc)
            yield out
    if size != info.file_size:  # a stream without its final block is fine if all bytes came out
        problem = "compressed data is cut short" if decompressor and not decompressor.eof else "is short"
        raise BadFile(f"damaged workbook: part {_q(name)}: {problem} ({size:,} of {info.file_size:,} bytes)")
    if crc != info.CRC:
        raise BadFile(f"damaged workbook: part {_q(name)} fails its CRC check (corrupt data)")


def _pump(name: str, decompressor, data: bytes) -> Iterator[bytes]:
    while True:
        try:
            out = decompressor.decompress(data, CHUNK)
        except zlib.error as exc:
            raise BadFile(f"damaged workbook: the compressed data of part {_q(name)} is corrupt "
                          f"({one_line(exc)})") from None
        if out:
            yield out
        data = decompressor.unconsumed_tail
        if decompressor.eof or (not data and len(out) < CHUNK):
            return


def _scan_xml(name: str, chunks: Iterator[bytes], area: SheetArea | None = None) -> None:
    allowed, stream = _as_utf8(name, chunks)
    tail, first = b"", True
    for chunk in stream:
        buf = tail + chunk
        if first:
            _check_declaration(name, buf, allowed)
            first = False
        _scan_buffer(name, buf)
        if area is not None:
            area.scan(buf)
        tail = buf[-OVERLAP:]


def _as_utf8(name: str, chunks: Iterator[bytes]) -> tuple[re.Pattern, Iterable[bytes]]:
    """The encodings the part may declare, and its bytes as UTF-8 (an ASCII-compatible part
    as it is), at least `HEAD` bytes in the first chunk."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= HEAD:
            break
    if not head:
        return _ASCII_ENCODINGS, ()
    codec, allowed = _sniff(name, head)
    stream: Iterable[bytes] = itertools.chain((head,), chunks)
    if codec:
        decoder = codecs.getincrementaldecoder(codec)("replace")
        stream = (decoder.decode(chunk).encode("utf-8") for chunk in stream)
    return allowed, stream


def _sniff(name: str, head: bytes) -> tuple[str | None, re.Pattern]:
    """The codec to read the part with (None: ASCII-compatible) and the encodings it may declare."""
    if head[:4] in (b"\xff\xfe\0\0", b"\0\0\xfe\xff", b"<\0\0\0", b"\0\0\0<"):
        raise BadFile(f"unsupported workbook: XML part {_q(name)} is in UTF-32, which Excel never writes")
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16", _UTF16_ENCODINGS
    if head[:2] in (b"<\0", b"\0<"):
        return ("utf-16-le" if head[0] else "utf-16-be"), _UTF16_ENCODINGS
    body = head.removeprefix(codecs.BOM_UTF8).lstrip(b" \t\r\n")
    if body[:1] not in (b"<", b""):
        raise BadFile(f"damaged or hostile workbook: part {_q(name)} is not an XML document")
    return None, _ASCII_ENCODINGS


def _check_declaration(name: str, buf: bytes, allowed: re.Pattern) -> None:
    buf = buf.removeprefix(codecs.BOM_UTF8)
    if not buf.startswith(b"<?xml"):
        return
    end = buf.find(b"?>", 0, HEAD)
    if end < 0:
        raise BadFile(f"damaged or hostile workbook: XML part {_q(name)} has a malformed declaration")
    declared = _DECL_ENCODING.search(buf, 0, end)
    if declared and not allowed.fullmatch(declared.group(1)):
        encoding = declared.group(1)[:40].decode("ascii", "replace")
        raise BadFile(f"unsupported workbook: XML part {_q(name)} declares the encoding {encoding!r}, "
                      f"which Excel never writes")


def _scan_buffer(name: str, buf: bytes) -> None:
    pos = buf.find(b"<!")
    while pos >= 0:
        if buf[pos + 2:pos + 9].upper().startswith((b"DOCTYPE", b"ENTITY")):
            raise BadFile(f"hostile workbook: XML part {_q(name)} contains a DOCTYPE/ENTITY declaration "
                          f"(entity expansion or external entity attack); Excel never writes one")
        pos = buf.find(b"<!", pos + 2)
    lt, scanned = -1, 0
    for m in _REF.finditer(buf):
        start = m.start()
        found = buf.rfind(b"<", scanned, start)  # linear overall: each byte is searched once
        lt, scanned = (found if found >= 0 else lt), start
        if start and buf[start - 1:start] not in _WHITESPACE:
            continue  # an attribute whose name merely ends in "r" (operator="between")
        if lt >= 0:
            tag = _TAG_NAME.match(buf, lt + 1).group()
            if len(tag) < 256 and tag.rpartition(b":")[2] not in _REF_TAGS:
                continue
        token = _TOKEN.match(buf, m.start(1))
        if token.end() == len(buf) and len(buf) - start < OVERLAP:
            continue  # cut at the chunk's end: the next buffer sees it whole
        _check_reference(name, token.group(1), token.group(2))
    for m in _DIMENSION.finditer(buf):
        if m.start() and buf[m.start() - 1:m.start()] in (b"<", b":"):
            for ref in m.group(1).replace(b"$", b"").split(b":"):
                token = _TOKEN.fullmatch(ref.strip())
                if token:
                    _check_reference(name, token.group(1), token.group(2))


def _check_reference(name: str, letters: bytes, digits: bytes) -> None:
    column = 0
    for letter in letters[:4].upper():
        column = column * 26 + letter - 64
    if column > MAX_COLUMNS:
        shown = letters[:12].decode("ascii")
        raise BadFile(f"sheet beyond Excel's limits: part {_q(name)} refers to column {shown} "
                      f"(Excel's last column is XFD)")
    digits = digits.lstrip(b"0")
    if len(digits) > 7 or (digits and int(digits) > MAX_ROWS):
        shown = digits[:12].decode("ascii") + ("..." if len(digits) > 12 else "")
        raise BadFile(f"sheet beyond Excel's limits: part {_q(name)} refers to row {shown} "
                      f"(Excel has {MAX_ROWS:,} rows)")


def _q(name: str) -> str:
    """A part name fit for a one-line message: quoted, escaped, and not too long."""
    return repr(name if len(name) <= 80 else name[:80] + "...")


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


def _size(n: int) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / MiB:.1f} MiB" if n >= MiB else f"{n:,} bytes"
