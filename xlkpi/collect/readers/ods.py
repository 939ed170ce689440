"""ods (LibreOffice, Gnumeric): content.xml and meta.xml parsed as XML, cell values by calamine, or from the
XML when calamine refuses a valid file (Gnumeric indents content.xml)."""

from __future__ import annotations

import io
from typing import Any
from xml.etree import ElementTree

from xlkpi.collect.readers.archive import _Archive
from xlkpi.collect.readers.source import (MAX_CELLS, MAX_COLS, MAX_ROWS, PercentValue, SourceWorkbook, _open_calamine,
    _parse_time, _string_constant, _visibility)
from xlkpi.common.text import column_letter
from xlkpi.problems import XlkpiError, problem

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
    percent_cells: dict[str, set[tuple[int, int]]] = {}
    xml_rows: dict[str, list[list[Any]]] = {}
    hidden_styles: set[str] = set()
    visibility: dict[str, str] = {}
    for event, element in ElementTree.iterparse(io.BytesIO(archive.read("content.xml")), events=("end",)):
        if element.tag == f"{{{table_ns}}}named-expression":
            defined_names[element.get(f"{{{table_ns}}}name", "")] = _string_constant(
                element.get(f"{{{table_ns}}}expression", ""))
        elif element.tag == _STYLE:  # a table style that hides its sheet
            for child in element:
                if child.tag == _STYLE_TABLE_PROPERTIES and child.get(_DISPLAY) == "false":
                    hidden_styles.add(element.get(_STYLE_NAME, ""))
        elif element.tag == f"{{{table_ns}}}table":
            name = element.get(f"{{{table_ns}}}name", "")
            formula_cells[name], extents[name], percent_cells[name] = _ods_cells(element, table_ns)
            height, width, _ = extents[name]
            if height <= MAX_ROWS and width <= MAX_COLS:
                xml_rows[name] = _ods_values(element, table_ns, height, width)
            hidden = element.get(f"{{{table_ns}}}style-name", "") in hidden_styles
            visibility[name] = "hidden" if hidden else "visible"
            element.clear()
    # calamine expands repeated cells of every table on opening: a crafted repeat must stop here
    for name, (height, width, farthest) in extents.items():
        if height > MAX_ROWS or width > MAX_COLS:
            raise XlkpiError(problem("cell-outside-form", file=file, sheet=name, cell=farthest, rows=MAX_ROWS,
                                     columns=column_letter(MAX_COLS - 1)))
    try:
        book = _open_calamine(data, file)
        source = SourceWorkbook(file, "ods", _visibility(book), _book=book)
    except XlkpiError as exc:
        if exc.problems[0].code != "file-corrupt":
            raise
        # calamine refuses valid ODS written otherwise than LibreOffice writes it (Gnumeric indents
        # content.xml): the values parsed from the XML above are the sheets
        source = SourceWorkbook(file, "ods", visibility)
        source._rows = xml_rows
        source.read_by.update({name: "xml" for name in xml_rows})
    source.has_macros = any(n.startswith("Basic/") and n.endswith(".xml") and "script" not in n for n in names)
    source.properties, source.saved_at = properties, saved_at
    source.read_by["identity"] = "xml"
    source.defined_names, source.formula_cells, source._extents = defined_names, formula_cells, extents
    source._percent_cells = percent_cells
    return source


def _ods_cells(table: ElementTree.Element, ns: str
               ) -> tuple[set[tuple[int, int]], tuple[int, int, str], set[tuple[int, int]]]:
    """The cells holding formulas (at most MAX_CELLS), the extent of the cells with content, and the cells
    whose value is a percentage ("95%" typed: office:value 0.95, value-type percentage)."""
    cells: set[tuple[int, int]] = set()
    percent: set[tuple[int, int]] = set()
    height = width = 0
    farthest = ""
    value_type = f"{{{_OFFICE}}}value-type"
    for cell, row_index, rows_repeated, col, repeated in _ods_walk(table, ns):
        has_formula = cell.get(f"{{{ns}}}formula") is not None
        if has_formula or cell.get(value_type) is not None or len(cell):
            bottom, right = row_index + rows_repeated, col + repeated
            if bottom > height or right > width:
                height, width = max(height, bottom), max(width, right)
                if bottom > MAX_ROWS or right > MAX_COLS:
                    farthest = f"{column_letter(min(right, 16384) - 1)}{bottom}"
            if cell.get(value_type) == "percentage" and len(percent) < MAX_CELLS:
                percent.update(_spanned(row_index, rows_repeated, col, repeated, MAX_ROWS, MAX_COLS))
            if has_formula and len(cells) < MAX_CELLS:
                cells.update(_spanned(row_index, rows_repeated, col, repeated, MAX_ROWS, MAX_COLS))
    return cells, (height, width, farthest), percent


def _ods_walk(table: ElementTree.Element, ns: str):
    """Each cell of a table with where it stands and how far it repeats: (cell, row, rows repeated, column,
    columns repeated)."""
    row_index = 0
    cell_tags = (f"{{{ns}}}table-cell", f"{{{ns}}}covered-table-cell")
    for row in table.iter(f"{{{ns}}}table-row"):
        rows_repeated = _repeat(row.get(f"{{{ns}}}number-rows-repeated"))
        col = 0
        for cell in row:
            if cell.tag not in cell_tags:
                continue
            repeated = _repeat(cell.get(f"{{{ns}}}number-columns-repeated"))
            yield cell, row_index, rows_repeated, col, repeated
            col += repeated
        row_index += rows_repeated


def _spanned(row: int, rows: int, col: int, cols: int, height: int, width: int):
    """The (row, column) pairs a repeated cell covers, within height × width."""
    return ((r, c) for r in range(row, min(row + rows, height)) for c in range(col, min(col + cols, width)))


_OFFICE = _ODS["office"]
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_STYLE, _STYLE_NAME = f"{{{_STYLE_NS}}}style", f"{{{_STYLE_NS}}}name"
_STYLE_TABLE_PROPERTIES, _DISPLAY = f"{{{_STYLE_NS}}}table-properties", f"{{{_ODS['table']}}}display"


def _ods_values(table: ElementTree.Element, ns: str, height: int, width: int) -> list[list[Any]]:
    """A table's values read from its XML, as calamine gives them: numbers as float (a percentage as
    PercentValue), dates as datetime, booleans, texts (paragraphs joined by newlines), "" when empty."""
    rows = [[""] * width for _ in range(height)]
    for cell, row_index, rows_repeated, col, repeated in _ods_walk(table, ns):
        value = _ods_value(cell)
        if value != "":
            for r, c in _spanned(row_index, rows_repeated, col, repeated, height, width):
                rows[r][c] = value
    return rows


def _ods_value(cell: ElementTree.Element) -> Any:
    kind = cell.get(f"{{{_OFFICE}}}value-type")
    if kind in ("float", "percentage", "currency"):
        try:
            number = float(cell.get(f"{{{_OFFICE}}}value", ""))
        except ValueError:
            return _ods_text(cell)
        return PercentValue(number) if kind == "percentage" else number
    if kind == "date":
        return _parse_time(cell.get(f"{{{_OFFICE}}}date-value", "")) or _ods_text(cell)
    if kind == "boolean":
        return cell.get(f"{{{_OFFICE}}}boolean-value", "").lower() == "true"
    return _ods_text(cell)


def _ods_text(cell: ElementTree.Element) -> str:
    """A cell's text: its paragraphs joined by newlines, spaces (text:s), tabs and line breaks kept."""
    def text_of(element: ElementTree.Element) -> str:
        parts = [element.text or ""]
        for child in element:
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "s":
                parts.append(" " * _repeat(child.get(f"{{{_TEXT_NS}}}c")))
            elif tag == "tab":
                parts.append("\t")
            elif tag == "line-break":
                parts.append("\n")
            elif tag != "annotation":
                parts.append(text_of(child))
            parts.append(child.tail or "")
        return "".join(parts)

    paragraphs = [text_of(child) for child in cell if child.tag == f"{{{_TEXT_NS}}}p"]
    return "\n".join(paragraphs)


def _repeat(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1 << 24))
    except ValueError:
        return 1
