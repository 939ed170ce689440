"""Benchmark: the web page's status board on the national roster (3,321 communes and 34 provinces' units).

Set-up (not timed): the national campaign of bench/collect_nation.py, collected once, an account, and
`xlkpi serve` started in its own process on 127.0.0.1.  Timed:

- the server: GET / (the whole board, every unit's row) and GET /api/board (what a change sends), by an HTTP
  client on the same machine — as the round stands (the board is kept until the round changes) and right after
  a change (the board built again from the ledger);
- the browser (Debian's chromium, headless, through Selenium): from navigation start to the board shown with
  its rows filtered and counted (the page's script has run), for a fresh load; then every unit's row drawn;
- a change reaching another user's open board: an approval made from the command line, until the browser
  shows it without a reload (the board polls every 2 s, so this is at most about 2 s plus the fetch).

    python bench/serve_board.py [--repeat N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

PASSWORD = "bench-password-1"


def ready_campaign(base: Path) -> Path:
    from collect_nation import prepare

    folder = prepare(base)
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect.run import collect
    from xlkpi.web.accounts import add_user, list_users

    campaign = open_campaign(folder)
    if not (folder / "ledger.sqlite").exists() or not list_users(campaign):
        collect(campaign)
        add_user(campaign, "canbo", "leader", PASSWORD)
    return folder


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(folder: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "xlkpi", "serve", "--campaign", str(folder), "--port",
                                str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()
    if "http://" not in line:
        process.kill()
        raise SystemExit(f"serve did not start: {line}{process.stdout.read()}")
    return process


def timed_requests(base: str, folder: Path, repeat: int) -> dict[str, list[float]]:
    """Each path asked ``repeat`` times as the round stands (the board kept since it was built), then — for the
    board's two paths — ``repeat`` times right after a change (an audit entry, as every change writes), so that
    the board is built from the ledger each time."""
    from xlkpi.collect import audit
    from xlkpi.collect import ledger as L

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(urllib.request.Request(f"{base}/login", data=f"username=canbo&password={PASSWORD}".encode(),
                                       method="POST"))

    def changed() -> None:
        connection = L.connect(folder / L.LEDGER_NAME)
        try:
            with L.transaction(connection):
                audit.record(connection, "enter", "bench", who="bench")
        finally:
            connection.close()

    found: dict[str, list[float]] = {}
    for path, after_change in (("/", False), ("/api/board", False), ("/api/version", False), ("/", True),
                               ("/api/board", True)):
        times = []
        for _ in range(repeat):
            if after_change:
                changed()
            started = time.perf_counter()
            body = opener.open(f"{base}{path}").read()
            times.append(time.perf_counter() - started)
        found[f"{path} (after a change)" if after_change else path] = times
        if not after_change:
            found[path + " bytes"] = [len(body)]
    return found


def browser_figures(base: str, folder: Path, repeat: int) -> dict[str, float]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("XLKPI_CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={tempfile.mkdtemp(prefix='xlkpi-bench-chromium-')}",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(os.environ.get("XLKPI_CHROMEDRIVER", "/usr/bin/chromedriver")),
                              options=options)
    try:
        driver.get(f"{base}/login")
        driver.find_element(By.NAME, "username").send_keys("canbo")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        WebDriverWait(driver, 30).until(lambda d: "Đang hiện" in d.find_element(By.ID, "shown").text)
        loads = []
        for _ in range(repeat):
            driver.get(f"{base}/")
            WebDriverWait(driver, 30).until(lambda d: "Đang hiện" in d.find_element(By.ID, "shown").text)
            loads.append(driver.execute_script(
                "const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime;"))
        rows = driver.execute_script("return document.querySelectorAll('#board tbody tr').length")
        # every unit on the page ("Hiện tất cả"), with the layout done
        every = driver.execute_script("""
            const started = performance.now();
            document.getElementById('all').click();
            document.body.offsetHeight;
            return [performance.now() - started, document.querySelectorAll('#board tbody tr').length];""")
        # a change made elsewhere (the CLI, as another officer would) reaching this open board
        code = driver.execute_script(
            "const r = document.querySelector('#board tbody tr[data-review=\"waiting\"]'); return r && r.dataset.code;")
        reached = float("nan")
        if code:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "xlkpi", "approve", code, "--campaign", str(folder)], check=True,
                           capture_output=True)
            WebDriverWait(driver, 30, poll_frequency=0.05).until(lambda d: d.execute_script(
                f"const r = document.querySelector('#board tbody tr[data-code=\"{code}\"]');"
                "return r && r.dataset.review === 'approved';"))
            reached = time.perf_counter() - started
        return {"rows": rows, "load_ms": loads, "change_s": reached, "every": every}
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="keep the national campaign in this folder")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="xlkpi-bench-serve-"))
    base.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    folder = ready_campaign(base)
    print(f"set-up: {time.perf_counter() - started:.1f} s (campaign {folder})")
    port = free_port()
    server = start_server(folder, port)
    url = f"http://127.0.0.1:{port}"
    try:
        for path, times in timed_requests(url, folder, args.repeat).items():
            if path.endswith("bytes"):
                print(f"  {path:<34} {times[0] / 1024:,.0f} KB")
            else:
                print(f"  GET {path:<30} median {statistics.median(times) * 1000:6.0f} ms, worst "
                      f"{max(times) * 1000:6.0f} ms ({len(times)} requests)")
        browser = browser_figures(url, folder, args.repeat)
        loads = browser["load_ms"]
        print(f"  browser: {browser['rows']} rows; board shown (navigation start to load end) median "
              f"{statistics.median(loads):.0f} ms, worst {max(loads):.0f} ms ({len(loads)} loads)")
        print(f"  every unit drawn ({browser['every'][1]} rows, by 'Hiện tất cả'): {browser['every'][0]:.0f} ms more")
        print(f"  an approval from the CLI reached the open board in {browser['change_s']:.2f} s")
    finally:
        server.terminate()
        server.wait(10)
    if re.search(r"xlkpi-bench-serve-", str(base)) and args.keep is None:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
