"""Stamping many workbooks out of one prototype, fast.

An .xlsx file is a zip of XML parts.  A prototype is a workbook written once with placeholder tokens
where each copy differs (a unit's code, name, digest).  Parts without a token are compressed once and
their bytes reused in every copy; parts with tokens get the values substituted (already escaped for
their context by the caller) and are compressed per copy.  The zip is assembled by hand with a fixed
timestamp, so the same inputs always give the same bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from xlkpi.common.compression import crc32, deflate


@dataclass(frozen=True)
class _Part:
    name: bytes
    crc: int
    size: int
    data: bytes  # deflated, or raw when dynamic
    dynamic: bool


def _dos_time(moment: datetime) -> tuple[int, int]:
    moment = max(moment, datetime(1980, 1, 1))
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    day = ((moment.year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, day


class Prototype:
    """A workbook with placeholder tokens, ready to be stamped."""

    def __init__(
        self,
        xlsx: bytes,
        tokens: list[bytes],
        *,
        timestamp: datetime,
        patch: Mapping[str, Callable[[bytes], bytes]] | None = None,
    ):
        self.tokens = list(tokens)
        self._time, self._date = _dos_time(timestamp)
        self._parts: list[_Part] = []
        with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
            for info in archive.infolist():
                data = archive.read(info)
                if patch and info.filename in patch:
                    data = patch[info.filename](data)
                name = info.filename.encode("utf-8")
                if any(token in data for token in self.tokens):
                    self._parts.append(_Part(name, 0, len(data), data, True))
                else:
                    self._parts.append(_Part(name, crc32(data), len(data), deflate(data), False))

    @property
    def dynamic_parts(self) -> list[str]:
        return [p.name.decode() for p in self._parts if p.dynamic]

    def render(self, values: Mapping[bytes, bytes]) -> bytes:
        """A copy with every token replaced by its value (values must be escaped for their context)."""
        out = bytearray()
        central = bytearray()
        for part in self._parts:
            if part.dynamic:
                raw = part.data
                for token in self.tokens:
                    if token in raw:
                        raw = raw.replace(token, values[token])
                crc, size, data = crc32(raw), len(raw), deflate(raw)
            else:
                crc, size, data = part.crc, part.size, part.data
            offset = len(out)
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, self._time, self._date, crc, len(data),
                               size, len(part.name), 0)
            out += part.name
            out += data
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, self._time, self._date, crc,
                                   len(data), size, len(part.name), 0, 0, 0, 0, 0, offset)
            central += part.name
        directory_offset = len(out)
        out += central
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self._parts), len(self._parts), len(central),
                           directory_offset, 0)
        return bytes(out)
