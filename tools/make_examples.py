"""Writes the appendix documents of ``examples/import-appendix`` (a Word document and an Excel sheet).

They are committed, so an office can copy them; this script says how they were made and makes them again
after a change (``python tools/make_examples.py``). The appendix is a department's own plan for its divisions,
in a shape the built-in plans do not have: a letterhead table, a "Năm 2026" group over "Chỉ tiêu giao", a unit
column, sections numbered I, II, a "Đơn vị phối hợp" column and targets that the import reads in every way it
can (a floor, a strict floor, a ceiling, a count, a target only a person can judge). Its shape follows what
provinces published for 2026 (Thanh Hóa's Kế hoạch 257/KH-UBND of 22/12/2025, Phú Thọ's 61/KH-UBND); its
figures are an example.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "examples" / "import-appendix"

LETTERHEAD = ("UBND TỈNH THANH HÓA", "SỞ XÂY DỰNG")
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Thanh Hóa, ngày 08 tháng 01 năm 2026")
FRONT = ("PHỤ LỤC", "CHỈ TIÊU CẢI CÁCH THỦ TỤC HÀNH CHÍNH NĂM 2026 CỦA SỞ XÂY DỰNG",
         "(Kèm theo Kế hoạch số 15/KH-SXD ngày 08/01/2026 của Sở Xây dựng tỉnh Thanh Hóa)")
HEADER = (("STT", "Nội dung chỉ tiêu", "Đơn vị tính", "Năm 2026", "Đơn vị chủ trì", "Đơn vị phối hợp", "Ghi chú"),
          ("STT", "Nội dung chỉ tiêu", "Đơn vị tính", "Chỉ tiêu giao", "Đơn vị chủ trì", "Đơn vị phối hợp",
           "Ghi chú"))
#: header cells merged down (column) and the group across (row 0, columns 3..3: one column under "Năm 2026")
MERGED_DOWN = (0, 1, 2, 4, 5, 6)
ALL_DIVISIONS = "Các phòng, đơn vị thuộc Sở"
ROWS: tuple[tuple[str, ...], ...] = (
    ("I", "DỊCH VỤ CÔNG TRỰC TUYẾN VÀ THANH TOÁN TRỰC TUYẾN"),
    ("1", "Tỷ lệ hồ sơ thủ tục hành chính được tiếp nhận trực tuyến", "%", "Tối thiểu 80%", ALL_DIVISIONS,
     "Trung tâm Phục vụ hành chính công tỉnh", ""),
    ("2", "Tỷ lệ thủ tục hành chính có phát sinh giao dịch thanh toán trực tuyến", "%", "Trên 50%", ALL_DIVISIONS,
     "", ""),
    ("3", "Tỷ lệ hồ sơ trực tuyến toàn trình", "%", "Tăng 10% so với năm 2025", ALL_DIVISIONS, "",
     "Theo Kế hoạch 257/KH-UBND"),
    ("II", "SỐ HÓA VÀ GIẢI QUYẾT HỒ SƠ"),
    ("4", "Tỷ lệ hồ sơ, kết quả giải quyết thủ tục hành chính được số hóa", "%", "100%", ALL_DIVISIONS,
     "Văn phòng Sở", ""),
    ("5", "Tỷ lệ hồ sơ giải quyết đúng hạn", "%", "Không dưới 98%", ALL_DIVISIONS, "", ""),
    ("6", "Tỷ lệ hồ sơ giải quyết quá hạn", "%", "Không quá 2%", ALL_DIVISIONS, "", ""),
    ("7", "Số thủ tục hành chính được cắt giảm, đơn giản hóa", "Thủ tục", "Ít nhất 03", "Văn phòng Sở",
     "Các phòng chuyên môn", ""),
)
SIGNER = ("GIÁM ĐỐC", "", "", "", "Lê Văn Minh")


def as_docx() -> bytes:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(12)

    head = document.add_table(rows=1, cols=2)
    for cell, lines in zip(head.rows[0].cells, (LETTERHEAD, MOTTO)):
        cell.text = "\n".join(lines)
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text in FRONT:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold = text != FRONT[-1]
        run.italic = text == FRONT[-1]

    table = document.add_table(rows=len(HEADER) + len(ROWS), cols=len(HEADER[0]))
    table.style = "Table Grid"
    for r, texts in enumerate(HEADER):
        for c, text in enumerate(texts):
            table.cell(r, c).text = text
    for c in MERGED_DOWN:
        merged = table.cell(0, c).merge(table.cell(1, c))
        merged.text = HEADER[0][c]
    for r, texts in enumerate(ROWS, start=len(HEADER)):
        if len(texts) == 2:  # a section: its number, its title across the rest
            table.cell(r, 0).text = texts[0]
            merged = table.cell(r, 1).merge(table.cell(r, len(HEADER[0]) - 1))
            merged.text = texts[1]
            continue
        for c, text in enumerate(texts):
            table.cell(r, c).text = text
    for r in range(len(HEADER)):
        for cell in table.rows[r].cells:
            for paragraph in cell.paragraphs:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                for run in paragraph.runs:
                    run.bold = True
    sign = document.add_table(rows=1, cols=2)
    sign.cell(0, 1).text = "\n".join(SIGNER)
    for paragraph in sign.cell(0, 1).paragraphs:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = io.BytesIO()
    document.save(out)
    return _stable(out.getvalue())


def as_xlsx() -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Phụ lục"
    width = len(HEADER[0])
    thin = Side(style="thin")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    centre = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for r, (left, right) in enumerate(zip((*LETTERHEAD, ""), MOTTO), start=1):
        sheet.cell(r, 1, left or None).alignment = centre
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        sheet.cell(r, 3, right).alignment = centre
        sheet.merge_cells(start_row=r, start_column=3, end_row=r, end_column=width)
    r = len(MOTTO) + 2
    for text in FRONT:
        cell = sheet.cell(r, 1, text)
        cell.font = Font(name="Times New Roman", bold=text != FRONT[-1], italic=text == FRONT[-1])
        cell.alignment = centre
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        r += 1
    r += 1
    first = r
    for texts in HEADER:
        for c, text in enumerate(texts, start=1):
            cell = sheet.cell(r, c, text)
            cell.font, cell.alignment, cell.border = Font(name="Times New Roman", bold=True), centre, grid
        r += 1
    for c in MERGED_DOWN:
        sheet.merge_cells(start_row=first, start_column=c + 1, end_row=first + 1, end_column=c + 1)
    for texts in ROWS:
        if len(texts) == 2:
            sheet.cell(r, 1, texts[0])
            sheet.cell(r, 2, texts[1]).font = Font(name="Times New Roman", bold=True)
            sheet.merge_cells(start_row=r, start_column=2, end_row=r, end_column=width)
        else:
            for c, text in enumerate(texts, start=1):
                sheet.cell(r, c, text or None)
        for c in range(1, width + 1):
            sheet.cell(r, c).border, sheet.cell(r, c).alignment = grid, (centre if c in (1, 3, 4) else wrap)
        r += 1
    for letter, size in zip("ABCDEFG", (6, 48, 10, 16, 26, 26, 22)):
        sheet.column_dimensions[letter].width = size
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    out = io.BytesIO()
    book.save(out)
    return _stable(out.getvalue())


def _stable(data: bytes) -> bytes:
    """The document with fixed member times and core dates, so making it again changes nothing in git."""
    import re

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-01-08T08:00:00Z", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 8, 8, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    return out.getvalue()


def main() -> int:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, data in (("phu-luc-so-xay-dung.docx", as_docx()), ("phu-luc-so-xay-dung.xlsx", as_xlsx())):
        (FOLDER / name).write_bytes(data)
        print(FOLDER / name, len(data), "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
