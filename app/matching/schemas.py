"""msgspec structs of the match answers: the shapes of IMPORT_FORMAT.md (``forestmatch matches REF --json``)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from app.vocab import CANONICAL_UNIT
from app.web.api_types import vocab

Unit = Annotated[str, vocab(CANONICAL_UNIT.values())]


class MatchOut(msgspec.Struct):
    offer: str
    organization: str
    #: In [0, 1]; matches are ranked best first.
    score: float
    #: In ``unit``: the canonical unit of the category (m3, kg_drc).
    quantity: float
    unit: Unit
    distance_km: float | None
    #: Short explanations in the caller's language.
    reasons: list[str]


class BundleOut(msgspec.Struct):
    offers: list[str]
    total_quantity: float
    unit: Unit
    score: float
    reasons: list[str]


class RequestMatchesOut(msgspec.Struct):
    request: str
    matches: list[MatchOut]
    bundles: list[BundleOut]


class FitOut(msgspec.Struct):
    request: str
    organization: str
    score: float
    distance_km: float | None
    reasons: list[str]


class OfferFitsOut(msgspec.Struct):
    offer: str
    requests: list[FitOut]
