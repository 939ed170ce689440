"""The messages xlkpi sends: Vietnamese subject and body from templates the campaign can override.

A template is text with fields in braces, named in Vietnamese without marks so an office can edit them in
campaign.yaml (``mail.templates.send.subject`` …):

=================  ==================================================================
``{ten_don_vi}``   the unit's name                 ``{ma_don_vi}``  its code
``{ke_hoach}``     the appendix's title            ``{co_quan}``    the collecting office
``{ky_bao_cao}``   the period ("Quý III năm 2025") ``{tu_ngay}``, ``{den_ngay}``  its dates
``{han_nop}``      the deadline (dd/mm/yyyy)       ``{gui_ve}``     where to reply
``{ma_dot}``       the campaign's id               ``{ten_tep}``    the attached file's name
``{danh_sach_loi}``  the problems of a rejected return, one per line   ``{so_loi}``  how many
=================  ==================================================================

The campaign's id is in every subject, so that a reply ("Re: …") names its campaign and ``xlkpi fetch
--only-campaign`` can tell it from other mail.
"""

from __future__ import annotations

import mimetypes
import string
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from xlkpi.campaign.folder import CONFIG_NAME, Campaign
from xlkpi.campaign.mailconfig import MailConfig, MessageTemplate
from xlkpi.common.messages import addresses
from xlkpi.problems import XlkpiError, problem
from xlkpi.units.roster import Unit

SEND, REMIND_MISSING, REMIND_REJECTED = "send", "remind_missing", "remind_rejected"

DEFAULTS: dict[str, MessageTemplate] = {
    SEND: MessageTemplate(
        subject="[{ma_dot}] Đề nghị báo cáo {ky_bao_cao} — {ten_don_vi}",
        body=(
            "Kính gửi: {ten_don_vi}\n\n"
            "{co_quan} gửi Quý cơ quan tệp Excel nhập liệu báo cáo kết quả thực hiện chỉ tiêu\n"
            "{ke_hoach},\nkỳ {ky_bao_cao} (số liệu {tu_ngay} đến {den_ngay}).\n\n"
            "Đề nghị Quý cơ quan:\n"
            "  1. Mở tệp đính kèm ({ten_tep}) bằng Excel, LibreOffice hoặc WPS; đọc trang \"Hướng dẫn\".\n"
            "  2. Nhập số liệu vào các ô màu vàng, giữ nguyên tên và cấu trúc tệp.\n"
            "  3. Gửi lại tệp đã nhập bằng cách trả lời thư này (gửi về {gui_ve}) trước ngày {han_nop}.\n\n"
            "Không cần in, ký hay chuyển sang PDF: tệp Excel đã nhập là bản báo cáo.\n"
            "Mã đợt báo cáo: {ma_dot} (xin giữ nguyên trong tiêu đề khi trả lời).\n\n"
            "Trân trọng.\n{co_quan}\n"
        ),
    ),
    REMIND_MISSING: MessageTemplate(
        subject="[{ma_dot}] Nhắc báo cáo {ky_bao_cao} — {ten_don_vi}",
        body=(
            "Kính gửi: {ten_don_vi}\n\n"
            "Đến nay {co_quan} chưa nhận được báo cáo kỳ {ky_bao_cao} của Quý cơ quan\n"
            "({ke_hoach}). {tinh_trang_han}\n\n"
            "Đề nghị Quý cơ quan nhập số liệu vào tệp Excel đã gửi (gửi lại kèm thư này: {ten_tep})\n"
            "và gửi về {gui_ve} bằng cách trả lời thư này.\n\n"
            "Nếu Quý cơ quan đã gửi, xin gửi lại tệp kèm theo thư trả lời này.\n"
            "Mã đợt báo cáo: {ma_dot}.\n\n"
            "Trân trọng.\n{co_quan}\n"
        ),
    ),
    REMIND_REJECTED: MessageTemplate(
        subject="[{ma_dot}] Báo cáo {ky_bao_cao} cần sửa và gửi lại — {ten_don_vi}",
        body=(
            "Kính gửi: {ten_don_vi}\n\n"
            "{co_quan} đã nhận tệp báo cáo kỳ {ky_bao_cao} của Quý cơ quan nhưng chưa tiếp nhận được\n"
            "vì còn {so_loi} lỗi:\n\n{danh_sach_loi}\n\n"
            "Tệp đính kèm ({ten_tep}) là bản Quý cơ quan đã gửi, các ô cần sửa được tô đỏ và ghi chú;\n"
            "trang \"Phản hồi\" liệt kê từng lỗi. Đề nghị sửa trực tiếp trên tệp này và gửi lại về {gui_ve}\n"
            "bằng cách trả lời thư này. {tinh_trang_han}\n\n"
            "Mã đợt báo cáo: {ma_dot}.\n\n"
            "Trân trọng.\n{co_quan}\n"
        ),
    ),
}

FIELDS = ("ten_don_vi", "ma_don_vi", "ke_hoach", "co_quan", "ky_bao_cao", "tu_ngay", "den_ngay", "han_nop",
          "gui_ve", "ma_dot", "ten_tep", "danh_sach_loi", "so_loi", "tinh_trang_han")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Outgoing:
    """One message to send, and what the ledger records of it."""

    kind: str
    unit: Unit
    about: str
    recipients: list[str]
    message: EmailMessage
    attachment: str | None
    attachment_sha256: str | None

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


def mail_config(campaign: Campaign) -> MailConfig:
    config = campaign.config.mail
    if config is None:
        raise XlkpiError(problem("mail-not-configured", file=str(campaign.directory / CONFIG_NAME)))
    return config


def server_config(campaign: Campaign, kind: str) -> Any:
    """The campaign's SMTP or IMAP server settings (``kind``: "smtp", "imap"); a located problem when the
    mail block has none."""
    server = getattr(mail_config(campaign), kind)
    if server is None:
        raise XlkpiError(problem("mail-server-missing", file=str(campaign.directory / CONFIG_NAME), kind=kind))
    return server


def check_templates(campaign: Campaign) -> None:
    """Every template the campaign overrides uses known fields only (checked before anything is sent)."""
    config = mail_config(campaign)
    for kind in DEFAULTS:
        own = getattr(config.templates, kind)
        for part in ("subject", "body", "attachment"):
            text = getattr(own, part)
            if text is None:
                continue
            key = f"mail.templates.{kind}.{part}"
            try:
                parsed = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                          if name is not None]
                fields = [name for name, _, _ in parsed]
                for name, spec, conversion in parsed:
                    if spec or conversion:  # "{ma_dot:x>2000000000}" would fill memory; a field is {name} only
                        raise ValueError(f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                                         " — chỉ viết {tên trường}, không kèm định dạng")
            except ValueError as exc:
                raise XlkpiError(problem("mail-template-invalid", file=str(campaign.directory / CONFIG_NAME), path=key,
                                         detail=str(exc), known=", ".join(FIELDS))) from exc
            unknown = [name for name in fields if name not in FIELDS]
            if unknown:
                raise XlkpiError(problem("mail-template-invalid", file=str(campaign.directory / CONFIG_NAME), path=key,
                                         detail=f"trường lạ {{{unknown[0]}}}", known=", ".join(FIELDS)))


def unit_addresses(unit: Unit) -> list[str]:
    """The unit's e-mail addresses, from the roster's contact cell (which may also hold a name, a phone)."""
    return addresses(unit.contact)


def reply_address(campaign: Campaign, config: MailConfig) -> str:
    if config.reply_to:
        return config.reply_to
    found = addresses(campaign.config.send_to)
    return found[0] if found else config.address


def fields_for(campaign: Campaign, unit: Unit, attachment: str, today: date, **extra: str) -> dict[str, str]:
    config = mail_config(campaign)
    period = campaign.period
    start, end = period.date_range(campaign.config.convention)
    deadline = campaign.config.deadline
    if deadline is None:
        standing = ""
    elif today > deadline:
        standing = f"Hạn nộp là ngày {deadline:%d/%m/%Y}; đã quá hạn {(today - deadline).days} ngày."
    else:
        standing = f"Hạn nộp là ngày {deadline:%d/%m/%Y}."
    values = {
        "ten_don_vi": unit.name,
        "ma_don_vi": unit.code,
        "ke_hoach": " ".join(campaign.plan.document.appendix.title),
        "co_quan": campaign.config.owner,
        "ky_bao_cao": period.label,
        "tu_ngay": f"{start:%d/%m/%Y}",
        "den_ngay": f"{end:%d/%m/%Y}",
        "han_nop": f"{deadline:%d/%m/%Y}" if deadline else "(theo văn bản đề nghị)",
        "gui_ve": reply_address(campaign, config),
        "ma_dot": campaign.id,
        "ten_tep": attachment,
        "danh_sach_loi": "",
        "so_loi": "0",
        "tinh_trang_han": standing,
    }
    values.update(extra)
    return values


def render(campaign: Campaign, kind: str, values: dict[str, str]) -> tuple[str, str, str | None]:
    """(subject, body, attachment name or None) of a message of ``kind``: the campaign's template, else the
    default."""
    own = getattr(mail_config(campaign).templates, kind)
    default = DEFAULTS[kind]
    # a value from outside (a unit's name from the roster) may hold a line break: a header is one line
    subject = " ".join((own.subject or default.subject or "").format_map(values).split())
    body = (own.body or default.body or "").format_map(values)
    attachment = " ".join(own.attachment.format_map(values).split()) if own.attachment else None
    return " ".join(subject.split()), body, attachment


def build(campaign: Campaign, *, kind: str, unit: Unit, about: str, recipients: list[str], subject: str, body: str,
          attachment: tuple[str, bytes] | None, attachment_sha256: str | None, now: datetime) -> Outgoing:
    config = mail_config(campaign)
    message = EmailMessage(policy=policy.SMTP)
    if subject.isascii():
        message["Subject"] = subject
    else:  # encoded here: Python 3.11's folding drops the space where it splits encoded words ("IIInăm")
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode(linesep="\n"))
    message["From"] = Address(config.name or campaign.config.owner, addr_spec=config.address)
    message["To"] = ", ".join(recipients)
    reply_to = reply_address(campaign, config)
    if reply_to.lower() != config.address.lower():
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(now.astimezone())
    domain = config.address.rsplit("@", 1)[-1] or None
    message["Message-ID"] = make_msgid(idstring=f"xlkpi.{unit.code}", domain=domain)
    message["X-Xlkpi-Campaign"] = campaign.id
    message["X-Xlkpi-Unit"] = unit.code
    message.set_content(body, charset="utf-8")
    name = None
    if attachment is not None:
        name, data = attachment
        guessed = mimetypes.guess_type(name)[0] if not name.lower().endswith(".xlsx") else XLSX_TYPE
        maintype, subtype = (guessed or "application/octet-stream").split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return Outgoing(kind, unit, about, recipients, message, name, attachment_sha256)
