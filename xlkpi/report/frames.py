"""The results as pandas DataFrames, for analysts working in a notebook.

:func:`results` is the long table (one row per unit and indicator of every accepted submission),
:func:`rollup` the rolled-up results per parent unit or for the whole roster (Σ numerators / Σ
denominators for rates, as the appendix computes them), :func:`trend` each indicator's result in every
period of the same plan.  pandas is imported only here, so the command line never pays for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from xlkpi.campaign.folder import Campaign, open_campaign
from xlkpi.report.consolidate import gather, trend_campaigns
from xlkpi.report.export import long_table
from xlkpi.report.rollup import LABELS, NOT_IN_ROUND, Rolled

if TYPE_CHECKING:
    from xlkpi.report.rollup import Consolidation

#: the judgements, in the order a reader sorts them
JUDGEMENTS = pd.CategoricalDtype([*LABELS.values(), NOT_IN_ROUND], ordered=False)

TEXT_COLUMNS = ("unit", "unit_name", "level", "parent", "indicator", "number", "section", "period", "text",
                "explanation", "evidence", "file")


def _campaign(campaign: Campaign | str | Path) -> Campaign:
    return campaign if isinstance(campaign, Campaign) else open_campaign(campaign)


def results(campaign: Campaign | str | Path) -> pd.DataFrame:
    """One row per unit and indicator of every accepted submission, as ``xlkpi export`` writes it, with
    dtypes: whole numerators and denominators (Int64), values (Float64), judgement (category), texts
    (string), received_at (datetime64), and the period's first and last day."""
    opened = _campaign(campaign)
    frame = pd.DataFrame(long_table(opened), columns=[*TEXT_COLUMNS[:8], "numerator", "denominator", "value",
                                                      *TEXT_COLUMNS[8:], "judgement", "received_at"])
    _typed(frame, TEXT_COLUMNS)
    frame["received_at"] = pd.to_datetime(frame["received_at"], format="%Y-%m-%d %H:%M:%S")
    start, end = opened.period.date_range(opened.config.convention)
    frame.insert(frame.columns.get_loc("period") + 1, "period_start", pd.Timestamp(start))
    frame.insert(frame.columns.get_loc("period_start") + 1, "period_end", pd.Timestamp(end))
    return frame


def _rolled_rows(consolidation: "Consolidation", totals: dict[str, Rolled], **key: object) -> list[dict]:
    plan = consolidation.plan
    return [{
        **key,
        "indicator": rolled.indicator.id, "number": plan.full_number(rolled.indicator.id),
        "kind": rolled.indicator.measure.kind, "numerator": rolled.numerator, "denominator": rolled.denominator,
        "value": rolled.value, "judgement": rolled.label, "expected": rolled.expected, "reported": rolled.reported,
        "judged": rolled.judged, "met": rolled.met, "not_arisen": rolled.not_arisen,
    } for rolled in totals.values()]


COUNT_COLUMNS = ("expected", "reported", "judged", "met", "not_arisen")


def _typed(frame: pd.DataFrame, text: tuple[str, ...]) -> pd.DataFrame:
    """The dtypes every frame shares: texts as strings, whole numerators and denominators, values, the
    judgement as a category, and the roll-up's counts where the frame has them."""
    for column in text:
        frame[column] = frame[column].astype("string")
    for column in ("numerator", "denominator"):
        frame[column] = pd.array(frame[column], dtype="Float64").round().astype("Int64")
    frame["value"] = pd.array(frame["value"], dtype="Float64")
    frame["judgement"] = frame["judgement"].astype(JUDGEMENTS)
    for column in COUNT_COLUMNS:
        if column in frame:
            frame[column] = frame[column].astype("int64")
    return frame


def rollup(campaign: Campaign | str | Path, by: str = "parent") -> pd.DataFrame:
    """The rolled-up results: ``by="parent"`` one row per parent unit (a district, a province) and indicator,
    over the units below it; ``by="total"`` one row per indicator over the whole roster (the appendix's
    figures).  Rates are Σ numerators / Σ denominators of the units where the indicator arose."""
    if by not in ("parent", "total"):
        raise ValueError(f"by must be 'parent' or 'total', not {by!r}")
    opened = _campaign(campaign)
    consolidation, _ = gather(opened)
    rows: list[dict] = []
    if by == "total":
        rows = _rolled_rows(consolidation, consolidation.totals)
        columns: tuple[str, ...] = ("indicator", "number", "kind")
    else:
        for parent, totals in consolidation.by_parent.items():
            unit = opened.roster.get(parent)
            rows += _rolled_rows(consolidation, totals, parent=parent, parent_name=unit.name, level=unit.level)
        columns = ("parent", "parent_name", "level", "indicator", "number", "kind")
    frame = pd.DataFrame(rows, columns=[*columns, "numerator", "denominator", "value", "judgement", "expected",
                                        "reported", "judged", "met", "not_arisen"])
    return _typed(frame, columns)


def trend(campaign: Campaign | str | Path) -> pd.DataFrame:
    """Each indicator's rolled-up result in every period of the same plan: the campaign folders kept beside
    this one, in the order of their periods (what ``consolidate --trend`` charts)."""
    opened = _campaign(campaign)
    rows: list[dict] = []
    for other in trend_campaigns(opened):
        consolidation, _ = gather(other)
        start, end = other.period.date_range(other.config.convention)
        rows += _rolled_rows(consolidation, consolidation.totals, period=str(other.period),
                             period_start=pd.Timestamp(start), period_end=pd.Timestamp(end))
    columns = ("period", "indicator", "number", "kind")
    frame = pd.DataFrame(rows, columns=[*columns, "period_start", "period_end", "numerator", "denominator", "value",
                                        "judgement", "expected", "reported", "judged", "met", "not_arisen"])
    return _typed(frame, columns)
