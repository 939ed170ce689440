"""``xlkpi export``: the long table of results, for other systems.

One row per unit and indicator of every accepted submission: unit, level, parent, indicator, its number
with its section ("I.1"), period, numerator, denominator, value, judgement, submission file and when it
was received.  CSV (UTF-8 with BOM, so Excel shows
Vietnamese) or JSON.  In CSV, a text that a spreadsheet would take for a formula (starting with = + - @)
gets a leading apostrophe, so that opening the file in Excel never runs what a unit typed; JSON keeps
every text exactly.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from xlkpi.common.text import csv_safe
from xlkpi.collect import ledger as L
from xlkpi.campaign.folder import Campaign
from xlkpi.report.rollup import LABELS

COLUMNS = ("unit", "unit_name", "level", "parent", "indicator", "number", "section", "period", "numerator",
           "denominator", "value", "text", "judgement", "explanation", "evidence", "file", "received_at")


def long_table(campaign: Campaign) -> list[dict[str, Any]]:
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        return _rows(campaign, connection)
    finally:
        connection.close()


def _rows(campaign: Campaign, connection: sqlite3.Connection) -> list[dict[str, Any]]:
    current = L.current_submissions(connection)
    files = {sha: path for unit, (sha, path, _) in current.items()}
    received = {sha: at for unit, (sha, _, at) in current.items()}
    plan = campaign.plan
    order = {i.id: n for n, i in enumerate(plan.all_indicators)}
    numbers = {i.id: plan.full_number(i.id) for i in plan.all_indicators}
    sections = {i.id: (s.title if s else "") for s, i in plan.iter_indicators()}
    units = {u.code: u for u in campaign.roster.units}
    unit_order = {code: n for n, code in enumerate(units)}
    rows = []
    for sha, unit, indicator, period, numerator, denominator, value, text, explanation, evidence, status in (
        connection.execute('SELECT sha256, unit, indicator, period, numerator, denominator, value, text, explanation, '
                           'evidence, status FROM "values"')
    ):
        if sha not in files or unit not in units:
            continue
        rows.append({
            "unit": unit, "unit_name": units[unit].name, "level": units[unit].level,
            "parent": units[unit].parent or "", "indicator": indicator, "number": numbers.get(indicator, ""),
            "section": sections.get(indicator, ""), "period": period, "numerator": _whole(numerator), "denominator": _whole(denominator),
            "value": None if value is None else round(value, 6), "text": text,
            "judgement": LABELS.get(status, status), "explanation": explanation or "", "evidence": evidence or "",
            "file": files[sha], "received_at": received[sha],
        })
    rows.sort(key=lambda r: (unit_order.get(r["unit"], 0), order.get(r["indicator"], 0)))
    return rows


def _whole(value: float | None) -> float | int | None:
    return int(value) if value is not None and float(value).is_integer() else value


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def export_path(campaign: Campaign, fmt: str) -> Path:
    return campaign.reports / f"{campaign.plan.id}-{campaign.config.period.lower()}-du-lieu.{fmt}"
