"""VBA module sources in and out of a VBA project's streams (MS-OVBA).

Reading uses oletools (`decompress_stream`) and olefile; writing compresses a source with
the format's container: a signature byte, then chunks of 4096 source bytes. A full chunk
is stored raw (an "uncompressed" chunk); the last, shorter one as a compressed chunk of
literal tokens only — valid, if not small, and every reader of the format reads it. The
last chunk's tokens must fit a chunk (≤ 3640 bytes of source), so a source whose tail is
longer gets blank lines to complete its chunk: blank lines at the end of a VBA module
change nothing.
"""

from __future__ import annotations

import struct

from oletools.olevba import decompress_stream

CHUNK = 4096
_LITERAL_LIMIT = 3640  # 2 + n + ceil(n / 8) ≤ 4098 bytes of compressed chunk


def decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


def compress(source: bytes) -> bytes:
    """A compressed container (MS-OVBA 2.4.1) holding `source`."""
    tail = len(source) % CHUNK
    if tail > _LITERAL_LIMIT:
        source += b"\r\n" * ((CHUNK - tail) // 2) + b" " * ((CHUNK - tail) % 2)
    out = bytearray(b"\x01")
    for start in range(0, len(source), CHUNK):
        chunk = source[start:start + CHUNK]
        if len(chunk) == CHUNK:
            out += struct.pack("<H", 0x3FFF) + chunk  # raw: size field 4095, signature 0b011, flag 0
            continue
        body = bytearray()
        for at in range(0, len(chunk), 8):
            body += b"\x00" + chunk[at:at + 8]  # a flag byte of eight literal tokens
        out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


def module_source(stream: bytes, offset: int) -> str:
    """A module stream's source text (after `offset` bytes of compiled cache)."""
    return decompress(stream[offset:]).decode("cp1252")


def module_stream(stream: bytes, offset: int, source: str) -> bytes:
    """The module stream with a new source; the compiled cache before `offset` is kept —
    Office recompiles from source, since the project's `_VBA_PROJECT` marks the cache as
    not for any version (0xFFFF, as the template has it)."""
    return stream[:offset] + compress(source.encode("cp1252"))
