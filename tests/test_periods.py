"""Reporting periods: parsing, Vietnamese labels and data ranges under both conventions."""

from __future__ import annotations

from datetime import date

import pytest

from xlkpi.campaign.periods import Period, target_year
from xlkpi.problems import XlkpiError


@pytest.mark.parametrize(
    "text, label, rule_range, calendar_range",
    [
        ("2025-10", "Tháng 10 năm 2025", (date(2025, 9, 15), date(2025, 10, 14)), (date(2025, 10, 1), date(2025, 10, 31))),
        ("2025-01", "Tháng 1 năm 2025", (date(2024, 12, 15), date(2025, 1, 14)), (date(2025, 1, 1), date(2025, 1, 31))),
        ("2025-Q3", "Quý III năm 2025", (date(2025, 6, 15), date(2025, 9, 14)), (date(2025, 7, 1), date(2025, 9, 30))),
        ("2025-q1", "Quý I năm 2025", (date(2024, 12, 15), date(2025, 3, 14)), (date(2025, 1, 1), date(2025, 3, 31))),
        ("2025-H1", "6 tháng đầu năm 2025", (date(2024, 12, 15), date(2025, 6, 14)), (date(2025, 1, 1), date(2025, 6, 30))),
        ("2025-H2", "6 tháng cuối năm 2025", (date(2025, 6, 15), date(2025, 12, 14)), (date(2025, 7, 1), date(2025, 12, 31))),
        ("2025-9M", "9 tháng năm 2025", (date(2024, 12, 15), date(2025, 9, 14)), (date(2025, 1, 1), date(2025, 9, 30))),
        ("2025", "Năm 2025", (date(2024, 12, 15), date(2025, 12, 14)), (date(2025, 1, 1), date(2025, 12, 31))),
        ("2024-02", "Tháng 2 năm 2024", (date(2024, 1, 15), date(2024, 2, 14)), (date(2024, 2, 1), date(2024, 2, 29))),
    ],
)
def test_periods(text, label, rule_range, calendar_range):
    period = Period.parse(text)
    assert period.label == label
    assert period.date_range("reporting-rule") == rule_range
    assert period.date_range("calendar") == calendar_range
    assert Period.parse(str(period)) == period


@pytest.mark.parametrize("text", ["2025-13", "2025-Q5", "25-10", "2025/10", "Q3-2025", "", "2025-H3", "1999"])
def test_bad_periods_say_what_is_accepted(text):
    with pytest.raises(XlkpiError) as raised:
        Period.parse(text)
    assert raised.value.problems[0].code == "period-invalid"
    assert "2025-Q3" in raised.value.problems[0].message_vi


def test_target_year_is_the_period_year_or_the_next_target_year():
    assert target_year([2025, 2030], Period.parse("2025-Q3")) == 2025
    assert target_year([2025, 2030], Period.parse("2027")) == 2030
    assert target_year([2025], Period.parse("2026-10")) == 2025
