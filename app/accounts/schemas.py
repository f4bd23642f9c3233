"""msgspec structs for the accounts API."""

from __future__ import annotations

from typing import Any

import msgspec


class MeOut(msgspec.Struct):
    email: str
    name: str
    role: str
    organization: str
    locale: str


class OrganizationIn(msgspec.Struct, forbid_unknown_fields=True):
    """Editable profile fields; values are validated by the service with field-level messages."""

    name: str
    legal_form: str = ""
    country: str = ""
    region: str = ""
    locality: str = ""
    lat: float | None = None
    lon: float | None = None
    languages: list[str] = []
    contact_email: str = ""
    description: str = ""


class OrganizationOut(msgspec.Struct):
    ref: str
    name: str
    kind: str
    legal_form: str
    country: str
    region: str
    locality: str
    lat: float | None
    lon: float | None
    languages: list[str]
    description: str
    contact_email: str | None = None


def organization_out(row: dict[str, Any], *, with_contact: bool) -> OrganizationOut:
    return OrganizationOut(
        ref=row["ref"],
        name=row["name"],
        kind=row["kind"],
        legal_form=row["legal_form"],
        country=row["country"],
        region=row["region"],
        locality=row["locality"],
        lat=row["lat"],
        lon=row["lon"],
        languages=list(row["languages"] or []),
        description=row["description"],
        contact_email=row["contact_email"] if with_contact else None,
    )
