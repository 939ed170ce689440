"""The built-in demo: what xlkpi does, on real data, in one command with no arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .catalog import builtin_plans
from .divisions import province_roster
from .plan import check_plan, load_plan
from .roster import read_roster

DEMO_PLAN = "lai-chau-2025"
DEMO_PROVINCE = "Lai Châu"


@dataclass
class DemoResult:
    ok: bool
    directory: Path
    summary: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)


def run_demo(directory: str | Path = "xlkpi-demo") -> DemoResult:
    """Check every built-in plan, build Lai Châu's roster from the official divisions, check it.

    Running it again rewrites the same files with the same content.
    """
    directory = Path(directory)
    result = DemoResult(ok=True, directory=directory)
    lines = result.summary
    lines.append("Kế hoạch dựng sẵn / built-in plans:")
    for builtin in builtin_plans():
        report = check_plan(builtin.path)
        result.ok &= report.valid
        status = "hợp lệ" if report.valid else f"{len(report.errors)} lỗi"
        lines.append(f"  {builtin.id:<16} {report.stats.get('indicators', '?'):>3} chỉ tiêu  {status}")

    plan = load_plan(DEMO_PLAN)
    roster = province_roster(DEMO_PROVINCE)
    roster_path = roster.write(directory / "don-vi-lai-chau.csv", force=True)
    result.files["roster"] = roster_path
    checked, report = read_roster(roster_path, plan)
    result.ok &= report.valid
    per_level = {
        level: len(plan.indicators_for_level(level)) for level in checked.levels
    }
    lines.append("")
    lines.append(f"Danh sách đơn vị / roster: {roster_path}")
    lines.append(f"  {len(checked)} xã, phường của tỉnh {DEMO_PROVINCE} (mã chính thức), "
                 f"kiểm tra theo kế hoạch {plan.id}: {'hợp lệ' if report.valid else 'có lỗi'}")
    for level, count in per_level.items():
        lines.append(f"  cấp '{level}' ({plan.level(level).name}) báo cáo {count}/{len(plan.all_indicators)} chỉ tiêu")
    return result
