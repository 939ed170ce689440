"""The identity of a data-entry workbook, and the digest that lets the collector trust it.

A workbook says which plan (and version), campaign, unit and period it belongs to.  The identity is kept
in three places that survive a save by Excel, LibreOffice or WPS — custom document properties (strings),
workbook-level defined names, and a (very) hidden sheet — and no place alone is trusted: the collector
reads all three and cross-checks them.  The digest is an HMAC-SHA256, keyed with the campaign's secret,
over the identity and the workbook's locked content (indicator ids, names and target texts), so a
workbook made for one unit cannot be passed off as another's, nor its targets edited unnoticed.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from xlkpi.forms.layout import FORM_VERSION

#: The form's version: how its sheet is laid out (:mod:`xlkpi.forms.layout`); covered by the digest, so a
#: return is read by the layout it was made with.
IDENTITY_FORMAT = FORM_VERSION
#: Custom document property names: "xlkpi.plan.model", "xlkpi.unit", …
PROPERTY_PREFIX = "xlkpi."
#: Workbook-level defined names: xlkpi_plan, xlkpi_unit, …
NAME_PREFIX = "xlkpi_"
#: The hidden sheet holding the identity and the map of input cells.
HIDDEN_SHEET = "xlkpi"
FIELDS = ("format", "plan", "plan_version", "campaign", "unit", "period", "digest")


@dataclass(frozen=True)
class Identity:
    plan: str
    plan_version: str
    campaign: str
    unit: str
    period: str
    digest: str = ""
    format: str = IDENTITY_FORMAT

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(frozen=True)
class LockedRow:
    """What a workbook shows of one indicator and must come back unchanged."""

    indicator: str
    name: str
    target: str


def _encode(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


@lru_cache(maxsize=256)
def _locked_json(locked: tuple[LockedRow, ...]) -> str:
    return _encode([[row.indicator, row.name, row.target] for row in locked])


def digest(secret: bytes, identity: Identity, locked: Iterable[LockedRow]) -> str:
    """HMAC-SHA256 (hex) over the identity (without its digest) and the locked rows, canonically encoded
    as the JSON object {"identity": {…}, "locked": [[id, name, target], …]} with sorted keys."""
    fields = {k: v for k, v in identity.as_dict().items() if k != "digest"}
    message = '{"identity":' + _encode(fields) + ',"locked":' + _locked_json(tuple(locked)) + "}"
    return hmac.digest(secret, message.encode("utf-8"), "sha256").hex()


def verify(secret: bytes, identity: Identity, locked: Iterable[LockedRow]) -> bool:
    return hmac.compare_digest(identity.digest, digest(secret, identity, locked))
