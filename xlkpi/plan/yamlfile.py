"""Read a YAML file into plain data while remembering the line of every key and item.

Every scalar is kept as the text the author wrote (``80`` stays "80", ``1.`` stays "1.", ``no`` stays
"no"); only an empty value, ``~`` or ``null`` becomes None.  Types are decided later by the plan model,
so a printed number such as "1." or a target "80" is never turned into a float behind the author's back.
Keys that appear twice in one mapping are problems, not silent overwrites.

Plan files travel between offices, so the reader is careful with them: anchors and aliases (``&a`` /
``*a``) reuse text as the format documents, but a file whose aliases expand it beyond 200,000 values (the
way a "billion laughs" file multiplies itself) is refused at the alias that crosses the limit, and so
are a file over 5 MB and nesting deeper than a plan ever needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from xlkpi.problems import Problem, problem

Path = tuple[str | int, ...]
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass
class LocatedData:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def format_path(path: Path) -> str:
    """('indicators', 2, 'targets', '2025') -> "indicators[2].targets.2025"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


MAX_YAML_CHARS = 5_000_000
MAX_DEPTH = 50
MAX_VALUES = 200_000  # a plan has a few thousand; aliases must not multiply a file past this


def load_yaml(text: str, file: str) -> LocatedData:
    if len(text) > MAX_YAML_CHARS:
        return LocatedData(None, problems=[problem("yaml-too-large", file=file, size=len(text) // 1024,
                                                   limit=MAX_YAML_CHARS // 1024)])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        return LocatedData(None, problems=[problem("yaml-too-deep", file=file, limit=MAX_DEPTH)])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        return LocatedData(None, problems=[problem("yaml-syntax", file=file, line=line, detail=detail)])
    located = LocatedData(None)
    if root is None:
        located.lines[()] = 1
        return located
    located.lines[()] = root.start_mark.line + 1
    located.data = _convert(root, (), located, file)
    return located


def _convert(node: yaml.Node, path: Path, located: LocatedData, file: str, seen: set[int] | None = None) -> Any:
    seen = set() if seen is None else seen
    if len(seen) >= MAX_VALUES:  # counted with repeats: aliases expand the tree
        if not any(p.code == "yaml-expansion" for p in located.problems):
            located.problems.append(problem("yaml-expansion", file=file, line=located.line_of(path[:-1]) or 1,
                                            path=format_path(path), limit=f"{MAX_VALUES:,}".replace(",", ".")))
        return None
    seen.add(len(seen))
    if len(path) > MAX_DEPTH:
        located.problems.append(problem("yaml-too-deep", file=file, line=node.start_mark.line + 1,
                                        path=format_path(path[:3]) + " …", limit=MAX_DEPTH))
        return None
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first_line:
                located.problems.append(
                    problem(
                        "yaml-duplicate-key",
                        file=file,
                        line=line,
                        path=format_path(path + (key,)),
                        key=key,
                        first_line=first_line[key],
                    )
                )
                continue
            first_line[key] = line
            located.lines[path + (key,)] = line
            result[key] = _convert(value_node, path + (key,), located, file, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            located.lines[path + (index,)] = item.start_mark.line + 1
            items.append(_convert(item, path + (index,), located, file, seen))
        return items
    if node.tag == _NULL_TAG and node.style is None:
        return None
    return node.value
