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
import math
import re
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from html import unescape
from typing import Any
from xml.etree import ElementTree

import python_calamine

from xlkpi.problems import XlkpiError, exception_detail, problem
from xlkpi.common.compression import ERRORS as COMPRESSION_ERRORS, crc32, inflater
from xlkpi.common.text import column_letter

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_RATIO = 200  # uncompressed / compressed, for parts larger than 1 MB
MAX_CELLS = 200_000  # per sheet read
#: a cell with content beyond these, on a sheet the collector reads, is the file's problem (forms are far smaller)
MAX_ROWS, MAX_COLS = 5000, 200

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".xltx", ".xlt", ".ots"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


class ErrorValue(str):
    """A cell holding an error value (``#DIV/0!``, ``#N/A``), not text that happens to read the same."""


@dataclass
class SourceWorkbook:
    """A returned workbook, read: what the collector needs, nothing executed."""

    file: str
    format: str  # "xlsx", "ods" or "xls"
    sheets: dict[str, str]  # name -> "visible" | "hidden" | "veryhidden"
    defined_names: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    #: sheet name -> cells (row, col) holding a formula; for xlsx filled in on demand by formulas_in()
    formula_cells: dict[str, set[tuple[int, int]]] = field(default_factory=dict)
    has_macros: bool = False
    saved_at: datetime | None = None
    _book: Any = None
    _rows: dict[str, list[list[Any]]] = field(default_factory=dict)
    #: xlsx: sheet name -> a function reading (rows, formula cells) straight from the sheet's XML, or None
    #: when the XML holds something the direct reader does not handle (then calamine reads the sheet)
    _sheet_readers: dict[str, Any] = field(default_factory=dict)
    #: xlsx: sheet name -> a function reading chosen cells (a CellSet) straight from the sheet's XML: (values,
    #: formula cells), or None when the sheet is not one it takes
    _cell_readers: dict[str, Any] = field(default_factory=dict)
    _open_book: Any = None  # opens calamine lazily when the direct reader cannot be used

    #: sheet name -> (rows, columns, farthest cell) of the cells with content, where known before calamine reads
    #: the sheet (calamine allocates the whole range at once: a lone cell at XFD1048576 would ask for 512 GB)
    _extents: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    _extent_of: Any = None  # xlsx: sheet name -> its extent, computed on demand

    def formulas_in(self, sheet: str) -> set[tuple[int, int]]:
        """The cells of ``sheet`` that hold a formula (a unit may type one into an input cell)."""
        if sheet not in self.formula_cells and sheet in self._sheet_readers:
            self.rows(sheet)
        return self.formula_cells.get(sheet, set())

    def rows(self, sheet: str, columns: frozenset[int] | None = None, first_row: int = 0) -> list[list[Any]]:
        """The sheet's values as rows of Python values (float, str, bool, datetime; "" when empty).

        ``columns`` and ``first_row``, when given on the first read of a sheet, let the direct xlsx reader
        skip the other cells (they read as ""); formula cells are then known for those cells only.
        Whatever goes wrong while reading the sheet raises XlkpiError naming the file and sheet."""
        if sheet not in self._rows:
            self._guarded(sheet, lambda: self._read_sheet(sheet, columns, first_row))
        return self._rows[sheet]

    def cells(self, sheet: str, wanted: "CellSet") -> tuple[dict[tuple[int, int], Any], set[tuple[int, int]]]:
        """The values of the ``wanted`` cells of ``sheet`` that hold something (an absent cell is empty), and
        the wanted cells that hold a formula.

        The direct xlsx reader looks up just these cells in the sheet's XML; a sheet it does not take
        (an unusual shape, content beyond the form's bounds) and the other formats are read whole by
        :meth:`rows`, with the same values and the same located problems."""
        reader = self._cell_readers.get(sheet)
        if reader is not None and sheet not in self._rows:
            found = self._guarded(sheet, lambda: reader(wanted))
            if found is not None:
                return found
        rows = self.rows(sheet, wanted.columns, wanted.first_row)
        values = {}
        for row, col in wanted.cells:
            if row < len(rows) and col < len(rows[row]):
                value = rows[row][col]
                if value != "" and value is not None:
                    values[(row, col)] = value
        return values, self.formulas_in(sheet)

    def _guarded(self, sheet: str, read: Any) -> Any:
        """``read()``, with whatever goes wrong while reading the sheet raised as XlkpiError naming the file
        and sheet."""
        try:
            return read()
        except XlkpiError:
            raise
        except (zipfile.BadZipFile, *COMPRESSION_ERRORS, KeyError, ValueError, IndexError, OSError, EOFError,
                ElementTree.ParseError, UnicodeDecodeError, OverflowError) as exc:
            raise XlkpiError(problem("file-corrupt", file=self.file, sheet=sheet,
                                     detail=exception_detail(exc))) from exc
        except Exception as exc:  # noqa: BLE001 — untrusted input: whatever happens is this file's problem
            raise XlkpiError(problem("file-reader-failed", file=self.file, sheet=sheet,
                                     detail=exception_detail(exc))) from exc

    def _read_sheet(self, sheet: str, columns: frozenset[int] | None, first_row: int) -> None:
        if sheet in self._sheet_readers:
            parsed = self._sheet_readers[sheet](columns, first_row)
            if parsed is not None:
                self._rows[sheet], self.formula_cells[sheet] = parsed
                return
        if sheet not in self._extents and self._extent_of is not None:
            self._extents[sheet] = self._extent_of(sheet)
        if sheet in self._extents:
            height, width, farthest = self._extents[sheet]
            if height > MAX_ROWS or width > MAX_COLS:
                raise XlkpiError(problem("cell-outside-form", file=self.file, sheet=sheet, cell=farthest,
                                         rows=MAX_ROWS, columns=column_letter(MAX_COLS - 1)))
        if self._book is None and self._open_book is not None:
            self._book = self._open_book()
        try:
            data = self._book.get_sheet_by_name(sheet)
            if data.total_height * data.total_width > MAX_CELLS:
                raise XlkpiError(problem("too-many-cells", file=self.file, sheet=sheet,
                                         count=data.total_height * data.total_width, limit=MAX_CELLS))
            self._rows[sheet] = data.to_python(skip_empty_area=False)
        except python_calamine.CalamineError as exc:
            raise XlkpiError(problem("file-corrupt", file=self.file, sheet=sheet, detail=exception_detail(exc))) from exc

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None
        self._sheet_readers.clear()
        self._cell_readers.clear()


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
        raise XlkpiError(problem("file-too-large", file=file, size=len(data) // 1024, limit=MAX_FILE_BYTES // 1024))
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


_KIND_NAMES = {"pdf": "PDF", "text": "văn bản thuần (text)", "unknown": "không rõ định dạng"}


def _open_calamine(data: bytes, file: str) -> Any:
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise XlkpiError(problem("file-encrypted", file=file)) from exc
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        raise XlkpiError(problem("file-corrupt", file=file, detail=str(exc)[:200])) from exc


def _visibility(book: Any) -> dict[str, str]:
    found = {}
    for meta in book.sheets_metadata:
        found[meta.name] = str(meta.visible).rsplit(".", 1)[-1].lower()
    return found


# -- zip: xlsx and ods ---------------------------------------------------------------------------------


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


_DEFINED_NAME = re.compile(rb'<(?:\w+:)?definedName\b([^>]*)>(.*?)</(?:\w+:)?definedName>', re.S)
_ATTR_NAME = re.compile(rb'\bname="([^"]*)"')
_PROPERTY = re.compile(rb'<(?:\w+:)?property\b[^>]*\bname="([^"]*)"[^>]*>\s*<vt:(\w+)>(.*?)</vt:\2>', re.S)
_FORMULA = re.compile(rb'<(?:\w+:)?f[\s>/]')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?/?>')
_REL = re.compile(rb'<Relationship\b[^>]*>')
_R_ID = re.compile(rb'\br:id="([^"]*)"')
_ANY_ID = re.compile(rb'\b\w+:id="([^"]*)"')
_REL_ID = re.compile(rb'\bId="([^"]*)"')
_REL_TARGET = re.compile(rb'\bTarget="([^"]*)"')
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>")


_KEPT: dict[tuple[Any, bytes], Any] = {}


def _kept(how: Any, content: bytes, make: Any) -> Any:
    """``make()``, kept by ``how`` (the function that reads it) and ``content`` (the bytes it is made from):
    what every form of a campaign shares is worked out once, not once per file.  Callers must not change
    what is returned."""
    key = (how, content)
    found = _KEPT.get(key)
    if found is None:
        found = make()
        if len(_KEPT) > 256:
            _KEPT.clear()
        _KEPT[key] = found
    return found


def _parsed(archive: _Archive, part: str, parse: Any) -> Any:
    """``parse`` of a part's content, kept by the part's stored bytes (styles, relationships)."""
    if not archive.raw:
        return parse(archive.read(part))
    return _kept(parse, archive.raw(part), lambda: parse(archive.read(part)))


def _relationships(xml: bytes) -> dict[str, str]:
    """A relationships part: id -> target."""
    found = {}
    for rel in _REL.findall(xml):
        rel_id = _REL_ID.search(rel)
        target = _REL_TARGET.search(rel)
        if rel_id and target:
            found[rel_id.group(1)] = target.group(1).decode("utf-8")
    return found


def _column_letters(index: int) -> bytes:
    return column_letter(index).encode("ascii")


def _column_index(letters: bytes) -> int:
    """b"A" -> 0, b"AB" -> 27."""
    index = 0
    for char in letters:
        index = index * 26 + (char - 64)
    return index - 1


def _string_constant(formula: str) -> str:
    """'"03388"' or '="03388"' -> '03388' (the defined names xlkpi writes are string constants)."""
    text = formula.strip()
    if text.startswith("of:"):
        text = text[3:]
    text = text.lstrip("=")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text


def _read_xlsx(archive: _Archive, data: bytes, file: str, names: set[str], listed: list[str]) -> SourceWorkbook:
    workbook_xml = archive.read("xl/workbook.xml")
    visibility, sheet_ids = _sheet_list(workbook_xml)
    source = SourceWorkbook(file, "xlsx", dict(visibility))

    def open_book() -> Any:
        archive.check_all(listed)  # calamine reads parts the direct reader never looks at
        return _open_calamine(data, file)

    source._open_book = open_book
    if not source.sheets:  # no <sheet> element the direct reader understands: let calamine decide
        source._book = source._open_book()
        source.sheets = _visibility(source._book)
    source.has_macros = "vbaproject.bin\n" in "\n".join(listed).lower() + "\n"  # a name that ends so
    for attrs, body in _DEFINED_NAME.findall(workbook_xml):
        found = _ATTR_NAME.search(attrs)
        if found:
            source.defined_names[_unescape(found.group(1))] = _string_constant(_unescape(body))
    if "docProps/custom.xml" in names:
        for name, _, value in _PROPERTY.findall(archive.read("docProps/custom.xml")):
            source.properties[_unescape(name)] = _unescape(value)
    if "docProps/core.xml" in names:
        modified = _MODIFIED.search(archive.read("docProps/core.xml"))
        if modified:
            source.saved_at = _parse_time(modified.group(1).decode("ascii", "replace"))
    # which sheet part is which sheet, to find the cells that hold formulas
    rels = _parsed(archive, "xl/_rels/workbook.xml.rels", _relationships) if "xl/_rels/workbook.xml.rels" in names else {}
    strings = _SharedStrings(archive, names)
    dates = _DateStyles(archive, names, b'date1904="1"' in workbook_xml or b"date1904=\"true\"" in workbook_xml)
    parts: dict[str, str] = {}
    for sheet, rel in sheet_ids:
        if rel not in rels:
            continue
        target = rels[rel]
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if part in names:
            parts[sheet] = part

            source._sheet_readers[sheet] = _located(
                lambda columns, first_row, part=part: _xlsx_sheet(archive.read(part), strings, columns, first_row, dates),
                file, sheet)
            source._cell_readers[sheet] = _located(
                lambda wanted, part=part: _xlsx_cells(archive.read(part), strings, wanted, dates), file, sheet)
    source._extent_of = lambda sheet: _xlsx_extent(archive.read(parts[sheet])) if sheet in parts else (0, 0, "")
    return source


def _located(read: Any, file: str, sheet: str) -> Any:
    """``read`` with a cell it cannot take (_CellError) raised as the file's problem at that cell."""

    def located(*args: Any) -> Any:
        try:
            return read(*args)
        except _CellError as exc:
            raise XlkpiError(problem(exc.code, file=file, sheet=sheet, cell=exc.cell, detail=exc.detail,
                                     rows=MAX_ROWS, columns=column_letter(MAX_COLS - 1))) from None

    return located


class _CellError(Exception):
    """A cell the direct reader cannot take: its code becomes a problem located at that cell."""

    def __init__(self, code: str, cell: str, detail: str = ""):
        super().__init__(code, cell, detail)
        self.code, self.cell, self.detail = code, cell, detail


_ATTR_STYLE = re.compile(rb'(?:^|\s)s="([^"]*)"')
_ANY_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"[^>]*?(?<!/)>')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="(?:[A-Z]+\d+:)?([A-Z]{1,3})(\d{1,7})"')


def _xlsx_extent(xml: bytes) -> tuple[int, int, str]:
    """(rows, columns, farthest cell) of a sheet's cells with content, and of its declared dimension."""
    height = width = 0
    farthest = ""
    matches = [(m.group(1), m.group(2)) for m in _ANY_CELL_REF.finditer(xml)]
    dimension = _DIMENSION.search(xml)
    if dimension:
        matches.append((dimension.group(1), dimension.group(2)))
    for letters, number in matches:
        row, col = int(number), _column_index(letters) + 1
        if row > height or col > width:
            if row > MAX_ROWS or col > MAX_COLS:
                farthest = (letters + number).decode("ascii")
            height, width = max(height, row), max(col, width)
    return height, width, farthest


#: number formats Excel has built in that show a date or a time
_BUILTIN_DATE_FORMATS = frozenset({*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)})
_NUM_FMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?\bnumFmtId="(\d+)"[^>]*?\bformatCode="([^"]*)"')
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)")
_XF_FORMAT = re.compile(rb'\bnumFmtId="(\d+)"')


def is_date_format(code: str) -> bool:
    """Whether a number format shows a date or time: d, m, y, h or s outside quotes, escapes and [colours]."""
    bare = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    bare = re.sub(r"\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]", "", bare, flags=re.I)
    return bool(re.search(r"[dmyhs]", bare.split(";")[0], re.I)) and "General" not in bare


class _DateStyles:
    """The cell styles of a workbook: which exist (a cell pointing past them is damaged) and which show dates
    (typed into a number input, a date is no number); read once per distinct styles part."""

    def __init__(self, archive: _Archive, names: set[str], date1904: bool):
        self._archive, self._present = archive, "xl/styles.xml" in names
        self.epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
        self._keys: tuple[frozenset[bytes] | None, frozenset[bytes]] | None = None

    @property
    def keys(self) -> tuple[frozenset[bytes] | None, frozenset[bytes]]:
        """(every style index a cell may carry, those that show dates), as the bytes of the XML attribute —
        compared per cell without parsing a number; None: no styles part, any index goes (Excel repairs it)."""
        if self._keys is None:
            self._keys = (None, frozenset())
            if self._present:
                self._keys = _parsed(self._archive, "xl/styles.xml", _style_keys)
        return self._keys

    def as_date(self, serial: float) -> datetime | float:
        if 0 <= serial < 2_958_466:  # up to 9999-12-31
            return self.epoch + timedelta(days=serial)
        return serial


def _style_keys(xml: bytes) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """(the indexes of the cell styles, those that show dates), as attribute bytes."""
    custom = {int(i): _unescape(code) for i, code in _NUM_FMT.findall(xml)}
    block = _CELL_XFS.search(xml)
    found = set()
    xfs = _XF.findall(block.group(0)) if block else []
    for index, attributes in enumerate(xfs):
        format_id = _XF_FORMAT.search(attributes)
        number = int(format_id.group(1)) if format_id else 0
        if number in _BUILTIN_DATE_FORMATS or (number in custom and is_date_format(custom[number])):
            found.add(index)
    return frozenset(str(i).encode() for i in range(max(1, len(xfs)))), frozenset(str(i).encode() for i in found)


_SHEET_STATE = re.compile(rb'\bstate="([^"]*)"')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>(.*?)</(?:\w+:)?t>", re.S)
_PHONETIC = re.compile(rb"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_STRING_ITEM = re.compile(rb"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return unescape(text) if "&" in text else text


def _xml_text(raw: bytes) -> str:
    """Text of an XML element's content: entities and Excel's _xHHHH_ escapes decoded."""
    text = _unescape(raw)
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _sheet_list(workbook_xml: bytes) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """(each sheet's visibility, (sheet, relationship id) pairs) from the workbook part; kept by the bytes of
    its <sheets> element, which every form of a campaign shares (do not change what is returned)."""
    begin, end = workbook_xml.find(b"<sheets>"), workbook_xml.find(b"</sheets>")
    if 0 <= begin < end:
        return _kept(_sheet_list, workbook_xml[begin: end], lambda: _read_sheet_list(workbook_xml, begin, end))
    return _read_sheet_list(workbook_xml, 0, len(workbook_xml))


def _read_sheet_list(workbook_xml: bytes, begin: int, end: int) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    visibility: dict[str, str] = {}
    ids: list[tuple[str, bytes]] = []
    unnamed = False
    for element in _SHEET.findall(workbook_xml, begin, end):
        name = _ATTR_NAME.search(element)
        if name is None:
            unnamed = True  # a sheet without a name: calamine decides which sheets there are
            continue
        state = _SHEET_STATE.search(element)
        sheet = _unescape(name.group(1))
        visibility[sheet] = state.group(1).decode().lower() if state else "visible"
        rel = _R_ID.search(element) or _ANY_ID.search(element)
        if rel:
            ids.append((sheet, rel.group(1)))
    return ({} if unnamed else visibility), ids


class _SharedStrings:
    """The workbook's shared strings: split once, each decoded only when a cell uses it."""

    def __init__(self, archive: Any, names: set[str]):
        self._archive, self._names = archive, names
        self._bodies: list[bytes] | None = None
        self._count: int | None = None
        self._decoded: dict[int, str] = {}

    @property
    def count(self) -> int:
        if self._count is None:
            self._count = len(self._split())
        return self._count

    def _split(self) -> list[bytes]:
        if self._bodies is None:
            part = "xl/sharedStrings.xml"
            xml = self._archive.read(part) if part in self._names else b""
            pieces = xml.split(b"<si>")
            items = len(pieces) - 1
            # the usual shape, split at once: every item is <si>…</si> (no attributes, no namespace prefix)
            if xml.count(b"<si") == items and xml.count(b"si>") == 2 * items:
                self._bodies = pieces[1:]  # each still ends with </si>…: trimmed when decoded
            else:
                self._bodies = [body or b"" for body in _STRING_ITEM.findall(xml)]
        return self._bodies

    def __getitem__(self, index: int) -> str:
        if index not in self._decoded:
            piece = self._split()[index]
            text = _DECODED.get(piece)  # the same strings recur in every workbook of a campaign
            if text is None:
                text = _decode_string_item(piece)
                if len(_DECODED) > 100_000:
                    _DECODED.clear()
                _DECODED[piece] = text
            self._decoded[index] = text
        return self._decoded[index]


_DECODED: dict[bytes, str] = {}


def _decode_string_item(body: bytes) -> str:
    end = body.find(b"</si>")
    if end >= 0:
        body = body[:end]
    close = body.rfind(b"</t>")
    if close > 0 and body.startswith(b"<t") and body.count(b"<t") == 1:  # plain text: <t>…</t>
        text = body[body.index(b">") + 1: close]
        return _xml_text(text) if b"&" in text or b"_x" in text else text.decode("utf-8")
    # rich text runs, phonetic guides: join the runs' texts
    return "".join(_xml_text(t) for t in _TEXT.findall(_PHONETIC.sub(b"", body)))


_COLUMN_INDEX: dict[bytes, int] = {_column_letters(i): i for i in range(702)}  # A … ZZ


_CONTENT_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?[^/])>(.*?)</(?:\w+:)?c>", re.S)


@lru_cache(maxsize=16)
def _plain_pattern(letters: frozenset[bytes] | None) -> re.Pattern[bytes]:
    """Content cells of the usual shape, as Excel, LibreOffice, WPS, XlsxWriter and openpyxl write them
    (``<c r="F10" …>…</c>``, the address first), in the given columns only."""
    if letters is None:
        columns = rb"[A-Z]{1,3}"
    elif all(len(letter) == 1 for letter in letters):
        columns = rb"[" + b"".join(sorted(letters)) + rb"]"
    else:
        columns = rb"(?:" + b"|".join(sorted(letters, key=len, reverse=True)) + rb")"
    return re.compile(rb'<c r="(' + columns + rb')(\d+)"(?: s="([^"]*)")?([^>]*)(?<!/)>(.*?)</c>', re.S)


def _plain_cells(xml: bytes, letters: frozenset[bytes] | None, first_row: int = 0
                 ) -> list[tuple[bytes, bytes, bytes, bytes, bytes]] | None:
    """Content cells when every cell has the usual shape (every <c starts <c r="), else None; from
    ``first_row`` (zero-based) on when that row's element can be found."""
    end = xml.rfind(b"</sheetData>")  # validations and formats follow it: no cells there
    end = end if end >= 0 else len(xml)
    if (xml.count(b"<c ", 0, end) != xml.count(b'<c r="', 0, end) or xml.find(b"<c>", 0, end) >= 0
            or xml.find(b":c ", 0, end) >= 0):
        return None  # cells of another shape, or with a namespace prefix (<x:c …>): the general path
    start = xml.find(b'<row r="%d"' % (first_row + 1), 0, end) if first_row else 0
    return _plain_pattern(letters).findall(xml, max(start, 0), end)


def _xlsx_sheet(xml: bytes, strings: _SharedStrings, columns: frozenset[int] | None = None, first_row: int = 0,
                dates: _DateStyles | None = None) -> tuple[list[list[Any]], set[tuple[int, int]]] | None:
    """(rows, formula cells) read straight from a sheet's XML; None when it holds something unusual.

    Only cells with content are visited (empty styled cells, ``<c r="F10" s="5"/>``, are skipped by the
    pattern itself); per cell, plain substring tests decide the rest.  A cell that no spreadsheet program
    writes (a shared-string index that is no number or out of range, a number that is NaN) or a cell with
    content beyond MAX_ROWS × MAX_COLS raises _CellError: that file's problem, at that cell."""
    cells: dict[tuple[int, int], Any] = {}
    formulas: set[tuple[int, int]] = set()
    wanted = frozenset(_column_letters(c) for c in columns) if columns is not None else None
    plain = _plain_cells(xml, wanted, first_row)
    if plain is None:
        found = []
        for attributes, body in _CONTENT_CELL.findall(xml):
            ref = _CELL_REF.search(attributes)
            if ref is None:
                return None  # cells without addresses: leave it to calamine
            found.append((ref.group(1), ref.group(2), b"", attributes, body))
    else:
        found = plain
    column_index = _COLUMN_INDEX
    styles = dates.keys if dates is not None else (None, frozenset())
    for letters, number, style, attributes, body in found:
        if wanted is not None and letters not in wanted:
            continue
        row = int(number) - 1
        col = column_index.get(letters)
        if col is None:
            col = _column_index(letters)
        if row >= MAX_ROWS or col >= MAX_COLS:
            raise _CellError("cell-outside-form", (letters + number).decode("ascii"))
        if _holds_formula(body):
            formulas.add((row, col))
        value = _cell_value(letters + number, style, attributes, body, strings, styles, dates)
        if value is _EMPTY:
            continue
        if value is _UNKNOWN:
            return None  # dates as text (t="d") and anything else: calamine decides
        cells[(row, col)] = value
    if not cells:
        return [], formulas
    height = max(row for row, _ in cells) + 1
    width = max(col for _, col in cells) + 1
    rows = [[""] * width for _ in range(height)]
    for (row, col), value in cells.items():
        rows[row][col] = value
    return rows, formulas


_EMPTY, _UNKNOWN = object(), object()  # what _cell_value says of a cell without a value, of one it cannot read


def _cell_value(ref: bytes, style: bytes, attributes: bytes, body: bytes, strings: _SharedStrings,
                styles: tuple[frozenset[bytes] | None, frozenset[bytes]], dates: _DateStyles | None) -> Any:
    """The value of one cell from its XML: ``style`` is its s attribute when already found, ``attributes`` the
    rest of its start tag, ``body`` what lies between its tags.  _EMPTY when it holds nothing, _UNKNOWN when
    it is of a kind left to calamine; a cell no spreadsheet program writes raises _CellError."""
    if not style and b's="' in attributes:  # the style attribute elsewhere than after the address
        found_style = _ATTR_STYLE.search(attributes)
        style = found_style.group(1) if found_style else b""
    kind = b"n"
    at = attributes.find(b't="')
    if at >= 0:
        kind = attributes[at + 3: attributes.index(b'"', at + 3)]
    if kind == b"inlineStr":
        _check_style(ref, style, styles[0])
        if body.startswith(b"<is>") and body.endswith(b"</is>"):  # an inline string holds what a shared one does
            return _decode_string_item(body[4:-5])
        return "".join(_xml_text(t) for t in _TEXT.findall(_PHONETIC.sub(b"", body)))
    start = body.find(b"<v>")
    if start >= 0:
        end = body.find(b"</v>", start)
        if end < 0:
            _check_style(ref, style, styles[0])
            raise _CellError("cell-corrupt", ref.decode("ascii"), "thẻ <v> không đóng")
        raw = body[start + 3: end]
    else:
        found_value = _VALUE.search(body)  # a namespace prefix: <x:v>
        raw = found_value.group(1) if found_value is not None else b""
    return _typed_value(ref, style, kind, raw, strings, styles, dates)


def _holds_formula(body: bytes) -> bool:
    """Whether a cell's content (between its tags) has a formula element, <f> or <x:f>."""
    return (b"<f" in body or b":f" in body) and _FORMULA.search(body) is not None


def _check_style(ref: bytes, style: bytes, valid_styles: frozenset[bytes] | None) -> None:
    """A cell's style must be one the workbook defines (None: the workbook has no styles part)."""
    if valid_styles is not None and style and style not in valid_styles:
        raise _CellError("cell-corrupt", ref.decode("ascii"),
                         f"kiểu định dạng số {style[:12].decode('ascii', 'replace')} không có trong tệp")


def _typed_value(ref: bytes, style: bytes, kind: bytes, raw: bytes, strings: _SharedStrings,
                 styles: tuple[frozenset[bytes] | None, frozenset[bytes]], dates: _DateStyles | None) -> Any:
    """The value of a cell of type ``kind`` (its t attribute, b"n" when none) whose <v> holds ``raw``."""
    valid_styles, date_styles = styles
    _check_style(ref, style, valid_styles)
    if not raw:
        return _EMPTY  # no value, or an empty cached result (<v></v>): an empty cell
    if kind == b"s":
        try:
            index = int(raw)
        except ValueError:
            index = -1
        text = strings._decoded.get(index)
        if text is None:
            if not 0 <= index < strings.count:
                raise _CellError("cell-corrupt", ref.decode("ascii"),
                                 f"chuỗi dùng chung số {raw[:20].decode('utf-8', 'replace')} không có trong tệp")
            text = strings[index]
        return text
    if kind == b"n":
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or b"_" in raw:
            raise _CellError("cell-corrupt", ref.decode("ascii"), f"'{raw[:20].decode('utf-8', 'replace')}' không phải là số")
        if style in date_styles and dates is not None:
            return dates.as_date(value)
        return value
    if kind == b"str":
        return _xml_text(raw)
    if kind == b"e":
        return ErrorValue(_xml_text(raw))
    if kind == b"b":
        return raw.strip() == b"1"
    return _UNKNOWN


#: a cell whose start tag does not begin with its address (``<c s="5" r="F10">``, ``<c>``)
_UNUSUAL_CELL = re.compile(rb'<c(?! r=")[\s>/]')


class CellSet:
    """Cells to read from a sheet (zero-based (row, column) pairs), with each one's address as a sheet's XML
    writes it (``F10``), and a pattern that finds just these cells in the usual shape in one pass: made once
    per form layout, used for every file."""

    __slots__ = ("cells", "columns", "first_row", "tags", "pattern")

    def __init__(self, cells: Iterable[tuple[int, int]]):
        self.cells: tuple[tuple[int, int], ...] = tuple(sorted(set(cells)))
        self.columns = frozenset(col for _, col in self.cells)
        self.first_row = self.cells[0][0] if self.cells else 0
        tags = []
        for row, col in self.cells:
            ref = _column_letters(col) + b"%d" % (row + 1)
            tags.append(((row, col), ref, b'<c r="' + ref + b'"'))
        self.tags = tuple(tags)
        addresses = _alternatives([ref for _, ref, _ in tags])
        # address, style, type, then a plain value or an inline string and the end tag, an empty cell (/>), or
        # anything else (>)
        self.pattern = re.compile(rb'<c r="(' + (addresses or rb"(?!)") + rb')"(?: s="(\d{1,9})")?(?: t="([A-Za-z]{1,9})")?'
                                  rb'(?:>(<v>[^<]*</v>|<is>.*?</is>)</c>|(/>)|>)', re.S)


def _alternatives(words: list[bytes]) -> bytes:
    """A pattern matching exactly ``words``, written as a tree of their common beginnings (F1(?:0|2|4)): the
    regex engine then rejects a cell that is not wanted at its first differing character instead of trying
    each address in turn (twice as fast over a form's sixty addresses)."""
    tree: dict[Any, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[None] = {}

    def written(node: dict[Any, Any]) -> bytes:
        branches = [re.escape(bytes([char])) + written(node[char]) for char in sorted(k for k in node if k is not None)]
        if not branches:
            return b""
        if len(branches) == 1 and None not in node:
            return branches[0]
        return b"(?:" + b"|".join(branches) + (b")?" if None in node else b")")

    return written(tree)


def _xlsx_cells(xml: bytes, strings: _SharedStrings, wanted: CellSet, dates: _DateStyles | None = None
                ) -> tuple[dict[tuple[int, int], Any], set[tuple[int, int]]] | None:
    """(values, formula cells) of just the ``wanted`` cells: those of the usual shape (address first, then
    style and type, a plain value) found in one pass by the set's pattern, any other looked up by its address
    and read in full.  None when the sheet has cells without addresses first, a namespace prefix or rows
    beyond MAX_ROWS: then :func:`_xlsx_sheet` reads it whole and locates what is wrong."""
    start = xml.find(b"<sheetData>")
    end = xml.rfind(b"</sheetData>")
    if start < 0 or end < start:
        return None
    if _UNUSUAL_CELL.search(xml, start, end) is not None or xml.find(b":c ", start, end) >= 0:
        return None  # cells without addresses first, or with a namespace prefix
    last = xml.rfind(b'<row r="', start, end)
    if last >= 0:
        number = xml[last + 8: xml.find(b'"', last + 8, last + 20)]
        if not number.isdigit() or int(number) > MAX_ROWS:
            return None
    values: dict[tuple[int, int], Any] = {}
    formulas: set[tuple[int, int]] = set()
    styles = dates.keys if dates is not None else (None, frozenset())
    usual = {found[0]: found for found in wanted.pattern.findall(xml, start, end)}
    for cell, ref, tag in wanted.tags:
        found = usual.get(ref)
        value: Any = _UNKNOWN
        if found is not None:
            if found[4]:  # <c r="F10" s="5"/>: styled, empty
                continue
            body = found[3]
            if body[:3] == b"<v>":  # <c r="F10" s="5" t="s"><v>3</v></c>
                value = _typed_value(ref, found[1], found[2] or b"n", body[3:-4], strings, styles, dates)
            elif body and found[2] == b"inlineStr":  # <c r="I10" s="9" t="inlineStr"><is><t>…</t></is></c>
                value = _cell_value(ref, found[1], b' t="inlineStr"', body, strings, styles, dates)
        if value is _UNKNOWN:  # any other shape: formulas, inline strings, other attributes, or no such cell
            at = xml.find(tag, start, end)
            if at < 0:
                continue  # no such cell: empty
            head_end = xml.find(b">", at, end)
            if head_end < 0:
                return None
            if xml[head_end - 1] == 47:
                continue
            body_end = xml.find(b"</c>", head_end, end)
            if body_end < 0:
                return None
            body = xml[head_end + 1: body_end]
            if _holds_formula(body):
                formulas.add(cell)
            value = _cell_value(ref, b"", xml[at + len(tag): head_end], body, strings, styles, dates)
            if value is _UNKNOWN:
                return None
        if value is not _EMPTY and value != "":  # an empty string reads as an empty cell, as from the whole sheet
            values[cell] = value
    return values, formulas


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


_ODS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def _read_ods(archive: _Archive, data: bytes, file: str, listed: list[str]) -> SourceWorkbook:
    names = set(listed)
    archive.check_all(listed)  # calamine reads them all
    properties: dict[str, str] = {}
    saved_at = None
    if "meta.xml" in names:
        meta = ElementTree.fromstring(archive.read("meta.xml"))
        for element in meta.iter(f"{{{_ODS['meta']}}}user-defined"):
            properties[element.get(f"{{{_ODS['meta']}}}name", "")] = element.text or ""
        date = meta.find(f".//{{{_ODS['dc']}}}date")
        if date is not None and date.text:
            saved_at = _parse_time(date.text)
    table_ns = _ODS["table"]
    defined_names: dict[str, str] = {}
    formula_cells: dict[str, set[tuple[int, int]]] = {}
    extents: dict[str, tuple[int, int, str]] = {}
    for event, element in ElementTree.iterparse(io.BytesIO(archive.read("content.xml")), events=("end",)):
        if element.tag == f"{{{table_ns}}}named-expression":
            defined_names[element.get(f"{{{table_ns}}}name", "")] = _string_constant(
                element.get(f"{{{table_ns}}}expression", ""))
        elif element.tag == f"{{{table_ns}}}table":
            name = element.get(f"{{{table_ns}}}name", "")
            formula_cells[name], extents[name] = _ods_cells(element, table_ns)
            element.clear()
    # calamine expands repeated cells of every table on opening: a crafted repeat must stop here
    for name, (height, width, farthest) in extents.items():
        if height > MAX_ROWS or width > MAX_COLS:
            raise XlkpiError(problem("cell-outside-form", file=file, sheet=name, cell=farthest, rows=MAX_ROWS,
                                     columns=column_letter(MAX_COLS - 1)))
    book = _open_calamine(data, file)
    source = SourceWorkbook(file, "ods", _visibility(book), _book=book)
    source.has_macros = any(n.startswith("Basic/") and n.endswith(".xml") and "script" not in n for n in names)
    source.properties, source.saved_at = properties, saved_at
    source.defined_names, source.formula_cells, source._extents = defined_names, formula_cells, extents
    return source


def _ods_cells(table: ElementTree.Element, ns: str) -> tuple[set[tuple[int, int]], tuple[int, int, str]]:
    """The cells holding formulas (at most MAX_CELLS) and the extent of the cells with content."""
    cells: set[tuple[int, int]] = set()
    height = width = 0
    farthest = ""
    row_index = 0
    cell_tags = (f"{{{ns}}}table-cell", f"{{{ns}}}covered-table-cell")
    value_type = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}value-type"
    for row in table.iter(f"{{{ns}}}table-row"):
        rows_repeated = _repeat(row.get(f"{{{ns}}}number-rows-repeated"))
        col = 0
        for cell in row:
            if cell.tag not in cell_tags:
                continue
            repeated = _repeat(cell.get(f"{{{ns}}}number-columns-repeated"))
            has_formula = cell.get(f"{{{ns}}}formula") is not None
            if has_formula or cell.get(value_type) is not None or len(cell):
                bottom, right = row_index + rows_repeated, col + repeated
                if bottom > height or right > width:
                    height, width = max(height, bottom), max(width, right)
                    if bottom > MAX_ROWS or right > MAX_COLS:
                        farthest = f"{column_letter(min(right, 16384) - 1)}{bottom}"
                if has_formula and len(cells) < MAX_CELLS:
                    for r in range(row_index, min(row_index + rows_repeated, MAX_ROWS)):
                        for c in range(col, min(col + repeated, MAX_COLS)):
                            cells.add((r, c))
            col += repeated
        row_index += rows_repeated
    return cells, (height, width, farthest)


def _repeat(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1 << 24))
    except ValueError:
        return 1


# -- xls (BIFF8 in an OLE2 container) ----------------------------------------------------------------------

_USER_DEFINED_FMTID = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")


def _read_xls(data: bytes, file: str) -> SourceWorkbook:
    import olefile

    try:
        ole = olefile.OleFileIO(data)
    except (OSError, ValueError) as exc:  # olefile raises OSError for a damaged container
        raise XlkpiError(problem("file-corrupt", file=file, detail=str(exc)[:200])) from exc
    try:
        streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
        if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
            raise XlkpiError(problem("file-encrypted", file=file))
        stream_name = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
        if stream_name is None:
            raise XlkpiError(problem("not-a-spreadsheet", file=file, kind="tài liệu Office khác (không phải Excel)"))
        workbook_stream = ole.openstream(stream_name).read()
        for index, (_, kind, _) in enumerate(_records(workbook_stream)):
            if kind == 0x002F:  # FILEPASS: the workbook is encrypted with a password
                raise XlkpiError(problem("file-encrypted", file=file))
            if kind == 0x0085 or index > 200:  # past the globals' header records
                break
        book = _open_calamine(data, file)
        source = SourceWorkbook(file, "xls", _visibility(book), _book=book)
        source.has_macros = any(s.startswith("_VBA_PROJECT_CUR") or s.startswith("Macros") for s in streams)
        source.defined_names, source.formula_cells, source._extents = _biff_names_and_formulas(workbook_stream)
        if "\x05DocumentSummaryInformation" in streams:
            source.properties = _user_defined_properties(ole.openstream("\x05DocumentSummaryInformation").read())
        try:
            source.saved_at = ole.get_metadata().last_saved_time
        except Exception:  # metadata is advisory; a damaged summary stream must not stop collection
            source.saved_at = None
        return source
    finally:
        ole.close()


def _records(stream: bytes):
    offset = 0
    size = len(stream)
    while offset + 4 <= size:
        kind, length = struct.unpack_from("<HH", stream, offset)
        yield offset, kind, stream[offset + 4: offset + 4 + length]
        offset += 4 + length


def _biff_string(body: bytes, offset: int, count: int) -> tuple[str, int]:
    """An XLUnicodeString without its count: a flag byte, then ``count`` characters."""
    flags = body[offset]
    offset += 1
    if flags & 1:
        return body[offset: offset + 2 * count].decode("utf-16-le", "replace"), offset + 2 * count
    return body[offset: offset + count].decode("latin-1"), offset + count


_BIFF_CELLS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6})  # one cell with content each


def _biff_names_and_formulas(stream: bytes) -> tuple[dict[str, str], dict[str, set[tuple[int, int]]],
                                                     dict[str, tuple[int, int, str]]]:
    """Defined names, formula cells and each sheet's extent of cells with content, from the records."""
    names: dict[str, str] = {}
    sheets_at: dict[int, str] = {}
    formulas: dict[str, set[tuple[int, int]]] = {}
    extents: dict[str, tuple[int, int, str]] = {}
    current: str | None = None
    for offset, kind, body in _records(stream):
        if current is not None and (kind in _BIFF_CELLS or kind == 0x00BD) and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body, 0)
            if kind == 0x00BD and len(body) >= 6:  # MULRK: several cells, the last column at the end
                col = struct.unpack_from("<H", body, len(body) - 2)[0]
            height, width, farthest = extents.get(current, (0, 0, ""))
            if row + 1 > height or col + 1 > width:
                if row + 1 > MAX_ROWS or col + 1 > MAX_COLS:
                    farthest = f"{column_letter(col)}{row + 1}"
                extents[current] = (max(height, row + 1), max(width, col + 1), farthest)
        if kind == 0x0085 and len(body) >= 8:  # BOUNDSHEET: where each sheet's records start, and its name
            position = struct.unpack_from("<I", body, 0)[0]
            count = body[6]
            sheets_at[position] = _biff_string(body, 7, count)[0]
        elif kind == 0x0809:  # BOF: a sheet's records begin
            current = sheets_at.get(offset)
            if current is not None:
                formulas.setdefault(current, set())
        elif kind == 0x0018 and len(body) >= 15:  # NAME
            name_length, formula_size = body[3], struct.unpack_from("<H", body, 4)[0]
            try:
                name, end = _biff_string(body, 14, name_length)
                formula = body[end: end + formula_size]
                if formula[:1] == b"\x17":  # ptgStr: a string constant
                    value, _ = _biff_string(formula, 2, formula[1])
                    names[name] = value
            except IndexError:
                continue
        elif kind == 0x0006 and current is not None and len(body) >= 4:  # FORMULA
            row, col = struct.unpack_from("<HH", body, 0)
            formulas[current].add((row, col))
    return names, formulas, extents


def _user_defined_properties(stream: bytes) -> dict[str, str]:
    """The custom properties (the user-defined section of DocumentSummaryInformation), as strings."""
    found: dict[str, str] = {}
    try:
        count = struct.unpack_from("<I", stream, 24)[0]
        sections = [(stream[28 + 20 * i: 44 + 20 * i], struct.unpack_from("<I", stream, 44 + 20 * i)[0])
                    for i in range(count)]
        for fmtid, start in sections:
            if fmtid != _USER_DEFINED_FMTID:
                continue
            entries = struct.unpack_from("<I", stream, start + 4)[0]
            offsets = {}
            for i in range(entries):
                prop_id, prop_offset = struct.unpack_from("<II", stream, start + 8 + 8 * i)
                offsets[prop_id] = start + prop_offset
            codepage = 1252
            if 1 in offsets:
                codepage = struct.unpack_from("<h", stream, offsets[1] + 4)[0] & 0xFFFF
            labels: dict[int, str] = {}
            if 0 in offsets:  # the dictionary: property id -> name
                position = offsets[0]
                entries_in_dictionary = struct.unpack_from("<I", stream, position)[0]
                position += 4
                for _ in range(entries_in_dictionary):
                    prop_id, length = struct.unpack_from("<II", stream, position)
                    position += 8
                    if codepage == 1200:  # UTF-16 names, each padded to a multiple of 4 bytes
                        size = 2 * length
                        labels[prop_id] = stream[position: position + size].decode("utf-16-le").rstrip("\x00")
                        position += size + (-size) % 4
                    else:
                        labels[prop_id] = stream[position: position + length].decode(_codec(codepage), "replace").rstrip("\x00")
                        position += length
            for prop_id, position in offsets.items():
                if prop_id in (0, 1) or prop_id not in labels:
                    continue
                vt = struct.unpack_from("<H", stream, position)[0]
                if vt == 0x1E:  # VT_LPSTR
                    size = struct.unpack_from("<I", stream, position + 4)[0]
                    raw = stream[position + 8: position + 8 + size]
                    found[labels[prop_id]] = raw.decode(_codec(codepage), "replace").rstrip("\x00")
                elif vt == 0x1F:  # VT_LPWSTR
                    size = struct.unpack_from("<I", stream, position + 4)[0]
                    found[labels[prop_id]] = stream[position + 8: position + 8 + 2 * size].decode("utf-16-le").rstrip("\x00")
    except (struct.error, UnicodeDecodeError, LookupError):
        return found
    return found


def _codec(codepage: int) -> str:
    return {1200: "utf-16-le", 65001: "utf-8"}.get(codepage, f"cp{codepage}")

