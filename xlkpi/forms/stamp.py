"""Stamping many workbooks out of one prototype, fast.

An .xlsx file is a zip of XML parts.  A prototype is a workbook written once with placeholder tokens
where each copy differs (a unit's code, name, digest).  Parts without a token are compressed once and
their bytes reused in every copy; parts with tokens get the values substituted (already escaped for
their context by the caller) and are compressed per copy.  The zip is assembled by hand with a fixed
timestamp, so the same inputs always give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from xlkpi.common.compression import ZipBuilder, crc32, deflate


@dataclass(frozen=True)
class _Part:
    name: str
    crc: int
    size: int
    data: bytes  # deflated, or raw when dynamic
    dynamic: bool


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
        self._timestamp = timestamp
        self._parts: list[_Part] = []
        with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
            for info in archive.infolist():
                data = archive.read(info)
                if patch and info.filename in patch:
                    data = patch[info.filename](data)
                name = info.filename
                if any(token in data for token in self.tokens):
                    self._parts.append(_Part(name, 0, len(data), data, True))
                else:
                    self._parts.append(_Part(name, crc32(data), len(data), deflate(data), False))

    @property
    def dynamic_parts(self) -> list[str]:
        return [p.name for p in self._parts if p.dynamic]

    def render(self, values: Mapping[bytes, bytes]) -> bytes:
        """A copy with every token replaced by its value (values must be escaped for their context)."""
        buffer = io.BytesIO()
        archive = ZipBuilder(buffer, self._timestamp)
        for part in self._parts:
            if part.dynamic:
                raw = part.data
                for token in self.tokens:
                    if token in raw:
                        raw = raw.replace(token, values[token])
                archive.add(part.name, raw)
            else:
                archive.add_deflated(part.name, part.crc, part.size, part.data)
        archive.finish()
        return buffer.getvalue()
