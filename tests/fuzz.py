"""Mutation fuzzing of collect: real generated and filled workbooks of every built-in plan, damaged at
random, collected in batches beside valid returns.

Each batch must hold these invariants (a broken one is an *escape*):

- no exception leaves ``collect``; the run completes;
- every file in the inbox ends in exactly one ledger state;
- the valid returns of the batch are accepted;
- every accepted mutated file's values equal what an independent reader (openpyxl, else python-calamine)
  reads from it;
- the ledger holds finite numbers only;
- a file only rewritten in another valid XML spelling (quote style, attribute order, namespace prefixes,
  whitespace, CDATA: ``tests/xml_quirks.py``) that openpyxl reads as the original is accepted.

``tests/test_fuzz.py`` runs a bounded number of batches under hypothesis in CI; for long runs::

    python -m tests.fuzz --minutes 30

prints how many batches and files it tried and every escape with the seed that reproduces it.
"""

from __future__ import annotations

import argparse
import io
import math
import random
import re
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from tests.xml_quirks import QUIRKS
from xlkpi.campaign.folder import Campaign, init_campaign, open_campaign
from xlkpi.collect import ledger as L
from xlkpi.collect.checks import CampaignView
from xlkpi.collect.numbers import read_number
from xlkpi.collect.run import collect
from xlkpi.common.text import cell_text
from xlkpi.forms import layout as F
from xlkpi.forms.generate import generate
from xlkpi.forms.simulate import fill_workbook, plausible_values
from xlkpi.plan.builtin import resolve_plan
from xlkpi.plan.model import load_plan

PLANS = ("lai-chau-2025", "tam-duong-2025", "cam-hiep-2025", "phu-tho-2025")
STATES = {L.ACCEPTED, L.SUPERSEDED, L.DUPLICATE, L.REJECTED, L.IGNORED}


# -- the corpus: one campaign per built-in plan, one unit per reporting level ------------------------------------


@dataclass
class Source:
    """A campaign and, for each of its units, the blank and a correctly filled return."""

    campaign: Campaign
    blanks: dict[str, bytes] = field(default_factory=dict)
    returns: dict[str, bytes] = field(default_factory=dict)
    #: what openpyxl reads from each undamaged return
    expected: dict[str, dict[str, tuple]] = field(default_factory=dict)


def build_sources(folder: Path) -> list[Source]:
    sources = []
    for plan_id in PLANS:
        roster = folder / f"{plan_id}.csv"
        lines = ["code,name,level"]
        loaded = load_plan(resolve_plan(plan_id))
        for n, level in enumerate(loaded.reporting_levels):
            for k in range(3):  # three units per level: valid returns and material to damage
                lines.append(f"U{n}{k},Đơn vị {n}.{k},{level}")
        roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
        directory = folder / plan_id
        year = loaded.years[0]
        init_campaign(directory, plan=plan_id, period=f"{year}-Q3", roster=roster, deadline=f"20/10/{year}")
        campaign = open_campaign(directory)
        view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                            campaign.target_year)
        source = Source(campaign)
        for generated in generate(campaign, jobs=1).files:
            blank = generated.path.read_bytes()
            layout, _ = view.layout(generated.unit)
            values = plausible_values(layout, random.Random(generated.unit.code))
            source.blanks[generated.unit.code] = blank
            source.returns[generated.unit.code] = fill_workbook(blank, values)
            source.expected[generated.unit.code] = independent_values(source.returns[generated.unit.code], campaign,
                                                                      generated.unit.code)
        sources.append(source)
    return sources


# -- mutations ---------------------------------------------------------------------------------------------------


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _zip(parts: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 10, 10, 9, 0, 0)), content,
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _xml_parts(data: bytes) -> list[tuple[str, bytes]]:
    return [(info.filename, content) for info, content in _members(data)]


CELL_VALUES = [
    "<v>NaN</v>", "<v>inf</v>", "<v>-INF</v>", "<v>1e308</v>", "<v>-5</v>", "<v>12.5</v>", "<v>1_000</v>",
    "<v></v>", "<v>  7 </v>", "<v>0x10</v>", "<v>45915</v>",
]
CELL_TYPED = [
    ('t="b"', "<v>1</v>"), ('t="e"', "<v>#DIV/0!</v>"), ('t="s"', "<v>-1</v>"), ('t="s"', "<v>999999</v>"),
    ('t="s"', "<v>abc</v>"), ('t="str"', "<f>1+1</f><v>2</v>"), ('t="d"', "<v>2025-09-15T00:00:00</v>"),
    ('t="inlineStr"', "<is><t>" + "x" * 40_000 + "</t></is>"), ('t="inlineStr"', "<is><t></t></is>"),
    ('t="inlineStr"', "<is><t>=HYPERLINK(\"http://x\")</t></is>"), ("", "<f>SUM(A1:A2)</f><v>3</v>"),
    ('t="zz"', "<v>1</v>"), ("", "<f>1/0</f><v>NaN</v>"), ('t="n"', "<v>80,5</v>"),
]


def quirk(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """The same workbook in other valid XML spellings (quote style, attribute order, namespace prefixes,
    whitespace, CDATA), in one or several of its parts: damage nothing, so it must collect as the original."""
    parts = _xml_parts(data)
    chosen = rng.sample(sorted(QUIRKS), rng.randint(1, 2))
    xml = [i for i, (n, _) in enumerate(parts) if n.endswith((".xml", ".rels"))]
    targets = xml if rng.random() < 0.3 else rng.sample(xml, rng.randint(1, min(4, len(xml))))
    for index in targets:
        name, content = parts[index]
        for key in chosen:
            content = QUIRKS[key][0](content)
        parts[index] = (name, content)
    return _zip(parts), f"quirk {'+'.join(chosen)} in {len(targets)} part(s)"


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One damaged copy of a workbook and a short description of what was done."""
    kind = rng.choice(["flip", "truncate", "remove", "duplicate", "rename", "xml-delete", "xml-duplicate",
                       "cell-value", "cell-typed", "dimension", "style-index", "flip-raw", "garbage", "quirk",
                       "quirk"])
    if kind == "quirk":
        return quirk(data, rng)
    parts = _xml_parts(data)
    if kind == "flip-raw":  # bytes flipped anywhere in the file, headers included
        buffer = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            buffer[rng.randrange(len(buffer))] ^= rng.randint(1, 255)
        return bytes(buffer), kind
    if kind == "flip":  # bytes flipped inside one member's compressed stream
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = rng.choice(archive.infolist())
        buffer = bytearray(data)
        name_length, extra = struct.unpack_from("<HH", data, info.header_offset + 26)
        start = info.header_offset + 30 + name_length + extra
        if info.compress_size:
            for _ in range(rng.randint(1, 3)):
                buffer[start + rng.randrange(info.compress_size)] ^= rng.randint(1, 255)
        return bytes(buffer), f"{kind} {info.filename}"
    if kind == "truncate":
        return data[: rng.randrange(len(data))], kind
    if kind == "garbage":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000))), kind
    index = rng.randrange(len(parts))
    name, content = parts[index]
    if kind == "remove":
        return _zip(parts[:index] + parts[index + 1:]), f"{kind} {name}"
    if kind == "duplicate":
        other = rng.choice(parts)[1]
        return _zip(parts + [(name, rng.choice([content, other, b""]))]), f"{kind} {name}"
    if kind == "rename":
        new = rng.choice(["../" + name, "/" + name, name.upper(), name + ".bak", "xl/worksheets/sheet9.xml",
                          name.replace("sheet1", "sheet2"), "xl\\" + name.rsplit("/", 1)[-1]])
        return _zip(parts[:index] + [(new, content)] + parts[index + 1:]), f"{kind} {name} -> {new}"
    form = next(i for i, (n, _) in enumerate(parts) if n == "xl/worksheets/sheet1.xml")
    if kind in ("cell-value", "cell-typed", "style-index"):
        name, content = parts[form]
        cells = list(re.finditer(rb'<c r="([F-J])(\d+)"( s="\d+")?[^>]*?(?:/>|>.*?</c>)', content, re.S))
        cell = rng.choice(cells)
        ref = (cell.group(1) + cell.group(2)).decode()
        style = (cell.group(3) or b"").decode()
        if kind == "cell-value":
            body = rng.choice(CELL_VALUES)
            new = f'<c r="{ref}"{style}>{body}</c>'
        elif kind == "cell-typed":
            attribute, body = rng.choice(CELL_TYPED)
            new = f'<c r="{ref}"{style} {attribute}>{body}</c>'
        else:
            new = f'<c r="{ref}" s="{rng.choice([99999, -1, 2 ** 40])}"><v>5</v></c>'
        content = content[: cell.start()] + new.encode() + content[cell.end():]
        parts[form] = (name, content)
        return _zip(parts), f"{kind} {ref}: {new[:60]}"
    if kind == "dimension":
        name, content = parts[form]
        ref = rng.choice(["A1:XFD1048576", "A1:B2", "ZZZ99999999", "A1:A0"])
        content = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), content)
        if rng.random() < 0.5:
            far = rng.choice(["XFD1048576", "F1048576", "A5001", "GS10"])
            content = content.replace(b"</sheetData>", f'<row r="{re.sub("[A-Z]", "", far)}"><c r="{far}"><v>1</v></c>'
                                      f"</row></sheetData>".encode())
        parts[form] = (name, content)
        return _zip(parts), f"{kind} {ref}"
    # XML elements deleted or duplicated in one XML part
    xml_parts = [i for i, (n, _) in enumerate(parts) if n.endswith((".xml", ".rels"))]
    index = rng.choice(xml_parts)
    name, content = parts[index]
    elements = list(re.finditer(rb"<(c|row|si|sheet|definedName|property|Relationship|xf|v|t|f)\b[^>]*?(?:/>|>.*?</\1>)",
                                content, re.S))
    if not elements:
        return _zip(parts), f"{kind} {name} (nothing)"
    element = rng.choice(elements)
    piece = element.group(0)
    replacement = b"" if kind == "xml-delete" else piece + piece
    parts[index] = (name, content[: element.start()] + replacement + content[element.end():])
    return _zip(parts), f"{kind} {name} <{element.group(1).decode()}>"


# -- one batch --------------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    files: int = 0
    escapes: list[str] = field(default_factory=list)
    accepted_mutants: int = 0
    unverifiable: int = 0  # accepted, an input changed, and no independent reader opens the file
    quirks_checked: int = 0  # rewritten in other XML spellings only, not accepted, compared with openpyxl


INPUT_CELL_CHANGED = re.compile(r"(?:cell-value|cell-typed|style-index) [FIJ]\d+")


def _rows_openpyxl(data: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    sheet = book[F.SHEET]
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(
        max_row=min(sheet.max_row, 5000), max_col=min(sheet.max_column, 20), values_only=True)]


def _rows_calamine(data: bytes, answer) -> None:
    import faulthandler

    import python_calamine

    faulthandler.disable()  # an abort here is an answer ("calamine cannot read it"), not a report

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    answer.send(book.get_sheet_by_name(F.SHEET).to_python(skip_empty_area=False)[:5000])


def _rows_calamine_isolated(data: bytes) -> list[list]:
    """calamine in a child process: it aborts the whole process on a sheet whose declared size lies."""
    import multiprocessing

    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_rows_calamine, args=(data, send))
    child.start()
    send.close()
    try:
        if receive.poll(30):
            got = receive.recv()
            if isinstance(got, Exception):
                raise got
            return got
        raise RuntimeError(f"calamine ended without an answer (exit code {child.exitcode})")
    finally:
        child.join(5)
        if child.is_alive():
            child.kill()


def independent_values(data: bytes, campaign: Campaign, unit_code: str) -> dict[str, tuple]:
    """What an independent reader reads from a return's input cells, turned into values as collect records
    them: openpyxl, or where openpyxl gives up on a part collect never reads (a damaged theme, a missing
    relationship of the guide sheet), python-calamine, in a child process."""
    try:
        rows = _rows_openpyxl(data)
    except Exception:  # noqa: BLE001
        rows = _rows_calamine_isolated(data)
    view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)
    layout, _ = view.layout(campaign.roster.get(unit_code))

    def cell(role_cell: tuple[int, int]):
        row, col = role_cell
        return rows[row][col] if row < len(rows) and col < len(rows[row]) else ""

    found = {}
    for block in layout.blocks:
        kind = block.indicator.measure.kind
        if kind == "rate":
            numbers = (read_number(cell(block.inputs[F.NUMERATOR])).value,
                       read_number(cell(block.inputs[F.DENOMINATOR])).value)
        elif kind in ("count", "percent"):
            numbers = (read_number(cell(block.inputs[F.VALUE]), percent=kind == "percent").value,)
        else:
            numbers = (cell_text(cell(block.inputs[F.VALUE])),)
        found[block.indicator.id] = (*numbers, cell_text(cell(block.inputs[F.EXPLANATION])),
                                     cell_text(cell(block.inputs[F.EVIDENCE])))
    return found


def run_batch(source: Source, rng: random.Random, mutants: int = 6, workers: int = 1) -> BatchResult:
    campaign = source.campaign
    result = BatchResult()
    if campaign.inbox.exists():
        shutil.rmtree(campaign.inbox)
    campaign.inbox.mkdir()
    for suffix in ("", "-wal", "-shm"):
        (campaign.directory / (L.LEDGER_NAME + suffix)).unlink(missing_ok=True)
    units = sorted(source.returns)
    valid = units[: len(units) // 2 + 1]
    for code in valid:
        (campaign.inbox / f"valid-{code}.xlsx").write_bytes(source.returns[code])
    made: dict[str, tuple[str, str, bytes]] = {}
    for n in range(mutants):
        code = rng.choice(units)
        data = source.returns[code]
        what = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            try:
                data, description = mutate(data, rng)
            except Exception:  # noqa: BLE001 — an earlier mutation left no zip to mutate further
                break
            what.append(description)
        name = f"mutant-{n}.xlsx"
        (campaign.inbox / name).write_bytes(data)
        made[name] = (code, "; ".join(what), data)
    result.files = len(valid) + len(made)
    try:
        collected = collect(campaign, jobs=workers, reports=True, time_limit=30)
    except BaseException as exc:  # noqa: BLE001 — exactly what the fuzzer looks for
        result.escapes.append(f"collect raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
                              f"\nmutants: {[m[1] for m in made.values()]}")
        return result
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    try:
        rows = connection.execute("SELECT path, sha256, state FROM files").fetchall()
        by_path: dict[str, list[str]] = {}
        for path, _, state in rows:
            by_path.setdefault(path, []).append(state)
        for file in campaign.inbox.iterdir():
            states = by_path.get(f"inbox/{file.name}", [])
            if len(states) != 1 or states[0] not in STATES:
                result.escapes.append(f"{file.name}: states {states} ({made.get(file.name, ('', 'valid'))[1]})")
        for code in valid:
            if by_path.get(f"inbox/valid-{code}.xlsx") not in ([L.ACCEPTED], [L.SUPERSEDED], [L.DUPLICATE]):
                result.escapes.append(f"valid return of {code} not accepted: {by_path.get(f'inbox/valid-{code}.xlsx')}")
        bad = connection.execute('SELECT COUNT(*) FROM "values" WHERE abs(numerator) > 1e308 OR abs(denominator) > '
                                 "1e308 OR abs(value) > 1e308").fetchone()[0]
        if bad:
            result.escapes.append(f"{bad} non-finite values in the ledger")
        values: dict[str, dict[str, tuple]] = {}
        for sha, indicator, numerator, denominator, value, text, explanation, evidence in connection.execute(
            'SELECT sha256, indicator, numerator, denominator, value, text, explanation, evidence FROM "values"'
        ):
            values.setdefault(sha, {})[indicator] = (numerator, denominator, value, text, explanation or "",
                                                     evidence or "")
        verdicts = dict(connection.execute("SELECT sha256, verdict FROM contents").fetchall())
        accepted = {path: sha for path, sha, _ in rows if verdicts.get(sha) == L.ACCEPTED}
    finally:
        connection.close()
    outcome_units = {o.path: o.unit for o in collected.outcomes}
    for name, (code, what, data) in made.items():
        path = f"inbox/{name}"
        if path not in accepted and what and all(step.startswith("quirk") for step in what.split("; ")):
            result.quirks_checked += 1
            # the rule: a file openpyxl reads identically is never rejected
            seen = _seen_by_openpyxl(data)
            if seen is not None and seen == _seen_by_openpyxl(source.returns[code]):
                problems = next((o.problems for o in collected.outcomes if o.path == path), [])
                result.escapes.append(f"{name} not accepted though openpyxl reads it as the original: {what}; "
                                      f"{[p.code for p in problems]}")
            continue
        if path not in accepted:
            continue
        result.accepted_mutants += 1
        unit = outcome_units.get(path) or code
        try:
            expected = independent_values(data, campaign, unit)
        except Exception:  # noqa: BLE001
            # both readers give up on damage in a part collect does not read (a formula's cached result, the
            # guide sheet's relationship, a declared dimension): the values must then be the undamaged return's,
            # unless an input cell was changed too (then nothing independent can judge it)
            if INPUT_CELL_CHANGED.search(what):
                result.unverifiable += 1
                continue
            expected = source.expected[unit]
            what += " (compared with the undamaged return: no independent reader opens it)"
        recorded = values.get(accepted[path], {})
        for indicator, want in expected.items():
            got = recorded.get(indicator)
            if got is None:
                result.escapes.append(f"{name} accepted without a value for {indicator}; {what}")
                continue
            kind = campaign.plan.indicator(indicator).measure.kind
            if kind == "rate":
                same = (got[0], got[1]) == want[:2] and got[4:] == want[2:]
            elif kind in ("count", "percent"):
                same = _close(got[2], want[0]) and got[4:] == want[1:]
            else:
                same = (got[3] or "") == want[0] or (kind == "yesno" and bool(got[3])) and got[4:] == want[1:]
            if not same:
                result.escapes.append(f"{name} accepted with {indicator} = {got}, openpyxl reads {want}; {what}")
    return result


def _seen_by_openpyxl(data: bytes) -> tuple | None:
    """What openpyxl reads of a return's identity and form, or None when it cannot open it."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data))
        names = {name: book.defined_names[name].value for name in book.defined_names}
        properties = {p.name: p.value for p in book.custom_doc_props.props}
        cells = [[c.value for c in row] for row in book[F.SHEET].iter_rows()]
        return names, properties, cells
    except Exception:  # noqa: BLE001
        return None


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


# -- the long run -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: from the clock)")
    parser.add_argument("--mutants", type=int, default=8, help="damaged files per batch")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    folder = Path(tempfile.mkdtemp(prefix="xlkpi-fuzz-"))
    try:
        started = time.monotonic()
        sources = build_sources(folder)
        print(f"corpus: {len(sources)} plans, {sum(len(s.returns) for s in sources)} filled returns "
              f"({time.monotonic() - started:.1f} s); first seed {seed}", flush=True)
        batches = files = accepted_mutants = unverifiable = quirks_checked = 0
        escapes: list[str] = []
        deadline = time.monotonic() + 60 * args.minutes
        while time.monotonic() < deadline:
            batch_seed = seed + batches
            rng = random.Random(batch_seed)
            source = sources[batch_seed % len(sources)]
            result = run_batch(source, rng, args.mutants, args.workers)
            batches += 1
            files += result.files
            accepted_mutants += result.accepted_mutants
            unverifiable += result.unverifiable
            quirks_checked += result.quirks_checked
            for escape in result.escapes:
                escapes.append(f"seed {batch_seed} ({source.campaign.plan.id}): {escape}")
                print("ESCAPE", escapes[-1], flush=True)
            if batches % 50 == 0:
                print(f"  {batches} batches, {files} files, {len(escapes)} escapes "
                      f"({time.monotonic() - started:.0f} s)", flush=True)
        print(f"fuzz: {batches} batches, {files} files ({batches * args.mutants} damaged, {accepted_mutants} of them "
              f"accepted: {accepted_mutants - unverifiable} checked against openpyxl, calamine or the undamaged "
              f"return, {unverifiable} with a changed input that no other reader opens; {quirks_checked} rewritten in "
              f"other XML spellings only and not accepted, each compared with openpyxl), {len(escapes)} escapes, "
              f"{time.monotonic() - started:.0f} s")
        return int(bool(escapes))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
