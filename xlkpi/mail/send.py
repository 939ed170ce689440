"""``xlkpi send`` and ``xlkpi remind``: each unit its workbook, reminders, feedback copies — by e-mail.

Every message delivered is recorded in the ledger (``mail_sent``) the moment the server accepts it, with
what it was about: the workbook's SHA-256 for ``send``, the rejected return for a feedback reminder, the
day for a reminder to a missing unit.  The same thing is never sent to a unit twice unless ``again``, so
a run stopped half-way (a dropped connection) is finished by running it again.  ``dry_run`` writes each
message as an ``.eml`` file into ``outbox/mail/`` for review and sends nothing.
"""

from __future__ import annotations

import hashlib
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xlkpi.campaign.folder import Campaign
from xlkpi.collect import audit
from xlkpi.collect import ledger as L
from xlkpi.collect.report import FEEDBACK_DIR
from xlkpi.collect.status import MISSING, RESUBMIT, read_status
from xlkpi.common.files import write_atomically
from xlkpi.common.messages import safe_file_name
from xlkpi.forms.generate import file_names, select_units
from xlkpi.mail.compose import (REMIND_MISSING, REMIND_REJECTED, SEND, Outgoing, build, check_templates,
                                fields_for, mail_config, render, server_config, unit_addresses)
from xlkpi.mail.servers import open_smtp
from xlkpi.problems import Problem, XlkpiError, exception_detail, problem
from xlkpi.units.roster import Unit

MAIL_DIR = "mail"


@dataclass
class MailResult:
    sent: list[Outgoing] = field(default_factory=list)
    #: --dry-run: the .eml files written instead
    written: list[Path] = field(default_factory=list)
    #: units skipped because the same thing was sent to them before (send again with --again)
    already: list[Unit] = field(default_factory=list)
    #: units without an e-mail address in the roster, with where to add one
    no_address: list[Problem] = field(default_factory=list)
    #: units whose file to attach is missing (workbook not generated, feedback copy not written)
    no_file: list[Problem] = field(default_factory=list)
    #: messages the server refused, one problem each; the others were sent
    failed: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [*self.no_address, *self.no_file, *self.failed]


def _chosen(campaign: Campaign, units: Sequence[str], level: str | None) -> list[Unit]:
    chosen, _, problems = select_units(campaign.plan, campaign.roster.units, units, level)
    if problems:
        raise XlkpiError(problems)
    return chosen


def _sent_before(connection, kind: str, unit: str, about: str) -> bool:
    return connection.execute("SELECT 1 FROM mail_sent WHERE kind = ? AND unit = ? AND about = ? LIMIT 1",
                              (kind, unit, about)).fetchone() is not None


def _message(campaign: Campaign, connection, result: MailResult, *, kind: str, unit: Unit, path: Path,
             missing: str, about: str | None, again: bool, now: datetime, **extra: str) -> Outgoing | None:
    """The message of ``kind`` to ``unit`` with ``path`` attached, or None when the unit is left out (and
    why goes into ``result``): no file to attach (problem ``missing``), no address, or the same thing —
    ``about``, else the attachment's SHA-256 — sent before."""
    if not path.is_file():
        result.no_file.append(problem(missing, severity="warning", file=str(path), code=unit.code, name=unit.name))
        return None
    recipients = unit_addresses(unit)
    if not recipients:
        result.no_address.append(problem("mail-no-address", severity="warning", file=campaign.roster.source,
                                         row=unit.row, code=unit.code, name=unit.name))
        return None
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    about = about or sha
    if not again and _sent_before(connection, kind, unit.code, about):
        result.already.append(unit)
        return None
    subject, body, attachment = render(campaign, kind, fields_for(campaign, unit, path.name, now.date(), **extra))
    return build(campaign, kind=kind, unit=unit, about=about, recipients=recipients, subject=subject, body=body,
                 attachment=(attachment or path.name, data), attachment_sha256=sha, now=now)


def _mailing(campaign: Campaign, compose: Callable[[Any, MailResult, datetime], list[Outgoing | None]],
             dry_run: bool, now: datetime | None, opener: Callable[..., smtplib.SMTP]) -> MailResult:
    """Check the mail settings and templates, compose the messages from the ledger, deliver them (or
    write them, ``dry_run``)."""
    config = mail_config(campaign)
    check_templates(campaign)
    now = (now or datetime.now()).replace(microsecond=0)
    result = MailResult()
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        outgoing = [item for item in compose(connection, result, now) if item is not None]
        _deliver(campaign, config, outgoing, result, connection, dry_run, now, opener)
    finally:
        connection.close()
    return result


def send(campaign: Campaign, *, units: Sequence[str] = (), level: str | None = None, dry_run: bool = False,
         again: bool = False, now: datetime | None = None,
         opener: Callable[..., smtplib.SMTP] = open_smtp) -> MailResult:
    """E-mail each chosen unit its data-entry workbook from ``outbox/``."""
    names = file_names(campaign.roster.units)
    chosen = _chosen(campaign, units, level)

    def compose(connection, result: MailResult, moment: datetime) -> list[Outgoing | None]:
        return [_message(campaign, connection, result, kind=SEND, unit=unit, path=campaign.outbox / names[unit.code],
                         missing="mail-no-workbook", about=None, again=again, now=moment) for unit in chosen]

    return _mailing(campaign, compose, dry_run, now, opener)


def remind(campaign: Campaign, *, units: Sequence[str] = (), level: str | None = None, dry_run: bool = False,
           again: bool = False, now: datetime | None = None,
           opener: Callable[..., smtplib.SMTP] = open_smtp) -> MailResult:
    """Remind units that have not returned (their blank workbook attached again), and send units whose
    return was rejected their feedback copy with the list of problems in the body.  From the ledger as
    the last ``collect`` left it."""
    names = file_names(campaign.roster.units)
    wanted = {unit.code for unit in _chosen(campaign, units, level)}

    def compose(connection, result: MailResult, moment: datetime) -> list[Outgoing | None]:
        status = read_status(campaign, connection)
        entries = [e for e in status.units if e.unit.code in wanted and e.state in (MISSING, RESUBMIT)]
        problems = L.problems_of(connection, [e.rejected_sha256 for e in entries if e.rejected_sha256])
        outgoing = []
        for entry in entries:
            name = names[entry.unit.code]
            if entry.state == MISSING:  # at most one reminder a day
                outgoing.append(_message(campaign, connection, result, kind=REMIND_MISSING, unit=entry.unit,
                                         path=campaign.outbox / name, missing="mail-no-workbook",
                                         about=moment.date().isoformat(), again=again, now=moment))
            else:
                if entry.rejected_sha256:
                    found = [p for p in problems.get(entry.rejected_sha256, []) if p[1] == "error"]
                    lines = [_problem_line(p) for p in found]
                else:  # returned by an officer: the reason is the one thing to fix
                    lines = [f"  - Báo cáo bị trả lại: {entry.review_reason}"]
                outgoing.append(_message(campaign, connection, result, kind=REMIND_REJECTED, unit=entry.unit,
                                         path=campaign.reports / FEEDBACK_DIR / name, missing="mail-no-feedback",
                                         about=entry.rejected_sha256 or f"{entry.sha256}:tra-lai", again=again,
                                         now=moment, danh_sach_loi="\n".join(lines), so_loi=str(len(lines))))
        return outgoing

    return _mailing(campaign, compose, dry_run, now, opener)


def _problem_line(found: tuple) -> str:
    _, _, sheet, cell, message_vi, _ = found
    where = f"Trang {sheet}, ô {cell}: " if sheet and cell else (f"Ô {cell}: " if cell else "")
    return f"  - {where}{message_vi}"


def _eml_name(item: Outgoing) -> str:
    """The preview's file name: the kind, the unit's code (a templated attachment name is the same for every
    unit) and the attachment's name, safe on every system."""
    prefix = {SEND: "", REMIND_MISSING: "nhac_", REMIND_REJECTED: "phan-hoi_"}[item.kind]
    stem = Path(item.attachment).stem if item.attachment else ""
    if not stem.startswith(item.unit.code):
        stem = f"{item.unit.code}_{stem}" if stem else item.unit.code
    return safe_file_name(f"{prefix}{stem}.eml")


def _deliver(campaign: Campaign, config, outgoing: list[Outgoing], result: MailResult, connection, dry_run: bool,
             now: datetime, opener: Callable[..., smtplib.SMTP]) -> None:
    if dry_run:
        folder = campaign.outbox / MAIL_DIR
        taken: set[str] = set()
        for item in outgoing:
            name, n = _eml_name(item), 2
            while name.lower() in taken:  # two messages to one unit in a run: each its own preview
                name, n = f"{Path(_eml_name(item)).stem}-{n}.eml", n + 1
            taken.add(name.lower())
            path = folder / name
            write_atomically(path, item.message.as_bytes(), force=True)
            result.written.append(path)
        return
    if not outgoing:
        return
    client = opener(server_config(campaign, "smtp"))
    try:
        for item in outgoing:
            try:
                refused = client.send_message(item.message, from_addr=config.address, to_addrs=item.recipients)
            except smtplib.SMTPRecipientsRefused as exc:
                result.failed.append(problem("mail-refused", code=item.unit.code, name=item.unit.name,
                                             detail=_refusals(exc.recipients)))
                continue
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                result.failed.append(problem("mail-refused", code=item.unit.code, name=item.unit.name,
                                             detail=exception_detail(exc)))
                continue
            except (OSError, smtplib.SMTPException) as exc:  # the connection is gone: what was sent is recorded
                raise XlkpiError(problem("mail-interrupted", sent=len(result.sent), total=len(outgoing),
                                         detail=exception_detail(exc))) from exc
            delivered = [r for r in item.recipients if r not in refused]
            connection.execute(
                "INSERT INTO mail_sent (kind, unit, about, message_id, sent_at, recipients, subject, attachment, "
                "attachment_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (item.kind, item.unit.code, item.about, item.message_id, now.isoformat(sep=" "), ", ".join(delivered),
                 item.subject, item.attachment, item.attachment_sha256))
            audit.record(connection, "send" if item.kind == "send" else "remind", item.unit.code,
                         detail={"kind": item.kind, "to": delivered, "attachment": item.attachment,
                                 "message_id": item.message_id})
            if refused:
                result.failed.append(problem("mail-refused", severity="warning", code=item.unit.code,
                                             name=item.unit.name, detail=_refusals(refused)))
            result.sent.append(item)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _refusals(refused: dict) -> str:
    parts = []
    for address, answer in refused.items():
        code, text = answer if isinstance(answer, tuple) else (answer, b"")
        said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        parts.append(f"{address}: {code} {said}".strip())
    return "; ".join(parts)[:300]
