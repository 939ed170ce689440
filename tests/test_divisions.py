"""Rosters built from the official list of administrative divisions (since 1 July 2025)."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from xlkpi.cli import cli
from xlkpi.units.divisions import find_province, national_roster, province_roster
from xlkpi.problems import XlkpiError
from xlkpi.units.roster import read_roster


@pytest.mark.parametrize("query", ["lai chau", "Lai Châu", "LAI CHAU", "Tỉnh Lai Châu", "12", "lai_chau"])
def test_province_found_by_name_without_diacritics_or_by_code(query):
    assert find_province(query).name == "Lai Châu"


@pytest.mark.parametrize("query, name", [("ha noi", "Thành phố Hà Nội"), ("Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
                                         ("dak lak", "Đắk Lắk"), ("1", "Thành phố Hà Nội"), ("gia lai", "Gia Lai")])
def test_other_provinces(query, name):
    assert find_province(query).name == name


def test_unknown_province_is_a_problem_with_advice():
    with pytest.raises(XlkpiError) as raised:
        find_province("lai")  # part of "Lai Châu" and "Gia Lai": not guessed
    assert raised.value.problems[0].code == "province-not-found"
    assert "lai chau" in raised.value.problems[0].message_vi


def test_lai_chau_has_38_communes_and_wards_with_official_codes():
    roster = province_roster("lai chau")
    assert len(roster) == 38
    assert {u.level for u in roster} == {"xa"}
    assert all(len(u.code) == 5 and u.code.isdigit() for u in roster)
    assert roster.get("03388").name == "Phường Đoàn Kết"
    assert all(u.parent is None for u in roster)


def test_the_nation_is_3321_communes_under_34_provinces():
    roster = national_roster()
    counts = roster.count_by_level()
    assert counts == {"tinh": 34, "xa": 3321}
    assert roster.check().valid
    provinces = {u.code for u in roster if u.level == "tinh"}
    assert all(u.parent in provinces for u in roster if u.level == "xa")
    assert len(roster.children("12")) == 38


def test_from_divisions_command_writes_a_roster_that_checks(tmp_path):
    out = tmp_path / "lai-chau.csv"
    runner = CliRunner()
    result = runner.invoke(cli, ["roster", "from-divisions", "--province", "lai chau", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "38" in result.output
    roster, report = read_roster(out)
    assert report.valid and len(roster) == 38

    again = runner.invoke(cli, ["roster", "from-divisions", "--province", "lai chau", "--out", str(out)])
    assert again.exit_code == 1 and "output-exists" in again.output  # never overwritten silently

    stdout = runner.invoke(cli, ["roster", "from-divisions", "--all"])
    rows = list(csv.DictReader(io.StringIO(stdout.output)))
    assert len(rows) == 34 + 3321

    assert runner.invoke(cli, ["roster", "from-divisions"]).exit_code == 2
    assert runner.invoke(cli, ["roster", "from-divisions", "--all", "--province", "12"]).exit_code == 2
    missing = runner.invoke(cli, ["roster", "from-divisions", "--province", "atlantis"])
    assert missing.exit_code == 1 and "province-not-found" in missing.output


def test_national_roster_as_xlsx(tmp_path):
    out = tmp_path / "vn.xlsx"
    national_roster().write(out)
    roster, report = read_roster(out)
    assert report.valid and len(roster) == 3355


def test_the_twelve_departments_of_decree_45_at_the_level_plans_give_them():
    from xlkpi.plan.model import load_plan

    roster = province_roster("lai chau", departments=True)
    departments = [u for u in roster.units if u.level == "so"]
    assert [u.code for u in departments] == [f"12S{n:02d}" for n in range(1, 13)]
    assert departments[0].name == "Văn phòng Ủy ban nhân dân tỉnh" and departments[-1].name == "Thanh tra tỉnh"
    assert "Sở Nông nghiệp và Môi trường" in {u.name for u in departments}
    assert len(roster) == 50 and roster.count_by_level() == {"so": 12, "xa": 38}
    # every built-in plan that has "Sở, ban, ngành" accepts them, and every Lai Châu indicator has units now
    plan = load_plan("lai-chau-2025")
    assert roster.check(plan).valid
    reporting = {u.level for u in roster.units}
    assert all(set(indicator.levels) & reporting for indicator in plan.all_indicators)
    # a city says "thành phố"; a department only some provinces have is added by name, once
    hanoi = province_roster("ha noi", extra_departments=["Sở Dân tộc và Tôn giáo", "sở dan toc va ton giao", "Sở Y tế"])
    names = [u.name for u in hanoi.units if u.level == "so"]
    assert names[0] == "Văn phòng Ủy ban nhân dân thành phố" and names[11] == "Thanh tra thành phố"
    assert names[12:] == ["Sở Dân tộc và Tôn giáo"]


def test_departments_from_the_command_line_and_in_a_campaign(tmp_path):
    result = CliRunner().invoke(cli, ["roster", "from-divisions", "--province", "lai chau", "--departments"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0] == {"code": "12S01", "name": "Văn phòng Ủy ban nhân dân tỉnh", "level": "so", "parent": "",
                       "contact": ""}
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "c"), "--plan", "lai-chau-2025", "--province", "lai chau",
                                      "--departments", "--period", "2025-Q3"])
    assert result.exit_code == 0 and "50 đơn vị" in result.output
    nation = national_roster(departments=True)
    assert nation.count_by_level() == {"tinh": 34, "so": 34 * 12, "xa": 3321}
    assert next(u for u in nation.units if u.code == "12S01").parent == "12"
