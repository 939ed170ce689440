"""`plan import` and `plan check` on what offices (and attackers) hand them: whatever the file is, a located
refusal in Vietnamese that says what to do, or the right plan — never a traceback, never a hang."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from tests.appendix_shapes import SHAPES, written
from xlkpi.cli import cli
from xlkpi.plan.importer import import_plan
from xlkpi.plan.model import check_plan
from xlkpi.problems import XlkpiError

SHAPE = SHAPES[0]
DOCX, XLSX = written(SHAPE, ".docx"), written(SHAPE, ".xlsx")


def with_part(data: bytes, name: str, content: bytes, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info.filename))
    return out.getvalue()


def zipped(parts: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in parts:
            target.writestr(name, content)
    return out.getvalue()


ENTITIES = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
            b'<w:t>&b;</w:t></w:r></w:p></w:body></w:document>')
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500

REFUSED = {
    # name: (bytes, suffix, code)
    "empty": (b"", ".docx", "import-empty"),
    "pdf-named-docx": (b"%PDF-1.7\n1 0 obj\n", ".docx", "import-not-a-document"),
    "text-named-xlsx": ("STT;Chỉ tiêu\n1;Tỷ lệ".encode(), ".xlsx", "import-not-a-document"),
    "encrypted-office": (OLE + "EncryptedPackage".encode("utf-16-le"), ".docx", "import-encrypted"),
    "encrypted-zip": (b"", ".docx", "import-encrypted"),  # made below
    "zip-without-document": (zipped([("a.txt", b"x")]), ".docx", "import-not-a-document"),
    "broken-zip": (b"PK\x03\x04" + b"\x00" * 40, ".xlsx", "import-unreadable"),
    "entity-declarations": (with_part(DOCX, "word/document.xml", ENTITIES), ".docx", "import-too-complex"),
    "zip-bomb": (with_part(DOCX, "word/document.xml", b"<w:document>" + b" " * 5_000_000 + b"</w:document>"),
                 ".docx", "import-too-complex"),
    "body-missing": (with_part(DOCX, "word/document.xml",
                               b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'),
                     ".docx", "import-unreadable"),
    "other-office-document": (OLE + "PowerPoint Document".encode("utf-16-le"), ".doc", "import-not-a-document"),
}


def encrypted_zip() -> bytes:
    data = bytearray(DOCX)
    for match in re.finditer(rb"PK\x01\x02", data):  # the encrypted flag in every central directory entry
        data[match.start() + 8] |= 1
    for match in re.finditer(rb"PK\x03\x04", data):
        data[match.start() + 6] |= 1
    return bytes(data)


@pytest.mark.parametrize("case", list(REFUSED))
def test_each_is_refused_naming_the_file_and_what_to_do(tmp_path, case):
    data, suffix, code = REFUSED[case]
    if case == "encrypted-zip":
        data = encrypted_zip()
    path = tmp_path / f"phu-luc{suffix}"
    path.write_bytes(data)
    with pytest.raises(XlkpiError) as caught:
        import_plan(path)
    [found] = caught.value.problems
    assert found.code == code and found.file == str(path), (found.code, found.message_vi)
    assert str(path) in found.message_vi and "Hãy" in found.message_vi
    result = CliRunner().invoke(cli, ["plan", "import", str(path), "--out", str(tmp_path / "out.yaml")])
    assert result.exit_code == 1 and code in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out.yaml").exists()


@pytest.mark.parametrize("data, suffix", [(XLSX, ".docx"), (DOCX, ".xlsx")], ids=["xlsx-named-docx", "docx-named-xlsx"])
def test_a_document_named_as_the_other_kind_is_read_as_what_it_is(tmp_path, data, suffix):
    path = tmp_path / f"phu-luc{suffix}"
    path.write_bytes(data)
    found = import_plan(path)
    assert [i["name"] for i in found.data["indicators"]] == [row.name for row in SHAPE.rows]


def test_a_table_nested_in_a_cell_keeps_its_text(tmp_path):
    document = docx.Document(io.BytesIO(DOCX))
    table = document.tables[-1]
    cell = table.rows[-1].cells[-1]  # the last indicator's last column (Ghi chú)
    inner = cell.add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "Quý I: 40%", "Quý II: 60%"
    out = io.BytesIO()
    document.save(out)
    path = tmp_path / "phu-luc.docx"
    path.write_bytes(out.getvalue())
    found = import_plan(path)
    last = found.data["indicators"][-1]
    assert "Quý I: 40% | Quý II: 60%" in str(last), last


def plan_text(change: tuple[str, str]) -> str:
    text = Path("templates/tam-duong-2025.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    return text.replace(change[0], change[1], 1)


NAME = "    name: Tỷ lệ cung cấp dịch vụ công trực tuyến toàn trình trên tổng số thủ tục hành chính có đủ điều kiện"


@pytest.mark.parametrize("change, line", [
    ((NAME, "    name: ''"), 69),
    ((NAME, "    name: '   '"), 69),
    (("years: [2025, 2030]", "years: [2025, 1e400]"), 15),
    (("years: [2025, 2030]", "years: [2025, .inf]"), 15),
    (("years: [2025, 2030]", "years: [2025, 20300]"), 15),
    (("  - id: huyen\n    name: UBND cấp huyện", "  - id: huyen\n    name: ''"), 19),
], ids=["empty-name", "blank-name", "year-1e400", "year-inf", "year-20300", "empty-level-name"])
def test_plan_check_refuses_at_the_line(tmp_path, change, line):
    path = tmp_path / "plan.yaml"
    path.write_text(plan_text(change), encoding="utf-8")
    report = check_plan(path)
    assert not report.valid
    assert line in [p.line for p in report.errors], [(p.code, p.line, p.message_vi) for p in report.errors]


def test_a_plan_workbook_with_a_cell_at_its_last_address(tmp_path):
    """A stray cell at XFD1048576: with content it is named (it is no part of the plan); only formatted, it is
    nothing. Either way read in a moment (the whole range once asked for 24 GB)."""
    import openpyxl
    from openpyxl.styles import Font

    out = tmp_path / "ke-hoach.xlsx"
    assert CliRunner().invoke(cli, ["plan", "to-xlsx", "tam-duong-2025", "--out", str(out)]).exit_code == 0
    book = openpyxl.load_workbook(out)
    book["Chỉ tiêu"]["XFD1048576"].font = Font(bold=True)  # formatted, empty
    book.save(tmp_path / "formatted.xlsx")
    book["Chỉ tiêu"]["XFD1048576"] = "x"
    book.save(tmp_path / "stray.xlsx")
    assert check_plan(tmp_path / "formatted.xlsx").valid
    report = check_plan(tmp_path / "stray.xlsx")
    assert [(p.code, p.sheet, p.cell) for p in report.errors] == [("plan-workbook-cell-outside", "Chỉ tiêu", "XFD1048576")]


@pytest.mark.parametrize("typed", ["inf", "1e400", "2025.5", "-inf"])
def test_a_plan_workbook_year_that_is_no_year_is_named_at_its_cell(tmp_path, typed):
    """"inf" typed where a year belongs raised OverflowError; now the cell is named."""
    import openpyxl

    out = tmp_path / "ke-hoach.xlsx"
    assert CliRunner().invoke(cli, ["plan", "to-xlsx", "tam-duong-2025", "--out", str(out)]).exit_code == 0
    book = openpyxl.load_workbook(out)
    sheet = book["Cột"]
    cell = next(c for row in sheet.iter_rows() for c in row if str(c.value) in ("2025", "2025.0"))
    cell.value = typed
    book.save(out)
    report = check_plan(out)
    assert not report.valid
    assert any(p.sheet == "Cột" and p.cell == cell.coordinate for p in report.errors), \
        [(p.code, p.sheet, p.cell, p.message_vi) for p in report.errors]
