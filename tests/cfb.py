"""A small writer of compound files (MS-CFB, version 3: the container of .msg, .xls and .doc), for the tests
to make Outlook messages with attachments. Streams under 4,096 bytes go to the mini stream, as the format
requires; the directory is one sorted chain of black siblings per storage (a valid red-black tree)."""

from __future__ import annotations

import struct

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FAT_SECTOR, NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


class _Entry:
    def __init__(self, name: str, kind: int, data: bytes = b""):
        self.name, self.kind, self.data = name, kind, data
        self.children: list[_Entry] = []
        self.index = 0
        self.start, self.size = END, 0
        self.left = self.right = self.child = NONE


def _key(entry: _Entry) -> tuple[int, str]:
    return len(entry.name), entry.name.upper()


def build(tree: dict) -> bytes:
    """A compound file from a tree: {name: bytes (a stream) | dict (a storage)}."""
    root = _Entry("Root Entry", 5)
    entries = [root]

    def add(parent: _Entry, items: dict) -> None:
        for name, value in items.items():
            entry = _Entry(name, 1 if isinstance(value, dict) else 2, b"" if isinstance(value, dict) else value)
            entry.index = len(entries)
            entries.append(entry)
            parent.children.append(entry)
            if isinstance(value, dict):
                add(entry, value)

    add(root, tree)
    for entry in entries:  # children as one chain of right siblings, in the format's order
        chain = sorted(entry.children, key=_key)
        if chain:
            entry.child = chain[0].index
            for before, after in zip(chain, chain[1:]):
                before.right = after.index

    # the mini stream and its FAT
    mini_stream, mini_fat = bytearray(), []
    for entry in entries:
        if entry.kind == 2 and len(entry.data) < CUTOFF:
            entry.size = len(entry.data)
            if not entry.data:
                continue
            count = -(-len(entry.data) // MINI)
            entry.start = len(mini_fat)
            mini_fat.extend(range(entry.start + 1, entry.start + count))
            mini_fat.append(END)
            mini_stream += entry.data + b"\0" * (count * MINI - len(entry.data))

    def sectors(size: int) -> int:
        return -(-size // SECTOR)

    big = [e for e in entries if e.kind == 2 and len(e.data) >= CUTOFF]
    runs = [("dir", sectors(len(entries) * 128)), ("minifat", sectors(len(mini_fat) * 4)),
            ("ministream", sectors(len(mini_stream)))] + [(e, sectors(len(e.data))) for e in big]
    body = sum(count for _, count in runs)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + body:
        fat_sectors += 1
    assert fat_sectors <= 109
    fat = [FAT_SECTOR] * fat_sectors
    starts: dict = {}
    for owner, count in runs:
        starts[owner if isinstance(owner, str) else id(owner)] = len(fat) if count else END
        fat.extend(range(len(fat) + 1, len(fat) + count))
        if count:
            fat.append(END)
    fat.extend([FREE] * (fat_sectors * (SECTOR // 4) - len(fat)))
    root.start, root.size = starts["ministream"], len(mini_stream)
    for entry in big:
        entry.start, entry.size = starts[id(entry)], len(entry.data)

    header = bytearray(SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, fat_sectors, starts["dir"], 0, CUTOFF,
                     starts["minifat"] if mini_fat else END, sectors(len(mini_fat) * 4), END, 0)
    difat = list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)

    directory = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-16-le") + b"\0\0"
        record = bytearray(128)
        record[0:len(name)] = name
        struct.pack_into("<HBBIII", record, 64, len(name), entry.kind, 1, entry.left, entry.right, entry.child)
        struct.pack_into("<IQ", record, 116, entry.start, entry.size)
        directory += record

    def padded(data: bytes, count: int) -> bytes:
        return bytes(data) + b"\0" * (count * SECTOR - len(data))

    out = bytearray(header)
    out += b"".join(struct.pack("<I", value) for value in fat)
    for owner, count in runs:
        if owner == "dir":
            out += padded(directory, count)
        elif owner == "minifat":
            out += padded(b"".join(struct.pack("<I", v) for v in mini_fat), count)
        elif owner == "ministream":
            out += padded(mini_stream, count)
        else:
            out += padded(owner.data, count)
    return bytes(out)


def outlook_message(sender: str, subject: str, attachments: list[tuple[str, bytes]]) -> bytes:
    """An Outlook .msg (MS-OXMSG) with its sender, subject and attached files."""
    tree: dict = {"__substg1.0_0C1F001F": sender.encode("utf-16-le"),
                  "__substg1.0_0037001F": subject.encode("utf-16-le"),
                  "__properties_version1.0": b"\0" * 32}
    for n, (name, data) in enumerate(attachments):
        tree[f"__attach_version1.0_#{n:08X}"] = {"__substg1.0_3707001F": name.encode("utf-16-le"),
                                                 "__substg1.0_37010102": data,
                                                 "__properties_version1.0": b"\0" * 8}
    return build(tree)


def tnef(attachments: list[tuple[str, bytes]]) -> bytes:
    """A winmail.dat (TNEF) holding ``attachments``: per file, attAttachRendData, attAttachTitle and
    attAttachData at the attachment level."""

    def attribute(level: int, kind: int, name: int, data: bytes) -> bytes:
        return (struct.pack("<BI I", level, (kind << 16) | name, len(data)) + data +
                struct.pack("<H", sum(data) & 0xFFFF))

    out = bytearray(b"\x78\x9f\x3e\x22" + struct.pack("<H", 1))
    out += attribute(1, 0x0009, 0x9006, struct.pack("<I", 0x0001))  # attTnefVersion
    for name, data in attachments:
        out += attribute(2, 0x0002, 0x9002, b"\0" * 14)  # attAttachRendData: a new attachment
        out += attribute(2, 0x0001, 0x8010, name.encode("cp1252", "replace") + b"\0")  # attAttachTitle
        out += attribute(2, 0x0006, 0x800F, data)  # attAttachData
    return bytes(out)
