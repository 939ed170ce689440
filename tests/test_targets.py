"""Target texts as printed in the appendices, and the rules they imply."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlkpi.plan.targets import Rule, contradiction, format_number, read_target_text, rule_from_text


@pytest.mark.parametrize(
    "text, op, value, floor",
    [
        ("80", ">=", 80, None),
        ("100%", ">=", 100, None),
        ("80,5", ">=", 80.5, None),
        ("Tối thiểu 50", ">=", 50, None),
        ("Tối \n thiểu 90", ">=", 90, None),  # a line break from the printed table
        ("≥30", ">=", 30, None),
        (">= 30 %", ">=", 30, None),
        ("toi thieu 50", ">=", 50, None),
        ("Ít nhất 70", ">=", 70, None),
        ("Tối đa 5", "<=", 5, None),
        ("Không quá 2,5%", "<=", 2.5, None),
        ("≤ 5", "<=", 5, None),
        ("= 100", "=", 100, None),
        ("Tối thiểu 98 (tỷ lệ b/a phải đạt tối thiểu 95%)", ">=", 98, 95),
        # the phrasings other offices' appendices print
        ("Hơn 50%", ">", 50, None),
        ("Trên 90% hồ sơ", ">", 90, None),
        ("Lớn hơn 50", ">", 50, None),
        ("> 50", ">", 50, None),
        ("Đạt từ 30% trở lên", ">=", 30, None),
        ("30% trở lên", ">=", 30, None),
        ("Không dưới 80%", ">=", 80, None),
        ("Dưới 3", "<", 3, None),
        ("Nhỏ hơn 3%", "<", 3, None),
        ("< 3", "<", 3, None),
        ("5 trở xuống", "<=", 5, None),
        ("Không vượt quá 5%", "<=", 5, None),
        ("100% (trừ hồ sơ thuộc danh mục bí mật nhà nước)", ">=", 100, None),
        ("100% TTHC đủ điều kiện", ">=", 100, None),
        ("Tối thiểu 50% hồ sơ", ">=", 50, None),
        ("Bằng 100", "=", 100, None),
    ],
)
def test_numeric_texts(text, op, value, floor):
    rule = rule_from_text(text)
    assert rule == Rule(op, value, floor)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("", "blank"),
        ("   ", "blank"),
        ("-", "blank"),
        ("Thực hiện theo hướng dẫn của TW", "words"),
        ("Thực hiện \n theo \n hướng dẫn của TW", "words"),
        ("Giảm 10% so với năm 2024", "other"),
        # a figure of another base, or relative to another figure: judged by a person
        ("Tối thiểu 5% GRDP", "other"),
        ("Tăng 20% so với năm trước", "other"),
        ("mỗi năm tăng tối thiểu 20%", "other"),
        ("5 ngày làm việc", "other"),
    ],
)
def test_texts_without_a_rule(text, kind):
    assert read_target_text(text).kind == kind
    assert rule_from_text(text) is None


def test_a_bare_number_fits_any_operator_but_words_fix_it():
    assert contradiction(Rule("<=", 5), "5") is None
    assert contradiction(Rule(">=", 5), "5") is None
    assert contradiction(Rule("<=", 50), "Tối thiểu 50") is not None
    assert contradiction(Rule(">=", 5), "Tối đa 5") is not None


def test_contradictions_explain_themselves_in_both_languages():
    vi, en = contradiction(Rule(">=", 60), "Tối thiểu 50")
    assert "50" in vi and "60" in vi and "50" in en
    assert contradiction(Rule(">=", 98), "Tối thiểu 98 (tỷ lệ b/a phải đạt tối thiểu 95%)")[1].startswith(
        "the text has a floor of 95"
    )
    assert contradiction(Rule(">=", 98, 90), "Tối thiểu 98 (tỷ lệ b/a phải đạt tối thiểu 95%)") is not None
    assert contradiction(Rule(">=", 98, 95), "Tối thiểu 98 (tỷ lệ b/a phải đạt tối thiểu 95%)") is None
    assert contradiction(Rule(">=", 10), "Giảm 10% so với năm 2024") is None  # the plan decides the operator
    assert contradiction(Rule(">=", 12), "Giảm 10% so với năm 2024") is not None


def test_rule_judging_and_floor():
    rule = Rule(">=", 98, 95)
    assert rule.met(98) and not rule.met(97.99)
    assert rule.within_floor(95) and not rule.within_floor(94.9)
    assert Rule("<=", 5).met(5) and not Rule("<=", 5).met(5.1)
    assert Rule(">=", 98, 99).problems()


@given(st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False))
def test_printed_numbers_read_back(value):
    text = format_number(float(value))
    assert "." not in text  # Vietnamese decimal comma
    assert rule_from_text(text).value == pytest.approx(float(value))
    assert rule_from_text("Tối thiểu " + text) == Rule(">=", rule_from_text(text).value)


def test_strict_comparisons_judge_the_boundary_out():
    assert Rule(">", 50).met(50.000001) and not Rule(">", 50).met(50)
    assert Rule("<", 3).met(2.9) and not Rule("<", 3).met(3)
    assert Rule(">", 50.0).excel("X") == "X>50.0" and Rule("<", 3.0).excel("X") == "X<3.0"
    assert str(Rule(">", 50)) == "> 50" and str(Rule("<", 3)) == "< 3"
    # a floor under a strict rule: every unit at least the floor
    assert Rule(">", 90, 80).within_floor(80) and not Rule(">", 90, 80).within_floor(79)
    assert contradiction(Rule(">", 50), "Hơn 50%") is None
    assert contradiction(Rule(">=", 50), "Hơn 50%") is not None
