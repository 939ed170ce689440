"""Reading returned workbooks: xlsx (Excel, LibreOffice, WPS), xls and ods — untrusted input.

The format is sniffed from the content, never trusted from the extension.  Cell values are read with
python-calamine (fast, and the same for all three formats).  What calamine does not expose is read
from the file's own structure: workbook-level defined names, custom document properties, which cells
hold formulas, whether there are macros.  Nothing is ever executed, no external link is followed, and
the file is only read.  Limits on sizes and cell counts stop zip bombs and runaway sheets; every
failure is a :class:`~xlkpi.problems.Problem` naming the file.
"""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Any
from xml.etree import ElementTree

from xlkpi.collect.readers.archive import _Archive, _check_bomb, _check_names, _FastZip, _member_names, open_zip
from xlkpi.collect.readers.ods import _read_ods
from xlkpi.collect.readers.source import (MAX_CELLS, MAX_COLS, MAX_FILE_BYTES, MAX_MEDIA_BYTES, MAX_ROWS,
    MEDIA_FOLDERS, ODS_MIME, OLE_MAGIC, SPREADSHEET_SUFFIXES, ErrorValue, PercentValue, SourceWorkbook)
from xlkpi.collect.readers.xls import _read_xls
from xlkpi.collect.readers.xlsx import CellSet, _read_xlsx, is_date_format
from xlkpi.common.compression import ERRORS as COMPRESSION_ERRORS
from xlkpi.problems import XlkpiError, exception_detail, problem

__all__ = ["CellSet", "ErrorValue", "MAX_CELLS", "MAX_COLS", "MAX_FILE_BYTES", "MAX_MEDIA_BYTES", "MAX_ROWS",
           "PercentValue", "SPREADSHEET_SUFFIXES", "SourceWorkbook", "is_date_format", "open_zip", "read_workbook",
           "sniff"]


def sniff(data: bytes) -> str:
    """What the bytes are: xlsx, ods, xls, encrypted, empty, pdf, zip, ole, text or unknown."""
    if not data:
        return "empty"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        head = data[:200]
        if b"mimetype" in head[:60] and ODS_MIME in head:
            return "ods"
        return "zip"  # xlsx, or another zip: decided by its parts
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data[:65536] or b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in data:
            return "encrypted"
        return "ole"
    if data.startswith(b"%PDF"):
        return "pdf"
    sample = data[:4096]
    try:
        sample.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown"


def read_workbook(data: bytes, file: str, archive: Any = None) -> SourceWorkbook:
    """Read a returned workbook from its bytes; raise XlkpiError with located problems.

    Untrusted input: whatever goes wrong (a library's exception, memory) ends as an XlkpiError naming the file."""
    try:
        return _read_workbook(data, file, archive)
    except XlkpiError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise XlkpiError(problem("file-reader-failed", file=file, detail=exception_detail(exc))) from exc


def _read_workbook(data: bytes, file: str, archive: Any = None) -> SourceWorkbook:
    if len(data) > MAX_FILE_BYTES:
        _check_size(data, file)
    kind = sniff(data)
    if kind == "empty":
        raise XlkpiError(problem("file-empty", file=file))
    if kind == "encrypted":
        raise XlkpiError(problem("file-encrypted", file=file))
    if kind in ("pdf", "text", "unknown"):
        raise XlkpiError(problem("not-a-spreadsheet", file=file, kind=_KIND_NAMES[kind]))
    if kind in ("zip", "ods"):
        return _read_zip(data, file, kind, archive)
    return _read_xls(data, file)


def _check_size(data: bytes, file: str) -> None:
    """A workbook over MAX_FILE_BYTES is read when what makes it large is pictures and embedded files (a
    screenshot pasted into the form), which are never read; otherwise refused, saying why it is large."""
    media = 0
    if data[:2] == b"PK":
        listed, parsed = open_zip(data)
        if listed is not None:
            try:
                infos = parsed.infolist() if parsed is not None else zipfile.ZipFile(io.BytesIO(data)).infolist()
            except (zipfile.BadZipFile, OSError, ValueError, EOFError):
                infos = []
            media = sum(info.compress_size for info in infos if info.filename.startswith(MEDIA_FOLDERS))
    if len(data) - media <= MAX_FILE_BYTES and len(data) <= MAX_FILE_BYTES + MAX_MEDIA_BYTES:
        return
    if media * 2 > len(data):
        raise XlkpiError(problem("file-too-large-media", file=file, size=len(data) // 1024, media=media // 1024))
    raise XlkpiError(problem("file-too-large", file=file, size=len(data) // 1024, limit=MAX_FILE_BYTES // 1024))


_KIND_NAMES = {"pdf": "PDF", "text": "văn bản thuần (text)", "unknown": "không rõ định dạng"}


#: spreadsheets in zip containers that xlkpi does not read: how to turn them into .xlsx
_OTHER_SPREADSHEETS = (
    ("xl/workbook.bin", "Excel nhị phân (.xlsb)", "Excel"),
    ("Index/Document.iwa", "Apple Numbers (.numbers)", "Numbers (Tệp › Xuất sang › Excel)"),
    ("Index.zip", "Apple Numbers (.numbers)", "Numbers (Tệp › Xuất sang › Excel)"),
)


def _read_zip(data: bytes, file: str, kind: str, parsed: Any = None) -> SourceWorkbook:
    try:
        try:
            archive: Any = parsed if parsed is not None and kind == "zip" else (
                _FastZip(data) if kind == "zip" else zipfile.ZipFile(io.BytesIO(data)))
        except (ValueError, struct.error, UnicodeDecodeError):
            archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, UnicodeDecodeError, struct.error) as exc:
        raise XlkpiError(problem("file-corrupt", file=file, detail=exception_detail(exc))) from exc
    _check_bomb(infos, file)
    listed = _member_names(archive)
    _check_names(listed, file)
    names = set(listed)
    safe = _Archive(archive, file)
    try:
        if kind == "ods" or "content.xml" in names and "mimetype" in names:
            if archive.read("mimetype").strip() != ODS_MIME:
                raise XlkpiError(problem("not-a-spreadsheet", file=file, kind="tài liệu OpenDocument khác"))
            if "META-INF/manifest.xml" in names and b"encryption-data" in safe.read("META-INF/manifest.xml"):
                raise XlkpiError(problem("file-encrypted", file=file))
            return _read_ods(safe, data, file, listed)
        if "xl/workbook.xml" not in names:
            for marker, kind_name, program in _OTHER_SPREADSHEETS:
                if marker in names:
                    raise XlkpiError(problem("unsupported-spreadsheet", file=file, kind=kind_name, program=program))
            raise XlkpiError(problem("not-a-spreadsheet", file=file, kind="tệp nén ZIP"))
        return _read_xlsx(safe, data, file, names, listed)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, *COMPRESSION_ERRORS, ElementTree.ParseError, ValueError,
            UnicodeDecodeError, struct.error) as exc:
        raise XlkpiError(problem("file-corrupt", file=file, detail=exception_detail(exc))) from exc
