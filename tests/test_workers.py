"""Worker processes start the same way on every system ("spawn" as on Windows, and the default), get
their state explicitly, and survive what an item does to them."""

from __future__ import annotations

import os
import random
import sqlite3
import time


from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.collect import ledger as L
from xlkpi.collect.checks import CampaignView
from xlkpi.collect.run import collect
from xlkpi.common.workers import Failure, WorkerPool, chunked, context
from xlkpi.forms.generate import WorkbookFactory, file_names, form_context, generate
from xlkpi.forms.simulate import fill_workbook, plausible_values

_STATE: dict[str, str] = {}


def _init(state: dict[str, str]) -> None:
    _STATE.update(state)


def _work(item: str) -> str:
    if item == "abort":
        os.abort()
    if item == "sleep":
        time.sleep(60)
    if item == "raise":
        raise ValueError("bad item")
    return f"{_STATE['prefix']}{item}"


def test_the_start_method_is_chosen_by_the_environment(start_method):
    expected = start_method if start_method != "default" else context().get_start_method()
    assert context().get_start_method() == expected


def test_workers_get_their_state_explicitly_and_survive_their_items(start_method):
    items = [["a", "b"], ["raise", "c"], ["d", "abort", "e"], ["sleep", "f"], ["g"]]
    found: dict[str, object] = {}
    started = time.monotonic()
    with WorkerPool(2, _work, initializer=_init, initargs=({"prefix": "ok:"},), time_limit=3) as pool:
        for chunk, results in pool.run(items):
            assert len(chunk) == len(results)
            found.update(zip(chunk, results))
    assert time.monotonic() - started < 40
    assert {k: v for k, v in found.items() if isinstance(v, str)} == {
        k: f"ok:{k}" for k in "abcdefg"}, "every other item is done, by the replacement worker if need be"
    assert isinstance(found["raise"], Failure) and found["raise"].kind == "exception" and "bad item" in found["raise"].detail
    assert isinstance(found["abort"], Failure) and found["abort"].kind == "crashed"
    assert isinstance(found["sleep"], Failure) and found["sleep"].kind == "timeout"


def test_generate_and_collect_in_several_processes_give_what_one_gives(tmp_path, start_method):
    """Enough units for several processes: the workbooks are byte for byte those one process writes, and
    collecting them in workers records what collecting in this process records."""
    roster = tmp_path / "roster.csv"
    roster.write_text("code,name,level\n" + "".join(f"X{i:03d},Xã Số {i},xa\n" for i in range(240)), encoding="utf-8")
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", roster=roster, deadline="20/10/2025")
    many = open_campaign(tmp_path / "c")
    generate(many, jobs=2)
    factory = WorkbookFactory(many.plan, form_context(many), many.secret, many.target_year)
    files = sorted(many.outbox.glob("*.xlsx"))
    assert len(files) == 240
    by_file = {name: code for code, name in file_names(many.roster.units).items()}
    for path in files[::37]:
        assert path.read_bytes() == factory.workbook(many.roster.get(by_file[path.name]))[0]
    view = CampaignView(many.id, many.plan, many.roster, many.secret, many.config.period, many.target_year)
    for path in files:
        unit = many.roster.get(by_file[path.name])
        values = plausible_values(view.layout(unit)[0], random.Random(unit.code))
        (many.inbox / path.name).write_bytes(fill_workbook(path.read_bytes(), values))
    in_workers = collect(many, jobs=2, reports=False)
    assert in_workers.states == {"accepted": 240}
    rows = _values(many)
    for suffix in ("", "-wal", "-shm"):
        (many.directory / (L.LEDGER_NAME + suffix)).unlink(missing_ok=True)
    collect(many, isolate=False, reports=False)
    assert _values(many) == rows


def _values(campaign) -> list[tuple]:
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    try:
        return connection.execute('SELECT sha256, unit, indicator, numerator, denominator, value, text, explanation, '
                                  'evidence, status FROM "values" ORDER BY 1, 3').fetchall()
    finally:
        connection.close()


def test_chunks_shrink_towards_the_end_so_no_worker_is_left_with_a_large_one():
    items = list(range(3321))
    chunks = chunked(items, 2)
    sizes = [len(chunk) for chunk in chunks]
    assert [item for chunk in chunks for item in chunk] == items  # every item once, in order
    assert max(sizes) == 64 and sizes == sorted(sizes, reverse=True)
    assert sum(sizes[-8:]) <= 32  # the last chunks take a few files each
    assert chunked([], 2) == [] and chunked(["a"], 4) == [["a"]]
