"""Benchmark: consolidate a national ledger — 3,321 communes under 34 provinces.

Set-up (not timed): the campaign, generated workbooks, a simulated fill and a collect, as in
bench/collect_nation.py.  Timed: `consolidate` (roll-up over the tree, the appendix, the detail sheet
with a subtotal per province, progress, charts), and the export of the long table.

    python bench/consolidate_nation.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from collect_nation import prepare

from xlkpi.campaign.folder import open_campaign
from xlkpi.collect.run import collect
from xlkpi.report.consolidate import consolidate
from xlkpi.report.export import long_table, render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, default=None, help="keep the campaign in this folder")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="xlkpi-bench-"))
    try:
        folder = prepare(base)
        collect(open_campaign(folder), reports=False)
        campaign = open_campaign(folder)
        campaign.plan, campaign.roster  # loaded before the timing
        t0 = time.perf_counter()
        result = consolidate(campaign)
        t1 = time.perf_counter()
        rows = long_table(campaign)
        text = render(rows, "csv")
        t2 = time.perf_counter()
        units = sum(1 for u in result.status.units if u.sha256)
        print(f"consolidate: {units} units under {sum(1 for u in campaign.roster.units if u.level == 'tinh')} "
              f"provinces in {t1 - t0:.2f} s ({result.path.stat().st_size / 1_048_576:.1f} MB workbook)")
        print(f"export: {len(rows)} rows in {t2 - t1:.2f} s ({len(text) / 1_048_576:.1f} MB CSV)")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
