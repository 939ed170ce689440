"""What collect writes into ``reports/``: the collection report workbook (in Vietnamese) and, for each
unit that must correct its file, a feedback copy of its own workbook.

Everything a unit typed is written as text or number, never as a formula ("=HYPERLINK(…)" in an
explanation stays the text it was).  Both are rebuilt from the ledger on every run, so running collect
again gives the same files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import xlsxwriter

from xlkpi.collect import ledger as L
from xlkpi.campaign.folder import Campaign
from xlkpi.common.files import atomic_output, write_atomically
from xlkpi.common.printing import print_setup
from xlkpi.common.text import shown_time, wrapped_lines
from xlkpi.forms.entry_workbook import LINE_HEIGHT
from xlkpi.forms.generate import WorkbookFactory, file_names, form_context
from xlkpi.collect.checks import clean_input
from xlkpi.forms.layout import SHEET as FORM_SHEET
from xlkpi.collect.run import BUNDLE_SEPARATOR
from xlkpi.collect.status import LATE, MISSING, RESUBMIT, SUBMITTED, Status
from xlkpi.collect.workflow import RETURNED

FONT = "Times New Roman"
FEEDBACK_DIR = "phan-hoi"
FEEDBACK_BANNER = (
    "TỆP PHẢN HỒI: trang \"Phản hồi\" liệt kê từng lỗi và cách sửa. Ô còn sai tô đỏ (tự hết đỏ khi sửa đúng). "
    "Sửa trực tiếp trong tệp này rồi gửi lại."
)
#: said on a copy only when a locked cell the unit had changed was put back (shown in a darker yellow)
RESTORED_NOTE = " Ô khóa đã bị sửa (tô vàng đậm) đã được đặt lại như tệp gốc."
#: the problems whose cell the copy puts back as generated
RESTORED_CODES = frozenset({"target-tampered", "locked-cell-changed", "rows-changed"})


def report_path(campaign: Campaign) -> Path:
    return campaign.reports / f"thu-nhan-{campaign.config.period.lower()}.xlsx"


def write_collection_report(campaign: Campaign, connection: sqlite3.Connection, status: Status) -> Path:
    path = report_path(campaign)
    problems = L.problems_of(connection)
    finished = connection.execute("SELECT max(finished) FROM runs").fetchone()[0]
    with atomic_output(path, force=True) as temp:
        workbook = xlsxwriter.Workbook(str(temp), {
            "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
            "default_format_properties": {"font_name": FONT, "font_size": 12},
        })
        try:
            _write_report(workbook, campaign, status, problems, L.mail_sources(connection), finished)
        finally:
            workbook.close()
    return path


#: the order a follow-up reads the units in: who must act first
STATE_ORDER = {RESUBMIT: 0, MISSING: 1, LATE: 2, SUBMITTED: 3}


def _write_report(workbook: Any, campaign: Campaign, status: Status, problems: dict[str, list[tuple]],
                  mail: dict[str, tuple[str, str, bool]], as_of: str | None) -> None:
    """The report's four sheets. ``as_of``: when the ledger was last brought up to date (the last collect run),
    which the report says it stands at (not the time it was written: the same ledger gives the same report)."""
    head = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                                "valign": "vcenter", "align": "center", "font_name": FONT})
    cell = workbook.add_format({"border": 1, "text_wrap": True, "valign": "top", "font_name": FONT})
    title = workbook.add_format({"bold": True, "font_size": 14, "font_name": FONT})
    styles = {
        SUBMITTED: workbook.add_format({"border": 1, "bg_color": "#C6EFCE", "font_name": FONT, "valign": "top"}),
        LATE: workbook.add_format({"border": 1, "bg_color": "#FFEB9C", "font_name": FONT, "valign": "top"}),
        MISSING: workbook.add_format({"border": 1, "bg_color": "#EDEDED", "font_name": FONT, "valign": "top"}),
        RESUBMIT: workbook.add_format({"border": 1, "bg_color": "#FFC7CE", "font_name": FONT, "valign": "top"}),
    }
    period = campaign.period
    deadline = f"{status.deadline:%d/%m/%Y}" if status.deadline else "không đặt"

    summary = workbook.add_worksheet("Tổng hợp")
    summary.set_column(0, 0, 40)
    summary.set_column(1, 1, 60)
    summary.write_string(0, 0, "BÁO CÁO TIẾP NHẬN TỆP BÁO CÁO", title)
    stands = f"Số liệu tính đến {shown_time(as_of)} (lần thu nhận gần nhất)" if as_of else "Chưa thu nhận lần nào"
    summary.write_string(1, 0, stands, workbook.add_format({"italic": True, "font_name": FONT}))
    rows = [
        ("Kế hoạch", f"{campaign.plan.title} (mã {campaign.plan.id}, phiên bản {campaign.plan.version})"),
        ("Kỳ báo cáo", f"{period.label}, số liệu {period.range_text(campaign.config.convention)}"),
        ("Hạn nộp", deadline),
        ("Đơn vị phải báo cáo", str(len(status.units))),
        ("Đã nộp", str(status.returned)),
        ("    trong đó nộp muộn", str(status.late)),
        ("Phải nộp lại", str(status.count(RESUBMIT))),
        ("Chưa nộp", str(status.count(MISSING))),
        ("Tệp không xác định được đơn vị (bị từ chối)", str(len(status.unidentified))),
        ("Tổng số tệp đã nhận", str(len(status.files))),
        ("Mã đợt báo cáo (trong tệp của đơn vị)", campaign.id),
    ]
    review = status.review_summary_vi()
    if review is not None:
        rows[7:7] = [("Duyệt", review)]
    if status.lock is not None:
        rows.append(("Số liệu đã chốt", f"{shown_time(status.lock.decided_at)}, {status.lock.decided_by}: "
                                        f"{status.lock.reason}"))
    for i, (label, value) in enumerate(rows, start=2):
        summary.write_string(i, 0, label, cell)
        summary.write_string(i, 1, value, cell)
        summary.set_row(i, LINE_HEIGHT * max(wrapped_lines(label, 40), wrapped_lines(value, 60)) + 4)

    def table(name: str, columns: tuple[tuple[str, int], ...]) -> Any:
        """A sheet with its header row (bold, shaded) and column widths."""
        sheet = workbook.add_worksheet(name)
        for col, (header, width) in enumerate(columns):
            sheet.write_string(0, col, header, head)
            sheet.set_column(col, col, width)
        # as tall as its longest wrapped header ("Kích thước (byte)" in an 11-wide column takes two lines)
        sheet.set_row(0, _height(tuple(header for header, _ in columns), columns))
        sheet.repeat_rows(0)
        return sheet

    level_names = {level.id: level.name for level in campaign.plan.levels}
    names = {u.code: u.name for u in campaign.roster.units}
    unit_columns = (("STT", 6), ("Mã đơn vị", 12), ("Tên đơn vị", 34), ("Cấp", 16), ("Tình trạng", 24), ("Tệp", 48),
                    ("Thời điểm nhận", 17), ("Nộp muộn", 10), ("Số lỗi (bản gửi sau cùng)", 12))
    units = table("Đơn vị", unit_columns)
    # who must act first: to resubmit, not yet sent, late, then the rest; by code within each
    ordered = sorted(status.units, key=lambda entry: (STATE_ORDER.get(entry.state, 9), entry.unit.code))
    for row, entry in enumerate(ordered, start=1):
        sha = entry.rejected_sha256 if entry.state == RESUBMIT else entry.sha256
        count = len([p for p in problems.get(sha or "", []) if p[1] == "error"]) if sha else 0
        values = (str(row), *entry.cells(level_names), str(count) if count else "")
        for col, value in enumerate(values):
            units.write_string(row, col, value, styles[entry.state] if col == 4 else cell)
        units.set_row(row, _height(values, unit_columns))
    units.freeze_panes(1, 3)
    units.autofilter(0, 0, max(1, len(status.units)), 8)

    issue_columns = (("Tệp", 36), ("Đơn vị", 22), ("Trang tính", 12), ("Ô", 8), ("Mức", 9), ("Nội dung và cách sửa", 70),
                     ("Mã lỗi (tra cứu kỹ thuật)", 22))
    issues = table("Vấn đề", issue_columns)
    row = 1
    seen: set[str] = set()
    for file in status.files:
        if file.sha256 in seen or file.sha256 not in problems:
            continue
        seen.add(file.sha256)
        unit = f"{file.unit} — {names[file.unit]}" if file.unit in names else (file.unit or "không rõ")
        for code, severity, sheet, where, message_vi, _ in problems[file.sha256]:
            values = (file.path, unit, sheet or "", where or "", "lỗi" if severity == "error" else "cảnh báo",
                      message_vi, code)
            for col, value in enumerate(values):
                issues.write_string(row, col, value, cell)
            issues.set_row(row, _height(values, issue_columns))
            row += 1
    issues.freeze_panes(1, 0)
    issues.autofilter(0, 0, max(1, row - 1), 6)
    # the code is for looking a problem up, not for the clerk who reads the report: hidden, not printed
    issues.set_column(6, 6, issue_columns[6][1], None, {"hidden": True})

    file_columns = (("Tệp", 44), ("Trạng thái", 18), ("Đơn vị", 24), ("Thời điểm nhận", 17), ("Ghi chú", 44),
                    ("Kích thước (byte)", 11), ("SHA-256 (16 ký tự đầu)", 19))
    files = table("Tệp", file_columns)
    for row, file in enumerate(status.files, start=1):
        unit = f"{file.unit} — {names[file.unit]}" if file.unit in names else (file.unit or "")
        values = (file.path, L.STATE_LABELS.get(file.state, file.state), unit, shown_time(file.mtime),
                  _with_mail_note(file, mail), str(file.size), file.sha256[:16])
        for col, value in enumerate(values):
            files.write_string(row, col, value, cell)
        files.set_row(row, _height(values, file_columns))
    files.freeze_panes(1, 0)
    document = f"Tiếp nhận báo cáo — {campaign.plan.title} — {period.label}"
    for sheet, name in ((summary, "Tổng hợp"), (units, "Đơn vị"), (issues, "Vấn đề"), (files, "Tệp")):
        print_setup(sheet, document, name)
        sheet.fit_to_pages(1, 0)
    workbook.set_properties({"title": f"Tiếp nhận báo cáo {campaign.id}", "created": campaign.config.created})


def _with_mail_note(file: L.FileRow, mail: dict[str, tuple[str, str, bool]]) -> str:
    """The file's note, and for a file fetched from the mailbox who sent it (flagged when the sender is not
    one of the roster's addresses)."""
    source = mail.get(file.path.split(BUNDLE_SEPARATOR, 1)[0])
    if source is None:
        return file.note or ""
    _, sender, known = source
    said = f"Nhận qua thư của {sender or '(không rõ người gửi)'}"
    if not known:
        said += " — NGƯỜI GỬI KHÔNG CÓ TRONG DANH SÁCH ĐƠN VỊ, hãy kiểm tra"
    return f"{file.note}. {said}" if file.note else said


def _height(values: tuple[str, ...], columns: tuple[tuple[str, int], ...]) -> float:
    """A row's height for its wrapped texts: LibreOffice keeps an xlsx row's stored height, so rows left to
    the program overprint each other."""
    return LINE_HEIGHT * max(wrapped_lines(value, width - 1) for value, (_, width) in zip(values, columns)) + 4


def write_feedback(campaign: Campaign, connection: sqlite3.Connection, status: Status) -> list[Path]:
    """reports/phan-hoi/<file>.xlsx for each unit whose newest file was rejected (rebuilt every run)."""
    folder = campaign.reports / FEEDBACK_DIR
    if folder.exists():
        for old in folder.glob("*.xlsx"):
            old.unlink()
    # a rejected return, or one an officer returned (the reason is its one finding)
    wanted = [u for u in status.units if u.state == RESUBMIT and (u.rejected_sha256 or u.review == RETURNED)]
    if not wanted:
        return []
    factory = WorkbookFactory(campaign.plan, form_context(campaign), campaign.secret, campaign.target_year)
    names = file_names(campaign.roster.units)
    problems = L.problems_of(connection, [u.rejected_sha256 for u in wanted if u.rejected_sha256])
    written = []
    for entry in wanted:
        sha = entry.rejected_sha256 or entry.sha256
        assert sha is not None
        row = connection.execute("SELECT cells FROM inputs WHERE sha256 = ?", (sha,)).fetchone()
        version, typed = L.read_typed_inputs(row[0] if row else None)
        # the copy is today's form: a cell of the form the unit returned is found by its indicator and role
        moved = factory.cells_from(entry.unit, version)
        filled = {moved.get(cell, cell): clean_input(value) for cell, value in typed.items()}
        notes: dict[str, str] = {}
        findings: list[tuple[str, str]] = []
        for code, severity, sheet, where, message_vi, _ in problems.get(sha, []):
            if severity != "error":
                continue
            where = moved.get(where, where) if where else where
            on_form = bool(where) and sheet in (None, FORM_SHEET)
            key = where if on_form else "A4"
            notes[key] = f"{notes[key]}\n{message_vi}" if key in notes else message_vi
            findings.append((where if on_form else "", message_vi))
        if not entry.rejected_sha256:  # returned by an officer: the reason is what to fix
            returned = f"Báo cáo bị trả lại ({entry.review_by}): {entry.review_reason}"
            notes["A4"] = returned
            findings.append(("", returned))
        restored = any(code in RESTORED_CODES and severity == "error" for code, severity, *_ in problems.get(sha, []))
        banner = FEEDBACK_BANNER + (RESTORED_NOTE if restored else "")
        data = factory.feedback(entry.unit, filled, notes, banner, findings)
        path = folder / names[entry.unit.code]
        write_atomically(path, data, force=True)
        written.append(path)
    return written
