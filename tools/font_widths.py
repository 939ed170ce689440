"""Write xlkpi/common/fontwidths.py: the advance widths of Times New Roman, regular and bold, for the
characters Vietnamese documents use, read from Liberation Serif (metric-compatible with Times New Roman:
same advance widths glyph for glyph).

    python tools/font_widths.py [FONT_DIR]      (default /usr/share/fonts/truetype/liberation2)

Run by hand when the table should change; the package carries the table, never a font file, so the widths
are the same on Windows, where Liberation is seldom installed. The TrueType tables read (head, hhea, hmtx,
cmap format 4) are described in the OpenType specification.
"""

from __future__ import annotations

import struct
import sys
import unicodedata
from pathlib import Path

CHARACTERS = ([chr(c) for c in range(32, 127)] + list("đĐ–—…“”‘’•·«»×÷°±≤≥√")
              + [chr(c) for c in range(0xC0, 0x100)])


def tables(data: bytes) -> dict[str, bytes]:
    count = struct.unpack(">H", data[4:6])[0]
    found = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
        found[tag.decode("latin-1")] = data[offset:offset + length]
    return found


def glyph_map(cmap: bytes) -> dict[int, int]:
    count = struct.unpack(">H", cmap[2:4])[0]
    for i in range(count):
        platform, encoding, offset = struct.unpack(">HHI", cmap[4 + 8 * i:12 + 8 * i])
        if (platform, encoding) in ((3, 1), (0, 3)) and struct.unpack(">H", cmap[offset:offset + 2])[0] == 4:
            table = cmap[offset:]
            segments = struct.unpack(">H", table[6:8])[0] // 2
            ends = struct.unpack(f">{segments}H", table[14:14 + 2 * segments])
            base = 16 + 2 * segments
            starts = struct.unpack(f">{segments}H", table[base:base + 2 * segments])
            deltas = struct.unpack(f">{segments}h", table[base + 2 * segments:base + 4 * segments])
            ranges_at = base + 4 * segments
            ranges = struct.unpack(f">{segments}H", table[ranges_at:ranges_at + 2 * segments])
            glyphs = {}
            for s, (start, end, delta, range_offset) in enumerate(zip(starts, ends, deltas, ranges)):
                for code in range(start, end + 1):
                    if range_offset == 0:
                        glyphs[code] = (code + delta) & 0xFFFF
                    else:
                        at = ranges_at + 2 * s + range_offset + 2 * (code - start)
                        glyph = struct.unpack(">H", table[at:at + 2])[0]
                        glyphs[code] = (glyph + delta) & 0xFFFF if glyph else 0
            return glyphs
    raise SystemExit("no Unicode cmap")


def widths(path: Path) -> dict[str, int]:
    data = path.read_bytes()
    found = tables(data)
    units = struct.unpack(">H", found["head"][18:20])[0]
    metrics = struct.unpack(">H", found["hhea"][34:36])[0]
    advances = [struct.unpack(">H", found["hmtx"][4 * i:4 * i + 2])[0] for i in range(metrics)]
    glyphs = glyph_map(found["cmap"])
    out = {}
    for char in CHARACTERS:
        glyph = glyphs.get(ord(char))
        if glyph is None:
            continue
        advance = advances[min(glyph, metrics - 1)]
        out[char] = round(advance * 1000 / units)
    return out


def main(folder: str = "/usr/share/fonts/truetype/liberation2") -> None:
    regular = widths(Path(folder) / "LiberationSerif-Regular.ttf")
    bold = widths(Path(folder) / "LiberationSerif-Bold.ttf")
    # a precomposed Vietnamese letter is as wide as its base letter; keep only those that differ
    def table(found: dict[str, int]) -> str:
        kept = {c: w for c, w in found.items()
                if c.isascii() or found.get(unicodedata.normalize("NFD", c)[0]) != w}
        return "{" + ", ".join(f"{c!r}: {w}" for c, w in sorted(kept.items())) + "}"

    target = Path(__file__).resolve().parent.parent / "xlkpi" / "common" / "fontwidths.py"
    target.write_text(
        '"""Advance widths of Times New Roman (thousandths of an em), regular and bold, as Liberation Serif has\n'
        'them (metric-compatible). Written by tools/font_widths.py; do not edit."""\n\n'
        f"REGULAR = {table(regular)}\n\nBOLD = {table(bold)}\n", encoding="utf-8")
    print(target, len(regular), len(bold))


if __name__ == "__main__":
    main(*sys.argv[1:])
