"""ods (LibreOffice, Gnumeric): content.xml and meta.xml parsed as XML, cell values by calamine."""

from __future__ import annotations

import io
from xml.etree import ElementTree

from xlkpi.collect.readers.archive import _Archive
from xlkpi.collect.readers.source import (MAX_CELLS, MAX_COLS, MAX_ROWS, SourceWorkbook, _open_calamine, _parse_time,
    _string_constant, _visibility)
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
    for event, element in ElementTree.iterparse(io.BytesIO(archive.read("content.xml")), events=("end",)):
        if element.tag == f"{{{table_ns}}}named-expression":
            defined_names[element.get(f"{{{table_ns}}}name", "")] = _string_constant(
                element.get(f"{{{table_ns}}}expression", ""))
        elif element.tag == f"{{{table_ns}}}table":
            name = element.get(f"{{{table_ns}}}name", "")
            formula_cells[name], extents[name], percent_cells[name] = _ods_cells(element, table_ns)
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
                if cell.get(value_type) == "percentage" and len(percent) < MAX_CELLS:
                    percent.update((r, c) for r in range(row_index, min(row_index + rows_repeated, MAX_ROWS))
                                   for c in range(col, min(col + repeated, MAX_COLS)))
                if has_formula and len(cells) < MAX_CELLS:
                    for r in range(row_index, min(row_index + rows_repeated, MAX_ROWS)):
                        for c in range(col, min(col + repeated, MAX_COLS)):
                            cells.add((r, c))
            col += repeated
        row_index += rows_repeated
    return cells, (height, width, farthest), percent


def _repeat(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1 << 24))
    except ValueError:
        return 1
