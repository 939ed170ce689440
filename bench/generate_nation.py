"""Benchmark: generate the data-entry workbooks of every commune of the nation.

Roster: the official divisions (3,321 communes, wards and special zones under 34 provinces); plan:
lai-chau-2025 (communes report 8 of its 12 indicators).  Prints the campaign set-up time, the generate
wall time, ms per workbook, and the same for one process.

    python bench/generate_nation.py [--jobs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.units.divisions import national_roster
from xlkpi.forms.generate import generate


def run(jobs: int | None, keep: Path | None) -> None:
    base = keep or Path(tempfile.mkdtemp(prefix="xlkpi-bench-"))
    try:
        roster_path = base / "nation.csv"
        national_roster().write(roster_path, force=True)
        results = []
        for label, n in (("all cores" if jobs is None else f"{jobs} jobs", jobs), ("1 process", 1)):
            folder = base / f"campaign-{n or 'all'}"
            if folder.exists():
                shutil.rmtree(folder)
            t0 = time.perf_counter()
            init_campaign(folder, plan="lai-chau-2025", period="2025-Q3", roster=roster_path, deadline="2025-10-20")
            campaign = open_campaign(folder)
            campaign.roster  # read and checked here, not in the timing below
            t1 = time.perf_counter()
            result = generate(campaign, jobs=n)
            t2 = time.perf_counter()
            count = len(result.files)
            size = sum(f.path.stat().st_size for f in result.files)
            results.append((label, t1 - t0, t2 - t1, count, size))
        print(f"machine: {os.cpu_count()} cores")
        for label, setup, wall, count, size in results:
            print(f"{label:>10}: {count} workbooks in {wall:.2f} s = {1000 * wall / count:.2f} ms per workbook "
                  f"(campaign set-up {setup:.2f} s; {size / count / 1024:.1f} KiB per workbook)")
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the campaigns in this folder")
    args = parser.parse_args()
    run(args.jobs, args.keep)
