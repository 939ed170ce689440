"""The layout of a unit's data-entry sheet ("Nhập liệu"): which row holds which indicator and which
cells the unit fills in.  Generate writes by it and collect reads by it, so both agree by construction.

The layout is part of a form's identity: every workbook says which form version it is (the identity's
``format``), and collect reads each return by the layout of its own version, so the forms an office sent
out before an upgrade keep being collected after it.  Generate writes :data:`FORM_VERSION`.

Version 2 (the one-row form; the "(1) (2) …" row under the header numbers the columns):

===  ====================================  ==========================================================
col  header                                content
===  ====================================  ==========================================================
A    STT                                   the indicator's printed number (or the section's)
B    Chỉ tiêu                              the indicator's name                          (locked)
C    Đơn vị tính                           unit of measure                               (locked)
D    Chỉ tiêu năm Y                        the unit's target text for the year           (locked)
E    Số liệu cần nhập                      what to enter: "Tử số (a): …" / "Mẫu số (b): …" (locked)
F    Số liệu của đơn vị › Tử số, số liệu   **input**: numerator, or the value (F:G merged)
G    Số liệu của đơn vị › Mẫu số           **input**: denominator
H    Kết quả                               computed (formula): the rate, value or answer
I    Đánh giá                              computed (formula): Đạt / Chưa đạt / Không phát sinh
J    Giải trình (bắt buộc khi chưa đạt)    **input**: explanation
K    Văn bản, tài liệu kiểm chứng          **input**: evidence (document number, date)
===  ====================================  ==========================================================

Every indicator takes one row; a text answer spans F:I (it has no result or judgement).

Version 1 (xlkpi 0.1, read only): columns A–J as above without G (one input column F, result G,
judgement H, explanation I, evidence J); a rate took two rows (numerator, denominator — or the other way
round, with the plan's own letters, when its measure says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xlkpi.plan.model import Indicator, Plan, Section, YearTarget
from xlkpi.plan.targets import Rule
from xlkpi.common.text import column_letter

SHEET = "Nhập liệu"
#: the choices of a yes/no indicator, as the form offers them and the collector reads them
YES, NO = "Có", "Không"
GUIDE_SHEET = "Hướng dẫn"

#: The form version generate writes, and every version collect reads.
FORM_VERSION = "2"
FORM_VERSIONS = ("1", "2")

#: Roles of the cells a unit fills in.
NUMERATOR, DENOMINATOR, VALUE, EXPLANATION, EVIDENCE = "numerator", "denominator", "value", "explanation", "evidence"

# Columns the same in every version
COL_NUMBER, COL_NAME, COL_UNIT, COL_TARGET, COL_LABEL = 0, 1, 2, 3, 4
# Version 2
COL_NUMERATOR, COL_DENOMINATOR, COL_RESULT, COL_JUDGEMENT, COL_EXPLANATION, COL_EVIDENCE = 5, 6, 7, 8, 9, 10
COL_VALUE = COL_NUMERATOR
LAST_COL = COL_EVIDENCE

TITLE_ROW = 0
UNIT_ROW = 3  # "Đơn vị báo cáo: … (mã: …)": the first row the collector reads
HEADER_ROWS = (7, 8)  # "Số liệu của đơn vị" over "Tử số, số liệu" | "Mẫu số"; the other headers span both
NUMBER_ROW = 9
FIRST_ROW = 10


@dataclass(frozen=True)
class Grid:
    """Where one form version puts an indicator's cells."""

    version: str
    first_row: int
    #: role -> column of each input; a rate's second input on the row below in version 1
    columns: dict[str, int]
    result: int
    judgement: int
    two_row_rates: bool = False


GRIDS = {
    "1": Grid("1", 9, {NUMERATOR: 5, DENOMINATOR: 5, VALUE: 5, EXPLANATION: 8, EVIDENCE: 9}, 6, 7, two_row_rates=True),
    "2": Grid("2", FIRST_ROW, {NUMERATOR: COL_NUMERATOR, DENOMINATOR: COL_DENOMINATOR, VALUE: COL_VALUE,
                               EXPLANATION: COL_EXPLANATION, EVIDENCE: COL_EVIDENCE}, COL_RESULT, COL_JUDGEMENT),
}

#: The columns the collector reads in any version (locked number, name and target; the inputs).
READ_COLUMNS = frozenset({COL_NUMBER, COL_NAME, COL_TARGET}
                         | {col for grid in GRIDS.values() for col in grid.columns.values()})

#: The longest text a unit may type (characters): the form's validation, its sizing and collect's check agree.
TEXT_LIMIT, EXPLANATION_LIMIT, EVIDENCE_LIMIT = 2000, 1000, 500
#: The largest number a unit may enter: the form's "Số liệu sai" and collect's number-too-large agree.
NUMBER_LIMIT = 1_000_000_000

def cell_name(row: int, col: int) -> str:
    """(9, 5) -> "F10" (zero-based row and column, as xlsxwriter counts)."""
    return f"{column_letter(col)}{row + 1}"


@dataclass(frozen=True)
class Block:
    """One indicator's rows in the sheet."""

    indicator: Indicator
    target_text: str
    rule: Rule | None
    first_row: int
    #: role -> (row, col) of each input cell
    inputs: dict[str, tuple[int, int]]
    grid: Grid = GRIDS[FORM_VERSION]

    @property
    def last_row(self) -> int:
        return max(row for row, _ in self.inputs.values())

    @property
    def result_cell(self) -> tuple[int, int]:
        return self.first_row, self.grid.result

    @property
    def judgement_cell(self) -> tuple[int, int]:
        return self.first_row, self.grid.judgement


@dataclass(frozen=True)
class SectionRow:
    section: Section
    row: int


@dataclass
class FormLayout:
    plan: Plan
    level: str
    year: int
    target_header: str
    items: list[Block | SectionRow] = field(default_factory=list)
    version: str = FORM_VERSION

    @property
    def blocks(self) -> list[Block]:
        return [item for item in self.items if isinstance(item, Block)]

    @property
    def last_row(self) -> int:
        last = self.items[-1] if self.items else None
        if isinstance(last, Block):
            return last.last_row
        return last.row if last else GRIDS[self.version].first_row - 1

    @property
    def input_cells(self) -> list[tuple[str, str, int, int]]:
        """(indicator id, role, row, col) of every cell the unit may fill, in sheet order."""
        return [(b.indicator.id, role, r, c) for b in self.blocks for role, (r, c) in b.inputs.items()]


def unit_target(indicator: Indicator, year: int, level: str, unit_code: str | None = None) -> tuple[str, Rule | None]:
    """The target text and rule that apply to one unit (its own, else its level's, else the general)."""
    target: YearTarget | None = indicator.targets.get(year)
    if target is None:
        return "", None
    chosen = target.for_unit(level, unit_code)
    rule = chosen.effective_rule if indicator.measure.kind != "text" else None
    return chosen.text or "", rule


def target_header(plan: Plan, year: int) -> str:
    for column in plan.columns:
        if column.shows == "target" and column.year == year:
            return column.header
    return f"Chỉ tiêu năm {year}"


def units_with_own_targets(plan: Plan, year: int) -> frozenset[str]:
    """The codes of the units the plan gives targets of their own for ``year`` (their forms are their own)."""
    return frozenset(code for indicator in plan.all_indicators
                     for target in (indicator.targets.get(year),) if target is not None for code in target.by_unit)


def own_targets(plan: Plan, year: int, unit_code: str) -> str | None:
    """The unit's code when the plan gives it targets of its own for ``year`` (so its form is its own),
    else None (its form is its level's).  Callers that ask for many units keep units_with_own_targets()."""
    return unit_code if unit_code in units_with_own_targets(plan, year) else None


def layout(plan: Plan, level: str, year: int, unit_code: str | None = None, version: str = FORM_VERSION
           ) -> FormLayout:
    """The rows of the data-entry sheet for a unit of ``level`` (and its own targets, if any), as form
    ``version`` lays them out (one of :data:`FORM_VERSIONS`)."""
    grid = GRIDS[version]
    form = FormLayout(plan, level, year, target_header(plan, year), version=version)
    row = grid.first_row
    current: Section | None = None
    columns = grid.columns
    for section, indicator in plan.iter_indicators():
        if level not in indicator.levels:
            continue
        if section is not None and section is not current:
            current = section
            form.items.append(SectionRow(section, row))
            row += 1
        text, rule = unit_target(indicator, year, level, unit_code)
        measure = indicator.measure
        if measure.kind == "rate" and grid.two_row_rates:
            first, second = (DENOMINATOR, NUMERATOR) if measure.denominator_first else (NUMERATOR, DENOMINATOR)
            inputs = {first: (row, columns[first]), second: (row + 1, columns[second])}
        elif measure.kind == "rate":
            inputs = {NUMERATOR: (row, columns[NUMERATOR]), DENOMINATOR: (row, columns[DENOMINATOR])}
        else:
            inputs = {VALUE: (row, columns[VALUE])}
        inputs[EXPLANATION] = (row, columns[EXPLANATION])
        inputs[EVIDENCE] = (row, columns[EVIDENCE])
        block = Block(indicator, text, rule, row, inputs, grid)
        form.items.append(block)
        row = block.last_row + 1
    return form


def cell_roles(form: FormLayout) -> dict[str, tuple[str, str]]:
    """cell name -> (indicator id, role) of every input, and (indicator id, "") of each indicator's locked
    cells (columns the same in every version): how a cell of one version's form is found in another's (a feedback copy is always written in
    the current version, whatever version the unit returned)."""
    roles: dict[str, tuple[str, str]] = {}
    for block in form.blocks:
        for col in (COL_NUMBER, COL_NAME, COL_UNIT, COL_TARGET, COL_LABEL):
            roles[cell_name(block.first_row, col)] = (block.indicator.id, f"column {col}")
        for role, (row, col) in block.inputs.items():
            roles[cell_name(row, col)] = (block.indicator.id, role)
    return roles


def translate_cells(source: FormLayout, target: FormLayout) -> dict[str, str]:
    """cell name in ``source`` -> the cell of the same indicator and role in ``target`` (cells outside the
    indicators' rows, such as the unit line, are where they were)."""
    wanted = {value: cell for cell, value in cell_roles(target).items()}
    return {cell: wanted[value] for cell, value in cell_roles(source).items() if value in wanted}
