"""Benchmark: collect a national inbox — one filled workbook from every commune of the nation (3,321).

Set-up (not timed): a campaign of lai-chau-2025 over the official divisions, generate, and a simulated
fill of every workbook into inbox/.  Timed, in a fresh process so that its peak memory is its own:
collect (reading, identity, validation, ledger), then the collection report; and a second collect
on the same inbox (nothing new to do).  This is repeated (--repeat, a new ledger each time), and before
each run the bare unzip of the same files on the same cores is measured (bench/reference.py): the ratio
of the two holds when the machine's speed changes, and gives the target as it stands on the machine now.

    python bench/collect_nation.py [--jobs N] [--repeat N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def prepare(base: Path) -> Path:
    folder = base / "campaign"
    if (folder / "campaign.yaml").exists() and any((folder / "inbox").glob("*.xlsx")):
        return folder  # kept from an earlier run (--keep): the same inbox again
    from xlkpi.forms import layout as F
    from xlkpi.campaign.folder import init_campaign, open_campaign
    from xlkpi.units.divisions import national_roster
    from xlkpi.forms.generate import generate
    from xlkpi.forms.simulate import fill_workbook, plausible_values

    roster = base / "nation.csv"
    national_roster().write(roster, force=True)
    folder = base / "campaign"
    init_campaign(folder, plan="lai-chau-2025", period="2025-Q3", roster=roster, deadline="2025-10-20")
    campaign = open_campaign(folder)
    result = generate(campaign)
    rng = random.Random(2025)
    layouts = {}
    for file in result.files:
        unit = file.unit
        if unit.level not in layouts:
            layouts[unit.level] = F.layout(campaign.plan, unit.level, campaign.target_year)
        values = plausible_values(layouts[unit.level], rng, meet_targets=rng.random() < 0.7)
        (campaign.inbox / file.path.name).write_bytes(fill_workbook(file.path.read_bytes(), values))
    return folder


def measure(folder: Path, jobs: int | None) -> dict:
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect.run import collect
    from xlkpi.collect.report import write_collection_report
    from xlkpi.collect import ledger as L

    campaign = open_campaign(folder)
    t0 = time.perf_counter()
    result = collect(campaign, jobs=jobs, reports=False)
    t1 = time.perf_counter()
    connection = L.connect(folder / L.LEDGER_NAME)
    write_collection_report(campaign, connection, result.status)
    connection.close()
    t2 = time.perf_counter()
    again = collect(campaign, jobs=jobs, reports=False)
    t3 = time.perf_counter()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"files": result.files_seen, "accepted": result.states.get("accepted", 0), "collect": t1 - t0,
            "report": t2 - t1, "again": t3 - t2, "again_new": again.new_contents,
            "peak_mb": max(own, children) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the campaign in this folder")
    parser.add_argument("--repeat", type=int, default=3, help="collect runs, each on a new ledger (default: 3)")
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.jobs)))
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="xlkpi-bench-"))
    try:
        t0 = time.perf_counter()
        folder = prepare(base)
        prepared = time.perf_counter() - t0
        command = [sys.executable, __file__, "--measure", str(folder)] + (["--jobs", str(args.jobs)] if args.jobs else [])
        print(f"set-up (generate + simulated fill, not timed): {prepared:.1f} s")
        from reference import UNZIP_WHEN_TARGETS_WERE_SET as THEN, unzip_ms_per_file

        runs = []
        # earlier ledgers are moved aside, and deleted only after the last run: on this machine's file system
        # (ext4 mounted with discard) writing goes slowly for many seconds after megabytes were deleted
        aside = base / "earlier-ledgers"
        aside.mkdir(exist_ok=True)
        for run in range(args.repeat):
            for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
                if (folder / name).exists():
                    (folder / name).replace(aside / f"{run}-{name}")
            unzip_ms = unzip_ms_per_file(folder / "inbox")
            figures = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            n = figures["files"]
            collect_ms = 1000 * figures["collect"] / n
            runs.append((collect_ms, unzip_ms))
            print(f"collect: {n} files ({figures['accepted']} accepted) in {figures['collect']:.2f} s = "
                  f"{collect_ms:.3f} ms per file; bare unzip {unzip_ms:.3f} ms per file; ratio {collect_ms / unzip_ms:.2f}")
            print(f"  collection report workbook: {figures['report']:.2f} s; collect again, same inbox: "
                  f"{figures['again']:.2f} s ({figures['again_new']} new); peak memory (largest of the collecting "
                  f"process and its workers): {figures['peak_mb']:.0f} MB")
        best = min(runs)
        ratio = statistics.median(c / u for c, u in runs)
        print(f"best collect: {best[0]:.3f} ms per file; median ratio to the bare unzip: {ratio:.2f} "
              f"(on the machine where the unzip took {THEN} ms: {ratio * THEN:.3f} ms per file)")
    finally:
        shutil.rmtree(base / "earlier-ledgers", ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
