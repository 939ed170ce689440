"""xlkpi plan import: each seed appendix, as a Word table and as an Excel sheet, imports into a plan whose
printed rows are the built-in plan's; the catalogue fills every rate's numerator and denominator; what is
guessed is located."""

from __future__ import annotations

import io

import docx
import pytest
from click.testing import CliRunner

from tests.seed_documents import as_docx, as_xlsx, printed
from xlkpi.campaign.folder import open_campaign
from xlkpi.cli import cli
from xlkpi.common.office import convert
from xlkpi.plan.builtin import builtin_plans
from xlkpi.plan.catalogue import match
from xlkpi.plan.importer import import_plan
from xlkpi.plan.model import Plan, check_plan, load_plan
from xlkpi.problems import XlkpiError

SEEDS = [plan.id for plan in builtin_plans()]
WRITERS = {"docx": as_docx, "xlsx": as_xlsx}


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("plan_id", SEEDS)
def test_each_seed_imports_into_the_plan_it_prints(plan_id, fmt, tmp_path):
    builtin = load_plan(plan_id)
    path = tmp_path / f"phu-luc.{fmt}"
    path.write_bytes(WRITERS[fmt](builtin))
    imported = import_plan(path, plan_id=plan_id)
    plan = Plan.model_validate(imported.data)
    assert printed(plan) == printed(builtin)  # columns and order, sections, numbers, names, targets, agencies, basis
    assert plan.years == builtin.years
    assert plan.document.issuer == builtin.document.issuer
    assert plan.document.appendix.title == builtin.document.appendix.title
    assert plan.document.appendix.attached == builtin.document.appendix.attached
    # the catalogue fills the measure of every indicator: nothing guessed
    assert not [p for p in imported.problems if p.code in ("import-measure-guessed", "import-catalogue-guess")]
    for item in plan.all_indicators:
        original = builtin.indicator(next(i.id for i in builtin.all_indicators if i.name == item.name))
        assert item.measure.kind == original.measure.kind
        if item.measure.kind == "rate":
            entry = match(item.name).entry
            assert (item.measure.numerator, item.measure.denominator) == (entry.numerator, entry.denominator)
    # levels come from the implementing agency where the table has that column
    if any(c.shows == "implementing" for c in builtin.columns):
        assert [sorted(i.levels) for i in plan.all_indicators] == [sorted(i.levels) for i in builtin.all_indicators]
    else:
        assert [p.code for p in imported.problems] == ["import-levels-no-column"]
    (tmp_path / "plan.yaml").write_text(__import__("xlkpi.plan.yamlwrite", fromlist=["x"]).plan_yaml(plan),
                                        encoding="utf-8")
    assert check_plan(tmp_path / "plan.yaml").valid


def quirky_docx() -> bytes:
    """An appendix as offices also write them: a column-number row, a column nobody expects, a row whose
    text runs on into the next row, an indicator the catalogue does not know, a yes/no one."""
    document = docx.Document()
    for text in ("ỦY BAN NHÂN DÂN XÃ BÌNH LƯ", "Phụ lục", "CHỈ TIÊU CẢI CÁCH HÀNH CHÍNH NĂM 2026",
                 "(Kèm theo Kế hoạch số 12/KH-UBND ngày 05 tháng 01 năm 2026 của UBND xã Bình Lư)"):
        document.add_paragraph(text)
    rows = [
        ["Số TT", "Nội dung", "Chỉ tiêu năm 2026", "Đơn vị tính", "Đơn vị chủ trì", "Cơ quan phối hợp", "Mức độ ưu tiên"],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
        ["1", "Tỷ lệ hồ sơ giải quyết đúng hạn", "Tối thiểu 98", "%", "UBND cấp xã", "Công an xã", "Cao"],
        ["2", "Tỷ lệ hồ sơ trực tuyến trên tổng số hồ sơ tiếp nhận,", "70", "%", "UBND cấp xã", "", ""],
        ["", "giải quyết thủ tục hành chính", "", "", "", "", ""],
        ["3", "Số sáng kiến cải cách hành chính được công nhận", "2", "Sáng kiến", "Phòng Văn hóa", "", "Trung bình"],
        ["4", "Tỷ lệ hồ sơ số hóa (tỷ lệ b/a, trong đó a là tổng số hồ sơ tiếp nhận; Lưu ý: tỷ lệ b/a phải đạt "
              "tối thiểu 90%)", "Tối thiểu 95", "%", "UBND cấp xã", "", ""],
    ]
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    # a formula note in italics inside the first indicator's name
    table.cell(2, 1).paragraphs[0].add_run(" (Tỷ lệ = a/b x 100%)").italic = True
    table.cell(5, 1).add_paragraph("(sáng kiến cấp xã trở lên)")  # a cell of two paragraphs
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_what_is_guessed_is_located_in_the_table(tmp_path):
    path = tmp_path / "binh-lu.docx"
    path.write_bytes(quirky_docx())
    imported = import_plan(path)
    plan = Plan.model_validate(imported.data)
    assert plan.id == "binh-lu-2026" and plan.years == [2026]
    assert [c.shows for c in plan.columns] == ["number", "name", "target", "unit", "implementing", "coordinating",
                                               "text", "result", "units-met", "judgement"]
    other = plan.columns[6]
    assert other.header == "Mức độ ưu tiên" and plan.all_indicators[0].printed(other) == "Cao"
    first, second, third, fourth = plan.all_indicators
    assert first.id == "ho-so-dung-han" and first.coordinating == "Công an xã" and first.levels == ["xa"]
    assert first.name == "Tỷ lệ hồ sơ giải quyết đúng hạn (Tỷ lệ = a/b x 100%)"
    assert first.emphasis == ["(Tỷ lệ = a/b x 100%)"]
    assert second.name == "Tỷ lệ hồ sơ trực tuyến trên tổng số hồ sơ tiếp nhận,\ngiải quyết thủ tục hành chính"
    assert second.measure.numerator == "Số hồ sơ tiếp nhận trực tuyến"
    assert third.measure.kind == "count" and third.unit == "Sáng kiến"
    assert third.name == "Số sáng kiến cải cách hành chính được công nhận\n(sáng kiến cấp xã trở lên)"
    # "tỷ lệ b/a, trong đó a là …": the plan's own letters, a asked first; the floor printed in the name
    measure = fourth.measure
    assert (measure.numerator_letter, measure.denominator_letter, measure.denominator_first) == ("b", "a", True)
    rule = fourth.targets[2026].rule
    assert (rule.op, rule.value, rule.floor, rule.floor_in) == (">=", 95, 90, "name")
    where: dict[str, list] = {}
    for found in imported.problems:
        where.setdefault(found.code, []).append((found.sheet, found.cell))
    assert where["import-column-unknown"] == [("Bảng 1", "hàng 1, cột 7")]
    assert where["import-measure-guessed"] == [("Bảng 1", "hàng 6, cột 2"), ("Bảng 1", "hàng 7, cột 2")]
    # "Phòng Văn hóa": one of the commune's own units by its name, read as that level
    assert "import-levels-guessed" not in where and third.levels == ["phong"]
    assert all(p.severity == "warning" for p in imported.problems)


def test_a_document_without_an_appendix_table_is_explained(tmp_path):
    document = docx.Document()
    document.add_paragraph("Kính gửi: các cơ quan")
    document.save(tmp_path / "thu.docx")
    with pytest.raises(XlkpiError) as caught:
        import_plan(tmp_path / "thu.docx")
    assert caught.value.problems[0].code == "import-no-table"
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(XlkpiError) as caught:
        import_plan(tmp_path / "x.pdf")
    assert caught.value.problems[0].code == "import-format"


def test_an_odt_and_an_xls_go_through_libreoffice(soffice, tmp_path):
    builtin = load_plan("cam-hiep-2025")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "phu-luc.docx").write_bytes(as_docx(builtin))
    (tmp_path / "src" / "phu-luc.xlsx").write_bytes(as_xlsx(builtin))
    odt = convert(tmp_path / "src" / "phu-luc.docx", "odt", tmp_path / "odt")
    xls = convert(tmp_path / "src" / "phu-luc.xlsx", "xls", tmp_path / "xls")
    for path in (odt, xls):
        plan = Plan.model_validate(import_plan(path, plan_id="cam-hiep-2025").data)
        assert printed(plan) == printed(builtin), path.suffix


def test_the_plan_owners_path_import_review_in_excel_check_init(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "phu-luc.docx").write_bytes(as_docx(load_plan("lai-chau-2025")))
    runner = CliRunner()
    result = runner.invoke(cli, ["plan", "import", "phu-luc.docx", "--out", "ke-hoach.xlsx"])
    assert result.exit_code == 0, result.output
    assert "14 cột, 12 chỉ tiêu" in result.output and "hợp lệ" in result.output
    assert runner.invoke(cli, ["plan", "check", "ke-hoach.xlsx"]).exit_code == 0
    result = runner.invoke(cli, ["init", "c", "--plan", "ke-hoach.xlsx", "--province", "lai chau", "--departments",
                                 "--period", "2025-Q3"])
    assert result.exit_code == 0, result.output
    assert printed(open_campaign(tmp_path / "c").plan) == printed(load_plan("lai-chau-2025"))
    # and it is never written over an existing file unless asked
    assert runner.invoke(cli, ["plan", "import", "phu-luc.docx", "--out", "ke-hoach.xlsx"]).exit_code == 1


def test_a_document_with_several_appendices_and_table(tmp_path):
    """Two appendices with different columns in one document: the first by default, --table 2 the other."""
    document = docx.Document(io.BytesIO(as_docx(load_plan("phu-tho-2025"))))
    document.add_paragraph("Phụ lục III")
    document.add_paragraph("CHỈ TIÊU KHÁC")
    table = document.add_table(rows=2, cols=3)
    for c, text in enumerate(("STT", "Tên chỉ tiêu", "Chỉ tiêu năm 2026")):
        table.cell(0, c).text = text
    for c, text in enumerate(("1", "Tỷ lệ hồ sơ giải quyết đúng hạn", "98")):
        table.cell(1, c).text = text
    document.save(tmp_path / "hai.docx")
    first = Plan.model_validate(import_plan(tmp_path / "hai.docx", plan_id="x").data)
    assert first.years == [2025] and len(first.all_indicators) == 15
    second = Plan.model_validate(import_plan(tmp_path / "hai.docx", table=2, plan_id="x").data)
    assert second.years == [2026] and [i.id for i in second.all_indicators] == ["ho-so-dung-han"]
    assert second.document.appendix.number == "III"
    with pytest.raises(XlkpiError) as caught:
        import_plan(tmp_path / "hai.docx", table=3)
    assert caught.value.problems[0].code == "import-table-missing"
    result = CliRunner().invoke(cli, ["plan", "import", str(tmp_path / "hai.docx"), "--table", "2", "--out",
                                      str(tmp_path / "p.yaml")])
    assert "cột nhận ra: STT → số thứ tự; Tên chỉ tiêu → tên chỉ tiêu; Chỉ tiêu năm 2026 → mục tiêu 2026" in result.output


@pytest.mark.parametrize("text, issuer, levels", [
    ("Văn phòng Sở", "so", ["phong"]),
    ("Phòng Đăng ký kinh doanh", "so", ["phong"]),
    ("Các phòng, đơn vị thuộc Sở", "so", ["phong"]),
    ("Phòng Kinh tế; UBND các xã", "tinh", ["xa", "phong"]),
    ("Văn phòng HĐND và UBND phường", "xa", ["van-phong"]),
])
def test_a_unit_named_by_its_office_reads_as_its_level(text, issuer, levels):
    from xlkpi.plan.importer import _levels_of
    found, unknown = _levels_of(text, issuer)
    assert sorted(found) == sorted(levels) and unknown == "", (found, unknown)
