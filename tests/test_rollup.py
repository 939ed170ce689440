"""The roll-up rules on their own: parts for rates, không phát sinh, other measures, floors."""

from __future__ import annotations

import pytest

from xlkpi.plan.model import Indicator
from xlkpi.report.rollup import NO_DATA, UnitValue, roll_up
from xlkpi.plan.targets import Rule
from xlkpi.collect.checks import MET, NOT_ARISEN, NOT_JUDGED, NOT_MET


def indicator(kind: str, rollup: str | None = None) -> Indicator:
    measure = {"kind": kind}
    if kind == "rate":
        measure.update(numerator="Số a", denominator="Tổng số b")
    if kind == "yesno":
        measure["question"] = "Đã làm chưa?"
    return Indicator.model_validate({"id": "x", "number": "1", "name": "Chỉ tiêu", "measure": measure,
                                     "rollup": rollup, "levels": ["xa"], "targets": {2025: {"text": "80"}}})


def rate(a, b, status=MET):
    return UnitValue(a, b, 100 * a / b if b else None, None, "", "", status if b else NOT_ARISEN)


def value(v, status=MET):
    return UnitValue(None, None, v, None, "", "", status)


def test_rates_roll_up_by_their_parts_and_skip_what_did_not_arise():
    rolled = roll_up(indicator("rate"), Rule(">=", 80), 4,
                     [("a", rate(9, 10)), ("b", rate(70, 100, NOT_MET)), ("c", rate(0, 0)), ("d", rate(1, 1))])
    assert (rolled.numerator, rolled.denominator) == (80, 111)
    assert rolled.value == pytest.approx(100 * 80 / 111)  # not the mean of 90 %, 70 % and 100 %
    assert rolled.status == NOT_MET and (rolled.met, rolled.judged, rolled.not_arisen) == (2, 3, 1)
    assert rolled.units_met == f"{rolled.reported}/{rolled.expected} đơn vị báo cáo; 2/3 đơn vị đạt (1 không phát sinh)"


def test_nothing_arose_anywhere_and_nothing_reported():
    assert roll_up(indicator("rate"), Rule(">=", 80), 2, [("a", rate(0, 0)), ("b", rate(0, 0))]).status == NOT_ARISEN
    empty = roll_up(indicator("rate"), Rule(">=", 80), 2, [])
    assert empty.status == NO_DATA and empty.units_met == f"Chưa có đơn vị báo cáo (0/{empty.expected})"


@pytest.mark.parametrize("kind, how, expected", [("count", None, 60), ("count", "mean", 20), ("count", "max", 30),
                                                 ("percent", None, 20), ("percent", "min", 10)])
def test_other_measures(kind, how, expected):
    rolled = roll_up(indicator(kind, how), Rule(">=", 15), 3, [(c, value(v)) for c, v in (("a", 10), ("b", 20),
                                                                                          ("c", 30))])
    assert rolled.value == expected


def test_yes_no_is_the_share_of_yes():
    yes, no = UnitValue(None, None, 100.0, "Có", "", "", MET), UnitValue(None, None, 0.0, "Không", "", "", NOT_MET)
    rolled = roll_up(indicator("yesno"), Rule(">=", 100), 3, [("a", yes), ("b", yes), ("c", no)])
    assert rolled.value == pytest.approx(200 / 3) and rolled.status == NOT_MET


def test_a_floor_every_unit_must_reach():
    rule = Rule(">=", 98, 95)
    high = [("a", rate(9_900, 10_000)), ("b", rate(100, 100))]
    assert roll_up(indicator("rate"), rule, 2, high).status == MET
    with_low = high + [("c", rate(94, 100, NOT_MET))]  # 94 %: below the floor, though the total is 98.96 %
    rolled = roll_up(indicator("rate"), rule, 3, with_low)
    assert rolled.value >= 98 and rolled.status == NOT_MET and rolled.below_floor == ["c"]


def test_no_numeric_target_is_not_judged():
    assert roll_up(indicator("rate"), None, 1, [("a", rate(1, 2, NOT_JUDGED))]).status == NOT_JUDGED
