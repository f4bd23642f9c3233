"""JSON API for certificates: producers register and edit their own, staff verify them."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from app.accounts.api import SIGNED_IN, Page, api_errors
from app.accounts.services import CurrentUser
from app.certificates import services
from app.certificates.schemas import CertificateIn, CertificateOut, CertificatePage, VerificationIn, certificate_out
from app.certificates.tables import Certificate
from app.validation import Checker, NotFound
from app.vocab import VERIFICATION_STATES
from app.web import guards

PER_PAGE = 20
TAGS = ["certificates"]


def _visible(user: CurrentUser, row: dict[str, Any]) -> bool:
    return user.is_staff or row["organization"] == user.organization_id


async def _certificate_for(user: CurrentUser, ref: str) -> dict[str, Any]:
    """The certificate if this user may see it; others get NotFound (so refs of other organisations stay hidden)."""
    row = await services.get_certificate(ref)
    if not _visible(user, row):
        raise NotFound()
    return row


# The services list one organisation's certificates or the staff queue; the API also needs staff-wide paging with
# filters. Kept here, next to its only caller, until services.py grows an equivalent.
async def _certificate_page(
    *, org_id: int | None, organization_ref: str | None, verification: str | None, page: int
) -> tuple[list[dict[str, Any]], int]:
    where = []
    if org_id is not None:
        where.append(Certificate.organization == org_id)
    if organization_ref:
        where.append(Certificate.organization.ref == organization_ref)
    if verification:
        where.append(Certificate.verification == verification)
    total = await Certificate.count().where(*where)
    rows = await (
        Certificate.select(
            *Certificate.all_columns(),
            Certificate.organization.name.as_alias("organization_name"),
            Certificate.organization.ref.as_alias("organization_ref"),
            Certificate.verified_by.email.as_alias("verified_by_email"),
        )
        .where(*where)
        .order_by(Certificate.expires_on)
        .order_by(Certificate.ref)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
        .output(load_json=True)
    )
    return rows, total


@get(
    "/api/v1/certificates",
    guards=[guards.signed_in],
    tags=TAGS,
    summary="List certificates",
    security=SIGNED_IN,
    responses=api_errors(401),
)
async def api_certificates(
    request: Request[Any, Any, Any],
    organization: FromQuery[str | None] = None,
    verification: FromQuery[str | None] = None,
    page: Page = 1,
) -> CertificatePage:
    """Your organisation's certificates, soonest expiry first. Staff see every organisation's and may filter by
    ``organization`` (ref); anyone may filter by ``verification`` (pending, verified, rejected)."""
    user: CurrentUser = request.user
    c = Checker({"verification": verification})
    state = c.choice("verification", VERIFICATION_STATES)
    c.raise_if_errors()
    if user.is_staff:
        rows, total = await _certificate_page(org_id=None, organization_ref=organization, verification=state, page=page)
    elif user.organization_id is None:
        rows, total = [], 0
    else:
        rows, total = await _certificate_page(
            org_id=user.organization_id, organization_ref=None, verification=state, page=page
        )
    items = [certificate_out(r, for_staff=user.is_staff) for r in rows]
    return CertificatePage(items=items, page=page, per_page=PER_PAGE, total=total)


@post(
    "/api/v1/certificates",
    guards=[guards.producer],
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
    guards=[guards.signed_in],
    tags=TAGS,
    summary="Show a certificate",
    security=SIGNED_IN,
    responses=api_errors(401, 404),
)
async def api_certificate(request: Request[Any, Any, Any], ref: FromPath[str]) -> CertificateOut:
    """One certificate of your organisation (staff: any); other organisations' certificates answer 404."""
    user: CurrentUser = request.user
    return certificate_out(await _certificate_for(user, ref), for_staff=user.is_staff)


@put(
    "/api/v1/certificates/{ref:str}",
    guards=[guards.signed_in],
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
    await _certificate_for(user, ref)
    return certificate_out(await services.update_certificate(user, ref, data.raw()), for_staff=user.is_staff)


@post(
    "/api/v1/certificates/{ref:str}/verification",
    guards=[guards.staff],
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


ROUTES = [api_certificates, api_certificate_create, api_certificate, api_certificate_update, api_certificate_verify]
