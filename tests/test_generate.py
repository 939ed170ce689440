"""`xlkpi generate`: open the workbooks as a person would and check what they see."""

from __future__ import annotations

import csv
import hashlib
import re
import textwrap
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import range_boundaries

from xlkpi.forms import layout as F
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.cli import cli
from xlkpi.forms.generate import generate
from xlkpi.forms.identity import FIELDS, Identity, LockedRow, verify
from xlkpi.problems import XlkpiError


@pytest.fixture(scope="module")
def lai_chau(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lc") / "q3"
    init_campaign(folder, plan="lai-chau-2025", period="2025-Q3", province="lai chau", deadline="20/10/2025",
                  send_to="vanphong@laichau.gov.vn")
    campaign = open_campaign(folder)
    result = generate(campaign, jobs=2)
    return campaign, result


def open_form(path: Path):
    workbook = openpyxl.load_workbook(path)
    return workbook, workbook[F.SHEET]


def expand(ranges) -> set[str]:
    cells = set()
    for ref in str(ranges).split():
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                cells.add(f"{openpyxl.utils.get_column_letter(col)}{row}")
    return cells


def table_numbers(sheet) -> list[str]:
    """Column A of the table: printed numbers of sections and indicators, down to the note below it."""
    found = []
    for row in range(F.FIRST_ROW + 1, sheet.max_row + 1):
        value = sheet.cell(row, 1).value
        if value and str(value).startswith("Ghi chú"):
            break
        if value:
            found.append(value)
    return found


def first_file(result, code="03388"):
    return next(f for f in result.files if f.unit.code == code)


def test_one_workbook_per_commune_with_readable_ascii_names(lai_chau):
    campaign, result = lai_chau
    assert len(result.files) == 38
    names = [f.path.name for f in result.files]
    assert len(set(names)) == 38
    assert all(re.fullmatch(r"[0-9]{5}_[a-z0-9-]+\.xlsx", n) for n in names), names
    assert "03388_phuong-doan-ket.xlsx" in names
    assert not [p for p in campaign.outbox.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_manifest_lists_every_file_with_its_sha256(lai_chau):
    campaign, result = lai_chau
    with (campaign.outbox / "manifest.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 38
    for row in rows:
        data = (campaign.outbox / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert row["indicators"] == "8"


def test_the_form_shows_unit_period_deadline_and_only_commune_indicators(lai_chau):
    _, result = lai_chau
    workbook, sheet = open_form(first_file(result).path)
    assert workbook.sheetnames == ["Nhập liệu", "Hướng dẫn", "xlkpi"]
    assert workbook.active.title == "Nhập liệu"
    texts = [sheet.cell(row, 1).value for row in range(1, 7)]
    assert texts[0] == "PHIẾU BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU"
    assert texts[3] == "Đơn vị báo cáo: Phường Đoàn Kết (mã: 03388)"
    assert texts[4] == "Kỳ báo cáo: Quý III năm 2025 — số liệu từ ngày 15/06/2025 đến ngày 14/09/2025"
    assert "Hạn gửi báo cáo: 20/10/2025" in texts[5] and "vanphong@laichau.gov.vn" in texts[5]
    headers = [sheet.cell(8, c).value for c in range(1, 12)]
    assert headers == ["STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu năm 2025", "Số liệu cần nhập", "Số liệu của đơn vị",
                       None, "Kết quả", "Đánh giá", "Giải trình (bắt buộc khi chưa đạt)",
                       "Văn bản, tài liệu kiểm chứng (số, ngày)"]
    assert [sheet.cell(9, c).value for c in (6, 7)] == ["Tử số (hoặc số liệu)", "Mẫu số"]
    assert [sheet.cell(10, c).value for c in range(1, 12)] == [f"({n})" for n in range(1, 12)]
    numbers = table_numbers(sheet)
    assert numbers == ["2", "3", "4", "5", "9", "10", "11", "12"]  # 1, 6, 7, 8 are not for communes
    # one row per indicator: targets as printed, what to enter in the plan's words
    assert sheet["D13"].value == "Tối thiểu 50"
    label = sheet["E11"].value.split("\n")
    assert label[0].startswith("Tử số (a): Số hồ sơ thủ tục hành chính được số hóa")
    assert label[1].startswith("Mẫu số (b): Tổng số hồ sơ")
    assert not any(r.min_row != r.max_row for r in sheet.merged_cells.ranges if r.min_row > 10)


def test_exactly_the_input_cells_are_unlocked(lai_chau):
    _, result = lai_chau
    workbook, sheet = open_form(first_file(result).path)
    layout = F.layout(open_campaign(first_file(result).path.parent).plan, "xa", 2025)
    expected = set()
    for _, role, row, col in layout.input_cells:
        expected.add(F.cell_name(row, col))
    for merged in sheet.merged_cells.ranges:  # an input merged over two rows: both cells carry the format
        cells = expand(merged)
        if cells & expected:
            expected |= cells
    unlocked = {c.coordinate for row in sheet.iter_rows() for c in row if c.protection.locked is False}
    assert unlocked == expected
    assert len([c for c in layout.input_cells if c[1] in ("numerator", "denominator")]) == 16
    # input cells are visibly distinct
    assert sheet["F11"].fill.fgColor.rgb.endswith("FFF2CC")
    assert sheet["B11"].fill.fgColor.rgb in (None, "00000000")
    # the first input cell is selected on opening
    assert sheet.sheet_view.pane.activePane == "bottomRight"
    active = [s for s in sheet.sheet_view.selection if s.pane == "bottomRight"][0]
    assert active.activeCell == "F11"


def test_protection_is_on_everywhere(lai_chau):
    _, result = lai_chau
    workbook, sheet = open_form(first_file(result).path)
    assert sheet.protection.sheet and sheet.protection.password
    assert workbook["Hướng dẫn"].protection.sheet
    assert workbook["xlkpi"].protection.sheet
    assert workbook["xlkpi"].sheet_state == "veryHidden"
    assert workbook.security.lockStructure and workbook.security.workbookPassword
    # the clerk may resize rows (a long explanation shown in full), nothing else
    assert sheet.protection.formatRows is False and sheet.protection.formatColumns is not False
    for ref in ("F11", "G11"):  # inputs show what was typed: General, not #,##0 (12.5 would show as 13)
        assert sheet[ref].number_format == "General"


def test_every_input_has_validation_with_vietnamese_messages(lai_chau):
    _, result = lai_chau
    workbook, sheet = open_form(first_file(result).path)
    validations = {}
    for dv in sheet.data_validations.dataValidation:
        for cell in expand(dv.sqref):
            validations[cell] = dv
    numerator, denominator = validations["F11"], validations["G11"]
    assert numerator.type == "custom" and numerator.formula1 == 'AND(ISNUMBER(F11),F11>=0,F11=INT(F11),OR(G11="",F11<=G11))'
    assert denominator.formula1 == 'AND(ISNUMBER(G11),G11>=0,G11=INT(G11),OR(F11="",G11>=F11))'
    assert numerator.promptTitle == "Tử số (a)" and "Số hồ sơ thủ tục hành chính được số hóa" in numerator.prompt
    assert "không lớn hơn mẫu số" in numerator.error
    assert numerator.errorStyle in (None, "stop")  # "stop" is the default: the value is refused
    assert "nhập 0 nếu trong kỳ không phát sinh" in denominator.prompt
    assert validations["J11"].type == "textLength" and "Bắt buộc khi chỉ tiêu chưa đạt" in validations["J11"].prompt
    assert validations["K11"].type == "textLength"
    layout_inputs = {F.cell_name(r, c) for _, _, r, c in F.layout(open_campaign(first_file(result).path.parent).plan,
                                                                  "xa", 2025).input_cells}
    assert layout_inputs <= set(validations)
    for dv in sheet.data_validations.dataValidation:
        assert dv.showInputMessage and dv.showErrorMessage and dv.prompt and dv.error
        assert len(dv.prompt) <= 255 and len(dv.promptTitle) <= 32


def test_formulas_compute_rate_and_judgement(lai_chau):
    _, result = lai_chau
    _, sheet = open_form(first_file(result).path)
    whole = 'IF(ISNUMBER({0}),OR({0}<0,{0}<>INT({0}),{0}>1000000000,LEFT(CELL("format",{0}),1)="P"),TRUE)'
    assert sheet["H11"].value == (
        f'=IF(OR(F11="",G11=""),"",IF(OR({whole.format("F11")},{whole.format("G11")}),'
        '"Số liệu sai: nhập số nguyên ≥ 0",IF(F11>G11,"Số liệu sai: (a) lớn hơn (b)",'
        'IF(G11=0,"Không phát sinh",F11/G11))))')
    assert sheet["I13"].value == ('=IF(H13="","",IF(H13="Không phát sinh","Không phát sinh",'
                                  'IF(ISNUMBER(H13),IF(ROUND(100*F13/G13,6)>=50.0,"Đạt","Chưa đạt"),"")))')
    assert sheet["H11"].number_format == "0.00%"
    rules = [r for cf in sheet.conditional_formatting for r in cf.rules]
    assert any(r.type == "expression" and r.formula[0] == 'AND(I13="Chưa đạt",LEN(TRIM(J13))=0)' for r in rules)
    assert {r.formula[0] for r in rules if r.type == "cellIs"} == {'"Đạt"', '"Chưa đạt"', '"Không phát sinh"'}
    assert any(r.type == "beginsWith" and r.text == "Số liệu sai" for r in rules), "wrong figures show in red"


def test_identity_in_three_places_with_a_valid_digest(lai_chau):
    campaign, result = lai_chau
    workbook, sheet = open_form(first_file(result).path)
    properties = {p.name: p.value for p in workbook.custom_doc_props.props}
    names = {n: workbook.defined_names[f"xlkpi_{n}"].attr_text.strip('="') for n in FIELDS}
    hidden = {workbook["xlkpi"].cell(r, 1).value: workbook["xlkpi"].cell(r, 2).value for r in range(1, len(FIELDS) + 1)}
    from_props = {n: properties[f"xlkpi.{n}"] for n in FIELDS}
    assert from_props == names == hidden
    assert hidden["unit"] == "03388" and hidden["campaign"] == campaign.id and hidden["period"] == "2025-Q3"
    assert hidden["plan"] == "lai-chau-2025" and hidden["plan_version"] == "2025.1"
    # the digest covers what the sheet shows: indicator names and targets, with their ids from the plan
    layout = F.layout(campaign.plan, "xa", 2025)
    assert workbook["xlkpi"].max_row == len(FIELDS)
    locked = [LockedRow(b.indicator.id, sheet.cell(b.first_row + 1, 2).value, sheet.cell(b.first_row + 1, 4).value)
              for b in layout.blocks]
    identity = Identity(**hidden)
    assert verify(campaign.secret, identity, locked)
    # a changed target or another unit's code breaks it
    assert not verify(campaign.secret, identity, [LockedRow(locked[0].indicator, locked[0].name, "50")] + locked[1:])
    assert not verify(campaign.secret, Identity(**{**hidden, "unit": "03390"}), locked)
    assert not verify(b"another campaign's secret", identity, locked)


def test_print_setup(lai_chau):
    _, result = lai_chau
    workbook, sheet = open_form(first_file(result).path)
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    # a set scale, not "fit to page" (whose manual breaks Excel ignores): 75 %, nine-point text on paper
    from xlkpi.forms.entry_workbook import form_scale

    assert not (sheet.sheet_properties.pageSetUpPr and sheet.sheet_properties.pageSetUpPr.fitToPage)
    assert sheet.page_setup.scale == form_scale() == 75
    assert sheet.print_title_rows == "$8:$10"
    # rows keep the height xlkpi gave them but are not fixed: they grow as a clerk types a long explanation
    # (openpyxl derives customHeight from the height: the sheet's XML says what Excel reads)
    import re
    import zipfile

    with zipfile.ZipFile(first_file(result).path) as archive:
        rows = re.findall(r'<row r="(\d+)"[^>]*?ht="([\d.]+)"([^>]*)>', archive.read("xl/worksheets/sheet1.xml").decode())
    indicator_rows = [(float(height), rest) for row, height, rest in rows if 11 <= int(row) <= 18]
    assert len(indicator_rows) == 8
    assert all(height >= 3 * 16 and "customHeight" not in rest for height, rest in indicator_rows)
    assert "&P" in sheet.oddFooter.center.text
    assert sheet["B11"].font.name == "Times New Roman"
    assert workbook["Hướng dẫn"].page_setup.orientation == "landscape"


def test_guide_sheet_explains_deadline_destination_and_warns(lai_chau):
    _, result = lai_chau
    workbook, _ = open_form(first_file(result).path)
    text = "\n".join(str(c.value) for row in workbook["Hướng dẫn"].iter_rows() for c in row if c.value)
    assert "Hạn gửi báo cáo: 20/10/2025" in text and "vanphong@laichau.gov.vn" in text
    assert "Không sao chép số liệu sang tệp khác" in text
    for n in range(1, 11):
        assert f"({n})" in text
    assert "Không phát sinh" in text


def test_same_campaign_gives_the_same_bytes(lai_chau):
    campaign, result = lai_chau
    before = {f.path.name: f.sha256 for f in result.files}
    again = generate(campaign, units=["03388", "03390"], force=True, jobs=1)
    assert {f.path.name: f.sha256 for f in again.files} == {n: before[n] for n in
                                                             ("03388_phuong-doan-ket.xlsx", "03390_xa-binh-lu.xlsx")}
    with (campaign.outbox / "manifest.csv").open(encoding="utf-8-sig") as handle:
        assert len(list(csv.DictReader(handle))) == 38  # the other rows are kept


def test_existing_files_are_not_overwritten(lai_chau):
    campaign, result = lai_chau
    before = first_file(result).path.stat().st_mtime_ns
    with pytest.raises(XlkpiError) as raised:
        generate(campaign, jobs=1)
    assert raised.value.problems[0].code == "outputs-exist"
    assert "38 tệp" in raised.value.problems[0].message_vi
    assert first_file(result).path.stat().st_mtime_ns == before


def test_bad_selections(lai_chau):
    campaign, _ = lai_chau
    for kwargs, code in [
        (dict(units=["99999"]), "unit-unknown"),
        (dict(level="huyen"), "nothing-to-generate"),
        (dict(level="thon"), "unknown-level"),
    ]:
        with pytest.raises(XlkpiError) as raised:
            generate(campaign, force=True, jobs=1, **kwargs)
        assert raised.value.problems[0].code == code
        assert raised.value.problems[0].message_vi


def test_unit_that_reports_nothing_and_unwritable_outbox(tmp_path):
    roster = tmp_path / "dv.csv"
    roster.write_text("code,name,level,parent\n12,Tỉnh Lai Châu,tinh,\n03388,Phường Đoàn Kết,xa,12\n", encoding="utf-8")
    folder = tmp_path / "c"
    init_campaign(folder, plan="lai-chau-2025", period="2025-10", roster=roster)
    campaign = open_campaign(folder)
    with pytest.raises(XlkpiError) as raised:
        generate(campaign, units=["12"], jobs=1)
    assert raised.value.problems[0].code == "unit-no-indicators"
    result = generate(campaign, jobs=1)  # the province row is the parent: skipped, said so
    assert [f.unit.code for f in result.files] == ["03388"] and [u.code for u in result.skipped] == ["12"]
    from click.testing import CliRunner

    from xlkpi.cli import cli

    said = CliRunner().invoke(cli, ["generate", "--campaign", str(folder), "--force"]).output
    assert f"bỏ qua 1 đơn vị ({campaign.plan.level('tinh').name})" in said, said

    campaign.outbox.rename(tmp_path / "moved")
    campaign.outbox.write_text("a file where the folder should be")
    with pytest.raises(XlkpiError) as raised:
        generate(campaign, jobs=1)
    assert raised.value.problems[0].code == "output-unwritable"


PLAN_WITH_OVERRIDES = """\
format: 1
id: ghi-de
version: "1"
title: Chỉ tiêu riêng theo cấp và đơn vị
years: [2025]
levels:
  - {id: tinh, name: UBND tỉnh}
  - {id: huyen, name: UBND cấp huyện}
  - {id: xa, name: UBND cấp xã}
document:
  issuer: ỦY BAN NHÂN DÂN TỈNH A
  kind: Kế hoạch
  appendix: {title: [CHỈ TIÊU]}
columns:
  - {key: stt, header: STT, shows: number}
  - {key: ten, header: Tên chỉ tiêu, shows: name}
  - {key: ct, header: Chỉ tiêu năm 2025, shows: target, year: 2025}
indicators:
  - id: dung-han
    number: "1"
    name: Tỷ lệ hồ sơ giải quyết đúng hạn
    measure: {kind: rate, numerator: Số hồ sơ giải quyết đúng hạn, denominator: Tổng số hồ sơ đã giải quyết}
    targets:
      2025:
        text: Tối thiểu 98
        by_level: {xa: {text: Tối thiểu 99}}
        by_unit: {"X2": {text: "100"}}
    levels: [huyen, xa]
  - id: co-bo-chi-so
    number: "2"
    name: Ban hành Bộ chỉ số chỉ đạo, điều hành
    measure: {kind: yesno, question: "Đơn vị đã ban hành Bộ chỉ số chưa?"}
    targets: {2025: {text: "100"}}
    levels: [huyen]
  - id: so-cuoc-hop
    number: "3"
    name: Số cuộc họp trực tuyến
    unit: cuộc
    measure: {kind: count}
    targets: {2025: {text: "Tối thiểu 12"}}
    levels: [xa]
"""


def test_per_level_and_per_unit_targets_and_other_measures(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN_WITH_OVERRIDES, encoding="utf-8")
    roster = tmp_path / "dv.csv"
    roster.write_text(textwrap.dedent("""\
        code,name,level,parent
        T,Tỉnh A,tinh,
        H1,Huyện Một,huyen,T
        X1,Xã Một,xa,H1
        X2,Xã Hai,xa,H1
        """), encoding="utf-8")
    init_campaign(tmp_path / "c", plan=plan, period="2025", roster=roster)
    result = generate(open_campaign(tmp_path / "c"), jobs=1)
    files = {f.unit.code: f.path for f in result.files}
    assert set(files) == {"H1", "X1", "X2"}

    _, district = open_form(files["H1"])
    _, commune = open_form(files["X1"])
    _, own = open_form(files["X2"])
    assert district["D11"].value == "Tối thiểu 98" and 'ROUND(100*F11/G11,6)>=98.0,' in district["I11"].value
    assert commune["D11"].value == "Tối thiểu 99" and 'ROUND(100*F11/G11,6)>=99.0,' in commune["I11"].value
    assert own["D11"].value == "100" and 'ROUND(100*F11/G11,6)>=100.0,' in own["I11"].value
    # yes/no: a list validation; count: whole numbers
    assert district["B12"].value == "Ban hành Bộ chỉ số chỉ đạo, điều hành"
    yes_no = [dv for dv in district.data_validations.dataValidation if "F12" in expand(dv.sqref)][0]
    assert yes_no.type == "list" and yes_no.formula1 == '"Có,Không"'
    assert 'IF(OR(TRIM(F12)="Có",TRIM(F12)="Co"),100,0)>=100.0' in district["I12"].value
    count = [dv for dv in commune.data_validations.dataValidation if "F12" in expand(dv.sqref)][0]
    assert count.type == "whole" and count.operator == "greaterThanOrEqual"
    assert commune["C12"].value == "cuộc" and commune["H12"].number_format == "#,##0"


def test_sections_are_rows_in_the_form(tmp_path):
    roster = tmp_path / "dv.csv"
    roster.write_text("code,name,level\nTT,Trung tâm Phục vụ hành chính công,trung-tam\nP1,Phòng Kinh tế,phong\n",
                      encoding="utf-8")
    init_campaign(tmp_path / "c", plan="cam-hiep-2025", period="2025-10", roster=roster)
    result = generate(open_campaign(tmp_path / "c"), jobs=1)
    _, center = open_form(next(f.path for f in result.files if f.unit.code == "TT"))
    _, office = open_form(next(f.path for f in result.files if f.unit.code == "P1"))
    first = table_numbers(center)
    assert first[:2] == ["I", "1"] and first.count("II") == 1 and first.count("III") == 1
    assert center["B11"].value == "Chỉ tiêu về thực hiện thủ tục hành chính trên môi trường điện tử"
    assert table_numbers(office) == ["III", "1", "2"]


def test_generate_command(tmp_path):
    runner = CliRunner()
    folder = tmp_path / "c"
    assert runner.invoke(cli, ["init", str(folder), "--plan", "lai-chau-2025", "--province", "lai chau",
                               "--period", "2025-10"]).exit_code == 0
    result = runner.invoke(cli, ["generate", "--campaign", str(folder), "--jobs", "1", "--unit", "03388"])
    assert result.exit_code == 0, result.output
    assert "1 tệp nhập liệu" in result.output
    again = runner.invoke(cli, ["generate", "--campaign", str(folder), "--unit", "03388"])
    assert again.exit_code == 1 and "outputs-exist" in again.output
    outside = runner.invoke(cli, ["generate", "--campaign", str(tmp_path)])
    assert outside.exit_code == 1 and "campaign-not-found" in outside.output
