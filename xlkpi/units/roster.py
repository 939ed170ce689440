"""Rosters: the reporting units, as a tree of any depth.

A roster is a CSV or XLSX table with one row per unit and these columns (headers in English or
Vietnamese, any order, compared without diacritics or case):

=========  ==============================================  ========
column     accepted headers                                required
=========  ==============================================  ========
code       code, mã, mã đơn vị, mã đvhc                     yes
name       name, tên, tên đơn vị                            yes
level      level, cấp                                       yes
parent     parent, mã cấp trên, đơn vị cấp trên             no
contact    contact, liên hệ, email                          no
=========  ==============================================  ========

A header may carry the other language in parentheses ("Mã đơn vị (code)").  :func:`read_roster`
returns the roster and a report of every problem, each with its row and cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlkpi.common.files import atomic_output
from xlkpi.problems import Problem, Report, XlkpiError, problem
from xlkpi.common.text import cell_text, column_letter, csv_safe, csv_unsafe, decode_edited, fold

if TYPE_CHECKING:
    from xlkpi.plan.model import Plan

COLUMNS = ("code", "name", "level", "parent", "contact")
REQUIRED = ("code", "name", "level")
HEADERS_VI = {
    "code": "Mã đơn vị",
    "name": "Tên đơn vị",
    "level": "Cấp",
    "parent": "Mã cấp trên",
    "contact": "Liên hệ",
}
_ALIASES = {
    "code": {"code", "ma", "ma don vi", "ma dvhc", "unit code"},
    "name": {"name", "ten", "ten don vi", "unit name"},
    "level": {"level", "cap", "cap don vi"},
    "parent": {"parent", "parent code", "parent_code", "ma cap tren", "ma don vi cap tren", "don vi cap tren"},
    "contact": {"contact", "lien he", "email", "thong tin lien he"},
}


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None = None
    contact: str = ""
    #: Row in the source file (1-based, header included), for messages.
    row: int | None = field(default=None, compare=False)


@dataclass
class Roster:
    units: list[Unit]
    source: str | None = None

    def __post_init__(self) -> None:
        self._by_code = {unit.code: unit for unit in self.units}
        # parent code -> its units, in roster order; units whose parent is not in the roster are roots (None)
        self._children: dict[str | None, list[Unit]] = {}
        for unit in self.units:
            self._children.setdefault(unit.parent if unit.parent in self._by_code else None, []).append(unit)

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Unit:
        return self._by_code[code]

    def children(self, code: str | None) -> list[Unit]:
        """The units directly under ``code`` (None: the roots), in roster order."""
        return list(self._children.get(code, []))

    @property
    def roots(self) -> list[Unit]:
        return self.children(None)

    def descendants(self, code: str) -> list[Unit]:
        """Every unit below ``code``, at any depth (a cycle is not followed twice)."""
        found: list[Unit] = []
        seen = {code}
        stack = [code]
        while stack:
            for child in self._children.get(stack.pop(), []):
                if child.code not in seen:
                    seen.add(child.code)
                    found.append(child)
                    stack.append(child.code)
        return found

    def ancestors(self, code: str) -> list[Unit]:
        """The chain of parents of a unit, nearest first (stops at a cycle)."""
        chain: list[Unit] = []
        seen = {code}
        parent = self._by_code[code].parent
        while parent and parent in self._by_code and parent not in seen:
            seen.add(parent)
            chain.append(self._by_code[parent])
            parent = self._by_code[parent].parent
        return chain

    @property
    def levels(self) -> list[str]:
        return list(dict.fromkeys(unit.level for unit in self.units))

    def count_by_level(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for unit in self.units:
            counts[unit.level] = counts.get(unit.level, 0) + 1
        return counts

    def check(self, plan: Plan | None = None) -> Report:
        return Report(list(check_units(self.units, self.source, plan)), stats=self.stats())

    def stats(self) -> dict[str, Any]:
        return {"file": self.source, "units": len(self.units), "levels": self.count_by_level()}

    def write(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the roster as CSV (UTF-8 with BOM, so Excel shows Vietnamese) or XLSX, by extension."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise XlkpiError(problem("file-format", file=str(path), detail=suffix or "không có đuôi",
                                     expected=".csv hoặc .xlsx"))
        with atomic_output(path, force=force) as temp:
            if suffix == ".csv":
                temp.write_text(self.to_csv(), encoding="utf-8-sig", newline="")
            else:
                self._write_xlsx(temp)
        return path

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for unit in self.units:
            writer.writerow([csv_safe(v) for v in (unit.code, unit.name, unit.level, unit.parent or "", unit.contact)])
        return buffer.getvalue()

    def _write_xlsx(self, path: Path) -> None:
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
        try:
            sheet = workbook.add_worksheet("Đơn vị")
            head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_name": "Times New Roman"})
            text = workbook.add_format({"num_format": "@", "font_name": "Times New Roman"})
            for col, key in enumerate(COLUMNS):
                sheet.write_string(0, col, f"{HEADERS_VI[key]} ({key})", head)
            for row, unit in enumerate(self.units, start=1):
                for col, value in enumerate((unit.code, unit.name, unit.level, unit.parent or "", unit.contact)):
                    sheet.write_string(row, col, value, text)
            for col, width in enumerate((14, 36, 10, 16, 30)):
                sheet.set_column(col, col, width, text)
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, len(self.units), len(COLUMNS) - 1)
        finally:
            workbook.close()


# -- reading -------------------------------------------------------------------------------------------


def _column_for(header: Any) -> str | None:
    text = fold(str(header or ""))
    candidates = {text, re.sub(r"\s*\(.*?\)\s*", " ", text).strip()}
    candidates |= {inner.strip() for inner in re.findall(r"\((.*?)\)", text)}
    for key, aliases in _ALIASES.items():
        if candidates & aliases:
            return key
    return None


def _read_rows(path: Path) -> tuple[list[list[Any]], str | None]:
    """The rows of a CSV or of the first sheet of an XLSX, and the sheet name (None for CSV)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # "CSV" saved by Excel on a Vietnamese Windows is Windows-1258; "Unicode text" is UTF-16
        text, _ = decode_edited(path.read_bytes())
        first_line = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first_line.count)
        return [[csv_unsafe(cell) for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)], None
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return [list(row) for row in sheet.iter_rows(values_only=True)], sheet.title
        finally:
            workbook.close()
    raise XlkpiError(problem("file-format", file=str(path), detail=suffix or "không có đuôi",
                             expected=".csv hoặc .xlsx"))


def read_roster(path: str | Path, plan: Plan | None = None) -> tuple[Roster, Report]:
    """Read a roster file and check it (against ``plan`` when given)."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        return Roster([], file), Report([problem("file-not-found", file=file)])
    try:
        rows, sheet = _read_rows(path)
    except XlkpiError as exc:
        return Roster([], file), Report(exc.problems)
    except Exception as exc:  # a damaged workbook or CSV: say so, never a traceback
        return Roster([], file), Report([problem("file-unreadable", file=file, detail=str(exc) or type(exc).__name__)])

    problems: list[Problem] = []
    header_index = next((i for i, row in enumerate(rows) if any(cell_text(v) for v in row)), None)
    if header_index is None:
        return Roster([], file), Report([problem("roster-empty", file=file, sheet=sheet)])
    header = rows[header_index]
    positions: dict[str, int] = {}
    for col, value in enumerate(header):
        key = _column_for(value)
        if key and key not in positions:
            positions[key] = col
        elif cell_text(value):
            problems.append(problem("roster-unknown-column", file=file, sheet=sheet,
                                    cell=f"{column_letter(col)}{header_index + 1}", column=cell_text(value)))
    missing = [key for key in REQUIRED if key not in positions]
    for key in missing:
        names = ", ".join(sorted(_ALIASES[key]))
        problems.append(problem("roster-missing-column", file=file, sheet=sheet, row=header_index + 1,
                                column=key, names=names))
    if missing:
        return Roster([], file), Report(problems)

    units: list[Unit] = []
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        values = {key: cell_text(row[col]) if col < len(row) else "" for key, col in positions.items()}
        if not any(values.values()):
            continue
        row_number = index + 1
        empty = [key for key in REQUIRED if not values[key]]
        for key in empty:
            problems.append(problem("roster-missing-value", file=file, sheet=sheet,
                                    cell=f"{column_letter(positions[key])}{row_number}", row=row_number,
                                    column=HEADERS_VI[key]))
        if empty:
            continue
        units.append(Unit(values["code"], values["name"], values["level"], values.get("parent") or None,
                          values.get("contact", ""), row_number))
    if not units and not problems:
        problems.append(problem("roster-empty", file=file, sheet=sheet))
    roster = Roster(units, file)
    report = Report(problems, stats=roster.stats())
    report.extend(check_units(units, file, plan, sheet=sheet, cells={k: column_letter(c) for k, c in positions.items()}))
    return roster, report


def load_roster(path: str | Path, plan: Plan | None = None) -> Roster:
    roster, report = read_roster(path, plan)
    if not report.valid:
        raise XlkpiError(report.errors)
    return roster


# -- checks --------------------------------------------------------------------------------------------

MAX_CODE_LENGTH = 40
_FORBIDDEN_IN_CODE = set('/\\:*?"<>|')


def code_fault(code: str) -> tuple[str, str] | None:
    """Why a unit code cannot be used (it names files, ledger rows and identities), in Vietnamese and
    English, or None."""
    if (len(code) <= MAX_CODE_LENGTH and code.isprintable() and _FORBIDDEN_IN_CODE.isdisjoint(code)
            and code == code.strip() and not code.startswith(".")):
        return None  # the usual code, decided at once (a roster of the nation has 3,355)
    if len(code) > MAX_CODE_LENGTH:
        return f"dài {len(code)} ký tự, tối đa {MAX_CODE_LENGTH}", f"{len(code)} characters long, at most {MAX_CODE_LENGTH}"
    if not code.isprintable():
        return "có ký tự điều khiển hoặc không in được", "it holds control or unprintable characters"
    bad = " ".join(sorted(_FORBIDDEN_IN_CODE & set(code)))
    if bad:
        return f"có ký tự {bad}", f"it holds {bad}"
    if code != code.strip() or code.startswith("."):
        return "bắt đầu hoặc kết thúc bằng khoảng trắng hoặc dấu chấm", "it starts or ends with a space or a dot"
    return None


def _shown(code: str) -> str:
    return code.encode("unicode_escape").decode("ascii")[:60]



def check_units(
    units: Iterable[Unit],
    file: str | None,
    plan: Plan | None = None,
    *,
    sheet: str | None = None,
    cells: dict[str, str] | None = None,
) -> Iterator[Problem]:
    """Unique codes, existing parents, no cycles, and (with a plan) levels the plan knows."""
    units = list(units)
    cells = cells or {}

    def at(kind: str, unit: Unit, column: str, **context: Any) -> Problem:
        cell = f"{cells[column]}{unit.row}" if column in cells and unit.row else None
        return problem(kind, file=file, sheet=sheet, cell=cell, row=unit.row, **context)

    for unit in units:
        for column, value in (("code", unit.code), ("parent", unit.parent or "")):
            fault = code_fault(value) if value else None
            if fault:
                yield at("roster-bad-code", unit, column, code=_shown(value), detail=fault[0], detail_en=fault[1])
    first: dict[str, Unit] = {}
    for unit in units:
        if unit.code in first:
            yield at("roster-duplicate-code", unit, "code", code=unit.code, first_row=first[unit.code].row or "?")
        else:
            first[unit.code] = unit
    for unit in units:
        if unit.parent and unit.parent not in first:
            yield at("roster-unknown-parent", unit, "parent", parent=unit.parent)
    reported: set[str] = set()
    for unit in units:
        chain = [unit.code]
        parent = unit.parent
        while parent and parent in first:
            if parent in chain:
                cycle = chain[chain.index(parent):] + [parent]
                key = min(cycle)
                if key not in reported:
                    reported.add(key)
                    yield at("roster-cycle", first[parent], "parent", cycle=" → ".join(cycle))
                break
            chain.append(parent)
            parent = first[parent].parent
    if plan is not None:
        known = plan.level_ids
        for unit in units:
            if unit.level not in known:
                yield at("roster-unknown-level", unit, "level", level=unit.level, plan=plan.id,
                         known=", ".join(known))
