"""xlsx (Excel, LibreOffice, WPS, XlsxWriter, openpyxl): defined names, properties and cells read straight from
the parts' XML, calamine for a sheet the direct reader does not take."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from html import unescape
from typing import Any
from xml.etree import ElementTree

from xlkpi.collect.readers.archive import _Archive
from xlkpi.collect.readers.source import (MAX_CELLS, MAX_COLS, MAX_ROWS, ErrorValue, PercentValue, SourceWorkbook,
    _open_calamine, _parse_time, _string_constant, _visibility)
from xlkpi.common.text import column_letter
from xlkpi.problems import XlkpiError, problem

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


def _read_xlsx(archive: _Archive, data: bytes, file: str, names: set[str], listed: list[str]) -> SourceWorkbook:
    parts_read = {part: archive.read(part) if part in names else b"" for part in _IDENTITY_PARTS}
    identity = _direct_identity(archive, parts_read, names)
    read_by = "direct"
    if identity is None:  # something the patterns do not take (quote style, prefixes): read the parts as XML
        identity, read_by = _xml_identity(parts_read), "xml"
    source = SourceWorkbook(file, "xlsx", dict(identity.visibility))
    source.read_by["identity"] = read_by

    def open_book() -> Any:
        archive.check_all(listed)  # calamine reads parts the direct reader never looks at
        return _open_calamine(data, file)

    source._open_book = open_book
    if not source.sheets:  # no <sheet> element either reader understands: let calamine decide
        source._book = source._open_book()
        source.sheets = _visibility(source._book)
    source.has_macros = "vbaproject.bin\n" in "\n".join(listed).lower() + "\n"  # a name that ends so
    source.defined_names, source.properties = identity.defined_names, identity.properties
    source.saved_at = identity.saved_at
    rels, sheet_ids = identity.relationships, identity.sheet_ids
    strings = _SharedStrings(archive, names)
    dates = _DateStyles(archive, names, identity.date1904)
    parts: dict[str, str] = {}
    for sheet, rel in sheet_ids:
        if rel not in rels:
            continue
        target = rels[rel]
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if part in names:
            parts[sheet] = part

            source._sheet_readers[sheet] = _located(
                lambda columns, first_row, part=part: _sheet_either_way(archive.read(part), strings, columns, first_row,
                                                                        dates), file, sheet)
            source._cell_readers[sheet] = _located(
                lambda wanted, part=part: _xlsx_cells(archive.read(part), strings, wanted, dates), file, sheet)
    source._extent_of = lambda sheet: _xlsx_extent(archive.read(parts[sheet])) if sheet in parts else (0, 0, "")
    return source


_IDENTITY_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "docProps/custom.xml", "docProps/core.xml")


@dataclass
class _Identity:
    """What a workbook's own parts say of it: its sheets (visibility, relationship ids), defined names, custom
    properties, when it was saved, which part each relationship id names, and its date system."""

    visibility: dict[str, str]
    sheet_ids: list[tuple[str, bytes]]
    defined_names: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    saved_at: datetime | None = None
    relationships: dict[bytes, str] = field(default_factory=dict)
    date1904: bool = False


#: the elements of the identity parts, as many as a reader must find (any namespace prefix, any attributes)
_ELEMENTS = {name: re.compile(rb"<(?:\w+:)?" + name + rb"[\s/>]") for name in
             (b"sheet", b"definedName", b"property", b"Relationship", b"modified", b"workbookPr")}


def _direct_identity(archive: _Archive, parts: dict[str, bytes], names: set[str]) -> _Identity | None:
    """The identity read by patterns over the parts' bytes, as Excel, LibreOffice, WPS and XlsxWriter write
    them (double-quoted attributes, the usual prefixes); None when any element was not taken (a part written
    otherwise is read as XML by :func:`_xml_identity`: a file openpyxl reads is never refused for its quotes)."""
    workbook, custom, core = parts["xl/workbook.xml"], parts["docProps/custom.xml"], parts["docProps/core.xml"]
    if any(b"<![CDATA[" in content for content in parts.values()):
        return None  # text in CDATA sections: the patterns would take the markup for the text
    visibility, sheet_ids = _sheet_list(workbook)
    if len(sheet_ids) != len(_ELEMENTS[b"sheet"].findall(workbook)) or len(visibility) != len(sheet_ids):
        return None
    if b"date1904" in workbook and not re.search(rb'\bdate1904="(?:1|0|true|false)"', workbook):
        return None
    found = _Identity(visibility, sheet_ids, date1904=b'date1904="1"' in workbook or b'date1904="true"' in workbook)
    defined = _DEFINED_NAME.findall(workbook)
    if len(defined) != len(_ELEMENTS[b"definedName"].findall(workbook)):
        return None
    for attrs, body in defined:
        name = _ATTR_NAME.search(attrs)
        if name is None:
            return None
        found.defined_names[_unescape(name.group(1))] = _string_constant(_unescape(body))
    properties = _PROPERTY.findall(custom)
    if len(properties) != len(_ELEMENTS[b"property"].findall(custom)):
        return None
    for name, _, value in properties:
        found.properties[_unescape(name)] = _unescape(value)
    if core:
        modified = _MODIFIED.search(core)
        if modified is None and _ELEMENTS[b"modified"].search(core):
            return None
        if modified:
            found.saved_at = _parse_time(modified.group(1).decode("ascii", "replace"))
    rels = parts["xl/_rels/workbook.xml.rels"]
    if rels:
        found.relationships = _parsed(archive, "xl/_rels/workbook.xml.rels", _relationships)
        if len(found.relationships) != len(_ELEMENTS[b"Relationship"].findall(rels)):
            return None
    return found


def _local(name: str) -> str:
    """An element's or attribute's name without its namespace ("{…}sheet" -> "sheet")."""
    return name.rsplit("}", 1)[-1]


def _xml_identity(parts: dict[str, bytes]) -> _Identity:
    """The identity read from the parts parsed as XML (any quote style, attribute order, namespace prefix,
    whitespace or CDATA). The parts were checked for DOCTYPE and entities when read."""
    found = _Identity({}, [])
    for element in ElementTree.fromstring(parts["xl/workbook.xml"]).iter():
        tag = _local(element.tag)
        if tag == "sheet":
            attributes = {_local(key): value for key, value in element.attrib.items()}
            ids = [value for key, value in element.attrib.items() if key.startswith("{") and _local(key) == "id"]
            name = attributes.get("name")
            if name is None:
                return _Identity({}, [])  # a sheet without a name: calamine decides which sheets there are
            found.visibility[name] = attributes.get("state", "visible").lower()
            if ids:
                found.sheet_ids.append((name, ids[0].encode("utf-8")))
        elif tag == "definedName" and element.get("name") is not None:
            found.defined_names[element.get("name", "")] = _string_constant(element.text or "")
        elif tag == "workbookPr":
            found.date1904 = element.get("date1904", "").lower() in ("1", "true")
    if parts["docProps/custom.xml"]:
        for element in ElementTree.fromstring(parts["docProps/custom.xml"]).iter():
            if _local(element.tag) == "property" and element.get("name") is not None and len(element):
                found.properties[element.get("name", "")] = element[0].text or ""
    if parts["docProps/core.xml"]:
        for element in ElementTree.fromstring(parts["docProps/core.xml"]).iter():
            if _local(element.tag) == "modified" and element.text:
                found.saved_at = _parse_time(element.text)
    if parts["xl/_rels/workbook.xml.rels"]:
        for element in ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"]).iter():
            if _local(element.tag) == "Relationship" and element.get("Id") and element.get("Target"):
                found.relationships[element.get("Id", "").encode("utf-8")] = element.get("Target", "")
    return found


def _located(read: Any, file: str, sheet: str) -> Any:
    """``read`` with a cell it cannot take (_CellError) raised as the file's problem at that cell."""

    def located(*args: Any) -> Any:
        try:
            return read(*args)
        except _CellError as exc:
            raise XlkpiError(problem(exc.code, file=file, sheet=sheet, cell=exc.cell, detail=exc.detail,
                                     rows=MAX_ROWS, columns=column_letter(MAX_COLS - 1), **exc.context)) from None

    return located


class _CellError(Exception):
    """A cell the direct reader cannot take: its code becomes a problem located at that cell."""

    def __init__(self, code: str, cell: str, detail: str = "", **context: Any):
        super().__init__(code, cell, detail)
        self.code, self.cell, self.detail, self.context = code, cell, detail, context


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


def is_percent_format(code: str) -> bool:
    """Whether a number format shows its number times 100 with a %: a % outside quotes and escapes."""
    bare = re.sub(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]', "", code)
    return "%" in bare.split(";")[0]


class _DateStyles:
    """The cell styles of a workbook: which exist (a cell pointing past them is damaged) and which show dates
    (typed into a number input, a date is no number); read once per distinct styles part."""

    def __init__(self, archive: _Archive, names: set[str], date1904: bool):
        self._archive, self._present = archive, "xl/styles.xml" in names
        self.epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
        self._keys: tuple[frozenset[bytes] | None, frozenset[bytes]] | None = None
        self._percent: frozenset[bytes] = frozenset()

    @property
    def keys(self) -> tuple[frozenset[bytes] | None, frozenset[bytes]]:
        """(every style index a cell may carry, those that show dates), as the bytes of the XML attribute —
        compared per cell without parsing a number; None: no styles part, any index goes (Excel repairs it)."""
        if self._keys is None:
            self._keys = (None, frozenset())
            if self._present:
                valid, dates, self._percent = _parsed(self._archive, "xl/styles.xml", _style_keys)
                self._keys = (valid, dates)
        return self._keys

    @property
    def percent(self) -> frozenset[bytes]:
        """The styles that show a number as a percentage: "95%" typed into a cell is stored as 0.95 with one."""
        self.keys
        return self._percent

    def as_date(self, serial: float) -> datetime | float:
        if 0 <= serial < 2_958_466:  # up to 9999-12-31
            return self.epoch + timedelta(days=serial)
        return serial


def _style_keys(xml: bytes) -> tuple[frozenset[bytes], frozenset[bytes], frozenset[bytes]]:
    """(the indexes of the cell styles, those that show dates, those that show percentages), as attribute
    bytes."""
    custom = {int(i): _unescape(code) for i, code in _NUM_FMT.findall(xml)}
    block = _CELL_XFS.search(xml)
    found, percent = set(), set()
    xfs = _XF.findall(block.group(0)) if block else []
    for index, attributes in enumerate(xfs):
        format_id = _XF_FORMAT.search(attributes)
        number = int(format_id.group(1)) if format_id else 0
        if number in _BUILTIN_DATE_FORMATS or (number in custom and is_date_format(custom[number])):
            found.add(index)
        elif number in (9, 10) or (number in custom and is_percent_format(custom[number])):
            percent.add(index)
    keys = frozenset(str(i).encode() for i in range(max(1, len(xfs))))
    return keys, frozenset(str(i).encode() for i in found), frozenset(str(i).encode() for i in percent)


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
    if _UNUSUAL_CELL.search(xml, 0, end) is not None or _prefixed_cells(xml, 0, end):
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
    if len({(letters, number) for letters, number, *_ in found}) != len(found):
        copies: dict[bytes, set[tuple[bytes, ...]]] = {}
        for cell in found:
            copies.setdefault(cell[0] + cell[1], set()).add(cell[2:])
        for ref, kinds in copies.items():
            if len(kinds) > 1:
                raise _CellError("cell-corrupt", ref.decode("ascii"), _TWICE)
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
    return _as_rows(cells), formulas


def _as_rows(cells: dict[tuple[int, int], Any]) -> list[list[Any]]:
    """Cells with content as rows, "" where a cell is empty (both sheet readers give rows so)."""
    if not cells:
        return []
    height = max(row for row, _ in cells) + 1
    width = max(col for _, col in cells) + 1
    rows = [[""] * width for _ in range(height)]
    for (row, col), value in cells.items():
        rows[row][col] = value
    return rows


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
        if dates is not None and style and style in dates.percent:
            return PercentValue(value)
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
#: a cell with a namespace prefix (<x:c …>), whatever follows its name
_PREFIXED_CELL = re.compile(rb"<\w+:c[\s>/]")


def _prefixed_cells(xml: bytes, start: int, end: int) -> bool:
    """Whether the sheet's cells carry a namespace prefix: a plain search first (the usual sheet has no ":c"
    at all), the pattern only where one is found."""
    return xml.find(b":c", start, end) >= 0 and _PREFIXED_CELL.search(xml, start, end) is not None


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
        # anything else (nothing more): every cell with a wanted address matches, so one given twice is seen
        self.pattern = re.compile(rb'<c r="(' + (addresses or rb"(?!)") + rb')"(?: s="(\d{1,9})")?(?: t="([A-Za-z]{1,9})")?'
                                  rb'(?:>(<v>[^<]*</v>|<is>.*?</is>)</c>|(/>)|)', re.S)


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
    if _UNUSUAL_CELL.search(xml, start, end) is not None or _prefixed_cells(xml, start, end):
        return None  # cells without addresses first, or with a namespace prefix
    last = xml.rfind(b'<row r="', start, end)
    if last >= 0:
        number = xml[last + 8: xml.find(b'"', last + 8, last + 20)]
        if not number.isdigit() or int(number) > MAX_ROWS:
            return None
    values: dict[tuple[int, int], Any] = {}
    formulas: set[tuple[int, int]] = set()
    styles = dates.keys if dates is not None else (None, frozenset())
    matches = wanted.pattern.findall(xml, start, end)
    usual = {found[0]: found for found in matches}
    if len(usual) != len(matches):
        _refuse_differing_copies(xml, start, end, [found[0] for found in matches])
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


_TWICE = "ô được ghi hai lần trong trang tính, với nội dung khác nhau"


def _element_end(xml: bytes, at: int, end: int) -> int:
    """Where the cell element starting at ``at`` ends (after its ``/>`` or ``</c>``)."""
    head_end = xml.find(b">", at, end)
    if head_end < 0:
        return end
    if xml[head_end - 1] == 47:  # "/>"
        return head_end + 1
    close = xml.find(b"</c>", head_end, end)
    return close + 4 if close >= 0 else end


def _refuse_differing_copies(xml: bytes, start: int, end: int, refs: Iterable[bytes]) -> None:
    """A cell address written twice (no spreadsheet program does; a damaged or hand-edited file can): identical
    copies read the same whichever is taken, copies that differ are refused at that cell, since Excel, openpyxl
    and LibreOffice do not agree on which one counts."""
    seen: set[bytes] = set()
    for ref in refs:
        if ref in seen:
            tag = b'<c r="' + ref + b'"'
            copies = set()
            at = xml.find(tag, start, end)
            while at >= 0:
                stop = _element_end(xml, at, end)
                copies.add(xml[at:stop])
                at = xml.find(tag, stop, end)
            if len(copies) > 1:
                raise _CellError("cell-corrupt", ref.decode("ascii"), _TWICE)
        seen.add(ref)


def _sheet_either_way(xml: bytes, strings: _SharedStrings, columns: frozenset[int] | None, first_row: int,
                      dates: _DateStyles | None) -> tuple[list[list[Any]], set[tuple[int, int]], str]:
    """(rows, formula cells, path): by patterns when the sheet is written the usual way ("direct"), else parsed
    as XML ("xml"), with the same values, formula cells and located problems."""
    found = _xlsx_sheet(xml, strings, columns, first_row, dates)
    if found is not None:
        return found[0], found[1], "direct"
    rows, formulas = _xml_sheet(xml, strings, dates)
    return rows, formulas, "xml"


def _xml_sheet(xml: bytes, strings: _SharedStrings, dates: _DateStyles | None
               ) -> tuple[list[list[Any]], set[tuple[int, int]]]:
    """(rows, formula cells) of a sheet parsed as XML, whatever its spelling: quote style, attribute order,
    namespace prefixes, whitespace, CDATA, rows and cells without addresses (they follow the one before), dates
    written as text (t="d"). Streamed row by row; a cell beyond MAX_ROWS × MAX_COLS, or more than MAX_CELLS
    cells, is the file's problem at that cell."""
    cells: dict[tuple[int, int], Any] = {}
    formulas: set[tuple[int, int]] = set()
    styles = dates.keys if dates is not None else (None, frozenset())
    seen: dict[tuple[int, int], tuple[Any, bool]] = {}  # cells with content, to refuse one given twice differently
    row_index = -1
    for _, element in ElementTree.iterparse(io.BytesIO(xml), events=("end",)):
        if _local(element.tag) != "row":
            continue
        number = element.get("r")
        row_index = int(number) - 1 if number and number.isdigit() else row_index + 1
        col = -1
        for cell in element:
            if _local(cell.tag) != "c":
                continue
            ref = cell.get("r")
            if ref:
                letters = ref.rstrip("0123456789").encode("ascii", "replace")
                digits = ref[len(letters):]
                if not letters.isalpha() or not digits.isdigit() or len(letters) > 3:
                    raise _CellError("cell-corrupt", ref[:12], "địa chỉ ô không hợp lệ")
                row_index, col = int(digits) - 1, _column_index(letters.upper())
            else:
                col += 1
            address = (_column_letters(col) + b"%d" % (row_index + 1)) if col < 18_278 else b"?"
            if row_index >= MAX_ROWS or col >= MAX_COLS:
                if _has_content(cell):
                    raise _CellError("cell-outside-form", address.decode("ascii"))
                continue
            value = _xml_cell_value(cell, address, strings, styles, dates)
            written = (value if value != "" else _EMPTY, any(_local(child.tag) == "f" for child in cell))
            if written == (_EMPTY, False):  # kept only when given before: empty cells are many, not counted
                if (row_index, col) in seen:
                    raise _CellError("cell-corrupt", address.decode("ascii"), _TWICE)
            elif seen.setdefault((row_index, col), written) != written:
                raise _CellError("cell-corrupt", address.decode("ascii"), _TWICE)
            if written[1]:
                formulas.add((row_index, col))
            if value is not _EMPTY and value != "":
                cells[(row_index, col)] = value
                if len(cells) > MAX_CELLS:
                    raise _CellError("too-many-cells", address.decode("ascii"), count=len(cells), limit=MAX_CELLS)
        element.clear()
    return _as_rows(cells), formulas


def _has_content(cell: ElementTree.Element) -> bool:
    return any(_local(child.tag) in ("v", "f", "is") and (child.text or len(child)) for child in cell)


def _xml_cell_value(cell: ElementTree.Element, address: bytes, strings: _SharedStrings,
                    styles: tuple[frozenset[bytes] | None, frozenset[bytes]], dates: _DateStyles | None) -> Any:
    """A parsed cell's value, by the same rules as the direct reader (:func:`_typed_value`)."""
    style = (cell.get("s") or "").encode("ascii", "replace")
    kind = (cell.get("t") or "n").encode("ascii", "replace")
    children = {_local(child.tag): child for child in cell}
    if kind == b"inlineStr":
        _check_style(address, style, styles[0])
        inline = children.get("is")
        if inline is None:
            return _EMPTY
        texts = [t.text or "" for t in inline.iter() if _local(t.tag) == "t" and not _in_phonetic(inline, t)]
        return _excel_unescape("".join(texts))
    value = children.get("v")
    text = value.text if value is not None and value.text else ""
    if kind == b"d":
        _check_style(address, style, styles[0])
        if not text:
            return _EMPTY
        when = _parse_time(text)
        if when is None:
            raise _CellError("cell-corrupt", address.decode("ascii"), f"'{text[:20]}' không phải là ngày")
        return when
    if kind in (b"str", b"e"):
        _check_style(address, style, styles[0])
        if not text:
            return _EMPTY
        return _excel_unescape(text) if kind == b"str" else ErrorValue(_excel_unescape(text))
    found = _typed_value(address, style, kind, text.strip().encode("utf-8"), strings, styles, dates)
    if found is _UNKNOWN:
        raise _CellError("cell-corrupt", address.decode("ascii"), f"kiểu ô '{kind[:12].decode('ascii', 'replace')}'")
    return found


def _in_phonetic(root: ElementTree.Element, text: ElementTree.Element) -> bool:
    """Whether a <t> lies inside a phonetic guide (<rPh>), which is no part of the cell's text."""
    return any(_local(run.tag) == "rPh" and any(t is text for t in run.iter()) for run in root)


def _excel_unescape(text: str) -> str:
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text
