"""Benchmark: the whole cycle for every commune of the nation, and how it grows.

For each scale (1 = the 3,321 communes of the official divisions; 10 and 30 = that many copies of each
commune under the same 34 provinces, with synthetic codes) it runs, each step in a fresh process:
init + generate, the simulated fill (not counted in the total), collect, consolidate; and prints each
step's wall time, ms per unit and peak memory, and the total without the fill.

At the scales given by --baseline (default: 1) the same job is also done the straightforward way with
openpyxl (bench/openpyxl_pipeline.py: write the forms, read the returns, write the consolidated
workbook), in the same run, and the ratio printed: a figure that holds on a noisy machine.  After the
fill, the bare unzip of the returns is measured too (bench/reference.py), and the total is also given
as it would be on the machine where issue 13 set its targets.

    python bench/cycle_nation.py                 # the nation
    python bench/cycle_nation.py --scales 1,10,30
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = ("generate", "fill", "collect", "consolidate")
BASELINE = ("openpyxl-generate", "openpyxl-collect", "openpyxl-consolidate")


def roster(base: Path, scale: int) -> Path:
    from xlkpi.units.divisions import national_roster
    from xlkpi.units.roster import Roster, Unit

    nation = national_roster()
    units = []
    for unit in nation.units:
        if unit.level == "tinh" or scale == 1:
            units.append(unit)
        else:
            units.extend(Unit(f"{unit.code}{n:02d}", f"{unit.name} ({n})", unit.level, unit.parent)
                         for n in range(scale))
    path = base / f"roster-{scale}.csv"
    Roster(units).write(path, force=True)
    return path


def _fill_one(args: tuple[str, str, int]) -> None:
    from xlkpi.forms import layout as F
    from xlkpi.forms.fill import fill_workbook
    from xlkpi.plan.model import load_plan
    from xlkpi.forms.simulate import plausible_values

    source, target, seed = args
    layout = _LAYOUT.get("xa")
    if layout is None:
        layout = _LAYOUT["xa"] = F.layout(load_plan("lai-chau-2025"), "xa", 2025)
    rng = random.Random(seed)
    values = plausible_values(layout, rng, meet_targets=rng.random() < 0.7)
    Path(target).write_bytes(fill_workbook(Path(source).read_bytes(), values))


_LAYOUT: dict = {}


def step(name: str, folder: Path, roster_path: Path) -> dict:
    from xlkpi.campaign.folder import init_campaign, open_campaign

    t0 = time.perf_counter()
    if name == "generate":
        from xlkpi.forms.generate import generate

        init_campaign(folder, plan="lai-chau-2025", period="2025-Q3", roster=roster_path, deadline="2025-10-20")
        units = len(generate(open_campaign(folder)).files)
    elif name == "fill":
        campaign = open_campaign(folder)
        work = [(str(p), str(campaign.inbox / p.name), n) for n, p in enumerate(sorted(campaign.outbox.glob("*.xlsx")))]
        from xlkpi.common.workers import context

        with context().Pool() as pool:
            pool.map(_fill_one, work, chunksize=64)
        units = len(work)
    elif name == "collect":
        from xlkpi.collect.run import collect

        units = collect(open_campaign(folder), reports=False).files_seen
    elif name.startswith("openpyxl-"):
        import openpyxl_pipeline as O

        campaign = open_campaign(folder)
        if name == "openpyxl-generate":
            units = O.generate(campaign, folder.parent / f"{folder.name}-openpyxl")
        elif name == "openpyxl-collect":
            units = O.collect(campaign, folder.parent / f"{folder.name}-openpyxl.sqlite")
        else:
            units = O.consolidate(campaign, folder.parent / f"{folder.name}-openpyxl.sqlite",
                                  folder.parent / f"{folder.name}-openpyxl-phu-luc.xlsx")
    else:
        from xlkpi.report.consolidate import consolidate

        result = consolidate(open_campaign(folder))
        units = sum(1 for u in result.status.units if u.sha256)
    seconds = time.perf_counter() - t0
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"seconds": seconds, "units": units, "peak_mb": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1", help="comma-separated multiples of the nation (default: 1)")
    parser.add_argument("--baseline", default="1", help="scales at which the openpyxl pipeline runs too ('' for none)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the campaigns in this folder")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--roster", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.folder, args.roster)))
        return
    base = args.keep or Path(tempfile.mkdtemp(prefix="xlkpi-cycle-"))
    try:
        print(f"{'scale':>5} {'step':<20} {'units':>7} {'wall s':>8} {'ms/unit':>8} {'peak MB':>8}")
        for scale in (int(s) for s in args.scales.split(",")):
            roster_path = roster(base, scale)
            folder = base / f"campaign-{scale}"
            if folder.exists():
                shutil.rmtree(folder)
            total = baseline = 0.0
            baseline_scales = {int(s) for s in args.baseline.split(",") if s.strip()}
            for name in STEPS + (BASELINE if scale in baseline_scales else ()):
                command = [sys.executable, __file__, "--step", name, "--folder", str(folder), "--roster", str(roster_path)]
                figures = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
                if name in BASELINE:
                    baseline += figures["seconds"]
                elif name != "fill":
                    total += figures["seconds"]
                print(f"{scale:>5} {name:<20} {figures['units']:>7} {figures['seconds']:>8.2f} "
                      f"{1000 * figures['seconds'] / max(1, figures['units']):>8.3f} {figures['peak_mb']:>8.0f}")
                if name == "fill":
                    from reference import unzip_ms_per_file

                    unzip_ms = unzip_ms_per_file(folder / "inbox")
                    print(f"{scale:>5} {'(bare unzip)':<20} {figures['units']:>7} "
                          f"{unzip_ms * figures['units'] / 1000:>8.2f} {unzip_ms:>8.3f}")
            print(f"{scale:>5} {'total':<20} {'':>7} {total:>8.2f}   (generate + collect + consolidate)")
            from reference import scale_now, UNZIP_WHEN_TARGETS_WERE_SET as THEN

            slower = scale_now(unzip_ms)
            print(f"{scale:>5} {'total, scaled':<20} {'':>7} {total / slower:>8.2f}   (the bare unzip took "
                  f"{unzip_ms:.3f} ms per file, {slower:.2f}× the {THEN} ms when the targets were set)")
            if baseline:
                print(f"{scale:>5} {'openpyxl total':<20} {'':>7} {baseline:>8.2f}   "
                      f"(the same job with openpyxl: xlkpi is {baseline / total:.1f}× faster)")
            if args.keep is None:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
