"""`xlkpi plan import` on the appendix shapes other offices publish (tests/appendix_shapes.py), as Word and as
Excel: every indicator's number, name, unit, target texts, rule and levels; the issuer, its place, the plan's
id and years; what was guessed said as warnings; and the plan written is one `plan check` accepts, listing
every target judged by a person."""

from __future__ import annotations

import pytest
import yaml

from tests.appendix_shapes import SHAPES, expected_rule, written
from xlkpi.plan.importer import import_plan
from xlkpi.plan.model import Plan, check_plan


@pytest.fixture(params=[(shape, suffix) for shape in SHAPES for suffix in (".docx", ".xlsx")],
                ids=lambda p: f"{p[0].key}{p[1]}")
def imported(request, tmp_path):
    shape, suffix = request.param
    path = tmp_path / f"phu-luc{suffix}"
    path.write_bytes(written(shape, suffix))
    return shape, import_plan(path, year=shape.year_option), tmp_path


def test_every_indicator_reads_as_published(imported):
    shape, found, _ = imported
    plan = Plan.model_validate(found.data)
    assert plan.years == list(shape.years)
    indicators = plan.all_indicators
    assert [i.number for i in indicators] == [r.number for r in shape.rows]
    for indicator, row in zip(indicators, shape.rows):
        where = f"{shape.key} {row.number}"
        assert indicator.name == row.name, where
        if row.unit is not None:
            assert indicator.unit == row.unit, where
        assert {year: t.text for year, t in indicator.targets.items()} == row.targets, where
        assert {year: expected_rule(t.effective_rule) for year, t in indicator.targets.items()} == row.rules, where
        assert sorted(indicator.levels) == sorted(row.levels), (where, indicator.levels)
        if row.measure is not None:
            assert (indicator.measure.numerator, indicator.measure.denominator) == row.measure, where
        # a growth clause in the name is no floor
        assert all(t.effective_rule is None or t.effective_rule.floor is None for t in indicator.targets.values())


def test_the_issuer_its_place_and_the_plans_id(imported):
    shape, found, _ = imported
    plan = Plan.model_validate(found.data)
    assert plan.document.issuer == shape.issuer
    assert plan.document.place == shape.place
    assert plan.id == shape.plan_id
    assert plan.document.signer.title == shape.signer_title


def test_guesses_are_warnings_naming_their_cell_and_nothing_is_refused(imported):
    shape, found, _ = imported
    codes = {p.code for p in found.problems}
    assert shape.warnings <= codes, codes
    assert all(p.severity == "warning" for p in found.problems), [p.message_vi for p in found.problems]
    assert all(p.sheet and p.cell for p in found.problems if p.code.startswith("import-") and
               p.code not in ("import-no-appendix-heading", "import-issuer-missing"))
    assert "import-year-guessed" not in codes  # the year was in the document, or given


def test_the_plan_written_checks_and_lists_every_target_judged_by_a_person(imported):
    shape, found, tmp_path = imported
    out = tmp_path / "plan.yaml"
    out.write_text(yaml.safe_dump(found.data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    report = check_plan(out)
    errors = [p for p in report.errors if p.code != "measure-placeholder"]
    assert not errors, [p.message_vi for p in errors]
    by_hand = [(row.number, year) for row in shape.rows for year, rule in row.rules.items() if rule is None]
    warned = [p for p in report.warnings if p.code == "target-judged-by-hand"]
    assert len(warned) == len(by_hand), [p.message_vi for p in warned]


def test_a_table_without_a_year_anywhere_is_imported_with_a_warning(tmp_path):
    shape = next(s for s in SHAPES if s.key == "khong-nam-dung-tuy-chon")
    path = tmp_path / "phu-luc.xlsx"
    path.write_bytes(written(shape, ".xlsx"))
    found = import_plan(path)  # no --year
    [guess] = [p for p in found.problems if p.code == "import-year-guessed"]
    assert guess.severity == "warning" and guess.cell == "C5" and "--year" in guess.message_vi
    assert len(found.data["years"]) == 1


def test_an_agency_merged_down_rows_stays_merged(imported):
    """One agency cell for several indicators in the document: every indicator gets its levels, and the
    column is marked merged, so the appendix prints it as one cell again."""
    shape, found, _ = imported
    plan = Plan.model_validate(found.data)
    merged = {plan.columns[i].header for i in range(len(plan.columns)) if plan.columns[i].merged}
    expected = {shape.header[-1][col] for _, _, col in shape.body_merges}
    assert merged == expected
