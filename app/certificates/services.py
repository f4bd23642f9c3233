"""Certificates: registration by producers, verification by staff, validity rules."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from app.accounts.services import CurrentUser
from app.certificates.tables import Certificate
from app.clock import now
from app.db import atomic
from app.events import record, record_change
from app.i18n import gettext as _
from app.validation import MAX_TEXT, Checker, FieldErrors, NotFound, PermissionDenied
from app.vocab import (
    ALL_PRODUCT_TYPES,
    CERT_CODE_RE,
    CERTIFICATE_STATUSES,
    LICENSE_CODE_RE,
    SCOPES,
)

EXPIRY_WARNING_DAYS = 60

CERT_FIELDS = ("code", "license_code", "scope", "status", "issued_on", "expires_on", "product_types", "is_group")


def check_certificate(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate certificate fields (forms, API and import share this); raises FieldErrors."""
    c = Checker(raw)
    clean: dict[str, Any] = {
        "code": c.pattern(
            "code", CERT_CODE_RE, _("Use the certificate code as issued, e.g. SCS-FM/COC-004512."), required=True
        ),
        "license_code": c.pattern("license_code", LICENSE_CODE_RE, _("Use the licence code format FSC-C012345.")),
        "scope": c.choice("scope", SCOPES, required=True),
        "status": c.choice("status", CERTIFICATE_STATUSES, required=True),
        "product_types": c.choices("product_types", ALL_PRODUCT_TYPES, required=True),
        "is_group": c.boolean("is_group", default=False) if "is_group" in raw else c.boolean("group"),
    }
    clean["issued_on"], clean["expires_on"] = c.date_window("issued_on", "expires_on", required=False)
    if clean["expires_on"] is None and "expires_on" not in c.errors:
        c.fail("expires_on", _("This field is required."))
    elif clean["status"] == "valid" and clean["expires_on"] is not None and clean["expires_on"] < dt.date.today():
        # A lapsed certificate is not valid, whatever the record says: refuse rather than store a contradiction.
        c.fail(
            "expires_on",
            _(
                "This certificate expired on %(date)s, so its status cannot be valid: set the status to expired, "
                "or enter the new expiry date.",
                date=clean["expires_on"].isoformat(),
            ),
        )
    c.raise_if_errors()
    return clean


#: A change to any of these sends a certificate back to the verification queue (forms, API and import alike).
REVERIFY_FIELDS = ("code", "scope", "status", "expires_on", "product_types")


def needs_reverification(current: dict[str, Any], clean: dict[str, Any]) -> bool:
    """True when checked facts of a certificate change, so staff must check it again."""
    return any(key in clean and clean[key] != current.get(key) for key in REVERIFY_FIELDS)


def status_change(current: dict[str, Any], clean: dict[str, Any]) -> dict[str, Any]:
    """``status_since`` when an edit or an import changes the status (today), else nothing: latex delivered before a
    group certificate's suspension keeps its claim."""
    if "status" in clean and clean["status"] != current.get("status"):
        return {"status_since": now().date()}
    return {}


def back_to_queue() -> dict[str, Any]:
    """Column values that put a certificate at the end of the verification queue (submitted now)."""
    return {
        "verification": "pending",
        "verified_by": None,
        "verified_at": None,
        "rejection_reason": "",
        "submitted_at": now(),
    }


async def create_certificate(user: CurrentUser, raw: dict[str, Any]) -> dict[str, Any]:
    """A producer registers a certificate of its own organisation; staff then verify it."""
    if not user.is_producer or user.organization_id is None:
        raise PermissionDenied()
    clean = check_certificate(raw)
    async with atomic():
        if await Certificate.exists().where(
            (Certificate.organization == user.organization_id) & (Certificate.code == clean["code"])
        ):
            raise FieldErrors({"code": _("Your organisation already registered this certificate.")}, raw)
        ref = f"cert-{secrets.token_hex(5)}"
        cert = Certificate(ref=ref, organization=user.organization_id, verification="pending", **clean)
        await cert.save()
        await record_change("certificate", ref)
    return await get_certificate(ref)


# --- who may see or edit a certificate ----------------------------------------------------------------------
def may_see(user: CurrentUser | None, cert: dict[str, Any]) -> bool:
    """A certificate record (with its verification notes) is for its own organisation and staff."""
    return user is not None and (user.is_staff or cert["organization"] == user.organization_id)


def may_edit(user: CurrentUser, cert: dict[str, Any]) -> bool:
    """Producers of the owning organisation edit it; staff verify it instead."""
    return user.is_producer and cert["organization"] == user.organization_id


async def get_visible_certificate(user: CurrentUser | None, ref: str) -> dict[str, Any]:
    """The certificate if this user may see it; NotFound otherwise (other organisations' refs stay hidden)."""
    cert = await get_certificate(ref)
    if not may_see(user, cert):
        raise NotFound()
    return cert


async def list_visible_certificates(
    user: CurrentUser, *, organization_ref: str | None, verification: str | None, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """The certificates this user may see (``may_see``: its organisation's; staff: all, optionally one
    organisation's by ref), soonest expiry first, one page and the total."""
    where: list[Any] = []
    if not user.is_staff:
        if user.organization_id is None:
            return [], 0
        where.append(Certificate.organization == user.organization_id)
    elif organization_ref:
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
        .limit(per_page)
        .offset((page - 1) * per_page)
        .output(load_json=True)
    )
    return rows, total


async def get_own_certificate(user: CurrentUser, ref: str) -> dict[str, Any]:
    """A certificate the user may edit, for its form (PermissionDenied otherwise)."""
    cert = await get_certificate(ref)
    if not may_edit(user, cert):
        raise PermissionDenied()
    return cert


async def update_certificate(user: CurrentUser, ref: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Edit a certificate of one's own organisation; a changed code or status goes back to the queue."""
    cert = await get_own_certificate(user, ref)
    clean = check_certificate(raw)
    changes: dict[Any, Any] = {**clean, **status_change(cert, clean), "updated_at": now()}
    if needs_reverification(cert, clean):
        changes.update(back_to_queue())
    async with atomic():
        await Certificate.update(changes).where(Certificate.id == cert["id"])
        await record_change("certificate", ref)
        await record(
            "certificate_status_changed",
            ref=ref,
            payload={"certificate_id": cert["id"], "old_status": cert["status"]},
        )
    return await get_certificate(ref)


async def get_certificate(ref: str) -> dict[str, Any]:
    row = await (
        Certificate.select(
            Certificate.all_columns(),
            Certificate.organization.name.as_alias("organization_name"),
            Certificate.organization.ref.as_alias("organization_ref"),
            Certificate.verified_by.email.as_alias("verified_by_email"),
        )
        .where(Certificate.ref == ref)
        .output(load_json=True)
        .first()
    )
    if not row:
        raise NotFound()
    return row


async def list_for_organization(org_id: int) -> list[dict[str, Any]]:
    return await (
        Certificate.select()
        .where(Certificate.organization == org_id)
        .order_by(Certificate.expires_on)
        .output(load_json=True)
    )


async def verify_certificate(staff: CurrentUser, ref: str, *, approve: bool, reason: str = "") -> dict[str, Any]:
    """Staff mark a certificate verified against the public FSC database, or reject it with a reason."""
    if not staff.is_staff:
        raise PermissionDenied()
    cert = await get_certificate(ref)
    c = Checker({"reason": reason})
    clean_reason = c.text("reason", required=not approve, max_len=MAX_TEXT)
    c.raise_if_errors()
    async with atomic():
        await Certificate.update(
            {
                Certificate.verification: "verified" if approve else "rejected",
                Certificate.verified_by: staff.id,
                Certificate.verified_at: now(),
                Certificate.rejection_reason: "" if approve else clean_reason,
                Certificate.updated_at: now(),
            }
        ).where(Certificate.id == cert["id"])
        await record_change("certificate", ref)
    return await get_certificate(ref)


async def expiring_soon(days: int = EXPIRY_WARNING_DAYS, org_id: int | None = None) -> list[dict[str, Any]]:
    today = dt.date.today()
    query = Certificate.select(
        Certificate.ref,
        Certificate.code,
        Certificate.expires_on,
        Certificate.status,
        Certificate.organization.name.as_alias("organization_name"),
    ).where(
        (Certificate.status == "valid")
        & (Certificate.expires_on >= today)
        & (Certificate.expires_on <= today + dt.timedelta(days=days))
    )
    if org_id is not None:
        query = query.where(Certificate.organization == org_id)
    return await query.order_by(Certificate.expires_on)
