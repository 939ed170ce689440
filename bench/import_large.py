"""How long `xlkpi plan import` takes on large or padded appendices.

    python bench/import_large.py [ROWS]

Writes (in a temporary folder) an Excel appendix of ROWS indicators (default 5,000) and the same appendix
with one stray cell at XFD1048576 (the sheet's last cell: its used range is then the whole sheet), imports
each and prints the seconds taken. Target (issue 21): 5,000 rows under 10 s; the stray cell costs seconds at
most.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from xlkpi.plan.importer import import_plan

NAMES = ("Tỷ lệ hồ sơ trực tuyến", "Tỷ lệ thanh toán trực tuyến", "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC",
         "Tỷ lệ hồ sơ giải quyết đúng hạn", "Số cuộc họp trực tuyến của đơn vị", "Mức độ hài lòng")


def appendix(path: Path, rows: int, stray: bool) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Phụ lục"
    sheet.append(["PHỤ LỤC"])
    sheet.append(["CHỈ TIÊU CẢI CÁCH THỦ TỤC HÀNH CHÍNH NĂM 2025"])
    sheet.append(["(Kèm theo Kế hoạch số 1/KH-UBND ngày 02/01/2025 của UBND tỉnh Lai Châu)"])
    sheet.append([])
    sheet.append(["STT", "Tên chỉ tiêu", "Đơn vị tính", "Chỉ tiêu năm 2025", "Cơ quan thực hiện"])
    for n in range(1, rows + 1):
        sheet.append([str(n), f"{NAMES[n % len(NAMES)]} (nhóm {n})", "%", "Tối thiểu 80%",
                      "Các sở, ban, ngành; UBND cấp xã"])
    if stray:
        sheet["XFD1048576"] = "x"
    book.save(path)


def main(rows: int = 5000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for stray in (False, True):
            path = Path(folder) / f"phu-luc-{'stray' if stray else 'plain'}.xlsx"
            appendix(path, rows, stray)
            start = time.perf_counter()
            found = import_plan(path)
            took = time.perf_counter() - start
            count = len(found.data.get("indicators") or [])
            print(f"{rows} rows{' + a cell at XFD1048576' if stray else ''}: {took:.2f} s, {count} indicators")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
