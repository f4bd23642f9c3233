"""msgspec structs for the accounts API."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from app.i18n import SUPPORTED_LOCALES
from app.vocab import COUNTRY_RE, LEGAL_FORMS, ORG_KINDS, USER_ROLES
from app.web.api_types import code, vocab


class MeOut(msgspec.Struct):
    email: str
    name: str
    role: Annotated[str, vocab(USER_ROLES)]
    organization: str
    #: The account's language, or empty to follow the browser.
    locale: Annotated[str, vocab(["", *SUPPORTED_LOCALES])]


class OrganizationIn(msgspec.Struct, forbid_unknown_fields=True):
    """Editable profile fields; values are validated by the service with field-level messages."""

    name: str
    legal_form: Annotated[str, vocab(["", *LEGAL_FORMS])] = ""
    country: Annotated[str, code(COUNTRY_RE, "MX", allow_empty=True)] = ""
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
    #: producer, buyer or both; "program" is the backbone organisation staff belong to.
    kind: Annotated[str, vocab([*ORG_KINDS, "program"])]
    legal_form: Annotated[str, vocab(["", *LEGAL_FORMS])]
    country: Annotated[str, code(COUNTRY_RE, "MX", allow_empty=True)]
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
