"""The built-in plans shipped in ``templates/`` and how a plan is named on the command line."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from xlkpi.problems import XlkpiError, problem


def templates_dir() -> Path:
    """Where the built-in plan files are: ``xlkpi/templates`` in an installed package (the wheel maps
    ``templates/`` there), else ``templates/`` beside the package in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "templates"
    return installed if any(installed.glob("*.yaml")) else package.parent / "templates"


@dataclass(frozen=True)
class BuiltinPlan:
    id: str
    title: str
    path: Path


@lru_cache(maxsize=1)
def builtin_plans() -> tuple[BuiltinPlan, ...]:
    """Each built-in plan's id and one-line title (read from the file's header, without full validation)."""
    found = []
    for path in sorted(templates_dir().glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            head = yaml.safe_load(handle) or {}
        found.append(BuiltinPlan(str(head.get("id", path.stem)), str(head.get("title", "")), path))
    return tuple(found)


def resolve_plan(name_or_path: str | Path) -> Path:
    """A plan is named by a built-in id (``lai-chau-2025``) or by the path of a YAML file or a plan workbook."""
    candidate = Path(name_or_path)
    if candidate.suffix.lower() in (".yaml", ".yml", ".xlsx", ".xlsm") or candidate.exists():
        return candidate
    for plan in builtin_plans():
        if plan.id == str(name_or_path):
            return plan.path
    raise XlkpiError(
        problem("plan-not-found", name=str(name_or_path), known=", ".join(p.id for p in builtin_plans()) or "-")
    )
