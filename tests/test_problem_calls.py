"""Every problem("…") call in xlkpi names a code of the catalogue and supplies every field its messages use
(pyxform's rule: a message that cannot fail). Walked from the source, so a new call is checked too."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import xlkpi
from xlkpi.problems import CATALOGUE, problem

ALWAYS = {"file", "sheet", "cell", "path", "line", "row"}  # problem() supplies these itself
SOURCES = sorted(Path(xlkpi.__file__).parent.rglob("*.py"))


def fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def calls() -> list[tuple[str, int, str, set[str] | None]]:
    found = []
    for source in SOURCES:
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "problem"):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                continue  # the code comes from elsewhere (a table of codes): checked where the table is
            given = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
            found.append((str(source.relative_to(Path(xlkpi.__file__).parent.parent)), node.lineno,
                          node.args[0].value, given))
    return found


CALLS = calls()


def test_the_walk_finds_the_calls():
    assert len(CALLS) > 150


@pytest.mark.parametrize("where, line, code, given", CALLS, ids=[f"{w}:{n}" for w, n, _, _ in CALLS])
def test_each_call_names_a_code_and_supplies_its_fields(where, line, code, given):
    assert code in CATALOGUE, f"{where}:{line}: no message for {code!r}"
    if given is None:
        return  # fields passed on as **context: checked by the formatter, which never raises
    message = CATALOGUE[code]
    missing = (fields(message.vi) | fields(message.en)) - ALWAYS - given
    assert not missing, f"{where}:{line}: {code} needs {sorted(missing)}"


def test_a_missing_field_never_raises():
    """A call the walk cannot check (its fields passed on as **context) still gives a message."""
    code = next(c for c, m in CATALOGUE.items() if fields(m.vi) - ALWAYS)
    found = problem(code)
    assert found.message_vi and "{" not in found.message_vi
