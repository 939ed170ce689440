"""Golden consolidated workbooks, one per built-in plan, from a fixed synthetic roll-up.

Regenerate after an intended change of layout:  python -m tests.golden.appendix
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from xlkpi.campaign.folder import DEFAULT_RECIPIENTS
from xlkpi.report.appendix import Context, write_consolidated
from xlkpi.campaign.periods import Period, target_year
from xlkpi.plan.model import load_plan
from xlkpi.report.rollup import UnitValue, consolidate_values
from xlkpi.units.roster import Roster, Unit
from xlkpi.collect.status import MISSING, SUBMITTED, Status, UnitStatus
from xlkpi.collect.checks import MET, NOT_MET

HERE = Path(__file__).parent
PLANS = ("lai-chau-2025", "tam-duong-2025", "cam-hiep-2025", "phu-tho-2025")


def golden_path(plan_id: str) -> Path:
    return HERE / f"{plan_id}-phu-luc.xlsx"


def make(plan_id: str, plan=None) -> bytes:  # noqa: ANN001 — a Plan in place of the built-in one
    plan = plan or load_plan(plan_id)
    period = Period.parse("2025-Q3")
    year = target_year(plan.years, period)
    units = []
    for level in plan.reporting_levels:
        units += [Unit(f"{level}-{n}", f"Đơn vị {level} {n}", level) for n in (1, 2, 3)]
    roster = Roster(units)
    values: dict[str, dict[str, UnitValue]] = {}
    for u, unit in enumerate(units[:-1]):  # the last unit has not reported
        for i, indicator in enumerate(plan.indicators_for_level(unit.level)):
            kind = indicator.measure.kind
            if kind == "rate":
                denominator = 40 + 10 * i + u
                numerator = denominator - (u + i) % 7
                value = UnitValue(numerator, denominator, 100 * numerator / denominator, None, "", "", MET)
            elif kind == "yesno":
                yes = (u + i) % 3 != 0
                value = UnitValue(None, None, 100.0 if yes else 0.0, "Có" if yes else "Không", "", "",
                                  MET if yes else NOT_MET)
            else:
                value = UnitValue(None, None, float(u + i), None, "", "", MET)
            values.setdefault(unit.code, {})[indicator.id] = value
    consolidation = consolidate_values(plan, year, roster, values)
    status = Status(date(2025, 10, 20), [
        UnitStatus(unit, SUBMITTED if unit.code in values else MISSING,
                   sha256="0" * 64 if unit.code in values else None,
                   file=f"inbox/{unit.code}.xlsx" if unit.code in values else None,
                   received_at="2025-10-10 09:00:00" if unit.code in values else None)
        for unit in units])
    context = Context("golden-campaign", period, plan.period_convention, date(2025, 10, 20), plan.document.issuer,
                      datetime(2025, 10, 1, 8, 0, 0), recipients=DEFAULT_RECIPIENTS)
    out = io.BytesIO()
    write_consolidated(consolidation, status, context, out)
    return out.getvalue()


if __name__ == "__main__":
    for plan_id in PLANS:
        golden_path(plan_id).write_bytes(make(plan_id))
        print("wrote", golden_path(plan_id))
