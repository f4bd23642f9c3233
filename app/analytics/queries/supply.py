"""Supply and demand indicators in SQL: producers, offered volume, demand, unmet demand, expiring certificates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.analytics import conditions as where_for
from app.analytics.conditions import Sql
from app.analytics.filters import Filters
from app.analytics.schemas import ExpiringCertificate, MapPoint
from app.offers.tables import Offer

PRODUCER_KINDS = "('producer', 'both')"
#: Controlled Wood is controlled, not certified (DOMAIN.md): it is left out of "certified volume offered".
UNCERTIFIED_CLAIM = "FSC Controlled Wood"
MAP_POINTS_MAX = 1000


async def run(sql: str, args: list[Any]) -> list[dict[str, Any]]:
    """One raw query with Piccolo's ``{}`` placeholders, on whichever engine is active."""
    return list(await Offer.raw(sql, *args))


async def producers(f: Filters) -> list[dict[str, Any]]:
    """Producers reached and active, grouped by country and legal form."""
    where = where_for.producers(f)
    offer_cond = where_for.offer_product(f, "fa")
    sql = f"""
        SELECT o.country AS country, o.legal_form AS legal_form, COUNT(*) AS reached,
          SUM(CASE WHEN EXISTS (
                SELECT 1 FROM offer fa WHERE fa.organization = o.id AND fa.created_at >= {{}}
                  AND fa.created_at < {{}} AND {offer_cond.sql})
              OR EXISTS (
                SELECT 1 FROM message ms WHERE ms.sender_organization = o.id AND ms.created_at >= {{}}
                  AND ms.created_at < {{}})
            THEN 1 ELSE 0 END) AS active
        FROM organization o
        WHERE o.kind IN {PRODUCER_KINDS} AND o.is_active = {{}} AND o.created_at < {{}} AND {where.sql}
        GROUP BY o.country, o.legal_form
    """
    args = [f.start, f.end, *offer_cond.args, f.start, f.end, True, f.end, *where.args]
    return await run(sql, args)


async def offered(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """Certified offers posted in the period: count and canonical quantity per product type and country.

    Offers are grouped per organisation first (one pass over the offers), so only those groups meet the
    organisation table and its filters. The pass reads the (organization, category, product_type, ...) covering
    index whole, in the grouping's order, rather than the period's range of the date index and a sort: a year
    holds most offers, and reading all of them costs less than sorting most of them.
    """
    product = where_for.offer_product(f)
    org = where_for.producer_org(f)
    if f.program is not None:
        org.extend(where_for.in_program("o", f.program))
    created = sql.unindexed("f.created_at")
    query = f"""
        SELECT g.category AS category, g.product_type AS product_type, o.country AS country,
          SUM(g.offers) AS offers, SUM(g.quantity) AS quantity
        FROM (
          SELECT f.organization AS organization, f.category AS category, f.product_type AS product_type,
            COUNT(*) AS offers, SUM(f.quantity_canonical) AS quantity
          FROM offer f
          WHERE {created} >= {{}} AND {created} < {{}} AND f.claim <> {{}} AND {product.sql}
          GROUP BY f.organization, f.category, f.product_type
        ) AS g JOIN organization o ON o.id = g.organization
        WHERE {org.sql}
        GROUP BY g.category, g.product_type, o.country
    """
    return await run(query, [f.start, f.end, UNCERTIFIED_CLAIM, *product.args, *org.args])


def _deal_for_request(req: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM conversation cd JOIN match_event ed ON ed.conversation = cd.id"
        f" WHERE cd.request = {req}.id AND ed.state = 'deal_closed')"
    )


def _viable(req: str) -> str:
    return f"EXISTS (SELECT 1 FROM match mv WHERE mv.request = {req}.id AND mv.status = 'recommended')"


async def demand(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """Requests posted in the period, per family: count, canonical quantity, how many have a viable match."""
    where = where_for.demand(f, sql)
    query = f"""
        SELECT r.category AS category, COUNT(*) AS requests, SUM(r.quantity_canonical) AS quantity,
          SUM(CASE WHEN {_viable("r")} THEN 1 ELSE 0 END) AS viable
        FROM sourcing_request r JOIN organization b ON b.id = r.organization
        WHERE r.created_at >= {{}} AND r.created_at < {{}} AND {where.sql}
        GROUP BY r.category
    """
    return await run(query, [f.start, f.end, *where.args])


def _unmet_base(f: Filters, sql: Sql) -> tuple[str, list[Any]]:
    where = where_for.demand(f, sql)
    cond = f"""
        r.created_at >= {{}} AND r.created_at < {{}} AND {where.sql}
        AND NOT {_viable("r")} AND NOT {_deal_for_request("r")}
    """
    return cond, [f.start, f.end, *where.args]


async def unmet(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """Unmet demand by product type asked for and delivery region (a request counts under each type it lists)."""
    cond, args = _unmet_base(f, sql)
    product, pt = "", sql.element("pt")
    if f.product_type:
        product = f"AND {pt} = {{}}"
        args = [*args, f.product_type]
    query = f"""
        SELECT r.category AS category, {pt} AS product_type, r.delivery_country AS country,
          r.delivery_region AS region, COUNT(*) AS requests, SUM(r.quantity_canonical) AS quantity
        FROM sourcing_request r JOIN organization b ON b.id = r.organization {sql.explode("r.product_types", "pt")}
        WHERE {cond} {product}
        GROUP BY r.category, {pt}, r.delivery_country, r.delivery_region
        ORDER BY COUNT(*) DESC, SUM(r.quantity_canonical) DESC, {pt}, r.delivery_region
    """
    return await run(query, args)


async def unmet_points(f: Filters, sql: Sql) -> list[MapPoint]:
    cond, args = _unmet_base(f, sql)
    lat, lon = sql.round1("r.delivery_lat"), sql.round1("r.delivery_lon")
    query = f"""
        SELECT {lat} AS lat, {lon} AS lon, COUNT(*) AS n
        FROM sourcing_request r JOIN organization b ON b.id = r.organization
        WHERE r.delivery_lat IS NOT NULL AND r.delivery_lon IS NOT NULL AND {cond}
        GROUP BY {lat}, {lon} ORDER BY COUNT(*) DESC LIMIT {MAP_POINTS_MAX}
    """
    return [MapPoint(lat=float(r["lat"]), lon=float(r["lon"]), count=int(r["n"])) for r in await run(query, args)]


async def producer_points(f: Filters, sql: Sql) -> list[MapPoint]:
    """Producers reached, on a 0.1° grid (a map of ten thousand markers says less than one of counts)."""
    where = where_for.producers(f)
    lat, lon = sql.round1("o.lat"), sql.round1("o.lon")
    query = f"""
        SELECT {lat} AS lat, {lon} AS lon, COUNT(*) AS n FROM organization o
        WHERE o.kind IN {PRODUCER_KINDS} AND o.is_active = {{}} AND o.created_at < {{}}
          AND o.lat IS NOT NULL AND o.lon IS NOT NULL AND {where.sql}
        GROUP BY {lat}, {lon} ORDER BY COUNT(*) DESC LIMIT {MAP_POINTS_MAX}
    """
    rows = await run(query, [True, f.end, *where.args])
    return [MapPoint(lat=float(r["lat"]), lon=float(r["lon"]), count=int(r["n"])) for r in rows]


async def expiring(f: Filters, days: int) -> list[ExpiringCertificate]:
    """Valid certificates of producers in the filters that expire within ``days`` of today."""
    where = where_for.producer_org(f)
    if f.program is not None:
        where.extend(where_for.in_program("o", f.program))
    if f.product_type:
        where.add(Sql(where_for.is_postgres()).json_has("ct.product_types"), f.product_type)
    today = f.as_of
    query = f"""
        SELECT ct.code AS code, o.ref AS organization_ref, o.name AS organization_name, o.country AS country,
          ct.expires_on AS expires_on
        FROM certificate ct JOIN organization o ON o.id = ct.organization
        WHERE ct.status = 'valid' AND ct.expires_on >= {{}} AND ct.expires_on <= {{}} AND {where.sql}
        ORDER BY ct.expires_on, ct.code LIMIT 500
    """
    rows = await run(query, [today, today + dt.timedelta(days=days), *where.args])
    out = []
    for r in rows:
        expires = r["expires_on"] if isinstance(r["expires_on"], dt.date) else dt.date.fromisoformat(r["expires_on"])
        out.append(
            ExpiringCertificate(
                code=r["code"],
                organization_ref=r["organization_ref"],
                organization_name=r["organization_name"],
                country=r["country"],
                expires_on=expires,
                days_left=(expires - today).days,
            )
        )
    return out
