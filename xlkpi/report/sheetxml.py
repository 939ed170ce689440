"""Worksheet rows written as SpreadsheetML text, streamed into the package.

XlsxWriter keeps every cell of a workbook in memory until it closes, and spends most of consolidate's
time there: a nation's detail sheet is 150,000 cells, thirty times that for a larger roster.  The big
sheets are therefore laid out by XlsxWriter (headers, formats, filters, conditional formats, print
setup) and their data rows written here, as text, straight into the zip member while it is compressed,
so that memory does not grow with the rows.  Strings are inline (``t="inlineStr"``), which Excel,
LibreOffice and openpyxl all read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from typing import BinaryIO
from xml.sax.saxutils import escape

from xlkpi.common.compression import ZipBuilder

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_LETTERS: list[str] = []


def column(index: int) -> str:
    """Zero-based column -> letters, cached: 0 -> "A"."""
    while len(_LETTERS) <= index:
        n = len(_LETTERS) + 1
        letters = ""
        while n:
            n, rest = divmod(n - 1, 26)
            letters = chr(65 + rest) + letters
        _LETTERS.append(letters)
    return _LETTERS[index]


@lru_cache(maxsize=4096)  # most texts of a large sheet repeat: levels, states, judgements, "Có"/"Không"
def _text(value: str) -> str:
    """XML text; control characters (and text that looks like an escape) as Excel's _xHHHH_ escapes."""
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: "_x005F" + m.group(0) if len(m.group(0)) > 1 else f"_x{ord(m.group(0)):04X}_",
                             value)
    return escape(value)


def string(row: int, col: int, style: int, value: str) -> str:
    if not value:
        return blank(row, col, style)
    return (f'<c r="{column(col)}{row + 1}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{_text(value)}'
            f"</t></is></c>")


def number(row: int, col: int, style: int, value: float) -> str:
    return f'<c r="{column(col)}{row + 1}" s="{style}"><v>{_number_text(value)}</v></c>'


def blank(row: int, col: int, style: int) -> str:
    return f'<c r="{column(col)}{row + 1}" s="{style}"/>'


def formula(row: int, col: int, style: int, text: str, cached: float | str | None) -> str:
    """A formula (with its leading "=") and its cached result, so a reader needs no recalculation."""
    body = f"<f>{escape(text.lstrip('='))}</f>"
    if isinstance(cached, (int, float)) and not isinstance(cached, bool):
        return f'<c r="{column(col)}{row + 1}" s="{style}">{body}<v>{_number_text(cached)}</v></c>'
    return f'<c r="{column(col)}{row + 1}" s="{style}" t="str">{body}<v>{_text(cached or "")}</v></c>'


def _number_text(value: float) -> str:
    return f"{value:.16G}"  # as XlsxWriter writes numbers


def row(index: int, cells: Iterable[str], height: float | None = None) -> str:
    """A row of cells; ``height`` (points) when its wrapped texts need more than one line (a program keeps
    a stored row's height: it does not fit the row to the text)."""
    if height is None:
        return f'<row r="{index + 1}">{"".join(cells)}</row>'
    return f'<row r="{index + 1}" ht="{height:g}" customHeight="1">{"".join(cells)}</row>'


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def repack(xlsx: bytes, out: BinaryIO, *, timestamp: datetime,
           patch: Mapping[str, Callable[[bytes], bytes]] | None = None,
           rows: Mapping[str, tuple[Callable[[], Iterator[str]], str]] | None = None) -> None:
    """Write to ``out`` the package with each ``patch`` part passed through its function and, for each
    sheet part in ``rows``, the streamed rows appended to its sheet data and its dimension set to the given
    range (those rows go to ``out`` as they come, never held whole).  Every member gets ``timestamp``, so
    the same inputs give the same bytes."""
    patch, rows = patch or {}, rows or {}
    target = ZipBuilder(out, timestamp)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in patch:
                data = patch[info.filename](data)
            if info.filename not in rows:
                target.add(info.filename, data)
                continue
            make_rows, dimension = rows[info.filename]
            data = _DIMENSION.sub(f'<dimension ref="{dimension}"/>'.encode(), data, count=1)
            if b"<sheetData/>" in data:
                head, tail = data.split(b"<sheetData/>", 1)
                head += b"<sheetData>"
                tail = b"</sheetData>" + tail
            else:
                head, tail = data.split(b"</sheetData>", 1)
                tail = b"</sheetData>" + tail
            target.add_stream(info.filename, _pieces(head, make_rows(), tail))
    target.finish()


def _pieces(head: bytes, rows: Iterator[str], tail: bytes) -> Iterator[bytes]:
    """A sheet part's bytes: its head, its rows 512 at a time, its tail."""
    yield head
    batch: list[str] = []
    for piece in rows:
        batch.append(piece)
        if len(batch) >= 512:
            yield "".join(batch).encode("utf-8")
            batch.clear()
    yield "".join(batch).encode("utf-8")
    yield tail
