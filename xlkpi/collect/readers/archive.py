"""Zip containers (xlsx, ods), read safely: a fast central-directory reader for the usual zip, :mod:`zipfile`
for the rest, and the checks against bombs, unsafe names and XML declarations."""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Any

from xlkpi.collect.readers.source import MAX_RATIO, MAX_UNZIPPED_BYTES, MAX_ZIP_ENTRIES
from xlkpi.common.compression import crc32, inflater
from xlkpi.problems import XlkpiError, problem


class _ZipEntry:
    __slots__ = ("filename", "file_size", "compress_size", "method", "offset", "flags")

    def __init__(self, filename: str, file_size: int, compress_size: int, method: int, offset: int, flags: int):
        self.filename, self.file_size, self.compress_size = filename, file_size, compress_size
        self.method, self.offset, self.flags = method, offset, flags


#: a central directory entry up to its name: signature, four version and flag fields, time, date, CRC, sizes,
#: the lengths of name, extra field and comment, disk, attributes, the local header's offset
_CENTRAL_ENTRY = struct.Struct("<4sHHHHHHIIIHHHHHII")


class _FastZip:
    """Read-only access to a small, ordinary zip (stored or deflated entries, no ZIP64, no encryption):
    the central directory parsed with struct, each part one zlib call bounded by its declared size.
    Anything else raises ValueError and the caller uses :mod:`zipfile`."""

    def __init__(self, data: bytes):
        end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
        if end < 0:
            raise ValueError("no end of central directory")
        count, size, start = struct.unpack_from("<HII", data, end + 10)
        if start == 0xFFFFFFFF or start + size > end:
            raise ValueError("zip64 or inconsistent directory")
        self._data = data
        self._entries: dict[str, _ZipEntry] = {}
        self.names: list[str] = []  # every member name as listed, duplicates included
        position = start
        for _ in range(count):
            (signature, _, _, flags, method, _, _, _, compress_size, file_size, name_length, extra_length,
             comment_length, _, _, _, offset) = _CENTRAL_ENTRY.unpack_from(data, position)
            if signature != b"PK\x01\x02":
                raise ValueError("bad central directory")
            if flags & 1 or method not in (0, 8) or 0xFFFFFFFF in (compress_size, file_size, offset):
                raise ValueError("encrypted, zip64 or unusual entry")
            raw_name = data[position + 46: position + 46 + name_length]
            name = raw_name.decode("utf-8" if flags & 0x800 or raw_name.isascii() else "cp437")
            self._entries.setdefault(name, _ZipEntry(name, file_size, compress_size, method, offset, flags))
            self.names.append(name)
            position += 46 + name_length + extra_length + comment_length

    def infolist(self) -> list[_ZipEntry]:
        return list(self._entries.values())

    def namelist(self) -> list[str]:
        return list(self._entries)

    def raw(self, name: str) -> bytes:
        """A member's bytes as stored (compressed): a cheap cache key for parts every form shares."""
        entry = self._entries[name]
        name_length, extra_length = struct.unpack_from("<HH", self._data, entry.offset + 26)
        begin = entry.offset + 30 + name_length + extra_length
        return self._data[begin: begin + entry.compress_size]

    def read(self, name: str) -> bytes:
        entry = self._entries[name]
        data = self._data
        if data[entry.offset: entry.offset + 4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {name}")
        name_length, extra_length = struct.unpack_from("<HH", data, entry.offset + 26)
        begin = entry.offset + 30 + name_length + extra_length
        raw = data[begin: begin + entry.compress_size]
        if entry.method == 0:
            content = raw
        else:
            content = inflater().decompress(raw, entry.file_size + 1)  # never more than it declared
        if len(content) != entry.file_size or (crc32(content) != struct.unpack_from("<I", data, entry.offset + 14)[0]
                                               and not entry.flags & 0x08):
            raise zipfile.BadZipFile(f"{name}: size or checksum does not match")
        return content


class _Archive:
    """The parts of a zip, read safely: every XML part is refused when it declares a DOCTYPE or entities
    (no spreadsheet program writes them; they are how XML bombs and external entities get in)."""

    def __init__(self, archive: Any, file: str):
        self._archive, self.file = archive, file
        self.raw = getattr(archive, "raw", None)

    def read(self, name: str) -> bytes:
        content = self._archive.read(name)
        # "!" first: one memchr over the part, where a search for "<!" stops at every tag (30 µs on a form)
        if b"!" in content and name.endswith((".xml", ".rels")) and (b"<!DOCTYPE" in content or b"<!ENTITY" in content):
            raise XlkpiError(problem("xml-declarations", file=self.file, part=name))
        return content

    def check_all(self, names: list[str]) -> None:
        """Check every XML part (before a general library, which reads all of them, opens the file)."""
        for name in names:
            if name.endswith((".xml", ".rels")):
                self.read(name)


def open_zip(data: bytes) -> tuple[list[str] | None, Any]:
    """The names a zip's central directory lists, read cheaply, and the parsed archive to hand on to
    :func:`read_workbook` (None when only :mod:`zipfile` could list it); no names when it is no zip."""
    try:
        archive = _FastZip(data)
        return archive.names, archive
    except (ValueError, struct.error, UnicodeDecodeError):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as listing:
                return listing.namelist(), None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, UnicodeDecodeError):
            return None, None


def _member_names(archive: Any) -> list[str]:
    return archive.names if isinstance(archive, _FastZip) else [info.filename for info in archive.infolist()]


def _check_names(names: list[str], file: str) -> None:
    joined = "\n".join(names)
    if (len({name.lower() for name in names}) == len(names) and ".." not in joined and ":" not in joined
            and "\\" not in joined and "\x00" not in joined and not any(name[:1] == "/" for name in names)):
        return  # the usual case, decided without looking at each name
    seen: set[str] = set()
    for name in names:
        folded = name.replace("\\", "/").lower()
        if folded in seen:
            raise XlkpiError(problem("zip-duplicate-member", file=file, part=name))
        seen.add(folded)
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":") or "\x00" in name:
            raise XlkpiError(problem("zip-unsafe-name", file=file, part=name[:120]))


def _check_bomb(infos: list[zipfile.ZipInfo], file: str) -> None:
    if len(infos) > MAX_ZIP_ENTRIES:
        raise XlkpiError(problem("file-too-complex", file=file, detail=f"{len(infos)} phần trong tệp nén"))
    total = sum(info.file_size for info in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise XlkpiError(problem("file-too-complex", file=file, detail=f"giải nén ra {total // 1_048_576} MB"))
    for info in infos:
        if info.file_size > 1_048_576 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise XlkpiError(problem("file-too-complex", file=file,
                                     detail=f"phần {info.filename} nén {info.file_size // max(1, info.compress_size)} lần"))
