"""A returned workbook as read (:class:`SourceWorkbook`), the limits every reader keeps, and what the readers share."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import python_calamine

from xlkpi.common.compression import ERRORS as COMPRESSION_ERRORS
from xlkpi.common.text import column_letter
from xlkpi.problems import XlkpiError, exception_detail, problem

if TYPE_CHECKING:
    from xlkpi.collect.readers.xlsx import CellSet

MAX_FILE_BYTES = 20 * 1024 * 1024
#: pictures and embedded files (a pasted screenshot) may add this much: they are never read
MAX_MEDIA_BYTES = 80 * 1024 * 1024
#: the parts of a workbook that hold pictures and embedded files
MEDIA_FOLDERS = ("xl/media/", "xl/embeddings/", "Pictures/", "Object ")
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_RATIO = 200  # uncompressed / compressed, for parts larger than 1 MB
MAX_CELLS = 200_000  # per sheet read
#: a cell with content beyond these, on a sheet the collector reads, is the file's problem (forms are far smaller)
MAX_ROWS, MAX_COLS = 5000, 200

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".xltx", ".xlt", ".ots"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


class PercentValue(float):
    """A number its cell shows as a percentage: "95%" typed into a cell is stored as 0.95 with a percent
    format. The value is as stored (0.95); :func:`xlkpi.collect.numbers.read_number` reads it as 95 where a
    percentage is asked and refuses it where a count is."""

    @property
    def shown(self) -> str:
        """The number as its cell shows it, as typed: "95%"."""
        return f"{round(self * 100, 9):g}%"


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
    #: how each thing was read, for the tests and for a person asking why: "identity" -> "direct" (patterns over
    #: the parts' bytes), "xml" (parsed as XML) or "records" (xls); a sheet's name -> "cells" (only the form's
    #: cells, by pattern), "direct" (the whole sheet, by pattern) or "calamine"
    read_by: dict[str, str] = field(default_factory=dict)
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
    _extent_of: Any = None
    #: ods: sheet name -> the cells whose value is a percentage (calamine gives the bare number)
    _percent_cells: dict[str, set[tuple[int, int]]] = field(default_factory=dict)  # xlsx: sheet name -> its extent, computed on demand

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
                self.read_by[sheet] = "cells"
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
            self._rows[sheet], self.formula_cells[sheet], self.read_by[sheet] = self._sheet_readers[sheet](
                columns, first_row)
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
            for row, col in self._percent_cells.get(sheet, ()):  # ods: cells of value-type "percentage"
                if row < len(self._rows[sheet]) and col < len(self._rows[sheet][row]):
                    value = self._rows[sheet][row][col]
                    if type(value) is float:
                        self._rows[sheet][row][col] = PercentValue(value)
            self.read_by[sheet] = "calamine"
        except python_calamine.CalamineError as exc:
            raise XlkpiError(problem("file-corrupt", file=self.file, sheet=sheet, detail=exception_detail(exc))) from exc

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None
        self._sheet_readers.clear()
        self._cell_readers.clear()


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


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _string_constant(formula: str) -> str:
    """'"03388"' or '="03388"' -> '03388' (the defined names xlkpi writes are string constants)."""
    text = formula.strip()
    if text.startswith("of:"):
        text = text[3:]
    text = text.lstrip("=")
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text
