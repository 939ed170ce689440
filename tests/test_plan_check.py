"""`xlkpi plan check`: a plan is validated whole and every problem is located (key path and line)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlkpi.cli import cli
from xlkpi.plan.model import check_plan, load_plan
from xlkpi.problems import XlkpiError

DATA = Path(__file__).parent / "data"
TEMPLATES = Path(__file__).parent.parent / "templates"

MINIMAL = """\
format: 1
id: mini
version: "1"
title: Kế hoạch nhỏ
years: [2025]
levels:
  - {id: xa, name: UBND cấp xã, aliases: [UBND cấp xã]}
document:
  issuer: ỦY BAN NHÂN DÂN XÃ A
  kind: Kế hoạch
  appendix:
    title: [CHỈ TIÊU]
columns:
  - {key: stt, header: STT, shows: number}
  - {key: ten, header: Tên chỉ tiêu, shows: name}
  - {key: ct, header: Chỉ tiêu năm 2025, shows: target, year: 2025}
indicators:
  - id: a
    number: "1."
    name: Tỷ lệ A
    measure: {kind: rate, numerator: Số A, denominator: Tổng số}
    targets:
      2025: {text: "80"}
    levels: [xa]
"""


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def codes_at(report):
    return {(p.code, p.line, p.path) for p in report.problems}


def test_minimal_plan_is_valid_and_keeps_text_as_written(tmp_path):
    report = check_plan(write(tmp_path, MINIMAL))
    assert report.valid, report.problems
    plan = load_plan(tmp_path / "plan.yaml")
    indicator = plan.all_indicators[0]
    assert indicator.number == "1."  # YAML would read 1. as a float; the plan keeps what was printed
    assert indicator.targets[2025].text == "80"


def test_broken_plan_reports_every_problem_with_line_and_path():
    report = check_plan(DATA / "broken-plan.yaml")
    assert not report.valid
    assert codes_at(report) == {
        ("unknown-year", 17, "columns[2].year"),
        ("rule-contradicts-text", 24, "indicators[0].targets.2025.rule"),
        ("unknown-key", 27, "indicators[0].colour"),
        ("missing-target-text", 33, "indicators[1].targets.2025"),
        ("duplicate-id", 35, "indicators[2].id"),
        ("unknown-level", 41, "indicators[2].levels[0]"),
    }
    for p in report.problems:
        assert p.file.endswith("broken-plan.yaml")
        assert p.message_vi and p.message_en and p.message_vi != p.message_en
    contradiction = next(p for p in report.problems if p.code == "rule-contradicts-text")
    assert "Tối thiểu 50" in contradiction.message_vi and "the text says 50, the rule 60" in contradiction.message_en
    unknown = next(p for p in report.problems if p.code == "unknown-key")
    assert "'colour'" in unknown.message_vi and "targets" in unknown.message_vi  # lists the valid keys


@pytest.mark.parametrize(
    "old, new, code, path",
    [
        ("  appendix:\n", "  apendix: {}\n  appendix:\n", "unknown-key", "document.apendix"),
        ("shows: target, year: 2025", "shows: target", "column-needs-year", "columns[2]"),
        ("shows: number}", "shows: number, year: 2025}", "column-year-unused", "columns[0].year"),
        ("{text: \"80\"}", "{text: \"80\", rule: {op: \">=\", value: 80, floor: 95}}", "rule-invalid",
         "indicators[0].targets.2025.rule"),
        ("{text: \"80\"}", "{text: \"Thực hiện theo hướng dẫn của TW\", rule: {op: \">=\", value: 80}}",
         "rule-contradicts-text", "indicators[0].targets.2025.rule"),
        ("{text: \"80\"}", "{text: \"Tối thiểu 80\", rule: {op: \"<=\", value: 80}}", "rule-contradicts-text",
         "indicators[0].targets.2025.rule"),
        ("{text: \"80\"}", "{text: \"\", rule: {op: \">=\", value: 80}}", "rule-contradicts-text",
         "indicators[0].targets.2025.rule"),
        ("      2025: {text: \"80\"}\n", "      2024: {text: \"80\"}\n", "unknown-year", "indicators[0].targets.2024"),
        ("      2025: {text: \"80\"}\n", "      {}\n", "missing-target", "indicators[0].targets"),
        ("numerator: Số A, ", "", "measure-incomplete", "indicators[0].measure"),
        ("kind: rate,", "kind: rates,", "invalid-value", "indicators[0].measure.kind"),
        ("    levels: [xa]\n", "    levels: [xa]\n    rollup: sum\n", "rollup-mismatch", "indicators[0].rollup"),
        ("    levels: [xa]\n", "    levels: [xa]\n    rollup: weighted-mean\n", "invalid-value", "indicators[0].rollup"),
        ("id: a\n", "id: Chỉ tiêu A\n", "invalid-value", "indicators[0].id"),
        ("years: [2025]", "years: 2025", "wrong-type", "years"),
        ("  kind: Kế hoạch\n", "", "missing-key", "document.kind"),
        ("format: 1", "format: 2", "invalid-value", "format"),
        ("  - {key: ten, header: Tên chỉ tiêu, shows: name}\n", "", "missing-column", "columns"),
        ("    levels: [xa]\n", "    levels: []\n", "no-reporting-level", "indicators[0].levels"),
    ],
)
def test_each_mistake_is_found_where_it_is(tmp_path, old, new, code, path):
    assert old in MINIMAL
    report = check_plan(write(tmp_path, MINIMAL.replace(old, new, 1)))
    assert not report.valid
    found = [p for p in report.problems if p.code == code]
    assert found, [(p.code, p.path) for p in report.problems]
    assert found[0].path == path
    assert found[0].line is not None


def test_agency_text_and_levels_disagree_is_a_warning(tmp_path):
    text = MINIMAL.replace(
        "  - {id: xa, name: UBND cấp xã, aliases: [UBND cấp xã]}\n",
        "  - {id: xa, name: UBND cấp xã, aliases: [UBND cấp xã]}\n"
        "  - {id: huyen, name: UBND cấp huyện, aliases: [UBND cấp huyện]}\n",
    ).replace("    levels: [xa]\n", "    levels: [xa]\n    implementing: UBND cấp huyện; UBND cấp xã\n")
    report = check_plan(write(tmp_path, text))
    assert report.valid  # a warning does not make the plan invalid
    assert [p.code for p in report.warnings] == ["levels-disagree-with-agency"]


def test_yaml_syntax_error_and_duplicate_key_are_located(tmp_path):
    report = check_plan(write(tmp_path, MINIMAL.replace("title: Kế hoạch nhỏ", "title: [Kế hoạch nhỏ")))
    assert [p.code for p in report.problems] == ["yaml-syntax"]
    assert report.problems[0].line is not None

    report = check_plan(write(tmp_path, MINIMAL.replace("version: \"1\"\n", "version: \"1\"\nid: mini2\n")))
    duplicate = [p for p in report.problems if p.code == "yaml-duplicate-key"]
    assert duplicate and duplicate[0].line == 4 and "dòng 2" in duplicate[0].message_vi


def test_floor_target_text_gives_a_floor_rule(tmp_path):
    text = MINIMAL.replace("{text: \"80\"}", "{text: \"Tối thiểu 98 (tỷ lệ b/a phải đạt tối thiểu 95%)\"}")
    plan_path = write(tmp_path, text)
    assert check_plan(plan_path).valid
    rule = load_plan(plan_path).all_indicators[0].targets[2025].effective_rule
    assert (rule.op, rule.value, rule.floor) == (">=", 98, 95)


def test_per_level_and_per_unit_targets(tmp_path):
    text = MINIMAL.replace(
        "      2025: {text: \"80\"}\n",
        "      2025:\n"
        "        text: Tối thiểu 98\n"
        "        by_level:\n"
        "          xa: {text: Tối thiểu 99}\n"
        "        by_unit:\n"
        "          \"03127\": {text: \"100\"}\n",
    )
    plan = load_plan(write(tmp_path, text))
    target = plan.all_indicators[0].targets[2025]
    assert target.for_unit("huyen").text == "Tối thiểu 98"
    assert target.for_unit("xa", "00001").effective_rule.value == 99
    assert target.for_unit("xa", "03127").text == "100"


def test_missing_file_and_unknown_builtin():
    assert [p.code for p in check_plan("nowhere/plan.yaml").problems] == ["file-not-found"]
    with pytest.raises(XlkpiError) as raised:
        load_plan("no-such-plan")
    assert raised.value.problems[0].code == "plan-not-found"
    assert "lai-chau-2025" in raised.value.problems[0].message_vi


def test_cli_plan_check_exit_codes_and_json():
    runner = CliRunner()
    ok = runner.invoke(cli, ["plan", "check", "lai-chau-2025", "tam-duong-2025", "cam-hiep-2025", "phu-tho-2025"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.count("hợp lệ / valid") == 4

    bad = runner.invoke(cli, ["plan", "check", str(DATA / "broken-plan.yaml")])
    assert bad.exit_code == 1
    assert "dòng 24 › indicators[0].targets.2025.rule" in bad.output
    assert "rule-contradicts-text" in bad.output and "EN: The rule" in bad.output

    as_json = runner.invoke(cli, ["plan", "check", "--json", str(DATA / "broken-plan.yaml")])
    assert as_json.exit_code == 1
    data = json.loads(as_json.output)
    assert data["valid"] is False and data["stats"]["errors"] == 6
    assert {p["code"] for p in data["problems"]} >= {"unknown-key", "duplicate-id", "unknown-level"}
    assert all(p["line"] and p["file"] for p in data["problems"])

    usage = runner.invoke(cli, ["plan", "check"])
    assert usage.exit_code == 2


def test_a_figure_no_rule_judges_is_a_warning_and_strict_rules_are_read(tmp_path):
    """"Tối thiểu 5% GRDP" prints a figure of another base: the plan is valid, and check says the target will
    be judged by a person; "Hơn 50%" and a written "> 50" are strict rules."""
    text = MINIMAL.replace('2025: {text: "80"}', '2025: {text: "Tối thiểu 5% GRDP"}')
    report = check_plan(write(tmp_path, text))
    assert report.valid
    [warning] = [p for p in report.problems if p.code == "target-judged-by-hand"]
    assert warning.severity == "warning" and warning.line == 23 and "GRDP" in warning.message_vi
    assert "Quy tắc 2025" in warning.message_vi
    # a rule given for it: judged, no warning
    ruled = text.replace('{text: "Tối thiểu 5% GRDP"}', '{text: "Tối thiểu 5% GRDP", rule: {op: ">=", value: 5}}')
    assert not [p for p in check_plan(write(tmp_path, ruled)).problems if p.code == "target-judged-by-hand"]
    strict = MINIMAL.replace('2025: {text: "80"}', '2025: {text: "Hơn 50%", rule: {op: ">", value: 50}}')
    report = check_plan(write(tmp_path, strict))
    assert report.valid, report.problems
    rule = load_plan(tmp_path / "plan.yaml").all_indicators[0].targets[2025].effective_rule
    assert (rule.op, rule.value) == (">", 50)
    wrong = MINIMAL.replace('2025: {text: "80"}', '2025: {text: "Hơn 50%", rule: {op: ">=", value: 50}}')
    assert "rule-contradicts-text" in {p.code for p in check_plan(write(tmp_path, wrong)).problems}
