"""Search documents built from the database (the source of truth): one document per offer."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from functools import lru_cache
from typing import Any

from babel import Locale

from app.i18n import SUPPORTED_LOCALES, translations_for
from app.offers import projection, visibility
from app.offers.tables import Offer
from app.places import region_search_names
from app.traceability.offer_lots import backing
from app.vocab import (
    ALL_PRODUCT_TYPES,
    CATEGORIES,
    PRODUCT_CATEGORY,
    offered_species_keys,
    resolve_species,
    species_names,
)

OFFERS_INDEX = "offers"


def date_int(value: dt.date | None) -> int | None:
    """Dates as sortable integers (20270131), the same in every backend."""
    return value.year * 10000 + value.month * 100 + value.day if value else None


def _epoch(value: dt.datetime | None) -> int:
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp())


@lru_cache(maxsize=512)
def country_names(code: str) -> tuple[str, ...]:
    """A country's name in every supported language (Babel's CLDR data), so "México" or "Brasil" find offers."""
    names: list[str] = []
    for locale in SUPPORTED_LOCALES:
        name = Locale.parse(locale).territories.get(code)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _labels(english: str) -> list[str]:
    """A vocabulary label in every supported language, so a search in any of them finds it."""
    return list(_label_tuple(english))


@lru_cache(maxsize=256)
def _label_tuple(english: str) -> tuple[str, ...]:
    labels = [english]
    for locale in SUPPORTED_LOCALES:
        translated = translations_for(locale).gettext(english)
        if translated not in labels:
            labels.append(translated)
    return tuple(labels)


@lru_cache(maxsize=4096)
def _species_fields(given: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """An offer's species as the index holds them: resolved names, every common name, the matcher's keys (a bulk
    import builds thousands of documents from a few dozen species lists)."""
    species = [resolve_species(s) for s in given]
    names: list[str] = []
    for sci in species:
        for name in species_names(sci):
            if name not in names:
                names.append(name)
    return tuple(species), tuple(names), tuple(offered_species_keys(species))


def product_labels(product_type: str) -> list[str]:
    """A product type's labels and its category's, each in every supported language."""
    return list(_product_label_tuple(product_type))


@lru_cache(maxsize=256)
def _product_label_tuple(product_type: str) -> tuple[str, ...]:
    labels = _labels(ALL_PRODUCT_TYPES.get(product_type, product_type))
    category = PRODUCT_CATEGORY.get(product_type)
    for label in _labels(CATEGORIES[category]) if category else []:
        if label not in labels:
            labels.append(label)
    return tuple(labels)


#: What a search document is built from (``offer_document``).
OFFER_COLUMNS = projection.columns(
    (
        "ref",
        "title",
        "description",
        "category",
        "product_type",
        "species",
        "claim",
        "status",
        "quantity",
        "unit",
        "quantity_canonical",
        "min_order_canonical",
        "available_from",
        "available_to",
        "lat",
        "lon",
        "price_amount",
        "price_currency",
        "created_at",
        "updated_at",
        "lots",
    ),
    (
        "organization_ref",
        "organization_name",
        "country",
        "region",
        "locality",
        "organization_active",
        "organization_lat",
        "organization_lon",
        "certificate_ref",
        "certificate_status",
        "certificate_expires_on",
        "certificate_product_types",
        "certificate_verification",
    ),
)


def offer_document(row: dict[str, Any], on: dt.date | None = None) -> dict[str, Any]:
    """The search document of one offer row (selected with OFFER_COLUMNS), as of the day ``on`` (today by
    default)."""
    species_t, names_t, keys_t = _species_fields(tuple(row["species"] or ()))
    species, names = list(species_t), list(names_t)
    lat = row["lat"] if row["lat"] is not None else row["organization_lat"]
    lon = row["lon"] if row["lon"] is not None else row["organization_lon"]
    doc: dict[str, Any] = {
        "id": row["ref"],
        "ref": row["ref"],
        "title": row["title"],
        "description": row["description"] or "",
        "category": row["category"],
        "product_type": row["product_type"],
        # What the product is and what it is known as: its type and its category ("Madera", "Látex") in every
        # language, so "madera" finds roundwood and "latex" finds cup lump.
        "product_type_labels": product_labels(row["product_type"]),
        "species": species,
        "species_names": names,
        "species_keys": list(keys_t),  # the matcher's species constraint as a filter
        "claim": row["claim"],
        "country": row["country"] or "",
        "region": row["region"] or "",
        "country_names": list(country_names(row["country"])) if row["country"] else [],
        # Places as people name them: the state or province (es/en/pt, short forms, its parent region), the locality.
        "region_names": list(region_search_names(row["region"])) if row["region"] else [],
        "locality": (row.get("locality") or "").strip(),
        "organization_ref": row["organization_ref"],
        "organization_name": row["organization_name"],
        "certificate_ref": row["certificate_ref"],
        "certificate_verified": row["certificate_verification"] == "verified",
        # status, certificate status, expiry and coverage: what the public visibility rule filters on.
        **visibility.document_fields(row, on),
        "certificate_verification": row["certificate_verification"],  # pending | verified | rejected: the badge
        "available_from": date_int(row["available_from"]),
        "available_to": date_int(row["available_to"]),
        "quantity": float(row["quantity"]),
        "unit": row["unit"],
        "quantity_canonical": float(row["quantity_canonical"]),
        "min_order_canonical": row["min_order_canonical"],
        "price_amount": f"{row['price_amount']:.2f}" if row["price_amount"] is not None else None,
        "price_currency": row["price_currency"] or None,
        "created_at": _epoch(row["created_at"]),
        "updated_at": _epoch(row["updated_at"]),
        # Lot-backed offers: filled by ``with_backing`` (the lots' answers are read from the database).
        "traceable": False,
        "eudr_ready": False,
        "smallholders": 0,
    }
    if lat is not None and lon is not None:
        doc["_geo"] = {"lat": lat, "lng": lon}
    return doc


async def with_backing(doc: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The document with the badge of a lot-backed offer: distinct smallholders, every lot EUDR-ready."""
    if row.get("lots"):
        found = await backing(list(row["lots"]))
        if found is not None:
            doc.update(traceable=True, eudr_ready=found.eudr_ready, smallholders=found.smallholders)
    return doc


async def offer_documents(refs: Iterable[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Documents for these offer refs, and the refs that no longer exist (to delete from the index)."""
    wanted = list(dict.fromkeys(refs))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await Offer.select(*OFFER_COLUMNS).where(Offer.ref.is_in(chunk)).output(load_json=True)
        day = dt.date.today()
        found.update({r["ref"]: await with_backing(offer_document(r, day), r) for r in rows})
    return [found[r] for r in wanted if r in found], [r for r in wanted if r not in found]


async def all_offer_documents(batch: int = 2000) -> AsyncIterator[list[dict[str, Any]]]:
    """Every offer as documents, in batches (for a full rebuild)."""
    last_id = 0
    while True:
        rows = await (
            Offer.select(Offer.id, *OFFER_COLUMNS)
            .where(Offer.id > last_id)
            .order_by(Offer.id)
            .limit(batch)
            .output(load_json=True)
        )
        if not rows:
            return
        last_id = rows[-1]["id"]
        day = dt.date.today()
        yield [await with_backing(offer_document(r, day), r) for r in rows]
