"""The same job done the straightforward way, with openpyxl, as the yardstick for bench/cycle_nation.py.

What a competent developer would write first: openpyxl writes each unit's form (the same rows, fonts,
borders, unlocked inputs, data validation, protection, a hidden identity sheet), reads every returned
workbook (read-only, values only) and writes the consolidated workbook (units × indicators with a
subtotal per province, and the totals).  Generation and reading use a pool of processes, as xlkpi does;
nothing else is optimised.  Run by cycle_nation.py, each step in a fresh process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from xlkpi.campaign.folder import Campaign
from xlkpi.common.workers import context
from xlkpi.forms import layout as F

_STATE: dict = {}


def _setup(campaign_dir: str) -> None:
    from xlkpi.campaign.folder import open_campaign

    campaign = open_campaign(campaign_dir)
    _STATE["campaign"] = campaign
    _STATE["layout"] = F.layout(campaign.plan, "xa", campaign.target_year)


def _write_form(item: tuple[str, str, str]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.workbook.defined_name import DefinedName

    code, name, target = item
    campaign: Campaign = _STATE["campaign"]
    layout = _STATE["layout"]
    book = Workbook()
    sheet = book.active
    sheet.title = F.SHEET
    font, bold = Font(name="Times New Roman", size=12), Font(name="Times New Roman", size=12, bold=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    yellow = PatternFill("solid", fgColor="FFF2CC")
    sheet["A1"] = campaign.plan.title
    sheet["A1"].font = bold
    sheet["A4"] = f"Đơn vị báo cáo: {name} (mã: {code})"
    headers = ("STT", "Chỉ tiêu", "Đơn vị tính", layout.target_header, "Nội dung số liệu", "Số liệu của đơn vị",
               "Kết quả", "Đánh giá", "Giải trình", "Văn bản kiểm chứng")
    for col, header in enumerate(headers, start=1):
        cell = sheet.cell(F.HEADER_ROW + 1, col, header)
        cell.font, cell.border, cell.alignment = bold, border, wrap
    validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", showErrorMessage=True,
                                error="Nhập số nguyên không âm")
    sheet.add_data_validation(validation)
    for block in layout.blocks:
        row = block.first_row + 1
        for col, value in ((1, block.indicator.number), (2, block.indicator.name), (3, block.indicator.unit),
                           (4, block.target_text)):
            cell = sheet.cell(row, col, value)
            cell.font, cell.border, cell.alignment = font, border, wrap
        for role, (r, c) in block.inputs.items():
            cell = sheet.cell(r + 1, c + 1)
            cell.fill, cell.border = yellow, border
            cell.protection = Protection(locked=False)
            if role in (F.NUMERATOR, F.DENOMINATOR):
                validation.add(cell.coordinate)
    for col, width in zip("ABCDEFGHIJ", (5, 50, 10, 14, 30, 14, 10, 12, 30, 24)):
        sheet.column_dimensions[col].width = width
    sheet.protection.sheet = True
    sheet.protection.password = campaign.config.password
    hidden = book.create_sheet("xlkpi")
    hidden.sheet_state = "veryHidden"
    identity = {"plan": campaign.plan.id, "campaign": campaign.id, "unit": code, "period": campaign.config.period}
    for n, (key, value) in enumerate(identity.items(), start=1):
        hidden.cell(n, 1, key)
        hidden.cell(n, 2, value)
        book.defined_names[f"xlkpi_{key}"] = DefinedName(f"xlkpi_{key}", attr_text=f'"{value}"')
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9
    book.save(target)


def generate(campaign: Campaign, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    units = [u for u in campaign.roster.units if u.level == "xa"]
    work = [(u.code, u.name, str(out / f"{u.code}.xlsx")) for u in units]
    with context().Pool(initializer=_setup, initargs=(str(campaign.directory),)) as pool:
        pool.map(_write_form, work, chunksize=32)
    return len(work)


def _read_return(path: str) -> tuple[str, list[tuple]] | None:
    from openpyxl import load_workbook

    layout = _STATE["layout"]
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        identity = {row[0]: row[1] for row in book["xlkpi"].iter_rows(values_only=True) if row and row[0]}
        rows = list(book[F.SHEET].iter_rows(values_only=True))
    finally:
        book.close()
    found = []
    for block in layout.blocks:
        def cell(role: str) -> object:
            r, c = block.inputs[role]
            return rows[r][c] if r < len(rows) and c < len(rows[r]) else None
        if block.indicator.measure.kind == "rate":
            a, b = cell(F.NUMERATOR), cell(F.DENOMINATOR)
            rate = 100 * a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None
            found.append((block.indicator.id, a, b, rate))
        else:
            found.append((block.indicator.id, None, None, cell(F.VALUE)))
    return str(identity.get("unit")), found


def collect(campaign: Campaign, database: Path) -> int:
    paths = sorted(str(p) for p in campaign.inbox.glob("*.xlsx"))
    with context().Pool(initializer=_setup, initargs=(str(campaign.directory),)) as pool:
        results = pool.map(_read_return, paths, chunksize=32)
    connection = sqlite3.connect(database)
    with connection:
        connection.execute("CREATE TABLE IF NOT EXISTS v (unit, indicator, a, b, value)")
        connection.execute("DELETE FROM v")
        connection.executemany("INSERT INTO v VALUES (?, ?, ?, ?, ?)",
                               [(unit, *row) for unit, rows in results if unit for row in rows])
    connection.close()
    return len(paths)


def consolidate(campaign: Campaign, database: Path, target: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Border, Font, Side

    connection = sqlite3.connect(database)
    values: dict[str, dict[str, tuple]] = {}
    for unit, indicator, a, b, value in connection.execute("SELECT unit, indicator, a, b, value FROM v"):
        values.setdefault(unit, {})[indicator] = (a, b, value)
    connection.close()
    indicators = [i for i in campaign.plan.all_indicators if "xa" in i.levels]
    book = Workbook()
    detail = book.active
    detail.title = "Chi tiết đơn vị"
    font, bold = Font(name="Times New Roman", size=11), Font(name="Times New Roman", size=11, bold=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header = ["STT", "Mã", "Tên đơn vị"] + [f"{i.number} {part}" for i in indicators for part in ("a", "b", "%")]
    detail.append(header)
    totals: dict[str, list[float]] = {i.id: [0.0, 0.0] for i in indicators}
    number = 0
    for province in campaign.roster.roots:
        sums = {i.id: [0.0, 0.0] for i in indicators}
        for unit in campaign.roster.children(province.code):
            number += 1
            row: list[object] = [number, unit.code, unit.name]
            for indicator in indicators:
                a, b, value = values.get(unit.code, {}).get(indicator.id, (None, None, None))
                row += [a, b, value]
                if isinstance(b, (int, float)) and b:
                    sums[indicator.id][0] += a or 0
                    sums[indicator.id][1] += b
            detail.append(row)
            for cell in detail[detail.max_row]:
                cell.font, cell.border = font, border
        subtotal: list[object] = ["", province.code, f"Cộng: {province.name}"]
        for indicator in indicators:
            a, b = sums[indicator.id]
            subtotal += [a, b, 100 * a / b if b else None]
            totals[indicator.id][0] += a
            totals[indicator.id][1] += b
        detail.append(subtotal)
        for cell in detail[detail.max_row]:
            cell.font, cell.border = bold, border
    summary = book.create_sheet("Phụ lục", 0)
    summary.append(["STT", "Chỉ tiêu", "Kết quả (%)"])
    for indicator in indicators:
        a, b = totals[indicator.id]
        summary.append([indicator.number, indicator.name, 100 * a / b if b else None])
    book.save(target)
    return number
