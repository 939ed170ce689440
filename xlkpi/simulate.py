"""Filling generated workbooks without a spreadsheet program: for the demo, benchmarks and tests.

:func:`fill_workbook` writes values into a workbook made by ``xlkpi generate`` by editing its form
sheet's XML, as a unit typing into the yellow cells would (cached formula results are left stale, as
they may be in a real returned file; the collector never trusts them).  :func:`plausible_values`
invents realistic figures for a unit, deterministically from a seed.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from . import form as F
from .form import FormLayout, cell_name

FORM_PART = "xl/worksheets/sheet1.xml"


@dataclass(frozen=True)
class Formula:
    """A formula typed into a cell, with or without a cached result."""

    text: str
    cached: float | str | None = None


def _cell_xml(ref: str, style: str, value: object) -> str:
    if isinstance(value, Formula):
        cached = "" if value.cached is None else f"<v>{escape(str(value.cached))}</v>"
        kind = ' t="str"' if isinstance(value.cached, str) else ""
        return f'<c r="{ref}"{style}{kind}><f>{escape(value.text.lstrip("="))}</f>{cached}</c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def fill_workbook(data: bytes, values: dict[str, object], saved_at: datetime | None = None) -> bytes:
    """The workbook with ``values`` (cell name -> number, text or :class:`Formula`) in its form sheet."""
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet = source.read(FORM_PART).decode("utf-8")
    for ref, value in values.items():
        pattern = re.compile(rf'<c r="{ref}"( s="\d+")?(?: t="\w+")?(?:/>|>.*?</c>)', re.S)
        match = pattern.search(sheet)
        if match is None:
            raise ValueError(f"cell {ref} is not in the form")
        sheet = sheet[: match.start()] + _cell_xml(ref, match.group(1) or "", value) + sheet[match.end():]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == FORM_PART:
                content = sheet.encode("utf-8")
            elif info.filename == "docProps/core.xml" and saved_at is not None:
                stamp = saved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), content)
            target.writestr(info, content)
    return out.getvalue()


def plausible_values(layout: FormLayout, rng: random.Random, *, meet_targets: bool = True) -> dict[str, object]:
    """Realistic figures for every input of a unit's form: rates near or above their targets, some
    indicators that did not arise, explanations where a target is missed."""
    values: dict[str, object] = {}
    for block in layout.blocks:
        kind = block.indicator.measure.kind
        rule = block.rule
        target = rule.value if rule else 80.0
        missed = not meet_targets and rng.random() < 0.3
        share = (target - rng.uniform(5, 20) if missed else min(100.0, target + rng.uniform(0, 100 - target))) / 100
        share = max(0.0, min(1.0, share))
        inputs = block.inputs
        if kind == "rate":
            if rng.random() < 0.05:
                denominator = 0
            else:
                denominator = rng.randint(20, 2000)
            numerator = round(denominator * share)
            if rule and not missed and denominator and 100 * numerator / denominator < target:
                numerator = min(denominator, numerator + 1)
            values[cell_name(*inputs[F.NUMERATOR])] = numerator
            values[cell_name(*inputs[F.DENOMINATOR])] = denominator
            if denominator == 0:
                missed = False  # nothing arose: neither met nor missed
            elif rule and not rule.met(round(100 * numerator / denominator, 6)):
                missed = True
        elif kind == "percent":
            values[cell_name(*inputs[F.VALUE])] = round(100 * share, 1)
        elif kind == "count":
            values[cell_name(*inputs[F.VALUE])] = rng.randint(0, 50)
        elif kind == "yesno":
            values[cell_name(*inputs[F.VALUE])] = "Không" if missed else "Có"
        else:
            values[cell_name(*inputs[F.VALUE])] = "Đã triển khai theo kế hoạch."
        if missed:
            values[cell_name(*inputs[F.EXPLANATION])] = (
                "Số hồ sơ phát sinh ít, một số thủ tục chưa đủ điều kiện thực hiện trực tuyến; "
                "đơn vị đã chỉ đạo khắc phục trong kỳ tới.")
        values[cell_name(*inputs[F.EVIDENCE])] = f"Báo cáo số {rng.randint(10, 250)}/BC-UBND"
    return values
