"""The office's own figures for indicators no unit of the round reports (`xlkpi enter`)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.test_consolidate import appendix_rows, round_  # noqa: F401 — the fixture
from xlkpi.cli import cli
from xlkpi.report.consolidate import consolidate


def test_the_office_enters_a_provincial_figure_and_the_appendix_shows_it(round_):
    campaign, _, _ = round_
    runner = CliRunner()
    where = ["--campaign", str(campaign.directory)]
    # indicator 1 (full-online services) belongs to the departments: no commune of this round reports it
    said = runner.invoke(cli, ["enter", "1", *where, "--numerator", "180", "--denominator", "200",
                               "--source", "Cổng Dịch vụ công quốc gia, 15/10/2025", "--by", "Nguyễn Văn A"])
    assert said.exit_code == 0, said.output
    result = consolidate(campaign)
    rolled = result.consolidation.totals["dvc-toan-trinh"]
    assert (rolled.numerator, rolled.denominator, rolled.value) == (180, 200, 90.0) and rolled.office
    assert rolled.label == "Đạt"  # the plan's 2025 target is 80
    _, rows = appendix_rows(result.path)
    value, units_met, judgement = rows["1"][-3:]
    assert value == "90,00" and judgement == "Đạt"
    assert "Cổng Dịch vụ công quốc gia" in units_met and "Nguyễn Văn A" in units_met
    # it is the office's to correct or remove
    assert runner.invoke(cli, ["enter", "1", *where, "--remove"]).exit_code == 0
    assert consolidate(campaign).consolidation.totals["dvc-toan-trinh"].office is None


@pytest.mark.parametrize("args, code", [
    (["2", "--numerator", "1", "--denominator", "2", "--source", "x"], "office-figure-not-needed"),  # communes report 2
    (["1", "--numerator", "5", "--denominator", "2", "--source", "x"], "office-figure-invalid"),
    (["1", "--numerator", "1.5", "--denominator", "2", "--source", "x"], "office-figure-invalid"),
    (["1", "--numerator", "1", "--denominator", "2"], "office-figure-invalid"),  # no source
    (["99", "--value", "1", "--source", "x"], "indicator-unknown"),
])
def test_a_figure_is_checked_like_a_units_input(round_, args, code):
    campaign, _, _ = round_
    said = CliRunner().invoke(cli, ["enter", *args, "--campaign", str(campaign.directory)])
    assert said.exit_code == 1 and code in said.output, said.output
