"""`xlkpi collect`: every bad input gives a located, Vietnamese problem — never a traceback or a lost
file — and every file ends in exactly one state."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import random
import re
import sqlite3
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlkpi.collect import ledger as L
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.cli import cli
from xlkpi.collect.run import collect
from xlkpi.forms.generate import generate
from xlkpi.forms.simulate import Formula, fill_workbook, plausible_values
from xlkpi.collect.checks import CampaignView


@pytest.fixture
def campaign(tmp_path):
    # a round as it happens: the forms made in September, returned in October (ON_TIME), due 20/10/2025
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", province="lai chau", deadline="20/10/2025",
                  now=MADE)
    campaign = open_campaign(tmp_path / "c")
    generate(campaign, jobs=1)
    return campaign


def blank(campaign, code="03388") -> bytes:
    return next(campaign.outbox.glob(f"{code}_*.xlsx")).read_bytes()


def good_values(campaign, code="03388", seed=1) -> dict:
    view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)
    return plausible_values(view.layout(campaign.roster.get(code))[0], random.Random(seed))


def filled(campaign, code="03388", changes=None, saved_at=None) -> bytes:
    values = good_values(campaign, code)
    values.update(changes or {})
    return fill_workbook(blank(campaign, code), values, saved_at)


MADE = datetime(2025, 9, 15, 8, 0)
ON_TIME = datetime(2025, 10, 10, 9, 0).timestamp()  # before the campaign's deadline, 20/10/2025


def drop(campaign, name: str, data: bytes) -> Path:
    """A file as staff save it into the inbox (dated before the deadline)."""
    path = campaign.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (ON_TIME, ON_TIME))
    return path


def run(campaign, **kwargs):
    return collect(campaign, jobs=1, **kwargs)


def outcome(result, name):
    return next(o for o in result.outcomes if o.path.endswith(name))


def codes(result, name):
    return [p.code for p in outcome(result, name).problems if p.severity == "error"]


def rewrite(data: bytes, changes: dict[str, callable]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename in changes:
                content = changes[info.filename](content)
            target.writestr(info.filename, content)
        for name, make in changes.items():
            if name not in source.namelist():
                target.writestr(name, make(b""))
    return out.getvalue()


def ledger_rows(campaign):
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    try:
        return {table: connection.execute(f'SELECT * FROM {table} ORDER BY 1, 2').fetchall()
                for table in ("contents", "files", "problems", '"values"')}
    finally:
        connection.close()


# -- the happy path --------------------------------------------------------------------------------------


def test_a_correct_file_is_accepted_with_its_values(campaign):
    values = good_values(campaign)
    drop(campaign, "email/03388 bao cao quy 3.xlsx", fill_workbook(blank(campaign), values))
    result = run(campaign)
    got = outcome(result, "03388 bao cao quy 3.xlsx")
    assert got.verdict == "accepted" and got.unit == "03388", got.problems
    assert result.states == {"accepted": 1}
    rows = {r[0]: r for r in got.values}
    assert rows["so-hoa"][1] == values["F11"] and rows["so-hoa"][2] == values["G11"]
    assert result.status.count("submitted") == 1 and result.status.count("missing") == 37
    assert not result.status.has_problems
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    recorded = connection.execute("SELECT path, size, sha256 FROM files").fetchall()
    data = (campaign.inbox / "email/03388 bao cao quy 3.xlsx").read_bytes()
    assert recorded == [("inbox/email/03388 bao cao quy 3.xlsx", len(data), hashlib.sha256(data).hexdigest())]


def test_running_again_changes_nothing_and_files_are_never_modified(campaign):
    drop(campaign, "a.xlsx", filled(campaign))
    drop(campaign, "b.xlsx", filled(campaign, "03390", {"F11": "abc"}))
    drop(campaign, "notes.txt", b"hello")
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in campaign.inbox.rglob("*")}
    run(campaign)
    first = ledger_rows(campaign)
    report = (campaign.reports / "thu-nhan-2025-q3.xlsx").read_bytes()
    again = run(campaign)
    assert again.new_contents == 0
    assert ledger_rows(campaign) == first
    assert (campaign.reports / "thu-nhan-2025-q3.xlsx").read_bytes() == report
    after = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in campaign.inbox.rglob("*")}
    assert after == before


# -- the file itself ---------------------------------------------------------------------------------------


def test_files_that_are_not_workbooks(campaign, tmp_path):
    good = blank(campaign)
    drop(campaign, "empty.xlsx", b"")
    drop(campaign, "truncated.xlsx", good[: len(good) // 2])
    drop(campaign, "letter.xlsx", "Kính gửi Văn phòng UBND tỉnh".encode())
    drop(campaign, "scan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    drop(campaign, "cong-van.pdf", b"%PDF-1.7\n")
    drop(campaign, "ghi-chu.txt", b"nothing")
    drop(campaign, "~$03388_phuong-doan-ket.xlsx", b"\x00lock")
    drop(campaign, "renamed.pdf", filled(campaign, "03390"))  # a workbook under a wrong name: read anyway
    result = run(campaign)
    assert codes(result, "empty.xlsx") == ["file-empty"]
    assert codes(result, "truncated.xlsx") == ["file-corrupt"]
    assert codes(result, "letter.xlsx") == ["not-a-spreadsheet"]
    assert codes(result, "scan.xlsx") == ["not-a-spreadsheet"] and "PDF" in outcome(result, "scan.xlsx").problems[0].message_vi
    assert outcome(result, "cong-van.pdf").verdict == "ignored"
    assert outcome(result, "ghi-chu.txt").verdict == "ignored"
    assert outcome(result, "~$03388_phuong-doan-ket.xlsx").verdict == "ignored"
    assert outcome(result, "renamed.pdf").verdict == "accepted"
    for o in result.outcomes:
        for p in o.problems:
            assert p.file == o.path and p.message_vi and p.message_en


def test_zip_bomb_and_macros_are_refused_unopened(campaign):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 30_000_000)
    drop(campaign, "bomb.xlsx", bomb.getvalue())
    drop(campaign, "macro.xlsm", rewrite(filled(campaign), {"xl/vbaProject.bin": lambda _: b"\xd0\xcf\x11\xe0 vba"}))
    result = run(campaign)
    assert codes(result, "bomb.xlsx") == ["file-too-complex"]
    assert codes(result, "macro.xlsm") == ["macro-present"]


def test_password_encrypted_container_is_explained(campaign):
    # an OLE2 container holding an EncryptedPackage stream, as Excel writes a password-protected .xlsx
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    drop(campaign, "matkhau.xlsx", header + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 1000)
    result = run(campaign)
    assert codes(result, "matkhau.xlsx") == ["file-encrypted"]
    assert "mật khẩu" in outcome(result, "matkhau.xlsx").problems[0].message_vi


# -- identity --------------------------------------------------------------------------------------------


def test_a_file_from_another_campaign(campaign, tmp_path):
    init_campaign(tmp_path / "other", plan="lai-chau-2025", period="2025-Q3", province="lai chau")
    other = open_campaign(tmp_path / "other")
    generate(other, units=["03388"], jobs=1)
    drop(campaign, "old.xlsx", fill_workbook(blank(other), good_values(campaign)))
    result = run(campaign)
    assert codes(result, "old.xlsx") == ["wrong-campaign"]


def test_a_file_claiming_another_unit(campaign):
    def swap(content: bytes) -> bytes:
        return content.replace(b">03388<", b">03390<").replace(b'"03388"', b'"03390"')

    forged = rewrite(filled(campaign), {"xl/sharedStrings.xml": swap, "xl/workbook.xml": swap,
                                        "docProps/custom.xml": swap})
    drop(campaign, "forged.xlsx", forged)
    result = run(campaign)
    assert codes(result, "forged.xlsx") == ["digest-invalid"]
    assert outcome(result, "forged.xlsx").unit is None


def test_identity_places_that_disagree(campaign):
    half = rewrite(filled(campaign), {"docProps/custom.xml": lambda c: c.replace(b">03388<", b">03390<")})
    drop(campaign, "half.xlsx", half)
    result = run(campaign)
    assert codes(result, "half.xlsx") == ["identity-mismatch"]
    assert "03390" in outcome(result, "half.xlsx").problems[0].message_vi


def test_data_retyped_into_a_new_file_needs_an_operator(campaign, tmp_path):
    retyped = openpyxl.load_workbook(io.BytesIO(filled(campaign)))
    del retyped["xlkpi"]
    for name in list(retyped.defined_names):
        del retyped.defined_names[name]
    retyped.custom_doc_props.props.clear()
    buffer = io.BytesIO()
    retyped.save(buffer)
    path = drop(campaign, "nhap-lai.xlsx", buffer.getvalue())
    result = run(campaign)
    assert codes(result, "nhap-lai.xlsx") == ["identity-missing"]
    assert "--assign nhap-lai.xlsx=" in outcome(result, "nhap-lai.xlsx").problems[0].message_vi
    assert result.status.unidentified and result.status.has_problems

    assigned = run(campaign, assign=[f"{path}=03388"])
    got = outcome(assigned, "nhap-lai.xlsx")
    assert got.verdict == "accepted" and got.unit == "03388" and got.assigned
    assert [p.code for p in got.problems] == ["unit-assigned"]
    assert not assigned.status.unidentified
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    assert connection.execute("SELECT unit, assigned FROM contents WHERE verdict = 'accepted'").fetchall() == [("03388", 1)]


# -- locked content and structure -------------------------------------------------------------------------


def test_tampered_target_renamed_sheet_and_deleted_rows(campaign):
    drop(campaign, "target.xlsx", rewrite(filled(campaign), {
        "xl/sharedStrings.xml": lambda c: c.replace("<t>Tối thiểu 50</t>".encode(), "<t>Tối thiểu 5</t>".encode())}))
    drop(campaign, "renamed.xlsx", rewrite(filled(campaign, "03390"), {
        "xl/workbook.xml": lambda c: c.replace('name="Nhập liệu"'.encode(), b'name="Sheet1"', 1)}))
    deleted = openpyxl.load_workbook(io.BytesIO(filled(campaign, "03405")))
    del deleted["Nhập liệu"]
    buffer = io.BytesIO()
    deleted.save(buffer)
    drop(campaign, "deleted.xlsx", buffer.getvalue())
    book = openpyxl.load_workbook(io.BytesIO(filled(campaign, "03394")))
    book["Nhập liệu"].delete_rows(12, 2)
    buffer = io.BytesIO()
    book.save(buffer)
    drop(campaign, "rows.xlsx", buffer.getvalue())
    result = run(campaign)
    tampered = outcome(result, "target.xlsx").problems
    assert [(p.code, p.cell) for p in tampered if p.severity == "error"] == [("target-tampered", "D13")]
    assert '"Tối thiểu 50"' in tampered[0].message_vi and '"Tối thiểu 5"' in tampered[0].message_vi
    assert codes(result, "renamed.xlsx") == ["sheet-missing"] and "Sheet1" in outcome(result, "renamed.xlsx").problems[0].message_vi
    assert codes(result, "deleted.xlsx") == ["sheet-missing"]
    rows = outcome(result, "rows.xlsx").problems
    assert [(p.code, p.cell) for p in rows] == [("rows-changed", "A12")]


# -- values ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"F11": "abc"}, [("not-a-number", "F11")]),
        ({"F11": -5}, [("negative-number", "F11")]),
        ({"F11": 12.5}, [("not-whole-number", "F11")]),
        ({"F11": 900, "G11": 100}, [("numerator-exceeds-denominator", "F11")]),
        ({"F11": 5_000_000_000, "G11": 6_000_000_000}, [("number-too-large", "F11"), ("number-too-large", "G11")]),
        ({"F11": "1.234", "G11": 2000}, [("ambiguous-number", "F11")]),
        ({"F11": "45%", "G11": 100}, [("percent-sign", "F11")]),
        ({"F11": ""}, [("value-missing", "F11")]),
        ({"F11": Formula("=40+40", 80), "G11": 100}, [("formula-in-input", "F11")]),
        ({"F11": Formula("=40+40"), "G11": 100}, [("formula-in-input", "F11")]),
        ({"F12": 50, "G12": 100, "J12": ""}, [("explanation-missing", "J12")]),
    ],
)
def test_bad_values_are_located(campaign, changes, expected):
    drop(campaign, "x.xlsx", filled(campaign, changes=changes))
    result = run(campaign)
    got = outcome(result, "x.xlsx")
    assert [(p.code, p.cell) for p in got.problems if p.severity == "error"] == expected
    assert all(p.sheet == "Nhập liệu" for p in got.problems)
    assert got.verdict == "rejected"


def test_numbers_as_text_are_read_as_documented(campaign):
    drop(campaign, "x.xlsx", filled(campaign, changes={"F11": " 1 234 000 ", "G11": "1.500.000", "F12": 80.0,
                                                       "G12": "80", "F13": "0", "G13": "0"}))
    result = run(campaign)
    got = outcome(result, "x.xlsx")
    assert got.verdict == "accepted", got.problems
    values = {v[0]: v for v in got.values}
    assert values["so-hoa"][1:3] == (1_234_000, 1_500_000)
    assert values["ket-qua-dien-tu"][3] == 100 and values["ket-qua-dien-tu"][7] == "met"
    assert values["tai-su-dung-du-lieu"][3] is None and values["tai-su-dung-du-lieu"][7] == "not-arisen"


def test_formula_looking_text_stays_text_everywhere(campaign):
    evil = '=HYPERLINK("http://example.invalid","Bấm vào đây")'
    drop(campaign, "x.xlsx", filled(campaign, changes={"J11": evil, "F12": "abc"}))
    result = run(campaign)
    got = outcome(result, "x.xlsx")
    assert got.verdict == "rejected"
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    assert connection.execute("""SELECT explanation FROM "values" WHERE indicator = 'so-hoa'""").fetchone() == (evil,)
    feedback = openpyxl.load_workbook(result.feedback[0])["Nhập liệu"]
    assert feedback["J11"].value == evil and feedback["J11"].data_type == "s"
    report = openpyxl.load_workbook(result.report_path)
    for sheet in report.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate


# -- states ----------------------------------------------------------------------------------------------


def test_same_file_twice_and_a_resubmission(campaign):
    first = filled(campaign, saved_at=datetime(2025, 10, 1, 9, 0))
    drop(campaign, "a/03388.xlsx", first)
    drop(campaign, "b/03388 (1).xlsx", first)
    result = run(campaign)
    states = {row.path: row.state for row in result.status.files}
    assert states == {"inbox/a/03388.xlsx": "accepted", "inbox/b/03388 (1).xlsx": "duplicate"}

    second = filled(campaign, changes={"F11": 1, "G11": 2, "J11": "Đã giải trình"}, saved_at=datetime(2025, 10, 5, 9))
    drop(campaign, "c/03388 lan 2.xlsx", second)
    result = run(campaign)
    states = {row.path: row.state for row in result.status.files}
    assert states["inbox/a/03388.xlsx"] == "superseded"
    assert states["inbox/c/03388 lan 2.xlsx"] == "accepted"
    assert states["inbox/b/03388 (1).xlsx"] == "duplicate"
    entry = next(u for u in result.status.units if u.unit.code == "03388")
    assert entry.file == "inbox/c/03388 lan 2.xlsx"


def without_save_time(data: bytes) -> bytes:
    from tests.hostile import edit

    return edit(data, "docProps/core.xml", lambda xml: re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>",
                                                               b"", xml))


@pytest.mark.parametrize("correction_saved", [None, datetime(2019, 3, 1), datetime(2031, 1, 1)],
                         ids=["no-save-time", "clock-years-behind", "clock-years-ahead"])
def test_a_correction_wins_whatever_the_clock_of_the_pc_that_saved_it(campaign, correction_saved):
    """A correction received after the first copy replaces it even when its save time is missing or
    impossible (before the forms were made, after it was received): then it counts as saved when received.
    And an impossible save time never lets an old copy win over a later correction."""
    first = filled(campaign, saved_at=datetime(2025, 10, 1, 9, 0))
    os.utime(drop(campaign, "a/03388.xlsx", first), (ON_TIME - 86400 * 3,) * 2)
    run(campaign)
    correction = filled(campaign, changes={"F11": 1, "G11": 2, "J11": "Đã giải trình"}, saved_at=correction_saved)
    if correction_saved is None:  # a program that writes no save time
        correction = without_save_time(correction)
    drop(campaign, "b/03388 sua.xlsx", correction)
    result = run(campaign)
    states = {row.path: row.state for row in result.status.files}
    assert states == {"inbox/a/03388.xlsx": "superseded", "inbox/b/03388 sua.xlsx": "accepted"}


def test_an_old_copy_saved_by_a_clock_years_ahead_never_wins(campaign):
    stale = filled(campaign, saved_at=datetime(2031, 1, 1))  # the first copy, on a PC whose clock is off
    os.utime(drop(campaign, "a/03388.xlsx", stale), (ON_TIME - 86400 * 3,) * 2)
    run(campaign)
    correction = filled(campaign, changes={"F11": 1, "G11": 2, "J11": "Đã giải trình"}, saved_at=datetime(2025, 10, 9))
    drop(campaign, "b/03388 sua.xlsx", correction)
    states = {row.path: row.state for row in run(campaign).status.files}
    assert states == {"inbox/a/03388.xlsx": "superseded", "inbox/b/03388 sua.xlsx": "accepted"}


def test_the_offices_own_blank_form_coming_back_changes_no_units_state(campaign):
    """A reply quoting the request, a Bcc copy to the office's mailbox: the round's form with nothing typed.
    The unit that reported stays "đã nộp", the one that never replied stays "chưa nộp" — neither is asked to
    resubmit — and the file is listed as set aside, with why."""
    drop(campaign, "a/03388.xlsx", filled(campaign, "03388"))
    run(campaign)
    drop(campaign, "mail/Re - bieu mau 03388.xlsx", blank(campaign, "03388"))
    drop(campaign, "mail/Fwd - bieu mau 03390.xlsx", blank(campaign, "03390"))
    result = run(campaign)
    states = {row.path: row.state for row in result.status.files}
    assert states["inbox/mail/Re - bieu mau 03388.xlsx"] == "ignored"
    assert states["inbox/mail/Fwd - bieu mau 03390.xlsx"] == "ignored"
    by_unit = {u.unit.code: u.state for u in result.status.units}
    assert by_unit["03388"] == "submitted" and by_unit["03390"] == "missing"
    note = next(o.note for o in result.outcomes if o.path.endswith("03390.xlsx"))
    assert "03390" in note and "chưa nhập số liệu" in note
    assert not result.feedback


def test_a_rejected_file_gets_feedback_and_its_corrected_copy_is_accepted(campaign):
    drop(campaign, "x.xlsx", filled(campaign, changes={"F11": 900, "G11": 100, "F12": "abc"}))
    result = run(campaign)
    assert result.status.count("resubmit") == 1 and result.status.has_problems
    [copy] = result.feedback
    assert copy.name == "03388_phuong-doan-ket.xlsx" and copy.parent.name == "phan-hoi"
    book = openpyxl.load_workbook(copy)
    # what to fix prints first, then the form; the copy opens on the form
    assert book.sheetnames[:3] == ["Phản hồi", "Nhập liệu", "Hướng dẫn"]
    assert book.active.title == "Nhập liệu"
    sheet = book["Nhập liệu"]
    assert sheet["F11"].value == 900 and sheet["F12"].value == "abc"
    assert "lớn hơn mẫu số" in sheet["F11"].comment.text and "không phải là số" in sheet["F12"].comment.text
    assert sheet["A7"].value.startswith("TỆP PHẢN HỒI")
    # the red marks are conditional: they hold while the value is still wrong, and go when it is corrected
    marks = {str(cf.sqref): cf.rules[0].formula[0] for cf in sheet.conditional_formatting
             if cf.rules[0].type == "expression" and str(cf.sqref) in ("F11", "F12")}
    assert "F11>G11" in marks["F11"] and "ISNUMBER(F12)" in marks["F12"]
    assert sheet["F11"].fill.fgColor.rgb in (None, "00000000") or not sheet["F11"].fill.fgColor.rgb.endswith("FFC7CE")
    # and a printed sheet lists every problem with its cell, indicator and what to do
    findings = [row for row in book["Phản hồi"].iter_rows(min_row=6, values_only=True) if row[0]]
    assert [(cell, number) for _, cell, number, _ in findings] == [("F11", "2"), ("F12", "3")]
    assert "lớn hơn mẫu số" in findings[0][3]
    # the unit corrects the feedback copy and sends it back: accepted
    corrected = fill_workbook(copy.read_bytes(), {"F11": 90, "G11": 100, "F12": 99, "G12": 100,
                                                  "J12": "Một hồ sơ trả kết quả giấy theo yêu cầu."})
    drop(campaign, "x-sua.xlsx", corrected)
    again = run(campaign)
    assert outcome(again, "x-sua.xlsx").verdict == "accepted", outcome(again, "x-sua.xlsx").problems
    assert again.status.count("resubmit") == 0 and not again.feedback


def test_an_edited_target_is_shown_put_back_in_the_feedback_copy(campaign):
    """The unit changed its target: the feedback copy shows the target as given, marked as put back, and
    says what the unit had written; sent back as it is, the copy is accepted."""
    drop(campaign, "target.xlsx", rewrite(filled(campaign), {
        "xl/sharedStrings.xml": lambda c: c.replace("<t>Tối thiểu 50</t>".encode(), "<t>Tối thiểu 5</t>".encode())}))
    [copy] = run(campaign).feedback
    book = openpyxl.load_workbook(copy)
    sheet = book["Nhập liệu"]
    assert sheet["D13"].value == "Tối thiểu 50" and sheet["D13"].fill.fgColor.rgb.endswith("FFE699")
    assert '"Tối thiểu 5"' in sheet["D13"].comment.text
    [finding] = [row for row in book["Phản hồi"].iter_rows(min_row=6, values_only=True) if row[0]]
    assert finding[1] == "D13" and '"Tối thiểu 5"' in finding[3] and '"Tối thiểu 50"' in finding[3]
    drop(campaign, "target-lan-2.xlsx", copy.read_bytes())
    assert outcome(run(campaign), "target-lan-2.xlsx").verdict == "accepted"


def test_late_and_missing(campaign):
    path = drop(campaign, "x.xlsx", filled(campaign))
    late = datetime(2025, 10, 25, 10).timestamp()
    os.utime(path, (late, late))
    result = run(campaign)
    entry = next(u for u in result.status.units if u.unit.code == "03388")
    assert entry.state == "late" and entry.late
    assert result.status.count("missing") == 37


def test_indicators_are_named_with_their_section_where_numbering_restarts(tmp_path):
    """Cam Hiệp numbers its indicators 1, 2 … again in each section: "Chỉ tiêu 1" would be ambiguous."""
    roster = tmp_path / "r.csv"
    roster.write_text("code,name,level\ntt1,Trung tâm Phục vụ hành chính công,trung-tam\n", encoding="utf-8")
    init_campaign(tmp_path / "c", plan="cam-hiep-2025", period="2025-Q3", roster=roster)
    campaign = open_campaign(tmp_path / "c")
    generate(campaign, jobs=1)
    drop(campaign, "tt.xlsx", filled(campaign, "tt1", {"F12": "abc"}))
    result = run(campaign)
    message = next(p for p in result.new_problems if p.code == "not-a-number").message_vi
    assert message.startswith("Chỉ tiêu I.1:"), message


def test_every_report_counts_the_same_way(campaign):
    """Two late returns, one on time, one rejected: collect, status, consolidate and the collection report
    say the same "đã nộp 3 (nộp muộn 2)"."""
    late = datetime(2025, 10, 25, 10).timestamp()
    codes = [u.code for u in campaign.roster.units]
    for code in codes[:2]:
        os.utime(drop(campaign, f"{code}.xlsx", filled(campaign, code)), (late, late))
    drop(campaign, f"{codes[2]}.xlsx", filled(campaign, codes[2]))
    drop(campaign, f"{codes[3]}.xlsx", filled(campaign, codes[3], {"F11": "abc"}))
    sentence = "38 đơn vị phải báo cáo: đã nộp 3 (nộp muộn 2), phải nộp lại 1, chưa nộp 34"
    runner = CliRunner()
    where = ["--campaign", str(campaign.directory)]
    for command in (["collect", *where, "--jobs", "1"], ["status", *where], ["consolidate", *where]):
        result = runner.invoke(cli, command)
        assert sentence in result.output, (command, result.output)
    report = openpyxl.load_workbook(campaign.reports / "thu-nhan-2025-q3.xlsx")["Tổng hợp"]
    shown = {row[0]: row[1] for row in report.iter_rows(values_only=True) if row[0]}
    assert (shown["Đã nộp"], shown["    trong đó nộp muộn"], shown["Phải nộp lại"]) == ("3", "2", "1")
    counts = json.loads(runner.invoke(cli, ["collect", *where, "--json"]).output)["stats"]
    assert (counts["returned"], counts["late"], counts["resubmit"], counts["missing"]) == (3, 2, 1, 34)


# -- the ledger under stress -----------------------------------------------------------------------------


def test_a_crash_mid_run_leaves_the_ledger_as_before(campaign, monkeypatch):
    drop(campaign, "a.xlsx", filled(campaign))
    run(campaign)
    before = ledger_rows(campaign)
    drop(campaign, "b.xlsx", filled(campaign, "03390"))

    def crash(connection, *_):
        raise RuntimeError("power cut")

    monkeypatch.setattr(L, "derive_states", crash)
    with pytest.raises(RuntimeError):
        run(campaign)
    assert ledger_rows(campaign) == before
    monkeypatch.undo()
    assert outcome(run(campaign), "b.xlsx").verdict == "accepted"


def _collect_in_process(directory: str) -> None:
    collect(open_campaign(directory), jobs=1)


def test_two_collects_at_once_count_each_file_once(campaign):
    for code in [u.code for u in campaign.roster.units][:20]:
        drop(campaign, f"{code}.xlsx", filled(campaign, code))
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_collect_in_process, args=(str(campaign.directory),)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    rows = ledger_rows(campaign)
    assert len(rows["files"]) == 20 and len(rows["contents"]) == 20
    assert {row[5] for row in rows["files"]} == {"accepted"}
    assert len(rows['"values"']) == 20 * 8
    assert {row[3] for row in rows['"values"']} == {"2025-Q3"}


# -- reports and the command ------------------------------------------------------------------------------


def test_collection_report_workbook(campaign):
    drop(campaign, "a.xlsx", filled(campaign))
    drop(campaign, "b.xlsx", filled(campaign, "03390", {"F11": "abc"}))
    result = run(campaign)
    book = openpyxl.load_workbook(result.report_path)
    assert book.sheetnames == ["Tổng hợp", "Đơn vị", "Vấn đề", "Tệp"]
    units = book["Đơn vị"]
    assert [c.value for c in units[1]][:6] == ["STT", "Mã đơn vị", "Tên đơn vị", "Cấp", "Tình trạng", "Tệp"]
    rows = {r[1]: r for r in units.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 38
    assert rows["03388"][4] == "Đã nộp" and rows["03388"][5] == "inbox/a.xlsx"
    assert rows["03390"][4] == "Phải nộp lại" and rows["03390"][8] == "1"
    assert rows["03394"][4] == "Chưa nộp"
    assert rows["03388"][3] == "UBND cấp xã" or rows["03388"][3] == campaign.plan.level("xa").name
    assert re.fullmatch(r"\d\d/\d\d/2025 \d\d:\d\d", rows["03388"][6]), "times as a Vietnamese reader writes them"
    issues = list(book["Vấn đề"].iter_rows(min_row=2, values_only=True))
    name = campaign.roster.get("03390").name
    assert issues == [("inbox/b.xlsx", f"03390 — {name}", "Nhập liệu", "F11", "lỗi",
                       'Chỉ tiêu 2: "abc" không phải là số. Hãy nhập một số, ví dụ 125.', "not-a-number")]
    # LibreOffice keeps an xlsx row's stored height: every row with wrapped text has one tall enough
    sheet = book["Vấn đề"]
    assert sheet.row_dimensions[2].height >= 16


def test_collect_and_status_commands(campaign):
    drop(campaign, "a.xlsx", filled(campaign))
    drop(campaign, "b.xlsx", filled(campaign, "03390", {"F11": -1}))
    runner = CliRunner()
    result = runner.invoke(cli, ["collect", "--campaign", str(campaign.directory), "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert "Đã đọc 2 tệp (2 tệp mới)" in result.output
    assert "✗ inbox/b.xlsx (03390): 1 lỗi — Nhập liệu!F11 [negative-number]" in result.output
    as_json = runner.invoke(cli, ["collect", "--campaign", str(campaign.directory), "--json"])
    data = json.loads(as_json.output)
    assert data["stats"]["new_contents"] == 0 and data["stats"]["resubmit"] == 1
    status = runner.invoke(cli, ["status", "--campaign", str(campaign.directory)])
    assert status.exit_code == 1
    assert "phải nộp lại 1, chưa nộp 36" in status.output
    assert re.search(r"03390\s+Xã Bình Lư\s+inbox/b.xlsx", status.output)


def test_the_feedback_banner_speaks_of_restored_cells_only_when_some_were_restored(campaign):
    drop(campaign, "wrong.xlsx", filled(campaign, changes={"F11": 900, "G11": 100}))
    drop(campaign, "target.xlsx", rewrite(filled(campaign, "03390"), {
        "xl/sharedStrings.xml": lambda c: c.replace("<t>Tối thiểu 50</t>".encode(), "<t>Tối thiểu 5</t>".encode())}))
    result = run(campaign)
    copies = {path.name[:5]: openpyxl.load_workbook(path)["Nhập liệu"]["A7"].value for path in result.feedback}
    assert "đặt lại" not in copies["03388"] and "Sửa trực tiếp trong tệp này" in copies["03388"]
    assert "đã được đặt lại" in copies["03390"]
    # the message agrees with the banner: enter the data in this copy (its target put back), or the original
    tampered = next(p for o in result.outcomes if o.path.endswith("target.xlsx") for p in o.problems
                    if p.code == "target-tampered")
    assert "tệp phản hồi" in tampered.message_vi and "dùng lại tệp gốc" not in tampered.message_vi
