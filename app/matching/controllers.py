"""Match answers over HTTP: a request's recommendations and bundles, and the open requests an offer fits."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from app.matching.phrasing import phrase_all
from app.matching.schemas import FitOut, OfferFitsOut, RequestMatchesOut
from app.matching.services import matches_for_user, offer_owned_or_public, requests_for_offer
from app.web import guards
from app.web.api_support import SIGNED_IN, api_errors
from search_index.backend import SearchBackend


@get(
    "/api/v1/requests/{ref:str}/matches",
    tags=["matching"],
    summary="Recommendations for a sourcing request",
    security=SIGNED_IN,
    responses=api_errors(403, 404),
)
async def api_request_matches(
    request: Request[Any, Any, Any], ref: FromPath[str], backend: NamedDependency[SearchBackend]
) -> RequestMatchesOut:
    """Ranked recommendations and producer bundles for a sourcing request (its buyer or staff).

    The answer format is the one of the bulk data contract; reasons come in the caller's language.
    """
    answer = await matches_for_user(request.user, ref, backend)
    return msgspec.convert(answer.as_json(), RequestMatchesOut)


@get(
    "/api/v1/offers/{ref:str}/matches",
    tags=["matching"],
    summary="Open requests an offer fits",
    security=SIGNED_IN,
    responses=api_errors(403, 404),
)
async def api_offer_matches(request: Request[Any, Any, Any], ref: FromPath[str]) -> OfferFitsOut:
    """Open sourcing requests this offer fits, best first (its producer or staff).

    Reasons come in the caller's language, worded for the producer ("Your offer covers 40 % of the 300 m³
    requested"): this is the offer's answer, where the request's answer speaks to the buyer."""
    await offer_owned_or_public(request.user, ref)
    fits = await requests_for_offer(ref)
    return OfferFitsOut(
        offer=ref,
        requests=[
            FitOut(
                request=row["ref"],
                organization=row["organization_ref"],
                score=round(scored.score, 4),
                distance_km=round(scored.distance_km, 1) if scored.distance_km is not None else None,
                reasons=phrase_all(scored.reasons, "producer"),
            )
            for row, scored in fits
        ],
    )


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_request_matches, api_offer_matches]),
]
