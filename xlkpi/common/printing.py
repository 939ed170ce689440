"""How every report sheet xlkpi writes prints: A4 landscape, the plan and the sheet named at the top of every
page, pages numbered at the bottom. The appendix for signature has its own layout (Decree 30/2020/NĐ-CP)."""

from __future__ import annotations

from typing import Any

FONT = "Times New Roman"


def print_setup(sheet: Any, document: str, title: str, scale: int | None = None) -> None:
    """``document`` (the plan's title) at the top left of every page, ``title`` (the sheet's) at the top right,
    "Trang n/N" at the bottom; printed at ``scale`` percent, else as the caller fits it."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.set_margins(left=0.6, right=0.4, top=0.7, bottom=0.6)
    if scale:
        sheet.set_print_scale(scale)
    name = document.replace("&", "&&")
    sheet.set_header(f'&L&"{FONT},Italic"&9{name}&R&"{FONT},Italic"&9{title.replace("&", "&&")}')
    sheet.set_footer(f'&C&"{FONT},Regular"&10Trang &P/&N')
