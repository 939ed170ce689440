"""The office's web page, request by request (Starlette's test client): logins and roles, the CSRF token, uploads
collected at once, downloads limited to the round's outputs, a unit's text escaped, and the accounts' command."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import time
import zipfile

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.test_collect import MADE, filled
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.cli import cli
from xlkpi.collect import audit
from xlkpi.collect import ledger as L
from xlkpi.collect.status import open_status
from xlkpi.forms.generate import generate
from xlkpi.web import views
from xlkpi.web.accounts import add_user
from xlkpi.web.app import create_app

HOSTILE_NAME = 'Xã <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> Lả'
UNITS = ("03388", "03390", "03394", "03405", "03408", "03424")
PASSWORDS = {"canbo": "mat-khau-can-bo", "lanhdao": "mat-khau-lanh-dao"}


def make_round(folder):
    """A round of six communes (one named with HTML in it), approved returns only, with an officer and a leader."""
    folder.mkdir(parents=True, exist_ok=True)
    roster = folder / "don-vi.csv"
    roster.write_text("code,name,level\n" + "".join(
        f'{code},"{(HOSTILE_NAME if code == "03390" else "Xã Số " + code).replace(chr(34), chr(34) * 2)}",xa\n'
        for code in UNITS), encoding="utf-8")
    init_campaign(folder / "dot", plan="lai-chau-2025", period="2025-Q3", roster=roster, deadline="20/10/2025",
                  now=MADE, approved_only=True)
    campaign = open_campaign(folder / "dot")
    generate(campaign, jobs=1)
    add_user(campaign, "canbo", "officer", PASSWORDS["canbo"], who="quantri")
    add_user(campaign, "lanhdao", "leader", PASSWORDS["lanhdao"], who="quantri")
    return campaign


@pytest.fixture(scope="module")
def template_round(tmp_path_factory):
    return make_round(tmp_path_factory.mktemp("web"))


@pytest.fixture
def campaign(template_round, tmp_path):
    import shutil

    shutil.copytree(template_round.directory, tmp_path / "dot")
    return open_campaign(tmp_path / "dot")


@pytest.fixture
def app(campaign):
    return create_app(campaign.directory)


def client(app, **options) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False, **options)


def logged_in(app, name="canbo") -> tuple[TestClient, str]:
    browser = client(app)
    answer = browser.post("/login", data={"username": name, "password": PASSWORDS[name]})
    assert answer.status_code == 303, answer.text
    page = browser.get("/")
    assert page.status_code == 200
    return browser, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def texts(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def audit_entries(campaign):
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        return audit.entries(connection)
    finally:
        connection.close()


def upload(browser, csrf, files):
    return browser.post("/upload", data={"csrf_token": csrf},
                        files=[("files", (name, data, "application/octet-stream")) for name, data in files])


# -- logins, roles, sessions -------------------------------------------------------------------------------------


def test_every_page_and_action_needs_a_login(app, campaign):
    anonymous = client(app)
    for path in ("/", "/unit/03388", "/log", "/downloads", "/download/reports/x.xlsx", "/upload/result"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
    for path in ("/api/status", "/api/version", "/api/board"):
        assert anonymous.get(path).status_code == 401, path
    for path in ("/approve-clean", "/lock", "/reopen", "/consolidate", "/upload", "/unit/03388/approve"):
        answer = anonymous.post(path, data={"reason": "x"})
        assert answer.status_code == 401 and "đăng nhập" in answer.text, path
    assert audit_entries(campaign)[-1].action == "user-add"  # nothing happened


def test_a_wrong_password_is_refused_and_many_lock_the_name_for_a_while(app):
    browser = client(app)
    answer = browser.post("/login", data={"username": "canbo", "password": "sai-mat-khau"})
    assert answer.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng" in answer.text
    assert "xlkpi_session" not in answer.cookies
    unknown = browser.post("/login", data={"username": "khongco", "password": "sai-mat-khau"})
    assert unknown.status_code == 401 and "không đúng" in unknown.text  # the same words: no name is confirmed
    for _ in range(4):
        browser.post("/login", data={"username": "canbo", "password": "sai-mat-khau"})
    blocked = browser.post("/login", data={"username": "canbo", "password": PASSWORDS["canbo"]})
    assert blocked.status_code == 429 and "15 phút" in blocked.text
    assert client(app).post("/login", data={"username": "lanhdao", "password": PASSWORDS["lanhdao"]}).status_code == 303


def test_the_login_goes_back_to_the_page_asked_for_and_never_elsewhere(app):
    browser = client(app)
    answer = browser.post("/login", data={"username": "canbo", "password": PASSWORDS["canbo"], "next": "/log"})
    assert answer.headers["location"] == "/log"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        answer = client(app).post("/login", data={"username": "canbo", "password": PASSWORDS["canbo"],
                                                  "next": target})
        assert answer.headers["location"] == "/", target


def test_a_login_posted_from_another_site_is_refused(app):
    answer = client(app).post("/login", data={"username": "canbo", "password": PASSWORDS["canbo"]},
                              headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403 and "xlkpi_session" not in answer.cookies


def test_a_state_changing_request_without_the_sessions_csrf_token_is_refused(app, campaign):
    browser, csrf = logged_in(app)
    upload(browser, csrf, [("03388.xlsx", filled(campaign, "03388"))])
    before = len(audit_entries(campaign))
    for data in ({}, {"csrf_token": ""}, {"csrf_token": csrf[:-2] + "xx"}):
        answer = browser.post("/approve-clean", data=data)
        assert answer.status_code == 403 and "CSRF" in answer.text
    other, other_csrf = logged_in(app, "lanhdao")
    assert other_csrf != csrf
    assert browser.post("/approve-clean", data={"csrf_token": other_csrf}).status_code == 403
    assert len(audit_entries(campaign)) == before
    assert open_status(campaign).review_counts()["approved"] == 0
    assert browser.post("/approve-clean", data={"csrf_token": csrf}).status_code == 303
    assert open_status(campaign).review_counts()["approved"] == 1


def test_an_officer_approves_and_returns_but_only_a_leader_locks_and_reopens(app, campaign):
    officer, csrf = logged_in(app)
    upload(officer, csrf, [(f"{code}.xlsx", filled(campaign, code)) for code in ("03388", "03394")])
    assert "Chốt số liệu" not in officer.get("/").text
    refused = officer.post("/lock", data={"csrf_token": csrf, "reason": "đủ số liệu"})
    assert refused.status_code == 403 and "Chỉ lãnh đạo" in refused.text
    assert officer.post("/unit/03388/approve", data={"csrf_token": csrf}).status_code == 303
    missing_reason = officer.post("/unit/03394/return", data={"csrf_token": csrf, "reason": "  "})
    assert missing_reason.status_code == 303
    assert "Cần ghi lý do" in texts(officer.get("/unit/03394").text)  # said on the unit's page, nothing done
    officer.post("/unit/03394/return", data={"csrf_token": csrf, "reason": "Số <b>hồ sơ</b> chưa khớp"})
    page = officer.get("/unit/03394").text
    assert "Bị trả lại" in page and "Số &lt;b&gt;hồ sơ&lt;/b&gt; chưa khớp" in page
    leader, leader_csrf = logged_in(app, "lanhdao")
    assert "Chốt số liệu" in leader.get("/").text
    assert leader.post("/lock", data={"csrf_token": leader_csrf, "reason": "Đủ số liệu quý III"}).status_code == 303
    status = open_status(campaign)
    assert status.lock is not None and status.lock.decided_by == "lanhdao" and status.with_data == 1
    assert "Số liệu đã chốt" in leader.get("/").text
    after = officer.post("/unit/03394/approve", data={"csrf_token": csrf})
    assert after.status_code == 303 and "đã được chốt" in texts(officer.get("/unit/03394").text)
    assert leader.post("/reopen", data={"csrf_token": leader_csrf, "reason": ""}).status_code == 303
    assert open_status(campaign).lock is not None
    leader.post("/reopen", data={"csrf_token": leader_csrf, "reason": "Sở Nội vụ gửi bổ sung"})
    assert open_status(campaign).lock is None
    kinds = [(e.action, e.who, e.target) for e in audit_entries(campaign)]
    assert ("approve", "canbo", "03388") in kinds and ("return", "canbo", "03394") in kinds
    assert ("lock", "lanhdao", campaign.id) in kinds and ("reopen", "lanhdao", campaign.id) in kinds


def test_sessions_end_when_idle_and_when_the_account_is_closed(app, campaign):
    browser, _ = logged_in(app)
    app.app.state.site.sessions.idle = 0.2
    time.sleep(0.3)
    assert browser.get("/").headers["location"] == "/login?next=/"
    app.app.state.site.sessions.idle = 1800
    browser, _ = logged_in(app)
    result = CliRunner().invoke(cli, ["user", "remove", "canbo", "--campaign", str(campaign.directory)])
    assert result.exit_code == 0, result.output
    assert browser.get("/").status_code == 303
    assert client(app).post("/login", data={"username": "canbo", "password": PASSWORDS["canbo"]}).status_code == 401


def test_the_boards_polling_does_not_keep_an_idle_session_alive(app):
    browser, _ = logged_in(app)
    app.app.state.site.sessions.idle = 0.5
    for _ in range(4):
        time.sleep(0.2)
        browser.get("/api/version")
    assert browser.get("/api/version").status_code == 401
    assert browser.get("/").headers["location"] == "/login?next=/"


def test_logging_out_ends_the_session(app):
    browser, csrf = logged_in(app)
    token = browser.cookies["xlkpi_session"]
    assert browser.post("/logout", data={"csrf_token": csrf}).headers["location"] == "/login"
    stolen = client(app)
    stolen.cookies.set("xlkpi_session", token)
    assert stolen.get("/").status_code == 303


# -- uploads ------------------------------------------------------------------------------------------------------


def test_an_upload_is_kept_as_sent_and_collected_at_once(app, campaign):
    browser, csrf = logged_in(app)
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("03405.xlsx", filled(campaign, "03405"))
        archive.writestr("../../03408.xlsx", filled(campaign, "03408"))
    sent = [("03388.xlsx", filled(campaign, "03388")),
            ("C:\\Users\\van thu\\03394 báo cáo.xlsx", filled(campaign, "03394")),
            ("../../../etc/03424.xlsx", filled(campaign, "03424", {"F10": 980, "F11": 870})),
            ("hai-xa.zip", bundle.getvalue()),
            ("khong-phai-bang-tinh.xlsx", b"<html>not a workbook</html>")]
    answer = upload(browser, csrf, sent)
    assert answer.status_code == 303 and answer.headers["location"] == "/upload/result"
    shown = texts(browser.get("/upload/result").text)
    assert "03394 báo cáo.xlsx Tiếp nhận" in shown and "hai-xa.zip › 03405.xlsx Tiếp nhận" in shown
    assert "03424.xlsx Bị từ chối" in shown and "khong-phai-bang-tinh.xlsx Bị từ chối" in shown
    saved = sorted((campaign.inbox / "web").rglob("*"))
    files = {p.name: p.read_bytes() for p in saved if p.is_file()}
    assert set(files) == {"03388.xlsx", "03394 báo cáo.xlsx", "03424.xlsx", "hai-xa.zip", "khong-phai-bang-tinh.xlsx"}
    assert files["03394 báo cáo.xlsx"] == sent[1][1] and files["hai-xa.zip"] == sent[3][1]  # kept byte for byte
    assert all(p.resolve().is_relative_to(campaign.inbox.resolve()) for p in saved)
    status = open_status(campaign)
    by_code = {u.unit.code: u for u in status.units}
    assert {code for code, u in by_code.items() if u.sha256} == {"03388", "03394", "03405", "03408"}
    assert by_code["03424"].state == "resubmit"
    who = [(e.action, e.who) for e in audit_entries(campaign)][-2:]
    assert who == [("upload", "canbo"), ("collect", "canbo")]
    # the same file again: recorded under a new name, nothing overwritten, nothing new to collect
    upload(browser, csrf, [("03388.xlsx", sent[0][1])])
    assert "Trùng nội dung" in texts(browser.get("/upload/result").text)
    assert len([p for p in (campaign.inbox / "web").rglob("03388*.xlsx")]) == 2


def test_an_upload_without_files_or_over_the_limit_changes_nothing(app, campaign, monkeypatch):
    browser, csrf = logged_in(app)
    assert browser.post("/upload", data={"csrf_token": csrf}).status_code == 303
    assert "Chưa chọn tệp" in browser.get("/").text
    from xlkpi.web import app as web_app

    small = web_app.Guard(app.app, max_body=10_000)
    huge = client(small)
    huge.cookies.update(browser.cookies)
    answer = huge.post("/upload", data={"csrf_token": csrf}, files=[("files", ("a.xlsx", b"x" * 20_000))])
    assert answer.status_code == 413 and "quá lớn" in answer.text
    assert not (campaign.inbox / "web").exists() or not any((campaign.inbox / "web").rglob("a*.xlsx"))


# -- downloads ----------------------------------------------------------------------------------------------------


def test_downloads_serve_the_rounds_outputs_and_nothing_else(app, campaign):
    browser, csrf = logged_in(app)
    upload(browser, csrf, [("03388.xlsx", filled(campaign, "03388"))])
    browser.post("/approve-clean", data={"csrf_token": csrf})
    assert browser.post("/consolidate", data={"csrf_token": csrf}).headers["location"] == "/downloads"
    listing = browser.get("/downloads").text
    appendix = f"{campaign.plan.id}-2025-q3-phu-luc.xlsx"
    assert appendix in listing and "thu-nhan-2025-q3.xlsx" in listing and "03388_xa-so-03388.xlsx" in listing
    got = browser.get(f"/download/reports/{appendix}")
    assert got.status_code == 200 and got.content == (campaign.reports / appendix).read_bytes()
    assert "attachment" in got.headers["content-disposition"]
    assert browser.get("/download/forms/03388_xa-so-03388.xlsx").status_code == 200
    secret = (campaign.directory / ".xlkpi-secret").read_bytes()
    for path in ("/download/reports/..%2F.xlkpi-secret", "/download/reports/%2e%2e%2fledger.sqlite",
                 "/download/reports/../ledger.sqlite", "/download/../.xlkpi-secret", "/download/inbox/03388.xlsx",
                 "/download/reports/ledger.sqlite", "/download/forms/..%5C.xlkpi-secret",
                 "/download/reports/%2Fetc%2Fpasswd", "/download/forms/manifest.csv", "/static/..%2F..%2Fapp.py",
                 "/static/../../campaign.yaml", "/download/reports/.", "/download/reports/phan-hoi"):
        answer = browser.get(path)
        assert answer.status_code == 404, path
        assert secret not in answer.content and b"SQLite format" not in answer.content


# -- what a unit typed is shown as text ---------------------------------------------------------------------------


def test_a_unit_name_with_html_in_it_is_shown_as_text_everywhere(app, campaign):
    browser, csrf = logged_in(app)
    upload(browser, csrf, [("03390.xlsx", filled(campaign, "03390", {"I16": "<script>alert(1)</script>"}))])
    pages = {path: browser.get(path).text for path in ("/", "/unit/03390", "/upload/result", "/log", "/downloads")}
    for path, html in pages.items():
        assert "<img src=x" not in html and "<script>window" not in html and "<script>alert" not in html, path
    assert "Xã &lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in pages["/unit/03390"]
    data = re.search(r'<script type="application/json" id="board-data">(.*?)</script>', pages["/"], re.S).group(1)
    assert "<" not in data and HOSTILE_NAME in [row[1] for row in json.loads(data)["rows"]]
    live = browser.get("/api/board").json()
    assert HOSTILE_NAME in [row[1] for row in live["rows"]]  # JSON is data; the page's script draws it as text
    assert "script-src 'self'" in browser.get("/").headers["content-security-policy"]


# -- the same thing as the CLI ------------------------------------------------------------------------------------


def test_the_page_shows_what_status_json_prints(app, campaign):
    browser, csrf = logged_in(app)
    upload(browser, csrf, [(f"{c}.xlsx", filled(campaign, c)) for c in ("03388", "03394")])
    from_cli = json.loads(CliRunner().invoke(cli, ["status", "--json", "--campaign", str(campaign.directory)]).output)
    assert browser.get("/api/status").json() == from_cli
    board = browser.get("/api/board").json()
    columns = board["columns"]
    for row, unit in zip(board["rows"], from_cli["units"]):
        assert row[columns.index("unit")] == unit["unit"] and row[columns.index("state")] == unit["state"]
        assert board["labels"][row[columns.index("state_vi")]] == unit["state_vi"]
        assert row[columns.index("review")] == (unit["review"] or "")


def test_the_board_version_changes_with_any_change_another_user_makes(app, campaign):
    browser, csrf = logged_in(app)
    first = browser.get("/api/version").json()["version"]
    assert browser.get("/api/version").json()["version"] == first
    other, other_csrf = logged_in(app, "lanhdao")
    upload(other, other_csrf, [("03388.xlsx", filled(campaign, "03388"))])
    second = browser.get("/api/version").json()["version"]
    assert second != first
    CliRunner().invoke(cli, ["approve", "03388", "--campaign", str(campaign.directory)])
    assert browser.get("/api/version").json()["version"] != second
    assert browser.get("/api/board").json()["rows"][0][7] == "approved"


def test_a_reader_is_never_kept_waiting_by_a_running_collect(campaign):
    writer = L.connect(campaign.directory / L.LEDGER_NAME)
    writer.execute("BEGIN IMMEDIATE")  # as collect holds it for its whole run
    try:
        started = time.perf_counter()
        board = views.board(campaign)
        assert time.perf_counter() - started < 5 and len(board.rows) == len(UNITS)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_an_unexpected_error_is_a_vietnamese_page_with_no_traceback(app, monkeypatch):
    browser, _ = logged_in(app)
    monkeypatch.setattr(views, "log", lambda campaign: 1 / 0)
    quiet = client(app, raise_server_exceptions=False)
    quiet.cookies.update(browser.cookies)
    answer = quiet.get("/log")
    assert answer.status_code == 500 and "lỗi ngoài dự kiến" in answer.text
    assert "Traceback" not in answer.text and "ZeroDivisionError" not in answer.text
    kept = re.search(r"ghi vào (\S+xlkpi-web-loi-\S+\.txt)", answer.text).group(1)
    assert "ZeroDivisionError" in open(kept, encoding="utf-8").read()


def test_every_response_carries_the_security_headers(app):
    answer = client(app).get("/login")
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert "default-src 'none'" in answer.headers["content-security-policy"]


# -- accounts on the command line ---------------------------------------------------------------------------------


def test_user_add_keeps_only_a_strong_hash_and_the_audit_log_says_who_added_whom(campaign, monkeypatch):
    monkeypatch.setenv("XLKPI_PASSWORD", "mot-mat-khau-dai")
    run = CliRunner().invoke(cli, ["user", "add", "Nguyen.Van-A", "--role", "leader", "--campaign",
                                   str(campaign.directory)])
    assert run.exit_code == 0 and "nguyen.van-a (Lãnh đạo)" in run.output
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    stored = connection.execute("SELECT hash, role FROM users WHERE name = 'nguyen.van-a'").fetchone()
    connection.close()
    assert stored[0].startswith("$argon2id$") and stored[1] == "leader"
    assert b"mot-mat-khau-dai" not in (campaign.directory / L.LEDGER_NAME).read_bytes()
    entry = audit_entries(campaign)[-1]
    assert (entry.action, entry.target, entry.detail) == ("user-add", "nguyen.van-a", {"role": "leader"})
    listed = CliRunner().invoke(cli, ["user", "list", "--json", "--campaign", str(campaign.directory)])
    assert {u["name"]: u["role"] for u in json.loads(listed.output)}["nguyen.van-a"] == "leader"


@pytest.mark.parametrize("name, password, message", [
    ("canbo", "mot-mat-khau-dai", "Đã có tài khoản 'canbo'"),
    ("a b", "mot-mat-khau-dai", "không dùng được"),
    ("nguyễn", "mot-mat-khau-dai", "không dùng được"),
    ("moi", "ngan", "ít nhất 8 ký tự"),
])
def test_user_add_refuses_with_what_to_do(campaign, monkeypatch, name, password, message):
    monkeypatch.setenv("XLKPI_PASSWORD", password)
    run = CliRunner().invoke(cli, ["user", "add", name, "--role", "officer", "--campaign", str(campaign.directory)])
    assert run.exit_code == 1 and message in run.output and "Traceback" not in run.output


def test_user_add_asks_for_the_password_twice_without_echo(campaign, monkeypatch):
    monkeypatch.delenv("XLKPI_PASSWORD", raising=False)
    run = CliRunner().invoke(cli, ["user", "add", "moi", "--role", "officer", "--campaign", str(campaign.directory)],
                             input="mat-khau-moi-1\nmat-khau-moi-1\n")
    assert run.exit_code == 0, run.output
    assert "mat-khau-moi-1" not in run.output and "Nhập lại mật khẩu" in run.output
    assert client(create_app(campaign.directory)).post(
        "/login", data={"username": "moi", "password": "mat-khau-moi-1"}).status_code == 303


def test_serve_refuses_a_round_without_accounts_and_a_port_in_use(tmp_path, campaign):
    import socket

    init_campaign(tmp_path / "trong", plan="lai-chau-2025", period="2025-Q3", province="lai chau", now=MADE)
    run = CliRunner().invoke(cli, ["serve", "--campaign", str(tmp_path / "trong")])
    assert run.exit_code == 1 and "xlkpi user add" in run.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        run = CliRunner().invoke(cli, ["serve", "--campaign", str(campaign.directory), "--port", str(port)])
    assert run.exit_code == 1 and "--port" in run.output and "Traceback" not in run.output


def test_demo_serve_runs_the_demo_and_serves_it_with_two_accounts(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import urllib.parse
    import urllib.request
    from http.cookiejar import CookieJar

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "XLKPI_PASSWORD": "mat-khau-demo-1", "BROWSER": "true"}  # no browser is opened
    server = subprocess.Popen([sys.executable, "-m", "xlkpi", "demo", str(tmp_path / "demo"), "--serve", "--port",
                               str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              encoding="utf-8", env=environment)
    try:
        lines = []
        while not any("http://" in line for line in lines):
            line = server.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        text = "".join(lines)
        assert "canbo (chuyên viên) hoặc lanhdao (lãnh đạo)" in text and f"http://127.0.0.1:{port}/" in text
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        body = urllib.parse.urlencode({"username": "lanhdao", "password": "mat-khau-demo-1"}).encode()
        page = opener.open(f"http://127.0.0.1:{port}/login", data=body).read().decode("utf-8")
        assert "50 đơn vị phải báo cáo: đã nộp 45 (nộp muộn 3), phải nộp lại 3, chưa nộp 2" in page
        assert "Chốt số liệu" in page  # the leader's page
    finally:
        server.terminate()
        server.wait(20)


def test_every_template_and_static_file_is_in_the_package_data():
    """A wheel (what an office installs with pip) carries the pages: each file matches pyproject's package data."""
    import fnmatch
    import tomllib
    from pathlib import Path

    import xlkpi.web

    root = Path(xlkpi.web.__file__).parent
    patterns = tomllib.loads((root.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["xlkpi.web"]
    files = [p.relative_to(root).as_posix() for folder in ("pages", "static") for p in (root / folder).iterdir()]
    assert files and all(any(fnmatch.fnmatch(name, pattern) for pattern in patterns) for name in files), files


def test_user_copy_brings_last_rounds_accounts_with_their_passwords(campaign, tmp_path, monkeypatch):
    init_campaign(tmp_path / "quy-4", plan="lai-chau-2025", period="2025-Q4", province="lai chau", now=MADE)
    monkeypatch.setenv("XLKPI_PASSWORD", "mat-khau-quy-bon")
    CliRunner().invoke(cli, ["user", "add", "lanhdao", "--role", "officer", "--campaign", str(tmp_path / "quy-4")])
    CliRunner().invoke(cli, ["user", "remove", "canbo", "--campaign", str(campaign.directory)])
    add_user(campaign, "vanthu", "officer", "mat-khau-van-thu")
    run = CliRunner().invoke(cli, ["user", "copy", str(campaign.directory), "--campaign", str(tmp_path / "quy-4")])
    assert run.exit_code == 0, run.output
    assert "Đã chép 1 tài khoản / copied: vanthu" in run.output and "left alone: lanhdao" in run.output
    new_round = open_campaign(tmp_path / "quy-4")
    browser = client(create_app(new_round.directory))
    assert browser.post("/login", data={"username": "vanthu", "password": "mat-khau-van-thu"}).status_code == 303
    assert client(create_app(new_round.directory)).post(  # the name it had keeps its own role and password
        "/login", data={"username": "lanhdao", "password": "mat-khau-quy-bon"}).status_code == 303
    assert audit_entries(new_round)[-1].detail == {"role": "officer", "from": campaign.id}


def test_hostile_requests_get_an_answer_never_a_crash(app, campaign):
    """Addresses, forms and bodies no page makes: each gets a refusal in Vietnamese (4xx), never an error of the
    program, and nothing changes in the round."""
    browser, csrf = logged_in(app)
    quiet = client(app, raise_server_exceptions=False)
    quiet.cookies.update(browser.cookies)
    before = len(audit_entries(campaign))
    gets = ["/unit/%3Cscript%3E", "/unit/%00", "/unit/" + "9" * 5000, "/download/reports/%00",
            "/download/%00/x", "/download/reports/" + "a" * 5000 + ".xlsx", "/khong-co", "/static/%00",
            "/login?next=%00", "/login?next=" + "%2F" * 3000, "/api/board?x=%ff", "/unit/03388?%ff=%fe"]
    for path in gets:
        answer = quiet.get(path)
        assert answer.status_code < 500 and "Traceback" not in answer.text, path
    posts = [
        ("/login", {"data": {}}), ("/login", {"data": {"username": "a\x00b" * 2000, "password": "x" * 100_000}}),
        ("/login", {"content": b"\xff\xfe", "headers": {"content-type": "application/x-www-form-urlencoded"}}),
        ("/upload", {"content": b"--x\r\nnot multipart", "headers": {"content-type": "multipart/form-data"}}),
        ("/upload", {"content": b"{}", "headers": {"content-type": "application/json"}}),
        ("/upload", {"data": {"csrf_token": csrf}, "files": [("files", ("", b""))]}),
        ("/lock", {"data": {"csrf_token": csrf, "reason": "x" * 2000}}),
        ("/unit/03388/return", {"data": {"csrf_token": csrf, "reason": "\x00\x1b[31m"}}),
        ("/unit/%00/approve", {"data": {"csrf_token": csrf}}), ("/unit/99999/approve", {"data": {"csrf_token": csrf}}),
        ("/approve-clean", {"data": {"csrf_token": [csrf, "khac"]}}),
    ]
    for path, request in posts:
        answer = quiet.post(path, **request)
        assert answer.status_code < 500 and "Traceback" not in answer.text, (path, answer.status_code, answer.text[:300])
    assert [e.action for e in audit_entries(campaign)][before:] == []
    assert open_status(campaign).lock is None


@pytest.mark.usefixtures("start_method")
def test_an_upload_is_collected_with_workers_started_as_on_windows(app, campaign):
    browser, csrf = logged_in(app)
    upload(browser, csrf, [(f"{code}.xlsx", filled(campaign, code)) for code in ("03388", "03394")])
    assert "Tiếp nhận" in texts(browser.get("/upload/result").text)
    assert {u.unit.code for u in open_status(campaign).units if u.sha256} == {"03388", "03394"}
