"""The plan workbook: a plan as an Excel workbook a plan owner can read and edit (as XLSForm does for ODK).

``xlkpi plan to-xlsx PLAN`` writes it; every command that takes a plan reads it too (a ``.xlsx`` plan).
Sheets:

``Hướng dẫn``      how to fill the workbook
``Kế hoạch``       the plan and the document around the appendix: one row per item (key, meaning, value)
``Cấp báo cáo``    the levels of reporting units: id, name, other names an agency text uses
``Cột``            the appendix's columns in order: key, header, header group, what it shows, year, width
``Chỉ tiêu``       one row per indicator: its section (number, title, layout), number, name, unit,
                   measure, numerator, denominator, levels, agencies, timeframe, evidence, basis, note, and
                   per target year the target as printed and its rule
``Mục tiêu riêng`` targets that differ for a level or a unit

A rule cell is blank (the rule is read from the target text, "Tối thiểu 50" → ≥ 50), ``không`` (no
numeric rule: the target is judged by hand), or written out: ``>= 80``, ``<= 3``, ``= 100``, ``>= 80; sàn 50``,
``>= 98; sàn 95 ở tên`` (the floor printed in the indicator's name, not in the target cell).
YAML → workbook → YAML gives the same plan for every built-in.  Each value the workbook holds is located
(sheet and cell), so ``plan check`` on a workbook names the cell of each problem.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xlkpi.common.printing import print_setup
from xlkpi.common.text import cell_text, column_letter, fold, wrapped_lines
from xlkpi.plan.yamlfile import LocatedData, format_path
from xlkpi.problems import Problem, problem

GUIDE, META, LEVELS, COLUMNS, INDICATORS, OVERRIDES = (
    "Hướng dẫn", "Kế hoạch", "Cấp báo cáo", "Cột", "Chỉ tiêu", "Mục tiêu riêng")
NO_RULE = "không"

#: (key path, meaning) of the plan's own items, in the order the sheet lists them
META_ROWS: tuple[tuple[str, str], ...] = (
    ("format", "Phiên bản định dạng tệp kế hoạch (để nguyên 1)"),
    ("id", "Mã kế hoạch: chữ thường không dấu, số, dấu gạch nối (vd. lai-chau-2025)"),
    ("version", "Phiên bản của kế hoạch (vd. 2025.1); tăng khi sửa"),
    ("title", "Tên ngắn của kế hoạch (hiện trong danh sách kế hoạch)"),
    ("description", "Mô tả"),
    ("source", "Nguồn: văn bản gốc của phụ lục"),
    ("period_convention", "Cách tính ngày chốt số liệu: theo quy định báo cáo (ngày 15 kỳ trước đến ngày 14 kỳ này) "
                          "hoặc theo tháng dương lịch"),
    ("years", "Các năm mục tiêu, cách nhau bởi dấu phẩy (vd. 2025, 2030)"),
    ("document.superior", "Cơ quan cấp trên (dòng trên tên cơ quan ban hành; có thể để trống)"),
    ("document.issuer", "Cơ quan ban hành (vd. ỦY BAN NHÂN DÂN TỈNH LAI CHÂU)"),
    ("document.kind", "Loại văn bản (vd. Kế hoạch)"),
    ("document.number", "Số văn bản (vd. 123/KH-UBND)"),
    ("document.place", "Địa danh"),
    ("document.date", "Ngày văn bản, như in (vd. ngày 13 tháng 02 năm 2025)"),
    ("document.appendix.heading", "Chữ đầu phụ lục (thường: Phụ lục)"),
    ("document.appendix.number", "Số phụ lục (vd. I; có thể để trống)"),
    ("document.appendix.title", "Tên phụ lục, mỗi dòng in một dòng (Alt+Enter để xuống dòng)"),
    ("document.appendix.attached", "Dòng \"(Kèm theo …)\" dưới tên phụ lục"),
    ("document.appendix.column_numbers", "In dòng số thứ tự cột (1), (2), (3) … dưới tiêu đề bảng: có / không"),
    ("document.appendix.results_line", "In dòng \"Kết quả … (số liệu từ ngày … đến ngày …)\" dưới tên phụ lục: có / không"),
    ("document.signer.on_behalf", "Dòng thẩm quyền ký (vd. TM. ỦY BAN NHÂN DÂN)"),
    ("document.signer.title", "Chức vụ người ký (vd. CHỦ TỊCH)"),
    ("document.signer.name", "Họ tên người ký (có thể để trống)"),
    ("document.recipients", "Nơi nhận, mỗi nơi một dòng"),
)
LIST_KEYS = {"document.appendix.title", "document.recipients"}
FLAG_KEYS = {"document.appendix.column_numbers", "document.appendix.results_line"}

LEVEL_HEADERS = ("Mã cấp", "Tên cấp", "Cách gọi khác trong cột cơ quan thực hiện (mỗi cách một dòng)")
COLUMN_HEADERS = ("Mã cột", "Tiêu đề cột", "Nhóm tiêu đề (dòng trên)", "Nội dung cột", "Năm", "Độ rộng",
                  "Gộp ô trùng nhau (Có)")
COLUMN_FIELDS = ("key", "header", "group", "shows", "year", "width", "merged")
#: the indicator sheet's fixed columns: (header, field); then per year "Mục tiêu Y", "Quy tắc Y", "Thời gian Y"
INDICATOR_FIELDS: tuple[tuple[str, str], ...] = (
    ("Số mục", "section.number"),
    ("Tên mục", "section.title"),
    ("Kiểu mục", "section.layout"),
    ("Mã chỉ tiêu", "id"),
    ("STT", "number"),
    ("Tên chỉ tiêu", "name"),
    ("Đơn vị tính", "unit"),
    ("Loại số liệu", "measure.kind"),
    ("Tử số (a)", "measure.numerator"),
    ("Mẫu số (b)", "measure.denominator"),
    ("Câu hỏi Có/Không", "measure.question"),
    ("Ký hiệu tử số", "measure.numerator_letter"),
    ("Ký hiệu mẫu số", "measure.denominator_letter"),
    ("Nhập mẫu số trước", "measure.denominator_first"),
    ("Cách tổng hợp", "rollup"),
    ("Cấp báo cáo (mã cấp, cách nhau bởi dấu phẩy)", "levels"),
    ("Cơ quan thực hiện", "implementing"),
    ("Cơ quan phối hợp", "coordinating"),
    ("Cơ quan theo dõi, đánh giá", "monitoring"),
    ("Thời gian thực hiện", "timeframe"),
    ("Kết quả thực hiện / minh chứng", "evidence"),
    ("Căn cứ", "basis"),
    ("Ghi chú", "note"),
    ("Đoạn in nghiêng trong tên, ghi chú (mỗi đoạn một dòng)", "emphasis"),
)
OVERRIDE_HEADERS = ("Mã chỉ tiêu", "Năm", "Cấp (mã cấp)", "Mã đơn vị", "Mục tiêu (như in)", "Quy tắc")

CHOICES = {
    "shows": ["number", "name", "target", "unit", "implementing", "coordinating", "monitoring", "timeframe", "evidence",
              "basis", "note", "text", "result", "units-met", "judgement"],
    "measure.kind": ["rate", "percent", "count", "yesno", "text"],
    "rollup": ["ratio", "sum", "mean", "min", "max", "share-yes", "none"],
    "section.layout": ["row", "heading"],
    "period_convention": ["reporting-rule", "calendar"],
}
#: what the workbook shows for each choice: the owner's words; the plan file keeps the codes. A workbook written
#: before these labels holds the codes, which are read as well.
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "shows": {"number": "STT", "name": "Tên chỉ tiêu", "target": "Mục tiêu của năm", "unit": "Đơn vị tính",
              "implementing": "Cơ quan thực hiện", "coordinating": "Cơ quan phối hợp", "monitoring": "Cơ quan theo dõi",
              "timeframe": "Thời gian thực hiện", "evidence": "Kết quả/minh chứng", "basis": "Căn cứ",
              "note": "Ghi chú", "text": "Nội dung khác", "result": "Kết quả kỳ báo cáo",
              "units-met": "Số đơn vị đạt", "judgement": "Đánh giá"},
    "measure.kind": {"rate": "Tỷ lệ (tử số/mẫu số)", "percent": "Tỷ lệ % (nhập sẵn)", "count": "Số lượng",
                     "yesno": "Có/Không", "text": "Nội dung (chữ)"},
    "rollup": {"ratio": "Tổng tử số/tổng mẫu số", "sum": "Cộng", "mean": "Trung bình", "min": "Nhỏ nhất",
               "max": "Lớn nhất", "share-yes": "Tỷ lệ đơn vị trả lời Có", "none": "Không tổng hợp"},
    "section.layout": {"row": "Dòng trong bảng", "heading": "Dòng tiêu đề mục"},
    "period_convention": {"reporting-rule": "Theo quy định báo cáo (ngày 15 đến 14)",
                          "calendar": "Theo tháng dương lịch"},
}


def choice_label(name: str, code: str) -> str:
    """The owner's words for a choice's code (the code itself when it has none)."""
    return CHOICE_LABELS.get(name, {}).get(code, code)


def choice_code(name: str, text: str) -> str:
    """The code of a choice as the workbook shows it, or as an earlier workbook wrote it; other text as it is,
    for the plan check to name."""
    labels = CHOICE_LABELS.get(name, {})
    wanted = " ".join(text.split()).casefold()
    for code, label in labels.items():
        if wanted in (code.casefold(), label.casefold()):
            return code
    return text


_RULE = re.compile(r"^(>=|<=|=|≥|≤|>|<)\s*(-?\d+(?:[.,]\d+)?)\s*(?:;\s*(?:sàn|floor)\s*(-?\d+(?:[.,]\d+)?)"
                   r"(?:\s+(?:ở|in)\s+(tên|ghi chú|căn cứ|kết quả thực hiện|name|note|basis|evidence))?)?$", re.I)
#: where a row prints a rule's floor (``floor_in``), as the rule cell names it
FLOOR_PLACES = {"name": "tên", "note": "ghi chú", "basis": "căn cứ", "evidence": "kết quả thực hiện"}


# -- writing ---------------------------------------------------------------------------------------------


def rule_text(rule: Any) -> str:
    """A target's explicit rule as the workbook writes it (``rule`` a RuleSpec or None)."""
    if rule is None:
        return NO_RULE
    floor = f"; sàn {_number(rule.floor)}" if rule.floor is not None else ""
    if rule.floor is not None and rule.floor_in:
        floor += f" ở {FLOOR_PLACES[rule.floor_in]}"
    return f"{rule.op} {_number(rule.value)}{floor}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def plan_workbook(plan: Any) -> bytes:
    """The plan as a workbook (bytes)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                     "strings_to_urls": False})
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#D9E1F2", "border": 1,
                            "font_name": "Times New Roman", "font_size": 11})
    cell = book.add_format({"text_wrap": True, "valign": "top", "border": 1, "font_name": "Times New Roman",
                            "font_size": 11})
    key = book.add_format({"text_wrap": True, "valign": "top", "border": 1, "font_name": "Times New Roman",
                           "font_size": 11, "font_color": "#595959"})
    data = plan.model_dump(mode="python")

    guide = book.add_worksheet(GUIDE)
    guide.set_column(0, 0, 110)
    text = book.add_format({"text_wrap": True, "valign": "top", "font_name": "Times New Roman", "font_size": 11})
    for row, line in enumerate(_guide_lines(plan)):
        guide.write_string(row, 0, line, head if row == 0 else text)
        guide.set_row(row, _row_height([line], [110]))
    guide.set_landscape()
    guide.set_paper(9)

    meta = book.add_worksheet(META)
    _table(meta, ("Khóa", "Nội dung", "Giá trị"), (22, 60, 80), head)
    _fill(meta, [[path, meaning, choice_label(path, _meta_value(data, path))] for path, meaning in META_ROWS],
          (22, 60, 80), [key, key, cell])
    # the key is what xlkpi reads; the owner reads the meaning beside it
    meta.set_column(0, 0, 22, None, {"hidden": True})
    convention_row = [path for path, _ in META_ROWS].index("period_convention") + 1
    meta.data_validation(convention_row, 2, convention_row, 2,
                         {"validate": "list", "source": _labels("period_convention")})

    levels = book.add_worksheet(LEVELS)
    _table(levels, LEVEL_HEADERS, (14, 36, 50), head)
    _fill(levels, [[level.id, level.name, "\n".join(level.aliases)] for level in plan.levels], (14, 36, 50), cell)

    columns = book.add_worksheet(COLUMNS)
    column_widths = (14, 36, 30, 16, 8, 8, 12)
    _table(columns, COLUMN_HEADERS, column_widths, head)
    _fill(columns, [[("Có" if column.merged else "") if name == "merged"
                     else "" if getattr(column, name) is None else _number(getattr(column, name)) if name == "width"
                     else choice_label(name, str(getattr(column, name))) for name in COLUMN_FIELDS]
                    for column in plan.columns], column_widths, cell)
    columns.data_validation(1, 3, 200, 3, {"validate": "list", "source": _labels("shows")})

    years = plan.years
    timeframe_years = any(isinstance(item.timeframe, dict) for item in plan.all_indicators)
    headers = [h for h, _ in INDICATOR_FIELDS]
    text_columns = [c for c in plan.columns if c.shows == "text"]  # the plan's other printed columns
    headers += [f"[{c.key}] {c.header}" for c in text_columns]
    for year in years:
        headers += [f"Mục tiêu {year}", f"Quy tắc {year}"]
    if timeframe_years:
        headers += [f"Thời gian {year}" for year in years]
    indicators = book.add_worksheet(INDICATORS)
    widths = ([8, 30, 10, 22, 6, 44, 8, 10, 30, 30, 20, 8, 8, 8, 10, 16, 28, 24, 20, 20, 28, 28, 20, 30]
              + [14, 10] * len(years))
    widths += [18] * (len(headers) - len(widths))
    _table(indicators, headers, widths, head)
    indicators.fit_to_pages(0, 0)  # too wide for one page: printed across pages, id, number and name repeated
    indicators.set_print_scale(70)
    indicators.repeat_columns(3, 5)
    fields = [f for _, f in INDICATOR_FIELDS]
    rows: list[list[str]] = []
    for section, item in plan.iter_indicators():
        values = [choice_label(name, _indicator_value(section, item, name)) for name in fields]
        values += [item.texts.get(c.key, "") for c in text_columns]
        for year in years:
            target = item.targets.get(year)
            values.append(target.text or "" if target else "")
            values.append(rule_text(target.rule) if target and "rule" in target.model_fields_set else "")
        if timeframe_years:
            values += [item.timeframe.get(year, "") if isinstance(item.timeframe, dict) else "" for year in years]
        rows.append(values)
    _fill(indicators, rows, widths, cell)
    count = max(1, len(plan.all_indicators))
    for name in ("section.layout", "measure.kind", "rollup"):
        col = fields.index(name)
        indicators.data_validation(1, col, count + 200, col, {"validate": "list", "source": _labels(name)})
    indicators.freeze_panes(1, 6)

    overrides = book.add_worksheet(OVERRIDES)
    override_widths = (22, 8, 12, 12, 30, 16)
    _table(overrides, OVERRIDE_HEADERS, override_widths, head)
    _fill(overrides, [[item.id, str(year), who if kind == "level" else "", who if kind == "unit" else "",
                       own.text or "", rule_text(own.rule) if "rule" in own.model_fields_set else ""]
                      for item in plan.all_indicators for year, target in item.targets.items()
                      for kind, entries in (("level", target.by_level), ("unit", target.by_unit))
                      for who, own in entries.items()], override_widths, cell)
    for sheet in book.worksheets():  # on paper too: the plan and the sheet named on every page, pages numbered
        print_setup(sheet, f"Kế hoạch {plan.id} — {plan.title}", sheet.name)
    book.close()
    return out.getvalue()


def _row_height(values: Iterable[str], widths: Iterable[float]) -> float:
    """A row's height for its wrapped texts (LibreOffice keeps the stored height, so it is set here)."""
    return 15.0 * max([wrapped_lines(v, w) for v, w in zip(values, widths) if v] + [1]) + 4


def _fill(sheet: Any, rows: list[list[str]], widths: Iterable[float], formats: Any) -> None:
    """Rows from the second on, each as tall as its longest wrapped text."""
    widths = list(widths)
    for row, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            sheet.write_string(row, col, value, formats[col] if isinstance(formats, list) else formats)
        sheet.set_row(row, _row_height(values, widths))


def _table(sheet: Any, headers: Iterable[str], widths: Iterable[float], head: Any) -> None:
    headers, widths = list(headers), list(widths)
    for col, (text, width) in enumerate(zip(headers, widths)):
        sheet.write_string(0, col, text, head)
        sheet.set_column(col, col, width)
    sheet.set_row(0, _row_height(headers, widths))
    sheet.freeze_panes(1, 0)
    sheet.repeat_rows(0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)


def _labels(name: str) -> list[str]:
    return [choice_label(name, code) for code in CHOICES[name]]


def _meta_value(data: dict[str, Any], path: str) -> str:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return ""
    if path == "years":
        return ", ".join(str(y) for y in node)
    if isinstance(node, bool):
        return "có" if node else "không"
    if isinstance(node, list):
        return "\n".join(str(x) for x in node)
    return str(node)


def _indicator_value(section: Any, item: Any, name: str) -> str:
    if name.startswith("section."):
        if section is None:
            return ""
        return str(getattr(section, name.split(".", 1)[1]))
    if name.startswith("measure."):
        field_name = name.split(".", 1)[1]
        if field_name not in item.measure.model_fields_set and field_name.endswith(("_letter", "_first")):
            return ""  # the defaults (a, b, numerator first) are left blank
        value = getattr(item.measure, field_name)
        if isinstance(value, bool):
            return "có" if value else "không"
        return "" if value is None else str(value)
    if name == "levels":
        return ", ".join(item.levels)
    if name == "timeframe":
        return item.timeframe if isinstance(item.timeframe, str) else ""
    if name == "emphasis":
        return "\n".join(item.emphasis)
    value = getattr(item, name)
    return "" if value is None else str(value)


def _guide_lines(plan: Any) -> list[str]:
    return [
        f"Kế hoạch {plan.id} — {plan.title}",
        "Tệp này là kế hoạch (phụ lục chỉ tiêu) dưới dạng bảng tính. Sửa trực tiếp trong Excel rồi kiểm tra bằng "
        "lệnh: xlkpi plan check <tệp này>.xlsx — mỗi lỗi được chỉ rõ trang tính và ô.",
        "Trang \"Kế hoạch\": thông tin văn bản (cơ quan ban hành, số, ngày, tên phụ lục, người ký). Chỉ sửa cột Giá trị.",
        "Trang \"Cấp báo cáo\": các cấp đơn vị báo cáo (mã cấp dùng trong cột \"Cấp báo cáo\" của trang Chỉ tiêu).",
        "Trang \"Cột\": các cột của phụ lục theo thứ tự in; \"Nội dung cột\" chọn từ danh sách (Mục tiêu của năm: "
        "năm ghi ở cột Năm; Kết quả kỳ báo cáo, Số đơn vị đạt, Đánh giá: các cột xlkpi điền khi tổng hợp).",
        "Trang \"Chỉ tiêu\": mỗi dòng một chỉ tiêu. Các dòng liền nhau có cùng Số mục và Tên mục thuộc một mục (I, II …); "
        "để trống nếu phụ lục không chia mục. Loại số liệu chọn từ danh sách: "
        + ", ".join(CHOICE_LABELS["measure.kind"].values()) + ".",
        "Mục tiêu: ghi đúng như in trong phụ lục (vd. \"Tối thiểu 50\", \"100\"). Quy tắc: để trống thì xlkpi hiểu từ "
        "mục tiêu; \"không\" nếu mục tiêu không chấm được bằng số; hoặc ghi rõ \">= 80\", \"<= 3\", \">= 80; sàn 50\".",
        "Trang \"Mục tiêu riêng\": mục tiêu khác cho một cấp hoặc một đơn vị (mã đơn vị trong danh sách đơn vị).",
        "Ô có nhiều dòng: Alt+Enter để xuống dòng trong ô.",
    ]


# -- reading ---------------------------------------------------------------------------------------------


@dataclass
class LocatedCells(LocatedData):
    """A plan read from a workbook: the data, and the sheet and cell each value came from."""

    cells: dict[str, tuple[str, str]] = field(default_factory=dict)

    def locate(self, found: Iterable[Problem]) -> list[Problem]:
        """Problems located by key path, given the sheet and cell of that path (or of its nearest parent)."""
        located = []
        for item in found:
            where = self._cell_of(item.path or "")
            if where is None:
                located.append(item)
            else:
                located.append(replace(item, sheet=where[0], cell=where[1], line=None))
        return located

    def _cell_of(self, path: str) -> tuple[str, str] | None:
        while path:
            if path in self.cells:
                return self.cells[path]
            shorter = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path)
            if shorter == path:
                break
            path = shorter
        return None


#: a plan workbook's sheets stay within these (a plan has tens of indicators, a few dozen columns)
MAX_PLAN_ROWS, MAX_PLAN_COLUMNS, MAX_PLAN_SHEET_BYTES = 5000, 200, 30 * 1024 * 1024


def _too_large(data: bytes) -> str:
    """Why the workbook is too large to open safely, or ""."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return ""  # openpyxl says what is wrong
    return f"giải nén ra {total // 1_048_576} MB" if total > MAX_PLAN_SHEET_BYTES else ""


def _held_rows(sheet: Any, file: str, located: LocatedCells) -> list[list[Any]]:
    """The sheet's values as rows, built from the cells it holds; a cell with content beyond the plan's bounds
    is the owner's problem at that cell (it is no part of the plan, and would make the rows enormous)."""
    held = {(row, col): cell.value for (row, col), cell in sheet._cells.items()
            if cell.value is not None and str(cell.value).strip() != ""}
    outside = [(row, col) for row, col in held if row > MAX_PLAN_ROWS or col > MAX_PLAN_COLUMNS]
    if outside:
        row, col = max(outside)
        located.problems.append(problem("plan-workbook-cell-outside", file=file, sheet=sheet.title,
                                        cell=f"{column_letter(col - 1)}{row}", rows=MAX_PLAN_ROWS,
                                        columns=column_letter(MAX_PLAN_COLUMNS - 1)))
        return []
    if not held:
        return []
    height, width = max(row for row, _ in held), max(col for _, col in held)
    rows: list[list[Any]] = [[None] * width for _ in range(height)]
    for (row, col), value in held.items():
        rows[row - 1][col - 1] = value
    return rows


def read_plan_workbook(data: bytes, file: str) -> LocatedCells:
    """The plan data of a plan workbook, every value with its cell; problems when the workbook is not one."""
    import openpyxl

    located = LocatedCells(data={})
    too_large = _too_large(data)
    if too_large:
        located.problems.append(problem("plan-workbook-unreadable", file=file, detail=too_large))
        return located
    try:
        # not read-only: only the cells the sheets hold are kept (read-only rows are padded to the declared
        # range, and one stray cell at XFD1048576 asked for 24 GB)
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # noqa: BLE001 — whatever the file is, it is not a plan workbook we can read
        located.problems.append(problem("plan-workbook-unreadable", file=file, detail=f"{type(exc).__name__}: {exc}"[:200]))
        return located
    try:
        missing = [name for name in (META, LEVELS, COLUMNS, INDICATORS) if name not in book.sheetnames]
        if missing:
            located.problems.append(problem("plan-workbook-sheet-missing", file=file, sheet=missing[0],
                                            sheets=", ".join(book.sheetnames)))
            return located
        rows = {name: _held_rows(book[name], file, located) for name in book.sheetnames
                if name in (META, LEVELS, COLUMNS, INDICATORS, OVERRIDES)}
    finally:
        book.close()
    if located.problems:
        return located
    plan: dict[str, Any] = {}
    cells = located.cells

    def put(path: tuple[str | int, ...], value: Any, sheet: str, row: int, col: int) -> None:
        node = plan
        for part in path[:-1]:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[path[-1]] = value
        cells[format_path(path)] = (sheet, f"{column_letter(col)}{row + 1}")

    def mark(path: tuple[str | int, ...], sheet: str, row: int, col: int) -> None:
        cells.setdefault(format_path(path), (sheet, f"{column_letter(col)}{row + 1}"))

    known = {path for path, _ in META_ROWS}
    for r, values in enumerate(rows[META][1:], start=1):
        path, value = cell_text(_at(values, 0)), _text(_at(values, 2))
        if not path:
            continue
        if path not in known:
            located.problems.append(problem("plan-workbook-key-unknown", file=file, sheet=META, cell=f"A{r + 1}",
                                            key=path))
            continue
        if value == "":
            continue
        parts = tuple(path.split("."))
        if path == "years":
            put(parts, [_year(x) for x in re.split(r"[,;\s]+", value) if x], META, r, 2)
        elif path == "format":
            put(parts, _year(value), META, r, 2)
        elif path in LIST_KEYS:
            put(parts, value.split("\n"), META, r, 2)
        elif path in FLAG_KEYS:
            put(parts, _flag(value), META, r, 2)
        else:
            put(parts, choice_code(path, value), META, r, 2)

    plan["levels"] = []
    mark(("levels",), LEVELS, 0, 0)
    for r, values in enumerate(rows[LEVELS][1:], start=1):
        code, name, aliases = (_text(_at(values, i)) for i in range(3))
        if not (code or name or aliases):
            continue
        level: dict[str, Any] = {"id": code, "name": name}
        if aliases:
            level["aliases"] = aliases.split("\n")
        index = len(plan["levels"])
        plan["levels"].append(level)
        for col, key in enumerate(("id", "name", "aliases")):
            mark(("levels", index, key), LEVELS, r, col)
        mark(("levels", index), LEVELS, r, 0)

    plan["columns"] = []
    mark(("columns",), COLUMNS, 0, 0)
    for r, values in enumerate(rows[COLUMNS][1:], start=1):
        texts = [_text(_at(values, i)) for i in range(len(COLUMN_FIELDS))]
        if not any(texts):
            continue
        column: dict[str, Any] = {}
        index = len(plan["columns"])
        for col, (name, text) in enumerate(zip(COLUMN_FIELDS, texts)):
            mark(("columns", index, name), COLUMNS, r, col)
            if text == "":
                continue
            column[name] = (_year(text) if name == "year" else _number_value(text) if name == "width"
                            else _yes_no(text) if name == "merged"
                            else choice_code(name, text))
        mark(("columns", index), COLUMNS, r, 0)
        plan["columns"].append(column)

    _read_indicators(plan, rows[INDICATORS], mark)
    _read_overrides(plan, rows.get(OVERRIDES, []), mark, located, file)
    located.data = plan
    return located


def _read_indicators(plan: dict[str, Any], rows: list[list[Any]], mark: Any) -> None:
    header = [cell_text(v) for v in (rows[0] if rows else [])]
    fields = [f for _, f in INDICATOR_FIELDS]
    year_cols: dict[str, dict[str, int]] = {"target": {}, "rule": {}, "timeframe": {}}
    text_cols: dict[str, int] = {}
    for col, text in enumerate(header):
        own = re.match(r"^\[([a-z0-9][a-z0-9_-]*)\]", text)
        if own:
            text_cols[own.group(1)] = col
        found = re.fullmatch(r"(Mục tiêu|Quy tắc|Thời gian) (\d{4})", text)
        if found:
            kind = {"Mục tiêu": "target", "Quy tắc": "rule", "Thời gian": "timeframe"}[found.group(1)]
            year_cols[kind][found.group(2)] = col
    sections: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    for r, values in enumerate(rows[1:], start=1):
        texts = [_text(_at(values, i)) for i in range(max(len(values), len(fields)))]
        if not any(texts):
            continue
        got = {name: choice_code(name, text) for name, text in zip(fields, texts)}
        item: dict[str, Any] = {}
        for name in ("id", "number", "name", "unit", "rollup", "implementing", "coordinating", "monitoring", "evidence",
                     "basis", "note"):
            if got[name] != "" or name in ("id", "number", "name", "unit"):  # a blank unit is no unit, not "%"
                item[name] = got[name]
        measure: dict[str, Any] = {key: got[f"measure.{key}"] for key in
                                   ("kind", "numerator", "denominator", "question", "numerator_letter",
                                    "denominator_letter") if got[f"measure.{key}"] != ""}
        if got["measure.denominator_first"] != "":
            measure["denominator_first"] = _flag(got["measure.denominator_first"])
        item["measure"] = measure
        item["levels"] = [x for x in re.split(r"[,;\s]+", got["levels"]) if x]
        if got["emphasis"]:
            item["emphasis"] = got["emphasis"].split("\n")
        printed = {key: texts[col] for key, col in text_cols.items() if col < len(texts) and texts[col]}
        if printed:
            item["texts"] = printed
        per_year = {year: texts[col] for year, col in year_cols["timeframe"].items() if col < len(texts)}
        if any(per_year.values()):
            item["timeframe"] = per_year
        elif got["timeframe"]:
            item["timeframe"] = got["timeframe"]
        targets: dict[str, Any] = {}
        for year, col in year_cols["target"].items():
            text = texts[col] if col < len(texts) else ""
            rule_col = year_cols["rule"].get(year)
            rule = texts[rule_col] if rule_col is not None and rule_col < len(texts) else ""
            target: dict[str, Any] = {"text": text}  # every year of the plan has a target, "" when none is printed
            if rule:
                target["rule"] = parse_rule(rule)
            targets[year] = target
        item["targets"] = targets
        section_key = (got["section.number"], got["section.title"], got["section.layout"])
        if any(section_key):
            if not sections or (sections[-1]["number"], sections[-1]["title"],
                                sections[-1].get("layout", "")) != section_key:
                section: dict[str, Any] = {"number": got["section.number"], "title": got["section.title"],
                                           "indicators": []}
                if got["section.layout"]:
                    section["layout"] = got["section.layout"]
                sections.append(section)
                s = len(sections) - 1
                for col, key in enumerate(("number", "title", "layout")):
                    mark(("sections", s, key), INDICATORS, r, col)
                mark(("sections", s), INDICATORS, r, 0)
            s = len(sections) - 1
            base: tuple[Any, ...] = ("sections", s, "indicators", len(sections[-1]["indicators"]))
            sections[-1]["indicators"].append(item)
        else:
            base = ("indicators", len(loose))
            loose.append(item)
        mark(base, INDICATORS, r, 3)
        for col, name in enumerate(fields):
            if not name.startswith("section."):
                mark(base + tuple(name.split(".")), INDICATORS, r, col)
        for year, col in year_cols["target"].items():
            mark(base + ("targets", year), INDICATORS, r, col)
            mark(base + ("targets", year, "text"), INDICATORS, r, col)
            if year in year_cols["rule"]:
                mark(base + ("targets", year, "rule"), INDICATORS, r, year_cols["rule"][year])
        for year, col in year_cols["timeframe"].items():
            mark(base + ("timeframe", year), INDICATORS, r, col)
        for key, col in text_cols.items():
            mark(base + ("texts", key), INDICATORS, r, col)
    if sections:
        plan["sections"] = sections
    if loose or not sections:
        plan["indicators"] = loose


def _read_overrides(plan: dict[str, Any], rows: list[list[Any]], mark: Any, located: LocatedCells, file: str) -> None:
    where: dict[str, tuple[Any, ...]] = {}
    for s, section in enumerate(plan.get("sections", [])):
        for i, item in enumerate(section["indicators"]):
            where[item.get("id", "")] = ("sections", s, "indicators", i)
    for i, item in enumerate(plan.get("indicators", [])):
        where[item.get("id", "")] = ("indicators", i)
    items = {item.get("id", ""): item for s in plan.get("sections", []) for item in s["indicators"]}
    items.update({item.get("id", ""): item for item in plan.get("indicators", [])})
    for r, values in enumerate(rows[1:], start=1):
        indicator, year, level, unit, text, rule = (_text(_at(values, i)) for i in range(6))
        if not any((indicator, year, level, unit, text, rule)):
            continue
        if indicator not in items:
            located.problems.append(problem("plan-workbook-indicator-unknown", file=file, sheet=OVERRIDES,
                                            cell=f"A{r + 1}", id=indicator))
            continue
        if bool(level) == bool(unit):
            located.problems.append(problem("plan-workbook-override-who", file=file, sheet=OVERRIDES, cell=f"C{r + 1}"))
            continue
        target = items[indicator].setdefault("targets", {}).setdefault(year, {})
        group = "by_level" if level else "by_unit"
        own: dict[str, Any] = {"text": text}
        if rule:
            own["rule"] = parse_rule(rule)
        target.setdefault(group, {})[level or unit] = own
        base = where[indicator] + ("targets", year, group, level or unit)
        mark(base, OVERRIDES, r, 2 if level else 3)
        mark(base + ("text",), OVERRIDES, r, 4)
        mark(base + ("rule",), OVERRIDES, r, 5)


def parse_rule(text: str) -> Any:
    """A rule cell as plan data: None for "không", {op, value, floor} when written out, else the text as is
    (the plan's validation then says what is wrong with it, at its cell)."""
    cleaned = " ".join(text.split())
    if cleaned.lower() in (NO_RULE, "khong", "none", "-"):
        return None
    found = _RULE.match(cleaned)
    if not found:
        return cleaned
    rule: dict[str, Any] = {"op": found.group(1), "value": float(found.group(2).replace(",", "."))}
    if found.group(3):
        rule["floor"] = float(found.group(3).replace(",", "."))
    if found.group(4):
        place = found.group(4).lower()
        rule["floor_in"] = next((key for key, label in FLOOR_PLACES.items() if label == place), place)
    return rule


def _yes_no(text: str) -> Any:
    """"Có" / "Không" (or x, blank) as True / False; anything else as typed, for the check to name its cell."""
    folded = fold(text).strip(" .")
    if folded in ("co", "x", "true", "1"):
        return True
    if folded in ("khong", "false", "0"):
        return False
    return text


def _at(values: list[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def _text(value: Any) -> str:
    """A cell's text exactly as typed (a document number may start with the blanks left for the number),
    with Excel's line breaks as "\\n"; a number as Excel shows it (80.0 -> "80"); a blank cell ""."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("_x000D_", "")
    return cell_text(value)


def _flag(text: str) -> Any:
    """có/không (also yes/no, true/false, 1/0); anything else is left for the plan check to name."""
    folded = text.strip().lower()
    if folded in ("có", "co", "yes", "true", "1", "x"):
        return True
    if folded in ("không", "khong", "no", "false", "0"):
        return False
    return text


def _year(text: str) -> Any:
    """A year cell as a number when it is a whole one ("2025", 2025.0); anything else as typed, for the plan's
    checks to name at its cell ("inf", "1e400", "2025.5" are no years)."""
    try:
        value = float(text)
    except (ValueError, OverflowError):
        return text
    return int(value) if value.is_integer() else text


def _number_value(text: str) -> Any:
    try:
        value = float(text.replace(",", "."))
    except (ValueError, OverflowError):
        return text
    if not math.isfinite(value):
        return text
    return int(value) if value.is_integer() else value


def is_plan_workbook(path: str | Path) -> bool:
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


def plan_file(plan: Any, path: str | Path, header: str = "") -> bytes:
    """The plan as the file ``path`` names: a plan workbook for .xlsx, else a YAML plan file whose comment
    lines at the top are ``header``."""
    from xlkpi.plan.yamlwrite import plan_yaml

    return plan_workbook(plan) if is_plan_workbook(path) else plan_yaml(plan, header).encode("utf-8")
