"""The one zip writer for rewriting a workbook package (the package writer's runs and the
seal): untouched parts are copied as their compressed bytes, changed and new parts are
deflated (or come deflated already: the seal deflates each sheet in the job that reads it).

It writes its own local and central headers rather than drive `zipfile`'s private
attributes to copy a member raw. Only what an .xlsx needs: deflate or stored entries, no
encryption, no zip64 (the safety gate caps a workbook far below 4 GiB).
"""

from __future__ import annotations

import struct
import time
import zipfile
import zlib
from typing import BinaryIO, Iterable, NamedTuple

from billing.errors import BadFile

_LOCAL = struct.Struct("<4s5H3I2H")
_CENTRAL = struct.Struct("<4s6H3I5H2I")
_END = struct.Struct("<4s4H2IH")
_UTF8_NAME = 0x800
_LIMIT = 0xFFFFFFFF


class Deflated(NamedTuple):
    """A part's bytes compressed: CRC-32, inflated size, raw deflate stream."""

    crc: int
    size: int
    data: bytes


def deflate(data: bytes, level: int = 6) -> Deflated:
    """Raw deflate (no zlib header), as zip stores it."""
    return deflate_pieces((data,), level)


def deflate_pieces(pieces: Iterable[bytes], level: int = 6) -> Deflated:
    """The raw deflate of the pieces' bytes one after the other, each let go of once
    compressed: a big sheet is never held whole as bytes beside its text."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    crc, size, out = 0, 0, []
    for piece in pieces:
        crc, size = zlib.crc32(piece, crc), size + len(piece)
        out.append(compressor.compress(piece))
    out.append(compressor.flush())
    return Deflated(crc, size, b"".join(out))


class _Entry(NamedTuple):
    name: bytes
    flags: int
    method: int
    dostime: int
    dosdate: int
    crc: int
    compressed: int
    size: int
    offset: int


class ZipOut:
    """Entries written one after the other to `out`, the central directory on `close()`;
    `level`: the deflate level of parts given as bytes."""

    def __init__(self, out: BinaryIO, level: int = 6):
        self._out = out
        self._level = level
        self._entries: list[_Entry] = []
        self._offset = 0
        stamp = time.localtime()
        self._time = (stamp.tm_hour << 11) | (stamp.tm_min << 5) | (stamp.tm_sec // 2)
        self._date = max(stamp.tm_year - 1980, 0) << 9 | (stamp.tm_mon << 5) | stamp.tm_mday

    def add(self, name: str, part: bytes | Deflated) -> None:
        """A new or changed part: its bytes, or deflated already."""
        if not isinstance(part, Deflated):
            part = deflate(part, self._level)
        self._write(name, zipfile.ZIP_DEFLATED, part.crc, part.size, part.data, self._time, self._date)

    def copy(self, source: BinaryIO, info: zipfile.ZipInfo) -> None:
        """An untouched part of the source package: its compressed bytes as they are."""
        source.seek(info.header_offset)
        header = source.read(_LOCAL.size)
        if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise BadFile(f"damaged workbook: the zip header of part {info.filename!r} is missing")
        name_length, extra_length = struct.unpack_from("<HH", header, 26)
        source.seek(info.header_offset + _LOCAL.size + name_length + extra_length)
        data = source.read(info.compress_size)
        if len(data) != info.compress_size:
            raise BadFile(f"damaged workbook: part {info.filename!r} is cut short")
        dostime = (info.date_time[3] << 11) | (info.date_time[4] << 5) | (info.date_time[5] // 2)
        dosdate = max(info.date_time[0] - 1980, 0) << 9 | (info.date_time[1] << 5) | info.date_time[2]
        self._write(info.filename, info.compress_type, info.CRC, info.file_size, data, dostime, dosdate)

    def _write(self, name: str, method: int, crc: int, size: int, data: bytes, dostime: int, dosdate: int) -> None:
        if self._offset + len(data) > _LIMIT or size > _LIMIT or len(self._entries) >= 0xFFFF:
            raise BadFile("the workbook written would be too big for a zip without zip64")
        raw_name = name.encode("utf-8")
        flags = 0 if raw_name.isascii() else _UTF8_NAME
        version = 20
        header = _LOCAL.pack(b"PK\x03\x04", version, flags, method, dostime, dosdate, crc, len(data), size,
                             len(raw_name), 0)
        self._out.write(header + raw_name)
        self._out.write(data)
        self._entries.append(_Entry(raw_name, flags, method, dostime, dosdate, crc, len(data), size, self._offset))
        self._offset += len(header) + len(raw_name) + len(data)

    def close(self) -> None:
        """Write the central directory (the caller closes the file)."""
        start = self._offset
        for e in self._entries:
            self._out.write(_CENTRAL.pack(b"PK\x01\x02", 20, 20, e.flags, e.method, e.dostime, e.dosdate, e.crc,
                                          e.compressed, e.size, len(e.name), 0, 0, 0, 0, 0, e.offset) + e.name)
            self._offset += _CENTRAL.size + len(e.name)
        self._out.write(_END.pack(b"PK\x05\x06", 0, 0, len(self._entries), len(self._entries),
                                  self._offset - start, start, 0))

