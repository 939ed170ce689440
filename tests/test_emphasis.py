"""Emphasis inside a cell — an italic formula note in an indicator's name — printed as in the original, in
the appendix and on the form, and a form with it collected like any other."""

from __future__ import annotations

import random

import openpyxl
import yaml
from openpyxl.cell.rich_text import CellRichText, TextBlock

from tests.golden.appendix import make
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.collect.run import collect
from xlkpi.forms import layout as F
from xlkpi.forms.fill import fill_workbook
from xlkpi.forms.generate import generate
from xlkpi.forms.simulate import plausible_values
from xlkpi.plan.model import Plan, check_plan, load_plan
from xlkpi.report.appendix import APPENDIX

NOTE = "(Tỷ lệ = a/b x 100%)"


def emphasised_data() -> dict:
    data = load_plan("lai-chau-2025").model_dump(mode="python", exclude_unset=True)
    item = next(i for i in data["indicators"] if i["id"] == "ho-so-truc-tuyen")
    item["name"] += f" {NOTE}"
    item["emphasis"] = [NOTE]
    return data


def italic_parts(value) -> list[str]:
    assert isinstance(value, CellRichText), value
    return [b.text for b in value if isinstance(b, TextBlock) and b.font is not None and b.font.i]


def test_the_appendix_prints_the_passage_in_italics(tmp_path):
    plan = Plan.model_validate(emphasised_data())
    path = tmp_path / "a.xlsx"
    path.write_bytes(make("lai-chau-2025", plan))
    sheet = openpyxl.load_workbook(path, rich_text=True)[APPENDIX]
    cell = next(c for row in sheet.iter_rows() for c in row if str(c.value or "").endswith(NOTE))
    assert italic_parts(cell.value) == [NOTE]
    assert str(cell.value) == plan.indicator("ho-so-truc-tuyen").name


def test_the_form_prints_it_and_collect_reads_the_name_as_plain_text(tmp_path):
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(emphasised_data(), allow_unicode=True), encoding="utf-8")
    init_campaign(tmp_path / "c", plan=tmp_path / "plan.yaml", period="2025-Q3", province="lai chau")
    campaign = open_campaign(tmp_path / "c")
    generate(campaign, jobs=1, units=["03388"])
    path = next(campaign.outbox.glob("03388_*.xlsx"))
    form = F.layout(campaign.plan, "xa", campaign.target_year)
    block = next(b for b in form.blocks if b.indicator.id == "ho-so-truc-tuyen")
    sheet = openpyxl.load_workbook(path, rich_text=True)["Nhập liệu"]
    assert italic_parts(sheet.cell(block.first_row + 1, F.COL_NAME + 1).value) == [NOTE]
    (campaign.inbox / "x.xlsx").write_bytes(fill_workbook(path.read_bytes(), plausible_values(form, random.Random(3))))
    [outcome] = collect(campaign, jobs=1).outcomes
    assert outcome.verdict == "accepted", [p.message_vi for p in outcome.problems]


def test_a_passage_that_is_not_printed_is_named(tmp_path):
    data = emphasised_data()
    data["indicators"][10]["emphasis"] = ["(Tỷ lệ = b/a)"]
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    [found] = check_plan(tmp_path / "p.yaml").errors
    assert found.code == "emphasis-not-found" and found.path == "indicators[10].emphasis[0]"
