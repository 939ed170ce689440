"""Mutation fuzzing of mail: replies with returns attached, as units' mail programs write them, damaged at
random (headers with line breaks and control characters, broken MIME boundaries and encodings, encoded-word
and RFC 2231 names gone wrong, forwards nested deep, bytes flipped, cut short) and read the way ``fetch``
and ``collect`` read them.

Invariants (a broken one is an *escape*):

- parsing a message, its attachments, its sender and its time raise nothing;
- every attachment name becomes a file name every system accepts (it is written, in a temporary folder);
- no text from the message reaches the terminal with a control character (``terminal_safe``);
- ``collect`` over the damaged messages (saved as .eml) completes, every file ends in one state, and the
  returns of the undamaged messages beside them are accepted.

``tests/test_fuzz_mail.py`` runs a bounded number under hypothesis in CI; for long runs::

    python -m tests.fuzz_mail --minutes 30
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from email.message import EmailMessage
from pathlib import Path

from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.collect import ledger as L
from xlkpi.collect.run import collect
from xlkpi.common.messages import (addresses, attachments, header_text, message_time, parse_message, safe_file_name,
                                   sender_address)
from xlkpi.common.text import terminal_safe
from xlkpi.forms.generate import generate
from xlkpi.forms.simulate import fill_workbook, plausible_values

CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HOSTILE = ["\r\nBcc: x@y.vn", "\x1b]0;owned\x07", "\u009b31m", "\u202egnp.exe", "\x00", "=?utf-8?b?////?=",
           "=?x-unknown?q?abc?=", "=?utf-8?q?=E1=BB?=", "Đơn vị " * 60, "../../etc/passwd", "CON.xlsx", "a" * 3000,
           "nguyễn.văn.a@laichau.gov.vn", "<>", '"', "\t", "=?utf-8?b?" + "QQ" * 500 + "?="]


def build_corpus(folder: Path):
    """A small round (Lai Châu, a few communes) with its filled returns."""
    import random as rnd

    from xlkpi.collect.checks import CampaignView

    init_campaign(folder / "c", plan="lai-chau-2025", period="2025-Q3", province="lai chau", deadline="20/10/2025")
    campaign = open_campaign(folder / "c")
    generate(campaign, jobs=1)
    view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)
    returns = {}
    for unit in campaign.roster.units[:6]:
        blank = next(campaign.outbox.glob(f"{unit.code}_*.xlsx")).read_bytes()
        returns[unit.code] = fill_workbook(blank, plausible_values(view.layout(unit)[0], rnd.Random(unit.code)))
    return campaign, returns


def message(code: str, data: bytes, n: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"UBND xã {code} <xa{code}@laichau.gov.vn>"
    mail["To"] = "vanphong@laichau.gov.vn"
    mail["Subject"] = f"Báo cáo quý III của đơn vị {code}"
    mail["Date"] = "Fri, 17 Oct 2025 16:45:00 +0700"
    mail["Message-ID"] = f"<m{n}.{code}@laichau.gov.vn>"
    mail.set_content("Kính gửi Văn phòng, đơn vị gửi báo cáo.")
    mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=f"Báo cáo {code}.xlsx")
    return mail.as_bytes()


def mutate(raw: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(["header", "header", "filename", "boundary", "encoding", "nest", "flip", "truncate",
                       "parts", "line"])
    if kind == "header":
        name = rng.choice([b"From", b"Subject", b"Date", b"Message-ID", b"Reply-To", b"Received"])
        value = rng.choice(HOSTILE).encode("utf-8", "surrogateescape")
        return re.sub(rb"^(" + name + rb": )", lambda m: m.group(1) + value, raw, count=1, flags=re.M) \
            if re.search(rb"^" + name + rb": ", raw, re.M) else name + b": " + value + b"\r\n" + raw, f"header {name!r}"
    if kind == "filename":
        value = rng.choice(HOSTILE + ["Báo cáo " * 40 + ".xlsx", "x.xlsx\x00.exe"]).encode("utf-8")
        form = rng.choice([b'filename="%s"', b"filename*=utf-8''%s", b"filename*0*=utf-8''%s; filename*1=zz",
                           b"name=%s"])
        return re.sub(rb'filename\*?=(?:"[^"]*"|[^;\r\n]*)', lambda _: form % value, raw, count=1), "filename"
    if kind == "boundary":
        found = re.search(rb'boundary="([^"]+)"', raw)
        if found:
            return raw.replace(found.group(1), rng.choice([b"", b"x" * 100, found.group(1)[:5]]), rng.randint(1, 3)), \
                "boundary"
    if kind == "encoding":
        return re.sub(rb"Content-Transfer-Encoding: base64",
                      rng.choice([b"Content-Transfer-Encoding: quoted-printable", b"Content-Transfer-Encoding: x-uue",
                                  b"Content-Transfer-Encoding: 7bit"]), raw, count=1), "encoding"
    if kind == "nest":
        for depth in range(rng.randint(1, 30)):
            raw = (b"From: fw%d@x.vn\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                   b'boundary="b%d"\r\n\r\n--b%d\r\nContent-Type: message/rfc822\r\n\r\n' % (depth, depth, depth)
                   + raw + b"\r\n--b%d--\r\n" % depth)
        return raw, "nest"
    if kind == "flip":
        buffer = bytearray(raw)
        for _ in range(rng.randint(1, 10)):
            buffer[rng.randrange(len(buffer))] ^= rng.randint(1, 255)
        return bytes(buffer), kind
    if kind == "truncate":
        return raw[: rng.randrange(len(raw))], kind
    if kind == "parts":
        part = re.search(rb"(--=+\d+==\r?\n.*?)(?=--=+\d+==)", raw, re.S)
        if part:
            return raw[: part.end()] + part.group(1) * rng.randint(2, 40) + raw[part.end():], "parts"
    line = rng.randrange(max(1, raw.count(b"\n")))
    lines = raw.split(b"\n")
    lines[line] = lines[line] * rng.randint(2, 50)
    return b"\n".join(lines), "line"


def check_parsing(raw: bytes, folder: Path) -> list[str]:
    escapes = []
    try:
        parsed = parse_message(raw)
        found = attachments(parsed)
        for text in (header_text(parsed, "Subject"), header_text(parsed, "From"), sender_address(parsed),
                     *[a.name for a in found]):
            if CONTROLS.search(terminal_safe(text)):
                escapes.append(f"a control character survives terminal_safe in {text[:60]!r}")
        addresses(header_text(parsed, "From"))
        message_time(parsed)
        for attached in found:
            name = safe_file_name(attached.name)
            (folder / name).write_bytes(b"x")
            (folder / name).unlink()
    except BaseException as exc:  # noqa: BLE001
        escapes.append(f"parsing raised {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    return escapes


def run_batch(campaign, returns: dict[str, bytes], rng: random.Random, mutants: int, folder: Path) -> list[str]:
    escapes: list[str] = []
    if campaign.inbox.exists():
        shutil.rmtree(campaign.inbox)
    campaign.inbox.mkdir()
    for suffix in ("", "-wal", "-shm"):
        (campaign.directory / (L.LEDGER_NAME + suffix)).unlink(missing_ok=True)
    codes = sorted(returns)
    valid = codes[:2]
    for n, code in enumerate(valid):
        (campaign.inbox / f"valid-{code}.eml").write_bytes(message(code, returns[code], n))
    made = {}
    for n in range(mutants):
        code = rng.choice(codes)
        raw, what = message(code, returns[code], 100 + n), []
        for _ in range(rng.choice([1, 1, 2, 3])):
            raw, description = mutate(raw, rng)
            what.append(description)
        escapes += [f"{e}; {what}" for e in check_parsing(raw, folder)]
        (campaign.inbox / f"mutant-{n}.eml").write_bytes(raw)
        made[f"mutant-{n}.eml"] = what
    try:
        collect(campaign, jobs=1, time_limit=30)
    except BaseException as exc:  # noqa: BLE001
        return escapes + [f"collect raised {type(exc).__name__}: {exc}; {list(made.values())}\n{traceback.format_exc()}"]
    connection = sqlite3.connect(campaign.directory / L.LEDGER_NAME)
    try:
        rows = connection.execute("SELECT path, state FROM files").fetchall()
    finally:
        connection.close()
    states: dict[str, list[str]] = {}
    for path, state in rows:
        states.setdefault(path, []).append(state)
    for file in campaign.inbox.iterdir():
        if len(states.get(f"inbox/{file.name}", [])) != 1:
            escapes.append(f"{file.name}: states {states.get(f'inbox/{file.name}')} ({made.get(file.name)})")
    for code in valid:
        inner = [s for p, s in rows if p.startswith(f"inbox/valid-{code}.eml › ")]
        if inner not in ([L.ACCEPTED], [L.DUPLICATE], [L.SUPERSEDED]):  # a mutant may carry the same return
            escapes.append(f"the undamaged message of {code} gave {inner}")
    return escapes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--mutants", type=int, default=8)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    folder = Path(tempfile.mkdtemp(prefix="xlkpi-fuzz-mail-"))
    try:
        campaign, returns = build_corpus(folder)
        (folder / "names").mkdir()
        started, batches, escapes = time.monotonic(), 0, []
        while time.monotonic() < started + 60 * args.minutes:
            for escape in run_batch(campaign, returns, random.Random(seed + batches), args.mutants, folder / "names"):
                escapes.append(f"seed {seed + batches}: {escape}")
                print("ESCAPE", escapes[-1][:2000], flush=True)
            batches += 1
            if batches % 50 == 0:
                print(f"  {batches} batches, {len(escapes)} escapes ({time.monotonic() - started:.0f} s)", flush=True)
        print(f"fuzz mail: {batches} batches, {batches * args.mutants} damaged messages beside {2 * batches} "
              f"undamaged ones (first seed {seed}), {len(escapes)} escapes, {time.monotonic() - started:.0f} s")
        return int(bool(escapes))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
