"""Campaigns: one reporting round of one plan, in one folder.

``xlkpi init`` makes the folder::

    campaign.yaml     what the round is: plan, roster, period, deadline, sheet password …
    .xlkpi-secret     a random key for the digests that identify returned workbooks (keep it private)
    plan.yaml         a frozen copy of the plan, so a later change to a built-in plan cannot alter the round
    roster.csv        the reporting units, checked against the plan
    outbox/           the data-entry workbooks to send (``xlkpi generate``)
    inbox/            returned workbooks, any sub-folders (``xlkpi collect``)
    reports/          collection reports and the consolidated appendix

Every later command runs inside the folder (or a sub-folder of it) or takes ``--campaign DIR``.
"""

from __future__ import annotations

import os
import secrets
import string
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from xlkpi.plan.builtin import resolve_plan
from xlkpi.common.files import atomic_output
from xlkpi.campaign.mailconfig import MailConfig, OneLine
from xlkpi.campaign.periods import Period, target_year
from xlkpi.plan.model import Plan, read_plan_file, structure_problems
from xlkpi.plan.workbook import is_plan_workbook, plan_file
from xlkpi.problems import XlkpiError, problem
from xlkpi.units.roster import Roster, read_roster
from xlkpi.common.text import decode_edited, slug
from xlkpi.plan.yamlfile import load_yaml

CONFIG_NAME = "campaign.yaml"
SECRET_NAME = ".xlkpi-secret"
PLAN_NAME = "plan.yaml"
ROSTER_NAME = "roster.csv"
FOLDERS = ("outbox", "inbox", "reports")


#: "Nơi nhận" of a results report unless campaign.yaml says otherwise
DEFAULT_RECIPIENTS = ("Như trên;", "Lưu: VT.")


class CampaignConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = 1
    id: str
    plan_id: str
    plan_version: str
    period: str
    convention: Literal["reporting-rule", "calendar"]
    deadline: date | None = None
    #: The office that collects the reports (shown in the workbooks).
    owner: OneLine = ""
    #: Where units send their workbook back (an e-mail address, the document system …).
    send_to: OneLine = ""
    #: Password of the protected sheets; the office can unlock a workbook with it.
    password: str
    created: datetime
    #: The report the consolidated appendix is attached to: "(Kèm theo Báo cáo số {report_number} ngày
    #: {report_date} của {owner})"; left blank, the printed line keeps blanks to fill in by hand.
    report_number: str = ""
    report_date: date | None = None
    #: The name under the signature block (the plan's signer when blank).
    signer_name: str = ""
    #: "Nơi nhận" under the results appendix: the report's own recipients (never the plan's, which the
    #: plan sent to others and for other reasons).
    recipients: tuple[Annotated[str, Field(max_length=300)], ...] = Field(DEFAULT_RECIPIENTS, max_length=40)
    #: The office's mailbox for ``xlkpi send``, ``fetch`` and ``remind`` (see :mod:`xlkpi.campaign.mailconfig`).
    mail: MailConfig | None = None
    #: Consolidate only the returns an officer approved (``xlkpi approve``). ``xlkpi init`` sets it for a new
    #: round; a round made before the workflow (without the key) consolidates every accepted return, as before.
    approved_only: bool = False


class CampaignSettings(BaseModel):
    """An office's standing settings for its rounds (``xlkpi init --settings FILE``): who collects, where units
    reply, the report's signer and recipients, the mailbox. Kept in one file beside the roster, they are the same
    every quarter; what the command line gives wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deadline: date | None = None
    owner: OneLine | None = None
    send_to: OneLine = ""
    convention: Literal["reporting-rule", "calendar"] | None = None
    report_number: OneLine = ""
    report_date: date | None = None
    signer_name: OneLine = ""
    recipients: tuple[Annotated[str, Field(max_length=300)], ...] | None = Field(None, max_length=40)
    mail: MailConfig | None = None

    @field_validator("deadline", "report_date", mode="before")
    @classmethod
    def _office_date(cls, value: object) -> object:
        """A date as offices write it (20/10/2025) as well as YAML's own (2025-10-20)."""
        if isinstance(value, str) and value.strip():
            try:
                return parse_date(value)
            except XlkpiError:
                return value  # pydantic names it at its line
        return value


def read_settings(path: str | Path) -> CampaignSettings:
    """The settings file, every mistake named at its line (it is edited by hand, in Notepad as often as not)."""
    return _read_edited(Path(path), CampaignSettings)[0]


def _read_edited(path: Path, model: type[BaseModel]) -> tuple[Any, Any]:
    """(the model, the located YAML) of a file the office edits by hand: any encoding Notepad saves in, every
    mistake named at its line; an empty file is an empty mapping."""
    try:
        text, _ = decode_edited(path.read_bytes())  # Notepad may save it as UTF-16 or Windows-1258
    except OSError as exc:
        raise XlkpiError(problem("file-unreadable", file=str(path), detail=str(exc))) from exc
    located = load_yaml(text, str(path))
    if located.problems:
        raise XlkpiError(located.problems)
    try:
        return model.model_validate(located.data if located.data is not None else {}), located
    except ValidationError as exc:
        raise XlkpiError(structure_problems(exc, located, str(path), model)) from exc


@dataclass
class Campaign:
    directory: Path
    config: CampaignConfig

    @property
    def id(self) -> str:
        return self.config.id

    @cached_property
    def plan(self) -> Plan:
        plan, report = read_plan_file(self.directory / PLAN_NAME)
        if plan is None:
            raise XlkpiError(report.errors)
        return plan

    @cached_property
    def roster(self) -> Roster:
        roster, report = read_roster(self.directory / ROSTER_NAME, self.plan)
        if not report.valid:
            raise XlkpiError(report.errors)
        return roster

    @cached_property
    def secret(self) -> bytes:
        path = self.directory / SECRET_NAME
        try:
            return bytes.fromhex(path.read_text(encoding="ascii").strip())
        except (OSError, ValueError) as exc:
            raise XlkpiError(problem("campaign-secret-missing", file=str(path))) from exc

    @property
    def period(self) -> Period:
        return Period.parse(self.config.period)

    @property
    def target_year(self) -> int:
        return target_year(self.plan.years, self.period)

    @property
    def outbox(self) -> Path:
        return self.directory / "outbox"

    @property
    def inbox(self) -> Path:
        return self.directory / "inbox"

    @property
    def reports(self) -> Path:
        return self.directory / "reports"


def parse_date(text: str) -> date:
    value = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise XlkpiError(problem("date-invalid", value=text))


def parse_date_time(text: str) -> datetime:
    """'20/10/2025 14:30' (or a date alone: midnight), as offices write it; ISO also works."""
    value = " ".join(text.split())
    for pattern in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                    "%d-%m-%Y %H:%M", "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return datetime.combine(parse_date(text), datetime.min.time())


def init_campaign(
    directory: str | Path,
    *,
    plan: str | Path,
    period: str,
    roster: str | Path | None = None,
    province: str | None = None,
    deadline: str | date | None = None,
    owner: str | None = None,
    send_to: str = "",
    convention: str | None = None,
    now: datetime | None = None,
    report_number: str = "",
    report_date: str | date | None = None,
    signer_name: str = "",
    departments: bool = False,
    settings: str | Path | None = None,
    approved_only: bool = False,
) -> Campaign:
    """Create a campaign folder.  Everything is checked first; on any problem nothing is written.

    ``settings`` names the office's standing settings (:class:`CampaignSettings`); an argument given here wins
    over the file."""
    directory = Path(directory)
    if (directory / CONFIG_NAME).exists():
        raise XlkpiError(problem("campaign-exists", file=str(directory / CONFIG_NAME)))
    if (roster is None) == (province is None):
        raise ValueError("give exactly one of roster and province")
    standing = read_settings(settings) if settings is not None else CampaignSettings()
    deadline = deadline or standing.deadline
    owner = owner if owner is not None else standing.owner
    send_to = send_to or standing.send_to
    convention = convention or standing.convention
    report_number = report_number or standing.report_number
    report_date = report_date or standing.report_date
    signer_name = signer_name or standing.signer_name

    plan_path = resolve_plan(plan)
    loaded, report = read_plan_file(plan_path)
    if loaded is None:
        raise XlkpiError(report.errors)
    parsed_period = Period.parse(period)
    parsed_deadline = parse_date(deadline) if isinstance(deadline, str) else deadline
    if roster is not None:
        units, roster_report = read_roster(roster, loaded)
        if not roster_report.valid:
            raise XlkpiError(roster_report.errors)
    else:
        from xlkpi.units.divisions import province_roster  # the divisions list takes 40 ms to import

        units = province_roster(province or "", departments=departments)
        roster_report = units.check(loaded)
        if not roster_report.valid:
            raise XlkpiError(roster_report.errors)

    created = (now or datetime.now()).replace(microsecond=0)
    campaign_id = f"{loaded.id}-{slug(str(parsed_period))}-{secrets.token_hex(3)}"
    alphabet = string.ascii_letters + string.digits
    config = CampaignConfig(
        id=campaign_id,
        plan_id=loaded.id,
        plan_version=loaded.version,
        period=str(parsed_period),
        convention=convention or loaded.period_convention,  # type: ignore[arg-type]
        deadline=parsed_deadline,
        owner=owner if owner is not None else loaded.document.issuer,
        send_to=send_to,
        password="".join(secrets.choice(alphabet) for _ in range(12)),
        created=created,
        report_number=report_number,
        report_date=parse_date(report_date) if isinstance(report_date, str) else report_date,
        signer_name=signer_name,
        **({"recipients": standing.recipients} if standing.recipients is not None else {}),
        mail=standing.mail,
        approved_only=approved_only,
    )

    directory.mkdir(parents=True, exist_ok=True)
    for folder in FOLDERS:
        (directory / folder).mkdir(exist_ok=True)
    with atomic_output(directory / PLAN_NAME, force=True) as temp:
        if is_plan_workbook(plan_path):  # frozen as YAML: the campaign's plan is one plain file
            temp.write_bytes(plan_file(loaded, PLAN_NAME, f"Kế hoạch {loaded.id} của đợt báo cáo, chép từ "
                                                          f"{plan_path.name}."))
        else:
            temp.write_bytes(plan_path.read_bytes())
    Roster(units.units, str(directory / ROSTER_NAME)).write(directory / ROSTER_NAME, force=True)
    secret_path = directory / SECRET_NAME
    fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    with atomic_output(directory / CONFIG_NAME) as temp:
        temp.write_text(_config_yaml(config), encoding="utf-8")
    return Campaign(directory, config)


def _config_yaml(config: CampaignConfig) -> str:
    data = config.model_dump(mode="json")
    data.pop("mail", None)
    header = (
        "# Đợt báo cáo xlkpi / an xlkpi campaign. Tạo bởi 'xlkpi init'.\n"
        "# password: mật khẩu mở khóa trang tính của các tệp nhập liệu (giữ kín).\n"
        "# report_number, report_date, signer_name: số, ngày của báo cáo kèm phụ lục tổng hợp và người ký (có thể sửa).\n"
        "# recipients: \"Nơi nhận\" in dưới phụ lục tổng hợp, mỗi dòng một nơi (có thể sửa).\n"
        "# approved_only: true — chỉ tổng hợp các báo cáo đã được duyệt (xlkpi approve).\n"
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if config.mail is not None:
        body += yaml.safe_dump({"mail": config.mail.model_dump(mode="json", exclude_defaults=True)},
                               allow_unicode=True, sort_keys=False)
    else:
        body += MAIL_EXAMPLE
    return header + body


#: written into a new campaign.yaml so the office sees how to give its mailbox (``xlkpi send``, ``fetch``)
MAIL_EXAMPLE = """\
# Hộp thư của cơ quan để gửi, nhận tệp qua thư điện tử (xlkpi send / fetch / remind): bỏ dấu # và sửa.
# Mật khẩu KHÔNG ghi ở đây: đặt biến môi trường XLKPI_MAIL_PASSWORD hoặc chạy 'xlkpi mail password'.
# mail:
#   address: vanphong@example.gov.vn
#   smtp: {host: mail.example.gov.vn, port: 587, security: starttls, user: vanphong@example.gov.vn}
#   imap: {host: mail.example.gov.vn, port: 993, security: ssl, user: vanphong@example.gov.vn, folder: INBOX}
"""


def find_campaign_dir(start: str | Path | None = None) -> Path:
    """The campaign folder holding ``start`` (default: the current folder), looking upwards."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise XlkpiError(problem("campaign-not-found", file=str(here)))


def open_campaign(directory: str | Path | None = None) -> Campaign:
    folder = find_campaign_dir(directory)
    path = folder / CONFIG_NAME
    config, located = _read_edited(path, CampaignConfig)
    try:
        Period.parse(config.period)
    except XlkpiError as exc:  # named at its line, as every other mistake in the file
        raise XlkpiError([replace(p, file=str(path), path="period", line=located.lines.get(("period",)))
                          for p in exc.problems]) from None
    return Campaign(folder, config)

