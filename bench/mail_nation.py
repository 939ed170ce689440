"""Benchmark: e-mail every commune of the nation (3,321) its workbook through an SMTP server on this machine.

Set-up (not timed): a campaign of lai-chau-2025 over the official divisions with an address per unit,
generate, and aiosmtpd on 127.0.0.1 (pip install aiosmtpd, a test dependency).  Timed: ``send --dry-run``
(every message written as .eml), ``send`` (every message delivered and recorded in the ledger), and a
second ``send`` (nothing to send: every unit already has its workbook).

    python bench/mail_nation.py
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.mailservers import smtp_server  # noqa: E402
from xlkpi.campaign.folder import init_campaign, open_campaign  # noqa: E402
from xlkpi.forms.generate import generate  # noqa: E402
from xlkpi.mail.send import send  # noqa: E402
from xlkpi.units.divisions import national_roster  # noqa: E402
from xlkpi.units.roster import Roster  # noqa: E402

USER, PASSWORD = "vanphong@example.gov.vn", "bench"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="xlkpi-bench-mail-") as folder:
        base = Path(folder)
        units = [dataclasses.replace(u, contact=f"ubnd.{u.code}@example.gov.vn") for u in national_roster().units]
        Roster(units).write(base / "nation.csv")
        init_campaign(base / "c", plan="lai-chau-2025", period="2025-Q3", roster=base / "nation.csv",
                      deadline="20/10/2025")
        controller, server = smtp_server(USER, PASSWORD)
        try:
            with open(base / "c" / "campaign.yaml", "a", encoding="utf-8") as handle:
                handle.write(f"mail:\n  address: {USER}\n  smtp: {{host: 127.0.0.1, port: {server.port}, "
                             f"security: none, user: {USER}}}\n")
            os.environ["XLKPI_MAIL_PASSWORD"] = PASSWORD
            campaign = open_campaign(base / "c")
            generate(campaign)
            for label, kwargs in (("send --dry-run", {"dry_run": True}), ("send", {}), ("send again", {})):
                started = time.perf_counter()
                result = send(campaign, **kwargs)
                elapsed = time.perf_counter() - started
                count = len(result.written) or len(result.sent) or len(result.already)
                print(f"{label:15} {count:5} units  {elapsed:6.2f} s  {1000 * elapsed / max(count, 1):5.2f} ms/unit")
            print(f"messages the server received: {len(server.messages)}; "
                  f"bytes: {sum(len(m.data) for m in server.messages) / 1e6:.1f} MB")
        finally:
            controller.stop()


if __name__ == "__main__":
    main()
