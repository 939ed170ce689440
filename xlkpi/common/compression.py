"""Deflate, inflate and CRC-32 for the parts of a workbook: zlib-ng where it is installed, else zlib.

zlib-ng (python-zlib-ng, a drop-in replacement of the standard module) inflates a form's parts twice as
fast, deflates them four times as fast and checks their CRC-32 ten times as fast; its streams are ordinary
deflate streams that every program reads.  It is a dependency wherever it publishes wheels (64-bit Windows,
macOS, Linux); elsewhere the standard zlib does the same work, more slowly."""

from __future__ import annotations

import zlib

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


def deflate(data: bytes, level: int = 6) -> bytes:
    """``data`` as a raw deflate stream (a zip member's content)."""
    compressor = _zlib.compressobj(level, _zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()
