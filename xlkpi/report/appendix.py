"""Writing the consolidated workbook: the appendix for signature, and the detail behind every number.

Sheets:

"Phụ lục"          the plan's table exactly as declared (columns, header groups, sections, printed texts,
                   targets as printed), with the results in the plan's result columns, laid out as
                   Decree 30/2020/NĐ-CP asks, a footnote saying what the numbers cover, the signature
                   block and "Nơi nhận".
"Chi tiết đơn vị"  units × indicators (numerator, denominator, rate, judgement), grouped under their
                   parents with a subtotal row per parent and a grand total.
"Tiến độ nộp"      every unit's submission state and time.
"Biểu đồ"          native charts: each rate indicator's results against its target; how many units met
                   each target.

The appendix's results are formulas over the detail sheet's grand-total row, itself SUMIFS over the
unit rows' numerators and denominators (and each subtotal over its parent's rows), each with its cached
value, so an auditor can click a result and follow it to the units' figures.
Everything a unit or the plan wrote is written as text: no text ever becomes a formula.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from xlkpi.forms.entry_workbook import LINE_HEIGHT, write_emphasised
from xlkpi.campaign.periods import Period
from xlkpi.plan.model import RESULT_COLUMNS, Column, Indicator, Plan, Section, header_groups
from xlkpi.report.rollup import INCOMPLETE, LABELS, NO_DATA, Consolidation, Rolled, UnitValue, general_rule
from xlkpi.units.roster import Unit
from xlkpi.collect.status import LATE, MISSING, RESUBMIT, Status
from xlkpi.collect.workflow import RETURNED, WAITING
from xlkpi.collect.checks import MET, NOT_ARISEN, NOT_JUDGED, NOT_MET
from xlkpi.report import sheetxml as X
from xlkpi.report.widths import column_mm, fit_widths, print_scale
from xlkpi.common.printing import print_setup
from xlkpi.common.measure import lines_in

FONT = "Times New Roman"
APPENDIX, DETAIL, PROGRESS, CHARTS, CHART_DATA = "Phụ lục", "Chi tiết đơn vị", "Tiến độ nộp", "Biểu đồ", "Dữ liệu biểu đồ"
TREND = "Xu hướng"
UNIT_ROW, SUBTOTAL_ROW, TOTAL_ROW = "Đơn vị", "Cộng", "Tổng cộng"
MAX_NAMED = 30  # units named in the footnote before "… và N đơn vị khác"


@dataclass(frozen=True)
class Context:
    campaign: str
    period: Period
    convention: str
    deadline: date | None
    owner: str
    created: datetime
    report_number: str = ""
    report_date: date | None = None
    signer_name: str = ""
    #: "Nơi nhận" of the report (the campaign's; never the plan's)
    recipients: tuple[str, ...] = ()


#: plan columns printed as indented text (the others centred), and the room the indent takes, in units of width
TEXT_COLUMNS = ("name", "implementing", "coordinating", "monitoring", "evidence", "basis", "note", "text", "timeframe")
TEXT_INDENT = 1  # Excel: an indent of 1 is a character wide (LibreOffice wraps as if none)
#: the narrowest the indicator names, the result and the judgement are printed, when the plan's are wider
LEAST_WIDTHS = {"name": 24, "result": 7, "judgement": 7}
LINE = 15.0  # points per line of 12-13 point Times New Roman, as LibreOffice and Excel lay it out


def attached_line(plan: Plan, context: Context) -> str:
    """A results appendix is attached to a report, not to the plan: "(Kèm theo Báo cáo số …/BC-UBND ngày …
    tháng … năm … của …)", with blanks to fill by hand where the campaign does not say (as the seeds print
    theirs)."""
    number = context.report_number or "        /BC-UBND"
    if context.report_date:
        day = f"ngày {context.report_date.day:02d} tháng {context.report_date.month:02d} năm {context.report_date.year}"
    else:
        day = "ngày      tháng      năm        "
    issuer = sentence_case(context.owner or plan.document.issuer)
    return f"(Kèm theo Báo cáo số {number} {day} của {issuer})"


#: abbreviations an agency's name keeps in capitals
_ACRONYMS = {"UBND", "HĐND", "MTTQ", "TTHC", "CNTT", "VP", "TW", "DVC", "KT-XH", "ĐBQH"}
#: the words before a place's proper name ("tỉnh Lai Châu", "xã Cam Hiệp")
_PLACE_WORDS = ("thành phố", "thị xã", "thị trấn", "đặc khu", "tỉnh", "huyện", "quận", "xã", "phường")


def sentence_case(name: str) -> str:
    """An agency's name printed in capitals on a letterhead ("ỦY BAN NHÂN DÂN TỈNH LAI CHÂU") as it reads inside a
    sentence: "Ủy ban nhân dân tỉnh Lai Châu". A name already in mixed case is kept as it is."""
    if name != name.upper():
        return name
    words = [w if w in _ACRONYMS else w.lower() for w in name.split()]
    if words:
        words[0] = words[0][:1].upper() + words[0][1:]
    text = " ".join(words)
    for place in _PLACE_WORDS:
        at = text.rfind(f" {place} ")
        if at >= 0:
            start = at + len(place) + 2
            text = text[:start] + " ".join(w[:1].upper() + w[1:] for w in text[start:].split())
            break
    return text


def basis_line(plan: Plan) -> str:
    """The plan named as the basis of the results: "Thực hiện Kế hoạch số …"."""
    attached = plan.document.appendix.attached.strip().strip("()").strip()
    for lead in ("Ban hành kèm theo", "Kèm theo"):
        if attached.startswith(lead):
            attached = attached[len(lead):].strip()
            break
    return f"Thực hiện {attached}" if attached else ""


def shown_number(value: float, decimals: int = 2) -> str:
    """A number as a Vietnamese document prints it, whatever the program's locale: decimal comma."""
    return f"{value:.{decimals}f}".replace(".", ",")


def lines_needed(text: str, width: float, size: float = 12.0, bold: bool = False) -> int:
    """Lines ``text`` takes in a column ``width`` units wide, measured with Times New Roman's own widths
    (:func:`xlkpi.common.measure.lines_in`)."""
    return lines_in(text, width, size, bold)


# -- the detail sheet's layout ---------------------------------------------------------------------------


@dataclass
class DetailColumns:
    indicator: Indicator
    first: int
    numerator: int | None = None
    denominator: int | None = None
    value: int | None = None  # the rate (%), value, or answer
    judgement: int | None = None


@dataclass(slots=True)
class DetailRow:
    kind: str  # UNIT_ROW, SUBTOTAL_ROW or TOTAL_ROW
    unit: Unit | None
    row: int
    first: int = 0  # for subtotals and the total: the rows they cover
    last: int = 0
    depth: int = 0


@dataclass
class DetailLayout:
    columns: list[DetailColumns] = field(default_factory=list)
    rows: list[DetailRow] = field(default_factory=list)
    total: DetailRow | None = None
    last_col: int = 0

    def of(self, indicator_id: str) -> DetailColumns | None:
        return next((c for c in self.columns if c.indicator.id == indicator_id), None)


FIXED = ("STT", "Mã đơn vị", "Tên đơn vị", "Cấp", "Đơn vị cấp trên", "Loại dòng", "Tình trạng nộp")
FIXED_WIDTHS = (6, 11, 30, 16, 11, 10, 16)
#: the column that tells unit rows from subtotals for the formulas: hidden, a reader has the row's own words
COL_TYPE = 5
#: widths in the detail sheet: a result or judgement ("Không phát sinh") and a figure on one line; a text answer wide
JUDGEMENT_WIDTH, FIGURE_WIDTH, TEXT_WIDTH = 15, 11, 30
DETAIL_LINE, DETAIL_SIZE = 14.0, 11  # points per line of the detail sheet's 11-point Times New Roman
HEAD_ROWS = 2


def detail_layout(consolidation: Consolidation) -> DetailLayout:
    plan, roster = consolidation.plan, consolidation.roster
    layout = DetailLayout()
    col = len(FIXED)
    reported_levels = {u.level for u in roster.units}
    for indicator in plan.all_indicators:
        if not set(indicator.levels) & reported_levels:
            continue  # no unit of this roster reports it: no empty columns
        columns = DetailColumns(indicator, col)
        kind = indicator.measure.kind
        if kind == "rate":
            columns.numerator, columns.denominator, columns.value, columns.judgement = col, col + 1, col + 2, col + 3
            col += 4
        elif kind == "text":
            columns.value = col
            col += 1
        else:
            columns.value, columns.judgement = col, col + 1
            col += 2
        layout.columns.append(columns)
    layout.last_col = col - 1

    reporting = set(plan.reporting_levels)
    row = HEAD_ROWS

    def visit(unit: Unit, depth: int) -> None:
        nonlocal row
        start = row
        if unit.level in reporting:
            layout.rows.append(DetailRow(UNIT_ROW, unit, row, depth=depth))
            row += 1
        kids = roster.children(unit.code)
        for child in kids:
            visit(child, depth + 1)
        if kids and row > start:
            layout.rows.append(DetailRow(SUBTOTAL_ROW, unit, row, start, row - 1, depth))
            row += 1

    for root in roster.roots:
        visit(root, 0)
    layout.total = DetailRow(TOTAL_ROW, None, row, HEAD_ROWS, max(HEAD_ROWS, row - 1))
    layout.rows.append(layout.total)
    return layout


# -- formulas ------------------------------------------------------------------------------------------


def _range(sheet: str, col: int, first: int, last: int) -> str:
    return f"'{sheet}'!{xl_rowcol_to_cell(first, col, True, True)}:{xl_rowcol_to_cell(last, col, True, True)}"


def _local_range(col: int, first: int, last: int) -> str:
    return f"{xl_rowcol_to_cell(first, col, True, True)}:{xl_rowcol_to_cell(last, col, True, True)}"


def _units_only(col: int, first: int, last: int) -> tuple[str, str]:
    return _local_range(col, first, last), _local_range(COL_TYPE, first, last)


def value_formula(columns: DetailColumns, row: int, first: int, last: int) -> str | None:
    """The rolled-up value over the unit rows between ``first`` and ``last`` (subtotal or total)."""
    indicator = columns.indicator
    kind = indicator.measure.kind
    unit = f'"{UNIT_ROW}"'
    if kind == "rate":
        num, types = _units_only(columns.numerator, first, last)  # type: ignore[arg-type]
        den, _ = _units_only(columns.denominator, first, last)  # type: ignore[arg-type]
        a, b = xl_rowcol_to_cell(row, columns.numerator), xl_rowcol_to_cell(row, columns.denominator)
        return f'=IF(COUNTIFS({den},"<>",{types},{unit})=0,"",IF({b}=0,"{LABELS[NOT_ARISEN]}",{a}/{b}*100))'
    if kind == "text":
        return None
    values, types = _units_only(columns.value, first, last)  # type: ignore[arg-type]
    reported = f'COUNTIFS({values},"<>",{types},{unit})'
    if kind == "yesno":
        return f'=IF({reported}=0,"",COUNTIFS({values},"Có",{types},{unit})/{reported}*100)'
    how = indicator.effective_rollup
    # MINIFS and MAXIFS came with Excel 2019: stored with their _xlfn. prefix, as Excel itself does
    function = {"sum": "SUMIFS", "mean": "AVERAGEIFS", "min": "_xlfn.MINIFS", "max": "_xlfn.MAXIFS"}[how]
    return f"=IF({reported}=0,\"\",{function}({values},{types},{unit}))"


def sum_formula(col: int, first: int, last: int) -> str:
    values, types = _units_only(col, first, last)
    return f'=IF(COUNTIFS({values},"<>",{types},"{UNIT_ROW}")=0,"",SUMIFS({values},{types},"{UNIT_ROW}"))'


def judgement_formula(columns: DetailColumns, row: int, first: int, last: int, year: int) -> str | None:
    rule = general_rule(columns.indicator, year)
    value = xl_rowcol_to_cell(row, columns.value)  # type: ignore[arg-type]
    if rule is None:
        return f'=IF({value}="","{LABELS[NO_DATA]}",IF({value}="{LABELS[NOT_ARISEN]}","{LABELS[NOT_ARISEN]}",' \
               f'"{LABELS[NOT_JUDGED]}"))'
    test = rule.excel(f"ROUND({value},6)")  # the same test as collect's and the form's
    if rule.floor is not None and columns.indicator.measure.kind in ("rate", "percent", "count"):
        values, types = _units_only(columns.value, first, last)  # type: ignore[arg-type]
        beyond = "<" if rule.op in (">=", ">") else ">"
        test = f'AND({test},COUNTIFS({values},"{beyond}{rule.floor:g}",{types},"{UNIT_ROW}")=0)'
    return (f'=IF({value}="","{LABELS[NO_DATA]}",IF({value}="{LABELS[NOT_ARISEN]}","{LABELS[NOT_ARISEN]}",'
            f'IF({test},"{LABELS[MET]}","{LABELS[NOT_MET]}")))')


def _reported_formula(columns: DetailColumns, first: int, last: int) -> str:
    """The units that reported the indicator: those whose judgement cell holds anything."""
    judged, types = (_range(DETAIL, columns.judgement, first, last),  # type: ignore[arg-type]
                     _range(DETAIL, COL_TYPE, first, last))
    return f'COUNTIFS({judged},"<>",{types},"{UNIT_ROW}")'


def units_met_formula(columns: DetailColumns, first: int, last: int, expected: int) -> str:
    """The same words as :attr:`Rolled.units_met`, counted over the detail sheet's unit rows."""
    judged, types = (_range(DETAIL, columns.judgement, first, last),  # type: ignore[arg-type]
                     _range(DETAIL, COL_TYPE, first, last))
    met = f'COUNTIFS({judged},"{LABELS[MET]}",{types},"{UNIT_ROW}")'
    missed = f'COUNTIFS({judged},"{LABELS[NOT_MET]}",{types},"{UNIT_ROW}")'
    arisen_not = f'COUNTIFS({judged},"{LABELS[NOT_ARISEN]}",{types},"{UNIT_ROW}")'
    reported = _reported_formula(columns, first, last)
    coverage = f'{reported}&"/{expected} đơn vị báo cáo"'
    # never "0/0 đơn vị đạt"
    return (f'=IF({reported}=0,"Chưa có đơn vị báo cáo (0/{expected})",'
            f'IF({met}+{missed}=0,IF({arisen_not}>0,{coverage}&"; không phát sinh ở "&{arisen_not}&" đơn vị",'
            f'{coverage}&", chưa đánh giá"),'
            f'{coverage}&"; "&{met}&"/"&({met}+{missed})&" đơn vị đạt"'
            f'&IF({arisen_not}>0," ("&{arisen_not}&" không phát sinh)","")))')


def verdict_formula(columns: DetailColumns, total: DetailRow, expected: int) -> str:
    """The same words as :attr:`Rolled.verdict`: the detail's judgement, qualified while units are missing."""
    judgement = f"'{DETAIL}'!{xl_rowcol_to_cell(total.row, columns.judgement)}"  # type: ignore[arg-type]
    reported = _reported_formula(columns, total.first, total.last)
    return (f'=IF(AND({reported}<{expected},OR({judgement}="{LABELS[MET]}",{judgement}="{LABELS[NOT_MET]}")),'
            f'{judgement}&"{INCOMPLETE}",{judgement})')


# -- the workbook --------------------------------------------------------------------------------------


def write_consolidated(consolidation: Consolidation, status: Status, context: Context, out: BinaryIO, *,
                       charts: bool = True, print_copy: bool = False,
                       trend: list[tuple[Period, dict[str, Rolled]]] | None = None) -> None:
    """Write the consolidated workbook to ``out`` (its detail and progress rows as they are made, so the
    workbook is never held whole); with ``print_copy``, the appendix sheet alone with its results as
    values (what is printed to PDF for signature); with ``trend`` (periods in order, each with its
    rolled-up results), a sheet of each indicator over the periods."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {
        "in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        "default_format_properties": {"font_name": FONT, "font_size": 12},
    })
    fmt = _formats(workbook)
    layout = detail_layout(consolidation)
    appendix = workbook.add_worksheet(APPENDIX)
    streamed: dict[str, tuple[Callable[[], Iterator[str]], str]] = {}
    if print_copy:
        _write_appendix(appendix, fmt, consolidation, status, context, layout, formulas=False)
    else:
        detail = workbook.add_worksheet(DETAIL)
        progress = workbook.add_worksheet(PROGRESS)
        _write_detail(detail, fmt, consolidation, status, layout)
        _write_appendix(appendix, fmt, consolidation, status, context, layout)
        _write_progress(progress, fmt, status, consolidation.plan)
        if charts:
            _write_charts(workbook, fmt, consolidation, layout)
        if trend:
            _write_trend(workbook, fmt, consolidation, trend)
        styles = {name: fmt[name]._get_xf_index() for name in STREAMED_FORMATS}  # registered before closing
        last_row = layout.total.row if layout.total else HEAD_ROWS
        streamed = {
            "xl/worksheets/sheet2.xml": (lambda: _detail_rows(consolidation, status, layout, styles),
                                         f"A1:{X.column(layout.last_col)}{last_row + 1}"),
            "xl/worksheets/sheet3.xml": (lambda: _progress_rows(status, styles, {
                level.id: level.name for level in consolidation.plan.levels}),
                                         f"A1:{X.column(len(PROGRESS_HEADERS) - 1)}{len(status.units) + 1}"),
        }
    appendix.activate()
    workbook.set_properties({
        "title": f"{consolidation.plan.document.appendix.heading} {consolidation.plan.document.appendix.number}".strip()
                 + f" — {context.period.label}",
        "subject": f"{consolidation.plan.id} {context.period}",
        "author": context.owner, "company": context.owner, "created": context.created,
        "comments": "Tổng hợp bởi xlkpi từ các báo cáo đã tiếp nhận.",
    })
    for name, value in (("kind", "consolidated"), ("plan", consolidation.plan.id),
                        ("plan_version", consolidation.plan.version), ("campaign", context.campaign),
                        ("period", str(context.period))):
        workbook.set_custom_property(f"xlkpi.{name}", value, "text")
    workbook.close()
    # Decree 30: page numbers centred at the top, none on the first page (XlsxWriter has no API for it);
    # the detail and progress rows go straight into their sheets
    X.repack(buffer.getvalue(), out, timestamp=context.created,
             patch={"xl/worksheets/sheet1.xml": _different_first_page}, rows=streamed)


def _different_first_page(xml: bytes) -> bytes:
    return xml.replace(b"<headerFooter>", b'<headerFooter differentFirst="1">', 1)


#: a number format's prefix that prints it as a Vietnamese document does — decimal comma, thousands dot —
#: whatever the locale of the program that prints it (LibreOffice honours it; Excel follows the system's)
VI = "[$-42A]"


def _formats(workbook: Any) -> dict[str, Any]:
    def add(**props: Any) -> Any:
        return workbook.add_format({"font_name": FONT, "font_size": 12, "valign": "vcenter", **props})

    border = {"border": 1, "text_wrap": True}
    return {
        "heading": add(bold=True, font_size=14, align="center"),
        "title": add(bold=True, font_size=13, align="center", text_wrap=True),
        "attached": add(italic=True, font_size=13, align="center", text_wrap=True),
        "header": add(bold=True, align="center", **border),
        "colnum": add(italic=True, align="center", font_size=11, **border),
        "section": add(bold=True, indent=1, **border),
        "text": add(indent=1, **border),
        "italic_run": add(italic=True),
        "text_italic": add(indent=1, italic=True, **border),
        "center": add(align="center", **border),
        "number": add(align="center", num_format=VI + "#,##0.00", **border),
        "integer": add(align="center", num_format=VI + "#,##0", **border),
        "judgement": add(align="center", bold=True, **border),
        "note": add(italic=True, font_size=12, text_wrap=True, valign="top"),
        "sign": add(bold=True, align="center", font_size=13),
        "sign_name": add(bold=True, align="center", font_size=13),
        "recipients_title": add(bold=True, italic=True, font_size=12),
        "recipients": add(font_size=11),
        "d_header": add(bold=True, align="center", bg_color="#D9E1F2", font_size=11, **border),
        "d_text": add(font_size=11, **border),
        "d_center": add(font_size=11, align="center", **border),
        "d_int": add(font_size=11, num_format=VI + "#,##0", **border),
        "d_pct": add(font_size=11, num_format=VI + "0.00", align="center", **border),
        "d_sub_text": add(font_size=11, bold=True, bg_color="#F2F2F2", **border),
        "d_sub_int": add(font_size=11, bold=True, bg_color="#F2F2F2", num_format=VI + "#,##0", **border),
        "d_sub_pct": add(font_size=11, bold=True, bg_color="#F2F2F2", num_format=VI + "0.00", align="center", **border),
        "d_sub_center": add(font_size=11, bold=True, bg_color="#F2F2F2", align="center", **border),
        "met": workbook.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"}),
        "not_met": workbook.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "not_arisen": workbook.add_format({"bg_color": "#EDEDED", "font_color": "#595959"}),
    }


def _cached(value: Any) -> Any:
    return "" if value is None else value


def _detail_width(columns: DetailColumns, col: int) -> int:
    """A text answer is wide; a result or judgement holds "Không phát sinh" on one line; a figure is narrow."""
    if columns.indicator.measure.kind == "text":
        return TEXT_WIDTH
    return JUDGEMENT_WIDTH if col in (columns.value, columns.judgement) else FIGURE_WIDTH


def _row_height(values: Iterable[str], widths: Iterable[float], line: float = DETAIL_LINE) -> float | None:
    """The height a streamed row needs for its wrapped texts; None when one line holds them all."""
    lines = max((lines_needed(value, width, DETAIL_SIZE) for value, width in zip(values, widths) if value), default=1)
    return line * lines + 5 if lines > 1 else None


def _write_detail(sheet: Any, fmt: dict[str, Any], consolidation: Consolidation, status: Status,
                  layout: DetailLayout) -> None:
    plan = consolidation.plan
    for col, (header, width) in enumerate(zip(FIXED, FIXED_WIDTHS)):
        sheet.merge_range(0, col, 1, col, header, fmt["d_header"])
        sheet.set_column(col, col, width)
    title_lines = 2
    for columns in layout.columns:
        indicator = columns.indicator
        parts = [c for c in (columns.numerator, columns.denominator, columns.value, columns.judgement) if c is not None]
        title = f"{plan.full_number(indicator.id)}. {indicator.name}"
        if len(parts) > 1:
            sheet.merge_range(0, parts[0], 0, parts[-1], title, fmt["d_header"])
        else:
            sheet.write_string(0, parts[0], title, fmt["d_header"])
        kind = indicator.measure.kind
        measure = indicator.measure
        names = {"rate": (f"Tử số {measure.a}", f"Mẫu số {measure.b}", "Tỷ lệ (%)", "Đánh giá"), "text": ("Nội dung",),
                 "yesno": ("Trả lời", "Đánh giá")}.get(kind, ("Kết quả", "Đánh giá"))
        for col, name in zip(parts, names):
            sheet.write_string(1, col, name, fmt["d_header"])
            sheet.set_column(col, col, _detail_width(columns, col))
        span = sum(_detail_width(columns, c) for c in parts)
        title_lines = max(title_lines, lines_needed(title, span, DETAIL_SIZE, bold=True))
    # the indicators' names in full, however long (they were cut at four lines)
    sheet.set_row(0, DETAIL_LINE * title_lines + 8)
    sheet.set_column(COL_TYPE, COL_TYPE, FIXED_WIDTHS[COL_TYPE], None, {"hidden": True})
    last = layout.total.row if layout.total else HEAD_ROWS
    for columns in layout.columns:
        if columns.judgement is None:
            continue
        target = f"{xl_col_to_name(columns.judgement)}{HEAD_ROWS + 1}:{xl_col_to_name(columns.judgement)}{last + 1}"
        for text, style in ((LABELS[MET], "met"), (LABELS[NOT_MET], "not_met"), (LABELS[NOT_ARISEN], "not_arisen")):
            sheet.conditional_format(target, {"type": "cell", "criteria": "==", "value": f'"{text}"',
                                              "format": fmt[style]})
    sheet.freeze_panes(HEAD_ROWS, 3)
    sheet.autofilter(1, 0, last, layout.last_col)
    # legible on paper: 11-point text printed at 75 %, as many pages across as the indicators need, with the
    # header rows and the unit columns on every page (squeezing 39 columns onto one page gave 3-point text)
    print_setup(sheet, plan.title, DETAIL, scale=DETAIL_SCALE)
    sheet.repeat_rows(0, 1)
    sheet.repeat_columns(0, 2)
    sheet.set_v_pagebreaks(detail_breaks(layout))


#: the detail sheet prints at 75 % on A4 landscape between margins of 0.6 and 0.4 inch
DETAIL_SCALE, DETAIL_PAGE_MM = 75, 297 - 25.4


def detail_breaks(layout: DetailLayout) -> list[int]:
    """The columns that start a new band of pages across: an indicator's columns (its name over them) are
    never split between two bands; the unit columns repeat on every band."""
    room = DETAIL_PAGE_MM * PAGE_FILL * 100 / DETAIL_SCALE
    repeated = sum(column_mm(w) for w in FIXED_WIDTHS[:3])
    used = sum(column_mm(w) for col, w in enumerate(FIXED_WIDTHS) if col != COL_TYPE)
    breaks = []
    for columns in layout.columns:
        parts = [c for c in (columns.numerator, columns.denominator, columns.value, columns.judgement) if c is not None]
        wide = sum(column_mm(_detail_width(columns, c)) for c in parts)
        if used + wide > room and used > repeated:
            breaks.append(parts[0])
            used = repeated
        used += wide
    return breaks


STREAMED_FORMATS = ("d_text", "d_center", "d_int", "d_pct", "d_sub_text", "d_sub_int", "d_sub_pct", "d_sub_center")


def _detail_rows(consolidation: Consolidation, status: Status, layout: DetailLayout, styles: dict[str, int]
                 ) -> Iterator[str]:
    """The detail sheet's rows below its header, as XML: each unit's figures, and a subtotal per parent and
    the grand total as formulas (with their values) over the unit rows."""
    year = consolidation.year
    states = {u.unit.code: u for u in status.units}
    text, sub_text = styles["d_text"], styles["d_sub_text"]
    level_names = {level.id: level.name for level in consolidation.plan.levels}
    number = 0
    # the units' values in the order the rows need them: read a chunk at a time from the ledger
    codes = [entry.unit.code for entry in layout.rows if entry.kind == UNIT_ROW and entry.unit is not None]
    stream = consolidation.values.in_order(codes)
    pending = next(stream, None)
    for entry in layout.rows:
        row = entry.row
        cells: list[str] = []
        if entry.kind == UNIT_ROW:
            unit = entry.unit
            assert unit is not None
            number += 1
            state = states.get(unit.code)
            fixed = (str(number), unit.code, "  " * entry.depth + unit.name, level_names.get(unit.level, unit.level),
                     unit.parent or "", UNIT_ROW, state.label if state else "")
            cells += [X.string(row, col, text, value) for col, value in enumerate(fixed)]
            values: dict = {}
            if pending is not None and pending[0] == unit.code:
                values = pending[1]
                pending = next(stream, None)
            for columns in layout.columns:
                cells += _unit_cells(columns, row, values.get(columns.indicator.id), unit, styles)
        else:
            label = TOTAL_ROW if entry.kind == TOTAL_ROW else f"Cộng: {entry.unit.name}"  # type: ignore[union-attr]
            level = level_names.get(entry.unit.level, entry.unit.level) if entry.unit else ""
            fixed = ("", entry.unit.code if entry.unit else "", label, level, "", entry.kind, "")
            cells += [X.string(row, col, sub_text, value) for col, value in enumerate(fixed)]
            rolled_map = (consolidation.totals if entry.kind == TOTAL_ROW
                          else consolidation.by_parent.get(entry.unit.code, {}))  # type: ignore[union-attr]
            for columns in layout.columns:
                cells += _rolled_cells(columns, entry, rolled_map.get(columns.indicator.id), year, styles)
        yield X.row(row, cells, _row_height(fixed, FIXED_WIDTHS))


def _unit_cells(columns: DetailColumns, row: int, value: Any, unit: Unit, styles: dict[str, int]) -> list[str]:
    indicator = columns.indicator
    kind = indicator.measure.kind
    if unit.level not in indicator.levels or value is None:
        return [X.blank(row, col, styles["d_text"]) for col in
                (columns.numerator, columns.denominator, columns.value, columns.judgement) if col is not None]
    cells = []
    if kind == "rate":
        # the unit's own figures; its rate is shown as a value (the roll-ups below are formulas over the
        # numerators and denominators, which is what an auditor follows)
        cells.append(X.number(row, columns.numerator, styles["d_int"], value.numerator))  # type: ignore[arg-type]
        cells.append(X.number(row, columns.denominator, styles["d_int"], value.denominator))  # type: ignore[arg-type]
        if value.denominator:
            cells.append(X.number(row, columns.value, styles["d_pct"],  # type: ignore[arg-type]
                                  100 * value.numerator / value.denominator))
        else:
            cells.append(X.string(row, columns.value, styles["d_center"], LABELS[NOT_ARISEN]))  # type: ignore[arg-type]
    elif kind == "yesno":
        cells.append(X.string(row, columns.value, styles["d_center"], value.text or ""))  # type: ignore[arg-type]
    elif kind == "text":
        cells.append(X.string(row, columns.value, styles["d_text"], value.text or ""))  # type: ignore[arg-type]
    elif value.value is None:
        cells.append(X.blank(row, columns.value, styles["d_pct"]))  # type: ignore[arg-type]
    else:
        cells.append(X.number(row, columns.value, styles["d_pct" if kind == "percent" else "d_int"],  # type: ignore[arg-type]
                              value.value))
    if columns.judgement is not None:
        cells.append(X.string(row, columns.judgement, styles["d_center"], LABELS.get(value.status, "")))
    return cells


def _rolled_cells(columns: DetailColumns, entry: DetailRow, rolled: Rolled | None, year: int,
                  styles: dict[str, int]) -> list[str]:
    row, first, last = entry.row, entry.first, entry.last
    kind = columns.indicator.measure.kind
    cells = []
    if kind == "rate":
        assert columns.numerator is not None and columns.denominator is not None
        cells.append(X.formula(row, columns.numerator, styles["d_sub_int"], sum_formula(columns.numerator, first, last),
                               _cached(rolled.numerator if rolled and rolled.reported else None)))
        cells.append(X.formula(row, columns.denominator, styles["d_sub_int"],
                               sum_formula(columns.denominator, first, last),
                               _cached(rolled.denominator if rolled and rolled.reported else None)))
    assert columns.value is not None
    formula = value_formula(columns, row, first, last)
    if formula is None:
        reported = f"{rolled.reported}/{rolled.expected} đơn vị báo cáo" if rolled else ""
        cells.append(X.string(row, columns.value, styles["d_sub_text"], reported))
        return cells
    cached: Any = ""
    if rolled is not None and rolled.reported:
        cached = LABELS[NOT_ARISEN] if rolled.status == NOT_ARISEN else _cached(rolled.value)
    style = "d_sub_pct" if kind in ("rate", "percent", "yesno") or columns.indicator.effective_rollup == "mean" \
        else "d_sub_int"
    cells.append(X.formula(row, columns.value, styles[style], formula, cached))
    judgement = judgement_formula(columns, row, first, last, year)
    assert columns.judgement is not None and judgement is not None
    cells.append(X.formula(row, columns.judgement, styles["d_sub_center"], judgement, rolled.label if rolled else ""))
    return cells


# -- the appendix ------------------------------------------------------------------------------------------


def printed_header(column: Column) -> str:
    """A plan column's header; one that reads like a result ("Kết quả thực hiện": what the plan expects as the
    output) is said to be the plan's, beside the period's own results."""
    if column.shows not in RESULT_COLUMNS and column.header.lower().startswith("kết quả"):
        return f"{column.header} (theo kế hoạch)"
    return column.header


def printed_widths(consolidation: Consolidation, level_names: dict[str, str]) -> list[int]:
    """The appendix's column widths: the plan's, narrowed where the page needs it so that 12-point type
    prints at least 10 points tall, and shared to take the fewest lines (:mod:`xlkpi.report.widths`)."""
    columns = consolidation.plan.columns
    texts = [[printed_header(column) for column in columns]]
    for _, indicator in consolidation.plan.iter_indicators():
        rolled = consolidation.totals[indicator.id]
        texts.append([_result_text(column.shows, rolled, level_names) if column.shows in RESULT_COLUMNS
                      else _printed(indicator, column) for column in columns])
    declared = [c.width or 12 for c in columns]
    # the indicator's name is what a leader reads first: never squeezed below a readable line
    # and the judgement is read at a glance: "Đạt (chưa đủ số liệu)" on two lines, not four
    least = [min(width, LEAST_WIDTHS.get(column.shows, 0)) for column, width in zip(columns, declared)]
    indents = [TEXT_INDENT if column.shows in TEXT_COLUMNS else 0 for column in columns]
    return fit_widths(declared, texts, least=least, indents=indents)


def _printed(indicator: Indicator, column: Column) -> str:
    return indicator.printed(column) or ""


def _write_appendix(sheet: Any, fmt: dict[str, Any], consolidation: Consolidation, status: Status, context: Context,
                    layout: DetailLayout, formulas: bool = True) -> None:
    sheet = _Heights(sheet)
    plan = consolidation.plan
    columns = plan.columns
    last = len(columns) - 1
    level_names = {level.id: level.name for level in plan.levels}
    widths = printed_widths(consolidation, level_names)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    full_width = sum(widths)
    appendix = plan.document.appendix
    row = 0
    sheet.merge_range(row, 0, row, last, f"{appendix.heading} {appendix.number}".strip(), fmt["heading"])
    sheet.set_row(row, LINE_HEIGHT + 4)  # 14-point bold
    row += 1
    for line in appendix.title:
        sheet.merge_range(row, 0, row, last, line, fmt["title"])
        sheet.set_row(row, LINE * lines_needed(line, full_width * 0.95, 13, True) + 4)
        row += 1
    attached = attached_line(plan, context)
    sheet.merge_range(row, 0, row, last, attached, fmt["attached"])
    sheet.set_row(row, LINE * lines_needed(attached, full_width * 0.95, 13) + 4)
    row += 1
    start, end = context.period.date_range(context.convention)  # type: ignore[arg-type]
    results = (f"Kết quả {context.period.label[0].lower()}{context.period.label[1:]} (số liệu từ ngày "
               f"{start:%d/%m/%Y} đến ngày {end:%d/%m/%Y})")
    basis = basis_line(plan)
    line = f"{results}. {basis}" if basis else results
    if appendix.results_line:
        sheet.merge_range(row, 0, row, last, line, fmt["attached"])
        sheet.set_row(row, LINE * lines_needed(line, full_width * 0.95, 13) + 4)
        row += 1
    row += 1

    header_first = row
    grouped = any(c.group for c in columns)
    if grouped:
        for first, span, group in header_groups(columns):
            if group is None:
                sheet.merge_range(row, first, row + 1, first, printed_header(columns[first]), fmt["header"])
                continue
            if span > first:
                sheet.merge_range(row, first, row, span, group, fmt["header"])
            else:
                sheet.write_string(row, first, group, fmt["header"])
            for inner in range(first, span + 1):
                sheet.write_string(row + 1, inner, printed_header(columns[inner]), fmt["header"])
        row += 2
    else:
        for col, column in enumerate(columns):
            sheet.write_string(row, col, printed_header(column), fmt["header"])
        row += 1
    if grouped:  # the top row holds the groups; headers merged over both rows share their height
        top = max([lines_needed(c.group, sum(w for d, w in zip(columns, widths) if d.group == c.group), bold=True)
                   for c in columns if c.group] + [1])
        bottom = max([lines_needed(printed_header(c), w, bold=True) for c, w in zip(columns, widths) if c.group] + [1])
        spanning = max([lines_needed(printed_header(c), w, bold=True) for c, w in zip(columns, widths) if not c.group]
                       + [1])
        bottom = max(bottom, spanning - top)
        sheet.set_row(header_first, LINE_HEIGHT * top + 6)
        sheet.set_row(header_first + 1, LINE_HEIGHT * bottom + 6)
    else:
        sheet.set_row(header_first, LINE_HEIGHT * max(lines_needed(printed_header(c), w, bold=True)
                                                      for c, w in zip(columns, widths)) + 6)
    number_row = row - 1  # the last row repeated on every printed page: the header's, or the numbers'
    if appendix.column_numbers:
        for col in range(len(columns)):
            sheet.write_string(row, col, f"({col + 1})", fmt["colnum"])
        number_row = row
        row += 1

    total = layout.total
    current: Section | None = None
    body_first, section_rows = row, set()
    merged_cells: dict[int, list[tuple[int, str, str]]] = {}  # a merged column's cells: (row, text, style)
    for section, indicator in plan.iter_indicators():
        if section is not None and section is not current:
            current = section
            section_rows.add(row)
            if section.layout == "row":
                sheet.write_string(row, 0, section.number, fmt["section"])
                if last > 0:
                    sheet.merge_range(row, 1, row, last, section.title, fmt["section"])
            else:
                sheet.merge_range(row, 0, row, last, f"{section.number} {section.title}", fmt["section"])
            sheet.set_row(row, LINE_HEIGHT * lines_needed(section.title, full_width - widths[0], bold=True) + 4)
            row += 1
        rolled = consolidation.totals[indicator.id]
        detail = layout.of(indicator.id)
        height = 1
        for col, column in enumerate(columns):
            if column.shows in RESULT_COLUMNS:
                shown = _write_result(sheet, fmt, row, col, column.shows, rolled, detail if formulas else None,
                                      total, level_names)
                height = max(height, lines_needed(shown, widths[col], bold=column.shows == "judgement"))
                continue
            text = _printed(indicator, column)
            if column.shows in ("name", "note") and write_emphasised(sheet, row, col, indicator, text, fmt["text"],
                                                                      fmt["italic_run"], fmt["text_italic"]):
                height = max(height, lines_needed(text, widths[col] - TEXT_INDENT))
                continue
            style = "text" if column.shows in TEXT_COLUMNS else "center"
            sheet.write_string(row, col, text, fmt[style])
            if column.merged:
                merged_cells.setdefault(col, []).append((row, text, style))
            height = max(height, lines_needed(text, widths[col] - (TEXT_INDENT if style == "text" else 0)))
        sheet.set_row(row, LINE * height + 6)
        row += 1

    body_last = row - 1
    row += 1
    for line in _footnote(consolidation, status, context, printed=not formulas):
        sheet.merge_range(row, 0, row, last, line, fmt["note"])
        sheet.set_row(row, LINE * lines_needed(line, full_width * 0.95) + 4)
        row += 1
    row += 1
    _write_signature(sheet, fmt, plan, row, last, context.signer_name, context.recipients)
    end = row + max(SIGN_GAP_ROWS + 2, len(context.recipients))

    sheet.repeat_rows(header_first, number_row)
    sheet.set_landscape()
    sheet.set_paper(9)
    # printed at the largest scale the width allows (at least 85 %: the widths were fitted for it), and
    # broken into pages here, so that no page ends on a section's title and the signature shares its page
    # with the last indicators
    scale = print_scale(widths)
    sheet.set_print_scale(scale)
    breaks = page_breaks([sheet.heights.get(r, DEFAULT_ROW) for r in range(end + 1)],
                         (header_first, number_row), (body_first, body_last), section_rows, scale)
    sheet.set_h_pagebreaks(breaks)
    for col, cells in merged_cells.items():  # one agency for several indicators: one cell, as the plan prints it
        for first, last, text, style in merged_runs(cells, set(breaks)):
            sheet.merge_range(first, col, last, col, text, fmt[style])
    sheet.set_margins(left=1.18, right=0.59, top=0.79, bottom=0.79)  # 30, 15, 20, 20 mm
    sheet.set_header(f'&C&"{FONT},Regular"&13&P')
    sheet.hide_gridlines(2)


def merged_runs(cells: list[tuple[int, str, str]], breaks: set[int]) -> list[tuple[int, int, str, str]]:
    """Runs of the same text in consecutive rows (first row, last row, text, style): no run crosses a section's
    row or a page break (a cell merged across two pages prints its text on the first only)."""
    runs: list[tuple[int, int, str, str]] = []
    start = 0
    for i in range(1, len(cells) + 1):
        if i < len(cells) and cells[i][1] and cells[i][1] == cells[start][1] and cells[i][0] == cells[i - 1][0] + 1 \
                and cells[i][0] not in breaks:
            continue
        if i - 1 > start:
            runs.append((cells[start][0], cells[i - 1][0], cells[start][1], cells[start][2]))
        start = i
    return runs


class _Heights:
    """A worksheet that remembers the height given to each row (to break the pages by)."""

    def __init__(self, sheet: Any) -> None:
        self.sheet, self.heights = sheet, {}

    def set_row(self, row: int, height: float | None = None, *args: Any, **kwargs: Any) -> Any:
        if height is not None:
            self.heights[row] = height
        return self.sheet.set_row(row, height, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sheet, name)


#: the appendix's page: A4 landscape, 20 mm top and bottom margins, in points (as printed); a row no height
#: was set for
PAGE_HEIGHT, DEFAULT_ROW = (210 - 40) / 25.4 * 72, 16.0
#: the part of a page the breaks fill: programs lay rows out a little taller than the heights say
PAGE_FILL = 0.96


def page_breaks(heights: list[float], repeated: tuple[int, int], body: tuple[int, int], sections: set[int],
                scale: int) -> list[int]:
    """The rows that start a new page (0-based), for rows ``heights`` tall printed at ``scale`` %: pages filled
    in order, the header rows ``repeated`` at the top of every page after the first, a section's title never
    last on a page, and what follows the body (footnote, signature, "Nơi nhận") on the page of the body's last
    row, with that row, when it fits on a page at all."""
    room = PAGE_HEIGHT * PAGE_FILL * 100 / scale
    header = sum(heights[repeated[0]:repeated[1] + 1])
    first, last = body
    tail = sum(heights[last:])
    breaks: list[int] = []
    above = used = sum(heights[:first])  # the title block and the header, on page 1
    row = first
    while row <= last:
        block = [row, row + 1] if row in sections and row < last else [row]
        if block[-1] == last and header + tail <= room:  # the last row goes with the footnote and signature
            need = tail + sum(heights[r] for r in block[:-1])
        else:
            need = sum(heights[r] for r in block)
        if used + need > room and used > (header if breaks else above):
            breaks.append(row)
            used = header
        used += sum(heights[r] for r in block)
        row = block[-1] + 1
    # the signature's page holds more than a lone indicator when the page before can give one
    while breaks:
        start = breaks[-1]
        before = breaks[-2] if len(breaks) > 1 else first
        moved = start - 1
        if (last - start >= 1 or start - before < 3 or moved in sections or moved - 1 in sections
                or header + sum(heights[moved:]) > room):
            break
        breaks[-1] = moved
    return breaks


def _write_result(sheet: Any, fmt: dict[str, Any], row: int, col: int, shows: str, rolled: Rolled,
                  detail: DetailColumns | None, total: DetailRow | None, level_names: dict[str, str]) -> str:
    """A result cell: a formula over the detail sheet with its cached value, or the value itself (``detail``
    None: the print copy; or the office's own figure), or why there is none (no unit of the round reports it).
    Returns the text the cell shows, which the row's height must hold."""
    kind = rolled.indicator.measure.kind
    shown = _result_text(shows, rolled, level_names)
    style = "judgement" if shows == "judgement" else "center"
    by_formula = (detail is not None and total is not None and rolled.office is None and rolled.expected > 0
                  and kind != "text" and (shows == "result" or detail.judgement is not None))
    if not by_formula:
        sheet.write_string(row, col, shown, fmt[style])
        return shown
    assert detail is not None and total is not None
    if shows == "result":
        # printed with a decimal comma whatever the locale of the program that prints it (FIXED gives the
        # locale's separator, without thousands separators; a point becomes a comma, a comma stays)
        reference = f"'{DETAIL}'!{xl_rowcol_to_cell(total.row, detail.value)}"
        decimals = _decimals(rolled)
        formula = f'=IF(ISNUMBER({reference}),SUBSTITUTE(FIXED({reference},{decimals},TRUE),".",","),{reference})'
    elif shows == "units-met":
        formula = units_met_formula(detail, total.first, total.last, rolled.expected)
    else:
        formula = verdict_formula(detail, total, rolled.expected)
    sheet.write_formula(row, col, formula, fmt[style], shown)
    return shown


def _decimals(rolled: Rolled) -> int:
    """A count summed over units, or the office's own count, is whole; any other result has two decimals."""
    kind = rolled.indicator.measure.kind
    return 0 if kind == "count" and (rolled.indicator.effective_rollup == "sum" or rolled.office) else 2


def _result_text(shows: str, rolled: Rolled, level_names: dict[str, str]) -> str:
    """What a result cell shows: the text written, or the cached value of its formula."""
    kind = rolled.indicator.measure.kind
    if rolled.expected == 0 and rolled.office is None:  # no unit of its levels in this round: nobody's failure
        levels = ", ".join(level_names.get(level, level) for level in rolled.indicator.levels)
        return {"units-met": f"Đợt này không có đơn vị ({levels}) báo cáo chỉ tiêu này",
                "judgement": rolled.label}.get(shows, "")
    if shows == "result":
        if rolled.status == NOT_ARISEN:
            return LABELS[NOT_ARISEN]
        if rolled.office is not None and (kind == "text" or rolled.value is None):
            return rolled.office.text or ""
        if kind == "text":
            return rolled.units_met
        return "" if rolled.value is None else shown_number(rolled.value, _decimals(rolled))
    return rolled.units_met if shows == "units-met" else rolled.verdict


def _names(units: list[Unit], printed: bool = False) -> str:
    """The first units' names; the print names no sheet it does not contain."""
    shown = ", ".join(u.name for u in units[:MAX_NAMED])
    if len(units) > MAX_NAMED:
        where = "" if printed else f" (xem trang \"{PROGRESS}\")"
        shown += f" và {len(units) - MAX_NAMED} đơn vị khác{where}"
    return shown


def _footnote(consolidation: Consolidation, status: Status, context: Context, printed: bool = False) -> list[str]:
    lines = [f"Ghi chú: Số liệu tổng hợp từ báo cáo hợp lệ của {status.with_data}/{len(status.units)} đơn vị "
             f"({status.summary_vi()})."]
    missing = [u.unit for u in status.units if u.state == MISSING]
    late = [u.unit for u in status.units if u.state == LATE]
    sent_back = [u.unit for u in status.units if u.state == RESUBMIT and u.review == RETURNED]
    rejected = [u.unit for u in status.units if u.state == RESUBMIT and u.review != RETURNED]
    waiting = [u.unit for u in status.units if u.review == WAITING and not u.used_sha256]
    if status.lock is not None:
        lines[0] += f" Số liệu chốt ngày {_day(status.lock.decided_at)}."
    if missing:
        lines.append(f"- Chưa nộp ({len(missing)}): {_names(missing, printed)}.")
    if late:
        lines.append(f"- Nộp muộn ({len(late)}): {_names(late, printed)}.")
    if rejected:
        lines.append(f"- Báo cáo bị từ chối, phải nộp lại ({len(rejected)}): {_names(rejected, printed)}"
                     + (" (số liệu tính theo bản hợp lệ gửi trước, nếu có)." if any(u.sha256 for u in status.units
                                                                                  if u.state == RESUBMIT) else "."))
    if sent_back:
        lines.append(f"- Báo cáo bị trả lại, phải nộp lại ({len(sent_back)}): {_names(sent_back, printed)}.")
    if waiting:
        lines.append(f"- Chưa được duyệt, chưa tổng hợp ({len(waiting)}): {_names(waiting, printed)}.")
    if not (missing or late or rejected or sent_back or waiting):
        lines.append("- Tất cả các đơn vị đã nộp đúng hạn, báo cáo hợp lệ.")
    return lines


def _day(moment: str) -> str:
    """ "2025-10-25 14:30:00" -> "25/10/2025" (a date as the appendix prints it)."""
    try:
        return datetime.fromisoformat(moment).strftime("%d/%m/%Y")
    except ValueError:
        return moment


#: rows left blank between the signer's title and name: room to sign and stamp (Decree 30/2020/NĐ-CP), at
#: least 60 points; a 13-point bold line of the block takes SIGN_LINE points
SIGN_GAP_ROWS, SIGN_LINE = 5, 18.0


def _write_signature(sheet: Any, fmt: dict[str, Any], plan: Plan, row: int, last: int, name: str = "",
                     recipients: tuple[str, ...] = ()) -> None:
    """The signer's block on the right; on the left, "Nơi nhận" of the report (``recipients``: the campaign's,
    never the plan's own list)."""
    signer = plan.document.signer
    split = max(1, (last + 1) // 2)
    left_end, right_start = split - 1, split
    sheet.merge_range(row, right_start, row, last, signer.on_behalf, fmt["sign"])
    sheet.merge_range(row + 1, right_start, row + 1, last, signer.title, fmt["sign"])
    for offset in (0, 1, SIGN_GAP_ROWS + 2):  # 13-point bold lines
        sheet.set_row(row + offset, SIGN_LINE)
    if name or signer.name:
        sheet.merge_range(row + SIGN_GAP_ROWS + 2, right_start, row + SIGN_GAP_ROWS + 2, last, name or signer.name,
                          fmt["sign_name"])
    if recipients:
        if left_end > 0:
            sheet.merge_range(row, 0, row, left_end, "Nơi nhận:", fmt["recipients_title"])
        else:
            sheet.write_string(row, 0, "Nơi nhận:", fmt["recipients_title"])
        for offset, recipient in enumerate(recipients, start=1):
            text = recipient if recipient.startswith("-") else f"- {recipient}"
            if left_end > 0:
                sheet.merge_range(row + offset, 0, row + offset, left_end, text, fmt["recipients"])
            else:
                sheet.write_string(row + offset, 0, text, fmt["recipients"])


# -- progress and charts ---------------------------------------------------------------------------------


PROGRESS_HEADERS = (("STT", 6), ("Mã đơn vị", 12), ("Tên đơn vị", 34), ("Cấp", 16), ("Tình trạng", 22), ("Tệp", 48),
                    ("Thời điểm nhận", 18), ("Nộp muộn", 10))


def _write_progress(sheet: Any, fmt: dict[str, Any], status: Status, plan: Plan) -> None:
    """The header and the sheet's settings; the rows are streamed by :func:`_progress_rows`."""
    for col, (header, width) in enumerate(PROGRESS_HEADERS):
        sheet.write_string(0, col, header, fmt["d_header"])
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 3)
    sheet.autofilter(0, 0, max(1, len(status.units)), len(PROGRESS_HEADERS) - 1)
    print_setup(sheet, plan.title, PROGRESS)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


def _progress_rows(status: Status, styles: dict[str, int], level_names: dict[str, str]) -> Iterator[str]:
    text = styles["d_text"]
    widths = [width for _, width in PROGRESS_HEADERS]
    for row, entry in enumerate(status.units, start=1):
        values = (str(row), *entry.cells(level_names))
        yield X.row(row, [X.string(row, col, text, value) for col, value in enumerate(values)],
                    _row_height(values, widths))


@dataclass
class ChartBar:
    """A bar of an indicator's chart: a unit (its figure linked to the detail sheet) or the units between the
    top and the bottom ones, summed."""

    label: str
    value: float
    status: str  # MET, NOT_MET, or "" (not judged; the summed bar)
    source: str | None = None  # the detail sheet's cell, for a unit


def chart_bars(consolidation: Consolidation, layout: DetailLayout, columns: DetailColumns
               ) -> tuple[list[ChartBar], str]:
    """The bars of a rate indicator's chart, highest first: the units of its levels that have a figure (all of
    them when they fit, else the top and bottom :data:`CHART_ENDS` and one bar for the rest, rolled up by
    numerator and denominator), and a line saying how many units the chart stands on."""
    indicator = columns.indicator
    reporting = [r for r in layout.rows if r.kind == UNIT_ROW and r.unit is not None
                 and r.unit.level in indicator.levels]
    figures: list[tuple[DetailRow, UnitValue]] = []
    arisen_not = 0
    for entry in reporting:
        assert entry.unit is not None
        value = consolidation.values.get(entry.unit.code, {}).get(indicator.id)
        if value is None:
            continue
        if value.status == NOT_ARISEN:
            arisen_not += 1
        elif value.value is not None:
            figures.append((entry, value))
    figures.sort(key=lambda pair: (-(pair[1].value or 0.0), pair[0].unit.name if pair[0].unit else ""))
    source = f"'{DETAIL}'!"

    def bar(entry: DetailRow, value: UnitValue) -> ChartBar:
        assert entry.unit is not None
        return ChartBar(_short(entry.unit.name), value.value or 0.0, value.status,
                        source + xl_rowcol_to_cell(entry.row, columns.value, True, True))

    if len(figures) <= MAX_CHART_BARS:
        bars = [bar(e, v) for e, v in figures]
    else:
        middle = figures[CHART_ENDS:-CHART_ENDS]
        numerator = sum(v.numerator or 0.0 for _, v in middle)
        denominator = sum(v.denominator or 0.0 for _, v in middle)
        rest = ChartBar(f"{len(middle)} đơn vị khác (tổng hợp)", 100 * numerator / denominator if denominator else 0.0,
                        "")
        bars = [bar(e, v) for e, v in figures[:CHART_ENDS]] + [rest] + [bar(e, v) for e, v in figures[-CHART_ENDS:]]
    missing = len(reporting) - len(figures) - arisen_not
    parts = [f"{len(figures)}/{len(reporting)} đơn vị có số liệu"]
    if arisen_not:
        parts.append(f"{arisen_not} không phát sinh")
    if missing:
        parts.append(f"{missing} chưa có số liệu")
    return bars, "; ".join(parts)


def _short(name: str, most: int = 40) -> str:
    return name if len(name) <= most else name[:most - 1].rstrip() + "…"


#: a chart shows every unit up to this many; beyond, the top and bottom CHART_ENDS and the rest summed
MAX_CHART_BARS, CHART_ENDS = 30, 12
#: pixels a bar takes, and the chart's title, axis and legend; rows of the charts sheet (20 pixels) a printed
#: page holds at 80 %
BAR_PIXELS, CHART_FRAME, PAGE_ROWS = 18, 130, 40
CHART_WIDTH = 1000  # pixels: within the width of the page at 80 %


def _write_charts(workbook: Any, fmt: dict[str, Any], consolidation: Consolidation, layout: DetailLayout) -> None:
    """One horizontal bar chart per rate indicator: the units that report it, highest first, green where the
    unit met its target and red where not, every unit named; and how many units met each target."""
    rates = [c for c in layout.columns if c.indicator.measure.kind == "rate"]
    judged = [c for c in layout.columns if c.judgement is not None]
    if not rates and not judged:
        return
    charts = workbook.add_worksheet(CHARTS)
    print_setup(charts, consolidation.plan.title, CHARTS, scale=80)
    charts.set_default_row(15)  # every program lays the rows out alike, so the page breaks fall between charts
    data = workbook.add_worksheet(CHART_DATA)
    data.hide()
    year = consolidation.year
    placed: list[tuple[Any, int]] = []  # (chart, rows it takes)
    data_row = 0
    for columns in rates:
        bars, coverage = chart_bars(consolidation, layout, columns)
        if not bars:
            continue
        first, last = data_row, data_row + len(bars) - 1
        used = set()
        for i, item in enumerate(bars, start=first):
            data.write_string(i, 0, item.label)
            col = {MET: 1, NOT_MET: 2}.get(item.status, 3)  # coloured by the unit's own judgement
            used.add(col)
            if item.source:
                data.write_formula(i, col, f"=IFERROR(--{item.source},0)", None, item.value)
            else:
                data.write_number(i, col, item.value)
        data_row = last + 2
        rule = general_rule(columns.indicator, year)
        chart = workbook.add_chart({"type": "bar"})
        other = "Các đơn vị khác (tổng hợp)" if rule is not None else "Kết quả (%)"
        for col, name, colour in ((1, "Đạt", "#70AD47"), (2, "Chưa đạt", "#C00000"), (3, other, "#7F7F7F")):
            if col not in used:
                continue
            chart.add_series({"name": name, "categories": [CHART_DATA, first, 0, last, 0],
                              "values": [CHART_DATA, first, col, last, col], "fill": {"color": colour},
                              "overlap": 100, "gap": 40,
                              "data_labels": {"value": True, "position": "outside_end",
                                              "num_format": VI + "0.0", "font": {"size": 8, "name": FONT}}})
        printed = columns.indicator.targets.get(year)
        target = f"Chỉ tiêu: {printed.text}" if printed is not None and printed.text else "Chưa có chỉ tiêu"
        if printed is not None and printed.text.replace(",", "").replace(".", "").isdigit():
            target += "%"
        title = f"{consolidation.plan.full_number(columns.indicator.id)}. {columns.indicator.name}"
        chart.set_title({"name": f"{_short(title, 110)}\n{target} — {coverage}",
                         "name_font": {"size": 10, "name": FONT}})
        chart.set_x_axis({"min": 0, "max": 100, "major_unit": 20, "num_format": VI + "0",
                          "num_font": {"size": 8, "name": FONT}, "major_gridlines": {"visible": True}})
        # highest on top, every unit named, the value axis below the bars
        chart.set_y_axis({"reverse": True, "crossing": "max", "interval_unit": 1,
                          "num_font": {"size": 9, "name": FONT}})
        chart.set_legend({"position": "bottom", "font": {"size": 9, "name": FONT}})
        height = CHART_FRAME + BAR_PIXELS * len(bars)
        chart.set_size({"width": CHART_WIDTH, "height": height})
        chart.set_plotarea({"layout": {"x": 0.22, "y": 70 / height, "width": 0.72,
                                       "height": (height - 70 - 50) / height}})
        placed.append((chart, math.ceil(height / 20) + 1))
    if judged:
        base = 5
        for i, columns in enumerate(judged):
            rolled = consolidation.totals[columns.indicator.id]
            data.write_string(i, base, f"CT {consolidation.plan.full_number(columns.indicator.id)}")
            data.write_number(i, base + 1, rolled.met)
            data.write_number(i, base + 2, max(0, rolled.judged - rolled.met))
        overview = workbook.add_chart({"type": "bar", "subtype": "stacked"})
        last = len(judged) - 1
        overview.add_series({"name": "Số đơn vị đạt", "categories": [CHART_DATA, 0, base, last, base],
                             "values": [CHART_DATA, 0, base + 1, last, base + 1], "fill": {"color": "#70AD47"}})
        overview.add_series({"name": "Số đơn vị chưa đạt", "categories": [CHART_DATA, 0, base, last, base],
                             "values": [CHART_DATA, 0, base + 2, last, base + 2], "fill": {"color": "#C00000"}})
        overview.set_title({"name": "Số đơn vị đạt chỉ tiêu", "name_font": {"size": 12, "name": FONT}})
        # counts of units: whole steps, about ten of them ("0,5 đơn vị" means nothing); a bar chart's value axis
        # is its x axis, its categories (the indicators, in the plan's order from the top) its y axis
        most = max((consolidation.totals[c.indicator.id].judged for c in judged), default=1)
        overview.set_x_axis({"min": 0, "major_unit": max(1, math.ceil(most / 10)), "num_format": VI + "0"})
        overview.set_y_axis({"reverse": True, "crossing": "max", "interval_unit": 1})
        overview.set_legend({"position": "bottom"})
        height = min(max(300, 40 * len(judged)), 600)
        overview.set_size({"width": CHART_WIDTH, "height": height})
        placed.append((overview, math.ceil(height / 20) + 1))
    # each chart whole on a page: a chart that does not fit below the one before starts the next page
    position, page_top, breaks = 0, 0, []
    for chart, rows in placed:
        if position > page_top and position - page_top + rows > PAGE_ROWS:
            breaks.append(position)
            page_top = position
        charts.insert_chart(position, 0, chart)
        position += rows
    if breaks:
        charts.set_h_pagebreaks(breaks)


def _write_trend(workbook: Any, fmt: dict[str, Any], consolidation: Consolidation,
                 trend: list[tuple[Period, dict[str, Rolled]]]) -> None:
    """Each indicator's rolled-up result in each period (the same plan's campaigns), and a line chart of
    the rate indicators."""
    sheet = workbook.add_worksheet(TREND)
    fixed = (("STT", 6), ("Chỉ tiêu", 50), ("Chỉ tiêu năm", 12))
    for col, (header, width) in enumerate(fixed):
        sheet.write_string(0, col, header, fmt["d_header"])
        sheet.set_column(col, col, width)
    for n, (period, _) in enumerate(trend):
        sheet.write_string(0, len(fixed) + n, period.label, fmt["d_header"])
        sheet.set_column(len(fixed) + n, len(fixed) + n, 14)
    indicators = consolidation.plan.all_indicators
    for row, indicator in enumerate(indicators, start=1):
        target = indicator.targets.get(consolidation.year)
        sheet.write_string(row, 0, consolidation.plan.full_number(indicator.id), fmt["d_center"])
        sheet.write_string(row, 1, indicator.name, fmt["d_text"])
        sheet.write_string(row, 2, target.text if target else "", fmt["d_center"])
        for n, (_, totals) in enumerate(trend):
            rolled = totals.get(indicator.id)
            col = len(fixed) + n
            if rolled is not None and rolled.value is not None and indicator.measure.kind != "text":
                sheet.write_number(row, col, rolled.value, fmt["d_pct"])
            else:
                sheet.write_string(row, col, rolled.label if rolled else LABELS[NO_DATA], fmt["d_center"])
    sheet.freeze_panes(1, 2)
    print_setup(sheet, consolidation.plan.title, TREND)
    sheet.fit_to_pages(1, 0)
    rates = [(row, i) for row, i in enumerate(indicators, start=1) if i.measure.kind == "rate"]
    if rates and len(trend) > 1:
        chart = workbook.add_chart({"type": "line"})
        last_col = len(fixed) + len(trend) - 1
        for row, indicator in rates:
            chart.add_series({"name": f"{consolidation.plan.full_number(indicator.id)}. {indicator.name}"[:60],
                              "categories": [TREND, 0, len(fixed), 0, last_col],
                              "values": [TREND, row, len(fixed), row, last_col], "marker": {"type": "circle"}})
        chart.set_title({"name": "Kết quả các chỉ tiêu tỷ lệ qua các kỳ (%)", "name_font": {"size": 12, "name": FONT}})
        chart.set_y_axis({"min": 0, "max": 100})
        chart.set_legend({"position": "bottom", "font": {"size": 8}})
        chart.set_size({"width": 1000, "height": 480})
        sheet.insert_chart(len(indicators) + 3, 1, chart)
        sheet.set_h_pagebreaks([len(indicators) + 2])  # the chart on a page of its own, whole
