"""Writing a Compound File (MS-CFB, version 3) — the container of a VBA project
(`vbaProject.bin`). olefile reads such files but only rewrites streams in place at the
same size; a changed VBA module needs the whole file laid out anew, which is this.

Layout: header, FAT sectors, directory, mini FAT, the mini stream (streams under 4 KiB, in
64-byte mini sectors) and then the big streams, each a chain of 512-byte sectors. The
children of each storage form a red-black tree as the format requires: a balanced binary
search tree in the format's name order (shorter names first, then by upper case), with
its deepest level red.
"""

from __future__ import annotations

import math
import struct
from typing import Mapping

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FAT_SECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


class _Node:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data
        self.children: dict[str, _Node] = {}
        self.sid = 0
        self.left = self.right = self.child = NOSTREAM
        self.black = True
        self.start, self.size = END, 0


def _order(name: str) -> tuple[int, str]:
    return len(name), name.upper()


def write_cfb(streams: Mapping[str, bytes]) -> bytes:
    """A compound file holding `streams` ({"VBA/dir": bytes, "PROJECT": bytes, …})."""
    root = _Node("Root Entry", 5)
    for path, data in streams.items():
        node = root
        *folders, leaf = path.split("/")
        for folder in folders:
            node = node.children.setdefault(folder, _Node(folder, 1))
        node.children[leaf] = _Node(leaf, 2, bytes(data))
    entries: list[_Node] = []

    def number(node: _Node) -> None:
        node.sid = len(entries)
        entries.append(node)
        for child in node.children.values():
            number(child)

    number(root)
    for node in entries:
        kids = sorted(node.children.values(), key=lambda n: _order(n.name))
        if kids:
            deepest = max(0, math.ceil(math.log2(len(kids) + 1)) - 1)
            perfect = len(kids) == 2 ** (deepest + 1) - 1
            node.child = _link(kids, 0, deepest, perfect)

    # the mini stream: small streams packed in 64-byte mini sectors
    mini_fat: list[int] = []
    mini = bytearray()
    for node in entries:
        if node.kind == 2 and len(node.data) < CUTOFF:
            node.size = len(node.data)
            if node.size == 0:
                continue
            count = math.ceil(node.size / MINI)
            node.start = len(mini_fat)
            mini_fat += list(range(node.start + 1, node.start + count)) + [END]
            mini += node.data + b"\0" * (count * MINI - node.size)
    # sectors after the FAT: directory, mini FAT, mini stream, big streams
    chains: list[tuple[str, bytes]] = [("dir", b"".join(_entry(n) for n in entries) + _empty_entries(len(entries))),
                                       ("minifat", b"".join(struct.pack("<I", v) for v in mini_fat)),
                                       ("ministream", bytes(mini))]
    chains += [(str(n.sid), n.data) for n in entries if n.kind == 2 and len(n.data) >= CUTOFF]
    sizes = [math.ceil(len(data) / SECTOR) for _, data in chains]
    body = sum(sizes)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < body + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("VBA project too large for a header-only DIFAT")
    fat = [FAT_SECT] * fat_sectors
    starts = {}
    for (name, _), count in zip(chains, sizes):
        starts[name] = len(fat) if count else END
        fat += list(range(len(fat) + 1, len(fat) + count)) + ([END] if count else [])
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))
    root.start, root.size = starts["ministream"], len(mini)
    for node in entries:
        if node.kind == 2 and len(node.data) >= CUTOFF:
            node.start, node.size = starts[str(node.sid)], len(node.data)
    chains[0] = ("dir", b"".join(_entry(n) for n in entries) + _empty_entries(len(entries)))
    header = _header(fat_sectors, starts["dir"], starts["minifat"], sizes[1])
    out = bytearray(header)
    out += b"".join(struct.pack("<I", v) for v in fat)
    for (_, data), count in zip(chains, sizes):
        out += data + b"\0" * (count * SECTOR - len(data))
    return bytes(out)


def _link(nodes: list[_Node], depth: int, deepest: int, perfect: bool) -> int:
    if not nodes:
        return NOSTREAM
    middle = len(nodes) // 2
    node = nodes[middle]
    node.left = _link(nodes[:middle], depth + 1, deepest, perfect)
    node.right = _link(nodes[middle + 1:], depth + 1, deepest, perfect)
    node.black = perfect or depth < deepest  # the deepest level of an imperfect tree is red
    return node.sid


def _entry(node: _Node) -> bytes:
    name = node.name.encode("utf-16-le")
    if len(name) > 62:
        raise ValueError(f"name too long for a compound file: {node.name!r}")
    return (name.ljust(64, b"\0") + struct.pack("<HBB", len(name) + 2, node.kind, 1 if node.black else 0)
            + struct.pack("<III", node.left, node.right, node.child) + b"\0" * 16 + struct.pack("<I", 0)
            + b"\0" * 16 + struct.pack("<IQ", node.start if node.kind != 1 else 0, node.size))


def _empty_entries(count: int) -> bytes:
    missing = (-count) % (SECTOR // 128)
    return (b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
            + b"\0" * 36 + struct.pack("<IQ", 0, 0)) * missing


def _header(fat_sectors: int, first_dir: int, first_mini_fat: int, mini_fat_sectors: int) -> bytes:
    difat = [i for i in range(fat_sectors)] + [FREE] * (109 - fat_sectors)
    return (_SIGNATURE + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
            + struct.pack("<IIIIIIIII", 0, fat_sectors, first_dir, 0, CUTOFF,
                          first_mini_fat if mini_fat_sectors else END, mini_fat_sectors, END, 0)
            + b"".join(struct.pack("<I", v) for v in difat))
