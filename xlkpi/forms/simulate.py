"""Simulated returns, for the demo, benchmarks and tests: :func:`plausible_values` invents realistic
figures for a unit, deterministically from a seed; :func:`~xlkpi.forms.fill.fill_workbook` types them in."""

from __future__ import annotations

import random

from xlkpi.forms import layout as F
from xlkpi.forms.fill import Formula, fill_workbook  # noqa: F401  (re-exported: the simulated fill types with it)
from xlkpi.forms.layout import FormLayout, cell_name


def plausible_values(layout: FormLayout, rng: random.Random, *, meet_targets: bool = True) -> dict[str, object]:
    """Realistic figures for every input of a unit's form: rates near or above their targets, some
    indicators that did not arise, explanations where a target is missed."""
    values: dict[str, object] = {}
    for block in layout.blocks:
        kind = block.indicator.measure.kind
        rule = block.rule
        target = rule.value if rule else 80.0
        missed = not meet_targets and rng.random() < 0.3
        share = (target - rng.uniform(5, 20) if missed else min(100.0, target + rng.uniform(0, 100 - target))) / 100
        share = max(0.0, min(1.0, share))
        inputs = block.inputs
        if kind == "rate":
            if rng.random() < 0.05:
                denominator = 0
            else:
                denominator = rng.randint(20, 2000)
            numerator = round(denominator * share)
            if rule and not missed and denominator and 100 * numerator / denominator < target:
                numerator = min(denominator, numerator + 1)
            values[cell_name(*inputs[F.NUMERATOR])] = numerator
            values[cell_name(*inputs[F.DENOMINATOR])] = denominator
            if denominator == 0:
                missed = False  # nothing arose: neither met nor missed
            elif rule and not rule.met(round(100 * numerator / denominator, 6)):
                missed = True
        elif kind == "percent":
            values[cell_name(*inputs[F.VALUE])] = round(100 * share, 1)
        elif kind == "count":
            values[cell_name(*inputs[F.VALUE])] = rng.randint(0, 50)
        elif kind == "yesno":
            values[cell_name(*inputs[F.VALUE])] = "Không" if missed else "Có"
        else:
            values[cell_name(*inputs[F.VALUE])] = "Đã triển khai theo kế hoạch."
        if missed:
            values[cell_name(*inputs[F.EXPLANATION])] = (
                "Số hồ sơ phát sinh ít, một số thủ tục chưa đủ điều kiện thực hiện trực tuyến; "
                "đơn vị đã chỉ đạo khắc phục trong kỳ tới.")
        values[cell_name(*inputs[F.EVIDENCE])] = f"Báo cáo số {rng.randint(10, 250)}/BC-UBND"
    return values
