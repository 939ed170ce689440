"""Biểu đồ cho lãnh đạo: mỗi chỉ tiêu, bao nhiêu đơn vị đạt và kết quả chung của cả tỉnh.

A chart for the leader: for each indicator, how many units met their target and the province-wide result
(Σ numerators / Σ denominators, judged against the plan's target), from a round's folder:

    python bieu-do-chi-tieu.py THU_MUC_DOT [--out bieu-do-chi-tieu.png]

It uses only xlkpi's public API (``xlkpi.rollup``, ``xlkpi.results``, ``xlkpi.load_plan``) and matplotlib
(``pip install "xlkpi[analysis]"``). It also prints the indicators not met and the units that missed the
most targets: who to call first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window: the chart is a file
import matplotlib.pyplot as plt  # noqa: E402

import xlkpi  # noqa: E402
from xlkpi.campaign.periods import Period, target_year  # noqa: E402

COLOURS = {"Đạt": "#2e7d32", "Chưa đạt": "#c62828"}  # anything else (not judged): grey
GREY = "#9e9e9e"


def vietnamese(number: float, digits: int = 2) -> str:
    """93.55 -> "93,55" (a decimal comma, as the appendix prints)."""
    return f"{number:.{digits}f}".replace(".", ",")


def shown_target(text: str, unit: str | None) -> str:
    """A target as printed ("Tối thiểu 90"), with its unit when it is a bare figure ("100" -> "100%")."""
    bare = text.replace(",", "").replace(".", "").isdigit()
    return f"{text}%" if bare and unit == "%" else text


def short(name: str, width: int = 58) -> str:
    return name if len(name) <= width else name[: width - 1].rstrip(" ,") + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("campaign", type=Path, help="thư mục đợt báo cáo / the round's folder")
    parser.add_argument("--out", type=Path, default=Path("bieu-do-chi-tieu.png"))
    args = parser.parse_args(argv)

    plan = xlkpi.load_plan(args.campaign / "plan.yaml")  # the round's own frozen copy of its plan
    period = Period.parse(str(xlkpi.results(args.campaign)["period"].iloc[0]))
    year = target_year(plan.years, period)  # the plan's targets that apply to the period
    names = {indicator.id: indicator.name for indicator in plan.all_indicators}
    targets = {indicator.id: shown_target(indicator.targets[year].text, indicator.unit)
               for indicator in plan.all_indicators if year in indicator.targets}
    total = xlkpi.rollup(args.campaign, by="total")
    total = total[total["judged"] > 0].iloc[::-1]  # the first indicator at the top of the chart
    if total.empty:
        print("Chưa có chỉ tiêu nào được đánh giá: hãy chạy xlkpi collect trước.", file=sys.stderr)
        return 1

    share = 100 * total["met"] / total["judged"]
    labels = [f"{row.number}. {short(names.get(row.indicator, row.indicator))}" for row in total.itertuples()]
    colours = [COLOURS.get(str(judgement), GREY) for judgement in total["judgement"]]

    figure, axes = plt.subplots(figsize=(12, 0.55 * len(total) + 1.6), dpi=110)
    bars = axes.barh(labels, share, color=colours)
    for bar, row in zip(bars, total.itertuples()):
        axes.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2,
                  f"{row.met}/{row.judged} đơn vị đạt\ntoàn tỉnh {vietnamese(row.value)}%, mục tiêu "
                  f"{targets.get(row.indicator, '?')}: {row.judgement}",
                  va="center", fontsize=8)
    axes.set_xlim(0, 160)
    axes.set_xticks(range(0, 101, 20))
    axes.set_xlabel("Tỷ lệ đơn vị đạt chỉ tiêu (%)")
    axes.tick_params(axis="y", labelsize=8.5)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(f"Kết quả thực hiện chỉ tiêu {period.label} — {plan.document.issuer}\n"
                   "Màu cột: kết quả chung của cả tỉnh đạt (xanh), chưa đạt (đỏ), chưa đánh giá (xám)",
                   fontsize=10, loc="left")
    figure.tight_layout()
    figure.savefig(args.out)
    print(f"✓ {args.out}: {len(total)} chỉ tiêu được đánh giá")

    missed = total[total["judgement"] == "Chưa đạt"].iloc[::-1]
    for row in missed.itertuples():
        print(f"  Chưa đạt: chỉ tiêu {row.number} — {vietnamese(row.value)}% (mục tiêu {targets.get(row.indicator, '?')}), "
              f"{row.judged - row.met} đơn vị chưa đạt")
    results = xlkpi.results(args.campaign)
    lagging = (results[results["judgement"] == "Chưa đạt"].groupby("unit_name").size()
               .sort_values(ascending=False, kind="stable").head(5))
    if not lagging.empty:
        print("  Đơn vị chưa đạt nhiều chỉ tiêu nhất: " + "; ".join(f"{name} ({count})" for name, count in
                                                                 lagging.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
