"""Writing a unit's data-entry workbook with XlsxWriter.

The workbook has three sheets: "Nhập liệu" (the form, see :mod:`xlkpi.forms.layout`), "Hướng dẫn" (how to fill
it in) and a very hidden "xlkpi" sheet with the identity.  Everything but the
input cells is locked; the sheets and the workbook structure are protected with the campaign's password.

:func:`xlsxwriter_workbook` writes it with placeholder tokens instead of the unit's code, name and
digest; :mod:`xlkpi.forms.generate` turns that into a prototype once per level and stamps each unit's values
into it (:mod:`xlkpi.forms.stamp`).  A single workbook is made the same way, so there is one path.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import xlsxwriter

from xlkpi.forms import layout as F
from xlkpi.forms.layout import NO, YES, Block, FormLayout, SectionRow, cell_name
from xlkpi.forms.identity import FIELDS, HIDDEN_SHEET, NAME_PREFIX, PROPERTY_PREFIX, Identity
from xlkpi.campaign.periods import Period
from xlkpi.plan.targets import OP_SYMBOL, Rule, format_number

FONT = "Times New Roman"
INPUT_FILL = "#FFF2CC"
NOT_ARISEN = "Không phát sinh"
MET, NOT_MET, NOT_JUDGED = "Đạt", "Chưa đạt", "Chưa đánh giá"
#: what the result column shows instead of a result computed from figures that cannot be right; collect
#: refuses the same figures (result_formula, and still_wrong for a feedback copy's red marks)
WRONG_PREFIX = "Số liệu sai"
WRONG_NOT_NUMBER = f"{WRONG_PREFIX}: nhập số nguyên ≥ 0"
WRONG_PERCENT = f"{WRONG_PREFIX}: nhập số từ 0 đến 100"
WRONG_CHOICE = f"{WRONG_PREFIX}: chọn {YES} hoặc {NO}"
#: how a yes/no answer may be typed and still be read (collect compares without diacritics or case; so
#: does the form: a spreadsheet's "=" ignores case)
YES_SPELLINGS, NO_SPELLINGS = (YES, "Co"), (NO, "Khong")

#: (header, width) of each column of the form, A to K; the target column's header is the plan's own
#: ("Chỉ tiêu năm 2025"); F and G stand under one group header, "Số liệu của đơn vị"
COLUMNS = (
    ("STT", 5),
    ("Chỉ tiêu", 28),
    ("Đơn vị tính", 7),
    (None, 10),
    ("Số liệu cần nhập", 30),
    ("Tử số (hoặc số liệu)", 9),
    ("Mẫu số", 9),
    ("Kết quả", 10),
    ("Đánh giá", 10),
    ("Giải trình (bắt buộc khi chưa đạt)", 28),
    ("Văn bản, tài liệu kiểm chứng (số, ngày)", 14),
)
HEADERS = tuple(header for header, _ in COLUMNS)
WIDTHS = tuple(width for _, width in COLUMNS)
INPUT_GROUP = "Số liệu của đơn vị"
#: The lines every indicator's row holds at least, whatever its name: room for the usual explanation of three
#: lines.  A row is not of a fixed height: it grows as the clerk types a longer text (Excel and LibreOffice
#: fit a row to what is typed unless its height was set by hand).
MIN_LINES = 3
#: Inputs of long text, with their column and limit.
LONG_INPUTS = ((F.EXPLANATION, F.COL_EXPLANATION, F.EXPLANATION_LIMIT), (F.EVIDENCE, F.COL_EVIDENCE, F.EVIDENCE_LIMIT))


@dataclass(frozen=True)
class FormContext:
    """What every workbook of a campaign shares."""

    campaign: str
    period: Period
    convention: str
    deadline: date | None
    owner: str
    send_to: str
    password: str
    created: datetime


@dataclass(frozen=True)
class UnitText:
    """The unit-specific texts of a workbook (real values, or tokens in a prototype)."""

    code: str
    name: str
    digest: str
    #: the unit code as written inside a defined name's formula (quotes doubled)
    name_code: str = ""
    name_digest: str = ""


def _excel_password_hash(password: str) -> str:
    """The legacy 16-bit hash Excel stores for sheet and workbook protection passwords."""
    value = 0
    for index, char in enumerate(password, start=1):
        rotated = ord(char) << index
        value ^= (rotated & 0x7FFF) | (rotated >> 15 & 0x7FFF)
    value ^= len(password) ^ 0xCE4B
    return f"{value:X}"


def protect_structure(workbook_xml: bytes, password: str) -> bytes:
    """Add workbook structure protection (XlsxWriter has no API for it): no sheet can be added,
    deleted, renamed, moved or unhidden without the password."""
    element = f'<workbookProtection workbookPassword="{_excel_password_hash(password)}" lockStructure="1"/>'
    marker = b"<bookViews>"
    return workbook_xml.replace(marker, element.encode() + marker, 1)


def rows_grow(layout: FormLayout) -> Callable[[bytes], bytes]:
    """A patch of the form sheet: the indicators' rows keep their heights but not fixed ("customHeight"
    dropped), so Excel and LibreOffice show each row as tall as xlkpi made it and fit it to what the clerk
    types (a row whose height is fixed hides a longer explanation).  The title, header and section rows stay
    fixed: their texts are in merged cells, which a program does not fit a row to."""
    wanted = {b'<row r="%d" ' % (block.first_row + 1) for block in layout.blocks}

    def patch(sheet_xml: bytes) -> bytes:
        def unfix(match: re.Match[bytes]) -> bytes:
            row = match.group(0)
            return row.replace(b' customHeight="1"', b"") if row[:row.index(b" ", 5) + 1] in wanted else row
        return _ROW_TAG.sub(unfix, sheet_xml)

    return patch


_ROW_TAG = re.compile(rb"<row r=\"\d+\" [^>]*>")


def write_emphasised(sheet: Any, row: int, col: int, indicator: Any, text: str, cell: Any, italic_run: Any,
                     italic_cell: Any) -> bool:
    """Write an indicator's name or note with its italic passages as the original prints them (rich text;
    ``italic_cell`` when all of it is italic); False, writing nothing, when it has none."""
    pieces = indicator.segments(text) if indicator.emphasis and text else []
    if not any(italic for _, italic in pieces):
        return False
    if len(pieces) == 1:
        sheet.write_string(row, col, text, italic_cell)
        return True
    parts: list[Any] = []
    for piece, italic in pieces:
        parts += [italic_run, piece] if italic else [piece]
    sheet.write_rich_string(row, col, *parts, cell)
    return True


def wrong_order(measure: Any) -> str:
    """What the result cell says when the numerator exceeds the denominator, in the plan's letters."""
    return f"{WRONG_PREFIX}: {measure.a} lớn hơn {measure.b}"


def _whole_wrong(cell: str) -> str:
    """True when ``cell`` holds no whole number from 0 to the limit (collect: not-a-number, negative-number,
    not-whole-number, number-too-large). The number is tested only once it is one: INT of a text is an error,
    and OR passes an error on (a word typed for a number showed #VALUE! where "Số liệu sai" belongs)."""
    return (f"IF(ISNUMBER({cell}),OR({cell}<0,{cell}<>INT({cell}),{cell}>{F.NUMBER_LIMIT},{_shown_as_percent(cell)}),"
            "TRUE)")


def _shown_as_percent(cell: str) -> str:
    """True when ``cell`` shows its number as a percentage: "95%" typed is stored as 0.95 and the cell takes a
    percent format, which CELL("format") reports as "P0", "P2" … in Excel and LibreOffice alike (collect:
    readers.PercentValue). In a count it is wrong (collect: percent-sign)."""
    return f'LEFT(CELL("format",{cell}),1)="P"'


def _percentage(cell: str) -> str:
    """The percentage ``cell`` means: 95 typed, or "95%" typed (stored as 0.95), is 95."""
    return f"IF({_shown_as_percent(cell)},100*{cell},{cell})"


def _answer(cell: str, spellings: tuple[str, ...]) -> str:
    return "OR(" + ",".join(f'TRIM({cell})="{spelling}"' for spelling in spellings) + ")"


def judged_value(block: Block) -> str | None:
    """The spreadsheet expression of the number a rule judges, from the inputs as collect computes it
    (checks._read_block): 100·a/b for a rate, the percentage, the count, 100 for "Có" and 0 for "Không";
    rounded to 6 decimals as collect rounds.  None for a text answer (never judged)."""
    kind = block.indicator.measure.kind
    inputs = block.inputs
    if kind == "rate":
        a, b = cell_name(*inputs[F.NUMERATOR]), cell_name(*inputs[F.DENOMINATOR])
        return f"ROUND(100*{a}/{b},6)"
    if kind == "text":
        return None
    value = cell_name(*inputs[F.VALUE])
    if kind == "yesno":
        return f"IF({_answer(value, YES_SPELLINGS)},100,0)"
    if kind == "percent":
        return f"ROUND({_percentage(value)},6)"
    return f"ROUND({value},6)"


def result_formula(block: Block) -> str | None:
    """Column "Kết quả": the result, or why the figures cannot be right (the inputs collect refuses)."""
    kind = block.indicator.measure.kind
    inputs = block.inputs
    if kind == "rate":
        a, b = cell_name(*inputs[F.NUMERATOR]), cell_name(*inputs[F.DENOMINATOR])
        # figures that cannot be right show so, never as a rate judged "Đạt" (112,64% with (a) > (b))
        order = wrong_order(block.indicator.measure)
        return (f'=IF(OR({a}="",{b}=""),"",IF(OR({_whole_wrong(a)},{_whole_wrong(b)}),"{WRONG_NOT_NUMBER}",'
                f'IF({a}>{b},"{order}",IF({b}=0,"{NOT_ARISEN}",{a}/{b}))))')
    if kind == "text":
        return None
    value = cell_name(*inputs[F.VALUE])
    if kind == "percent":
        percentage = _percentage(value)
        return (f'=IF({value}="","",IF(IF(ISNUMBER({value}),OR({percentage}<0,{percentage}>100),TRUE),'
                f'"{WRONG_PERCENT}",{percentage}/100))')
    if kind == "count":
        return f'=IF({value}="","",IF({_whole_wrong(value)},"{WRONG_NOT_NUMBER}",{value}))'
    return (f'=IF(TRIM({value})="","",IF({_answer(value, YES_SPELLINGS)},"{YES}",'
            f'IF({_answer(value, NO_SPELLINGS)},"{NO}","{WRONG_CHOICE}")))')


def judgement_formula(block: Block) -> str | None:
    """Column "Đánh giá": the unit's result judged by the same rule object collect judges with
    (:meth:`Rule.excel` beside :meth:`Rule.met`)."""
    value = judged_value(block)
    if value is None:
        return None
    result = cell_name(*block.result_cell)
    rule: Rule | None = block.rule
    verdict = f'"{NOT_JUDGED}"' if rule is None else f'IF({rule.excel(value)},"{MET}","{NOT_MET}")'
    kind = block.indicator.measure.kind
    judged = f'OR({result}="{YES}",{result}="{NO}")' if kind == "yesno" else f"ISNUMBER({result})"
    return f'=IF({result}="","",IF({result}="{NOT_ARISEN}","{NOT_ARISEN}",IF({judged},{verdict},"")))'


def explanation_missing(block: Block) -> str:
    """True while the target is missed and no explanation is written (collect: explanation-missing)."""
    judgement = cell_name(*block.judgement_cell)
    explanation = cell_name(*block.inputs[F.EXPLANATION])
    return f'AND({judgement}="{NOT_MET}",LEN(TRIM({explanation}))=0)'


LINE_HEIGHT = 16.0  # points per line of 12-point Times New Roman


def lines_needed(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (a careful estimate: a
    row a little too tall prints fine; one too short hides text)."""
    per_line = max(1.0, width * 1.05 - 1)
    return max(1, sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n")))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _validation(title: str, message: str, error_title: str, error: str, **rule: Any) -> dict[str, Any]:
    """A data validation with Vietnamese prompt and error (Excel's limits: titles 32, texts 255)."""
    return {
        **rule,
        "input_title": _clip(title, 32),
        "input_message": _clip(message, 255),
        "error_title": _clip(error_title, 32),
        "error_message": _clip(error, 255),
        "error_type": "stop",
        "ignore_blank": True,
    }


def input_validations(block: Block) -> list[tuple[str, dict[str, Any]]]:
    """(cell, validation) for the inputs of one indicator."""
    measure = block.indicator.measure
    found: list[tuple[str, dict[str, Any]]] = []
    if measure.kind == "rate":
        a, b = cell_name(*block.inputs[F.NUMERATOR]), cell_name(*block.inputs[F.DENOMINATOR])
        na, nb = measure.a, measure.b
        found.append((a, _validation(
            f"Tử số {na}",
            f"{measure.numerator}. Nhập số nguyên không âm, không lớn hơn mẫu số {nb}.",
            "Tử số không hợp lệ",
            f"Tử số {na} phải là số nguyên ≥ 0 và không lớn hơn mẫu số {nb}. "
            f"Nếu trong kỳ không phát sinh, nhập 0 ở cả {na} và {nb}.",
            validate="custom",
            value=f'=AND(ISNUMBER({a}),{a}>=0,{a}=INT({a}),OR({b}="",{a}<={b}))',
        )))
        found.append((b, _validation(
            f"Mẫu số {nb}",
            f"{measure.denominator}. Nhập số nguyên không âm; nhập 0 nếu trong kỳ không phát sinh.",
            "Mẫu số không hợp lệ",
            f"Mẫu số {nb} phải là số nguyên ≥ 0 và không nhỏ hơn tử số {na}.",
            validate="custom",
            value=f'=AND(ISNUMBER({b}),{b}>=0,{b}=INT({b}),OR({a}="",{b}>={a}))',
        )))
    else:
        cell = cell_name(*block.inputs[F.VALUE])
        if measure.kind == "percent":
            found.append((cell, _validation(
                "Tỷ lệ (%)", "Nhập tỷ lệ phần trăm từ 0 đến 100, ví dụ 85,5 (không gõ dấu %).",
                "Tỷ lệ không hợp lệ", "Tỷ lệ phải là một số từ 0 đến 100.",
                validate="decimal", criteria="between", minimum=0, maximum=100,
            )))
        elif measure.kind == "count":
            found.append((cell, _validation(
                "Số lượng", "Nhập số nguyên không âm.",
                "Số lượng không hợp lệ", "Số lượng phải là số nguyên ≥ 0.",
                validate="integer", criteria=">=", value=0,
            )))
        elif measure.kind == "yesno":
            found.append((cell, _validation(
                "Có / Không", f"{measure.question} Chọn Có hoặc Không trong danh sách.",
                "Chỉ chọn Có hoặc Không", "Chỉ được chọn Có hoặc Không.",
                validate="list", source=[YES, NO],
            )))
        else:
            found.append((cell, _validation(
                "Nội dung", f"Nhập nội dung thực hiện (tối đa {F.TEXT_LIMIT} ký tự).",
                "Nội dung quá dài", f"Nội dung tối đa {F.TEXT_LIMIT} ký tự.",
                validate="length", criteria="<=", value=F.TEXT_LIMIT,
            )))
    found.append((cell_name(*block.inputs[F.EXPLANATION]), _validation(
        "Giải trình",
        "Bắt buộc khi chỉ tiêu chưa đạt: nêu rõ lý do và giải pháp khắc phục "
        f"(tối đa {F.EXPLANATION_LIMIT} ký tự).",
        "Giải trình quá dài", f"Giải trình tối đa {F.EXPLANATION_LIMIT} ký tự.",
        validate="length", criteria="<=", value=F.EXPLANATION_LIMIT,
    )))
    found.append((cell_name(*block.inputs[F.EVIDENCE]), _validation(
        "Tài liệu kiểm chứng",
        "Ghi số, ngày văn bản hoặc tài liệu kiểm chứng, ví dụ: Báo cáo số 12/BC-UBND ngày 14/10/2025.",
        "Nội dung quá dài", f"Tối đa {F.EVIDENCE_LIMIT} ký tự.",
        validate="length", criteria="<=", value=F.EVIDENCE_LIMIT,
    )))
    return found


def input_label(block: Block) -> list[str]:
    """Column E: what the unit enters, a line per input ("Tử số (a): …", "Mẫu số (b): …" for a rate, in the
    order of columns F and G, with the plan's own letters)."""
    measure = block.indicator.measure
    if measure.kind == "rate":
        return [f"Tử số {measure.a}: {measure.numerator}", f"Mẫu số {measure.b}: {measure.denominator}"]
    return [{
        "percent": "Tỷ lệ đạt được (%)",
        "count": "Số lượng",
        "yesno": f"{measure.question or ''} Chọn {YES} hoặc {NO}.".strip(),
        "text": "Nội dung thực hiện",
    }[measure.kind]]


def rule_text(rule: Rule | None) -> str:
    if rule is None:
        return "không so sánh được bằng số (không đánh giá tự động)"
    return f"{OP_SYMBOL[rule.op]} {format_number(rule.value)}"


def xlsxwriter_workbook(
    layout: FormLayout,
    context: FormContext,
    unit: UnitText,
    identity: Identity,
    *,
    filled: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
    banner: str | None = None,
    findings: list[tuple[str, str]] | None = None,
) -> bytes:
    """The workbook as XlsxWriter writes it (in memory), before structure protection is added.

    ``filled`` (cell -> value), ``notes`` (cell -> message), ``banner`` and ``findings`` ((cell, message) for
    every problem, in order) make a feedback copy: the unit's own values; each input that was wrong red as
    long as it is still wrong (a conditional format: the mark goes when the value is corrected); a locked
    cell the unit had changed shown as restored; a comment on each; and a printed sheet "Phản hồi" listing
    every problem with its cell and what to do."""
    filled = filled or {}
    notes = notes or {}
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_format_properties": {"font_name": FONT, "font_size": 12},
        },
    )
    plan = layout.plan
    fmt = _formats(workbook)
    period = context.period
    start, end = period.date_range(context.convention)  # type: ignore[arg-type]
    deadline = f"{context.deadline:%d/%m/%Y}" if context.deadline else "theo văn bản đề nghị báo cáo"
    send_to = context.send_to or context.owner

    # a feedback copy prints what to fix first, then the form; it opens on the form
    feedback_sheet = workbook.add_worksheet(FEEDBACK_SHEET) if findings is not None else None
    sheet = workbook.add_worksheet(F.SHEET)
    if feedback_sheet is not None:
        sheet.activate()
    guide = workbook.add_worksheet(F.GUIDE_SHEET)
    hidden = workbook.add_worksheet(HIDDEN_SHEET)

    # -- "Nhập liệu": header block -----------------------------------------------------------------------
    last = F.LAST_COL
    sheet.merge_range(F.TITLE_ROW, 0, F.TITLE_ROW, last, "PHIẾU BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU", fmt["title"])
    sheet.merge_range(1, 0, 1, last, " ".join(plan.document.appendix.title), fmt["subtitle"])
    # bold capitals are wider than the estimate assumes: counted at two thirds of the width
    sheet.set_row(1, LINE_HEIGHT * lines_needed(" ".join(plan.document.appendix.title), sum(WIDTHS) * 2 / 3) + 4)
    sheet.merge_range(2, 0, 2, last, plan.document.appendix.attached, fmt["italic"])
    sheet.merge_range(3, 0, 3, last, f"Đơn vị báo cáo: {unit.name} (mã: {unit.code})", fmt["info_bold"])
    sheet.merge_range(4, 0, 4, last, f"Kỳ báo cáo: {period.label} — số liệu từ ngày {start:%d/%m/%Y} "
                      f"đến ngày {end:%d/%m/%Y}", fmt["info"])
    sheet.merge_range(5, 0, 5, last, f"Hạn gửi báo cáo: {deadline}. Gửi về: {send_to}. "
                      "Chỉ nhập vào các ô màu vàng; xem trang \"Hướng dẫn\".", fmt["info"])
    # fixed heights above the table: its texts are in merged cells, which a program does not fit a row to
    sheet.set_row(F.TITLE_ROW, LINE_HEIGHT + 6)
    sheet.set_row(2, LINE_HEIGHT * lines_needed(plan.document.appendix.attached, sum(WIDTHS)) + 2)
    for row in (3, 4):
        sheet.set_row(row, LINE_HEIGHT + 2)
    deadline_line = f"Hạn gửi báo cáo: {deadline}. Gửi về: {send_to}. Chỉ nhập vào các ô màu vàng; xem trang \"Hướng dẫn\"."
    sheet.set_row(5, LINE_HEIGHT * lines_needed(deadline_line, sum(WIDTHS)) + 2)

    top, bottom = F.HEADER_ROWS
    for col, header in enumerate(HEADERS):
        sheet.set_column(col, col, WIDTHS[col])
        sheet.write_string(F.NUMBER_ROW, col, f"({col + 1})", fmt["colnum"])
        if col not in (F.COL_NUMERATOR, F.COL_DENOMINATOR):
            sheet.merge_range(top, col, bottom, col, header or layout.target_header, fmt["header"])
        else:
            sheet.write_string(bottom, col, header or "", fmt["header"])
    sheet.merge_range(top, F.COL_NUMERATOR, top, F.COL_DENOMINATOR, INPUT_GROUP, fmt["header"])
    sheet.set_row(top, LINE_HEIGHT * 2 + 4)
    sheet.set_row(bottom, LINE_HEIGHT * 3 + 4)

    # -- rows ---------------------------------------------------------------------------------------------
    heights: list[tuple[int, float, bool]] = []  # (row, height in points, is a section title) per item
    for item in layout.items:
        if isinstance(item, SectionRow):
            sheet.write_string(item.row, 0, item.section.number, fmt["section"])
            title_width = sum(WIDTHS[1:])
            height = LINE_HEIGHT * lines_needed(item.section.title, title_width) + 4
            sheet.set_row(item.row, height)
            heights.append((item.row, height, True))
            sheet.merge_range(item.row, 1, item.row, last, item.section.title, fmt["section"])
            continue
        heights.append((item.first_row, _write_block(sheet, item, fmt, filled, notes), False))

    last_row = layout.last_row
    if layout.blocks:
        first_cell, last_cell = cell_name(F.FIRST_ROW, F.COL_JUDGEMENT), cell_name(last_row, F.COL_JUDGEMENT)
        judgement_range = f"{first_cell}:{last_cell}"
        for text, style in ((MET, "met"), (NOT_MET, "not_met"), (NOT_ARISEN, "not_arisen")):
            sheet.conditional_format(judgement_range, {"type": "cell", "criteria": "==", "value": f'"{text}"',
                                                       "format": fmt[style]})
        result_range = f"{cell_name(F.FIRST_ROW, F.COL_RESULT)}:{cell_name(last_row, F.COL_RESULT)}"
        sheet.conditional_format(result_range, {"type": "text", "criteria": "begins with", "value": WRONG_PREFIX,
                                                "format": fmt["not_met"]})
        for block in layout.blocks:  # the explanation turns red while the target is missed and it is empty
            if block.rule is not None and judged_value(block) is not None:
                row, col = block.inputs[F.EXPLANATION]
                sheet.conditional_format(row, col, row, col, {"type": "formula",
                                                              "criteria": f"={explanation_missing(block)}",
                                                              "format": fmt["missing"]})

    if banner:
        sheet.merge_range(6, 0, 6, last, banner, fmt["banner"])
        sheet.set_row(6, LINE_HEIGHT * lines_needed(banner, sum(WIDTHS)) + 4)
    for cell, message in notes.items():
        sheet.write_comment(cell, message, {"author": "xlkpi", "x_scale": 3, "y_scale": 2,
                                            "font_name": FONT, "font_size": 11})
    if feedback_sheet is not None:
        _write_findings(feedback_sheet, fmt, layout, unit, findings or [], context.password)

    note_row = last_row + 2
    sheet.merge_range(note_row, 0, note_row, last,
                      f"Ghi chú: Kết quả và Đánh giá được tính tự động từ số liệu của đơn vị; khi kết quả "
                      f"\"Chưa đạt\", bắt buộc ghi giải trình ở cột ({F.COL_EXPLANATION + 1}).", fmt["note"])
    sheet.set_row(note_row, LINE_HEIGHT + 6)

    first_input = layout.input_cells[0] if layout.input_cells else None
    if first_input:
        sheet.set_selection(first_input[2], first_input[3], first_input[2], first_input[3])
    sheet.freeze_panes(F.NUMBER_ROW + 1, 2)
    _page_setup(sheet, context, repeat=(F.HEADER_ROWS[0], F.NUMBER_ROW))
    _keep_sections_with_their_rows(sheet, heights, banner is not None)
    sheet.print_area(0, 0, note_row, last)
    # rows may be resized: a long explanation can be shown in full on screen and in print
    sheet.protect(context.password, {"select_locked_cells": True, "select_unlocked_cells": True, "format_rows": True})
    sheet.activate()

    # -- "Hướng dẫn" -------------------------------------------------------------------------------------
    _write_guide(guide, fmt, layout, context, unit, deadline, send_to, start, end)

    # -- identity: hidden sheet, defined names, custom properties ----------------------------------------
    values = identity.as_dict()
    values.update(unit=unit.code, digest=unit.digest)
    for row, name in enumerate(FIELDS):
        hidden.write_string(row, 0, name)
        hidden.write_string(row, 1, values[name])
    hidden.protect(context.password)
    hidden.very_hidden()

    name_values = dict(values, unit=unit.name_code or unit.code, digest=unit.name_digest or unit.digest)
    for name in FIELDS:
        workbook.define_name(f"{NAME_PREFIX}{name}", f'="{name_values[name]}"')
        workbook.set_custom_property(f"{PROPERTY_PREFIX}{name}", values[name], "text")

    workbook.set_properties({
        "title": f"Phiếu báo cáo chỉ tiêu — {unit.name}",
        "subject": f"{plan.id} {period}",
        "author": context.owner,
        "company": context.owner,
        "comments": "Tạo bởi xlkpi. Không sao chép số liệu sang tệp khác.",
        "created": context.created,
    })
    workbook.close()
    return buffer.getvalue()


def _write_block(sheet: Any, block: Block, fmt: dict[str, Any], filled: dict[str, Any], notes: dict[str, str]
                 ) -> float:
    """Write one indicator's row; return its height in points: room for its name, what to enter and its
    target, for the usual explanation of three lines and, in a feedback copy, for every text typed."""
    row = block.first_row
    indicator = block.indicator
    kind = indicator.measure.kind
    labels = "\n".join(input_label(block))
    result = result_formula(block)
    lines = max(MIN_LINES, lines_needed(indicator.name, WIDTHS[F.COL_NAME]), lines_needed(labels, WIDTHS[F.COL_LABEL]),
                lines_needed(block.target_text, WIDTHS[F.COL_TARGET]), lines_needed(indicator.unit, WIDTHS[F.COL_UNIT]))
    if result is not None:  # the longest thing the result column can say
        longest = max((WRONG_NOT_NUMBER, WRONG_PERCENT, WRONG_CHOICE, wrong_order(indicator.measure)), key=len)
        lines = max(lines, lines_needed(longest, WIDTHS[F.COL_RESULT]))
    for role, col, _ in LONG_INPUTS:  # a feedback copy: what was typed, however long, shown in full
        typed = filled.get(cell_name(*block.inputs[role]))
        if typed:
            lines = max(lines, lines_needed(str(typed), WIDTHS[col]))
    if kind == "text":
        typed = filled.get(cell_name(*block.inputs[F.VALUE]))
        if typed:
            lines = max(lines, lines_needed(str(typed), sum(WIDTHS[F.COL_VALUE:F.COL_JUDGEMENT + 1])))
    height = LINE_HEIGHT * lines + 4
    sheet.set_row(row, height)

    def restored(col: int, style: str) -> str:
        """A locked cell the unit had changed is written as given, shown as put back (feedback copies)."""
        return "restored" if cell_name(row, col) in notes else style

    sheet.write_string(row, F.COL_NUMBER, indicator.number, fmt[restored(F.COL_NUMBER, "center")])
    sheet.write_string(row, F.COL_NAME, indicator.name, fmt[restored(F.COL_NAME, "text")])
    if restored(F.COL_NAME, "text") == "text":  # italic passages, as the appendix prints them
        write_emphasised(sheet, row, F.COL_NAME, indicator, indicator.name, fmt["text"], fmt["italic_run"],
                         fmt["text_italic"])
    sheet.write_string(row, F.COL_UNIT, indicator.unit, fmt["center"])
    sheet.write_string(row, F.COL_TARGET, block.target_text, fmt[restored(F.COL_TARGET, "center")])
    sheet.write_string(row, F.COL_LABEL, labels, fmt["text"])

    def put(role: str, style: str, last_col: int | None = None) -> None:
        """An input cell (merged up to ``last_col``): the unit's value if there is one (as a number or as
        text, never a formula)."""
        r, col = block.inputs[role]
        value = filled.get(cell_name(r, col))
        if last_col is not None:
            sheet.merge_range(r, col, r, last_col, None, fmt[style])
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sheet.write_number(r, col, value, fmt[style])
        elif value not in (None, ""):
            sheet.write_string(r, col, str(value), fmt[style])
        elif last_col is None:
            sheet.write_blank(r, col, None, fmt[style])

    input_style = {"rate": "input_int", "count": "input_int", "percent": "input_dec", "yesno": "input_choice",
                   "text": "input_long"}[kind]
    if kind == "rate":
        put(F.NUMERATOR, input_style)
        put(F.DENOMINATOR, input_style)
    elif kind == "text":  # an answer in words has no result to compute nor judgement: it takes their room
        put(F.VALUE, input_style, F.COL_JUDGEMENT)
    else:
        put(F.VALUE, input_style, F.COL_DENOMINATOR)
    if kind != "text":
        judgement = judgement_formula(block)
        result_style = {"rate": "percent", "percent": "percent", "count": "count"}.get(kind, "center")
        for col, formula, style in ((F.COL_RESULT, result, result_style), (F.COL_JUDGEMENT, judgement, "judgement")):
            sheet.write_formula(row, col, formula, fmt[style], "")
    for role, _, _ in LONG_INPUTS:
        put(role, "input_long")
    for cell, validation in input_validations(block):
        sheet.data_validation(cell, validation)
    for role, (r, col) in block.inputs.items():  # feedback: red while still wrong
        if cell_name(r, col) in notes:
            condition = still_wrong(block, role)
            if condition:
                sheet.conditional_format(r, col, r, col, {"type": "formula", "criteria": condition,
                                                          "format": fmt["flagged"]})
    return height


FEEDBACK_SHEET = "Phản hồi"
FEEDBACK_WIDTHS = (5, 9, 12, 110)


def _write_findings(sheet: Any, fmt: dict[str, Any], layout: FormLayout, unit: UnitText,
                    findings: list[tuple[str, str]], password: str) -> None:
    """The printed list of what collect found: cell, indicator, what is wrong and what to do."""
    numbers = {}
    for block in layout.blocks:
        for role, (row, col) in block.inputs.items():
            numbers[cell_name(row, col)] = layout.plan.full_number(block.indicator.id)
        for col in (F.COL_NUMBER, F.COL_NAME, F.COL_TARGET):
            numbers[cell_name(block.first_row, col)] = layout.plan.full_number(block.indicator.id)
    last = len(FEEDBACK_WIDTHS) - 1
    for col, width in enumerate(FEEDBACK_WIDTHS):
        sheet.set_column(col, col, width)
    sheet.merge_range(0, 0, 0, last, "PHẢN HỒI KẾT QUẢ KIỂM TRA TỆP BÁO CÁO", fmt["title"])
    sheet.merge_range(1, 0, 1, last, f"Đơn vị: {unit.name} (mã: {unit.code})", fmt["info_bold"])
    intro = ("Tệp đơn vị gửi chưa được tiếp nhận vì các lỗi dưới đây. Hãy sửa ngay trong tệp này, ở trang "
             f"\"{F.SHEET}\" (ô còn sai tô đỏ, tự hết đỏ khi sửa đúng), lưu lại và gửi lại.")
    sheet.merge_range(2, 0, 2, last, intro, fmt["guide"])
    sheet.set_row(2, LINE_HEIGHT * lines_needed(intro, sum(FEEDBACK_WIDTHS)) + 4)
    for col, header in enumerate(("STT", "Ô", "Chỉ tiêu", "Lỗi và cách sửa")):
        sheet.write_string(4, col, header, fmt["header"])
    row = 5
    for n, (cell, message) in enumerate(findings, start=1):
        sheet.write_string(row, 0, str(n), fmt["center"])
        sheet.write_string(row, 1, cell, fmt["center"])
        sheet.write_string(row, 2, numbers.get(cell, ""), fmt["center"])
        sheet.write_string(row, 3, message, fmt["text"])
        sheet.set_row(row, LINE_HEIGHT * lines_needed(message, FEEDBACK_WIDTHS[3]) + 6)
        row += 1
    sheet.repeat_rows(4)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    sheet.fit_to_pages(1, 0)
    sheet.set_footer(f'&C&"{FONT},Regular"&10Phản hồi — trang &P/&N')
    sheet.protect(password, {"select_locked_cells": True, "select_unlocked_cells": True, "format_rows": True})


def still_wrong(block: Block, role: str) -> str | None:
    """A formula true while the input ``role`` of ``block`` is still wrong (the feedback copy's red mark
    goes away once the clerk corrects the value), by the same conditions as the result column; None when
    no formula can tell."""
    row, col = block.inputs[role]
    cell = cell_name(row, col)
    kind = block.indicator.measure.kind
    if role in (F.NUMERATOR, F.DENOMINATOR):
        a, b = cell_name(*block.inputs[F.NUMERATOR]), cell_name(*block.inputs[F.DENOMINATOR])
        return f"=OR(ISFORMULA({cell}),{_whole_wrong(cell)},AND(ISNUMBER({a}),ISNUMBER({b}),{a}>{b}))"
    if role == F.VALUE:
        if kind == "count":
            return f"=OR(ISFORMULA({cell}),{_whole_wrong(cell)})"
        if kind == "percent":
            percentage = _percentage(cell)
            return f"=OR(ISFORMULA({cell}),IF(ISNUMBER({cell}),OR({percentage}<0,{percentage}>100),TRUE))"
        if kind == "yesno":
            return f"=OR(ISFORMULA({cell}),NOT(OR({_answer(cell, YES_SPELLINGS)},{_answer(cell, NO_SPELLINGS)})))"
        return f"=OR(ISFORMULA({cell}),LEN(TRIM({cell}))=0)"
    if role == F.EXPLANATION:
        return f"=OR(ISFORMULA({cell}),{explanation_missing(block)})"
    if role == F.EVIDENCE:
        return f"=OR(ISFORMULA({cell}),LEN({cell})>{F.EVIDENCE_LIMIT})"
    return None


def _write_guide(guide: Any, fmt: dict[str, Any], layout: FormLayout, context: FormContext, unit: UnitText,
                 deadline: str, send_to: str, start: date, end: date) -> None:
    guide.set_column(0, 0, 5)
    guide.set_column(1, 1, 120)
    guide.merge_range(0, 0, 0, 1, "HƯỚNG DẪN NHẬP LIỆU", fmt["title"])
    target_header = layout.target_header
    lines: list[tuple[str, str]] = [
        ("", f"Tệp này dành riêng cho {unit.name} (mã {unit.code}), kỳ báo cáo {context.period.label} "
             f"(số liệu từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y})."),
        ("", f"Hạn gửi báo cáo: {deadline}. Gửi tệp về: {send_to}."),
        ("1.", "Mở trang \"Nhập liệu\". Chỉ nhập vào các ô màu vàng; các ô khác đã được khóa."),
        ("2.", "Với chỉ tiêu tỷ lệ, nhập tử số ở cột (6) và mẫu số ở cột (7), đều là số nguyên; tỷ lệ được tính "
               "tự động. Nếu trong kỳ không phát sinh (ví dụ không có hồ sơ, không có phản ánh nào), nhập 0 ở cả "
               "hai ô: kết quả ghi \"Không phát sinh\", không bị tính là 0% hay 100%. Chỉ tiêu tỷ lệ phần trăm "
               "nhập một số từ 0 đến 100 (ví dụ 85,5); chỉ tiêu số lượng nhập số nguyên."),
        ("3.", f"Chỉ tiêu trả lời {YES}/{NO}: chọn {YES} hoặc {NO} trong danh sách ở cột (6). \"{YES}\" là đã "
               f"thực hiện (đạt 100%), \"{NO}\" là chưa thực hiện (0%): với chỉ tiêu 100%, trả lời \"{NO}\" là "
               "chưa đạt và phải giải trình."),
        ("4.", "Cột \"Đánh giá\" tự so sánh kết quả với chỉ tiêu được giao: Đạt, Chưa đạt hoặc Không phát sinh; "
               "khi số liệu không hợp lệ, cột \"Kết quả\" ghi \"Số liệu sai\" và lý do. Khi \"Chưa đạt\", bắt "
               "buộc ghi giải trình (lý do, giải pháp) ở cột (10); ô sẽ đỏ cho đến khi có giải trình. Dòng tự "
               "giãn theo nội dung giải trình."),
        ("5.", "Cột (11): ghi số, ngày văn bản hoặc tài liệu kiểm chứng số liệu đã báo cáo."),
        ("6.", "Lưu tệp (Excel, LibreOffice hoặc WPS; dạng .xlsx, .xls hoặc .ods đều được) và gửi lại đúng tệp này."),
        ("", "Ý nghĩa các cột ở trang \"Nhập liệu\":"),
        ("(1)", "STT: số thứ tự của chỉ tiêu trong phụ lục kế hoạch."),
        ("(2)", "Chỉ tiêu: tên chỉ tiêu như trong phụ lục."),
        ("(3)", "Đơn vị tính của chỉ tiêu."),
        ("(4)", f"{target_header}: mục tiêu đơn vị phải đạt."),
        ("(5)", "Số liệu cần nhập: tử số và mẫu số của chỉ tiêu tỷ lệ, hoặc số liệu, câu trả lời cần nhập."),
        ("(6)", "Số liệu của đơn vị — tử số, hoặc số liệu, câu trả lời Có/Không, nội dung: ô nhập liệu (màu vàng)."),
        ("(7)", "Số liệu của đơn vị — mẫu số của chỉ tiêu tỷ lệ: ô nhập liệu (màu vàng)."),
        ("(8)", "Kết quả: tính tự động (tỷ lệ = tử số / mẫu số)."),
        ("(9)", "Đánh giá: tính tự động so với chỉ tiêu."),
        ("(10)", "Giải trình: bắt buộc khi chưa đạt."),
        ("(11)", "Văn bản, tài liệu kiểm chứng: số, ngày văn bản."),
        ("", "LƯU Ý: Không sao chép số liệu sang tệp khác, không tạo tệp mới, không đổi tên hoặc xóa trang "
             "tính, không thêm hoặc xóa dòng, cột. Tệp này mang mã nhận dạng riêng của đơn vị; số liệu gửi "
             "bằng tệp khác sẽ không được tiếp nhận."),
        ("", f"Đơn vị tổng hợp: {context.owner}."),
    ]
    for row, (number, text) in enumerate(lines, start=2):
        style = "warning" if text.startswith("LƯU Ý") else "guide"
        guide.write_string(row, 0, number, fmt["guide"])
        guide.write_string(row, 1, text, fmt[style])
        guide.set_row(row, LINE_HEIGHT * lines_needed(text, 120) + 4)
    _page_setup(guide, context, repeat=None)
    guide.fit_to_pages(1, 1)  # the guide is one page, beside the form
    guide.protect(context.password, {"select_locked_cells": True, "select_unlocked_cells": True})


#: A4 landscape less the margins, in points: 297 - 15 - 10 mm wide, 210 - 15 - 15 mm tall (less the footer)
PAGE_WIDTH, PAGE_HEIGHT = 770.0, 480.0
#: points per unit of column width at 12-point Times New Roman, counted generously so that a page is never
#: wider than the paper (then the print scale is a little smaller than it could be)
POINTS_PER_WIDTH = 6.3


def form_scale() -> int:
    """The print scale that fits the form's width on the page (set, not "fit to page", so that the page
    breaks before a section are honoured: Excel ignores manual breaks in "fit to" mode)."""
    return max(40, min(100, int(100 * PAGE_WIDTH / (POINTS_PER_WIDTH * sum(WIDTHS) + 10))))


def _keep_sections_with_their_rows(sheet: Any, heights: list[tuple[int, float, bool]], banner: bool) -> None:
    """Set the print scale, and a page break before a section's title that would otherwise stand alone at
    the foot of a page, away from its first indicator (an indicator is one row: never split)."""
    scale = form_scale() / 100
    capacity = PAGE_HEIGHT / scale
    header = LINE_HEIGHT * 5 + 12 + 20  # the repeated header and column-number rows
    used = header + 20 * 6 + (40 if banner else 0)  # the title block above the table
    breaks = []
    for index, (first_row, height, section) in enumerate(heights):
        if not section and used + height > capacity and used > header:
            previous = heights[index - 1] if index else None
            if previous is not None and previous[2]:  # never leave a section title alone at a page's foot
                breaks.append(previous[0])
                used = header + previous[1]
            else:
                used = header
        used += height
    sheet.set_print_scale(form_scale())
    if breaks:
        sheet.set_h_pagebreaks(breaks)


def _page_setup(sheet: Any, context: FormContext, repeat: tuple[int, int] | None) -> None:
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    sheet.set_footer(f'&C&"{FONT},Regular"&10Trang &P/&N')
    if repeat:
        sheet.repeat_rows(*repeat)


def _formats(workbook: Any) -> dict[str, Any]:
    def add(**props: Any) -> Any:
        return workbook.add_format({"font_name": FONT, "font_size": 12, "valign": "vcenter", **props})

    border = {"border": 1, "text_wrap": True}
    unlocked = {"locked": False, "bg_color": INPUT_FILL, **border}
    return {
        "title": add(bold=True, font_size=14, align="center"),
        "subtitle": add(bold=True, align="center", text_wrap=True),
        "italic": add(italic=True, align="center", text_wrap=True),
        "info": add(),
        "info_bold": add(bold=True),
        "header": add(bold=True, align="center", bg_color="#D9E1F2", **border),
        "colnum": add(italic=True, align="center", font_size=10, **border),
        "section": add(bold=True, bg_color="#F2F2F2", **border),
        "text": add(**border),
        "italic_run": add(italic=True),
        "text_italic": add(italic=True, **border),
        "center": add(align="center", **border),
        # General: a value shows as it was typed (12.5 stays 12.5, not 13), so the clerk sees what collect reads
        "input_int": add(align="right", **unlocked),
        "input_dec": add(align="right", **unlocked),
        "input_choice": add(num_format="@", align="center", **unlocked),
        "input_long": add(num_format="@", **{**unlocked, "valign": "top"}),
        "percent": add(num_format="0.00%", align="center", **border),
        "count": add(num_format="#,##0", align="center", **border),
        "judgement": add(bold=True, align="center", **border),
        "note": add(italic=True, font_size=11, text_wrap=True),
        "guide": add(text_wrap=True, valign="top"),
        "warning": add(text_wrap=True, bold=True, font_color="#C00000", valign="top"),
        "flagged": workbook.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "restored": add(align="center", bg_color="#FFE699", italic=True, **border),
        "banner": add(bold=True, font_color="#C00000", text_wrap=True),
        "met": workbook.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"}),
        "not_met": workbook.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "not_arisen": workbook.add_format({"bg_color": "#EDEDED", "font_color": "#595959"}),
        "missing": workbook.add_format({"bg_color": "#FF9999"}),
    }
