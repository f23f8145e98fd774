"""A VBA project's streams (MS-OVBA 2.3), rewritten to hold source code only.

A module stream is a *performance cache* (compiled p-code, "MUST be ignored on read") followed
by the compressed source; the `dir` stream's MODULEOFFSET says where the source starts. A
build that changes a module's source but keeps its old cache leaves compiled code that no
longer matches the source: "VBA stomping", which `olevba -a` reports and mail filters block,
and which an Office of the cache's version could run instead of the source. So every module
here is written without a cache (MODULEOFFSET 0) and `_VBA_PROJECT` is the version-0xFFFF
stream without a cache (2.3.4.1): Office finds no compiled code and compiles from source.

Adding a standard module takes three records (2.3.4.2.3.2, 2.3.1, 2.3.3): a MODULE record in
`dir` (and PROJECTMODULES' count), a `Module=` line in the PROJECT stream and its name in
PROJECTwm, besides the module stream itself.
"""

from __future__ import annotations

import struct
from typing import Iterator, Mapping

from addin.vba import compress, decompress

#: 2.3.4.1: Reserved1 0x61CC, Version 0xFFFF (no cache for any version), Reserved2 0, Reserved3
VBA_PROJECT_WITHOUT_CACHE = bytes.fromhex("CC61FFFF000100")

_PROJECTNAME, _PROJECTVERSION, _PROJECTMODULES, _TERMINATOR = 0x0004, 0x0009, 0x000F, 0x0010
_MODULENAME, _STREAMNAME, _MODULEOFFSET = 0x0019, 0x001A, 0x0031


def records(dir_stream: bytes) -> Iterator[tuple[int, bytes]]:
    """The decompressed `dir` stream as (record id, raw bytes of the whole record). Every record
    (and every `Reserved` marker inside one, which has the same shape) is an id, a 4-byte size
    and that many bytes — except PROJECTVERSION, whose size field says 4 and which holds 6."""
    at = 0
    while at + 6 <= len(dir_stream):
        record, size = struct.unpack_from("<HI", dir_stream, at)
        if record == _PROJECTVERSION:
            size = 6
        yield record, dir_stream[at:at + 6 + size]
        at += 6 + size


def _record(record: int, data: bytes) -> bytes:
    return struct.pack("<HI", record, len(data)) + data


def module_offsets(dir_stream: bytes) -> dict[str, int]:
    """Module stream name → where its source starts (MODULEOFFSET)."""
    offsets, name = {}, None
    for record, raw in records(dir_stream):
        if record == _STREAMNAME:
            name = raw[6:].decode("cp1252")
        elif record == _MODULEOFFSET and name is not None:
            offsets[name] = struct.unpack_from("<I", raw, 6)[0]
    return offsets


def module_names(dir_stream: bytes) -> list[str]:
    return [raw[6:].decode("cp1252") for record, raw in records(dir_stream) if record == _MODULENAME]


def standard_module_record(name: str) -> bytes:
    """A MODULE record (2.3.4.2.3.2) for a standard module stored in the stream `name`."""
    ansi, wide = name.encode("cp1252"), name.encode("utf-16-le")
    return b"".join((
        _record(_MODULENAME, ansi), _record(0x0047, wide),  # MODULENAME, MODULENAMEUNICODE
        _record(_STREAMNAME, ansi), _record(0x0032, wide),  # MODULESTREAMNAME (+ its Unicode form)
        _record(0x001C, b""), _record(0x0048, b""),  # MODULEDOCSTRING: none
        _record(_MODULEOFFSET, struct.pack("<I", 0)),  # the source starts at once: no cache
        _record(0x001E, struct.pack("<I", 0)),  # MODULEHELPCONTEXT
        _record(0x002C, struct.pack("<H", 0xFFFF)),  # MODULECOOKIE: "MUST be 0xFFFF"
        _record(0x0021, b""),  # MODULETYPE: procedural (a standard module)
        _record(0x002B, b""),  # terminator of the MODULE record
    ))


def rewrite_dir(dir_stream: bytes, new_modules: tuple[str, ...] = (), name: str | None = None) -> bytes:
    """The `dir` stream with every MODULEOFFSET 0, a MODULE record for each new module and the
    project named `name` (when given)."""
    out = bytearray()
    for record, raw in records(dir_stream):
        if record == _PROJECTNAME and name:
            raw = _record(_PROJECTNAME, name.encode("cp1252"))
        elif record == _MODULEOFFSET:
            raw = _record(_MODULEOFFSET, struct.pack("<I", 0))
        elif record == _PROJECTMODULES:
            raw = _record(_PROJECTMODULES, struct.pack("<H", struct.unpack_from("<H", raw, 6)[0] + len(new_modules)))
        elif record == _TERMINATOR:
            out += b"".join(standard_module_record(name) for name in new_modules)
        out += raw
    return bytes(out)


def add_to_project_stream(project: bytes, name: str) -> bytes:
    """The PROJECT stream (2.3.1, text in the project's code page) with `Module=<name>` after the
    last module line and its place in the [Workspace] section (window positions: none)."""
    lines = project.split(b"\r\n")
    last = max(n for n, line in enumerate(lines) if line.split(b"=", 1)[0] in (b"Module", b"Class", b"Document",
                                                                             b"BaseClass", b"Package"))
    lines.insert(last + 1, b"Module=" + name.encode("cp1252"))
    if b"[Workspace]" in lines:
        at = lines.index(b"[Workspace]") + 1
        while at < len(lines) and lines[at]:
            at += 1
        lines.insert(at, name.encode("cp1252") + b"=0, 0, 0, 0, C")
    return b"\r\n".join(lines)


def add_to_name_map(project_wm: bytes, name: str) -> bytes:
    """PROJECTwm (2.3.3): pairs of a module's name in MBCS and in UTF-16, both 0-terminated,
    ended by two 0 bytes."""
    if not project_wm.endswith(b"\0\0"):
        raise ValueError("PROJECTwm stream without its terminator")
    return project_wm[:-2] + name.encode("cp1252") + b"\0" + name.encode("utf-16-le") + b"\0\0" + b"\0\0"


def rename_project_stream(project: bytes, name: str) -> bytes:
    """The PROJECT stream's `Name="…"` line (the project's name, as PROJECTNAME in `dir`)."""
    lines = [b'Name="' + name.encode("cp1252") + b'"' if line.startswith(b"Name=") else line
             for line in project.split(b"\r\n")]
    return b"\r\n".join(lines)


def source_only(streams: Mapping[str, bytes], sources: Mapping[str, str],
                new_modules: Mapping[str, str] = {}, project_name: str | None = None) -> dict[str, bytes]:
    """The project's streams with every module's source (`sources` replaces some of them) and
    no compiled code; `new_modules` ({name: source}) added as standard modules; the project
    named `project_name` (when given)."""
    streams = {path: data for path, data in streams.items() if not path.startswith("VBA/__SRP_")}
    dir_stream = decompress(streams["VBA/dir"])
    for name, offset in module_offsets(dir_stream).items():
        stream = streams[f"VBA/{name}"]
        source = sources.get(name) or decompress(stream[offset:]).decode("cp1252")
        streams[f"VBA/{name}"] = compress(source.encode("cp1252"))
    for name, source in new_modules.items():
        if f"VBA/{name}" in streams:
            raise ValueError(f"the VBA project already has a module {name}")
        streams[f"VBA/{name}"] = compress(source.encode("cp1252"))
        streams["PROJECT"] = add_to_project_stream(streams["PROJECT"], name)
        if "PROJECTwm" in streams:
            streams["PROJECTwm"] = add_to_name_map(streams["PROJECTwm"], name)
    if project_name:
        streams["PROJECT"] = rename_project_stream(streams["PROJECT"], project_name)
    streams["VBA/dir"] = compress(rewrite_dir(dir_stream, tuple(new_modules), project_name))
    streams["VBA/_VBA_PROJECT"] = VBA_PROJECT_WITHOUT_CACHE
    return streams
