"""The offer row: an offer's columns with its organisation's and its certificate's fields, named in one place.

Offer pages, the API, the public list, matching, the search index and the message threads all read offers with the
organisation's name and place and the certificate's state. Each joined field has exactly one alias here, used both
for Piccolo selects (``columns``) and for the hand-written SQL of the hottest queries (``sql_columns``, over
``offer o JOIN organization g JOIN certificate c`` as in ``app.offers.visibility.JOINS``). Callers that need fewer
or more fields name them from ``JOINED`` instead of writing their own aliases.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from piccolo.columns import JSON
from piccolo.columns.base import Column

from app.offers.tables import Offer

#: Every joined field an offer row may carry: alias -> (SQL table alias, column name). ``g`` is the offer's
#: organisation, ``c`` its certificate.
JOINED: dict[str, tuple[str, str]] = {
    "organization_ref": ("g", "ref"),
    "organization_name": ("g", "name"),
    "country": ("g", "country"),
    "region": ("g", "region"),
    "locality": ("g", "locality"),
    "organization_active": ("g", "is_active"),
    "organization_lat": ("g", "lat"),
    "organization_lon": ("g", "lon"),
    "certificate_ref": ("c", "ref"),
    "certificate_code": ("c", "code"),
    "certificate_status": ("c", "status"),
    "certificate_expires_on": ("c", "expires_on"),
    "certificate_product_types": ("c", "product_types"),
    "certificate_verification": ("c", "verification"),
    "certificate_verified_at": ("c", "verified_at"),
}

#: The joined fields of the full offer row (``app.offers.services.get_offer``): what the offer page, its edit
#: form, the API and the producer's profile show and what the visibility rule reads.
PAGE_FIELDS: tuple[str, ...] = (
    "organization_ref",
    "organization_name",
    "country",
    "region",
    "locality",
    "organization_active",
    "certificate_ref",
    "certificate_code",
    "certificate_status",
    "certificate_expires_on",
    "certificate_product_types",
    "certificate_verification",
    "certificate_verified_at",
)

_FOREIGN_KEYS = {"g": Offer.organization, "c": Offer.certificate}


def _offer_names(offer: Sequence[str] | None) -> list[str]:
    return [c._meta.name for c in Offer._meta.columns] if offer is None else list(offer)


def _joined_column(alias: str) -> Column:
    table, name = JOINED[alias]
    return getattr(_FOREIGN_KEYS[table], name)


def columns(offer: Sequence[str] | None = None, joined: Sequence[str] = PAGE_FIELDS) -> tuple[Any, ...]:
    """Piccolo select columns: the offer's own columns named in ``offer`` (all of them when None), then ``joined``."""
    own = (Offer.all_columns(),) if offer is None else tuple(Offer._meta.get_column_by_name(n) for n in offer)
    return (*own, *(_joined_column(alias).as_alias(alias) for alias in joined))


def sql_columns(offer: Sequence[str] | None = None, joined: Sequence[str] = PAGE_FIELDS) -> str:
    """The same projection as a SQL select list over ``offer o``, ``organization g`` and ``certificate c``."""
    own = [f"o.{name}" for name in _offer_names(offer)]
    return ", ".join([*own, *(f"{JOINED[a][0]}.{JOINED[a][1]} AS {a}" for a in joined)])


def json_keys(offer: Sequence[str] | None = None, joined: Sequence[str] = PAGE_FIELDS) -> tuple[str, ...]:
    """The keys of the projection that hold JSON: raw SQL reads them as text where Piccolo's ``load_json`` parses."""
    own = [n for n in _offer_names(offer) if isinstance(Offer._meta.get_column_by_name(n), JSON)]
    return (*own, *(a for a in joined if isinstance(_joined_column(a), JSON)))


def load_json(row: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """Parse the JSON ``keys`` of a raw SQL row in place (as ``output(load_json=True)`` does for the ORM)."""
    for key in keys:
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    return row
