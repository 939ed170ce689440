"""One judgement, everywhere: what the form's formulas show once LibreOffice recalculates them (the result,
"Số liệu sai", the judgement, the explanation's red mark) is what collect decides about the same entries.

Entries are drawn at random (seeded) for every measure kind (rate, percentage, count, yes/no, text) and every
rule shape (≥, ≤, =, a floor, no numeric target, per-level and per-unit targets, "không phát sinh"), typed into
generated forms in real LibreOffice, and the same entries typed by xlkpi's own filler are collected.  Every
entry is typed as a clerk types it in the cell (numbers as numbers); an input left blank is not drawn (the form
shows nothing and collect asks for it)."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import openpyxl
import pytest

from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.collect.checks import CampaignView, inspect_workbook
from xlkpi.collect.readers import read_workbook
from xlkpi.forms import layout as F
from xlkpi.forms.fill import fill_workbook
from xlkpi.forms.generate import generate

HELPER = Path(__file__).with_name("libreoffice_judge.py")

PLAN = """\
format: 1
id: moi-dang
version: "1"
title: Chỉ tiêu đủ mọi dạng
years: [2025]
levels:
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
        text: Tối thiểu 98 (tỷ lệ b/a phải đạt tối thiểu 95%)
        by_level: {xa: {text: Tối thiểu 99}}
        by_unit: {"X2": {text: "100"}}
    levels: [huyen, xa]
  - id: tre-han
    number: "2"
    name: Tỷ lệ hồ sơ trễ hạn
    measure: {kind: rate, numerator: Số hồ sơ trễ hạn, denominator: Tổng số hồ sơ, numerator_letter: b,
              denominator_letter: a, denominator_first: true}
    targets: {2025: {text: Tối đa 5}}
    levels: [huyen, xa]
  - id: hai-long
    number: "3"
    name: Mức độ hài lòng
    measure: {kind: percent}
    targets: {2025: {text: Tối thiểu 80}}
    levels: [huyen, xa]
  - id: cuoc-hop
    number: "4"
    name: Số cuộc họp trực tuyến
    unit: cuộc
    measure: {kind: count}
    targets: {2025: {text: Tối thiểu 12}}
    levels: [huyen, xa]
  - id: su-co
    number: "5"
    name: Số sự cố mất kết nối
    unit: lần
    measure: {kind: count}
    targets: {2025: {text: Không quá 3}}
    levels: [huyen, xa]
  - id: dot-kiem-tra
    number: "6"
    name: Số đợt kiểm tra
    unit: đợt
    measure: {kind: count}
    targets: {2025: {text: Bằng 4}}
    levels: [huyen, xa]
  - id: bo-chi-so
    number: "7"
    name: Ban hành Bộ chỉ số chỉ đạo, điều hành
    measure: {kind: yesno, question: "Đơn vị đã ban hành Bộ chỉ số chưa?"}
    targets: {2025: {text: "100"}}
    levels: [huyen, xa]
  - id: ket-noi
    number: "8"
    name: Kết nối hệ thống theo hướng dẫn
    measure: {kind: rate, numerator: Số hệ thống đã kết nối, denominator: Tổng số hệ thống}
    targets: {2025: {text: Thực hiện theo hướng dẫn của TW}}
    levels: [huyen, xa]
  - id: noi-dung
    number: "9"
    name: Kết quả triển khai
    unit: ""
    measure: {kind: text}
    targets: {2025: {text: ""}}
    levels: [huyen, xa]
  - id: thanh-toan
    number: "10"
    name: Tỷ lệ giao dịch thanh toán trực tuyến
    measure: {kind: rate, numerator: Số giao dịch thanh toán trực tuyến, denominator: Tổng số giao dịch}
    targets: {2025: {text: Hơn 50%}}
    levels: [huyen, xa]
  - id: qua-han
    number: "11"
    name: Số hồ sơ quá hạn
    unit: hồ sơ
    measure: {kind: count}
    targets: {2025: {text: Dưới 3}}
    levels: [huyen, xa]
"""

SHOWN_STATUS = {"Đạt": "met", "Chưa đạt": "not-met", "Không phát sinh": "not-arisen", "Chưa đánh giá": "not-judged"}
YES_NO_TYPED = ["Có", "Không", "có", " Không ", "KHÔNG", "Khong", "Co", "x", "Không."]


def _near(target: float, rng: random.Random) -> float:
    return target + rng.choice([-1, 0, 0, 1]) * rng.choice([0.5, 1, 2])


def entries(layout: F.FormLayout, rng: random.Random) -> dict[str, object]:
    """Random entries for every input of a form: often at or around the target, sometimes wrong."""
    values: dict[str, object] = {}
    for block in layout.blocks:
        kind = block.indicator.measure.kind
        cell = {role: F.cell_name(*where) for role, where in block.inputs.items()}
        target = block.rule.value if block.rule else 50.0
        roll = rng.random()
        if kind == "rate":
            b = rng.choice([1, 3, 7, 20, 200, 1000])
            a = round(b * max(0.0, min(100.0, _near(target, rng))) / 100)
            if roll < 0.1:
                a, b = 0, 0
            elif roll < 0.2:
                a, b = b + rng.randint(1, 5), b
            elif roll < 0.25:
                a = -a - 1
            elif roll < 0.3:
                a = a + 0.5
            elif roll < 0.33:
                b = 2_000_000_000
            elif roll < 0.37:  # words where a number belongs: "Số liệu sai", never #VALUE!
                a = rng.choice(["abc", "khoảng 50", "n/a"])
            values[cell[F.NUMERATOR]], values[cell[F.DENOMINATOR]] = a, b
        elif kind == "percent":
            value = round(max(0.0, min(100.0, _near(target, rng) + rng.uniform(-3, 3))), rng.choice([0, 1, 2]))
            values[cell[F.VALUE]] = rng.choice([value, value, value, -0.5, 100.5, target, "khoảng 80"])
        elif kind == "count":
            value = max(0, int(_near(target, rng)))
            values[cell[F.VALUE]] = rng.choice([value, value, value, target, 2.5, -1, 0, "nhiều"])
        elif kind == "yesno":
            values[cell[F.VALUE]] = rng.choice(YES_NO_TYPED)
        else:
            values[cell[F.VALUE]] = rng.choice(["Đã triển khai theo kế hoạch.", "Hoàn thành"])
        explanation = rng.choice(["", "", "", " ", "Số hồ sơ phát sinh ít; sẽ khắc phục trong kỳ tới."])
        if explanation:
            values[cell[F.EXPLANATION]] = explanation
    return values


def explanation_marks(path: Path) -> dict[str, str]:
    """explanation cell -> the condition of its red mark, as the generated workbook holds it."""
    sheet = openpyxl.load_workbook(path)[F.SHEET]
    marks = {}
    for ranges in sheet.conditional_formatting:
        for rule in ranges.rules:
            cells = str(ranges.sqref).split()
            if rule.type == "expression" and len(cells) == 1 and cells[0].startswith("J"):
                marks[cells[0]] = rule.formula[0]
    return marks


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("judge")
    (folder / "plan.yaml").write_text(PLAN, encoding="utf-8")
    roster = folder / "dv.csv"
    roster.write_text("code,name,level\nH1,Huyện Một,huyen\nX1,Xã Một,xa\nX2,Xã Hai,xa\n", encoding="utf-8")
    init_campaign(folder / "c", plan=folder / "plan.yaml", period="2025", roster=roster)
    campaign = open_campaign(folder / "c")
    files = generate(campaign, jobs=1).files
    view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)
    return campaign, view, files


def test_the_form_and_collect_judge_alike(forms, uno_python, tmp_path):
    campaign, view, files = forms
    rng = random.Random(20251205)
    cases, expected = [], []
    for generated in files:
        layout, _ = view.layout(generated.unit)
        marks = explanation_marks(generated.path)
        probes = {}
        for block in layout.blocks:
            explanation = F.cell_name(*block.inputs[F.EXPLANATION])
            if explanation in marks:
                probes[f"M{block.first_row + 1}"] = f"=IF({marks[explanation]},1,0)"
        for _ in range(14):
            values = entries(layout, rng)
            read = [F.cell_name(*cell) for b in layout.blocks for cell in (b.result_cell, b.judgement_cell)]
            cases.append({"file": str(generated.path), "values": values, "read": read, "probes": probes})
            expected.append((generated, layout, values))
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps({"password": campaign.config.password, "cases": cases}, ensure_ascii=False),
                    encoding="utf-8")
    subprocess.run([uno_python, str(HELPER), str(spec), str(tmp_path / "shown.json")], check=True, timeout=600)
    shown_all = json.loads((tmp_path / "shown.json").read_text(encoding="utf-8"))

    seen: set[tuple[str, str]] = set()
    for (generated, layout, values), shown in zip(expected, shown_all):
        data = fill_workbook(generated.path.read_bytes(), values)
        book = read_workbook(data, "phieu.xlsx")
        try:
            inspection = inspect_workbook(book, view, "phieu.xlsx")
        finally:
            book.close()
        status = {v.indicator: v.status for v in inspection.values}
        for block in layout.blocks:
            kind = block.indicator.measure.kind
            inputs = {F.cell_name(*block.inputs[r]) for r in (F.NUMERATOR, F.DENOMINATOR, F.VALUE) if r in block.inputs}
            explanation = F.cell_name(*block.inputs[F.EXPLANATION])
            refused = sorted(p.code for p in inspection.problems if p.cell in inputs and p.severity == "error")
            asked = any(p.code == "explanation-missing" and p.cell == explanation for p in inspection.problems)
            typed = {cell: values.get(cell) for cell in sorted(inputs)}
            where = f"{generated.unit.code} {block.indicator.number} {typed}"
            result, judgement = shown[F.cell_name(*block.result_cell)], shown[F.cell_name(*block.judgement_cell)]
            if kind == "text":
                assert not refused and status[block.indicator.id] == "not-judged", where
                continue
            assert result.startswith("Số liệu sai") == bool(refused), f"{where}: form {result!r}, collect {refused}"
            if refused:
                assert judgement == "", where
            else:
                assert SHOWN_STATUS[judgement] == status[block.indicator.id], f"{where}: form {judgement!r}"
                seen.add((kind, status[block.indicator.id]))
            probe = f"M{block.first_row + 1}"
            marked = shown.get(probe) == "1"
            assert marked == asked, f"{where}: red mark {marked}, collect asks {asked} ({judgement!r})"
    # the draw reached every judgement of every judged kind
    for kind in ("rate", "percent", "count", "yesno"):
        assert {(kind, "met"), (kind, "not-met")} <= seen, (kind, sorted(seen))
    assert ("rate", "not-arisen") in seen and ("rate", "not-judged") in seen


def test_no_to_a_full_target_is_missed_on_the_form_as_collect_says(uno_python, tmp_path):
    """Phú Thọ 1.11: a department answers "Không" to a 100 % yes/no target. The form says "Chưa đạt" and marks
    the explanation red; collect asks for the same explanation; with one, both accept it."""
    roster = tmp_path / "dv.csv"
    roster.write_text("code,name,level\nS1,Sở Tư pháp,so\n", encoding="utf-8")
    init_campaign(tmp_path / "c", plan="phu-tho-2025", period="2025-Q3", roster=roster)
    campaign = open_campaign(tmp_path / "c")
    generated = generate(campaign, jobs=1).files[0]
    view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)
    layout, _ = view.layout(generated.unit)
    yes_no = [b for b in layout.blocks if b.indicator.measure.kind == "yesno"]
    assert yes_no and all(b.rule is not None and b.rule.value == 100 for b in yes_no)
    block = yes_no[-1]
    answer, explanation = F.cell_name(*block.inputs[F.VALUE]), F.cell_name(*block.inputs[F.EXPLANATION])
    mark = explanation_marks(generated.path)[explanation]
    probe = f"M{block.first_row + 1}"
    judgement = F.cell_name(*block.judgement_cell)
    cases = [{"file": str(generated.path), "values": {answer: typed, **extra}, "read": [judgement],
              "probes": {probe: f"=IF({mark},1,0)"}}
             for typed, extra in (("Không", {}), ("Không", {explanation: "Chưa có kinh phí."}), ("Có", {}))]
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps({"password": campaign.config.password, "cases": cases}, ensure_ascii=False),
                    encoding="utf-8")
    subprocess.run([uno_python, str(HELPER), str(spec), str(tmp_path / "shown.json")], check=True, timeout=300)
    shown = json.loads((tmp_path / "shown.json").read_text(encoding="utf-8"))
    assert [(s[judgement], s[probe]) for s in shown] == [("Chưa đạt", "1"), ("Chưa đạt", "0"), ("Đạt", "0")]
    for case, expect_asked in zip(cases, (True, False, False)):
        book = read_workbook(fill_workbook(generated.path.read_bytes(), case["values"]), "s1.xlsx")
        try:
            inspection = inspect_workbook(book, view, "s1.xlsx")
        finally:
            book.close()
        codes = [p.code for p in inspection.problems if p.cell == explanation]
        assert (codes == ["explanation-missing"]) == expect_asked, codes


def test_a_percentage_typed_with_its_sign_is_judged_alike(forms, uno_python, tmp_path):
    """"95%" typed into a percentage input is stored as 0.95 with a percent format (Excel and LibreOffice
    alike). The form shows 95 % and judges 95; collect reads the file LibreOffice saved (xlsx and ods) as 95.
    "12%" typed into a count is wrong on the form and refused by collect."""
    campaign, view, files = forms
    generated = files[0]
    layout, _ = view.layout(generated.unit)
    percent = next(b for b in layout.blocks if b.indicator.measure.kind == "percent")  # ≥ 80
    count = next(b for b in layout.blocks if b.indicator.measure.kind == "count")
    value, amount = F.cell_name(*percent.inputs[F.VALUE]), F.cell_name(*count.inputs[F.VALUE])
    read = [F.cell_name(*cell) for b in (percent, count) for cell in (b.result_cell, b.judgement_cell)]
    typed = [{value: {"percent": 95}, amount: 12}, {value: {"percent": 40.5}, amount: {"percent": 12}},
             {value: 95, amount: {"percent": 100}}, {value: {"percent": 95}, amount: {"percent": 12}}]
    cases = [{"file": str(generated.path), "values": values, "read": read,
              "save": str(tmp_path / f"{n}{'.ods' if n == 3 else '.xlsx'}")} for n, values in enumerate(typed)]
    spec = tmp_path / "cases.json"
    spec.write_text(json.dumps({"password": campaign.config.password, "cases": cases}, ensure_ascii=False),
                    encoding="utf-8")
    subprocess.run([uno_python, str(HELPER), str(spec), str(tmp_path / "shown.json")], check=True, timeout=300)
    shown = json.loads((tmp_path / "shown.json").read_text(encoding="utf-8"))
    result, judgement = (F.cell_name(*percent.result_cell), F.cell_name(*percent.judgement_cell))
    count_result = F.cell_name(*count.result_cell)
    assert [(s[result].replace(",", "."), s[judgement]) for s in shown] == \
        [("95.00%", "Đạt"), ("40.50%", "Chưa đạt"), ("95.00%", "Đạt"), ("95.00%", "Đạt")]
    assert [s[count_result].startswith("Số liệu sai") for s in shown] == [False, True, True, True]
    for n, case in enumerate(cases):
        book = read_workbook(Path(case["save"]).read_bytes(), Path(case["save"]).name)
        try:
            inspection = inspect_workbook(book, view, Path(case["save"]).name)
        finally:
            book.close()
        values = {v.indicator: v for v in inspection.values}
        assert values[percent.indicator.id].value == [95, 40.5, 95, 95][n], case["save"]
        assert values[percent.indicator.id].status == ["met", "not-met", "met", "met"][n]
        refused = [p.code for p in inspection.problems if p.cell == amount]
        assert refused == ([] if n == 0 else ["percent-sign"]), refused
