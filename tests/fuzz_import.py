"""Mutation fuzzing of ``plan import``: appendix documents other offices publish (tests/appendix_shapes.py, as
Word and Excel), damaged at random or rewritten in other XML spellings, imported; the plan each gives is
written and checked.

Invariants (a broken one is an *escape*):

- ``import_plan`` returns a plan or raises XlkpiError whose problems name the file; nothing else leaves it;
- no import takes longer than ``SLOW`` seconds;
- a plan it returns can be written and ``plan check`` gives a report (never an exception);
- a document only rewritten in another XML spelling imports as the original.

``tests/test_fuzz_import.py`` runs a bounded number under hypothesis in CI; for long runs::

    python -m tests.fuzz_import --minutes 30
"""

from __future__ import annotations

import argparse
import warnings
import random
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

import yaml

from tests.appendix_shapes import SHAPES, written
from tests.fuzz import _xml_parts, _zip
from tests.xml_quirks import QUIRKS
from xlkpi.plan.importer import import_plan
from xlkpi.plan.model import check_plan
from xlkpi.problems import XlkpiError

SLOW = 20.0
#: texts a cell of an appendix may hold, typed by a clerk or an attacker
HOSTILE_TEXTS = ["inf", "1e400", "-0", "Năm 99999", "Tối thiểu -∞%", "≥ 1e308", "", " ", "\u202e001 ≥",
                 "Chỉ tiêu năm 2025" * 50, "x" * 20_000, "=HYPERLINK(\"http://x\")", "\x1b]0;t\x07", "100% (trừ",
                 "Hơn", "Tối đa 5 (tỷ lệ b/a phải đạt tối thiểu 200%)", "Năm 2025 | Năm 2025", "STT", "I.", "(1)"]


def sources() -> list[tuple[str, bytes]]:
    return [(f"{shape.key}{suffix}", written(shape, suffix)) for shape in SHAPES for suffix in (".docx", ".xlsx")]


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(["flip", "truncate", "garbage", "remove", "duplicate", "xml-delete", "xml-duplicate", "text",
                       "text", "text", "quirk"])
    if kind == "flip":
        buffer = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buffer[rng.randrange(len(buffer))] ^= rng.randint(1, 255)
        return bytes(buffer), kind
    if kind == "truncate":
        return data[: rng.randrange(len(data))], kind
    if kind == "garbage":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 2000))), kind
    parts = _xml_parts(data)
    xml = [i for i, (n, _) in enumerate(parts) if n.endswith((".xml", ".rels"))]
    index = rng.choice(xml)
    name, content = parts[index]
    if kind == "remove":
        return _zip(parts[:index] + parts[index + 1:]), f"{kind} {name}"
    if kind == "duplicate":
        return _zip(parts + [(name, rng.choice([content, b""]))]), f"{kind} {name}"
    if kind == "quirk":
        chosen = rng.sample(sorted(QUIRKS), rng.randint(1, 2))
        for i in xml:
            n, c = parts[i]
            for key in chosen:
                c = QUIRKS[key][0](c)
            parts[i] = (n, c)
        return _zip(parts), f"quirk {'+'.join(chosen)}"
    main = next((i for i, (n, _) in enumerate(parts) if n in ("word/document.xml", "xl/sharedStrings.xml")), index)
    name, content = parts[main]
    if kind == "text":  # one text of the document replaced by a hostile one
        texts = list(re.finditer(rb"(<(?:\w+:)?t(?:\s[^>]*)?>)([^<]*)(</(?:\w+:)?t>)", content))
        if texts:
            found = rng.choice(texts)
            text = rng.choice(HOSTILE_TEXTS)
            escaped = text.replace("&", "&amp;").replace("<", "&lt;").encode("utf-8")
            escaped = re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", b"", escaped)  # what XML 1.0 cannot hold
            content = content[: found.start(2)] + escaped + content[found.end(2):]
            parts[main] = (name, content)
            return _zip(parts), f"text {text[:30]!r}"
    elements = list(re.finditer(rb"<((?:\w+:)?(?:tr|tc|p|r|t|si|row|c|tbl|gridCol))\b[^>]*?(?:/>|>.*?</\1>)",
                                content, re.S))
    if not elements:
        return _zip(parts), f"{kind} (nothing)"
    element = rng.choice(elements)
    piece = element.group(0)
    replacement = b"" if kind == "xml-delete" else piece + piece
    parts[main] = (name, content[: element.start()] + replacement + content[element.end():])
    return _zip(parts), f"{kind} <{element.group(1).decode()}>"


def run_one(name: str, data: bytes, original: bytes, rng: random.Random, folder: Path) -> list[str]:
    """Import one mutant of ``name``; the escapes it shows."""
    what = []
    for _ in range(rng.choice([1, 1, 2])):
        try:
            data, description = mutate(data, rng)
        except Exception:  # noqa: BLE001 — an earlier mutation left no zip to mutate further
            break
        what.append(description)
    path = folder / f"mutant{Path(name).suffix}"
    path.write_bytes(data)
    started = time.monotonic()
    escapes: list[str] = []
    try:
        imported = import_plan(path)
    except XlkpiError as exc:
        imported = None
        if not all(p.file == str(path) and p.message_vi for p in exc.problems):
            escapes.append(f"{name}: a problem without its file: {[p.code for p in exc.problems]}; {what}")
    except BaseException as exc:  # noqa: BLE001 — exactly what the fuzzer looks for
        escapes.append(f"{name}: import raised {type(exc).__name__}: {exc}; {what}\n{traceback.format_exc()}")
        return escapes
    took = time.monotonic() - started
    if took > SLOW:
        escapes.append(f"{name}: import took {took:.0f} s; {what}")
    if imported is not None:
        out = folder / "plan.yaml"
        try:
            out.write_text(yaml.safe_dump(imported.data, allow_unicode=True, sort_keys=False), encoding="utf-8")
            check_plan(out)
        except BaseException as exc:  # noqa: BLE001
            escapes.append(f"{name}: the plan written raised {type(exc).__name__}: {exc}; {what}")
    if what and all(step.startswith("quirk") for step in what):
        original_path = folder / f"original{Path(name).suffix}"
        original_path.write_bytes(original)
        want = {k: v for k, v in import_plan(original_path).data.items() if k != "source"}  # names the file
        if imported is None or {k: v for k, v in imported.data.items() if k != "source"} != want:
            escapes.append(f"{name}: rewritten in another XML spelling, it does not import as the original; {what}")
    return escapes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    corpus = sources()
    warnings.simplefilter("ignore")  # zipfile warns of the duplicate parts the fuzzer writes on purpose
    started, tried, escapes = time.monotonic(), 0, []
    with tempfile.TemporaryDirectory(prefix="xlkpi-fuzz-import-") as folder:
        while time.monotonic() < started + 60 * args.minutes:
            rng = random.Random(seed + tried)
            name, data = corpus[(seed + tried) % len(corpus)]
            for escape in run_one(name, data, data, rng, Path(folder)):
                escapes.append(f"seed {seed + tried}: {escape}")
                print("ESCAPE", escapes[-1], flush=True)
            tried += 1
            if tried % 500 == 0:
                print(f"  {tried} documents, {len(escapes)} escapes ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"fuzz import: {tried} damaged documents from {len(corpus)} appendices (first seed {seed}), "
          f"{len(escapes)} escapes, {time.monotonic() - started:.0f} s")
    return int(bool(escapes))


if __name__ == "__main__":
    sys.exit(main())
