"""The built-in demo: what xlkpi does, on real data, in one command with no arguments."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .campaign import init_campaign, open_campaign
from .catalog import builtin_plans
from .generate import generate
from .periods import Period
from .plan import check_plan
from .problems import XlkpiError, problem

DEMO_PLAN = "lai-chau-2025"
DEMO_PROVINCE = "Lai Châu"
MARKER = ".xlkpi-demo"


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


def run_demo(directory: str | Path = "xlkpi-demo", today: date | None = None) -> DemoResult:
    """Check the built-in plans, open a campaign of the Lai Châu plan for the province's 38 communes and
    wards (official divisions), and generate their data-entry workbooks."""
    directory = Path(directory)
    result = DemoResult(ok=True, directory=directory)
    lines = result.summary
    lines.append("Kế hoạch dựng sẵn / built-in plans:")
    for builtin in builtin_plans():
        report = check_plan(builtin.path)
        result.ok &= report.valid
        status = "hợp lệ" if report.valid else f"{len(report.errors)} lỗi"
        lines.append(f"  {builtin.id:<16} {report.stats.get('indicators', '?'):>3} chỉ tiêu  {status}")

    _prepare(directory)
    campaign_dir = directory / "lai-chau"
    from .plan import load_plan

    period = demo_period(today or date.today(), min(load_plan(DEMO_PLAN).years))
    init_campaign(campaign_dir, plan=DEMO_PLAN, period=str(period), province=DEMO_PROVINCE,
                  send_to="vanphong@laichau.gov.vn")
    campaign = open_campaign(campaign_dir)
    generated = generate(campaign, jobs=1)
    start, end = period.date_range(campaign.config.convention)
    lines.append("")
    lines.append(f"Đợt báo cáo / campaign: {campaign_dir} ({campaign.id})")
    lines.append(f"  {period.label}, số liệu từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}; "
                 f"{len(campaign.roster)} xã, phường của tỉnh {DEMO_PROVINCE} (mã chính thức)")
    per_unit = generated.files[0].indicators if generated.files else 0
    lines.append(f"  {len(generated.files)} tệp nhập liệu trong {campaign.outbox}, mỗi tệp {per_unit}/"
                 f"{len(campaign.plan.all_indicators)} chỉ tiêu (chỉ các chỉ tiêu giao cho cấp xã)")
    if generated.files:
        result.files["workbook"] = generated.files[0].path
        lines.append(f"  ví dụ / e.g.: {generated.files[0].path}")
    result.files["manifest"] = generated.manifest or campaign.outbox
    return result
