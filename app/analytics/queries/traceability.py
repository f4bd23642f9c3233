"""Latex traceability indicators in SQL: volume offered and traded, how much of it is backed by lots (traceable) and
by lots that are all EUDR-ready, per producer country and per group; lots with error checks; members per group.

What "traceable" and "EUDR-ready" mean is what the offer's badge says (``app.traceability.offer_lots``): an offer is
traceable when it names at least one lot that exists, EUDR-ready when every lot it names exists and is EUDR-ready as
last derived (``lot_result``). A deal counts with its offer's lots as they stand now. A group is behind an offer when
latex of one of its members is in the offer's lots, or in a lot they draw from (at any depth): an offer drawing on
two groups counts under both, so the group rows do not add up to the total.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.analytics import conditions as where_for
from app.analytics.conditions import Sql, Where
from app.analytics.filters import Filters
from app.analytics.queries.supply import run
from app.analytics.queries.trade import deal_query


def _objects(sql: Sql, column: str, alias: str) -> str:
    """A FROM item giving one row per element of a JSON array of objects (read fields with ``_field``)."""
    if sql.pg:
        return f"CROSS JOIN LATERAL json_array_elements({column}) AS {alias}(v)"
    return f"CROSS JOIN json_each({column}) AS {alias}"


def _field(sql: Sql, alias: str, key: str) -> str:
    return sql.json_text(f"{alias}.v" if sql.pg else f"{alias}.value", key)


def _backing(sql: Sql) -> str:
    """CTEs ``named`` (offer, lot named, its EUDR-readiness), ``backing`` (per offer: lots named, known, ready) and
    ``offer_group`` (offer, group whose members' latex is in its lots), for latex offers naming lots."""
    return f"""
        named AS MATERIALIZED (
          SELECT nf.id AS offer, l.id AS lot, CASE WHEN lr.eudr_ready THEN 1 ELSE 0 END AS ready
          FROM offer nf {sql.explode("nf.lots", "ol")}
            LEFT JOIN lot l ON l.ref = {sql.element("ol")} LEFT JOIN lot_result lr ON lr.lot = l.id
          WHERE nf.category = 'latex'
        ),
        backing AS MATERIALIZED (
          SELECT named.offer AS offer, COUNT(*) AS named, COUNT(named.lot) AS known, SUM(named.ready) AS ready
          FROM named GROUP BY named.offer
        ),
        tree(root, lot) AS (
          SELECT DISTINCT named.lot, named.lot FROM named WHERE named.lot IS NOT NULL
          UNION
          SELECT tree.root, li.source_lot FROM tree JOIN lot_input li ON li.lot = tree.lot
          WHERE li.source_lot IS NOT NULL
        ),
        lot_group AS MATERIALIZED (
          SELECT DISTINCT tree.root AS lot, m."group" AS grp FROM tree JOIN lot_input li ON li.lot = tree.lot
            JOIN delivery dv ON dv.id = li.delivery JOIN member m ON m.id = dv.member
        ),
        offer_group AS MATERIALIZED (
          SELECT DISTINCT named.offer AS offer, lot_group.grp AS grp
          FROM named JOIN lot_group ON lot_group.lot = named.lot
        )"""


#: Per row: count, volume, traceable volume and EUDR-ready volume (``b`` the offer's backing, ``q`` the quantity).
def _sums(q: str) -> str:
    traceable = "COALESCE(b.known, 0) > 0"
    ready = "COALESCE(b.known, 0) > 0 AND b.known = b.named AND b.ready = b.named"
    return (
        f"COUNT(*) AS n, SUM({q}) AS quantity, SUM(CASE WHEN {traceable} THEN 1 ELSE 0 END) AS traceable_n,"
        f" SUM(CASE WHEN {traceable} THEN {q} ELSE 0 END) AS traceable,"
        f" SUM(CASE WHEN {ready} THEN 1 ELSE 0 END) AS ready_n, SUM(CASE WHEN {ready} THEN {q} ELSE 0 END) AS ready"
    )


#: Sums of ``scope`` (offer, country, quantity) per producer country ('c') and per group behind the offer ('g').
_BY_COUNTRY_AND_GROUP = f"""
        SELECT 'c' AS kind, s.country AS key, {_sums("s.quantity")}
        FROM scope s LEFT JOIN backing b ON b.offer = s.offer GROUP BY s.country
        UNION ALL
        SELECT 'g', CAST(og.grp AS TEXT), {_sums("s.quantity")}
        FROM scope s JOIN offer_group og ON og.offer = s.offer LEFT JOIN backing b ON b.offer = s.offer
        GROUP BY og.grp"""


async def offered(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """Active latex offers (open now, whatever the period) per producer country (``kind`` 'c') and per group behind
    them (``kind`` 'g'): count and kg of dry rubber, of which traceable and EUDR-ready."""
    where = where_for.supply(f)
    query = f"""
        WITH RECURSIVE {_backing(sql)},
        scope AS MATERIALIZED (
          SELECT f.id AS offer, o.country AS country, f.quantity_canonical AS quantity
          FROM offer f JOIN organization o ON o.id = f.organization
          WHERE f.category = 'latex' AND f.status = 'active' AND {where.sql}
        )
        {_BY_COUNTRY_AND_GROUP}
    """
    return await run(query, list(where.args))


async def traded(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """Confirmed deals on latex offers dated in the period, per producer country and per group behind the offer:
    count and kg of dry rubber, of which on traceable and on EUDR-ready offers."""
    cte, args = deal_query(f, sql)
    query = f"""
        {cte},
        {_backing(sql)},
        scope AS MATERIALIZED (
          SELECT deal.offer AS offer, deal.country AS country, COALESCE(deal.quantity, 0) AS quantity
          FROM deal WHERE deal.confirmed = 1 AND deal.category = 'latex'
        )
        {_BY_COUNTRY_AND_GROUP}
    """
    return await run(query, args)


def _organisation(f: Filters, org: str) -> Where:
    """Where-the-goods-come-from filters on the organisation holding the records (a lot's holder, a group)."""
    w = where_for.producer_org(f, org)
    if f.program is not None:
        w.extend(where_for.in_program(org, f.program))
    return w


async def lots_with_errors(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """Every lot whose last derived answer has an error check (the holder within the filters, the product type the
    chosen one), one row per lot and error code with how many checks carry it; newest lots first. The period does
    not apply: a lot's errors stay to be fixed whatever its date."""
    holder = _organisation(f, "h")
    if f.product_type:
        holder.add("l.product_type = {}", f.product_type)
    query = f"""
        WITH errs AS MATERIALIZED (
          SELECT lr.lot AS lot, lr.claim AS claim, {_field(sql, "ck", "code")} AS code, COUNT(*) AS n
          FROM lot_result lr {_objects(sql, "lr.checks", "ck")}
          WHERE {_field(sql, "ck", "severity")} = 'error'
          GROUP BY lr.lot, lr.claim, {_field(sql, "ck", "code")}
        )
        SELECT l.ref AS ref, l.date AS date, l.product_type AS product_type, l.output_dry_kg AS dry_kg,
          h.ref AS holder_ref, h.name AS holder_name, h.country AS country, errs.claim AS claim, errs.code AS code,
          errs.n AS n
        FROM errs JOIN lot l ON l.id = errs.lot JOIN organization h ON h.id = l.holder
        WHERE {holder.sql}
        ORDER BY l.date DESC, l.ref, errs.code
    """
    return await run(query, list(holder.args))


async def lot_count(f: Filters) -> int:
    """Lots held within the filters (the whole the lots with errors are counted against)."""
    holder = _organisation(f, "h")
    if f.product_type:
        holder.add("l.product_type = {}", f.product_type)
    rows = await run(
        f"SELECT COUNT(*) AS n FROM lot l JOIN organization h ON h.id = l.holder WHERE {holder.sql}", holder.args
    )
    return int(rows[0]["n"] or 0)


async def members(f: Filters, sql: Sql, today: dt.date) -> list[dict[str, Any]]:
    """Per group within the filters: members, members inside the certificate's scope today, members with a plot,
    members with a plot whose stored checks hold an error."""
    group = _organisation(f, "g")
    query = f"""
        WITH plot_error AS MATERIALIZED (
          SELECT DISTINCT p.member AS member FROM plot p {_objects(sql, "p.checks", "ck")}
          WHERE p.checks IS NOT NULL AND {_field(sql, "ck", "severity")} = 'error'
        ),
        with_plot AS MATERIALIZED (SELECT DISTINCT p.member AS member FROM plot p)
        SELECT g.ref AS ref, g.name AS name, g.country AS country, COUNT(*) AS members,
          SUM(CASE WHEN m.certified_from IS NOT NULL AND m.certified_from <= {{}}
                AND (m.certified_to IS NULL OR m.certified_to >= {{}}) THEN 1 ELSE 0 END) AS in_scope,
          COUNT(wp.member) AS with_plots, COUNT(pe.member) AS with_plot_errors
        FROM member m JOIN organization g ON g.id = m."group"
          LEFT JOIN with_plot wp ON wp.member = m.id LEFT JOIN plot_error pe ON pe.member = m.id
        WHERE {group.sql}
        GROUP BY g.ref, g.name, g.country
        ORDER BY COUNT(*) DESC, g.name
    """
    return await run(query, [today, today, *group.args])


async def group_names(ids: list[int]) -> dict[int, dict[str, Any]]:
    """ref, name and country of these organisations, by id (one statement)."""
    if not ids:
        return {}
    marks = ", ".join("{}" for _ in ids)
    rows = await run(f"SELECT id, ref, name, country FROM organization WHERE id IN ({marks})", ids)
    return {int(r["id"]): r for r in rows}
