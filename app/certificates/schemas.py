"""msgspec structs for the certificates API (input is loose on purpose: the service gives field-level messages)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from app.vocab import ALL_PRODUCT_TYPES, CERTIFICATE_STATUSES, SCOPES, VERIFICATION_STATES
from app.web.api_types import vocab


class CertificateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Certificate fields as ``check_certificate`` reads them (``group`` is the import format's name for is_group)."""

    code: str | None = None
    license_code: str | None = None
    scope: Annotated[str | None, vocab(SCOPES, nullable=True)] = None
    status: Annotated[str | None, vocab(CERTIFICATE_STATUSES, nullable=True)] = None
    issued_on: str | None = None
    expires_on: str | None = None
    product_types: Annotated[
        list[str] | str | None, vocab(ALL_PRODUCT_TYPES, many=True, text_list=True, nullable=True)
    ] = None
    is_group: bool | str | None = None
    group: bool | str | None = None

    def raw(self) -> dict[str, Any]:
        """The fields that were sent (null counts as not sent), as the service's raw dict."""
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class VerificationIn(msgspec.Struct, forbid_unknown_fields=True):
    """A staff decision after checking the certificate against the public FSC database."""

    #: verified | rejected
    decision: Annotated[str | None, vocab(("verified", "rejected"), nullable=True)] = None
    #: Required when rejecting; the producer reads it.
    reason: str | None = None


class CertificateOut(msgspec.Struct):
    ref: str
    organization: str
    organization_name: str
    code: str
    license_code: str
    scope: Annotated[str, vocab(SCOPES)]
    status: Annotated[str, vocab(CERTIFICATE_STATUSES)]
    issued_on: dt.date | None
    expires_on: dt.date
    product_types: Annotated[list[str], vocab(ALL_PRODUCT_TYPES, many=True)]
    is_group: bool
    verification: Annotated[str, vocab(VERIFICATION_STATES)]
    verified_at: dt.datetime | None
    rejection_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime
    #: E-mail of the staff member who verified it; only staff see it.
    verified_by: str | None = None


class CertificatePage(msgspec.Struct):
    items: list[CertificateOut]
    page: int
    per_page: int
    total: int


def certificate_out(row: dict[str, Any], *, for_staff: bool) -> CertificateOut:
    """A certificate row (with organization_ref/organization_name aliases) as the API shows it."""
    return CertificateOut(
        ref=row["ref"],
        organization=row["organization_ref"],
        organization_name=row["organization_name"],
        code=row["code"],
        license_code=row["license_code"],
        scope=row["scope"],
        status=row["status"],
        issued_on=row["issued_on"],
        expires_on=row["expires_on"],
        product_types=list(row["product_types"] or []),
        is_group=bool(row["is_group"]),
        verification=row["verification"],
        verified_at=row["verified_at"],
        rejection_reason=row["rejection_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        verified_by=row.get("verified_by_email") if for_staff else None,
    )
