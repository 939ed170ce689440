"""Rosters: reading CSV and XLSX as offices write them, and every check located by row and cell."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from xlkpi.cli import cli
from xlkpi.plan.model import load_plan
from xlkpi.units.roster import Roster, Unit, read_roster


TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def to_windows_1258(text: str) -> bytes:
    """As Windows writes Vietnamese in code page 1258: letters like ư, ơ, â precomposed, the five tone
    marks as combining characters after them."""
    out = b""
    for char in text:
        base, *marks = unicodedata.normalize("NFD", char)
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in TONE_MARKS))
        out += (letter + "".join(m for m in marks if m in TONE_MARKS)).encode("cp1258")
    return out


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(to_windows_1258(text) if encoding == "cp1258" else text.encode(encoding))
    return path


def codes(report):
    return [p.code for p in report.problems]


def test_csv_with_vietnamese_headers_and_tree(tmp_path):
    path = write_csv(
        tmp_path / "dv.csv",
        "Mã đơn vị,Tên đơn vị,Cấp,Mã cấp trên,Liên hệ\n"
        "12,Tỉnh Lai Châu,tinh,,\n"
        "105,Huyện Tam Đường,huyen,12,\n"
        "03388,Phường Đoàn Kết,xa,105,vp@doanket.gov.vn\n",
    )
    roster, report = read_roster(path, load_plan("tam-duong-2025").model_copy())
    # tam-duong-2025 has no 'tinh' level: that row is reported, with its cell
    assert codes(report) == ["roster-unknown-level"]
    assert report.problems[0].cell == "C2" and report.problems[0].row == 2
    assert roster.get("03388").contact == "vp@doanket.gov.vn"
    assert [u.code for u in roster.ancestors("03388")] == ["105", "12"]
    _, report = read_roster(path, load_plan("lai-chau-2025"))
    assert report.valid, report.problems


def test_semicolon_csv_saved_by_excel_in_windows_1258(tmp_path):
    text = "code;name;level\n03388;Phường Đoàn Kết;xa\n"
    roster, report = read_roster(write_csv(tmp_path / "dv.csv", text, "cp1258"))
    assert report.valid
    assert roster.get("03388").name == "Phường Đoàn Kết"


def test_every_problem_with_row_and_cell(tmp_path):
    path = write_csv(
        tmp_path / "dv.csv",
        "code,name,level,parent,email,ghi chu\n"
        "A,Đơn vị A,xa,C\n"
        "B,Đơn vị B,xa,A\n"
        "C,Đơn vị C,xa,B\n"
        "A,Trùng mã,xa,\n"
        "D,,xa,\n"
        "E,Đơn vị E,xa,ZZZ\n"
        ",,,\n",
    )
    roster, report = read_roster(path)
    found = {(p.code, p.cell) for p in report.problems}
    assert found == {
        ("roster-unknown-column", "F1"),
        ("roster-missing-value", "B6"),
        ("roster-duplicate-code", "A5"),
        ("roster-unknown-parent", "D7"),
        ("roster-cycle", "D2"),
    }
    cycle = next(p for p in report.problems if p.code == "roster-cycle")
    assert "A → C → B → A" in cycle.message_vi or "→" in cycle.message_vi
    assert not report.valid
    assert report.warnings[0].code == "roster-unknown-column"


def test_missing_columns_and_empty_files(tmp_path):
    _, report = read_roster(write_csv(tmp_path / "a.csv", "code,name\n1,A\n"))
    assert codes(report) == ["roster-missing-column"]
    assert "level" in report.problems[0].message_vi and "cap" in report.problems[0].message_vi
    _, report = read_roster(write_csv(tmp_path / "b.csv", ""))
    assert codes(report) == ["roster-empty"]
    _, report = read_roster(write_csv(tmp_path / "c.csv", "code,name,level\n"))
    assert codes(report) == ["roster-empty"]
    _, report = read_roster(tmp_path / "missing.csv")
    assert codes(report) == ["file-not-found"]
    _, report = read_roster(write_csv(tmp_path / "d.txt", "x"))
    assert codes(report) == ["file-format"]
    _, report = read_roster(write_csv(tmp_path / "e.xlsx", "not a workbook"))
    assert codes(report) == ["file-unreadable"]


def test_xlsx_roster_with_numeric_codes_and_a_title_row(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet.append([])  # offices often leave a blank first row
    sheet.append(["Mã (code)", "Tên (name)", "Cấp (level)"])
    sheet.append([3388, "Phường Đoàn Kết", "xa"])
    sheet.append([3390.0, "Xã Bình Lư", "xa"])
    sheet.append([3390, "Xã Trùng", "xa"])
    workbook.save(tmp_path / "dv.xlsx")
    roster, report = read_roster(tmp_path / "dv.xlsx")
    assert [u.code for u in roster.units] == ["3388", "3390", "3390"]
    assert [(p.code, p.sheet, p.cell) for p in report.problems] == [("roster-duplicate-code", "Danh sách", "A5")]


def test_written_xlsx_is_what_a_person_expects(tmp_path):
    roster = Roster([Unit("12", "Lai Châu", "tinh"), Unit("03388", "Phường Đoàn Kết", "xa", "12")])
    roster.write(tmp_path / "dv.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "dv.xlsx").active
    assert sheet.title == "Đơn vị"
    assert [c.value for c in sheet[1]] == ["Mã đơn vị (code)", "Tên đơn vị (name)", "Cấp (level)",
                                           "Mã cấp trên (parent)", "Liên hệ (contact)"]
    assert sheet["A3"].value == "03388" and sheet["A3"].data_type == "s"  # the leading zero is kept
    assert sheet.freeze_panes == "A2"


names = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyÀÁẢÃẠàáảãạĐđ ,;\"'", min_size=1, max_size=30).map(str.strip).filter(bool)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[0-9]{2,5}", fullmatch=True), names), min_size=1, max_size=8,
                unique_by=lambda t: t[0]),
       st.sampled_from([".csv", ".xlsx"]))
def test_write_then_read_gives_the_same_roster(tmp_path_factory, rows, suffix):
    roster = Roster([Unit(code, name, "xa", contact=name) for code, name in rows])
    path = tmp_path_factory.mktemp("r") / f"dv{suffix}"
    roster.write(path)
    again, report = read_roster(path)
    assert report.valid, report.problems
    assert [(u.code, u.name, u.level, u.parent, u.contact) for u in again] == [
        (u.code, u.name, u.level, u.parent, u.contact) for u in roster
    ]


def test_roster_check_command(tmp_path):
    path = write_csv(tmp_path / "dv.csv", "code,name,level\n1,A,xa\n1,B,huyen\n")
    result = CliRunner().invoke(cli, ["roster", "check", str(path), "--plan", "cam-hiep-2025"])
    assert result.exit_code == 1
    assert "roster-duplicate-code" in result.output and "roster-unknown-level" in result.output
    assert "A3" in result.output
    ok = write_csv(tmp_path / "ok.csv", "code,name,level\n1,A,xa\n")
    result = CliRunner().invoke(cli, ["roster", "check", str(ok), "--plan", "lai-chau-2025"])
    assert result.exit_code == 0, result.output
    assert "1 đơn vị" in result.output
