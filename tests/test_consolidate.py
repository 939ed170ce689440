"""`xlkpi consolidate`: every rolled-up number recomputed here from what the units typed, and compared
with the library's figures, the workbook's cached values, and the formulas' own results in LibreOffice."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pypdf
import pytest
from click.testing import CliRunner

from xlkpi.forms import layout as F
from xlkpi.report.appendix import APPENDIX, DETAIL
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.cli import cli
from xlkpi.collect.run import collect
from xlkpi.report.consolidate import consolidate
from xlkpi.report.export import long_table
from xlkpi.forms.generate import generate
from xlkpi.forms.simulate import fill_workbook, plausible_values

HELPER = Path(__file__).parent / "libreoffice_fill.py"
ON_TIME = datetime(2025, 10, 10, 9).timestamp()
LATE = datetime(2025, 10, 25, 9).timestamp()
RATES = ["so-hoa", "ket-qua-dien-tu", "tai-su-dung-du-lieu", "thanh-toan-truc-tuyen", "pakn-dung-han", "hai-long",
         "ho-so-truc-tuyen", "dong-bo-dvcqg"]


@pytest.fixture(scope="module")
def round_(tmp_path_factory):
    """Lai Châu, 2025-Q3: 30 of 38 communes return; one rejected, one late, one missing a target with an
    explanation, one where online dossiers did not arise; 8 never return."""
    folder = tmp_path_factory.mktemp("cons") / "c"
    init_campaign(folder, plan="lai-chau-2025", period="2025-Q3", province="lai chau", deadline="20/10/2025")
    campaign = open_campaign(folder)
    generated = {f.unit.code: f.path for f in generate(campaign, jobs=1).files}
    layout = F.layout(campaign.plan, "xa", campaign.target_year)
    rng = random.Random(7)
    codes = [u.code for u in campaign.roster.units]
    typed: dict[str, dict] = {}
    for n, code in enumerate(codes[:30]):
        values = plausible_values(layout, rng)
        if n == 1:  # missed the online-payment target (row 16/17) and explained why
            values.update({"F14": 10, "G14": 100, "J14": "Người dân chưa quen thanh toán trực tuyến."})
        if n == 2:  # no dossier received at all this quarter: "ho-so-truc-tuyen" did not arise
            values.update({"F17": 0, "G17": 0})
        if n == 3:  # numerator above denominator: rejected, must not count
            values.update({"F11": 500, "G11": 100})
        typed[code] = values
        path = campaign.inbox / generated[code].name
        path.write_bytes(fill_workbook(generated[code].read_bytes(), values))
        stamp = LATE if n == 4 else ON_TIME
        os.utime(path, (stamp, stamp))
    collect(campaign, jobs=1)
    accepted = {code: v for n, (code, v) in enumerate(typed.items()) if n != 3}
    return campaign, accepted, codes


def expected_rates(accepted: dict[str, dict]) -> dict[str, tuple[int, int, float | None]]:
    """Σ numerators / Σ denominators over the units where the indicator arose (denominator > 0)."""
    found = {}
    for index, indicator in enumerate(RATES):
        a, b = f"F{11 + index}", f"G{11 + index}"
        pairs = [(v[a], v[b]) for v in accepted.values() if v[b] > 0]
        numerator, denominator = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        found[indicator] = (numerator, denominator, 100 * numerator / denominator if denominator else None)
    return found


def test_rolled_up_rates_are_sums_of_parts(round_):
    campaign, accepted, _ = round_
    result = consolidate(campaign)
    expected = expected_rates(accepted)
    for indicator, (numerator, denominator, value) in expected.items():
        rolled = result.consolidation.totals[indicator]
        assert (rolled.numerator, rolled.denominator) == (numerator, denominator), indicator
        assert rolled.value == pytest.approx(value)
        assert rolled.reported == 29
    # never the mean of the percentages
    shares = [100 * v["F11"] / v["G11"] for v in accepted.values() if v["G11"]]
    assert result.consolidation.totals["so-hoa"].value != pytest.approx(sum(shares) / len(shares))
    payment = result.consolidation.totals["thanh-toan-truc-tuyen"]
    assert payment.judged - payment.met >= 1  # the unit that missed, judged against its own target


def appendix_rows(path: Path, formulas: bool = False):
    sheet = openpyxl.load_workbook(path, data_only=not formulas)[APPENDIX]
    rows = {}
    for row in sheet.iter_rows(values_only=True):
        if row[0] and str(row[0]).isdigit() and row[1]:
            rows[str(row[0])] = row
    return sheet, rows


def test_appendix_shows_the_plan_and_the_results(round_):
    campaign, accepted, _ = round_
    result = consolidate(campaign)
    sheet, rows = appendix_rows(result.path)
    plan = campaign.plan
    assert sheet["A1"].value == "Phụ lục"
    assert sheet["A2"].value == plan.document.appendix.title[0]
    # a results appendix is attached to a report, with blanks to fill by hand; the plan is named as the basis
    assert sheet["A4"].value.startswith("(Kèm theo Báo cáo số ") and "/BC-UBND ngày " in sheet["A4"].value
    assert "Thực hiện Kế hoạch số" in sheet["A5"].value and "15/06/2025" in sheet["A5"].value
    headers = [c.value for c in next(r for r in sheet.iter_rows() if r[0].value == "STT")]
    assert headers[:3] == ["STT", "Tên chỉ tiêu", "Các chỉ tiêu cụ thể"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    header_row = next(r[0].row for r in sheet.iter_rows() if r[0].value == "STT")
    assert f"C{header_row}:D{header_row}" in merged  # "Các chỉ tiêu cụ thể" over 2025 / 2030
    assert f"A{header_row}:A{header_row + 1}" in merged
    numbers_row = [c.value for c in sheet[header_row + 2]]
    assert numbers_row == [f"({n})" for n in range(1, len(plan.columns) + 1)]
    expected = expected_rates(accepted)
    by_number = {i.number: i for i in plan.all_indicators}
    for number, row in rows.items():
        indicator = by_number[number]
        assert row[1] == indicator.name and row[2] == indicator.targets[2025].text
        result_value, units_met, judgement = row[-3:]
        if indicator.id in expected:  # printed with a decimal comma, whatever the locale
            assert result_value == f"{expected[indicator.id][2]:.2f}".replace(".", ",")
            # how many units the figure stands on; a judgement that claims no more than the data hold (8 of the
            # 38 communes never reported)
            reported = sum(1 for v in accepted.values())
            assert units_met.startswith(f"{reported}/38 đơn vị báo cáo; ") and "đơn vị đạt" in units_met
            assert judgement in ("Đạt (chưa đủ số liệu)", "Chưa đạt (chưa đủ số liệu)")
        else:  # indicators 1, 6, 7, 8: no unit of their level is in this round of communes
            assert result_value in (None, "") and judgement == "Không thuộc đợt báo cáo này"
            assert units_met.startswith("Đợt này không có đơn vị (")
    text = " ".join(str(c.value) for r in sheet.iter_rows() for c in r if c.value)
    assert "28/38 đơn vị" in text or "29/38 đơn vị" in text
    assert "Chưa nộp (8)" in text and "Nộp muộn (1)" in text and "phải nộp lại (1)" in text
    assert "TM. ỦY BAN NHÂN DÂN" in text and "CHỦ TỊCH" in text


def test_results_are_formulas_over_the_detail_sheet(round_):
    campaign, _, _ = round_
    result = consolidate(campaign)
    sheet, rows = appendix_rows(result.path, formulas=True)
    result_cell = rows["2"][-3]
    # the detail sheet's total, shown with a decimal comma whatever the locale of the program that prints it
    assert result_cell.startswith(f"=IF(ISNUMBER('{DETAIL}'!") and 'SUBSTITUTE(FIXED(' in result_cell
    assert rows["2"][-2].startswith("=IF(COUNTIFS(")
    detail = openpyxl.load_workbook(result.path)[DETAIL]
    total = detail[result_cell.split("!")[1].split(")")[0].replace("$", "")]
    assert "COUNTIFS" in total.value and "/" in total.value
    types = {c.value for c in detail["F"][2:]}
    assert types == {"Đơn vị", "Tổng cộng"}
    assert detail.freeze_panes == "D3" and detail.auto_filter.ref


def test_formulas_mean_what_the_cached_values_say(round_, uno_python, tmp_path):
    """LibreOffice recalculates every formula; the results must equal the ones xlkpi computed."""
    campaign, accepted, _ = round_
    result = consolidate(campaign)
    empty = tmp_path / "nothing.json"
    empty.write_text("{}", encoding="utf-8")
    subprocess.run([uno_python, str(HELPER), str(result.path), str(empty), str(tmp_path), "xlsx"], check=True,
                   timeout=180, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    _, recalculated = appendix_rows(tmp_path / result.path.name)
    _, cached = appendix_rows(result.path)
    for number, row in cached.items():
        again = recalculated[number]
        if isinstance(row[-3], float):
            assert again[-3] == pytest.approx(row[-3]), number
        else:
            assert (again[-3] or "") == (row[-3] or ""), number
        assert again[-2:] == row[-2:], number


def test_print_setup_and_pdf(round_, soffice):
    campaign, _, _ = round_
    result = consolidate(campaign, pdf=True)
    sheet = openpyxl.load_workbook(result.path)[APPENDIX]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert (sheet.page_margins.left, sheet.page_margins.right) == (1.18, 0.59)
    assert "&P" in sheet.oddHeader.center.text and sheet.HeaderFooter.differentFirst
    assert sheet.print_title_rows
    assert sheet["B8"].font.name == "Times New Roman" and sheet["A1"].font.b and sheet["A1"].font.sz == 14
    assert sheet.page_setup.scale >= 85  # 12-point type printed at least 10 points tall
    pdf = pypdf.PdfReader(result.pdf)
    assert 1 <= len(pdf.pages) <= 6
    assert all(float(p.mediabox.width) > float(p.mediabox.height) for p in pdf.pages)
    text = pdf.pages[0].extract_text()
    assert "Phụ lục" in text and "CÁC CHỈ TIÊU" in text and "CHI TIẾT" not in text.upper()[:0]


def test_consolidate_again_gives_the_same_workbook(round_):
    campaign, _, _ = round_
    first = consolidate(campaign).path.read_bytes()
    assert consolidate(campaign).path.read_bytes() == first


def test_tree_roster_subtotals_per_parent(tmp_path):
    roster = tmp_path / "dv.csv"
    roster.write_text(
        "code,name,level,parent\n"
        "T,Tỉnh A,tinh,\n"
        "H1,Huyện Một,huyen,T\nX1,Xã Một,xa,H1\nX2,Xã Hai,xa,H1\n"
        "H2,Huyện Hai,huyen,T\nX3,Xã Ba,xa,H2\n",
        encoding="utf-8")
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", roster=roster)
    campaign = open_campaign(tmp_path / "c")
    files = {f.unit.code: f.path for f in generate(campaign, jobs=1).files}
    typed = {"X1": (30, 40), "X2": (10, 60), "X3": (45, 50), "H1": (8, 10), "H2": (0, 0)}
    for code, (a, b) in typed.items():
        layout = F.layout(campaign.plan, campaign.roster.get(code).level, 2025)
        values = plausible_values(layout, random.Random(1))
        values.update({"F11": a, "G11": b, "J11": "Giải trình."} if code.startswith("X") else {})
        if code.startswith("H"):  # districts: indicator 2 is on their rows 12/13 (after indicator 1)
            values.update({"F12": a, "G12": b, "J12": "Giải trình."})
        path = campaign.inbox / files[code].name
        path.write_bytes(fill_workbook(files[code].read_bytes(), values))
        os.utime(path, (ON_TIME, ON_TIME))
    collect(campaign, jobs=1)
    result = consolidate(campaign)
    by_parent = result.consolidation.by_parent
    assert (by_parent["H1"]["so-hoa"].numerator, by_parent["H1"]["so-hoa"].denominator) == (48, 110)
    assert (by_parent["H2"]["so-hoa"].numerator, by_parent["H2"]["so-hoa"].denominator) == (45, 50)
    total = result.consolidation.totals["so-hoa"]
    assert (total.numerator, total.denominator) == (93, 160)
    detail = openpyxl.load_workbook(result.path, data_only=True)[DETAIL]
    labels = [(r[2].value.strip(), r[5].value) for r in detail.iter_rows(min_row=3) if r[2].value]
    assert labels == [("Huyện Một", "Đơn vị"), ("Xã Một", "Đơn vị"), ("Xã Hai", "Đơn vị"), ("Cộng: Huyện Một", "Cộng"),
                      ("Huyện Hai", "Đơn vị"), ("Xã Ba", "Đơn vị"), ("Cộng: Huyện Hai", "Cộng"),
                      ("Cộng: Tỉnh A", "Cộng"), ("Tổng cộng", "Tổng cộng")]


def test_export_long_table(round_):
    campaign, accepted, _ = round_
    rows = long_table(campaign)
    assert len(rows) == 29 * 8
    first = next(r for r in rows if r["indicator"] == "so-hoa" and r["unit"] in accepted)
    assert first["numerator"] == accepted[first["unit"]]["F11"] and first["period"] == "2025-Q3"
    runner = CliRunner()
    out = runner.invoke(cli, ["export", "--campaign", str(campaign.directory), "--format", "csv", "--out", "-"])
    table = list(csv.DictReader(io.StringIO(out.output)))
    assert len(table) == 29 * 8 and set(table[0]) >= {"unit", "level", "parent", "indicator", "period", "numerator",
                                                       "denominator", "value", "judgement", "file"}
    as_json = runner.invoke(cli, ["export", "--campaign", str(campaign.directory), "--format", "json", "--out", "-"])
    assert len(json.loads(as_json.output)) == 29 * 8


def test_csv_export_defuses_formula_looking_text():
    from xlkpi.report.export import render

    text = render([{"unit": "1", "explanation": "=HYPERLINK(\"http://x\")", "evidence": "@SUM(1)"}], "csv")
    assert "'=HYPERLINK" in text and "'@SUM" in text


def test_consolidate_command(round_):
    campaign, _, _ = round_
    result = CliRunner().invoke(cli, ["consolidate", "--campaign", str(campaign.directory), "--no-charts"])
    assert result.exit_code == 0, result.output
    assert "Phụ lục tổng hợp" in result.output and "đơn vị đạt" in result.output


def test_trend_over_the_campaigns_beside(tmp_path):
    """Two quarters of the same plan, as sibling campaign folders: the trend sheet shows both."""
    results = {}
    for period, (a, b) in (("2025-Q2", (60, 100)), ("2025-Q3", (90, 100))):
        folder = tmp_path / period
        init_campaign(folder, plan="lai-chau-2025", period=period, province="lai chau")
        campaign = open_campaign(folder)
        path = generate(campaign, units=["03388"], jobs=1).files[0].path
        values = plausible_values(F.layout(campaign.plan, "xa", 2025), random.Random(2))
        values.update({"F11": a, "G11": b, "J11": "Giải trình."})
        target = campaign.inbox / path.name
        target.write_bytes(fill_workbook(path.read_bytes(), values))
        collect(campaign, jobs=1)
        results[period] = campaign
    (tmp_path / "ghi-chu").mkdir()  # an unrelated folder beside them is ignored
    result = consolidate(results["2025-Q3"], trend=True)
    sheet = openpyxl.load_workbook(result.path, data_only=True)["Xu hướng"]
    assert [c.value for c in sheet[1]][3:5] == ["Quý II năm 2025", "Quý III năm 2025"]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "2")
    assert row[3:5] == (pytest.approx(60.0), pytest.approx(90.0))
    assert sheet._charts


def test_a_district_hands_its_totals_up_to_the_province(tmp_path):
    """Tam Đường consolidates its communes and fills the workbook Lai Châu sent it; Lai Châu collects
    that as the district's submission, with the district's numerators and denominators."""
    province_roster = tmp_path / "tinh.csv"
    province_roster.write_text("code,name,level\nTD,UBND huyện Tam Đường,huyen\n", encoding="utf-8")
    init_campaign(tmp_path / "tinh", plan="lai-chau-2025", period="2025-Q3", roster=province_roster)
    province = open_campaign(tmp_path / "tinh")
    upper_workbook = generate(province, jobs=1).files[0].path

    district_roster = tmp_path / "huyen.csv"
    district_roster.write_text("code,name,level,parent\nHTD,UBND huyện Tam Đường,huyen,\n"
                               "X1,Xã Một,xa,HTD\nX2,Xã Hai,xa,HTD\n", encoding="utf-8")
    init_campaign(tmp_path / "huyen", plan="tam-duong-2025", period="2025-Q3", roster=district_roster)
    district = open_campaign(tmp_path / "huyen")
    for file in generate(district, jobs=1).files:
        layout = F.layout(district.plan, file.unit.level, 2025)
        values = plausible_values(layout, random.Random(file.unit.code))
        (district.inbox / file.path.name).write_bytes(fill_workbook(file.path.read_bytes(), values))
    collect(district, jobs=1)
    result = consolidate(district, submission=upper_workbook)
    submission = result.submission
    assert submission.unit == "TD" and len(submission.filled) == 12 and not submission.left

    (province.inbox / submission.path.name).write_bytes(submission.path.read_bytes())
    collected = collect(province, jobs=1)
    outcome = collected.outcomes[0]
    assert outcome.verdict == "accepted", outcome.problems
    got = {row[0]: row for row in outcome.values}
    for indicator, rolled in result.consolidation.totals.items():
        if indicator_is_rate(district, indicator):
            assert (got[indicator][1], got[indicator][2]) == (rolled.numerator, rolled.denominator), indicator


def indicator_is_rate(campaign, indicator_id):
    return campaign.plan.indicator(indicator_id).measure.kind == "rate"


def test_submission_needs_the_upper_plan(tmp_path, round_):
    campaign, _, _ = round_
    from xlkpi.problems import XlkpiError

    upper = next(campaign.outbox.glob("*.xlsx"))
    forged_plan = tmp_path / "plan.yaml"
    forged_plan.write_text(campaign.plan.path.read_text(encoding="utf-8").replace('version: "2025.1"', 'version: "9"'),
                           encoding="utf-8")
    with pytest.raises(XlkpiError) as raised:
        consolidate(campaign, submission=upper, upper_plan=forged_plan)
    assert raised.value.problems[0].code == "upper-plan-missing"


def test_the_units_met_chart_counts_in_whole_units(round_):
    """A count of units has no half: the overview's value axis steps by a whole number (it stepped by 0,5)."""
    import re
    import zipfile

    campaign, _, _ = round_
    result = consolidate(campaign)
    with zipfile.ZipFile(result.path) as archive:
        charts = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/charts/chart")]
    bars = [xml for xml in charts if "<c:grouping val=\"stacked\"/>" in xml]
    assert len(bars) == 1
    steps = re.findall(r'<c:majorUnit val="([\d.]+)"/>', bars[0])
    assert steps and all(float(step).is_integer() and float(step) >= 1 for step in steps), steps


def test_each_rate_chart_shows_the_units_that_report_it_highest_first():
    """A chart per rate indicator: only the units of its levels, each named, highest first, coloured by its own
    judgement; beyond 30 units the top and bottom twelve with the rest summed by numerator and denominator;
    a department-only indicator gets no chart of communes."""
    from xlkpi.plan.model import load_plan
    from xlkpi.report.appendix import CHART_ENDS, MAX_CHART_BARS, chart_bars, detail_layout
    from xlkpi.report.rollup import UnitValue, consolidate_values
    from xlkpi.units.roster import Roster, Unit

    plan = load_plan("lai-chau-2025")
    units = [Unit(f"X{n:02d}", f"Xã số {n}", "xa") for n in range(45)]
    roster = Roster(units + [Unit("S1", "Sở Một", "so"), Unit("S2", "Sở Hai", "so")])
    values = {}
    for n, unit in enumerate(units[:40]):  # five never report
        a, b = (0, 0) if n == 39 else (50 + n, 100)  # one where nothing arose
        status = "not-arisen" if b == 0 else ("met" if a >= 80 else "not-met")
        values[unit.code] = {"so-hoa": UnitValue(a, b, 100 * a / b if b else None, None, "", "", status)}
    values["S1"] = {"dvc-toan-trinh": UnitValue(90, 100, 90.0, None, "", "", "met")}
    consolidation = consolidate_values(plan, 2025, roster, values)
    layout = detail_layout(consolidation)
    rate = next(c for c in layout.columns if c.indicator.id == "so-hoa")
    bars, coverage = chart_bars(consolidation, layout, rate)
    assert coverage == "39/47 đơn vị có số liệu; 1 không phát sinh; 7 chưa có số liệu"
    assert len(bars) == 2 * CHART_ENDS + 1 and 39 > MAX_CHART_BARS
    shown = [b.value for b in bars if b.source]
    assert shown == sorted(shown, reverse=True) and shown[0] == 88 and shown[-1] == 50
    assert [b.label for b in bars[:2]] == ["Xã số 38", "Xã số 37"]
    rest = bars[CHART_ENDS]
    assert rest.label == "15 đơn vị khác (tổng hợp)" and rest.source is None
    middle = range(50 + 12, 50 + 27)  # a of the units between the top and bottom twelve, each of 100
    assert rest.value == pytest.approx(100 * sum(middle) / (100 * 15))
    assert {b.status for b in bars[:8]} == {"met"} and bars[-1].status == "not-met"
    # a department-only indicator: the departments alone, not 45 empty communes
    department = next(c for c in layout.columns if c.indicator.id == "dvc-toan-trinh")
    bars, coverage = chart_bars(consolidation, layout, department)
    assert [b.label for b in bars] == ["Sở Một"] and coverage == "1/2 đơn vị có số liệu; 1 chưa có số liệu"
