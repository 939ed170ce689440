"""`xlkpi init`: a campaign folder, checked before anything is written."""

from __future__ import annotations

import stat
from datetime import date

import pytest
from click.testing import CliRunner

from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.cli import cli
from xlkpi.problems import XlkpiError


def test_init_writes_the_campaign(tmp_path):
    folder = tmp_path / "q3"
    campaign = init_campaign(folder, plan="lai-chau-2025", period="2025-Q3", province="lai chau",
                             deadline="20/10/2025", send_to="vp@laichau.gov.vn")
    assert {p.name for p in folder.iterdir()} == {"campaign.yaml", ".xlkpi-secret", "plan.yaml", "roster.csv",
                                                  "outbox", "inbox", "reports"}
    assert stat.S_IMODE((folder / ".xlkpi-secret").stat().st_mode) == 0o600
    again = open_campaign(folder / "outbox")  # found from a sub-folder
    assert again.id == campaign.id and again.id.startswith("lai-chau-2025-2025-q3-")
    assert again.config.deadline == date(2025, 10, 20)
    assert again.config.convention == "reporting-rule"
    assert len(again.config.password) == 12
    assert len(again.secret) == 32
    assert len(again.roster) == 38 and again.plan.id == "lai-chau-2025"
    assert (folder / "plan.yaml").read_bytes() == again.plan.path.read_bytes()


def test_init_refuses_an_existing_campaign_and_bad_input_leaves_nothing(tmp_path):
    init_campaign(tmp_path / "a", plan="lai-chau-2025", period="2025-Q3", province="12")
    with pytest.raises(XlkpiError) as raised:
        init_campaign(tmp_path / "a", plan="lai-chau-2025", period="2025-Q4", province="12")
    assert raised.value.problems[0].code == "campaign-exists"

    for kwargs, code in [
        (dict(plan="lai-chau-2025", period="2025-Q5", province="12"), "period-invalid"),
        (dict(plan="lai-chau-2025", period="2025-Q3", province="atlantis"), "province-not-found"),
        (dict(plan="no-such-plan", period="2025-Q3", province="12"), "plan-not-found"),
        (dict(plan="lai-chau-2025", period="2025-Q3", province="12", deadline="31/02/2025"), "date-invalid"),
    ]:
        with pytest.raises(XlkpiError) as raised:
            init_campaign(tmp_path / "b", **kwargs)
        assert raised.value.problems[0].code == code
        assert not (tmp_path / "b").exists()


def test_a_roster_level_the_plan_does_not_know_is_refused(tmp_path):
    roster = tmp_path / "dv.csv"
    roster.write_text("code,name,level\n1,Xã A,xa\n2,Phòng B,phong\n", encoding="utf-8")
    with pytest.raises(XlkpiError) as raised:
        init_campaign(tmp_path / "c", plan="lai-chau-2025", period="2025-10", roster=roster)
    assert [p.code for p in raised.value.problems] == ["roster-unknown-level"]
    assert raised.value.problems[0].cell == "C3"
    assert not (tmp_path / "c").exists()


def test_no_campaign_here(tmp_path):
    with pytest.raises(XlkpiError) as raised:
        open_campaign(tmp_path)
    assert raised.value.problems[0].code == "campaign-not-found"


def test_init_command(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(tmp_path / "c"), "--plan", "cam-hiep-2025", "--roster",
                                 str(_cam_hiep_roster(tmp_path)), "--period", "2025-10", "--convention", "calendar"])
    assert result.exit_code == 0, result.output
    assert "từ ngày 01/10/2025 đến ngày 31/10/2025" in result.output
    usage = runner.invoke(cli, ["init", str(tmp_path / "d"), "--plan", "cam-hiep-2025", "--period", "2025-10"])
    assert usage.exit_code == 2


def _cam_hiep_roster(tmp_path):
    path = tmp_path / "cam-hiep.csv"
    path.write_text(
        "code,name,level,parent\n"
        "XA,UBND xã Cam Hiệp,xa,\n"
        "TTPV,Trung tâm Phục vụ hành chính công,trung-tam,XA\n"
        "VHXH,Phòng Văn hóa - Xã hội,phong,XA\n"
        "KT,Phòng Kinh tế,phong,XA\n",
        encoding="utf-8",
    )
    return path
