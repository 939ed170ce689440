"""The pandas API: the frames hold what the export and the appendix hold, with proper dtypes, and
pandas stays out of the command line's start-up."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

import xlkpi
from tests.test_consolidate import DETAIL, round_  # noqa: F401 — the fixture
from xlkpi.report.consolidate import consolidate
from xlkpi.report.export import long_table, render


def test_results_are_the_export_with_dtypes(round_):
    campaign, accepted, _ = round_
    frame = xlkpi.results(campaign.directory)
    rows = long_table(campaign)
    assert len(frame) == len(rows) == 29 * 8
    assert str(frame["numerator"].dtype) == "Int64" and str(frame["value"].dtype) == "Float64"
    assert str(frame["unit"].dtype) == "string" and isinstance(frame["judgement"].dtype, pd.CategoricalDtype)
    assert str(frame["received_at"].dtype).startswith("datetime64")
    assert (frame["period_start"] == pd.Timestamp("2025-06-15")).all()
    exported = list(csv.DictReader(io.StringIO(render(rows, "csv"))))
    for (_, got), want in zip(frame.iterrows(), exported):
        assert got["unit"] == want["unit"] and got["indicator"] == want["indicator"]
        assert got["number"] == want["number"] and got["judgement"] == want["judgement"]
        assert ("" if pd.isna(got["numerator"]) else str(got["numerator"])) == want["numerator"]
        assert got["received_at"] == pd.Timestamp(want["received_at"])
    typed = accepted[frame["unit"].iloc[0]]
    first = frame[(frame["unit"] == frame["unit"].iloc[0]) & (frame["indicator"] == "so-hoa")].iloc[0]
    assert (first["numerator"], first["denominator"]) == (typed["F11"], typed["G11"])


def test_rollup_total_is_the_appendix(round_):
    campaign, _, _ = round_
    result = consolidate(campaign)
    frame = xlkpi.rollup(campaign, by="total").set_index("indicator")
    for indicator, rolled in result.consolidation.totals.items():
        row = frame.loc[indicator]
        assert (None if pd.isna(row["value"]) else row["value"]) == rolled.value
        assert row["judgement"] == rolled.label and row["met"] == rolled.met
    # the figures a signer reads in the appendix's result column
    sheet = openpyxl.load_workbook(result.path, data_only=True)[DETAIL]
    assert sheet.max_row > 30


def test_rollup_by_parent_is_sums_of_parts(tmp_path):
    from tests.test_consolidate import test_tree_roster_subtotals_per_parent

    test_tree_roster_subtotals_per_parent(tmp_path)  # builds and checks the tree campaign in tmp_path / "c"
    results = xlkpi.results(tmp_path / "c")
    frame = xlkpi.rollup(tmp_path / "c", by="parent").set_index(["parent", "indicator"])
    h1 = frame.loc[("H1", "so-hoa")]
    assert (h1["numerator"], h1["denominator"]) == (48, 110) and h1["value"] == pytest.approx(100 * 48 / 110)
    arisen = results[(results["indicator"] == "so-hoa") & (results["denominator"] > 0)]
    mine = arisen[arisen["unit"].isin(["H1", "X1", "X2"])]
    assert mine["numerator"].sum() == 48 and mine["denominator"].sum() == 110
    with pytest.raises(ValueError):
        xlkpi.rollup(tmp_path / "c", by="mean")


def test_trend_frame(tmp_path):
    from tests.test_consolidate import test_trend_over_the_campaigns_beside

    test_trend_over_the_campaigns_beside(tmp_path)
    frame = xlkpi.trend(tmp_path / "2025-Q3")
    so_hoa = frame[frame["indicator"] == "so-hoa"]
    assert list(so_hoa["period"]) == ["2025-Q2", "2025-Q3"]
    assert list(so_hoa["value"]) == [pytest.approx(60.0), pytest.approx(90.0)]


def test_the_command_line_does_not_import_pandas():
    code = ("import sys\nfrom xlkpi.cli import cli\n"
            "try:\n    cli(['plans'], prog_name='xlkpi')\nexcept SystemExit:\n    pass\n"
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")
