"""The web page in a real browser: Debian's Chromium driven by Selenium against `xlkpi serve` in its own process.

One round, in the order an office works through it: an officer logs in, uploads five returns and watches their
states; another user's approval reaches the open board by itself; approve and return from a unit's page; the
leader locks, a file sent after the lock changes nothing, the leader reopens with a reason; the appendix is
downloaded; the log shows who did what. And the refusals: no login, an officer's forged lock, a request without
the CSRF token, a path out of the downloads, a hostile file, a unit name with HTML in it.

Screenshots of each page are written to a temporary folder (XLKPI_SCREENSHOTS=DIR keeps them there, as
docs/web/ holds them).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.hostile import FORM, crc_of, patch_member
from tests.test_collect import filled
from tests.test_web import PASSWORDS, make_round
from xlkpi.cli import cli
from xlkpi.collect.status import open_status
from xlkpi.common.files import file_sha256

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("XLKPI_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("XLKPI_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def chromium() -> tuple[str, str]:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("chromium and chromium-driver are required in CI: .ci/run installs them")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The round, and `xlkpi serve` on a free port of 127.0.0.1 in its own process."""
    base = tmp_path_factory.mktemp("web-browser")
    campaign = make_round(base)
    returns = base / "returns"
    returns.mkdir()
    for code in ("03388", "03394", "03405", "03408"):
        (returns / f"{code}.xlsx").write_bytes(filled(campaign, code))
    (returns / "03424.xlsx").write_bytes(filled(campaign, "03424", {"F10": 980, "F11": 870}))
    (returns / "03424-sua.xlsx").write_bytes(filled(campaign, "03424"))
    (returns / "03390.xlsx").write_bytes(filled(campaign, "03390"))
    good = filled(campaign, "03390")
    (returns / "hong.xlsx").write_bytes(patch_member(good, FORM, crc=crc_of(good, FORM) ^ 0xFFFF))
    with serving(campaign) as url:
        yield campaign, url, returns


@contextmanager
def serving(campaign):
    """`xlkpi serve` on the round, on a free port of 127.0.0.1, in its own process: its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "xlkpi", "serve", "--campaign", str(campaign.directory),
                               "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              encoding="utf-8")
    line = server.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line, line + server.stdout.read()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(20)


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    downloads = tmp_path_factory.mktemp("downloads")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-quic", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                     "--window-size=1366,900", "--lang=vi"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(chromium[1]), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


SHOTS = Path(os.environ.get("XLKPI_SCREENSHOTS") or tempfile.mkdtemp(prefix="xlkpi-web-shots-"))


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return Math.min(document.body.scrollHeight, 1800)")
    driver.set_window_size(1366, max(700, height + 20))
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.set_window_size(1366, 900)


def wait(driver, condition, seconds: float = 20):
    """Until the condition holds; an element replaced meanwhile (a page loading, the board redrawn) is looked up
    again at the next try."""
    return WebDriverWait(driver, seconds, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def page_text(driver) -> str:
    return " ".join(driver.find_element(By.TAG_NAME, "body").text.split())


def shows(driver, *texts: str, seconds: float = 30) -> str:
    """The page's text once it shows every one of ``texts`` (after a click that sends a form, the next page)."""
    wait(driver, lambda d: all(text in page_text(d) for text in texts), seconds)
    return page_text(driver)


def log_in(driver, url: str, name: str) -> None:
    driver.get(f"{url}/login")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[name])
    driver.find_element(By.CSS_SELECTOR, "section.login button[type=submit]").click()
    wait(driver, lambda d: "Đang hiện" in d.find_element(By.ID, "shown").text)


def log_out(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "form.who button").click()
    wait(driver, lambda d: "/login" in d.current_url)


def row_text(driver, code: str) -> str:
    """A unit's row on the board as shown (read in one step: the board redraws its rows when the round changes)."""
    return driver.execute_script(
        "const row = document.querySelector(`#board tbody tr[data-code=\"${arguments[0]}\"]`);"
        "return row ? row.innerText : '';", code)


def cell_texts(driver, code: str) -> list[str]:
    return driver.execute_script(
        "const row = document.querySelector(`#board tbody tr[data-code=\"${arguments[0]}\"]`);"
        "return row ? Array.from(row.cells, cell => cell.textContent) : [];", code)


def upload(driver, *paths: Path) -> str:
    driver.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in paths))
    wait(driver, lambda d: d.current_url.endswith("/upload/result")
         and d.execute_script("return document.readyState") == "complete", 120)
    return shows(driver, "Kết quả tải lên")


def csrf_fetch(driver, path: str, body: str, with_token: bool = True) -> int:
    """A POST made by the page's own origin with fetch(): the status the server answers."""
    return driver.execute_async_script("""
        const [path, body, withToken, done] = arguments;
        const token = document.querySelector('input[name=csrf_token]').value;
        const headers = {'Content-Type': 'application/x-www-form-urlencoded'};
        fetch(path, {method: 'POST', headers, body: body + (withToken ? '&csrf_token=' + token : ''),
                     redirect: 'manual', credentials: 'same-origin'}).then(r => done(r.status));
    """, path, body, with_token)


def test_without_a_login_every_page_sends_the_browser_to_the_login_form(office, browser):
    _, url, _ = office
    for path in ("/", "/log", "/downloads", "/unit/03388"):
        browser.get(url + path)
        assert browser.current_url.startswith(f"{url}/login?next="), path
    assert "Đăng nhập" in page_text(browser)
    shot(browser, "dang-nhap")
    browser.find_element(By.NAME, "username").send_keys("canbo")
    browser.find_element(By.NAME, "password").send_keys("khong-dung")
    browser.find_element(By.CSS_SELECTOR, "section.login button[type=submit]").click()
    shows(browser, "Tên đăng nhập hoặc mật khẩu không đúng")


def test_an_officer_uploads_five_returns_and_watches_their_states(office, browser):
    campaign, url, returns = office
    log_in(browser, url, "canbo")
    assert browser.find_element(By.ID, "shown").text == "Đang hiện 6/6 đơn vị"
    shown = upload(browser, *(returns / f"{code}.xlsx" for code in ("03388", "03394", "03405", "03408", "03424")))
    assert shown.count("Tiếp nhận") == 4 and "03424.xlsx Bị từ chối" in shown
    assert re.search(r"03424.xlsx Bị từ chối .*Nhập liệu![A-Z]+[0-9]+", shown), shown  # the cell is named
    shot(browser, "ket-qua-tai-len")
    saved = sorted((campaign.inbox / "web").rglob("*.xlsx"))
    assert {p.name for p in saved} == {f"{c}.xlsx" for c in ("03388", "03394", "03405", "03408", "03424")}
    assert all(file_sha256(p) == file_sha256(returns / p.name) for p in saved)  # kept as sent
    browser.find_element(By.LINK_TEXT, "← Bảng theo dõi").click()
    wait(browser, lambda d: "Đang hiện" in d.find_element(By.ID, "shown").text)
    assert "Chờ duyệt" in row_text(browser, "03388") and "Phải nộp lại" in row_text(browser, "03424")
    assert "Chưa nộp" in row_text(browser, "03390")
    Select(browser.find_element(By.ID, "filter")).select_by_value("waiting")
    assert browser.find_element(By.ID, "shown").text == "Đang hiện 4/4 đơn vị (trong 6)"
    Select(browser.find_element(By.ID, "filter")).select_by_value("")
    browser.find_element(By.ID, "search").send_keys("03424")
    assert browser.find_element(By.ID, "shown").text == "Đang hiện 1/1 đơn vị (trong 6)"
    browser.find_element(By.ID, "search").clear()
    browser.find_element(By.ID, "search").send_keys(" ")  # input event: the filter is cleared
    browser.find_element(By.CSS_SELECTOR, 'th button[data-key="problems"]').click()
    browser.find_element(By.CSS_SELECTOR, 'th button[data-key="problems"]').click()
    assert browser.execute_script("return document.querySelector('#board tbody tr').dataset.code") == "03424"
    shot(browser, "bang-theo-doi")


def test_another_users_approval_reaches_the_open_board_without_a_reload(office, browser):
    campaign, url, _ = office
    browser.execute_script("window.__noReload = true")
    result = CliRunner().invoke(cli, ["approve", "03388", "--campaign", str(campaign.directory)])
    assert result.exit_code == 0, result.output
    started = time.monotonic()
    wait(browser, lambda d: "Đã duyệt" in row_text(d, "03388"), 10)
    assert time.monotonic() - started < 5
    assert browser.execute_script("return window.__noReload") is True
    assert "đã duyệt 1, chờ duyệt 3" in page_text(browser)


def test_approve_and_return_from_a_units_page(office, browser):
    campaign, url, _ = office
    browser.get(f"{url}/unit/03394")
    assert "Số liệu" in page_text(browser) and "Tỷ lệ" in page_text(browser)
    shot(browser, "don-vi")
    browser.find_element(By.NAME, "reason").send_keys("Số hồ sơ trực tuyến chưa khớp Cổng dịch vụ công")
    browser.find_element(By.CSS_SELECTOR, "form.reason button").click()
    shows(browser, "Đã trả lại 1 đơn vị: 03394", "Lý do trả lại: Số hồ sơ trực tuyến chưa khớp")
    browser.get(f"{url}/unit/03405")
    browser.find_element(By.XPATH, "//button[text()='Duyệt báo cáo này']").click()
    shows(browser, "Đã duyệt 1 đơn vị: 03405")
    browser.get(f"{url}/")
    browser.find_element(By.XPATH, "//button[text()='Duyệt mọi báo cáo không có cảnh báo']").click()
    shows(browser, "Đã duyệt 1 đơn vị: 03408")
    review = {u.unit.code: u.review for u in open_status(campaign).units}
    assert review == {"03388": "approved", "03390": None, "03394": "returned", "03405": "approved",
                      "03408": "approved", "03424": None}


def test_an_officer_cannot_lock_and_a_request_without_the_token_is_refused(office, browser):
    campaign, url, _ = office
    browser.get(f"{url}/")
    assert not browser.find_elements(By.XPATH, "//button[text()='Chốt số liệu']")
    assert csrf_fetch(browser, "/lock", "reason=khong-duoc") == 403
    assert csrf_fetch(browser, "/unit/03424/approve", "", with_token=False) == 403
    assert open_status(campaign).lock is None


def test_the_leader_locks_a_later_file_changes_nothing_and_the_leader_reopens_with_a_reason(office, browser):
    campaign, url, returns = office
    log_out(browser)
    log_in(browser, url, "lanhdao")
    browser.find_element(By.CSS_SELECTOR, 'form[action="/lock"] input[name=reason]').send_keys("Đủ số liệu quý III")
    browser.find_element(By.XPATH, "//button[text()='Chốt số liệu']").click()
    shows(browser, "Đã chốt số liệu", "Số liệu đã chốt", seconds=120)
    shot(browser, "da-chot")
    locked = open_status(campaign)
    assert locked.lock.decided_by == "lanhdao" and locked.with_data == 3
    shown = upload(browser, returns / "03424-sua.xlsx")
    assert "Tiếp nhận" in shown
    browser.get(f"{url}/")
    wait(browser, lambda d: "gửi sau khi chốt" in row_text(d, "03424"))
    assert open_status(campaign).with_data == 3  # the locked figures stand
    browser.find_element(By.CSS_SELECTOR, 'form[action="/reopen"] input[name=reason]').send_keys(
        "Xã Số 03424 gửi bản sửa, cần tổng hợp lại")
    browser.find_element(By.XPATH, "//button[text()='Mở lại đợt']").click()
    shows(browser, "Đã mở lại đợt")
    assert open_status(campaign).lock is None


def test_the_appendix_is_downloaded_and_nothing_outside_the_outputs_is_served(office, browser):
    campaign, url, _ = office
    browser.get(f"{url}/downloads")
    appendix = f"{campaign.plan.id}-2025-q3-phu-luc.xlsx"
    shot(browser, "tai-ve")
    browser.find_element(By.LINK_TEXT, appendix).click()
    target = browser.downloads / appendix
    wait(browser, lambda d: target.exists() and not list(browser.downloads.glob("*.crdownload")), 30)
    assert target.read_bytes() == (campaign.reports / appendix).read_bytes()
    for path in ("/download/reports/..%2F.xlkpi-secret", "/download/reports/..%2Fledger.sqlite",
                 "/download/forms/..%2F..%2Fcampaign.yaml", "/static/..%2F..%2Fledger.sqlite"):
        browser.get(url + path)
        assert "SQLite" not in browser.page_source and "password" not in browser.page_source
        assert "Không" in page_text(browser), path


def test_the_log_says_who_did_what_and_why(office, browser):
    _, url, _ = office
    browser.get(f"{url}/log")
    text = page_text(browser)
    assert "Nhật ký nguyên vẹn" in text
    for expected in ("canbo tải tệp lên", "canbo thu nhận", "canbo trả lại 03394 Số hồ sơ trực tuyến chưa khớp",
                     "lanhdao chốt số liệu", "Đủ số liệu quý III", "lanhdao mở lại",
                     "Xã Số 03424 gửi bản sửa, cần tổng hợp lại", "quantri thêm tài khoản lanhdao"):
        assert expected in text, expected
    shot(browser, "nhat-ky")


def test_a_hostile_file_is_refused_and_a_unit_name_with_html_is_shown_as_text(office, browser):
    campaign, url, returns = office
    browser.get(f"{url}/")
    shown = upload(browser, returns / "hong.xlsx", returns / "03390.xlsx")
    assert re.search(r"hong\.xlsx Bị từ chối .*(hỏng|lỗi)", shown), shown
    assert 'Xã <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> Lả' in shown
    browser.get(f"{url}/")
    browser.find_element(By.ID, "search").send_keys("Lả")
    wait(browser, lambda d: d.find_element(By.ID, "shown").text.startswith("Đang hiện 1/1"))
    assert cell_texts(browser, "03390")[1].startswith("Xã <img src=x")
    assert not browser.find_elements(By.CSS_SELECTOR, "#board img, #board script")
    browser.get(f"{url}/unit/03390")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Xã <img src=x")
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    try:
        wait(browser, lambda d: d.execute_script("return typeof window.__pwned") != "undefined", 1)
        pytest.fail("the unit's name ran as a script")
    except TimeoutException:
        pass


@pytest.fixture(scope="module")
def nation(tmp_path_factory):
    """A round of every commune of the nation (3,321; the provinces report nothing of this plan), one return, and
    `xlkpi serve` on it."""
    from xlkpi.campaign.folder import init_campaign, open_campaign
    from xlkpi.collect.run import collect
    from xlkpi.forms.generate import generate
    from xlkpi.units.divisions import national_roster
    from xlkpi.web.accounts import add_user

    base = tmp_path_factory.mktemp("web-nation")
    national_roster().write(base / "ca-nuoc.csv")
    init_campaign(base / "dot", plan="lai-chau-2025", period="2025-Q3", roster=base / "ca-nuoc.csv",
                  deadline="20/10/2025")
    campaign = open_campaign(base / "dot")
    first = next(u for u in campaign.roster.units if u.level == "xa")
    generate(campaign, units=[first.code], jobs=1)
    (campaign.inbox / "mot-xa.xlsx").write_bytes(filled(campaign, first.code))
    collect(campaign, jobs=1)
    add_user(campaign, "canbo", "officer", PASSWORDS["canbo"])
    with serving(campaign) as url:
        yield campaign, url, first.code


def test_the_national_board_draws_a_page_at_a_time_and_a_change_redraws_only_its_row(nation, browser):
    campaign, url, code = nation
    started = time.monotonic()
    log_in(browser, url, "canbo")
    total = len([u for u in campaign.roster.units if u.level in campaign.plan.reporting_levels])
    assert total >= 3321 and time.monotonic() - started < 15
    assert browser.find_element(By.ID, "shown").text == f"Đang hiện 400/{total} đơn vị"
    browser.find_element(By.ID, "more").click()
    assert browser.find_element(By.ID, "shown").text == f"Đang hiện 800/{total} đơn vị"
    browser.find_element(By.ID, "all").click()
    assert browser.find_element(By.ID, "shown").text == f"Đang hiện {total}/{total} đơn vị"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#board tbody tr")) == total
    assert not browser.find_element(By.ID, "more").is_displayed()
    browser.execute_script("document.querySelector('#board tbody tr:last-child').dataset.mark = 'kept'")
    CliRunner().invoke(cli, ["approve", code, "--campaign", str(campaign.directory)])
    wait(browser, lambda d: "Đã duyệt" in row_text(d, code), 10)
    # the other rows were left as they were drawn
    assert browser.execute_script("return document.querySelector('#board tbody tr:last-child').dataset.mark") == "kept"
    browser.find_element(By.ID, "search").send_keys(code)
    assert browser.find_element(By.ID, "shown").text == f"Đang hiện 1/1 đơn vị (trong {total})"
    # a province's communes, by the province's name typed without diacritics
    hanoi = [u for u in campaign.roster.units if u.parent == "01" and u.level == "xa"]
    assert len(hanoi) > 100
    browser.find_element(By.ID, "search").clear()
    browser.find_element(By.ID, "search").send_keys("thanh pho ha noi")
    assert browser.find_element(By.ID, "shown").text == f"Đang hiện {len(hanoi)}/{len(hanoi)} đơn vị (trong {total})"
