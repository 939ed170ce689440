"""The plan workbook: YAML → workbook → YAML gives the same plan; every command takes the workbook; problems
are located by sheet and cell; a workbook saved by LibreOffice still reads the same."""

from __future__ import annotations

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.cli import cli
from xlkpi.common.office import convert
from xlkpi.plan.builtin import builtin_plans
from xlkpi.plan.model import Plan, check_plan, load_plan, read_plan_file
from xlkpi.plan.workbook import COLUMNS, INDICATORS, META, OVERRIDES, plan_workbook
from xlkpi.plan.yamlwrite import plan_yaml

BUILTINS = [plan.id for plan in builtin_plans()]


def rules(plan: Plan) -> list:
    """What judges each target: the explicit rule, the one read from the text, or none."""
    return [(item.id, year, target.effective_rule,
             {who: own.effective_rule for who, own in {**target.by_level, **target.by_unit}.items()})
            for item in plan.all_indicators for year, target in item.targets.items()]


def same(a: Plan, b: Plan) -> bool:
    return a.model_dump() == b.model_dump() and rules(a) == rules(b)


def through_workbook(plan: Plan, tmp_path, name: str = "plan.xlsx") -> Plan:
    path = tmp_path / name
    path.write_bytes(plan_workbook(plan))
    back, report = read_plan_file(path)
    assert back is not None, [(p.sheet, p.cell, p.message_vi) for p in report.problems]
    return back


@pytest.mark.parametrize("plan_id", BUILTINS)
def test_yaml_to_workbook_to_yaml_is_lossless(plan_id, tmp_path):
    plan = load_plan(plan_id)
    back = through_workbook(plan, tmp_path)
    assert same(back, plan)
    (tmp_path / "again.yaml").write_text(plan_yaml(back), encoding="utf-8")
    again = load_plan(tmp_path / "again.yaml")
    assert same(again, plan)


def varied_plan() -> Plan:
    """Lai Châu's plan with what the built-ins do not use: explicit rules (with a floor, and none), targets
    of their own for a level and for a unit, timeframes per year, a multi-line name, a blank unit."""
    data = load_plan("lai-chau-2025").model_dump(mode="python", exclude_unset=True)
    first, second, third = data["indicators"][:3]
    first["targets"][2025] = {"text": "Tối thiểu 80%, sàn 50%", "rule": {"op": ">=", "value": 80, "floor": 50},
                              "by_level": {"xa": {"text": "Tối thiểu 60"}},
                              "by_unit": {"03388": {"text": "Tối thiểu 70", "rule": {"op": ">=", "value": 70}}}}
    second["targets"][2030] = {"text": "Phấn đấu đạt cao", "rule": None}
    second["name"] = "Tỷ lệ hồ sơ\n  (a) tiếp nhận trực tuyến\n  (b) trên tổng số"
    third["timeframe"] = {2025: "Quý IV/2025", 2030: ""}
    third["unit"] = ""
    data["columns"].insert(-3, {"key": "uu-tien", "header": "Mức độ ưu tiên", "shows": "text", "width": 10})
    first["texts"] = {"uu-tien": "Cao"}  # a column of the plan's own, printed as text
    return Plan.model_validate(data)


def test_rules_own_targets_and_per_year_timeframes_survive_the_workbook(tmp_path):
    plan = varied_plan()
    back = through_workbook(plan, tmp_path)
    assert same(back, plan)
    target = back.all_indicators[0].targets[2025]
    assert (target.effective_rule.value, target.effective_rule.floor) == (80, 50)
    assert target.for_unit("xa", "03388").text == "Tối thiểu 70" and target.for_unit("xa").text == "Tối thiểu 60"
    assert back.all_indicators[1].targets[2030].effective_rule is None
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    headers = [c.value for c in book[INDICATORS][1]]
    row = [c.value for c in book[INDICATORS][2]]
    assert row[headers.index("Quy tắc 2025")] == ">= 80; sàn 50"
    first = back.all_indicators[0].id
    assert [c.value for c in book[OVERRIDES][2]] == [first, "2025", "xa", "", "Tối thiểu 60", ""]
    assert [c.value for c in book[OVERRIDES][3]] == [first, "2025", "", "03388", "Tối thiểu 70", ">= 70"]


def test_what_a_plan_owner_sees_drop_downs_and_a_guide(tmp_path):
    (tmp_path / "p.xlsx").write_bytes(plan_workbook(load_plan("phu-tho-2025")))
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert book.sheetnames == ["Hướng dẫn", META, "Cấp báo cáo", COLUMNS, INDICATORS, OVERRIDES]
    choices = {str(v.sqref): v.formula1 for v in book[COLUMNS].data_validations.dataValidation}
    # the owner's words, not the plan file's codes
    shows = ("STT,Tên chỉ tiêu,Mục tiêu của năm,Đơn vị tính,Cơ quan thực hiện,Cơ quan phối hợp,Cơ quan theo dõi,"
             "Thời gian thực hiện,Kết quả/minh chứng,Căn cứ,Ghi chú,Nội dung khác,Kết quả kỳ báo cáo,Số đơn vị đạt,Đánh giá")
    assert f'"{shows}"' in choices.values()
    kinds = [v.formula1 for v in book[INDICATORS].data_validations.dataValidation]
    assert '"Tỷ lệ (tử số/mẫu số),Tỷ lệ % (nhập sẵn),Số lượng,Có/Không,Nội dung (chữ)"' in kinds
    visible = " ".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row
                       if c.value is not None and not sheet.column_dimensions[c.column_letter].hidden)
    for code in ("yesno", "units-met", "reporting-rule", "document.appendix"):
        assert code not in visible, code
    assert book[META].column_dimensions["A"].hidden  # the keys xlkpi reads
    meta = {row[0].value: row[2].value for row in book[META].iter_rows(min_row=2)}
    assert meta["document.number"] == "617/KH-UBND" and meta["years"] == "2025"
    assert "xlkpi plan check" in book["Hướng dẫn"]["A2"].value
    # the sections of Phú Thọ are on each of their indicators' rows
    rows = list(book[INDICATORS].iter_rows(min_row=2, values_only=True))
    first = load_plan("phu-tho-2025").sections[0]
    assert rows[0][:3] == (first.number, first.title, "Dòng tiêu đề mục")


def test_a_plan_workbook_of_the_earlier_release_with_codes_reads_the_same(tmp_path):
    """Workbooks written before the Vietnamese labels hold the codes ("rate", "heading"): both read alike."""
    from xlkpi.plan.workbook import CHOICE_LABELS, choice_code

    for name, labels in CHOICE_LABELS.items():
        for code, label in labels.items():
            assert choice_code(name, code) == code and choice_code(name, f" {label.upper()} ") == code
    path = tmp_path / "p.xlsx"
    path.write_bytes(plan_workbook(load_plan("phu-tho-2025")))
    book = openpyxl.load_workbook(path)
    back = {label: code for labels in CHOICE_LABELS.values() for code, label in labels.items()}
    choices = ("Nội dung cột", "Kiểu mục", "Loại số liệu", "Cách tổng hợp", "Giá trị")  # the choice columns
    for sheet in book.worksheets:
        columns = [c.column for c in sheet[1] if c.value in choices]
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if cell.column in columns and isinstance(cell.value, str) and cell.value in back:
                    cell.value = back[cell.value]
    book.save(tmp_path / "codes.xlsx")
    old, old_report = read_plan_file(tmp_path / "codes.xlsx")
    new, new_report = read_plan_file(path)
    assert old_report.valid and new_report.valid
    assert same(old, new) and same(new, load_plan("phu-tho-2025"))


def test_problems_in_a_workbook_name_the_sheet_and_the_cell(tmp_path):
    path = tmp_path / "p.xlsx"
    path.write_bytes(plan_workbook(load_plan("lai-chau-2025")))
    book = openpyxl.load_workbook(path)
    book[COLUMNS]["D3"] = "ten"                 # what a column shows: not one of the choices
    sheet = book[INDICATORS]
    headers = [c.value for c in sheet[1]]
    sheet.cell(4, headers.index("Loại số liệu") + 1).value = "ty-le"
    sheet.cell(5, headers.index("Quy tắc 2025") + 1).value = ">= tám mươi"
    sheet.cell(6, headers.index("Cấp báo cáo (mã cấp, cách nhau bởi dấu phẩy)") + 1).value = "so, thon"
    book[META]["C3"] = "Lai Châu 2025"          # the id: not a valid id
    book.save(path)
    report = check_plan(path)
    where = {(p.sheet, p.cell) for p in report.errors}
    letter = {name: openpyxl.utils.get_column_letter(headers.index(name) + 1)
              for name in ("Loại số liệu", "Quy tắc 2025", "Cấp báo cáo (mã cấp, cách nhau bởi dấu phẩy)")}
    assert (COLUMNS, "D3") in where and (META, "C3") in where
    assert (INDICATORS, f"{letter['Loại số liệu']}4") in where
    assert (INDICATORS, f"{letter['Quy tắc 2025']}5") in where
    assert (INDICATORS, f"{letter['Cấp báo cáo (mã cấp, cách nhau bởi dấu phẩy)']}6") in where
    assert all(p.sheet and p.cell and p.line is None for p in report.errors)
    result = CliRunner().invoke(cli, ["plan", "check", str(path)])
    assert result.exit_code == 1 and f"{COLUMNS}!D3" in result.output


def test_a_workbook_missing_a_sheet_is_explained(tmp_path):
    path = tmp_path / "p.xlsx"
    path.write_bytes(plan_workbook(load_plan("lai-chau-2025")))
    book = openpyxl.load_workbook(path)
    book[COLUMNS].title = "Columns"
    book.save(path)
    [found] = check_plan(path).errors
    assert found.code == "plan-workbook-sheet-missing" and found.sheet == COLUMNS


def test_every_command_takes_the_workbook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["plan", "to-xlsx", "tam-duong-2025"])
    assert result.exit_code == 0 and (tmp_path / "tam-duong-2025.xlsx").exists()
    assert runner.invoke(cli, ["plan", "to-xlsx", "tam-duong-2025"]).exit_code == 1  # never overwritten silently
    result = runner.invoke(cli, ["plan", "show", "tam-duong-2025.xlsx"])
    assert result.exit_code == 0 and "dvc-toan-trinh" in result.output
    result = runner.invoke(cli, ["plan", "to-yaml", "tam-duong-2025.xlsx"])
    assert result.exit_code == 0 and same(load_plan("tam-duong-2025.yaml"), load_plan("tam-duong-2025"))
    # a campaign from the workbook freezes it as YAML, the same plan
    init_campaign(tmp_path / "c", plan=tmp_path / "tam-duong-2025.xlsx", period="2025-Q3", province="lai chau")
    campaign = open_campaign(tmp_path / "c")
    assert same(campaign.plan, load_plan("tam-duong-2025"))
    assert (tmp_path / "c" / "plan.yaml").read_text(encoding="utf-8").startswith("# Kế hoạch tam-duong-2025")


def test_a_workbook_edited_and_saved_by_libreoffice_reads_the_same(soffice, tmp_path):
    plan = varied_plan()
    (tmp_path / "in").mkdir()
    source = tmp_path / "in" / "plan.xlsx"
    source.write_bytes(plan_workbook(plan))
    saved = convert(source, "xlsx:Calc MS Excel 2007 XML", tmp_path / "out")
    back, report = read_plan_file(saved)
    assert back is not None, [(p.sheet, p.cell, p.message_vi) for p in report.problems]
    assert same(back, plan)


def test_multi_line_names_keep_their_indentation_in_plan_show(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(plan_yaml(varied_plan()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", "show", str(path)])
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("Tỷ lệ hồ sơ"))
    assert lines[start + 1] == " " * 7 + "  (a) tiếp nhận trực tuyến"


def test_a_floor_printed_in_the_name_is_checked_against_the_name(tmp_path):
    data = load_plan("lai-chau-2025").model_dump(mode="python", exclude_unset=True)
    item = data["indicators"][10]
    item["name"] += " (Lưu ý: tỷ lệ b/a phải đạt tối thiểu 55%)"
    item["targets"][2025] = {"text": "60", "rule": {"op": ">=", "value": 60, "floor": 55, "floor_in": "name"}}
    plan = Plan.model_validate(data)
    rule = plan.all_indicators[10].targets[2025].effective_rule
    assert (rule.value, rule.floor) == (60, 55) and not rule.within_floor(50) and rule.within_floor(56)
    back = through_workbook(plan, tmp_path)  # the rule cell says where the floor is printed
    assert same(back, plan)
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    headers = [c.value for c in book[INDICATORS][1]]
    assert book[INDICATORS].cell(12, headers.index("Quy tắc 2025") + 1).value == ">= 60; sàn 55 ở tên"
    # a floor the name does not state is an error at the rule; without floor_in, the target text must say it
    item["targets"][2025]["rule"]["floor"] = 50
    (tmp_path / "wrong.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = check_plan(tmp_path / "wrong.yaml")
    [found] = report.errors
    assert found.code == "rule-floor-not-in-row" and found.path == "indicators[10].targets.2025.rule.floor_in"
    assert "55" in found.message_vi and "50" in found.message_vi
    del item["targets"][2025]["rule"]["floor_in"]
    (tmp_path / "wrong.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert [p.code for p in check_plan(tmp_path / "wrong.yaml").errors] == ["rule-contradicts-text"]


def test_a_merged_column_mark_reads_as_yes_or_no_and_nonsense_is_named(tmp_path):
    import openpyxl

    from xlkpi.plan.model import check_plan, load_plan
    from xlkpi.plan.workbook import plan_workbook

    path = tmp_path / "ke-hoach.xlsx"
    path.write_bytes(plan_workbook(load_plan("lai-chau-2025")))
    book = openpyxl.load_workbook(path)
    sheet = book["Cột"]
    col = next(c.column for c in sheet[1] if c.value and str(c.value).startswith("Gộp ô"))
    sheet.cell(7, col, "Có")
    book.save(path)
    plan = load_plan(path)
    assert plan.columns[5].merged and not plan.columns[4].merged
    sheet.cell(7, col, "hơi hơi")
    book.save(path)
    report = check_plan(path)
    [wrong] = report.errors
    assert wrong.sheet == "Cột" and wrong.cell == f"{openpyxl.utils.get_column_letter(col)}7"
    assert "có/không" in wrong.message_vi
