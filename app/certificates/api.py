"""JSON API for certificates: producers register and edit their own, staff verify them."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.types import ControllerRouterHandler

from app.accounts.services import CurrentUser
from app.certificates import services
from app.certificates.schemas import CertificateIn, CertificateOut, CertificatePage, VerificationIn, certificate_out
from app.validation import Checker
from app.vocab import VERIFICATION_STATES
from app.web import guards
from app.web.api_support import SIGNED_IN, Page, api_errors
from app.web.api_types import vocab_query

PER_PAGE = 20
TAGS = ["certificates"]


@get(
    "/api/v1/certificates",
    tags=TAGS,
    summary="List certificates",
    security=SIGNED_IN,
    responses=api_errors(401),
)
async def api_certificates(
    request: Request[Any, Any, Any],
    organization: FromQuery[str | None] = None,
    verification: Annotated[str | None, vocab_query(VERIFICATION_STATES)] = None,
    page: Page = 1,
) -> CertificatePage:
    """Your organisation's certificates, soonest expiry first. Staff see every organisation's and may filter by
    ``organization`` (ref); anyone may filter by ``verification`` (pending, verified, rejected)."""
    user: CurrentUser = request.user
    c = Checker({"verification": verification})
    state = c.choice("verification", VERIFICATION_STATES)
    c.raise_if_errors()
    rows, total = await services.list_visible_certificates(
        user, organization_ref=organization, verification=state, page=page, per_page=PER_PAGE
    )
    items = [certificate_out(r, for_staff=user.is_staff) for r in rows]
    return CertificatePage(items=items, page=page, per_page=PER_PAGE, total=total)


@post(
    "/api/v1/certificates",
    guards=[guards.producer],  # on top of the router's signed_in
    tags=TAGS,
    summary="Register a certificate",
    security=SIGNED_IN,
    responses=api_errors(401, 403),
)
async def api_certificate_create(request: Request[Any, Any, Any], data: JSONBody[CertificateIn]) -> CertificateOut:
    """Register a certificate of your organisation (producers). It waits for staff verification."""
    row = await services.create_certificate(request.user, data.raw())
    return certificate_out(row, for_staff=False)


@get(
    "/api/v1/certificates/{ref:str}",
    tags=TAGS,
    summary="Show a certificate",
    security=SIGNED_IN,
    responses=api_errors(401, 404),
)
async def api_certificate(request: Request[Any, Any, Any], ref: FromPath[str]) -> CertificateOut:
    """One certificate of your organisation (staff: any); other organisations' certificates answer 404."""
    user: CurrentUser = request.user
    return certificate_out(await services.get_visible_certificate(user, ref), for_staff=user.is_staff)


@put(
    "/api/v1/certificates/{ref:str}",
    tags=TAGS,
    summary="Edit a certificate",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
)
async def api_certificate_update(
    request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[CertificateIn]
) -> CertificateOut:
    """Replace a certificate's fields (producers of the owning organisation). A changed code, scope, status, expiry
    or product list sends it back to the verification queue."""
    user: CurrentUser = request.user
    await services.get_visible_certificate(user, ref)
    return certificate_out(await services.update_certificate(user, ref, data.raw()), for_staff=user.is_staff)


@post(
    "/api/v1/certificates/{ref:str}/verification",
    tags=TAGS,
    status_code=200,
    summary="Verify or reject a certificate",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
)
async def api_certificate_verify(
    request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[VerificationIn]
) -> CertificateOut:
    """Staff record the result of checking the certificate against the public FSC database: ``verified``, or
    ``rejected`` with a ``reason`` the producer will read."""
    c = Checker({"decision": data.decision})
    decision = c.choice("decision", ("verified", "rejected"), required=True)
    c.raise_if_errors()
    row = await services.verify_certificate(request.user, ref, approve=decision == "verified", reason=data.reason or "")
    return certificate_out(row, for_staff=True)


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[api_certificates, api_certificate_create, api_certificate, api_certificate_update],
    ),
    Router(path="/", guards=[guards.staff], route_handlers=[api_certificate_verify]),
]
