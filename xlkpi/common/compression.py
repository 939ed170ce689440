"""Deflate, inflate and CRC-32 for the parts of a workbook: zlib-ng where it is installed, else zlib.

zlib-ng (python-zlib-ng, a drop-in replacement of the standard module) inflates a form's parts twice as
fast, deflates them four times as fast and checks their CRC-32 ten times as fast; its streams are ordinary
deflate streams that every program reads.  It is a dependency wherever it publishes wheels (64-bit Windows,
macOS, Linux); elsewhere the standard zlib does the same work, more slowly."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import BinaryIO

try:
    from zlib_ng import zlib_ng as _zlib
except ImportError:  # no wheel for this system: the standard module
    _zlib = zlib  # type: ignore[assignment]

#: what a damaged stream raises, from either module
ERRORS: tuple[type[Exception], ...] = (zlib.error, _zlib.error)

crc32 = _zlib.crc32


def inflater() -> "zlib._Decompress":
    """A decompressor for a raw deflate stream (as zip members hold them)."""
    return _zlib.decompressobj(-15)


def _deflater() -> "zlib._Compress":
    """A compressor to a raw deflate stream, at the level zip programs use by default."""
    return _zlib.compressobj(6, _zlib.DEFLATED, -15)


def deflate(data: bytes) -> bytes:
    """``data`` as a raw deflate stream (a zip member's content)."""
    compressor = _deflater()
    return compressor.compress(data) + compressor.flush()


def dos_time(moment: datetime) -> tuple[int, int]:
    """A zip member's (time, date) fields; zip has no time before 1980."""
    moment = max(moment, datetime(1980, 1, 1))
    return ((moment.hour << 11) | (moment.minute << 5) | (moment.second // 2),
            ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day)


class ZipBuilder:
    """A zip written into an empty binary file (an open file, or io.BytesIO for one in memory), member
    after member, each deflated (by zlib-ng where installed), all with one timestamp, so that the same
    members give the same bytes.  A streamed member is deflated straight into the file, so neither it nor
    the archive is ever held whole.  No ZIP64: a member or an archive of 4 GB or more raises ValueError (a
    workbook xlkpi writes is far smaller)."""

    _LOCAL = struct.Struct("<IHHHHHIIIHH")
    _CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")

    def __init__(self, out: BinaryIO, timestamp: datetime):
        self._out = out
        self._size = 0  # what is written so far: the offset of what comes next
        self._time, self._date = dos_time(timestamp)
        self._central = bytearray()
        self._count = 0

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._size += len(data)

    def _begin(self, name: str, crc: int, size: int, compressed: int) -> tuple[bytes, int, int]:
        """The member's local header, written: (its encoded name, its flags, the header's offset)."""
        encoded, offset = name.encode("utf-8"), self._size
        flags = 0 if encoded.isascii() else 0x800  # bit 11: the name is UTF-8
        self._write(self._LOCAL.pack(0x04034B50, 20, flags, 8, self._time, self._date, crc, compressed, size,
                                     len(encoded), 0) + encoded)
        return encoded, flags, offset

    def _end(self, name: str, encoded: bytes, flags: int, offset: int, crc: int, size: int, compressed: int) -> None:
        if max(size, compressed, self._size) >= 0xFFFFFFFF:
            raise ValueError(f"{name}: 4 GB or more, beyond a zip without ZIP64")
        self._central += self._CENTRAL.pack(0x02014B50, 20, 20, flags, 8, self._time, self._date, crc, compressed,
                                            size, len(encoded), 0, 0, 0, 0, 0, offset)
        self._central += encoded
        self._count += 1

    def add_deflated(self, name: str, crc: int, size: int, deflated: bytes) -> None:
        """A member already deflated: its name, the CRC-32 and size of its content, the deflated bytes."""
        encoded, flags, offset = self._begin(name, crc, size, len(deflated))
        self._write(deflated)
        self._end(name, encoded, flags, offset, crc, size, len(deflated))

    def add(self, name: str, data: bytes) -> None:
        self.add_deflated(name, crc32(data), len(data), deflate(data))

    def add_stream(self, name: str, pieces: Iterable[bytes]) -> None:
        """A member whose content comes in pieces, deflated into the file as they come (the content is
        never held whole); its header gets the CRC-32 and sizes once the last piece is in."""
        encoded, flags, offset = self._begin(name, 0, 0, 0)
        start = self._size
        compressor = _deflater()
        crc = size = 0
        for piece in pieces:
            crc, size = crc32(piece, crc), size + len(piece)
            self._write(compressor.compress(piece))
        self._write(compressor.flush())
        compressed = self._size - start
        self._end(name, encoded, flags, offset, crc, size, compressed)
        self._out.seek(offset + 14)
        self._out.write(struct.pack("<III", crc, compressed, size))
        self._out.seek(self._size)

    def finish(self) -> None:
        """Write the central directory: the archive is complete (the file stays open)."""
        directory_offset = self._size
        self._write(self._central)
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, self._count, self._count, len(self._central),
                                directory_offset, 0))
        self._central = bytearray()

