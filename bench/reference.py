"""A reference for a noisy machine: the bare unzip of a folder of returned workbooks.

Every part of every .xlsx file under a folder is read with :mod:`zipfile`, in a pool of processes (one
per core) — the least any reader of those files has to do; the best of three runs counts.  The benchmarks measure it in the same run as
xlkpi's own steps and print the ratio, which holds when the machine's speed changes from hour to hour
(a shared 2-core machine here has varied by 2× between runs).  Issue 13 stated its targets on a machine
where this took 0.13 ms per file of the national inbox (3,321 returns) on 2 cores, so a target of T
seconds then is T × (unzip now / 0.13 ms) on the machine as it is now.

    python bench/reference.py FOLDER
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

#: the bare unzip of the national inbox, ms per file on 2 cores, when issue 13 set its targets
UNZIP_WHEN_TARGETS_WERE_SET = 0.13


def _unzip(paths: list[str]) -> int:
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                archive.read(name)
    return len(paths)


def bare_unzip(folder: Path, jobs: int | None = None) -> tuple[int, float]:
    """(files, seconds) to read every part of every .xlsx under ``folder`` on ``jobs`` processes."""
    from xlkpi.common.workers import context

    paths = sorted(str(p) for p in Path(folder).rglob("*.xlsx"))
    chunks = [paths[i:i + 64] for i in range(0, len(paths), 64)]
    started = time.perf_counter()
    with context().Pool(jobs or os.cpu_count() or 1) as pool:
        files = sum(pool.map(_unzip, chunks))
    return files, time.perf_counter() - started


def unzip_ms_per_file(folder: Path) -> float:
    """The bare unzip of ``folder``, ms per file, measured in a fresh process (as each benchmark step is)."""
    output = subprocess.run([sys.executable, __file__, str(folder)], check=True, capture_output=True, text=True).stdout
    return float(output.split(" = ")[1].split()[0])


def scale_now(unzip_ms_per_file: float) -> float:
    """How much slower (> 1) or faster the machine is now than when the targets were set."""
    return unzip_ms_per_file / UNZIP_WHEN_TARGETS_WERE_SET


if __name__ == "__main__":
    # the least of three runs: the machine's speed, with the files in the system's cache
    count, seconds = min((bare_unzip(Path(sys.argv[1])) for _ in range(3)), key=lambda run: run[1])
    print(f"bare unzip: {count} files in {seconds:.2f} s = {1000 * seconds / max(1, count):.3f} ms per file")
