"""Figures the office enters itself, for indicators it measures (``xlkpi enter``).

Some indicators of a plan are reported by no unit of a round — a provincial figure read from the national
portal while the roster holds only communes.  The office records its own figure for such an indicator,
with its source; it is kept in the ledger like any return, with who entered it and when, checked as a
unit's input is, and consolidated as the indicator's result (judged against the plan's target).
"""

from __future__ import annotations

import getpass
import math
from dataclasses import dataclass

from xlkpi.campaign.folder import Campaign
from xlkpi.collect import audit
from xlkpi.collect import ledger as L
from xlkpi.collect.checks import MAX_VALUE
from xlkpi.forms.layout import NO, YES
from xlkpi.plan.model import Indicator
from xlkpi.problems import XlkpiError, problem
from xlkpi.common.text import fold


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    text: str | None = None


def find_indicator(campaign: Campaign, name: str) -> Indicator:
    """An indicator by its id ("so-hoa") or its number as printed ("2", "I.1")."""
    plan = campaign.plan
    for indicator in plan.all_indicators:
        if name in (indicator.id, plan.full_number(indicator.id)):
            return indicator
    known = ", ".join(f"{plan.full_number(i.id)} ({i.id})" for i in plan.all_indicators)
    raise XlkpiError(problem("indicator-unknown", name=name, known=known))


def _whole(value: float | None, what: str, indicator: str) -> float:
    if value is None or not math.isfinite(value) or value < 0 or not float(value).is_integer() or value > MAX_VALUE:
        raise XlkpiError(problem("office-figure-invalid", number=indicator, detail=f"{what} phải là số nguyên ≥ 0"))
    return float(value)


def check_figure(campaign: Campaign, indicator: Indicator, *, numerator: float | None = None,
                 denominator: float | None = None, value: float | None = None, text: str | None = None) -> Figure:
    number = campaign.plan.full_number(indicator.id)
    levels = {u.level for u in campaign.roster.units}
    if levels & set(indicator.levels):
        raise XlkpiError(problem("office-figure-not-needed", number=number))
    kind = indicator.measure.kind
    if kind == "rate":
        na, nb = indicator.measure.a, indicator.measure.b
        a, b = _whole(numerator, f"tử số {na}", number), _whole(denominator, f"mẫu số {nb}", number)
        if a > b:
            raise XlkpiError(problem("office-figure-invalid", number=number, detail=f"tử số {na} lớn hơn mẫu số {nb}"))
        return Figure(indicator, a, b, 100 * a / b if b else None)
    if kind == "count":
        return Figure(indicator, value=_whole(value, "số lượng", number))
    if kind == "percent":
        if value is None or not math.isfinite(value) or not 0 <= value <= 100:
            raise XlkpiError(problem("office-figure-invalid", number=number, detail="tỷ lệ phải từ 0 đến 100"))
        return Figure(indicator, value=float(value))
    if kind == "yesno":
        if text is None or fold(text) not in (fold(YES), fold(NO)):
            raise XlkpiError(problem("office-figure-invalid", number=number, detail="trả lời Có hoặc Không"))
        answer = YES if fold(text) == fold(YES) else NO
        return Figure(indicator, value=100.0 if answer == YES else 0.0, text=answer)
    if not text or not text.strip():
        raise XlkpiError(problem("office-figure-invalid", number=number, detail="cần nội dung (--text)"))
    return Figure(indicator, text=text.strip())


def enter_figure(campaign: Campaign, figure: Figure, source: str, entered_by: str | None = None) -> None:
    """Record the office's figure (replacing an earlier one for the same indicator and period)."""
    if not source.strip():
        raise XlkpiError(problem("office-figure-invalid", number=campaign.plan.full_number(figure.indicator.id),
                                 detail="cần ghi nguồn số liệu (--source)"))
    who = entered_by or _user()
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        with L.transaction(connection):
            connection.execute(
                "INSERT OR REPLACE INTO office_values (indicator, period, numerator, denominator, value, text, source, "
                "entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (figure.indicator.id, campaign.config.period, figure.numerator, figure.denominator, figure.value,
                 figure.text, source.strip(), who, L.now()))
            audit.record(connection, "enter", campaign.plan.full_number(figure.indicator.id), who=who,
                         detail={"indicator": figure.indicator.id, "numerator": figure.numerator,
                                 "denominator": figure.denominator, "value": figure.value, "text": figure.text,
                                 "source": source.strip()})
    finally:
        connection.close()


def remove_figure(campaign: Campaign, indicator: Indicator) -> bool:
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        with L.transaction(connection):
            removed = connection.execute("DELETE FROM office_values WHERE indicator = ? AND period = ?",
                                         (indicator.id, campaign.config.period)).rowcount
    finally:
        connection.close()
    return bool(removed)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name on this system (a service account): say so
        return "không rõ"
