"""The built-in demo: the whole cycle on real data, in one command with no arguments.

A campaign of the Lai Châu plan for the province's twelve departments (Decree 45/2025/NĐ-CP; they report
the indicators the plan gives "Sở, ban, ngành") and its 38 communes and wards (official divisions), for
the last quarter that has ended; their workbooks generated; the units' returns simulated, realistically and
always the same way — most correct and on time, three late, three with mistakes the collector must
catch (a numerator above its denominator, an edited target, a missed target without explanation), one
unit resubmitting after a rejection, two never returning, and one file saved through LibreOffice when
it is installed; then collect and consolidate.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from xlkpi.forms import layout as F
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.plan.builtin import builtin_plans
from xlkpi.collect.run import collect
from xlkpi.report.appendix import shown_number
from xlkpi.report.consolidate import consolidate
from xlkpi.forms.fill import fill_workbook, replace_parts
from xlkpi.forms.generate import file_names, generate
from xlkpi.common.office import convert, find_soffice
from xlkpi.campaign.periods import Period
from xlkpi.plan.model import check_plan, load_plan
from xlkpi.problems import XlkpiError, problem
from xlkpi.forms.simulate import plausible_values

DEMO_PLAN = "lai-chau-2025"
DEMO_PROVINCE = "Lai Châu"
MARKER = ".xlkpi-demo"
SEED = 2025


@dataclass
class DemoResult:
    ok: bool
    directory: Path
    summary: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)


def demo_period(today: date, first_year: int) -> Period:
    """The last quarter that has ended, but not later than the plan's first year (so that its targets
    apply): on 21/11/2026 with a 2025 plan, 2025-Q4."""
    quarter = (today.month - 1) // 3
    year = today.year if quarter else today.year - 1
    quarter = quarter or 4
    if year > first_year:
        year, quarter = first_year, 4
    return Period("quarter", year, quarter)


def _prepare(directory: Path) -> None:
    """The demo rebuilds a folder it made itself, and refuses to touch any other non-empty folder."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise XlkpiError(problem("demo-folder-in-use", file=str(directory)))
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MARKER).write_text("Thư mục do 'xlkpi demo' tạo; chạy lại demo sẽ tạo lại thư mục này.\n",
                                    encoding="utf-8")


def _stamp(path: Path, moment: datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def simulate_returns(campaign_dir: Path, deadline: date, *, use_libreoffice: bool = True) -> dict[str, list[str]]:
    """Fill the outbox's workbooks as the units would and drop them into the inbox; say who did what."""
    campaign = open_campaign(campaign_dir)
    rng = random.Random(SEED)
    names = file_names(campaign.roster.units)
    level_of = {names[unit.code]: unit.level for unit in campaign.roster.units}
    files = sorted(p for p in campaign.outbox.glob("*.xlsx") if level_of[p.name] == "xa")
    layout = F.layout(campaign.plan, "xa", campaign.target_year)
    on_time = datetime.combine(deadline - timedelta(days=5), time(9))
    late_time = datetime.combine(deadline + timedelta(days=3), time(15))
    story: dict[str, list[str]] = {k: [] for k in ("missing", "late", "mistake", "resubmitted", "libreoffice")}
    name_of = {u.code: u.name for u in campaign.roster.units}
    # the province's departments all return, correct and on time
    departments = sorted(p for p in campaign.outbox.glob("*.xlsx") if level_of[p.name] == "so")
    if departments:
        department_layout = F.layout(campaign.plan, "so", campaign.target_year)
        for path in departments:
            values = plausible_values(department_layout, rng, meet_targets=rng.random() < 0.75)
            target = campaign.inbox / "email" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(fill_workbook(path.read_bytes(), values, saved_at=on_time))
            _stamp(target, on_time)
    for n, path in enumerate(files):
        code = path.name.split("_", 1)[0]
        if n in (36, 37):  # two units never return
            story["missing"].append(name_of[code])
            continue
        values = plausible_values(layout, rng, meet_targets=n % 4 != 0)
        data = fill_workbook(path.read_bytes(), values, saved_at=on_time)
        target = campaign.inbox / ("email" if n % 2 else "he-thong-van-ban") / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        moment = late_time if n in (5, 11, 23) else on_time
        if n in (5, 11, 23):
            story["late"].append(name_of[code])
        if n == 7:  # typed the numerator above the denominator
            data = fill_workbook(path.read_bytes(), {**values, "F10": 980, "F11": 870}, saved_at=on_time)
            story["mistake"].append(f"{name_of[code]}: tử số lớn hơn mẫu số")
        if n == 13:  # lowered its own target in a copy whose protection was removed
            data = replace_parts(data, {"xl/sharedStrings.xml": lambda xml: xml.replace(
                ">Tối thiểu 50<".encode(), ">Tối thiểu 30<".encode())})
            story["mistake"].append(f"{name_of[code]}: sửa chỉ tiêu được giao")
        if n == 19:  # missed a target and wrote no explanation
            data = fill_workbook(path.read_bytes(), {**values, "F16": 20, "F17": 100, "I16": ""}, saved_at=on_time)
            story["mistake"].append(f"{name_of[code]}: chưa đạt nhưng không giải trình")
        target.write_bytes(data)
        _stamp(target, moment)
        if n == 2:  # sent once with a mistake, then a corrected file two days later
            wrong = fill_workbook(path.read_bytes(), {**values, "F12": "hai trăm"},
                                  saved_at=on_time - timedelta(days=2))
            first = target.with_name(target.stem + " (lan 1).xlsx")
            first.write_bytes(wrong)
            _stamp(first, on_time - timedelta(days=2))
            story["resubmitted"].append(name_of[code])
        if n == 29 and use_libreoffice and find_soffice():  # one unit works in LibreOffice
            with tempfile.TemporaryDirectory(prefix="xlkpi-demo-") as folder:
                saved = convert(target, "xlsx:Calc MS Excel 2007 XML", folder)
                target.write_bytes(saved.read_bytes())
            _stamp(target, moment)
            story["libreoffice"].append(name_of[code])
    return story


def run_demo(directory: str | Path = "xlkpi-demo", today: date | None = None, *, use_libreoffice: bool = True
             ) -> DemoResult:
    directory = Path(directory)
    result = DemoResult(ok=True, directory=directory)
    lines = result.summary
    for builtin in builtin_plans():
        result.ok &= check_plan(builtin.path).valid

    _prepare(directory)
    campaign_dir = directory / "lai-chau"
    period = demo_period(today or date.today(), min(load_plan(DEMO_PLAN).years))
    deadline = period.date_range("reporting-rule")[1] + timedelta(days=6)
    init_campaign(campaign_dir, plan=DEMO_PLAN, period=str(period), province=DEMO_PROVINCE, departments=True,
                  deadline=deadline, send_to="vanphong@laichau.gov.vn",
                  now=datetime.combine(period.date_range("reporting-rule")[1], time(8)))
    campaign = open_campaign(campaign_dir)
    generated = generate(campaign, jobs=1)
    story = simulate_returns(campaign_dir, deadline, use_libreoffice=use_libreoffice)
    collected = collect(campaign, jobs=1)
    consolidated = consolidate(campaign)
    status = collected.status
    start, end = period.date_range(campaign.config.convention)

    lines.append(f"xlkpi demo — kế hoạch {DEMO_PLAN}, {period.label} (số liệu {start:%d/%m/%Y}–{end:%d/%m/%Y}), "
                 f"hạn nộp {deadline:%d/%m/%Y}")
    lines.append(f"1. Lập {len(generated.files)} tệp nhập liệu cho các sở, ban, ngành và các xã, phường của tỉnh "
                 f"{DEMO_PROVINCE} / generated {len(generated.files)} data-entry workbooks")
    lines.append(f"2. Mô phỏng đơn vị gửi về / simulated returns: {collected.files_seen} tệp; "
                 f"{len(story['late'])} nộp muộn, {len(story['mistake'])} có lỗi, {len(story['resubmitted'])} gửi lại, "
                 f"{len(story['missing'])} không gửi"
                 + (", 1 lưu bằng LibreOffice" if story["libreoffice"] else ""))
    lines.append(f"3. Thu nhận / collected: {status.summary_vi()}")
    for entry in status.units:
        if entry.state == "resubmit":
            lines.append(f"   ✗ {entry.unit.name}: {entry.rejected_file}")
    totals = consolidated.consolidation.totals
    met = sum(1 for r in totals.values() if r.status == "met")
    judged = sum(1 for r in totals.values() if r.status in ("met", "not-met"))
    lines.append(f"4. Tổng hợp / consolidated: {met}/{judged} chỉ tiêu đạt; ví dụ chỉ tiêu 11 (hồ sơ trực tuyến): "
                 f"{_percent(totals['ho-so-truc-tuyen'].value)} — {totals['ho-so-truc-tuyen'].units_met}")
    lines.append("")
    lines.append(f"Phụ lục tổng hợp / appendix:            {consolidated.path}")
    lines.append(f"Báo cáo tiếp nhận / collection report:  {collected.report_path}")
    result.files.update(appendix=consolidated.path, report=collected.report_path or campaign.reports)
    if collected.feedback:
        lines.append(f"Tệp phản hồi / feedback file (ví dụ):  {collected.feedback[0]}")
        result.files["feedback"] = collected.feedback[0]
    result.files["workbook"] = generated.files[0].path
    return result


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{shown_number(value)}%"
