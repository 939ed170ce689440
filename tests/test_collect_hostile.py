"""collect survives every file: each hostile or damaged return is rejected (or accepted when nothing it
holds is wrong) with a located problem, and never stops the run nor poisons the ledger."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
import zipfile

import pytest
from click.testing import CliRunner

from tests.hostile import CASES, Case, build_zip
from tests.test_collect import blank, drop, filled, good_values, ledger_rows, run
from tests.test_collect import campaign  # noqa: F401 — the fixture
from xlkpi.cli import cli
from xlkpi.collect import ledger as L
from xlkpi.collect import run as collect_run
from xlkpi.collect.readers import read_workbook
from xlkpi.collect.run import collect
from xlkpi.problems import XlkpiError


def make(case: Case, campaign, code: str = "03388") -> bytes:
    return case.make(filled(campaign, code), blank(campaign, code), good_values(campaign, code))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_hostile_file_ends_in_its_state_with_a_located_problem(campaign, case):
    drop(campaign, f"bad{case.suffix}", make(case, campaign))
    drop(campaign, "good.xlsx", filled(campaign, "03390"))
    result = run(campaign)
    states = {o.path.rsplit("/", 1)[-1]: o for o in result.outcomes}
    assert states["good.xlsx"].verdict == "accepted", "a valid return beside the bad one must be accepted"
    got = states[f"bad{case.suffix}"]
    assert got.verdict == case.verdict, got.problems
    if case.code:
        found = [p for p in got.problems if p.code == case.code]
        assert found, [p.code for p in got.problems]
        assert found[0].file == f"inbox/bad{case.suffix}"
        assert found[0].message_vi and found[0].message_en
        if case.sheet:
            assert found[0].sheet == case.sheet
        if case.cell:
            assert found[0].cell == case.cell


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_reader_alone_raises_only_located_problems(campaign, case):
    """read_workbook and every sheet read raise XlkpiError naming the file, never anything else."""
    data = make(case, campaign)
    try:
        book = read_workbook(data, "x.xlsx")
        for sheet in book.sheets:
            book.rows(sheet, frozenset(range(10)))
    except XlkpiError as exc:
        assert all(p.file == "x.xlsx" for p in exc.problems)


def test_a_zip_of_returns_is_opened_in_memory_and_each_member_collected(campaign):
    first_three, fourth = [u.code for u in campaign.roster.units][:3], campaign.roster.units[3].code
    parts = [(f"bao cao/{code}.xlsx", filled(campaign, code)) for code in first_three]
    parts.append(("bao cao/ghi chu.txt", "Kính gửi Văn phòng".encode()))
    parts.append(("bao cao/nested.zip", build_zip([(f"{fourth}.xlsx", filled(campaign, fourth))])))
    parts.append(("__MACOSX/bao cao/._03388.xlsx", b"\x00\x05\x16\x07"))
    drop(campaign, "email/cac xa.zip", build_zip(parts))
    before = set(os.listdir(campaign.inbox / "email"))
    result = run(campaign)
    assert set(os.listdir(campaign.inbox / "email")) == before, "nothing is extracted to disk"
    by_path = {o.path: o for o in result.outcomes}
    bundle = by_path["inbox/email/cac xa.zip"]
    assert bundle.verdict == "ignored" and "tệp nén" in bundle.note
    for code in first_three:
        member = by_path[f"inbox/email/cac xa.zip › bao cao/{code}.xlsx"]
        assert member.verdict == "accepted" and member.unit == code
    assert by_path[f"inbox/email/cac xa.zip › bao cao/nested.zip › {fourth}.xlsx"].unit == fourth
    assert by_path["inbox/email/cac xa.zip › bao cao/ghi chu.txt"].verdict == "ignored"
    assert by_path["inbox/email/cac xa.zip › __MACOSX/bao cao/._03388.xlsx"].verdict == "ignored"
    assert result.status.count("submitted") == 4
    first = ledger_rows(campaign)
    again = run(campaign)
    assert again.new_contents == 0 and ledger_rows(campaign) == first


def test_bundles_nest_only_so_deep(campaign):
    inner = build_zip([("03388.xlsx", filled(campaign))])
    for _ in range(3):
        inner = build_zip([("deeper.zip", inner)])
    drop(campaign, "deep.zip", inner)
    result = run(campaign)
    assert "file-too-complex" in {p.code for o in result.outcomes for p in o.problems}
    assert not any(o.verdict == "accepted" for o in result.outcomes)


def test_a_nan_recorded_by_an_older_version_is_repaired_not_fatal(campaign):
    """An older xlkpi recorded NaN in the typed inputs and Inf in the values: every later collect crashed,
    even with the file gone.  Now the run repairs the ledger, says so, and goes on."""
    drop(campaign, "a.xlsx", filled(campaign, "03388", {"F11": "abc"}))  # rejected: its inputs are recorded
    drop(campaign, "b.xlsx", filled(campaign, "03390"))
    run(campaign)
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    with connection:
        connection.execute("UPDATE inputs SET cells = ?", (json.dumps({"F11": float("nan"), "G11": float("inf")}),))
        connection.execute('UPDATE "values" SET value = 9e999 WHERE unit = ?', ("03390",))
    connection.close()
    (campaign.inbox / "a.xlsx").unlink()
    result = run(campaign)  # crashed before: the feedback copy could not write NaN
    assert len(result.repaired) == 2
    by_unit = {u.unit.code: u for u in result.status.units}
    assert by_unit["03390"].state == "submitted", "b.xlsx is still in the inbox: read again, accepted again"
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    codes = [row[0] for row in connection.execute("SELECT code FROM problems")]
    bad = connection.execute('SELECT COUNT(*) FROM "values" WHERE abs(value) > 1e308').fetchone()[0]
    connection.close()
    assert "ledger-repaired" in codes and bad == 0
    again = run(campaign)
    assert again.repaired == [] and again.new_contents == 0


def _reader_that_misbehaves(data: bytes, file: str, archive=None):
    name = file.rsplit("/", 1)[-1]
    if name.startswith("crash"):
        os.abort()
    if name.startswith("slow"):
        time.sleep(60)
    if name.startswith("boom"):
        raise RuntimeError("a bug in a reader library")
    return read_workbook(data, file, archive)


def test_a_crash_a_hang_or_an_exception_rejects_that_file_only(campaign, monkeypatch):
    import multiprocessing

    if (os.environ.get("XLKPI_START_METHOD") or multiprocessing.get_start_method()) != "fork":
        pytest.skip("a patched reader reaches the workers only when they are forked")
    monkeypatch.setattr(collect_run, "read_workbook", _reader_that_misbehaves)
    for name, unit in zip(("crash.xlsx", "slow.xlsx", "boom.xlsx"), campaign.roster.units[3:]):
        drop(campaign, name, filled(campaign, unit.code))
    drop(campaign, "good.xlsx", filled(campaign, "03390"))
    drop(campaign, "good2.xlsx", filled(campaign, campaign.roster.units[2].code))
    started = time.monotonic()
    result = collect(campaign, jobs=1, time_limit=3)
    assert time.monotonic() - started < 30
    by_name = {o.path.rsplit("/", 1)[-1]: o for o in result.outcomes}
    assert by_name["crash.xlsx"].problems[0].code == "file-reader-crashed"
    assert by_name["slow.xlsx"].problems[0].code == "file-timeout"
    assert by_name["boom.xlsx"].problems[0].code == "file-reader-failed"
    assert "RuntimeError" in by_name["boom.xlsx"].problems[0].message_vi
    assert by_name["good.xlsx"].verdict == by_name["good2.xlsx"].verdict == "accepted"


def test_a_hostile_inbox_beside_every_valid_return(campaign, start_method):
    """38 valid returns and every hostile file: the 38 are accepted, each bad file is rejected or flagged
    with its file (and sheet and cell), the command exits 1 and writes the report; a second run changes
    nothing."""
    codes = [u.code for u in campaign.roster.units]
    for code in codes:
        drop(campaign, f"ok/{code}.xlsx", filled(campaign, code))
    for case in CASES:
        drop(campaign, f"bad/{case.name}{case.suffix}", make(case, campaign, "03388"))
    runner = CliRunner()
    first = runner.invoke(cli, ["collect", "--campaign", str(campaign.directory), "--json"])
    assert first.exit_code == 1, first.output
    report = json.loads(first.output)
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    states = dict(connection.execute("SELECT path, state FROM files").fetchall())
    connection.close()
    for code in codes:
        assert states[f"inbox/ok/{code}.xlsx"] in ("accepted", "superseded"), code
    for case in CASES:
        path = f"inbox/bad/{case.name}{case.suffix}"
        expected = {"rejected": "rejected", "accepted": ("accepted", "superseded"), "ignored": "ignored"}[case.verdict]
        assert states[path] in expected, (path, states[path])
        if case.code:
            assert any(p["file"] == path and p["code"] == case.code for p in report["problems"]), path
    assert (campaign.reports / "thu-nhan-2025-q3.xlsx").exists()
    rows = ledger_rows(campaign)
    second = runner.invoke(cli, ["collect", "--campaign", str(campaign.directory)])
    assert second.exit_code == 1 and ledger_rows(campaign) == rows


def test_a_zip_that_stores_its_returns_uncompressed_is_a_bundle_too(campaign):
    """Some archivers store .xlsx files as they are: their own part names then show in the zip's bytes."""
    code = campaign.roster.units[1].code
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{code}.xlsx", filled(campaign, code))
    drop(campaign, "stored.zip", out.getvalue())
    result = run(campaign)
    member = next(o for o in result.outcomes if o.path.endswith(f"stored.zip › {code}.xlsx"))
    assert member.verdict == "accepted" and member.unit == code
