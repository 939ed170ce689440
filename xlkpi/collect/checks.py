"""Checking a returned workbook against its campaign, trusting nothing in it.

1. **Identity.**  Read from the three places (hidden sheet, defined names, custom properties); every
   place present must agree and at least two must be present.  Campaign, plan and version, period and
   unit must be this campaign's, and the HMAC digest must verify with the campaign's secret over the
   identity and the locked content the unit was given.  An operator's ``--assign`` replaces a missing
   or broken identity, and is recorded.
2. **Locked content.**  The unit line, every indicator's number, name and target text, and the
   labels, compared cell by cell with what generate wrote (protection can be bypassed by any program).
3. **Values.**  Every input is read again (validation is skipped by paste): numbers as
   :mod:`xlkpi.collect.numbers` says, whole where counts, ranges, numerator ≤ denominator, required inputs,
   no formulas, explanation present when a target is missed.  Rates and judgements are recomputed
   here; cached formula results are never used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from xlkpi.forms import layout as F
from xlkpi.forms.layout import NO, YES, Block, FormLayout, cell_name
from xlkpi.forms.identity import FIELDS, HIDDEN_SHEET, NAME_PREFIX, PROPERTY_PREFIX, Identity, LockedRow, verify
from xlkpi.collect.numbers import read_number
from xlkpi.plan.model import Plan
from xlkpi.problems import Problem, problem
from xlkpi.collect.readers import CellSet, ErrorValue, PercentValue, SourceWorkbook
from xlkpi.units.roster import Roster, Unit
from xlkpi.plan.targets import OP_SYMBOL, Rule, format_number
from xlkpi.common.text import cell_text as _text, fold

MAX_VALUE = F.NUMBER_LIMIT
MAX_TEXT, MAX_EXPLANATION, MAX_EVIDENCE = F.TEXT_LIMIT, F.EXPLANATION_LIMIT, F.EVIDENCE_LIMIT

MET, NOT_MET, NOT_ARISEN, NOT_JUDGED = "met", "not-met", "not-arisen", "not-judged"
#: the hidden sheet's field names and values: the first rows of its first two columns
IDENTITY_CELLS = CellSet((row, col) for row in range(len(FIELDS) + 1) for col in (0, 1))


@dataclass
class IndicatorValue:
    indicator: str
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None  # the result, in the indicator's unit: % for rates and percentages
    text: str | None = None  # yes/no answer or text content
    explanation: str = ""
    evidence: str = ""
    status: str = NOT_JUDGED


@dataclass
class Inspection:
    file: str
    unit: Unit | None = None
    identity: dict[str, str] | None = None
    assigned: bool = False
    values: list[IndicatorValue] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: the input cells as typed (cell name -> value), for the feedback copy
    raw_inputs: dict[str, Any] = field(default_factory=dict)
    #: the form version the workbook was read by (its cells, in raw_inputs and problems, are that layout's)
    version: str = F.FORM_VERSION
    #: the round's own form with nothing typed in it: the office's blank form coming back (a reply quoting
    #: the request, a Bcc copy), which says nothing about the unit
    unfilled: bool = False

    @property
    def accepted(self) -> bool:
        return self.unit is not None and not self.unfilled and not any(p.severity == "error" for p in self.problems)


@dataclass
class CampaignView:
    """What checking needs of a campaign, with layouts cached per level (and per unit with own targets)."""

    campaign_id: str
    plan: Plan
    roster: Roster
    secret: bytes
    period: str
    year: int
    _layouts: dict[tuple[str, str, str | None], tuple[FormLayout, list[LockedRow], CellSet]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        self.units = {u.code: u for u in self.roster.units}
        self.numbers = {i.id: self.plan.full_number(i.id) for i in self.plan.all_indicators}
        self.own_targets = F.units_with_own_targets(self.plan, self.year)

    def layout(self, unit: Unit, version: str = F.FORM_VERSION) -> tuple[FormLayout, list[LockedRow]]:
        """The unit's form as ``version`` lays it out, and its locked rows."""
        return self._layout(unit, version)[:2]  # type: ignore[return-value]

    def form_cells(self, unit: Unit, version: str = F.FORM_VERSION) -> CellSet:
        """The cells of the unit's form that the checks read: the unit line, each indicator's number, name and
        target, and the inputs."""
        return self._layout(unit, version)[2]

    def _layout(self, unit: Unit, version: str) -> tuple[FormLayout, list[LockedRow], CellSet]:
        key = (version, unit.level, unit.code if unit.code in self.own_targets else None)
        if key not in self._layouts:
            layout = F.layout(self.plan, unit.level, self.year, key[2], version)
            locked = [LockedRow(b.indicator.id, b.indicator.name, b.target_text) for b in layout.blocks]
            cells = {(F.UNIT_ROW, 0)}
            for block in layout.blocks:
                cells.update((block.first_row, col) for col in (F.COL_NUMBER, F.COL_NAME, F.COL_TARGET))
                cells.update(block.inputs.values())
            self._layouts[key] = (layout, locked, CellSet(cells))
        return self._layouts[key]


def _places(book: SourceWorkbook) -> dict[str, dict[str, str]]:
    """The identity as each of the three places holds it (a place is absent when it has no 'unit')."""
    places: dict[str, dict[str, str]] = {}
    if HIDDEN_SHEET in book.sheets:
        cells, _ = book.cells(HIDDEN_SHEET, IDENTITY_CELLS)
        found = {}
        for row in range(len(FIELDS) + 1):
            name = _text(cells.get((row, 0), ""))
            if name in FIELDS:
                found[name] = _text(cells.get((row, 1), ""))
        if "unit" in found:
            places["sheet"] = found
    names = {k[len(NAME_PREFIX):]: v for k, v in book.defined_names.items() if k.startswith(NAME_PREFIX)}
    if "unit" in names:
        places["names"] = {k: v for k, v in names.items() if k in FIELDS}
    properties = {k[len(PROPERTY_PREFIX):]: v for k, v in book.properties.items() if k.startswith(PROPERTY_PREFIX)}
    if "unit" in properties:
        places["properties"] = {k: v for k, v in properties.items() if k in FIELDS}
    return places


PLACE_NAMES = {"sheet": "trang ẩn", "names": "tên định nghĩa", "properties": "thuộc tính tệp"}


def read_identity(book: SourceWorkbook, file: str) -> tuple[dict[str, str] | None, list[Problem]]:
    places = _places(book)
    if len(places) < 2:
        return None, [problem("identity-missing", file=file, name=file.rsplit("/", 1)[-1])]
    agreed: dict[str, str] = {}
    for name in FIELDS:
        values = {place: data[name] for place, data in places.items() if name in data}
        if len(set(values.values())) > 1:
            shown = ", ".join(f"'{v}' ({PLACE_NAMES[p]})" for p, v in values.items())
            return None, [problem("identity-mismatch", file=file, field=name, values=shown)]
        if values:
            agreed[name] = next(iter(values.values()))
    missing = [name for name in FIELDS if name not in agreed]
    if missing:
        return None, [problem("identity-missing", file=file, name=file.rsplit("/", 1)[-1])]
    return agreed, []


def inspect_workbook(book: SourceWorkbook, view: CampaignView, file: str, assigned_unit: str | None = None
                     ) -> Inspection:
    result = Inspection(file)
    problems = result.problems
    if book.has_macros:
        problems.append(problem("macro-present", file=file))
        return result
    if F.SHEET not in book.sheets:
        problems.append(problem("sheet-missing", file=file, sheet=F.SHEET, found=", ".join(book.sheets) or "-"))
        return result

    identity, identity_problems = read_identity(book, file)
    version = F.FORM_VERSION
    if assigned_unit is not None:
        if assigned_unit not in view.units:
            problems.append(problem("unit-unknown", file=file, code=assigned_unit))
            return result
        result.unit, result.assigned = view.units[assigned_unit], True
        problems.append(problem("unit-assigned", file=file, unit=assigned_unit))
        version = _assigned_version(book, view, result.unit, identity)
    else:
        if identity is None:
            problems.extend(identity_problems)
            return result
        if identity["format"] not in F.FORM_VERSIONS:
            problems.append(problem("form-version-unknown", file=file, found=identity["format"],
                                    known=", ".join(F.FORM_VERSIONS)))
            return result
        version = identity["format"]
        if not _identity_is_ours(identity, view, file, problems):
            return result
        unit = view.units.get(identity["unit"])
        if unit is None:
            problems.append(problem("unit-unknown", file=file, code=identity["unit"]))
            return result
        _, locked = view.layout(unit, version)
        bare = Identity(**{k: identity[k] for k in ("plan", "plan_version", "campaign", "unit", "period", "digest",
                                                     "format")})
        if not verify(view.secret, bare, locked):
            problems.append(problem("digest-invalid", file=file, unit=unit.code))
            return result
        result.unit = unit
    result.identity = identity

    unit = result.unit
    assert unit is not None
    result.version = version
    layout, _ = view.layout(unit, version)
    cells, formulas = book.cells(F.SHEET, view.form_cells(unit, version))
    if not _locked_content_intact(cells, layout, unit, file, problems):
        return result
    inputs = [cell for block in layout.blocks for cell in block.inputs.values()]
    if not formulas.intersection(inputs) and all(_text(cells.get(cell, "")) == "" for cell in inputs):
        result.unfilled = True
        return result
    for block in layout.blocks:
        result.values.append(_read_block(cells, block, formulas, file, problems, view.numbers[block.indicator.id]))
    # what the unit typed, for the feedback copy it gets back when its return is rejected or returned to it
    for block in layout.blocks:
        for row, col in block.inputs.values():
            raw = cells.get((row, col), "")
            if raw not in (None, ""):
                result.raw_inputs[cell_name(row, col)] = clean_input(raw)
    return result


def _assigned_version(book: SourceWorkbook, view: CampaignView, unit: Unit, identity: dict[str, str] | None) -> str:
    """The form version of a workbook an operator assigned to ``unit`` (its identity may be missing or
    broken): the one its identity states, else the one whose indicator names stand where the sheet has them."""
    if identity is not None and identity.get("format") in F.FORM_VERSIONS:
        return identity["format"]
    # one read of every version's cells (a sheet read whole is read once, for the cells first asked for)
    cells, _ = book.cells(F.SHEET, CellSet({cell for version in F.FORM_VERSIONS
                                             for cell in view.form_cells(unit, version).cells}))
    for version in reversed(F.FORM_VERSIONS):
        layout, _ = view.layout(unit, version)
        if layout.blocks and all(_text(cells.get((b.first_row, F.COL_NAME), "")) == b.indicator.name
                                 for b in layout.blocks):
            return version
    return F.FORM_VERSION


def clean_input(raw: Any) -> float | str:
    """A typed value as the ledger keeps it: a finite number, or text (a date as dd/mm/yyyy, NaN as "NaN")."""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, PercentValue):  # "95%" as typed, so a feedback copy shows what the clerk typed
        return raw.shown
    if isinstance(raw, (int, float)):
        return float(raw) if math.isfinite(raw) else str(raw)
    if isinstance(raw, datetime):
        return raw.strftime("%d/%m/%Y %H:%M") if (raw.hour, raw.minute) != (0, 0) else raw.strftime("%d/%m/%Y")
    if isinstance(raw, date):
        return raw.strftime("%d/%m/%Y")
    return str(raw)[:MAX_TEXT]


def _identity_is_ours(identity: dict[str, str], view: CampaignView, file: str, problems: list[Problem]) -> bool:
    if identity["campaign"] != view.campaign_id:
        problems.append(problem("wrong-campaign", file=file, found=identity["campaign"], expected=view.campaign_id))
        return False
    if identity["plan"] != view.plan.id or identity["plan_version"] != view.plan.version:
        problems.append(problem("wrong-plan", file=file, found=identity["plan"], found_version=identity["plan_version"],
                                expected=view.plan.id, expected_version=view.plan.version))
        return False
    if identity["period"] != view.period:
        problems.append(problem("wrong-period", file=file, found=identity["period"], expected=view.period))
        return False
    return True


def _locked_content_intact(cells: dict[tuple[int, int], Any], layout: FormLayout, unit: Unit, file: str,
                           problems: list[Problem]) -> bool:
    def differs(row: int, col: int, expected: str) -> str | None:
        raw = cells.get((row, col), "")
        if raw == expected:  # the usual case: untouched
            return None
        found = _text(raw)
        return found if " ".join(found.split()) != " ".join(expected.split()) else None

    unit_line = f"Đơn vị báo cáo: {unit.name} (mã: {unit.code})"
    found = differs(F.UNIT_ROW, 0, unit_line)
    if found is not None:
        problems.append(problem("locked-cell-changed", file=file, sheet=F.SHEET, cell="A4", expected=unit_line,
                                found=found, what="tên đơn vị báo cáo", what_en="reporting unit"))
    for item in layout.items:
        if isinstance(item, F.SectionRow):
            continue
        block = item
        for col, expected in ((F.COL_NUMBER, block.indicator.number), (F.COL_NAME, block.indicator.name)):
            found = differs(block.first_row, col, expected)
            if found is not None:
                problems.append(problem("rows-changed", file=file, sheet=F.SHEET, cell=cell_name(block.first_row, col),
                                        expected=expected, found=found))
                return False  # rows moved: every later cell would be misread
        found = differs(block.first_row, F.COL_TARGET, block.target_text)
        if found is not None:
            problems.append(problem("target-tampered", file=file, sheet=F.SHEET,
                                    cell=cell_name(block.first_row, F.COL_TARGET),
                                    number=layout.plan.full_number(block.indicator.id),
                                    expected=block.target_text, found=found))
    return not any(p.code == "locked-cell-changed" for p in problems)


_TEXT_INPUTS = ((F.EXPLANATION, MAX_EXPLANATION, "explanation"), (F.EVIDENCE, MAX_EVIDENCE, "evidence"))


def _read_block(cells: dict[tuple[int, int], Any], block: Block, formulas: set[tuple[int, int]], file: str,
                problems: list[Problem], number: str) -> IndicatorValue:
    """The block's values, checked; ``number`` is the indicator's number as messages show it ("I.1")."""
    indicator = block.indicator
    kind = indicator.measure.kind
    value = IndicatorValue(indicator.id)

    def report(code: str, role: str, **context: Any) -> None:
        row, col = block.inputs[role]
        problems.append(problem(code, file=file, sheet=F.SHEET, cell=cell_name(row, col), number=number, **context))

    def formula_free(role: str) -> bool:
        """Whether the input holds something typed: not a formula, not an error value (#DIV/0!)."""
        if block.inputs[role] in formulas:
            report("formula-in-input", role)
            return False
        raw = cells.get(block.inputs[role], "")
        if isinstance(raw, ErrorValue):
            report("error-in-input", role, value=str(raw))
            return False
        return True

    def whole(role: str, what: str, what_en: str) -> float | None:
        where = block.inputs[role]
        raw = cells.get(where, "")
        if type(raw) is float and 0 <= raw <= MAX_VALUE and raw.is_integer() and where not in formulas:
            return raw  # the usual input: a whole number, typed
        if not formula_free(role):
            return None
        if isinstance(raw, (datetime, date)):
            report("date-in-number", role, value=raw.strftime("%d/%m/%Y"))
            return None
        reading = read_number(raw)
        if reading.problem:
            report(reading.problem, role, value=_text(raw))
            return None
        if reading.value is None:
            report("value-missing", role, what=what, what_en=what_en)
            return None
        found = reading.value
        if found < 0:
            report("negative-number", role, value=format_number(found), what=what, what_en=what_en)
            return None
        if not found.is_integer():
            report("not-whole-number", role, value=format_number(found), what=what, what_en=what_en)
            return None
        if found > MAX_VALUE:
            report("number-too-large", role, value=format_number(found), limit=format_number(MAX_VALUE))
            return None
        return found

    if kind == "rate":
        letters = block.indicator.measure
        a = whole(F.NUMERATOR, f"tử số {letters.a}", f"the numerator {letters.a}")
        b = whole(F.DENOMINATOR, f"mẫu số {letters.b}", f"the denominator {letters.b}")
        value.numerator, value.denominator = a, b
        if a is not None and b is not None:
            if a > b:
                report("numerator-exceeds-denominator", F.NUMERATOR, numerator=format_number(a),
                       denominator=format_number(b), a=letters.a, b=letters.b)
            elif b == 0:
                value.status = NOT_ARISEN
            else:
                value.value = 100 * a / b
    elif kind == "count":
        value.value = whole(F.VALUE, "số lượng", "the count")
    elif kind == "percent":
        if formula_free(F.VALUE):
            raw = cells.get(block.inputs[F.VALUE], "")
            reading = read_number(raw, percent=True)
            if isinstance(raw, (datetime, date)):
                report("date-in-number", F.VALUE, value=raw.strftime("%d/%m/%Y"))
            elif reading.problem:
                report(reading.problem, F.VALUE, value=_text(raw))
            elif reading.value is None:
                report("value-missing", F.VALUE, what="tỷ lệ", what_en="the percentage")
            elif not 0 <= reading.value <= 100:
                report("value-out-of-range", F.VALUE, value=format_number(reading.value))
            else:
                value.value = reading.value
    elif kind == "yesno":
        if formula_free(F.VALUE):
            answer = _text(cells.get(block.inputs[F.VALUE], ""))
            if not answer:
                report("value-missing", F.VALUE, what="câu trả lời Có/Không", what_en="the Có/Không answer")
            elif fold(answer) not in (fold(YES), fold(NO)):
                report("invalid-choice", F.VALUE, value=answer)
            else:
                value.text = YES if fold(answer) == fold(YES) else NO
                value.value = 100.0 if value.text == YES else 0.0
    else:
        if formula_free(F.VALUE):
            content = _text(cells.get(block.inputs[F.VALUE], ""))
            if not content:
                report("value-missing", F.VALUE, what="nội dung", what_en="the content")
            elif len(content) > MAX_TEXT:
                report("text-too-long", F.VALUE, length=len(content), limit=MAX_TEXT)
            else:
                value.text = content

    for role, limit, attribute in _TEXT_INPUTS:
        raw = cells.get(block.inputs[role], "")
        if raw == "" and block.inputs[role] not in formulas:
            continue  # left empty
        if not formula_free(role):  # a formula's cached text is no answer: the unit must type it
            continue
        content = _text(raw)  # text stays text: never evaluated as a formula
        if len(content) > limit:
            report("text-too-long", role, length=len(content), limit=limit)
        setattr(value, attribute, content)

    if value.value is not None and value.status != NOT_ARISEN:
        value.status = judge(block.rule, value.value)
        if value.status == NOT_MET and not value.explanation:
            report("explanation-missing", F.EXPLANATION, column=block.inputs[F.EXPLANATION][1] + 1,
                   result=format_number(round(value.value, 2)),
                   target=f"{OP_SYMBOL[block.rule.op]} {format_number(block.rule.value)}" if block.rule else "")
    return value


def judge(rule: Rule | None, value: float) -> str:
    if rule is None:
        return NOT_JUDGED
    return MET if rule.met(round(value, 6)) else NOT_MET
