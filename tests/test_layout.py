"""The package's folders follow the cycle: a module imports only from its own stage or earlier ones."""

from __future__ import annotations

import ast
from pathlib import Path

import xlkpi

PACKAGE = Path(xlkpi.__file__).parent
# The cycle's order; a stage may use what comes before it, never what comes after.
ORDER = ["problems", "common", "plan", "units", "campaign", "forms", "collect", "report", "mail", "web", "demo", "cli"]


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ORDER else "xlkpi"


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("xlkpi"):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; use xlkpi.… so a move shows"
            if node.module == "xlkpi":  # from xlkpi import __version__ / from xlkpi import <submodule>
                found += [(node.lineno, f"xlkpi.{alias.name}") for alias in node.names]
            else:
                found += [(node.lineno, node.module + "." + alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("xlkpi")]
    return found


def test_every_module_lives_in_a_stage_folder():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py", "demo.py", "problems.py"]
    for folder in PACKAGE.iterdir():
        if folder.is_dir() and folder.name not in ("__pycache__", "templates"):
            assert folder.name in ORDER, folder
            doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
            assert doc and len(doc) > 40, f"{folder.name}/__init__.py must say what the stage takes in and hands on"


def test_imports_run_one_way_along_the_cycle():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        own = stage(".".join(relative.parts))
        if own == "xlkpi":  # __init__ / __main__ re-export the public API
            continue
        for line, name in imports(path):
            other = stage(name)
            if other != "xlkpi" and ORDER.index(other) > ORDER.index(own):
                wrong.append(f"{relative}.py:{line} ({own}) imports {name} ({other})")
    assert not wrong, "\n".join(wrong)
