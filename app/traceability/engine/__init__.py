"""The latex traceability engine: derived claims, checks and due-diligence files (TRACEABILITY.md).

Pure functions over the plain values of ``app.traceability.model`` (no database, no HTTP); the services load the
records and store or show the results. The one file read is the shipped country outlines
(``app/traceability/data/countries.json.gz``), once per process on the first ``OUTSIDE_COUNTRY`` check.

Split by concern: ``geometry`` (parsing, geodesic areas, plot geometry checks, overlaps through an STRtree),
``claims`` (the transfer-system claim with exact arithmetic), ``checks`` (delivery and lot checks), ``derive``
(``derive_lot`` and ``check_plots``), ``dds`` (EUDR GeoJSON files), ``messages`` (check wording).
"""

from __future__ import annotations

from app.traceability.engine.checks import (
    drc_check,
    far_check,
    mass_balance_check,
    member_check,
    origin_check,
    peak_yield,
    too_young_check,
    yield_check,
)
from app.traceability.engine.claims import (
    CLAIM_RANK,
    FORM_PRODUCT,
    FSC_100,
    FSC_MIX,
    Derivation,
    LotCycleError,
    certificate_valid_on,
    classify,
    decimal,
    derive_claim,
    derive_claims,
    dry_kg,
    find_cycle,
    scope_reason,
)
from app.traceability.engine.dds import MAX_BYTES, MAX_PRODUCERS, DdsRefusedError, dds_bytes, dds_feature, dds_files
from app.traceability.engine.derive import check_plots, derive_lot, sort_checks
from app.traceability.engine.geometry import (
    BORDER_TOLERANCE_KM,
    ParsedPlot,
    country_shape,
    geodesic_area_ha,
    group_checks,
    outside_country,
    parse_geometry,
    parse_plot,
)
from app.traceability.engine.messages import TEMPLATES, localized_message, make_check

__all__ = [
    "BORDER_TOLERANCE_KM",
    "CLAIM_RANK",
    "FORM_PRODUCT",
    "FSC_100",
    "FSC_MIX",
    "MAX_BYTES",
    "MAX_PRODUCERS",
    "TEMPLATES",
    "DdsRefusedError",
    "Derivation",
    "LotCycleError",
    "ParsedPlot",
    "certificate_valid_on",
    "check_plots",
    "classify",
    "country_shape",
    "dds_bytes",
    "dds_feature",
    "dds_files",
    "decimal",
    "derive_claim",
    "derive_claims",
    "derive_lot",
    "drc_check",
    "dry_kg",
    "far_check",
    "find_cycle",
    "geodesic_area_ha",
    "group_checks",
    "localized_message",
    "make_check",
    "mass_balance_check",
    "member_check",
    "origin_check",
    "outside_country",
    "parse_geometry",
    "parse_plot",
    "peak_yield",
    "scope_reason",
    "sort_checks",
    "too_young_check",
    "yield_check",
]
