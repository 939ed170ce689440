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
#: what the result column shows instead of a rate computed from figures that cannot be right
WRONG_PREFIX = "Số liệu sai"
WRONG_NOT_NUMBER = f"{WRONG_PREFIX}: nhập số nguyên ≥ 0"

HEADERS = (
    "STT",
    "Chỉ tiêu",
    "Đơn vị tính",
    None,  # the target column: the plan's own header for the year ("Chỉ tiêu năm 2025")
    "Nội dung số liệu",
    "Số liệu của đơn vị",
    "Kết quả",
    "Đánh giá",
    "Giải trình (bắt buộc khi chưa đạt)",
    "Văn bản, tài liệu kiểm chứng (số, ngày)",
)
WIDTHS = (6, 36, 8, 13, 32, 14, 11, 14, 56, 28)
#: Inputs of long text: each block is tall enough to show the longest text allowed in full (the clerk may
#: also resize rows), and the text starts at the top of its cell.
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


def result_formula(block: Block) -> str | None:
    kind = block.indicator.measure.kind
    inputs = block.inputs
    if kind == "rate":
        a, b = cell_name(*inputs[F.NUMERATOR]), cell_name(*inputs[F.DENOMINATOR])
        # figures that cannot be right show so, never as a rate judged "Đạt" (112,64% with (a) > (b))
        wrong = f"OR(NOT(ISNUMBER({a})),NOT(ISNUMBER({b})),{a}<0,{b}<0,{a}<>INT({a}),{b}<>INT({b}))"
        order = wrong_order(block.indicator.measure)
        return (f'=IF(OR({a}="",{b}=""),"",IF({wrong},"{WRONG_NOT_NUMBER}",IF({a}>{b},"{order}",'
                f'IF({b}=0,"{NOT_ARISEN}",{a}/{b}))))')
    if kind == "text":
        return None
    value = cell_name(*inputs[F.VALUE])
    if kind == "percent":
        return f'=IF({value}="","",{value}/100)'
    return f'=IF({value}="","",{value})'


def judgement_formula(block: Block) -> str | None:
    kind = block.indicator.measure.kind
    if kind == "text":
        return None
    result = cell_name(*block.result_cell)
    rule: Rule | None = block.rule
    if rule is None:
        verdict = f'"{NOT_JUDGED}"'
    else:
        if kind in ("rate", "percent"):
            value = f"ROUND({result}*100,6)"
        elif kind == "yesno":
            value = f'IF({result}="{YES}",100,0)'
        else:
            value = f"ROUND({result},6)"
        op = {">=": ">=", "<=": "<=", "=": "="}[rule.op]
        verdict = f'IF({value}{op}{rule.value:g},"{MET}","{NOT_MET}")'
    return f'=IF({result}="","",IF({result}="{NOT_ARISEN}","{NOT_ARISEN}",IF(ISNUMBER({result}),{verdict},"")))'


LINE_HEIGHT = 16.0  # points per line of 12-point Times New Roman


def lines_needed(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (a careful estimate: a
    row a little too tall prints fine; one too short hides text)."""
    per_line = max(1.0, width * 1.05 - 1)
    return max(1, sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n")))


#: Lines every indicator block holds, whatever its name: room for the longest explanation and evidence allowed.
LONG_INPUT_LINES = max(lines_needed("x" * limit, WIDTHS[col]) for _, col, limit in LONG_INPUTS)


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
    """Column E: what each input row asks for."""
    measure = block.indicator.measure
    if measure.kind == "rate":
        numerator, denominator = f"{measure.a} {measure.numerator}", f"{measure.b} {measure.denominator}"
        return [denominator, numerator] if measure.denominator_first else [numerator, denominator]
    return [{
        "percent": "Tỷ lệ đạt được (%)",
        "count": "Số lượng",
        "yesno": measure.question or "Có / Không",
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

    sheet = workbook.add_worksheet(F.SHEET)
    feedback_sheet = workbook.add_worksheet(FEEDBACK_SHEET) if findings is not None else None
    guide = workbook.add_worksheet(F.GUIDE_SHEET)
    hidden = workbook.add_worksheet(HIDDEN_SHEET)

    # -- "Nhập liệu": header block -----------------------------------------------------------------------
    last = F.LAST_COL
    sheet.merge_range(F.TITLE_ROW, 0, F.TITLE_ROW, last, "PHIẾU BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU", fmt["title"])
    sheet.merge_range(1, 0, 1, last, " ".join(plan.document.appendix.title), fmt["subtitle"])
    sheet.set_row(1, LINE_HEIGHT * lines_needed(" ".join(plan.document.appendix.title), sum(WIDTHS)) + 4)
    sheet.merge_range(2, 0, 2, last, plan.document.appendix.attached, fmt["italic"])
    sheet.merge_range(3, 0, 3, last, f"Đơn vị báo cáo: {unit.name} (mã: {unit.code})", fmt["info_bold"])
    sheet.merge_range(4, 0, 4, last, f"Kỳ báo cáo: {period.label} — số liệu từ ngày {start:%d/%m/%Y} "
                      f"đến ngày {end:%d/%m/%Y}", fmt["info"])
    sheet.merge_range(5, 0, 5, last, f"Hạn gửi báo cáo: {deadline}. Gửi về: {send_to}. "
                      "Chỉ nhập vào các ô màu vàng; xem trang \"Hướng dẫn\".", fmt["info"])

    for col, header in enumerate(HEADERS):
        sheet.write_string(F.HEADER_ROW, col, header or layout.target_header, fmt["header"])
        sheet.write_string(F.NUMBER_ROW, col, f"({col + 1})", fmt["colnum"])
        sheet.set_column(col, col, WIDTHS[col])
    sheet.set_row(F.HEADER_ROW, 48)

    # -- rows ---------------------------------------------------------------------------------------------
    judgement_cells: list[str] = []
    heights: list[tuple[int, float, bool]] = []  # (first row, height in points, is a section title) per item
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
        if judgement_formula(item):
            judgement_cells.append(cell_name(*item.judgement_cell))

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
        explanation_range = f"{cell_name(F.FIRST_ROW, F.COL_EXPLANATION)}:{cell_name(last_row, F.COL_EXPLANATION)}"
        top = F.FIRST_ROW + 1  # a relative formula, written for the range's top-left cell
        sheet.conditional_format(explanation_range, {
            "type": "formula",
            "criteria": f'=AND($H{top}="{NOT_MET}",LEN(TRIM($I{top}))=0)',
            "format": fmt["missing"],
        })

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
                      "Ghi chú: Kết quả và Đánh giá được tính tự động từ số liệu của đơn vị; khi kết quả "
                      "\"Chưa đạt\", bắt buộc ghi giải trình ở cột (9).", fmt["note"])
    sheet.set_row(note_row, 33)

    first_input = layout.input_cells[0] if layout.input_cells else None
    if first_input:
        sheet.set_selection(first_input[2], first_input[3], first_input[2], first_input[3])
    sheet.freeze_panes(F.NUMBER_ROW + 1, 2)
    _page_setup(sheet, context, repeat=(F.HEADER_ROW, F.NUMBER_ROW))
    _keep_blocks_whole(sheet, heights, banner is not None)
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
    """Write one indicator's rows; return their height in points."""
    first, last = block.first_row, block.last_row
    indicator = block.indicator
    kind = indicator.measure.kind

    def fixed(col: int, value: str, style: str) -> None:
        if last > first:
            sheet.merge_range(first, col, last, col, value, fmt[style])
        else:
            sheet.write_string(first, col, value, fmt[style])

    labels = input_label(block)
    rows = last - first + 1
    shared = max(lines_needed(indicator.name, WIDTHS[F.COL_NAME]), lines_needed(block.target_text, WIDTHS[F.COL_TARGET]))
    shared = max(shared, LONG_INPUT_LINES)
    for role, col, _ in LONG_INPUTS:  # a feedback copy: what was typed, however long, shown in full
        typed = filled.get(cell_name(*block.inputs[role]))
        if typed:
            shared = max(shared, lines_needed(str(typed), WIDTHS[col]))
    total = 0.0
    for offset, label in enumerate(labels):
        own = lines_needed(label, WIDTHS[F.COL_LABEL])
        height = LINE_HEIGHT * max(own, math.ceil(shared / rows)) + 4
        sheet.set_row(first + offset, height)
        total += height

    def restored(col: int, style: str) -> str:
        """A locked cell the unit had changed is written as given, shown as put back (feedback copies)."""
        return "restored" if cell_name(first, col) in notes else style

    fixed(F.COL_NUMBER, indicator.number, restored(F.COL_NUMBER, "center"))
    fixed(F.COL_NAME, indicator.name, restored(F.COL_NAME, "text"))
    if restored(F.COL_NAME, "text") == "text":  # italic passages, as the appendix prints them
        write_emphasised(sheet, first, F.COL_NAME, indicator, indicator.name, fmt["text"], fmt["italic_run"],
                         fmt["text_italic"])
    fixed(F.COL_UNIT, indicator.unit, "center")
    fixed(F.COL_TARGET, block.target_text, restored(F.COL_TARGET, "center"))
    for offset, label in enumerate(labels):
        sheet.write_string(first + offset, F.COL_LABEL, label, fmt["text"])

    input_style = {"rate": "input_int", "count": "input_int", "percent": "input_dec", "yesno": "input_text",
                   "text": "input_text"}[kind]
    def put(row: int, col: int, style: str) -> None:
        """An input cell: the unit's value if there is one (as a number or as text, never a formula)."""
        name = cell_name(row, col)
        value = filled.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            sheet.write_number(row, col, value, fmt[style])
        elif value not in (None, ""):
            sheet.write_string(row, col, str(value), fmt[style])
        else:
            sheet.write_blank(row, col, None, fmt[style])

    for role in (F.NUMERATOR, F.DENOMINATOR, F.VALUE):
        if role in block.inputs:
            put(*block.inputs[role], input_style)

    result = result_formula(block)
    result_style = {"rate": "percent", "percent": "percent", "count": "count"}.get(kind, "center")
    judgement = judgement_formula(block)
    for col, formula, style in ((F.COL_RESULT, result, result_style), (F.COL_JUDGEMENT, judgement, "judgement")):
        if last > first:
            sheet.merge_range(first, col, last, col, None, fmt[style])
        if formula:
            sheet.write_formula(first, col, formula, fmt[style], "")
        elif last == first:
            sheet.write_blank(first, col, None, fmt[style])
    for role, _, _ in LONG_INPUTS:
        row, col = block.inputs[role]
        if last > first:
            sheet.merge_range(first, col, last, col, None, fmt["input_long"])
        put(row, col, "input_long")
    for cell, validation in input_validations(block):
        sheet.data_validation(cell, validation)
    for role, (row, col) in block.inputs.items():  # feedback: red while still wrong
        if cell_name(row, col) in notes:
            condition = still_wrong(block, role)
            if condition:
                sheet.conditional_format(row, col, row, col, {"type": "formula", "criteria": condition,
                                                              "format": fmt["flagged"]})
    return total


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
    goes away once the clerk corrects the value); None when no formula can tell."""
    row, col = block.inputs[role]
    cell = cell_name(row, col)
    kind = block.indicator.measure.kind
    if role in (F.NUMERATOR, F.DENOMINATOR):
        a, b = cell_name(*block.inputs[F.NUMERATOR]), cell_name(*block.inputs[F.DENOMINATOR])
        return (f"=OR(ISFORMULA({cell}),IF(ISNUMBER({cell}),OR({cell}<0,{cell}<>INT({cell}),"
                f"AND(ISNUMBER({a}),ISNUMBER({b}),{a}>{b})),TRUE))")
    if role == F.VALUE:
        if kind == "count":
            return f"=OR(ISFORMULA({cell}),IF(ISNUMBER({cell}),OR({cell}<0,{cell}<>INT({cell})),TRUE))"
        if kind == "percent":
            return f"=OR(ISFORMULA({cell}),IF(ISNUMBER({cell}),OR({cell}<0,{cell}>100),TRUE))"
        if kind == "yesno":
            return f'=OR(ISFORMULA({cell}),AND({cell}<>"{YES}",{cell}<>"{NO}"))'
        return f"=OR(ISFORMULA({cell}),LEN(TRIM({cell}))=0)"
    if role == F.EXPLANATION:
        judgement = cell_name(*block.judgement_cell)
        return f'=OR(ISFORMULA({cell}),AND({judgement}="{NOT_MET}",LEN(TRIM({cell}))=0))'
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
        ("2.", "Với chỉ tiêu tỷ lệ, nhập tử số và mẫu số là số nguyên; tỷ lệ được tính tự động. "
               "Nếu trong kỳ không phát sinh (ví dụ không có hồ sơ, không có phản ánh nào), nhập 0 ở cả hai ô: "
               "kết quả ghi \"Không phát sinh\", không bị tính là 0% hay 100%."),
        ("3.", "Cột \"Đánh giá\" tự so sánh kết quả với chỉ tiêu được giao: Đạt, Chưa đạt hoặc Không phát sinh. "
               "Khi \"Chưa đạt\", bắt buộc ghi giải trình (lý do, giải pháp) ở cột (9); ô sẽ đỏ cho đến khi có "
               "giải trình."),
        ("4.", "Cột (10): ghi số, ngày văn bản hoặc tài liệu kiểm chứng số liệu đã báo cáo."),
        ("5.", "Lưu tệp (Excel, LibreOffice hoặc WPS; dạng .xlsx, .xls hoặc .ods đều được) và gửi lại đúng tệp này."),
        ("", "Ý nghĩa các cột ở trang \"Nhập liệu\":"),
        ("(1)", "STT: số thứ tự của chỉ tiêu trong phụ lục kế hoạch."),
        ("(2)", "Chỉ tiêu: tên chỉ tiêu như trong phụ lục."),
        ("(3)", "Đơn vị tính của chỉ tiêu."),
        ("(4)", f"{target_header}: mục tiêu đơn vị phải đạt."),
        ("(5)", "Nội dung số liệu: số liệu cần nhập ở từng dòng."),
        ("(6)", "Số liệu của đơn vị: ô nhập liệu (màu vàng)."),
        ("(7)", "Kết quả: tính tự động (tỷ lệ = tử số / mẫu số)."),
        ("(8)", "Đánh giá: tính tự động so với chỉ tiêu."),
        ("(9)", "Giải trình: bắt buộc khi chưa đạt."),
        ("(10)", "Văn bản, tài liệu kiểm chứng: số, ngày văn bản."),
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
    guide.protect(context.password, {"select_locked_cells": True, "select_unlocked_cells": True})


#: A4 landscape less the margins, in points: 297 - 15 - 10 mm wide, 210 - 15 - 15 mm tall (less the footer)
PAGE_WIDTH, PAGE_HEIGHT = 770.0, 480.0
#: points per unit of column width at 12-point Times New Roman, counted generously so that a page is never
#: wider than the paper (then the print scale is a little smaller than it could be)
POINTS_PER_WIDTH = 6.3


def form_scale() -> int:
    """The print scale that fits the form's width on the page (set, not "fit to page", so that the page
    breaks between blocks are honoured: Excel ignores manual breaks in "fit to" mode)."""
    return max(40, min(100, int(100 * PAGE_WIDTH / (POINTS_PER_WIDTH * sum(WIDTHS) + 10))))


def _keep_blocks_whole(sheet: Any, heights: list[tuple[int, float, bool]], banner: bool) -> None:
    """Page breaks before a block that would not fit on the page, so that no indicator's rows are split
    (its remainder used to print under the repeated header of the next page); a section's title goes
    with its first block."""
    scale = form_scale() / 100
    capacity = PAGE_HEIGHT / scale
    header = 48 + 20  # the repeated header and column-number rows
    used = header + 20 * 6 + (40 if banner else 0) + 40  # the title block above the table
    breaks = []
    for index, (first_row, height, section) in enumerate(heights):
        if not section and used + height > capacity and used > header:
            previous = heights[index - 1] if index else None
            if previous is not None and previous[2]:  # never leave a section title alone at a page's foot
                breaks.append(previous[0])
                used = header + previous[1]
            else:
                breaks.append(first_row)
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
        "input_text": add(num_format="@", **unlocked),
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
