"""The round as a workflow: approve, return with a reason, lock, reopen with a reason, and an audit log whose
chain shows an edited or deleted entry; two collects, an approval and a lock at the same time leave the ledger
consistent."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3

import openpyxl
import pytest
from click.testing import CliRunner

from tests.test_collect import MADE, drop, filled, run
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.cli import cli
from xlkpi.collect import audit
from xlkpi.collect import ledger as L
from xlkpi.collect.status import RESUBMIT, open_status
from xlkpi.collect.workflow import approve, reopen_round, return_unit
from xlkpi.forms.generate import generate
from xlkpi.problems import XlkpiError
from xlkpi.report.consolidate import consolidate, lock_round

UNITS = ("03388", "03390", "03394")


@pytest.fixture
def campaign(tmp_path):
    """A round that consolidates approved returns only (as `xlkpi init` makes one), three units returned."""
    init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-Q3", province="lai chau", deadline="20/10/2025",
                  now=MADE, approved_only=True)
    campaign = open_campaign(tmp_path / "c")
    generate(campaign, jobs=1)
    for code in UNITS:
        drop(campaign, f"{code}.xlsx", filled(campaign, code))
    run(campaign)
    return campaign


def appendix_texts(path) -> list[str]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


def invoke(campaign, *args: str):
    return CliRunner().invoke(cli, [*args, "--campaign", str(campaign.directory)])


def test_only_approved_returns_are_consolidated_and_the_appendix_says_who_waits(campaign):
    status = open_status(campaign)
    assert status.review_counts() == {"waiting": 3, "approved": 0, "returned": 0} and status.with_data == 0
    result = approve(campaign, ["03388", "03390"], who="chuyenvien")
    assert result.done == ["03388", "03390"]
    again = approve(campaign, ["03388", "99999"][:1], who="chuyenvien")
    assert again.done == [] and again.skipped == [("03388", "đã duyệt trước đó")]
    made = consolidate(campaign)
    assert made.status.with_data == 2
    texts = appendix_texts(made.path)
    assert any("Chưa được duyệt, chưa tổng hợp (1): Xã Sin Suối Hồ" in t for t in texts)
    with pytest.raises(XlkpiError, match="không có trong danh sách đơn vị"):
        approve(campaign, ["99999"])


def test_a_returned_return_must_be_sent_again_and_never_counts(campaign):
    approve(campaign, all_clean=True, who="chuyenvien")
    with pytest.raises(XlkpiError, match="Cần ghi lý do"):
        return_unit(campaign, "03390", "   ")
    result = return_unit(campaign, "03390", "Số hồ sơ trực tuyến không khớp Cổng dịch vụ công", who="chuyenvien")
    assert result.done == ["03390"]
    status = open_status(campaign)
    entry = next(u for u in status.units if u.unit.code == "03390")
    assert entry.state == RESUBMIT and entry.review == "returned" and entry.used_sha256 is None
    assert entry.label == "Phải nộp lại (bị trả lại)" and "Cổng dịch vụ công" in entry.review_reason
    assert consolidate(campaign).status.with_data == 2
    # the unit sends a corrected return: it waits for a decision again
    drop(campaign, "03390-sua.xlsx", filled(campaign, "03390", saved_at=MADE.replace(month=10, day=12)))
    run(campaign)
    entry = next(u for u in open_status(campaign).units if u.unit.code == "03390")
    assert entry.review == "waiting" and entry.state != RESUBMIT


def test_a_return_sent_back_or_waiting_when_the_round_was_locked_is_not_called_after_the_lock(campaign):
    approve(campaign, ["03388"])
    return_unit(campaign, "03390", "Thiếu số liệu chỉ tiêu 5")
    lock_round(campaign, "Chốt quý III")
    units = {u.unit.code: u for u in open_status(campaign).units}
    assert not units["03390"].after_lock and not units["03394"].after_lock  # they were there before the lock
    assert units["03390"].used_sha256 is None and units["03394"].used_sha256 is None
    drop(campaign, "03390-sua.xlsx", filled(campaign, "03390", saved_at=MADE.replace(month=10, day=14)))
    run(campaign)
    units = {u.unit.code: u for u in open_status(campaign).units}
    assert units["03390"].after_lock and not units["03394"].after_lock


def test_a_lock_freezes_the_figures_and_a_later_file_changes_nothing_until_reopened(campaign):
    approve(campaign, all_clean=True)
    with pytest.raises(XlkpiError, match="Cần ghi lý do"):
        lock_round(campaign, "")
    locked = lock_round(campaign, "Trình Chủ tịch ký báo cáo quý III", who="lanhdao")
    frozen = locked.path.read_bytes()
    texts = appendix_texts(locked.path)
    assert any("Số liệu chốt ngày" in t for t in texts)
    with sqlite3.connect(campaign.directory / L.LEDGER_NAME) as db:
        snapshot, digest = db.execute("SELECT snapshot, appendix_sha256 FROM locks").fetchone()
    assert set(json.loads(snapshot)) == set(UNITS) and len(digest) == 64
    # a correction arrives after the lock: recorded, "after the lock", the figures stand
    drop(campaign, "03394-sua.xlsx", filled(campaign, "03394", changes=None,
                                           saved_at=MADE.replace(month=10, day=14)) + b"")
    run(campaign)
    status = open_status(campaign)
    entry = next(u for u in status.units if u.unit.code == "03394")
    assert entry.after_lock and entry.used_sha256 == json.loads(snapshot)["03394"]
    again = consolidate(campaign)
    assert again.status.with_data == 3
    with pytest.raises(XlkpiError, match="đã được chốt"):
        approve(campaign, ["03394"])
    with pytest.raises(XlkpiError, match="đã được chốt"):
        lock_round(campaign, "lần nữa")
    with pytest.raises(XlkpiError, match="Cần ghi lý do"):
        reopen_round(campaign, "")
    reopen_round(campaign, "Xã Sin Suối Hồ gửi bản sửa sau khi chốt", who="lanhdao")
    entry = next(u for u in open_status(campaign).units if u.unit.code == "03394")
    assert not entry.after_lock and entry.review == "waiting"  # the newer return now waits for a decision
    with pytest.raises(XlkpiError, match="chưa được chốt"):
        reopen_round(campaign, "lý do")
    del frozen


def test_every_decision_is_in_the_log_with_who_when_and_why(campaign):
    approve(campaign, ["03388"], who="chuyenvien")
    return_unit(campaign, "03390", "Thiếu giải trình chỉ tiêu 3", who="chuyenvien")
    lock_round(campaign, "Trình ký", who="lanhdao")
    reopen_round(campaign, "Sửa số liệu xã Bình Lư", who="lanhdao")
    result = invoke(campaign, "log")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    actions = [(e.action, e.who, e.target, e.reason) for e in audit.entries(L.connect(campaign.directory /
                                                                                        L.LEDGER_NAME))]
    assert actions[0][0] == "collect"
    assert ("approve", "chuyenvien", "03388", "") in actions
    assert ("return", "chuyenvien", "03390", "Thiếu giải trình chỉ tiêu 3") in actions
    assert [a[0] for a in actions][-4:] == ["return", "lock", "consolidate", "reopen"]
    assert any("duyệt  03388" in line for line in lines) and any("trả lại  03390 — Thiếu giải trình" in line
                                                                 for line in lines)
    assert lines[-1].startswith("Đầu chuỗi / head: ")
    verified = invoke(campaign, "log", "--verify")
    assert verified.exit_code == 0 and "✓ Nhật ký nguyên vẹn" in verified.output
    data = json.loads(invoke(campaign, "log", "--json").output)
    assert data["entries"][1]["action_vi"] == "duyệt"


@pytest.mark.parametrize("tamper", ["edit", "delete-middle", "delete-last", "reorder-who"])
def test_an_edited_or_deleted_log_entry_is_found(campaign, tamper):
    approve(campaign, ["03388"], who="chuyenvien")
    return_unit(campaign, "03390", "Thiếu giải trình", who="chuyenvien")
    approve(campaign, ["03394"], who="chuyenvien")
    with sqlite3.connect(campaign.directory / L.LEDGER_NAME) as db:
        if tamper == "edit":
            db.execute("UPDATE audit SET reason = 'Đúng hạn' WHERE action = 'return'")
        elif tamper == "delete-middle":
            db.execute("DELETE FROM audit WHERE action = 'return'")
        elif tamper == "delete-last":
            db.execute("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)")
        else:
            db.execute("UPDATE audit SET who = 'lanhdao' WHERE action = 'approve' AND target = '03388'")
    result = invoke(campaign, "log", "--verify")
    assert result.exit_code == 1, result.output
    assert "✗" in result.output and "mục" in result.output


def test_the_commands(campaign):
    waiting = invoke(campaign, "review")
    assert waiting.exit_code == 0 and "Chờ duyệt / waiting (3):" in waiting.output
    assert "không có cảnh báo" in waiting.output
    assert invoke(campaign, "approve").exit_code == 2
    done = invoke(campaign, "approve", "--all-clean")
    assert done.exit_code == 0 and "✓ Đã duyệt 3 đơn vị: 03388, 03390, 03394" in done.output
    sent_back = invoke(campaign, "return", "03394", "--reason", "Sai mẫu số chỉ tiêu 2")
    assert sent_back.exit_code == 0 and "✓ Đã trả lại 1 đơn vị: 03394" in sent_back.output
    status = invoke(campaign, "status")
    assert "duyệt: đã duyệt 2, chờ duyệt 0, bị trả lại 1 (chỉ tổng hợp báo cáo đã duyệt)" in status.output
    locked = invoke(campaign, "lock", "--reason", "Trình ký")
    assert locked.exit_code == 0 and "✓ Đã chốt số liệu / locked: 2/" in locked.output
    refused = invoke(campaign, "approve", "03394")
    assert refused.exit_code == 1 and "xlkpi reopen" in refused.output
    assert "Số liệu đã chốt" in invoke(campaign, "status").output
    assert invoke(campaign, "reopen", "--reason", "Bổ sung").exit_code == 0


def test_init_makes_a_round_that_waits_for_approval_unless_told_otherwise(tmp_path):
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "a"), "--plan", "lai-chau-2025", "--province", "12",
                                      "--period", "2025-Q3"])
    assert result.exit_code == 0 and open_campaign(tmp_path / "a").config.approved_only
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "b"), "--plan", "lai-chau-2025", "--province", "12",
                                      "--period", "2025-Q3", "--no-approval"])
    assert result.exit_code == 0 and not open_campaign(tmp_path / "b").config.approved_only
    # a campaign.yaml written before the workflow (no key) consolidates every accepted return, as it did
    config = tmp_path / "b" / "campaign.yaml"
    config.write_text("\n".join(line for line in config.read_text(encoding="utf-8").splitlines()
                                if not line.startswith("approved_only")) + "\n", encoding="utf-8")
    assert not open_campaign(tmp_path / "b").config.approved_only


# -- at the same time --------------------------------------------------------------------------------------------


def _worker(folder: str, task: str, queue) -> None:
    try:
        campaign = open_campaign(folder)
        if task == "collect":
            from xlkpi.collect.run import collect

            collect(campaign, jobs=1, reports=False, isolate=False)
        elif task == "approve":
            approve(campaign, all_clean=True, who="chuyenvien")
        else:
            lock_round(campaign, "Trình ký", who="lanhdao")
        queue.put((task, "ok"))
    except XlkpiError as exc:  # a lock before an approval refuses it: a clear refusal is a consistent outcome
        queue.put((task, str(exc)[:200]))
    except Exception as exc:  # noqa: BLE001 — reported to the test
        queue.put((task, f"CRASH {type(exc).__name__}: {exc}"))


def test_two_collects_an_approval_and_a_lock_at_once_leave_the_ledger_consistent(campaign):
    for code in ("03405", "03408", "03424"):
        drop(campaign, f"{code}.xlsx", filled(campaign, code))
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    tasks = ["collect", "collect", "approve", "lock"]
    processes = [context.Process(target=_worker, args=(str(campaign.directory), task, queue)) for task in tasks]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    answers = [queue.get(timeout=5) for _ in tasks]
    assert not [a for a in answers if "CRASH" in a[1]], answers
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        assert audit.verify(connection) == []
        files = connection.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM files").fetchone()
        assert files[0] == files[1] == 6  # each file recorded once, whichever collect took it
        assert connection.execute("SELECT COUNT(*) FROM locks WHERE kind = 'lock'").fetchone()[0] == 1
        approvals = connection.execute("SELECT unit, COUNT(*) FROM decisions GROUP BY unit HAVING COUNT(*) > 1")
        assert approvals.fetchall() == []  # nobody approved twice
    finally:
        connection.close()


def test_a_returned_unit_gets_its_own_figures_back_with_the_reason(campaign):
    reason = "Số hồ sơ tiếp nhận chưa khớp Cổng dịch vụ công"
    result = return_unit(campaign, "03390", reason, who="chuyenvien")
    [copy] = result.feedback
    book = openpyxl.load_workbook(copy)
    feedback = [str(c.value) for row in book["Phản hồi"].iter_rows() for c in row if c.value]
    assert any(reason in text for text in feedback)
    # its figures are on the copy as it typed them
    from tests.test_collect import good_values

    typed = good_values(campaign, "03390")
    form = book["Nhập liệu"]
    numbers = {v for v in typed.values() if isinstance(v, int)}
    assert numbers and numbers <= {c.value for row in form.iter_rows() for c in row}


def test_remind_sends_a_returned_unit_its_copy_with_the_reason(tmp_path, monkeypatch):
    import email
    from email import policy

    from tests.test_mail_send import PASSWORD, PASSWORD_ENV, make_campaign
    from xlkpi.mail.send import remind

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    campaign = make_campaign(tmp_path, smtp_port=2525)
    drop(campaign, "03390.xlsx", filled(campaign, "03390"))
    run(campaign)
    reason = "Thiếu văn bản kiểm chứng chỉ tiêu 2"
    return_unit(campaign, "03390", reason, who="chuyenvien")
    remind(campaign, dry_run=True, units=["03390"])
    [preview] = (campaign.outbox / "mail").glob("phan-hoi_*.eml")
    message = email.message_from_bytes(preview.read_bytes(), policy=policy.default)
    assert reason in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename().startswith("03390")


def test_the_collection_report_says_what_was_decided(campaign):
    from xlkpi.collect.run import collect

    approve(campaign, ["03388"], who="chuyenvien")
    return_unit(campaign, "03390", "Thiếu giải trình", who="chuyenvien")
    lock_round(campaign, "Trình ký", who="lanhdao")
    result = collect(campaign, jobs=1)
    summary = openpyxl.load_workbook(result.report_path)["Tổng hợp"]
    rows = {row[0]: row[1] for row in summary.iter_rows(min_row=3, values_only=True) if row[0]}
    assert rows["Duyệt"] == "đã duyệt 1, chờ duyệt 1, bị trả lại 1 (chỉ tổng hợp báo cáo đã duyệt)"
    assert rows["Số liệu đã chốt"].endswith("lanhdao: Trình ký")


def test_a_reason_too_long_is_refused_and_control_characters_never_reach_the_terminal(campaign):
    with pytest.raises(XlkpiError, match="dài quá 1000 ký tự"):
        return_unit(campaign, "03390", "x" * 1001)
    result = return_unit(campaign, "03390", "Sai số liệu \x1b]0;hacked\x07 \x1b[31mđỏ\u202e", who="chuyenvien")
    [copy] = result.feedback
    openpyxl.load_workbook(copy)  # the reason is on the copy; the workbook still opens
    shown = invoke(campaign, "log")
    assert shown.exit_code == 0 and "\x1b" not in shown.output and "\u202e" not in shown.output
    assert "Sai số liệu" in shown.output


def test_a_ledger_locked_by_an_earlier_version_gains_the_new_column_and_keeps_its_lock(tmp_path):
    from xlkpi.collect.workflow import active_lock

    path = tmp_path / L.LEDGER_NAME
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE locks (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, reason TEXT NOT NULL, decided_by "
                   "TEXT NOT NULL, decided_at TEXT NOT NULL, snapshot TEXT, appendix_sha256 TEXT)")
        db.execute("INSERT INTO locks (kind, reason, decided_by, decided_at, snapshot) VALUES "
                   "('lock', 'Chốt quý III', 'lanhdao', '2025-10-21 08:00:00', '{\"03388\": \"ab\"}')")
    connection = L.connect(path)
    try:
        lock = active_lock(connection)
    finally:
        connection.close()
    assert (lock.reason, lock.snapshot, lock.last_run) == ("Chốt quý III", {"03388": "ab"}, None)
