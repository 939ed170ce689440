"""Every reader of a file that travels between offices gets the care collect gets: a plan file, a roster,
the upper level's workbook. Bad input ends in located problems, never a traceback or a hang."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from tests.hostile import CASES, Case
from tests.test_consolidate import round_  # noqa: F401 — the fixture
from xlkpi.cli import cli
from xlkpi.plan.model import check_plan
from xlkpi.problems import XlkpiError
from xlkpi.report.consolidate import consolidate
from xlkpi.units.roster import read_roster

LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(12)]
)


def test_a_billion_laughs_plan_is_refused_at_once_with_its_lines(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(LAUGHS, encoding="utf-8")
    started = time.perf_counter()
    report = check_plan(path)
    assert time.perf_counter() - started < 5
    aliases = [p for p in report.errors if p.code == "yaml-expansion"]
    assert len(aliases) == 1 and aliases[0].line and aliases[0].path
    result = CliRunner().invoke(cli, ["plan", "check", str(path)])
    assert result.exit_code == 1 and "yaml-expansion" in result.output and "Traceback" not in result.output


def test_deep_and_huge_plan_files_are_refused(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 100_000, encoding="utf-8")
    assert "yaml-too-deep" in {p.code for p in check_plan(deep).errors}
    nested = tmp_path / "nested.yaml"
    nested.write_text("".join(f"{'  ' * i}k{i}:\n" for i in range(80)) + "  " * 80 + "x: 1\n", encoding="utf-8")
    assert "yaml-too-deep" in {p.code for p in check_plan(nested).errors}
    huge = tmp_path / "huge.yaml"
    huge.write_text("id: x\n" + "# " + "x" * 6_000_000 + "\n", encoding="utf-8")
    assert [p.code for p in check_plan(huge).errors] == ["yaml-too-large"]


@pytest.mark.parametrize("code, fault", [
    ("\x00\x01", "điều khiển"), ("03\x0788", "điều khiển"), ("a/b", "/"), ("..\\x", "\\"), ("C:x", ":"),
    (".hidden", "dấu chấm"), ("x" * 41, "tối đa 40"), ("a|b", "|"),
])
def test_roster_codes_must_be_printable_and_safe(tmp_path, code, fault):
    path = tmp_path / "roster.csv"
    path.write_text(f'code,name,level\n"{code}",Xã A,xa\n03390,Xã B,xa\n', encoding="utf-8")
    roster, report = read_roster(path)
    bad = [p for p in report.errors if p.code == "roster-bad-code"]
    assert len(bad) == 1 and bad[0].cell == "A2" and fault in bad[0].message_vi


def test_roster_parent_codes_are_checked_too(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text('code,name,level,parent\n12,Tỉnh,tinh,\n03388,Xã A,xa,"1\x002"\n', encoding="utf-8")
    _, report = read_roster(path)
    assert [p.cell for p in report.errors if p.code == "roster-bad-code"] == ["D3"]


@pytest.mark.parametrize("case", [c for c in CASES if c.suffix == ".xlsx"], ids=lambda c: c.name)
def test_a_hostile_upper_workbook_is_refused_with_its_name(tmp_path, round_, case: Case):
    campaign, _, _ = round_
    upper = next(campaign.outbox.glob("*.xlsx"))
    data = upper.read_bytes()
    hostile = tmp_path / f"cap-tren{case.suffix}"
    from xlkpi.forms.fill import fill_workbook

    filled = fill_workbook(data, {"F11": 1, "G11": 2})
    hostile.write_bytes(case.make(filled, data, {"F11": 1, "G11": 2}))
    try:
        consolidate(campaign, submission=hostile)
    except XlkpiError as exc:
        assert exc.problems[0].file == str(hostile)
    assert hostile.read_bytes() == case.make(filled, data, {"F11": 1, "G11": 2}), "the upper workbook is never changed"
