"""The command line: every command documented, exit codes, python -m, and the demo."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from xlkpi.cli import cli

README = Path(__file__).parent.parent / "README.md"


def all_commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from all_commands(command, full + " ")
        else:
            yield full, command


COMMANDS = list(all_commands(cli))


@pytest.mark.parametrize("name, command", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_has_help_and_is_in_the_readme(name, command):
    assert command.help and len(command.help) > 40
    for parameter in command.params:
        if isinstance(parameter, click.Option) and parameter.name not in ("help",):
            assert parameter.help, f"{name} {parameter.opts} has no help"
    result = CliRunner().invoke(cli, name.split() + ["--help"])
    assert result.exit_code == 0
    assert f"xlkpi {name}" in README.read_text(encoding="utf-8"), f"README does not show 'xlkpi {name}'"


def test_plans_lists_the_four_builtins():
    result = CliRunner().invoke(cli, ["plans"])
    assert result.exit_code == 0
    ids = [line.split()[0] for line in result.output.splitlines()]
    assert ids == ["cam-hiep-2025", "lai-chau-2025", "phu-tho-2025", "tam-duong-2025"]


def test_plan_show_lists_indicators_with_targets_and_levels():
    result = CliRunner().invoke(cli, ["plan", "show", "lai-chau-2025", "--year", "2030"])
    assert result.exit_code == 0
    assert '2030: "≥30" → ≥ 30' in result.output
    assert "2030: \"\" → không đánh giá" in result.output
    result = CliRunner().invoke(cli, ["plan", "show", "cam-hiep-2025"])
    assert "III Chỉ tiêu về tỷ lệ xử lý văn bản" in result.output


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "xlkpi", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and re.search(r"xlkpi, version \d", result.stdout)


def test_unknown_plan_is_a_located_problem_not_a_traceback():
    result = CliRunner().invoke(cli, ["plan", "show", "lai-chau-2099"])
    assert result.exit_code == 1
    assert "plan-not-found" in result.output and "Traceback" not in result.output


def test_demo_runs_the_whole_cycle_without_arguments_and_again_the_same(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = CliRunner().invoke(cli, ["demo"])
    assert first.exit_code == 0, first.output
    campaign = tmp_path / "xlkpi-demo" / "lai-chau"
    assert len(list((campaign / "outbox").glob("*.xlsx"))) == 50  # 12 departments, 38 communes and wards
    assert "generated 50 data-entry workbooks" in first.output
    assert "phải nộp lại 3, chưa nộp 2" in first.output  # the three mistakes caught, the two never sent
    for label in ("appendix:", "collection report:", "feedback file"):
        line = next(l for l in first.output.splitlines() if label in l)
        assert Path(line.split()[-1]).exists(), line
    second = CliRunner().invoke(cli, ["demo"])
    assert second.exit_code == 0 and second.output == first.output


def test_demo_catches_each_planted_mistake(tmp_path):
    import sqlite3

    from xlkpi.demo import run_demo

    result = run_demo(tmp_path / "d", use_libreoffice=False)
    ledger = sqlite3.connect(tmp_path / "d" / "lai-chau" / "ledger.sqlite")
    codes = {row[0] for row in ledger.execute(
        "SELECT p.code FROM files f JOIN problems p USING (sha256) WHERE f.state = 'rejected'")}
    assert codes == {"numerator-exceeds-denominator", "target-tampered", "explanation-missing", "not-a-number"}
    assert result.files["feedback"].exists()


def test_demo_never_writes_into_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", str(tmp_path)])
    assert result.exit_code == 1 and "demo-folder-in-use" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_demo_period_is_the_last_ended_quarter_within_the_plan_year():
    from datetime import date

    from xlkpi.demo import demo_period

    assert str(demo_period(date(2026, 11, 21), 2025)) == "2025-Q4"
    assert str(demo_period(date(2025, 11, 21), 2025)) == "2025-Q3"
    assert str(demo_period(date(2025, 2, 1), 2025)) == "2024-Q4"


def test_ci_runs_exactly_the_readme_test_command():
    readme = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, flags=re.S)
    test_command = next(block for block in blocks if "pytest" in block)
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
