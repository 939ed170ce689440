"""Forms already sent out keep working after an upgrade: rounds made by xlkpi 0.1.0 (the two-row form, kept in
tests/data/release-0.1) open unchanged and collect to the values their units typed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from xlkpi.campaign.folder import open_campaign
from xlkpi.collect.checks import CampaignView, inspect_workbook
from xlkpi.collect.readers import read_workbook
from xlkpi.collect.run import collect
from xlkpi.collect.status import LATE, RESUBMIT, SUBMITTED, open_status
from xlkpi.forms import layout as F
from xlkpi.forms.generate import generate
from xlkpi.report.consolidate import consolidate

RELEASE = Path(__file__).parent / "data" / "release-0.1"


@pytest.fixture(params=["lai-chau-2025", "phu-tho-2025"])
def old_round(request, tmp_path):
    """A copy of a round of release 0.1.0, upgraded in the middle: one return collected then, the rest now."""
    shutil.copytree(RELEASE / request.param, tmp_path / request.param)
    base = tmp_path / request.param
    expected = json.loads((base / "expected.json").read_text(encoding="utf-8"))
    return open_campaign(base / "dot"), base / "tra-ve-sau", expected


def test_returns_of_the_previous_release_collect_to_what_was_typed(old_round):
    campaign, later, expected = old_round
    before = open_status(campaign)
    assert sum(1 for unit in before.units if unit.state in (SUBMITTED, LATE)) == 1  # collected by 0.1.0
    for path in sorted(later.iterdir()):
        shutil.copy2(path, campaign.inbox / path.name)
    result = collect(campaign, jobs=1)
    accepted = {o.unit for o in result.outcomes if o.verdict == "accepted"}
    rejected = {o.unit for o in result.outcomes if o.verdict == "rejected"}
    units = sorted(expected)
    assert accepted == {units[2]} and rejected == {units[1]}, (accepted, rejected)  # the first was known
    states = {unit.unit.code: unit.state for unit in open_status(campaign).units}
    assert states == {units[0]: states[units[0]], units[1]: RESUBMIT, units[2]: states[units[2]]}
    assert {states[units[0]], states[units[2]]} <= {SUBMITTED, LATE}
    problems = [p.code for o in result.outcomes if o.verdict == "rejected" for p in o.problems]
    assert problems == ["explanation-missing"]

    view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)
    for path in sorted(campaign.inbox.iterdir()):
        book = read_workbook(path.read_bytes(), path.name)
        try:
            inspection = inspect_workbook(book, view, path.name)
        finally:
            book.close()
        assert inspection.version == "1"
        typed = expected[inspection.unit.code]
        for value in inspection.values:
            cells = typed[value.indicator]
            if value.numerator is not None or value.denominator is not None:
                assert (value.numerator, value.denominator) == (cells["numerator"], cells["denominator"])
            elif value.text is not None:
                assert value.text == cells["value"]
            else:
                assert value.value == pytest.approx(cells["value"])
            assert value.explanation == (cells["explanation"] or "")
            assert value.evidence == (cells["evidence"] or "")
    # the round consolidates with the returns of both releases
    consolidated = consolidate(campaign)
    assert consolidated.path.exists()


def test_the_feedback_copy_of_an_old_return_is_todays_form_with_the_units_values(old_round):
    campaign, later, expected = old_round
    for path in sorted(later.iterdir()):
        shutil.copy2(path, campaign.inbox / path.name)
    collect(campaign, jobs=1)
    copies = sorted((campaign.reports / "phan-hoi").glob("*.xlsx"))
    assert len(copies) == 1
    unit = sorted(expected)[1]
    level = next(u.level for u in campaign.roster.units if u.code == unit)
    layout = F.layout(campaign.plan, level, campaign.target_year)
    sheet = openpyxl.load_workbook(copies[0])[F.SHEET]
    for block in layout.blocks:
        for role, (row, col) in block.inputs.items():
            typed = expected[unit][block.indicator.id][role]
            shown = sheet.cell(row + 1, col + 1).value
            assert (shown if shown not in (None, "") else None) == typed, (block.indicator.id, role, shown, typed)
    # the missing explanation is marked on today's form, and listed with today's cell
    findings = openpyxl.load_workbook(copies[0])["Phản hồi"]
    cells = [findings.cell(row, 2).value for row in range(6, findings.max_row + 1)]
    missed = next(b for b in layout.blocks if expected[unit][b.indicator.id]["numerator"] == 0
                  and expected[unit][b.indicator.id]["denominator"] == 40)
    assert cells == [F.cell_name(*missed.inputs[F.EXPLANATION])]
    assert sheet[F.cell_name(*missed.inputs[F.EXPLANATION])].comment is not None


def test_forms_generated_now_carry_the_new_version_and_are_read_by_it(old_round):
    campaign, _, _ = old_round
    result = generate(campaign, jobs=1, force=True)
    book = read_workbook(result.files[0].path.read_bytes(), "new.xlsx")
    try:
        view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                            campaign.target_year)
        inspection = inspect_workbook(book, view, "new.xlsx")
    finally:
        book.close()
    assert inspection.identity["format"] == F.FORM_VERSION == "2" and inspection.version == "2"


def test_a_form_of_an_unknown_later_version_is_refused_with_advice(old_round, tmp_path):
    """A form made by a later xlkpi (its identity, in all three places, says version 9)."""
    import re
    import zipfile

    campaign, later, _ = old_round
    source = sorted(later.iterdir())[0]
    changed = tmp_path / source.name
    edits = {
        "xl/workbook.xml": (rb'(<definedName name="xlkpi_format">)"1"', rb'\1"9"'),
        "docProps/custom.xml": (rb'(name="xlkpi.format"><vt:lpwstr>)1<', rb"\g<1>9<"),
        "xl/worksheets/sheet3.xml": (rb'<c r="B1" t="s"><v>\d+</v></c>', rb'<c r="B1" t="inlineStr"><is><t>9</t></is></c>'),
    }
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(changed, "w") as out:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename in edits:
                data, count = re.subn(*edits[info.filename], data)
                assert count == 1, info.filename
            out.writestr(info, data)
    book = read_workbook(changed.read_bytes(), changed.name)
    try:
        view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                            campaign.target_year)
        inspection = inspect_workbook(book, view, changed.name)
    finally:
        book.close()
    codes = [p.code for p in inspection.problems]
    assert codes == ["form-version-unknown"], [p.message_vi for p in inspection.problems]
    assert "cập nhật xlkpi" in inspection.problems[0].message_vi
