"""Every built-in plan is faithful, word for word, to the official appendix it was taken from.

The seeds (tests/seeds/, copied from shared/seeds/) are the appendices as text, each laid out
differently: broken lines (000), tab-separated rows (001, 003), "|"-separated cells (004).  Compared
without whitespace, each indicator's printed row — its cells in the plan's column order — must appear
in the seed exactly, in order; so must the header, the section rows and the title lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xlkpi.plan.builtin import builtin_plans, resolve_plan
from xlkpi.plan.model import RESULT_COLUMNS, Plan, check_plan, load_plan

SEEDS = Path(__file__).parent / "seeds"
CASES = {
    "tam-duong-2025": ("000_b53211361d23bd02.txt", 12, ()),
    "lai-chau-2025": ("001_a9754c788cc44f6d.txt", 12, ()),
    "cam-hiep-2025": ("003_15556c4c722cdb8a.txt", 10, (4, 4, 2)),
    "phu-tho-2025": ("004_6235157468960801.txt", 15, (11, 4)),
}
#: Where each seed's appendix table starts (the seeds 003 and 004 hold the whole plan before it).
APPENDIX_START = {"003_15556c4c722cdb8a.txt": "PHỤ LỤC\nCHỈ TIÊU CỤ THỂ", "004_6235157468960801.txt": "PHỤ LỤC II"}


def squeeze(text: str) -> str:
    """The text with whitespace and the "|" cell separators of seed 004 removed."""
    return re.sub(r"[\s|]+", "", text)


def merge_continuations(text: str) -> str:
    """Seed 003 continues a tab-separated row on a line that starts with a tab: merge it cell by cell."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("\t") and lines and re.match(r"\d+\t", lines[-1]):
            head, tail = lines[-1].split("\t"), line.split("\t")
            width = max(len(head), len(tail))
            head += [""] * (width - len(head))
            tail += [""] * (width - len(tail))
            lines[-1] = "\t".join((a + " " + b).strip() for a, b in zip(head, tail))
        elif line.strip():
            lines.append(line)
    return "\n".join(lines)


def seed_table(filename: str) -> str:
    text = (SEEDS / filename).read_text(encoding="utf-8")
    marker = APPENDIX_START.get(filename)
    if marker:
        text = text[text.index(marker):]
    return squeeze(merge_continuations(text))


def printed_columns(plan: Plan):
    return [c for c in plan.columns if c.shows not in RESULT_COLUMNS]


def header_text(plan: Plan) -> str:
    columns = printed_columns(plan)
    top: list[str] = []
    for column in columns:
        label = column.group or column.header
        if not (column.group and top and top[-1] == label):
            top.append(label)
    second = [c.header for c in columns if c.group]
    return squeeze("".join(top + second))


@pytest.fixture(params=sorted(CASES), name="plan_id")
def _plan_id(request):
    return request.param


def test_builtin_plan_is_valid(plan_id):
    report = check_plan(resolve_plan(plan_id))
    assert report.valid, report.problems
    assert not report.warnings, report.warnings


def test_indicator_count_and_sections_match_seed(plan_id):
    plan = load_plan(plan_id)
    _, count, sections = CASES[plan_id]
    assert len(plan.all_indicators) == count
    assert tuple(len(s.indicators) for s in plan.sections) == sections


def test_every_row_is_printed_word_for_word_in_seed(plan_id):
    plan = load_plan(plan_id)
    seed = seed_table(CASES[plan_id][0])
    position = 0
    current_section = None
    for section, indicator in plan.iter_indicators():
        if section is not None and section is not current_section:
            current_section = section
            found = seed.find(squeeze(section.number + section.title), position)
            assert found >= 0, f"section {section.number} {section.title!r} not found after position {position}"
            position = found
        row = squeeze("".join(indicator.printed(c) or "" for c in printed_columns(plan)))
        found = seed.find(row, position)
        assert found >= 0, (
            f"{plan_id} {indicator.id}: row not in the seed as printed.\n"
            f"expected: {row}\nseed near: {seed[position:position + len(row) + 80]}"
        )
        position = found + len(row)


@pytest.mark.parametrize("plan_id", ["lai-chau-2025", "cam-hiep-2025"])
def test_tab_separated_seeds_match_cell_by_cell(plan_id):
    """Seeds 001 and 003 keep their cells apart (tabs): compare every printed cell exactly, so that a
    wrong target cannot hide by borrowing characters from its neighbour."""
    text = merge_continuations((SEEDS / CASES[plan_id][0]).read_text(encoding="utf-8"))
    marker = APPENDIX_START.get(CASES[plan_id][0])
    if marker:
        text = text[text.index(marker):]
    rows = [
        [" ".join(cell.split()) for cell in line.split("\t")]
        for line in text.splitlines()
        if re.match(r"(\d+|[IVX]+)\t", line)
    ]
    plan = load_plan(plan_id)
    expected: list[list[str]] = []
    current = None
    for section, indicator in plan.iter_indicators():
        if section is not None and section is not current:
            current = section
            expected.append([section.number, section.title])
        expected.append([" ".join((indicator.printed(c) or "").split()) for c in printed_columns(plan)])
    assert len(rows) == len(expected)
    for seed_row, plan_row in zip(rows, expected):
        seed_row = seed_row + [""] * (len(plan_row) - len(seed_row))
        assert seed_row[: len(plan_row)] == plan_row
        assert not any(seed_row[len(plan_row):]), seed_row


def test_header_and_title_match_seed(plan_id):
    plan = load_plan(plan_id)
    seed = seed_table(CASES[plan_id][0])
    assert header_text(plan) in seed
    appendix = plan.document.appendix
    for line in appendix.title:
        assert squeeze(line) in seed
    assert squeeze(appendix.heading + appendix.number) in seed
    if appendix.attached:
        assert squeeze(appendix.attached) in seed


def test_tam_duong_and_lai_chau_targets_as_printed():
    """The target texts the DESIGN names, read from the plans: numbers, 'Tối thiểu', '≥', words, blank."""
    plan = load_plan("lai-chau-2025")
    texts = {i.number: (i.targets[2025].text, i.targets[2030].text) for i in plan.all_indicators}
    assert texts["4"] == ("Tối thiểu 50", "80")
    assert texts["6"] == ("Thực hiện theo hướng dẫn của TW", "70")
    assert texts["7"] == ("Thực hiện theo hướng dẫn của TW", "≥30")
    assert texts["10"] == ("Tối thiểu 90", "")
    rules = {i.number: i.targets[2025].effective_rule for i in plan.all_indicators}
    assert rules["6"] is None
    assert (rules["4"].op, rules["4"].value) == (">=", 50)
    assert plan.all_indicators[6].targets[2030].effective_rule.value == 30


def test_levels_follow_the_implementing_agency():
    plan = load_plan("lai-chau-2025")
    commune = [i.number for i in plan.indicators_for_level("xa")]
    assert commune == ["2", "3", "4", "5", "9", "10", "11", "12"]  # 1, 6, 7, 8: "Các Sở, ban, ngành; UBND cấp huyện."
    assert [i.number for i in plan.indicators_for_level("so")] == [str(n) for n in range(1, 13)]


def test_builtins_are_listed_and_named_by_id():
    ids = [p.id for p in builtin_plans()]
    assert ids == sorted(CASES)
    for plan in builtin_plans():
        assert plan.title and plan.path.exists()
        assert load_plan(plan.id).id == plan.id
