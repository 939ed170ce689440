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


@pytest.mark.parametrize("key", ["tinh-nam-tren-chi-tieu-giao", "giai-doan-tren-cac-nam", "phuong-den-nam"])
def test_from_the_import_to_the_first_form_without_an_edit(key, tmp_path):
    """An appendix whose import warns of nothing goes straight on: its plan opens a round and the forms go out,
    with no hand edit in between."""
    import openpyxl

    from xlkpi.campaign.folder import init_campaign, open_campaign
    from xlkpi.forms.generate import generate

    shape = next(s for s in SHAPES if s.key == key)
    path = tmp_path / "phu-luc.docx"
    path.write_bytes(written(shape, ".docx"))
    found = import_plan(path)
    out = tmp_path / "plan.yaml"
    out.write_text(yaml.safe_dump(found.data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert check_plan(out).valid and not [p for p in found.problems if p.severity == "error"]
    plan = Plan.model_validate(found.data)
    roster = tmp_path / "dv.csv"
    roster.write_text("code,name,level\n" + "".join(f"U{n},Đơn vị {n},{level}\n"
                                                     for n, level in enumerate(plan.reporting_levels)), encoding="utf-8")
    init_campaign(tmp_path / "c", plan=str(out), period=f"{plan.years[0]}-Q3", roster=roster)
    files = generate(open_campaign(tmp_path / "c"), jobs=1).files
    assert len(files) == len(plan.reporting_levels)
    sheet = openpyxl.load_workbook(files[0].path)["Nhập liệu"]
    names = {str(c.value) for row in sheet.iter_rows() for c in row if c.value}
    assert any(shape.rows[0].name in name for name in names)


@pytest.mark.parametrize("key, target", [("so-phong-ban-truc-thuoc", "odt"), ("so-phong-ban-truc-thuoc", "doc"),
                                         ("tinh-nam-tren-chi-tieu-giao", "doc"), ("xa-thuc-hien-trong-nam", "xls")])
def test_odt_doc_and_xls_of_other_offices_import_the_same(soffice, tmp_path, key, target):
    """The same appendices saved by LibreOffice as .odt, legacy .doc and legacy .xls read as their .docx and
    .xlsx do. (The .doc is saved from the .odt: LibreOffice saving python-docx's own .docx straight to .doc
    drops the table, which a Word-made .doc does not.)"""
    from xlkpi.common.office import convert

    shape = next(s for s in SHAPES if s.key == key)
    source = tmp_path / "src" / f"phu-luc.{'xlsx' if target == 'xls' else 'docx'}"
    source.parent.mkdir()
    source.write_bytes(written(shape, source.suffix))
    legacy = source
    for step in (["odt", "doc"] if target == "doc" else [target]):
        legacy = convert(legacy, step, tmp_path / step)
    modern = Plan.model_validate(import_plan(source).data)
    old = Plan.model_validate(import_plan(legacy).data)
    assert legacy.suffix == f".{target}"
    assert [(i.number, i.name, i.levels, {y: t.text for y, t in i.targets.items()}) for i in old.all_indicators] == \
        [(i.number, i.name, i.levels, {y: t.text for y, t in i.targets.items()}) for i in modern.all_indicators]
    assert (old.document.issuer, old.id, old.years) == (modern.document.issuer, modern.id, modern.years)


def test_a_sheet_padded_to_its_last_cell_imports_its_table(tmp_path):
    """A stray mark at XFD1048576 makes the sheet's used range the whole sheet: the table is read by its
    content (it was walked cell by cell, for minutes)."""
    import io

    import openpyxl

    shape = next(s for s in SHAPES if s.key == "xa-khong-cot-co-quan")
    book = openpyxl.load_workbook(io.BytesIO(written(shape, ".xlsx")))
    book.active["XFD1048576"] = "x"
    path = tmp_path / "phu-luc.xlsx"
    book.save(path)
    plan = Plan.model_validate(import_plan(path).data)
    assert [i.name for i in plan.all_indicators] == [r.name for r in shape.rows]
    assert len(plan.columns) == len(shape.header[-1]) + 3  # the table's columns and the three result columns
