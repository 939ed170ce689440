"""Valid XML written otherwise than Excel writes it: the same document in another quote style, attribute order,
namespace prefix, whitespace or with CDATA sections. Shared by the reader tests and the fuzzer: a file openpyxl
reads identically must collect identically."""

from __future__ import annotations

import re
from collections.abc import Callable


def single_quotes(xml: bytes) -> bytes:
    return re.sub(rb'(\s[\w:]+)="([^"]*)"', lambda m: m.group(1) + b"='" + m.group(2).replace(b"'", b"&apos;") + b"'",
                  xml)


def reversed_attributes(xml: bytes) -> bytes:
    def flip(match: re.Match[bytes]) -> bytes:
        attributes = re.findall(rb'\s[\w:]+="[^"]*"', match.group(2))
        namespaces = [a for a in attributes if a.strip().startswith(b"xmlns")]
        others = [a for a in attributes if not a.strip().startswith(b"xmlns")]
        return match.group(1) + b"".join(namespaces + others[::-1]) + match.group(3)
    return re.sub(rb'(<[\w:]+)((?:\s[\w:]+="[^"]*")+)(\s*/?>)', flip, xml)


def whitespace(xml: bytes) -> bytes:
    """Indented elements, attributes on lines of their own."""
    xml = re.sub(rb'(\s)([\w:]+=")', rb"\n    \2", xml)
    return re.sub(rb">(<[^/?!])", rb">\n  \1", xml)  # not before CDATA: that would be text


def prefixed(xml: bytes) -> bytes:
    """The default namespace given a prefix (``<x:workbook xmlns:x="…">``), every unprefixed element with it."""
    found = re.search(rb'xmlns="([^"]*)"', xml)
    if found is None:
        return xml
    xml = xml.replace(found.group(0), b'xmlns:x="' + found.group(1) + b'"', 1)
    return re.sub(rb"<(/?)([A-Za-z][\w.-]*)(?=[\s/>])", rb"<\1x:\2", xml)


def cdata(xml: bytes) -> bytes:
    """Texts of defined names and properties as CDATA sections."""
    xml = re.sub(rb"(<definedName\b[^>]*>)([^<]*)(</definedName>)",
                 lambda m: m.group(1) + b"<![CDATA[" + m.group(2).replace(b"&quot;", b'"') + b"]]>" + m.group(3), xml)
    return re.sub(rb"(<vt:lpwstr>)([^<]*)(</vt:lpwstr>)",
                  lambda m: m.group(1) + b"<![CDATA[" + m.group(2) + b"]]>" + m.group(3), xml)


QUIRKS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    # name: (the rewrite of the identity parts, the path the identity must take)
    "single-quotes": (single_quotes, "xml"),
    "attributes-reversed": (reversed_attributes, "direct"),
    "whitespace": (whitespace, "direct"),
    "namespace-prefix": (prefixed, "xml"),
    "cdata": (cdata, "xml"),
}
