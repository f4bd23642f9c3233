"""The database fallback when the search engine fails: the filters plain SQL can apply."""

from __future__ import annotations

import re

from app.indexing.documents import offer_documents
from app.offers.services import public_offer_conditions
from app.offers.tables import Offer
from app.search.services.highlight import display_text
from app.search.services.params import SearchParams
from app.search.services.results import SearchItem, SearchPage, distance_km
from app.search.services.sentences import group_name


def _words(q: str) -> list[str]:
    """Search words for a LIKE pattern: LIKE wildcards and the escape character removed."""
    return [w for w in re.sub(r"[%_\\]", " ", q).split() if w][:8]


async def database_search(params: SearchParams) -> SearchPage:
    """The filters plain SQL can apply (title words, vocabulary filters, quantity, verified); species and distance
    filters are reported as not applied."""
    where = list(public_offer_conditions())
    for name, column in (
        ("category", Offer.category),
        ("product_type", Offer.product_type),
        ("claim", Offer.claim),
        ("country", Offer.organization.country),
        ("region", Offer.organization.region),
    ):
        if getattr(params, name):
            where.append(column.is_in(getattr(params, name)))
    if params.verified:
        where.append(Offer.certificate.verification == "verified")
    if params.min_qty is not None:
        where.append(Offer.quantity_canonical >= params.min_qty)
    if params.max_qty is not None:
        where.append(Offer.quantity_canonical <= params.max_qty)
    # SQLite's LIKE already ignores ASCII case (and Piccolo warns about ILIKE there); PostgreSQL needs ILIKE.
    contains = Offer.title.like if Offer._meta.db.engine_type == "sqlite" else Offer.title.ilike
    where.extend(contains(f"%{w}%") for w in _words(params.q))
    ignored = [group_name(g) for g in ("species", "distance") if g in params.group_filters()]
    order = {"quantity": Offer.quantity_canonical, "expiry": Offer.certificate.expires_on}.get(
        params.sort, Offer.created_at
    )
    total = await Offer.count().where(*where)
    rows = (
        await Offer.select(Offer.ref)
        .where(*where)
        .order_by(order, Offer.ref, ascending=False)
        .limit(params.per_page)
        .offset((params.page - 1) * params.per_page)
        if total
        else []
    )
    documents, _missing = await offer_documents([r["ref"] for r in rows])
    items = [
        SearchItem(
            d,
            distance_km(d, params.near_lat, params.near_lon),
            {},
            d["title"],
            display_text(None, d.get("description"), 240),
        )
        for d in documents
    ]
    return SearchPage(params, items, total, {}, degraded=True, ignored=ignored)
