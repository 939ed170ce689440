"""Plans: an official appendix as a data file.

A plan file (YAML, documented in ``docs/plan-format.md``) declares the document around the appendix,
the table's columns and header groups, optional sections, the reporting levels, and the indicators
with their targets, measurement and roll-up.  :func:`check_plan` validates a file whole and returns a
:class:`~xlkpi.problems.Report` with every problem located by key path and line; :func:`load_plan`
returns a :class:`Plan` or raises :class:`~xlkpi.problems.XlkpiError`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from xlkpi.problems import Problem, Report, XlkpiError, problem
from xlkpi.plan.targets import Rule, contradiction, floor_in_text, format_number, read_target_text, rule_from_text
from xlkpi.common.text import decode_edited, fold
from xlkpi.plan.yamlfile import LocatedData, Path as KeyPath, format_path, load_yaml

FORMAT_VERSION = 1

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
#: a name a person reads (an indicator's, a level's): never empty or only spaces
Text = Annotated[str, Field(min_length=1, pattern=r"\S")]
#: a plan's year: the reform plans run from the 2000s on; a year past 2100 is a typing mistake (1e400, 20255)
Year = Annotated[int, Field(ge=2000, le=2100)]

MeasureKind = Literal["rate", "percent", "count", "yesno", "text"]
Rollup = Literal["ratio", "sum", "mean", "min", "max", "share-yes", "none"]
ColumnShows = Literal[
    "number",
    "name",
    "target",
    "unit",
    "implementing",
    "coordinating",
    "monitoring",
    "timeframe",
    "evidence",
    "basis",
    "note",
    "text",
    "result",
    "units-met",
    "judgement",
]

#: The roll-ups each measurement allows; the first is the default.
ROLLUPS: dict[str, tuple[str, ...]] = {
    "rate": ("ratio",),
    "percent": ("mean", "min", "max"),
    "count": ("sum", "mean", "min", "max"),
    "yesno": ("share-yes",),
    "text": ("none",),
}
#: The labels each measurement needs in its ``measure`` block.
MEASURE_NEEDS: dict[str, tuple[str, ...]] = {"rate": ("numerator", "denominator"), "yesno": ("question",)}
#: Columns whose content depends on a target year.
YEAR_COLUMNS = {"target", "timeframe"}
#: Columns filled with results on consolidation (blank in the plan itself).
RESULT_COLUMNS = {"result", "units-met", "judgement"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Strict):
    """A level of reporting unit, e.g. ``xa`` "UBND cấp xã"."""

    id: Id
    name: Text
    #: Phrases in an implementing-agency text that mean this level ("UBND cấp xã").
    aliases: list[str] = []


class Appendix(_Strict):
    heading: str = "Phụ lục"
    number: str = ""
    title: list[str] = Field(min_length=1)
    attached: str = ""
    #: the "(1) (2) (3) …" row under the header, as many appendices print it
    column_numbers: bool = True
    #: the line under the title saying which period's results the table holds (and their basis)
    results_line: bool = True


class Signer(_Strict):
    on_behalf: str = "TM. ỦY BAN NHÂN DÂN"
    title: str = "CHỦ TỊCH"
    name: str = ""


class Document(_Strict):
    superior: str = ""
    issuer: str
    kind: str
    number: str = ""
    place: str = ""
    date: str = ""
    appendix: Appendix
    signer: Signer = Signer()
    recipients: list[str] = []


class Column(_Strict):
    key: Id
    header: str
    group: str | None = None
    shows: ColumnShows
    year: int | None = None
    width: float | None = Field(default=None, gt=0, le=255)
    #: the same text in consecutive rows printed once, in a cell merged down them, as the document prints an
    #: agency responsible for several indicators
    merged: bool = False


class RuleSpec(_Strict):
    op: Literal[">=", ">", "<=", "<", "=", "≥", "≤"]
    value: float
    floor: float | None = None
    #: where the row prints the floor when the target cell does not: "(Lưu ý: tỷ lệ b/a phải đạt tối
    #: thiểu 95%)" in the indicator's name or note; checked against that text
    floor_in: Literal["name", "note", "basis", "evidence"] | None = None

    def to_rule(self) -> Rule:
        op = {"≥": ">=", "≤": "<="}.get(self.op, self.op)
        return Rule(op, self.value, self.floor)  # type: ignore[arg-type]


class Target(_Strict):
    """A target as printed (``text``) and the rule that judges it.

    ``rule`` left out: derived from the text.  ``rule: null``: explicitly no numeric rule.
    """

    text: str | None = None
    rule: RuleSpec | None = None

    @model_validator(mode="after")
    def _text_and_rule_agree(self) -> Target:
        if self.text is None:
            raise PydanticCustomError("missing-target-text", "missing target text")
        if self.rule is not None:
            rule = self.rule.to_rule()
            for vi, en in rule.problems():
                raise PydanticCustomError("rule-invalid", "invalid rule", {"detail": vi, "detail_en": en})
            details = contradiction(rule, self.text, floor_elsewhere=self.rule.floor_in is not None)
            if details:
                raise PydanticCustomError(
                    "rule-contradicts-text",
                    "rule contradicts text",
                    {"rule": str(rule), "text": self.text, "detail": details[0], "detail_en": details[1]},
                )
        return self

    @property
    def effective_rule(self) -> Rule | None:
        if "rule" in self.model_fields_set:
            return self.rule.to_rule() if self.rule is not None else None
        return rule_from_text(self.text or "")


class YearTarget(Target):
    by_level: dict[str, Target] = {}
    by_unit: dict[str, Target] = {}

    def for_unit(self, level: str, unit_code: str | None = None) -> Target:
        """The target that applies to one unit: its own, else its level's, else the general one."""
        if unit_code is not None and unit_code in self.by_unit:
            return self.by_unit[unit_code]
        return self.by_level.get(level, self)


class Measure(_Strict):
    kind: MeasureKind
    numerator: str | None = None
    denominator: str | None = None
    #: For a yes/no indicator: the question each unit answers "Có" or "Không".
    question: str | None = None
    #: The letters the plan gives a rate's inputs ("tỷ lệ b/a, trong đó a là tổng số hồ sơ": numerator b,
    #: denominator a) and whether the denominator is asked first; the form, the feedback and the reports
    #: use them the same way.
    numerator_letter: Annotated[str, Field(pattern=r"^[a-zđ0-9]{1,3}$")] = "a"
    denominator_letter: Annotated[str, Field(pattern=r"^[a-zđ0-9]{1,3}$")] = "b"
    denominator_first: bool = False

    @model_validator(mode="after")
    def _letters_differ(self) -> Measure:
        if self.numerator_letter == self.denominator_letter:
            raise PydanticCustomError("letters-same", "numerator and denominator letters are the same",
                                      {"letter": self.numerator_letter})
        return self

    @property
    def a(self) -> str:
        """The numerator's letter in parentheses, as labels print it: "(a)"."""
        return f"({self.numerator_letter})"

    @property
    def b(self) -> str:
        return f"({self.denominator_letter})"


class Indicator(_Strict):
    id: Id
    number: str
    name: Text
    unit: str = "%"
    measure: Measure
    rollup: Rollup | None = None
    levels: list[str]
    targets: dict[int, YearTarget]
    implementing: str = ""
    #: the coordinating agencies ("Cơ quan, đơn vị phối hợp")
    coordinating: str = ""
    monitoring: str = ""
    timeframe: str | dict[int, str] = ""
    evidence: str = ""
    basis: str = ""
    note: str = ""
    #: passages of the name or note the appendix prints in italics ("(Tỷ lệ = a/b x 100%)"), printed so
    emphasis: list[str] = []
    #: what the indicator prints in the plan's other columns (``shows: text``), by column key
    texts: dict[str, str] = {}

    @property
    def effective_rollup(self) -> str:
        return self.rollup or ROLLUPS[self.measure.kind][0]

    def printed(self, column: Column) -> str | None:
        """What the official appendix prints in ``column`` for this indicator (None for result columns)."""
        shows = column.shows
        if shows == "target":
            target = self.targets.get(column.year) if column.year is not None else None
            return target.text or "" if target else ""
        if shows == "timeframe":
            return self.timeframe_for(column.year)
        if shows in RESULT_COLUMNS:
            return None
        if shows == "text":
            return self.texts.get(column.key, "")
        return {
            "number": self.number,
            "name": self.name,
            "unit": self.unit,
            "implementing": self.implementing,
            "coordinating": self.coordinating,
            "monitoring": self.monitoring,
            "evidence": self.evidence,
            "basis": self.basis,
            "note": self.note,
        }[shows]

    def segments(self, text: str) -> list[tuple[str, bool]]:
        """``text`` (the name or the note) cut into (piece, italic) by the indicator's emphasis."""
        return emphasised(text, self.emphasis)

    def timeframe_for(self, year: int | None) -> str:
        if isinstance(self.timeframe, str):
            return self.timeframe
        return self.timeframe.get(year, "") if year is not None else ""


def header_groups(columns: list[Column]) -> list[tuple[int, int, str | None]]:
    """The header's runs of columns: (first, last, group) for consecutive columns under one group label,
    (i, i, None) for a column of its own (its header over both header rows)."""
    runs: list[tuple[int, int, str | None]] = []
    for index, column in enumerate(columns):
        if column.group and runs and runs[-1][2] == column.group and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index, column.group)
        else:
            runs.append((index, index, column.group or None))
    return runs


def emphasised(text: str, passages: list[str]) -> list[tuple[str, bool]]:
    """``text`` as (piece, italic) pieces: every occurrence of a passage italic, the rest plain."""
    marks = [False] * len(text)
    for passage in passages:
        if not passage:
            continue
        start = text.find(passage)
        while start >= 0:
            marks[start:start + len(passage)] = [True] * len(passage)
            start = text.find(passage, start + len(passage))
    pieces: list[tuple[str, bool]] = []
    for char, italic in zip(text, marks):
        if pieces and pieces[-1][1] == italic:
            pieces[-1] = (pieces[-1][0] + char, italic)
        else:
            pieces.append((char, italic))
    return pieces


class Section(_Strict):
    number: str
    title: str
    #: ``row``: a title row inside the table (Cam Hiệp); ``heading``: a heading above its own table (Phú Thọ).
    layout: Literal["row", "heading"] = "row"
    indicators: list[Indicator] = Field(min_length=1)


class Plan(_Strict):
    format: int
    id: Id
    version: str
    title: str
    description: str = ""
    source: str = ""
    period_convention: Literal["reporting-rule", "calendar"] = "reporting-rule"
    years: list[Year] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    document: Document
    columns: list[Column] = Field(min_length=1)
    indicators: list[Indicator] = []
    sections: list[Section] = []

    _path: Path | None = PrivateAttr(default=None)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise PydanticCustomError("unsupported-format", "unsupported plan format version")
        return value

    @property
    def path(self) -> Path | None:
        return self._path

    def iter_indicators(self) -> Iterator[tuple[Section | None, Indicator]]:
        if self.sections:
            for section in self.sections:
                for indicator in section.indicators:
                    yield section, indicator
        else:
            for indicator in self.indicators:
                yield None, indicator

    @property
    def all_indicators(self) -> list[Indicator]:
        return [indicator for _, indicator in self.iter_indicators()]

    def full_number(self, indicator_id: str) -> str:
        """The indicator's number as a reader can find it: with its section's ("I.1") when the plan has
        sections (their numbering may restart, so "1" alone would be ambiguous), else as printed."""
        for section, item in self.iter_indicators():
            if item.id == indicator_id:
                number = item.number.strip().rstrip(".")
                if section is not None and section.number.strip():
                    return f"{section.number.strip().rstrip('.')}.{number}" if number else section.number.strip()
                return number
        raise KeyError(indicator_id)

    def indicator(self, indicator_id: str) -> Indicator:
        for item in self.all_indicators:
            if item.id == indicator_id:
                return item
        raise KeyError(indicator_id)

    @property
    def level_ids(self) -> list[str]:
        return [level.id for level in self.levels]

    def level(self, level_id: str) -> Level:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)

    def indicators_for_level(self, level_id: str) -> list[Indicator]:
        return [item for item in self.all_indicators if level_id in item.levels]

    @property
    def reporting_levels(self) -> list[str]:
        """Levels that report at least one indicator, in the plan's order."""
        used = {level for item in self.all_indicators for level in item.levels}
        return [level for level in self.level_ids if level in used]


# -- loading and checking ------------------------------------------------------------------------------


def read_plan_file(path: str | Path) -> tuple[Plan | None, Report]:
    """Read and validate a plan file; return the plan (None when invalid) and the report."""
    from xlkpi.plan.workbook import LocatedCells, is_plan_workbook, read_plan_workbook

    path = Path(path)
    file = str(path)
    report = Report(stats={"file": file})
    try:
        if is_plan_workbook(path):
            located: LocatedData = read_plan_workbook(path.read_bytes(), file)
        else:
            located = load_yaml(decode_edited(path.read_bytes())[0], file)
    except FileNotFoundError:
        report.problems.append(problem("file-not-found", file=file))
        return None, report
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(problem("file-unreadable", file=file, detail=str(exc)))
        return None, report
    report.extend(located.problems)
    if any(p.code in ("yaml-syntax", "yaml-too-large", "yaml-too-deep", "yaml-expansion") or
           p.code.startswith("plan-workbook-") for p in located.problems):
        return None, report
    if not isinstance(located.data, dict):
        report.problems.append(problem("yaml-not-mapping", file=file, line=1))
        return None, report

    # Top-level keys starting with "x-" hold YAML anchors for reuse (&name / *name); they are not plan data.
    located.data = {k: v for k, v in located.data.items() if not str(k).startswith("x-")}
    plan: Plan | None = None
    found: list[Problem] = []
    try:
        plan = Plan.model_validate(located.data)
    except ValidationError as exc:
        found.extend(structure_problems(exc, located, file))
    found.extend(_meaning_problems(located, file))
    report.extend(located.locate(found) if isinstance(located, LocatedCells) else found)
    if plan is not None and report.valid:
        plan._path = path
        report.stats.update(
            plan=plan.id,
            version=plan.version,
            indicators=len(plan.all_indicators),
            columns=len(plan.columns),
            sections=len(plan.sections),
        )
        return plan, report
    return None, report


def check_plan(path: str | Path) -> Report:
    return read_plan_file(path)[1]


def load_plan(name_or_path: str | Path) -> Plan:
    """Load a plan by built-in id (``lai-chau-2025``) or by file path; raise XlkpiError when invalid."""
    from xlkpi.plan.builtin import resolve_plan

    plan, report = read_plan_file(resolve_plan(name_or_path))
    if plan is None:
        raise XlkpiError(report.errors)
    return plan


# -- structure problems (pydantic) ---------------------------------------------------------------------

_EXPECTED = {
    "string_type": ("một chuỗi văn bản", "a text"),
    "int_parsing": ("một số nguyên", "a whole number"),
    "int_type": ("một số nguyên", "a whole number"),
    "int_from_float": ("một số nguyên", "a whole number"),
    "float_parsing": ("một số", "a number"),
    "float_type": ("một số", "a number"),
    "bool_parsing": ("có/không (true/false)", "true or false"),
    "bool_type": ("có/không (true/false)", "true or false"),
    "list_type": ("một danh sách (các dòng bắt đầu bằng \"- \")", "a list (lines starting with \"- \")"),
    "dict_type": ("một khối khóa: giá trị", "a mapping (key: value)"),
    "model_type": ("một khối khóa: giá trị", "a mapping (key: value)"),
    "model_attributes_type": ("một khối khóa: giá trị", "a mapping (key: value)"),
}


def _show(value: Any) -> str:
    if value is None:
        return "(trống)"
    if isinstance(value, (dict, list)):
        return "(khối)" if isinstance(value, dict) else "(danh sách)"
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _data_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """Keep the parts of a pydantic location that exist in the data (drop union and '[key]' tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and str(part) in node:
            path.append(str(part))
            node = node[str(part)]
        elif isinstance(node, dict) and part not in ("[key]",) and not _is_tag(part):
            path.append(str(part))  # a missing or unknown key: name it
            node = None
    return tuple(path)


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "none"})


def _model_at(path: KeyPath, root: type[BaseModel]) -> type[BaseModel] | None:
    """The model class that a data path points into (for listing the allowed keys)."""
    current: Any = root
    for part in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not isinstance(part, str) or part not in current.model_fields:
                return current if part == path[-1] else None
            current = current.model_fields[part].annotation
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
        others = [a for a in typing.get_args(annotation) if a is not type(None)]
        return models[0] if models else (others[0] if len(others) == 1 else annotation)
    return annotation


def structure_problems(
    exc: ValidationError, located: LocatedData, file: str, root: type[BaseModel] | None = None
) -> list[Problem]:
    """Pydantic's errors for a YAML file as located problems (key path, line, Vietnamese and English)."""
    root = root or Plan
    found: list[Problem] = []
    for error in exc.errors():
        kind = error["type"]
        path = _data_path(error["loc"], located.data)
        where = {"file": file, "path": format_path(path), "line": located.line_of(path)}
        ctx = dict(error.get("ctx") or {})
        value = _show(error.get("input"))
        if kind == "extra_forbidden":
            model = _model_at(path[:-1], root) if path else None
            allowed = ", ".join(model.model_fields) if model else "-"
            found.append(problem("unknown-key", key=path[-1] if path else "?", allowed=allowed, **where))
        elif kind == "missing":
            found.append(problem("missing-key", key=path[-1] if path else "?", **where))
        elif kind in _EXPECTED:
            vi, en = _EXPECTED[kind]
            found.append(problem("wrong-type", value=value, expected=vi, expected_en=en, **where))
        elif kind in ("missing-target-text",):
            year = next((part for part in reversed(path) if isinstance(part, str) and part.isdigit()), "?")
            found.append(problem("missing-target-text", year=year, **where))
        elif kind in ("rule-contradicts-text", "rule-invalid"):
            rule_path = path + ("rule",)
            where.update(path=format_path(rule_path), line=located.line_of(rule_path))
            found.append(problem(kind, **ctx, **where))
        else:
            vi, en = _detail(kind, ctx, error["msg"])
            found.append(problem("invalid-value", value=value, detail=vi, detail_en=en, **where))
    return found


def _detail(kind: str, ctx: dict[str, Any], english: str) -> tuple[str, str]:
    """A (Vietnamese, English) explanation of a pydantic value error."""
    if kind == "literal_error":
        expected = str(ctx.get("expected"))
        return f"chỉ nhận một trong: {expected.replace(' or ', ' hoặc ')}", f"expected one of: {expected}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == r"\S":
        return "không được để trống", "must not be empty"
    if kind == "string_pattern_mismatch" and str(ctx.get("pattern", "")).startswith("^[^\\x00"):
        return ("phải viết trên một dòng, không có ký tự điều khiển (xuống dòng, tab)",
                "must be one line, without control characters (line breaks, tabs)")
    if kind == "string_pattern_mismatch":
        return (
            "mã chỉ gồm chữ thường không dấu, chữ số, '-' và '_' (ví dụ: ty-le-ho-so-truc-tuyen)",
            "an id has only lower-case ASCII letters, digits, '-' and '_' (e.g. ty-le-ho-so-truc-tuyen)",
        )
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"cần ít nhất {n} phần tử", f"at least {n} item(s) needed"
    if kind == "string_too_short":
        return "không được để trống", "must not be empty"
    if kind == "string_too_long":
        n = ctx.get("max_length")
        return f"dài quá {n} ký tự", f"longer than {n} characters"
    if kind in ("greater_than", "greater_than_equal"):
        n = ctx.get("gt", ctx.get("ge"))
        return f"phải lớn hơn {n}", f"must be greater than {n}"
    if kind in ("less_than", "less_than_equal"):
        n = ctx.get("lt", ctx.get("le"))
        return f"không được lớn hơn {n}", f"must not be greater than {n}"
    if kind.startswith(("date_", "datetime_")):
        return ("phải là một ngày có thật, viết ngày/tháng/năm (ví dụ 20/10/2025)",
                "must be a real date, written day/month/year (e.g. 20/10/2025)")
    if kind == "unsupported-format":
        return (
            f"phiên bản định dạng kế hoạch này là {FORMAT_VERSION}",
            f"this plan format version is {FORMAT_VERSION}",
        )
    return english, english


# -- meaning problems (whole-plan checks on the raw data) ---------------------------------------------


def _targets_within(target: Any) -> Iterator[tuple[KeyPath, Any]]:
    """A year's target and its own targets per level and unit, with their paths inside the year."""
    yield (), target
    if isinstance(target, dict):
        for group in ("by_level", "by_unit"):
            entries = target.get(group)
            if isinstance(entries, dict):
                for who, own in entries.items():
                    yield (group, who), own


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _meaning_problems(located: LocatedData, file: str) -> Iterator[Problem]:
    data: dict[str, Any] = located.data

    def at(code: str, path: KeyPath, **context: Any) -> Problem:
        return problem(code, file=file, path=format_path(path), line=located.line_of(path), **context)

    years = [y for y in (_as_int(v) for v in data.get("years") or []) if y is not None] if isinstance(
        data.get("years"), list
    ) else []
    years_text = ", ".join(map(str, years)) or "-"

    # levels
    level_ids: dict[str, KeyPath] = {}
    level_aliases: dict[str, list[str]] = {}
    for i, level in _dicts(data.get("levels")):
        level_id = level.get("id")
        if not isinstance(level_id, str):
            continue
        if level_id in level_ids:
            yield at("duplicate-id", ("levels", i, "id"), id=level_id, first=format_path(level_ids[level_id]),
                     what="cấp", what_en="level")
        else:
            level_ids[level_id] = ("levels", i, "id")
            aliases = level.get("aliases")
            level_aliases[level_id] = [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else []
    known_levels = ", ".join(level_ids) or "-"

    # columns
    column_keys: dict[str, KeyPath] = {}
    shown: set[str] = set()
    for i, column in _dicts(data.get("columns")):
        key = column.get("key")
        if isinstance(key, str):
            if key in column_keys:
                yield at("duplicate-id", ("columns", i, "key"), id=key, first=format_path(column_keys[key]),
                         what="cột", what_en="column")
            else:
                column_keys[key] = ("columns", i, "key")
        shows = column.get("shows")
        if isinstance(shows, str):
            shown.add(shows)
        if shows in YEAR_COLUMNS and column.get("year") is None:
            yield at("column-needs-year", ("columns", i), key=key, shows=shows)
        elif shows not in YEAR_COLUMNS and column.get("year") is not None and isinstance(shows, str):
            yield at("column-year-unused", ("columns", i, "year"), key=key, shows=shows)
        year = _as_int(column.get("year"))
        if year is not None and years and year not in years:
            yield at("unknown-year", ("columns", i, "year"), year=year, years=years_text)
    if isinstance(data.get("columns"), list) and "name" not in shown:
        yield at("missing-column", ("columns",), shows="name")

    # indicators, flat or in sections
    has_flat = bool(data.get("indicators"))
    has_sections = bool(data.get("sections"))
    if has_flat and has_sections:
        yield at("indicators-and-sections", ("sections",))
    indicator_places: list[tuple[KeyPath, dict[str, Any]]] = []
    if has_flat:
        indicator_places += [(("indicators", i), item) for i, item in _dicts(data.get("indicators"))]
    for s, section in _dicts(data.get("sections")):
        indicator_places += [
            (("sections", s, "indicators", i), item) for i, item in _dicts(section.get("indicators"))
        ]
    if not has_flat and not has_sections:
        yield at("no-indicators", ())

    indicator_ids: dict[str, KeyPath] = {}
    text_columns = {str(c.get("key")) for _, c in _dicts(data.get("columns")) if c.get("shows") == "text"}
    for place, indicator in indicator_places:
        yield from _indicator_meaning(
            place, indicator, at, years, years_text, level_ids, level_aliases, known_levels, indicator_ids
        )
        texts = indicator.get("texts")
        if isinstance(texts, dict):
            for key in texts:
                if str(key) not in text_columns:
                    yield at("texts-unknown-column", place + ("texts", key), key=key,
                             known=", ".join(sorted(text_columns)) or "-")


#: the mark 'plan import' leaves in a numerator or denominator it could not read from the appendix
PLACEHOLDER = "cần xem lại"


def _indicator_meaning(
    place: KeyPath,
    indicator: dict[str, Any],
    at: Any,
    years: list[int],
    years_text: str,
    level_ids: dict[str, KeyPath],
    level_aliases: dict[str, list[str]],
    known_levels: str,
    indicator_ids: dict[str, KeyPath],
) -> Iterator[Problem]:
    indicator_id = indicator.get("id")
    label = indicator_id if isinstance(indicator_id, str) else format_path(place)
    # as the owner knows it: its number and the start of its name
    number, name = indicator.get("number"), indicator.get("name")
    shown = " ".join(str(part) for part in (number, f"\"{str(name)[:50]}\"" if name else None) if part) or label
    if isinstance(indicator_id, str):
        if indicator_id in indicator_ids:
            yield at("duplicate-id", place + ("id",), id=indicator_id, first=format_path(indicator_ids[indicator_id]),
                     what="chỉ tiêu", what_en="indicator")
        else:
            indicator_ids[indicator_id] = place + ("id",)

    # levels
    levels = indicator.get("levels")
    given: list[str] = []
    if isinstance(levels, list):
        if not levels:
            yield at("no-reporting-level", place + ("levels",))
        for j, level in enumerate(levels):
            if isinstance(level, str):
                given.append(level)
                if level_ids and level not in level_ids:
                    yield at("unknown-level", place + ("levels", j), level=level, known=known_levels)
    agency = indicator.get("implementing")
    if isinstance(agency, str) and agency.strip() and given:
        folded = fold(agency)
        mentioned = [lid for lid, aliases in level_aliases.items() if any(fold(a) in folded for a in aliases)]
        if mentioned and set(mentioned) != set(given) and all(level_aliases.get(g) for g in given):
            yield at("levels-disagree-with-agency", place + ("levels",), agency=agency,
                     mentioned=", ".join(mentioned), levels=", ".join(given))

    # targets
    targets = indicator.get("targets")
    if isinstance(targets, dict):
        for key, target in targets.items():
            year = _as_int(key)
            if year is not None and years and year not in years:
                yield at("unknown-year", place + ("targets", key), year=year, years=years_text)
            if isinstance(target, dict):
                for override_kind in ("by_level",):
                    overrides = target.get(override_kind)
                    if isinstance(overrides, dict):
                        for level in overrides:
                            if level_ids and level not in level_ids:
                                yield at("unknown-level", place + ("targets", key, override_kind, level),
                                         level=level, known=known_levels)
        present = {_as_int(k) for k in targets}
        for year in years:
            if year not in present:
                yield at("missing-target", place + ("targets",), indicator=label, year=year, years=years_text)
    timeframe = indicator.get("timeframe")
    if isinstance(timeframe, dict):
        for key in timeframe:
            year = _as_int(key)
            if year is not None and years and year not in years:
                yield at("unknown-year", place + ("timeframe", key), year=year, years=years_text)

    # emphasis: passages of the name or the note
    emphasis = indicator.get("emphasis")
    if isinstance(emphasis, list):
        printed_texts = " ".join(str(indicator.get(k) or "") for k in ("name", "note"))
        for j, passage in enumerate(emphasis):
            if isinstance(passage, str) and passage not in printed_texts:
                yield at("emphasis-not-found", place + ("emphasis", j), passage=passage)

    # a target that prints a figure but no rule judges: said, so that nobody believes it judged
    if isinstance(targets, dict):
        for key, target in targets.items():
            for sub_path, own in _targets_within(target):
                if not isinstance(own, dict) or not isinstance(own.get("text"), str) or own.get("rule") is not None:
                    continue
                if read_target_text(own["text"]).kind == "other":
                    yield at("target-judged-by-hand", place + ("targets", str(key)) + sub_path + ("text",),
                             year=key, text=own["text"], indicator=shown)

    # a floor printed elsewhere in the row: it must be there, and the same
    if isinstance(targets, dict):
        for key, target in targets.items():
            for sub_path, own in _targets_within(target):
                rule = own.get("rule") if isinstance(own, dict) else None
                if not isinstance(rule, dict) or not rule.get("floor_in"):
                    continue
                where = place + ("targets", key) + sub_path + ("rule", "floor_in")
                source = rule["floor_in"]
                if rule.get("floor") is None:
                    yield at("rule-floor-in-without-floor", where, source=source)
                    continue
                printed_text = indicator.get(source)
                stated = floor_in_text(printed_text) if isinstance(printed_text, str) else None
                try:
                    wanted = float(rule["floor"])
                except (TypeError, ValueError):
                    continue
                if stated is None or abs(stated - wanted) > 1e-9:
                    yield at("rule-floor-not-in-row", where, source=source, floor=format_number(wanted),
                             stated=format_number(stated) if stated is not None else "không có")

    # measurement and roll-up
    measure = indicator.get("measure")
    kind = measure.get("kind") if isinstance(measure, dict) else None
    needs = MEASURE_NEEDS.get(kind) if isinstance(kind, str) else None
    if needs and isinstance(measure, dict):
        for key in needs:
            if not measure.get(key):
                yield at("measure-incomplete", place + ("measure",), kind=kind, key=key)
            elif isinstance(measure.get(key), str) and PLACEHOLDER in measure[key]:
                # what 'plan import' wrote where it could not tell: no form goes out asking for it
                yield at("measure-placeholder", place + ("measure", key), indicator=shown, text=measure[key],
                         what={"numerator": "Tử số", "denominator": "Mẫu số"}.get(key, key))
    rollup = indicator.get("rollup")
    if isinstance(kind, str) and kind in ROLLUPS and isinstance(rollup, str) and rollup not in ROLLUPS[kind]:
        yield at("rollup-mismatch", place + ("rollup",), rollup=rollup, kind=kind, allowed=", ".join(ROLLUPS[kind]))
    if kind == "text" and isinstance(targets, dict):
        for key, target in targets.items():
            if isinstance(target, dict) and target.get("rule") is not None:
                yield at("rule-needs-number", place + ("targets", key, "rule"), kind=kind)
