"""``xlkpi consolidate``: the appendix for signature, from the ledger's accepted submissions."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from xlkpi.collect import audit, workflow
from xlkpi.collect import ledger as L
from xlkpi.report.appendix import Context, write_consolidated
from xlkpi.campaign.folder import CONFIG_NAME, Campaign, open_campaign
from xlkpi.common.files import atomic_file, file_sha256, write_atomically
from xlkpi.common.office import convert
from xlkpi.problems import XlkpiError
from xlkpi.report.rollup import Consolidation, LedgerValues, consolidate_values, office_values
from xlkpi.collect.status import Status, read_status
from xlkpi.report.submission import SubmissionResult, fill_upper_workbook


@dataclass
class ConsolidateResult:
    path: Path
    consolidation: Consolidation
    status: Status
    pdf: Path | None = None
    submission: SubmissionResult | None = None
    #: the SHA-256 of the appendix workbook as written
    sha256: str = ""


def appendix_path(campaign: Campaign) -> Path:
    return campaign.reports / f"{campaign.plan.id}-{campaign.config.period.lower()}-phu-luc.xlsx"


def gather(campaign: Campaign) -> tuple[Consolidation, Status]:
    """Roll up the accepted submissions recorded in the ledger."""
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        status = read_status(campaign, connection)
        # the returns the workflow lets count: the current ones, without those returned to their unit; with
        # approved_only, the approved ones; once locked, the ones the lock froze
        current = {u.unit.code: u.used_sha256 for u in status.units if u.used_sha256}
        office = office_values(connection, campaign.config.period)
    finally:
        connection.close()
    values = LedgerValues(campaign.directory / L.LEDGER_NAME, current)
    return consolidate_values(campaign.plan, campaign.target_year, campaign.roster, values, office), status


def trend_campaigns(campaign: Campaign) -> list[Campaign]:
    """The campaigns of the same plan beside this one (sibling folders with a ledger), this one included,
    in the order of their periods."""
    found = [campaign]
    for config in sorted(campaign.directory.parent.glob(f"*/{CONFIG_NAME}")):
        folder = config.parent
        if folder.resolve() == campaign.directory.resolve() or not (folder / L.LEDGER_NAME).exists():
            continue
        try:
            other = open_campaign(folder)
        except XlkpiError:
            continue  # a folder that is not a readable campaign is not part of the trend
        if other.config.plan_id == campaign.config.plan_id:
            found.append(other)
    return sorted(found, key=lambda c: (c.period.date_range(c.config.convention)[1], str(c.period)))


def consolidate(campaign: Campaign, *, pdf: bool = False, charts: bool = True, trend: bool = False,
                submission: str | Path | None = None, upper_plan: str | Path | None = None,
                who: str | None = None) -> ConsolidateResult:
    consolidation, status = gather(campaign)
    config = campaign.config
    context = Context(config.id, campaign.period, config.convention, config.deadline, config.owner, config.created,
                      config.report_number, config.report_date, config.signer_name, config.recipients)
    periods = None
    if trend:
        periods = []
        for other in trend_campaigns(campaign):
            totals = consolidation.totals if other is campaign else gather(other)[0].totals
            periods.append((other.period, totals))
    path = appendix_path(campaign)
    with atomic_file(path, force=True) as out:
        write_consolidated(consolidation, status, context, out, charts=charts, trend=periods)
    result = ConsolidateResult(path, consolidation, status, sha256=file_sha256(path))
    audit.audited(campaign, "consolidate", {"appendix": path.name, "sha256": result.sha256,
                                            "units": status.with_data, "locked": status.lock is not None}, who)
    if submission is not None:
        result.submission = fill_upper_workbook(submission, consolidation, config.owner, campaign.reports, upper_plan)
    if pdf:
        result.pdf = print_appendix(consolidation, status, context, path.with_suffix(".pdf"))
    return result


#: LibreOffice's PDF export as PDF/A-2b (archival: fonts embedded, no transparency tricks, XMP metadata), the
#: form the signed appendix is kept in; a LibreOffice older than 7.4 ignores the option and writes a plain PDF
PDF_A = 'pdf:calc_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'


def lock_round(campaign: Campaign, reason: str, *, who: str | None = None, pdf: bool = False) -> ConsolidateResult:
    """Lock the round's figures (a reason is required): which return of each unit counts is frozen as it stands,
    recorded with who, when and why; the appendix is written again, saying "Số liệu chốt ngày …", and its
    SHA-256 kept with the lock. Files collected later are recorded and change nothing until ``reopen``."""
    reason = workflow.clean_reason(reason, "lock")
    who = who or audit.current_user()
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        with L.transaction(connection):  # the snapshot and the lock in one step: no collect slips between
            workflow.refuse_if_locked(connection)
            status = read_status(campaign, connection)
            snapshot = {u.unit.code: u.used_sha256 for u in status.units if u.used_sha256}
            at = L.now()
            lock_id = connection.execute(
                "INSERT INTO locks (kind, reason, decided_by, decided_at, snapshot, last_run) "
                "VALUES ('lock', ?, ?, ?, ?, (SELECT MAX(id) FROM runs))",
                (reason, who, at, json.dumps(snapshot, sort_keys=True))).lastrowid
            audit.record(connection, "lock", campaign.id, who=who, reason=reason,
                         detail={"units": len(snapshot)}, at=at)
    finally:
        connection.close()
    result = consolidate(campaign, pdf=pdf, who=who)
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        with L.transaction(connection):
            connection.execute("UPDATE locks SET appendix_sha256 = ? WHERE id = ?", (result.sha256, lock_id))
    finally:
        connection.close()
    return result


def print_appendix(consolidation: Consolidation, status: Status, context: Context, target: Path) -> Path:
    """The appendix alone, as PDF through LibreOffice (a print copy with the results as values)."""
    with tempfile.TemporaryDirectory(prefix="xlkpi-pdf-") as folder:
        source = Path(folder) / f"{target.stem}.xlsx"
        with source.open("wb") as out:
            write_consolidated(consolidation, status, context, out, print_copy=True)
        produced = convert(source, PDF_A, folder)
        write_atomically(target, produced.read_bytes(), force=True)
    return target
