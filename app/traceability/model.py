"""The nouns of latex traceability as plain values (TRACEABILITY.md).

The services load records from the database into these values; the pure engine (``app.traceability.engine``)
derives claims, checks and due-diligence files from them without any I/O, so the same rules run on imported
documents, on stored records and in property tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

#: Delivery forms and lot processes, as the bulk format spells them.
FORMS = ("field_latex", "cup_lump")
PROCESSES = ("none", "concentrate", "tsr", "rss", "crepe")
SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class GroupCertificate:
    """A certificate of the group a member belongs to, as the claim rule reads it."""

    ref: str
    group: str  # organisation ref of the group
    status: str  # valid | suspended | terminated | expired
    issued_on: dt.date
    expires_on: dt.date
    product_types: frozenset[str]
    #: First day it was no longer valid (suspension, termination), when known; None while valid.
    invalid_since: dt.date | None = None


@dataclass(frozen=True)
class Member:
    ref: str
    group: str
    name: str
    member_code: str
    country: str
    region: str = ""
    locality: str = ""
    certified_from: dt.date | None = None
    certified_to: dt.date | None = None
    consent_share_identity: bool = False


@dataclass(frozen=True)
class Plot:
    ref: str
    member: str
    #: GeoJSON geometry (Point or Polygon, WGS84, [lon, lat]) as parsed from the document.
    geometry: dict[str, Any]
    area_ha: float | None
    planted_year: int | None
    country: str


@dataclass(frozen=True)
class Delivery:
    ref: str
    collector: str  # organisation ref
    member: str | None
    plot: str | None
    date: dt.date
    form: str  # field_latex | cup_lump
    wet_kg: float | None = None
    drc_percent: float | None = None
    dry_kg: float | None = None

    @property
    def dry(self) -> float:
        """Dry rubber kg: as recorded, or wet kg x DRC %."""
        if self.dry_kg is not None:
            return float(self.dry_kg)
        return float(self.wet_kg or 0) * float(self.drc_percent or 0) / 100.0


@dataclass(frozen=True)
class LotInput:
    """One input of a lot: a whole delivery, or ``dry_kg`` drawn from another lot."""

    delivery: str | None = None
    lot: str | None = None
    dry_kg: float | None = None


@dataclass(frozen=True)
class Lot:
    ref: str
    holder: str  # organisation ref
    inputs: tuple[LotInput, ...]
    process: str
    product_type: str
    output_dry_kg: float
    date: dt.date


@dataclass(frozen=True)
class Check:
    code: str
    severity: str  # error | warning
    ref: str  # the record the check is about (plot, delivery, lot, member)
    message: str
    #: The English template ``message`` was filled from (an ``N_``-marked msgid) and its values, so a reader's
    #: language can word it again (``app.traceability.engine.localized_message``); empty for a stored message.
    msgid: str = ""
    params: tuple[tuple[str, str | int | float], ...] = ()


@dataclass(frozen=True)
class Thresholds:
    """Plausibility limits (settings with the documented defaults)."""

    drc_field_latex: tuple[float, float] = (20.0, 45.0)
    drc_cup_lump: tuple[float, float] = (45.0, 80.0)
    yield_warning_kg_ha: float = 1200.0
    yield_error_kg_ha: float = 2000.0
    min_tapping_age_years: int = 6
    point_max_ha: float = 4.0
    area_tolerance: float = 0.10
    overlap_share: float = 0.05
    far_from_collector_km: float = 150.0


@dataclass(frozen=True)
class LotAnswer:
    """What ``forestmatch lot REF --json`` and ``GET /api/v1/lots/{ref}`` answer, plus how the claim was derived."""

    lot: str
    holder: str
    product_type: str
    dry_kg: float
    claim: str | None  # "FSC 100%" | "FSC Mix" | None
    certified_percent: int | None
    eudr_ready: bool
    members: int
    plots: int
    deliveries: int
    checks: tuple[Check, ...]
    certified_dry_kg: float = 0.0
    uncertified_dry_kg: float = 0.0
    unidentified_dry_kg: float = 0.0
    #: member ref -> reason code (not_in_scope_yet | left_scope | certificate_not_valid | product_not_covered |
    #: no_group_certificate) for members whose deliveries were not certified.
    out_of_scope: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The answer exactly as TRACEABILITY.md fixes it (keys in that order)."""
        return {
            "lot": self.lot,
            "holder": self.holder,
            "product_type": self.product_type,
            "dry_kg": self.dry_kg,
            "claim": self.claim,
            "certified_percent": self.certified_percent,
            "eudr_ready": self.eudr_ready,
            "members": self.members,
            "plots": self.plots,
            "deliveries": self.deliveries,
            "checks": [
                {"code": c.code, "severity": c.severity, "ref": c.ref, "message": c.message} for c in self.checks
            ],
        }
