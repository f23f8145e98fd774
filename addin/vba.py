"""MS-OVBA's compression (2.4.1), which every stream of a VBA project's source uses.

Reading uses oletools (`decompress_stream`). Writing is the format's algorithm: a signature
byte, then one chunk per 4096 bytes of data, each a sequence of flag bytes, every flag byte
followed by eight tokens: a literal byte or a 2-byte copy token (offset and length of an
earlier run in the same chunk, the split of its 16 bits growing with the position in the
chunk, 2.4.1.3.19.1). A chunk whose tokens would take more room than the data itself is
stored raw — which the format allows only for a full 4096-byte chunk; a shorter last chunk
that does not compress (random bytes: never VBA source nor a `dir` stream) is refused.
"""

from __future__ import annotations

import struct

from oletools.olevba import decompress_stream

CHUNK = 4096


def decompress(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(data)))


def _split(position: int) -> tuple[int, int]:
    """(bits of the offset, largest length) of a copy token `position` bytes into a chunk."""
    bits = max((position - 1).bit_length(), 4)
    return bits, (0xFFFF >> bits) + 3


def _tokens(chunk: bytes) -> bytes:
    """A chunk's data as flag bytes and tokens (greedy longest match, as the spec's algorithm)."""
    out = bytearray()
    at, seen = 0, {}  # 3-byte prefix → positions where it starts
    while at < len(chunk):
        flag_at, flags = len(out), 0
        out.append(0)
        for bit in range(8):
            if at >= len(chunk):
                break
            bits, longest = _split(at)
            best_length, best_offset = 0, 0
            for start in reversed(seen.get(chunk[at:at + 3], ())[-64:]):
                length = 0
                while length < longest and at + length < len(chunk) and chunk[start + length] == chunk[at + length]:
                    length += 1
                if length > best_length:
                    best_length, best_offset = length, at - start
            step = best_length if best_length >= 3 else 1
            for n in range(at, at + step):
                seen.setdefault(chunk[n:n + 3], []).append(n)
            if best_length >= 3:
                out += struct.pack("<H", ((best_offset - 1) << (16 - bits)) | (best_length - 3))
                flags |= 1 << bit
            else:
                out.append(chunk[at])
            at += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """A compressed container (MS-OVBA 2.4.1) holding `data`."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        tokens = _tokens(chunk)
        if len(tokens) > CHUNK and len(chunk) == CHUNK:
            out += struct.pack("<H", 0x3FFF) + chunk  # raw: size field 4095, signature 0b011, flag 0
        elif len(tokens) > CHUNK:
            raise ValueError("a last chunk that does not compress")
        else:
            out += struct.pack("<H", 0xB000 | (len(tokens) + 2 - 3)) + tokens
    return bytes(out)


def module_source(stream: bytes, offset: int) -> str:
    """A module stream's source text (after `offset` bytes of compiled cache)."""
    return decompress(stream[offset:]).decode("cp1252")
