"""Rolling results up, the way the domain requires.

- A rate rolls up by its parts: Σ numerators / Σ denominators over the units that reported it — never the
  mean of the units' percentages.  A unit whose denominator is 0 ("không phát sinh") adds nothing to
  either sum and is not counted as met or missed.
- A count sums (or takes the mean, min or max, as the plan says); a percentage takes the mean, min or max;
  a yes/no indicator gives the share of units answering "Có"; a text indicator is listed, not judged.
- The rolled-up value is judged against the plan's target for the year (its general target); with a
  floor, every single unit must also reach the floor.  Each unit is judged against its own target.

Only accepted submissions count (the ledger's current accepted file of each unit).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from dataclasses import dataclass, field

from xlkpi.plan.model import Indicator, Plan
from xlkpi.units.roster import Roster
from xlkpi.plan.targets import Rule
from xlkpi.collect.checks import MET, NOT_ARISEN, NOT_JUDGED, NOT_MET, judge

NO_DATA = "no-data"
LABELS = {
    MET: "Đạt",
    NOT_MET: "Chưa đạt",
    NOT_ARISEN: "Không phát sinh",
    NOT_JUDGED: "Chưa đánh giá",
    NO_DATA: "Chưa có số liệu",
}


NOT_IN_ROUND = "Không thuộc đợt báo cáo này"


@dataclass(frozen=True)
class OfficeValue:
    """A figure the office entered itself for an indicator it measures (from the national portal, say)."""

    numerator: float | None
    denominator: float | None
    value: float | None
    text: str | None
    source: str
    entered_by: str
    entered_at: str


def office_values(connection: sqlite3.Connection, period: str) -> dict[str, OfficeValue]:
    return {row[0]: OfficeValue(*row[1:]) for row in connection.execute(
        "SELECT indicator, numerator, denominator, value, text, source, entered_by, entered_at "
        "FROM office_values WHERE period = ?", (period,))}


class UnitValue(NamedTuple):
    """One unit's accepted figures for one indicator (a named tuple: a national consolidation makes two
    for each unit and indicator, and a tuple is made four times as fast as a frozen dataclass)."""

    numerator: float | None
    denominator: float | None
    value: float | None
    text: str | None
    explanation: str
    evidence: str
    status: str


#: what a judgement adds when some units have not reported
INCOMPLETE = " (chưa đủ số liệu)"


@dataclass
class Rolled:
    indicator: Indicator
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    status: str = NO_DATA
    #: units that must report the indicator / that did (accepted) / that were judged / that met their target
    expected: int = 0
    reported: int = 0
    judged: int = 0
    met: int = 0
    not_arisen: int = 0
    #: units below the floor of the target, when it has one
    below_floor: list[str] = field(default_factory=list)
    #: the office's own figure, when no unit of the round reports the indicator and the office entered one
    office: OfficeValue | None = None

    @property
    def label(self) -> str:
        if self.expected == 0 and self.office is None:  # no unit of the indicator's levels in this round: nobody's failure
            return NOT_IN_ROUND
        return LABELS[self.status]

    @property
    def complete(self) -> bool:
        """Whether every unit that must report the indicator did."""
        return self.reported >= self.expected

    @property
    def verdict(self) -> str:
        """The judgement as a signer may read it: qualified when some units have not reported, so that it never
        claims more than the data hold ("Đạt (chưa đủ số liệu)")."""
        if self.office is None and not self.complete and self.status in (MET, NOT_MET):
            return f"{self.label}{INCOMPLETE}"
        return self.label

    @property
    def coverage(self) -> str:
        """ "10/12 đơn vị báo cáo": how many of the units that must report the indicator did."""
        return f"{self.reported}/{self.expected} đơn vị báo cáo"

    @property
    def units_met(self) -> str:
        """How many units the figure stands on, then how many met their target ("12/12 đơn vị báo cáo; 35/38
        đơn vị đạt") and how many reported that nothing arose ("(2 không phát sinh)"), which are neither met
        nor missed."""
        if self.office is not None:
            from xlkpi.common.text import shown_time

            return (f"Số liệu cơ quan tổng hợp nhập: {self.office.source} ({self.office.entered_by}, "
                    f"{shown_time(self.office.entered_at)})")
        if self.expected == 0:
            return "Đợt này không có đơn vị phải báo cáo chỉ tiêu này"
        if self.indicator.measure.kind == "text":
            return self.coverage
        if not self.reported:
            return f"Chưa có đơn vị báo cáo (0/{self.expected})"
        if not self.judged:  # never "0/0 đơn vị đạt"
            if self.not_arisen:
                return f"{self.coverage}; không phát sinh ở {self.not_arisen} đơn vị"
            return f"{self.coverage}, chưa đánh giá"
        text = f"{self.coverage}; {self.met}/{self.judged} đơn vị đạt"
        if self.not_arisen:
            text += f" ({self.not_arisen} không phát sinh)"
        return text


def general_rule(indicator: Indicator, year: int) -> Rule | None:
    if indicator.measure.kind == "text":
        return None
    target = indicator.targets.get(year)
    return target.effective_rule if target else None


def roll_up(indicator: Indicator, rule: Rule | None, expected: int, reported: Iterable[tuple[str, UnitValue]]
            ) -> Rolled:
    """Roll up the (unit code, value) pairs of the units that reported ``indicator``."""
    tally = Tally(indicator, rule, expected)
    for code, value in reported:
        tally.add(code, value)
    return tally.rolled()


class Tally:
    """A roll-up fed one value at a time: what a national roll-up needs without holding every unit's values
    (the sums, counts, smallest and largest, and the units below a floor)."""

    __slots__ = ("indicator", "rule", "expected", "reported", "judged", "met", "not_arisen", "numerator",
                 "denominator", "count", "total", "low", "high", "below")

    def __init__(self, indicator: Indicator, rule: Rule | None, expected: int):
        self.indicator, self.rule, self.expected = indicator, rule, expected
        self.reported = self.judged = self.met = self.not_arisen = self.count = 0
        self.numerator = self.denominator = self.total = 0.0
        self.low: float | None = None
        self.high: float | None = None
        self.below: list[str] = []

    def add(self, code: str, value: UnitValue) -> None:
        self.reported += 1
        if value.status in (MET, NOT_MET):
            self.judged += 1
            self.met += value.status == MET
        elif value.status == NOT_ARISEN:
            self.not_arisen += 1
        kind = self.indicator.measure.kind
        if kind == "rate":
            if value.denominator:
                self.numerator += value.numerator or 0
                self.denominator += value.denominator
        elif kind != "text" and value.value is not None:
            self.count += 1
            self.total += value.value
            self.low = value.value if self.low is None else min(self.low, value.value)
            self.high = value.value if self.high is None else max(self.high, value.value)
        if (self.rule is not None and self.rule.floor is not None and value.value is not None
                and not self.rule.within_floor(value.value)):
            self.below.append(code)

    def rolled(self) -> Rolled:
        rolled = Rolled(self.indicator, expected=self.expected, reported=self.reported, judged=self.judged,
                        met=self.met, not_arisen=self.not_arisen)
        if not self.reported:
            return rolled
        kind = self.indicator.measure.kind
        if kind == "rate":
            rolled.numerator, rolled.denominator = self.numerator, self.denominator
            if not self.denominator:
                rolled.status = NOT_ARISEN
                return rolled
            rolled.value = 100 * self.numerator / self.denominator
        elif kind == "text":
            rolled.status = NOT_JUDGED
            return rolled
        else:
            if not self.count:
                return rolled
            how = self.indicator.effective_rollup
            rolled.value = {"sum": self.total, "min": self.low, "max": self.high}.get(how, self.total / self.count)
        rolled.below_floor = list(self.below)
        status = judge(self.rule, rolled.value)  # type: ignore[arg-type]
        if status == MET and rolled.below_floor:
            status = NOT_MET
        rolled.status = status
        return rolled


class MemoryValues:
    """Values already in memory (unit code -> indicator -> value), served as :class:`LedgerValues` serves
    the ledger's."""

    def __init__(self, values: dict[str, dict[str, UnitValue]]):
        self.values = values

    def __contains__(self, code: object) -> bool:
        return code in self.values

    def get(self, code: str, default: Any = None) -> Any:
        return self.values.get(code, default)

    def in_order(self, codes: Iterable[str]) -> Iterator[tuple[str, dict[str, UnitValue]]]:
        return ((code, self.values[code]) for code in codes if code in self.values)


class LedgerValues:
    """The accepted values of a campaign, read from the ledger a chunk of units at a time, in the order asked
    for: a national (or larger) consolidation never holds every unit's values at once."""

    CHUNK = 500

    def __init__(self, ledger: Path, current: dict[str, str]):
        self.ledger, self.current = ledger, current  # unit code -> sha256 of its current accepted submission

    def __contains__(self, code: object) -> bool:
        return code in self.current

    def get(self, code: str, default: Any = None) -> Any:
        found = dict(self.in_order([code]))
        return found.get(code, default)

    def in_order(self, codes: Iterable[str]) -> Iterator[tuple[str, dict[str, UnitValue]]]:
        """(code, indicator -> value) for each code that has accepted values, in the given order."""
        connection = sqlite3.connect(self.ledger)
        try:
            wanted = [code for code in codes if code in self.current]
            for start in range(0, len(wanted), self.CHUNK):
                part = wanted[start:start + self.CHUNK]
                by_sha: dict[str, dict[str, UnitValue]] = {}
                shas = [self.current[code] for code in part]
                for sha, indicator, numerator, denominator, value, text, explanation, evidence, status in \
                        connection.execute(
                            'SELECT sha256, indicator, numerator, denominator, value, text, explanation, evidence, '
                            f'status FROM "values" WHERE sha256 IN ({",".join("?" * len(shas))})', shas):
                    by_sha.setdefault(sha, {})[indicator] = UnitValue(numerator, denominator, value, text,
                                                                      explanation or "", evidence or "", status)
                for code in part:
                    if self.current[code] in by_sha:
                        yield code, by_sha[self.current[code]]
        finally:
            connection.close()


@dataclass
class Consolidation:
    """Every indicator rolled up over the whole roster and over each parent's units."""

    plan: Plan
    year: int
    roster: Roster
    values: MemoryValues | LedgerValues
    totals: dict[str, Rolled] = field(default_factory=dict)
    by_parent: dict[str, dict[str, Rolled]] = field(default_factory=dict)


def office_rolled(indicator: Indicator, rule: Rule | None, office: OfficeValue) -> Rolled:
    """The result of an indicator the office measured itself, judged against the plan's target."""
    rolled = Rolled(indicator, numerator=office.numerator, denominator=office.denominator, value=office.value,
                    office=office)
    if indicator.measure.kind == "rate" and office.denominator == 0:
        rolled.status = NOT_ARISEN
    elif indicator.measure.kind == "text" or office.value is None:
        rolled.status = NOT_JUDGED
    else:
        rolled.status = judge(rule, office.value)
    return rolled


def consolidate_values(plan: Plan, year: int, roster: Roster,
                       values: dict[str, dict[str, UnitValue]] | MemoryValues | LedgerValues,
                       office: dict[str, OfficeValue] | None = None) -> Consolidation:
    """Every indicator rolled up over the roster and over each parent's units, in one pass over the values,
    units in roster order: each unit's values are added to the total and to each parent above it (a
    reporting parent counts itself too), then let go.  An indicator that no unit of the round reports takes
    the office's own figure when it entered one."""
    source = MemoryValues(values) if isinstance(values, dict) else values
    result = Consolidation(plan, year, roster, source)
    office = office or {}
    order = {u.code: n for n, u in enumerate(roster.units)}
    parents = sorted((u.code for u in roster.units if roster.children(u.code)), key=order.__getitem__)
    inside = {p: [roster.get(p), *roster.descendants(p)] for p in parents}
    chains = {u.code: [a.code for a in roster.ancestors(u.code)] for u in roster.units}
    totals: dict[str, Tally] = {}
    by_parent: dict[str, dict[str, Tally]] = {p: {} for p in parents}
    for indicator in plan.all_indicators:
        rule, levels = general_rule(indicator, year), set(indicator.levels)
        totals[indicator.id] = Tally(indicator, rule, sum(1 for u in roster.units if u.level in levels))
        for parent in parents:
            by_parent[parent][indicator.id] = Tally(indicator, rule, sum(1 for u in inside[parent] if u.level in levels))
    level_of = {u.code: u.level for u in roster.units}
    applies = {i.id: set(i.levels) for i in plan.all_indicators}
    for code, unit_values in source.in_order(u.code for u in roster.units):
        above = ([code] if code in by_parent else []) + chains.get(code, [])
        for indicator_id, value in unit_values.items():
            if indicator_id not in totals or level_of.get(code) not in applies[indicator_id]:
                continue
            totals[indicator_id].add(code, value)
            for parent in above:
                by_parent[parent][indicator_id].add(code, value)
    for indicator in plan.all_indicators:
        tally = totals[indicator.id]
        if not tally.expected and indicator.id in office:
            result.totals[indicator.id] = office_rolled(indicator, tally.rule, office[indicator.id])
        else:
            result.totals[indicator.id] = tally.rolled()
    for parent in parents:
        result.by_parent[parent] = {i: tally.rolled() for i, tally in by_parent[parent].items()}
    return result
