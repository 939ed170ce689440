"""The layout of a unit's data-entry sheet ("Nhập liệu"): which row holds which indicator and which
cells the unit fills in.  Generate writes by it and collect reads by it, so both agree by construction.

Columns (the "(1) (2) …" row under the header numbers them):

===  ====================================  ==========================================================
col  header                                content
===  ====================================  ==========================================================
A    STT                                   the indicator's printed number (or the section's)
B    Chỉ tiêu                              the indicator's name                          (locked)
C    Đơn vị tính                           unit of measure                               (locked)
D    Chỉ tiêu năm Y                        the unit's target text for the year           (locked)
E    Nội dung số liệu                      what to enter: "(a) numerator label" …         (locked)
F    Số liệu của đơn vị                    **input**: numerator / denominator / value
G    Kết quả                               computed (formula): the rate, value or answer
H    Đánh giá                              computed (formula): Đạt / Chưa đạt / Không phát sinh
I    Giải trình (bắt buộc khi chưa đạt)    **input**: explanation
J    Văn bản, tài liệu kiểm chứng          **input**: evidence (document number, date)
===  ====================================  ==========================================================

A rate takes two rows (numerator, denominator — or the other way round, with the plan's own letters, when
its measure says so); every other measure one.
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

COL_NUMBER, COL_NAME, COL_UNIT, COL_TARGET, COL_LABEL = 0, 1, 2, 3, 4
COL_INPUT, COL_RESULT, COL_JUDGEMENT, COL_EXPLANATION, COL_EVIDENCE = 5, 6, 7, 8, 9
LAST_COL = COL_EVIDENCE

TITLE_ROW = 0
UNIT_ROW = 3  # "Đơn vị báo cáo: … (mã: …)": the first row the collector reads
HEADER_ROW = 7
NUMBER_ROW = 8
FIRST_ROW = 9

#: The columns the collector reads (locked number, name and target; the inputs).
READ_COLUMNS = frozenset({COL_NUMBER, COL_NAME, COL_TARGET, COL_INPUT, COL_EXPLANATION, COL_EVIDENCE})

#: The longest text a unit may type (characters): the form's validation, its sizing and collect's check agree.
TEXT_LIMIT, EXPLANATION_LIMIT, EVIDENCE_LIMIT = 2000, 1000, 500

#: Roles of the cells a unit fills in.
NUMERATOR, DENOMINATOR, VALUE, EXPLANATION, EVIDENCE = "numerator", "denominator", "value", "explanation", "evidence"


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

    @property
    def last_row(self) -> int:
        return self.first_row + (1 if self.indicator.measure.kind == "rate" else 0)

    @property
    def result_cell(self) -> tuple[int, int]:
        return self.first_row, COL_RESULT

    @property
    def judgement_cell(self) -> tuple[int, int]:
        return self.first_row, COL_JUDGEMENT


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

    @property
    def blocks(self) -> list[Block]:
        return [item for item in self.items if isinstance(item, Block)]

    @property
    def last_row(self) -> int:
        last = self.items[-1] if self.items else None
        if isinstance(last, Block):
            return last.last_row
        return last.row if last else FIRST_ROW - 1

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


def layout(plan: Plan, level: str, year: int, unit_code: str | None = None) -> FormLayout:
    """The rows of the data-entry sheet for a unit of ``level`` (and its own targets, if any)."""
    form = FormLayout(plan, level, year, target_header(plan, year))
    row = FIRST_ROW
    current: Section | None = None
    for section, indicator in plan.iter_indicators():
        if level not in indicator.levels:
            continue
        if section is not None and section is not current:
            current = section
            form.items.append(SectionRow(section, row))
            row += 1
        text, rule = unit_target(indicator, year, level, unit_code)
        if indicator.measure.kind == "rate" and indicator.measure.denominator_first:
            inputs = {DENOMINATOR: (row, COL_INPUT), NUMERATOR: (row + 1, COL_INPUT)}
        elif indicator.measure.kind == "rate":
            inputs = {NUMERATOR: (row, COL_INPUT), DENOMINATOR: (row + 1, COL_INPUT)}
        else:
            inputs = {VALUE: (row, COL_INPUT)}
        inputs[EXPLANATION] = (row, COL_EXPLANATION)
        inputs[EVIDENCE] = (row, COL_EVIDENCE)
        block = Block(indicator, text, rule, row, inputs)
        form.items.append(block)
        row = block.last_row + 1
    return form
