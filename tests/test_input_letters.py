"""A plan's own letters and order for a rate's inputs ("tỷ lệ b/a, trong đó a là tổng số hồ sơ"): the form
asks for a first, collect names them by their letters, the feedback and the reports use them too."""

from __future__ import annotations

import random

import openpyxl
import yaml

from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.collect.run import collect
from xlkpi.forms import layout as F
from xlkpi.forms.fill import fill_workbook
from xlkpi.forms.generate import generate
from xlkpi.forms.simulate import plausible_values
from xlkpi.plan.model import load_plan
from xlkpi.report.appendix import DETAIL
from xlkpi.report.consolidate import consolidate


def campaign_b_over_a(tmp_path):
    data = load_plan("lai-chau-2025").model_dump(mode="python", exclude_unset=True)
    item = next(i for i in data["indicators"] if i["id"] == "ho-so-truc-tuyen")
    item["name"] += " (tỷ lệ b/a, trong đó a là tổng số hồ sơ tiếp nhận)"
    item["measure"] = {"kind": "rate", "numerator": "Số hồ sơ tiếp nhận trực tuyến",
                       "denominator": "Tổng số hồ sơ tiếp nhận", "numerator_letter": "b",
                       "denominator_letter": "a", "denominator_first": True}
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    init_campaign(tmp_path / "c", plan=tmp_path / "plan.yaml", period="2025-Q3", province="lai chau",
                  deadline="20/10/2025")
    campaign = open_campaign(tmp_path / "c")
    generate(campaign, jobs=1, units=["03388"])
    return campaign


def test_the_plans_letters_and_order_everywhere(tmp_path):
    campaign = campaign_b_over_a(tmp_path)
    form = F.layout(campaign.plan, "xa", campaign.target_year)
    block = next(b for b in form.blocks if b.indicator.id == "ho-so-truc-tuyen")
    row = block.first_row  # one row: the numerator under "Tử số", the denominator under "Mẫu số"
    assert block.inputs[F.NUMERATOR] == (row, F.COL_NUMERATOR) and block.inputs[F.DENOMINATOR] == (row, F.COL_DENOMINATOR)
    path = next(campaign.outbox.glob("03388_*.xlsx"))
    sheet = openpyxl.load_workbook(path)["Nhập liệu"]
    label = "Tử số (b): Số hồ sơ tiếp nhận trực tuyến\nMẫu số (a): Tổng số hồ sơ tiếp nhận"
    assert sheet.cell(row + 1, F.COL_LABEL + 1).value == label
    prompts = {str(v.sqref): v.promptTitle for v in sheet.data_validations.dataValidation}
    assert prompts[F.cell_name(*block.inputs[F.NUMERATOR])] == "Tử số (b)"
    assert prompts[F.cell_name(*block.inputs[F.DENOMINATOR])] == "Mẫu số (a)"

    values = plausible_values(form, random.Random(1))
    values[F.cell_name(*block.inputs[F.NUMERATOR])] = 120
    values[F.cell_name(*block.inputs[F.DENOMINATOR])] = 100
    (campaign.inbox / "x.xlsx").write_bytes(fill_workbook(path.read_bytes(), values))
    result = collect(campaign, jobs=1)
    [found] = [p for o in result.outcomes for p in o.problems if p.code == "numerator-exceeds-denominator"]
    assert found.cell == F.cell_name(*block.inputs[F.NUMERATOR])
    assert "tử số (b) = 120 lớn hơn mẫu số (a) = 100" in found.message_vi
    feedback = openpyxl.load_workbook(result.feedback[0])["Nhập liệu"]
    assert feedback.cell(row + 1, F.COL_LABEL + 1).value == label

    values[F.cell_name(*block.inputs[F.NUMERATOR])] = 60
    (campaign.inbox / "y.xlsx").write_bytes(fill_workbook(path.read_bytes(), values))
    collect(campaign, jobs=1)
    appendix = consolidate(campaign, charts=False)
    detail = openpyxl.load_workbook(appendix.path)[DETAIL]
    headers = [c.value for c in detail[2] if c.value]
    assert "Tử số (b)" in headers and "Mẫu số (a)" in headers
