"""Trade indicators in SQL: contacts and replies, the funnel, and deals (with corrections and confirmations)."""

from __future__ import annotations

from typing import Any

from app.analytics import filters as fl
from app.analytics.filters import Filters, Sql
from app.analytics.queries.supply import run
from app.vocab import BOARD_FEET_PER_M3

FUNNEL_EVENT_STATES = ("viewed", "contacted", "replied", "negotiating", "deal_closed", "declined")

_TRADE_JOINS = """
    JOIN offer f ON f.id = c.offer
    JOIN organization o ON o.id = c.producer_organization
    JOIN organization b ON b.id = c.buyer_organization
"""


async def contacts_by_month(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """Conversations opened in the period per month, and how many the producer answered."""
    where = fl.trade(f)
    month = sql.month("c.created_at")
    query = f"""
        SELECT {month} AS month, COUNT(*) AS contacts,
          SUM(CASE WHEN EXISTS (SELECT 1 FROM message ms WHERE ms.conversation = c.id
                AND ms.sender_organization = c.producer_organization) THEN 1 ELSE 0 END) AS replied
        FROM conversation c {_TRADE_JOINS}
        WHERE c.created_at >= {{}} AND c.created_at < {{}} AND {where.sql}
        GROUP BY {month}
    """
    return await run(query, [f.start, f.end, *where.args])


async def median_reply_seconds(f: Filters, sql: Sql) -> float | None:
    """Median time from opening a conversation to the producer's first message, over answered conversations."""
    where = fl.trade(f)
    seconds = sql.seconds_between("fr.first_reply", "fr.created_at")
    query = f"""
        WITH fr AS (
          SELECT c.created_at AS created_at,
            (SELECT MIN(ms.created_at) FROM message ms WHERE ms.conversation = c.id
               AND ms.sender_organization = c.producer_organization) AS first_reply
          FROM conversation c {_TRADE_JOINS}
          WHERE c.created_at >= {{}} AND c.created_at < {{}} AND {where.sql}
        ),
        d AS (SELECT {seconds} AS s FROM fr WHERE fr.first_reply IS NOT NULL),
        ranked AS (SELECT s, ROW_NUMBER() OVER (ORDER BY s) AS rn, COUNT(*) OVER () AS n FROM d)
        SELECT AVG(s) AS median FROM ranked WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2
    """
    rows = await run(query, [f.start, f.end, *where.args])
    value = rows[0]["median"] if rows else None
    return None if value is None else float(value)


def _deal_cte(sql: Sql) -> str:
    """``deal``: one row per recorded deal, carrying the figures of its latest staff correction.

    A correction may correct a correction, so each correction is followed back to the original ``deal_closed``
    event; the chain's newest event holds the figures. A deal is confirmed when the other party confirmed any
    event of its chain.
    """
    return f"""
        WITH RECURSIVE corr AS (
          SELECT e.id AS id, {sql.json_int("e.details", "corrects")} AS target
          FROM match_event e WHERE e.state = 'corrected'
        ),
        chain(root, id) AS (
          SELECT e.id, e.id FROM match_event e WHERE e.state = 'deal_closed'
          UNION ALL
          SELECT chain.root, corr.id FROM corr JOIN chain ON corr.target = chain.id
        ),
        confirmed AS (
          SELECT {sql.json_int("k.details", "event_id")} AS id FROM match_event k WHERE k.state = 'deal_confirmed'
        ),
        roots AS (
          SELECT chain.root AS root, MAX(chain.id) AS latest,
            MAX(CASE WHEN chain.id IN (SELECT id FROM confirmed) THEN 1 ELSE 0 END) AS confirmed
          FROM chain GROUP BY chain.root
        ),
        deal AS (
          SELECT roots.root AS root, roots.confirmed AS confirmed, e.conversation AS conversation,
            {sql.json_num("e.details", "quantity")} AS quantity, {sql.json_text("e.details", "unit")} AS unit,
            {sql.json_num("e.details", "price")} AS price, {sql.json_text("e.details", "currency")} AS currency,
            {sql.json_text("e.details", "date")} AS deal_date
          FROM roots JOIN match_event e ON e.id = roots.latest
        )
    """


_CANONICAL = f"""
    CASE deal.unit WHEN 'm3' THEN deal.quantity WHEN 'bf' THEN deal.quantity / {BOARD_FEET_PER_M3}
      WHEN 'kg_drc' THEN deal.quantity WHEN 't_drc' THEN deal.quantity * 1000
      WHEN 'kg_latex' THEN deal.quantity * f.drc_percent / 100 END
"""


def _deal_scope(f: Filters) -> tuple[str, list[Any]]:
    where = fl.trade(f)
    cond = f"deal.deal_date >= {{}} AND deal.deal_date <= {{}} AND {where.sql}"
    return cond, [f.date_from.isoformat(), f.date_to.isoformat(), *where.args]


async def deals(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """Deals dated in the period, grouped by month, product, producer country, currency and confirmation."""
    cond, args = _deal_scope(f)
    query = f"""
        {_deal_cte(sql)}
        SELECT substr(deal.deal_date, 1, 7) AS month, f.category AS category, f.product_type AS product_type,
          o.country AS country, deal.currency AS currency, deal.confirmed AS confirmed, COUNT(*) AS deals,
          SUM({_CANONICAL}) AS quantity, SUM(deal.price) AS value
        FROM deal JOIN conversation c ON c.id = deal.conversation {_TRADE_JOINS}
        WHERE {cond}
        GROUP BY substr(deal.deal_date, 1, 7), f.category, f.product_type, o.country, deal.currency, deal.confirmed
    """
    return await run(query, args)


async def relationships(f: Filters, sql: Sql, minimum: int = 2) -> list[dict[str, Any]]:
    """Buyer-producer pairs with at least ``minimum`` deals dated in the period."""
    cond, args = _deal_scope(f)
    query = f"""
        {_deal_cte(sql)}
        SELECT b.ref AS buyer_ref, b.name AS buyer_name, o.ref AS producer_ref, o.name AS producer_name,
          COUNT(*) AS deals
        FROM deal JOIN conversation c ON c.id = deal.conversation {_TRADE_JOINS}
        WHERE {cond}
        GROUP BY b.ref, b.name, o.ref, o.name
        HAVING COUNT(*) >= {{}}
        ORDER BY COUNT(*) DESC, b.name, o.name
    """
    return await run(query, [*args, minimum])


async def funnel(f: Filters, sql: Sql) -> dict[str, int]:
    """How many matches or conversations reached each state in the period (recommended: match records)."""
    counts: dict[str, int] = {}
    where = fl.supply(f)
    if f.program is not None:
        # A recommendation belongs to a program through either side, like a conversation.
        where = fl.producer_org(f).extend(fl.offer_product(f, "f"))
        a, b = fl.in_program("o", f.program), fl.in_program("b", f.program)
        where.add(f"({a.sql} OR {b.sql})", *a.args, *b.args)
    recommended = f"""
        SELECT COUNT(*) AS n FROM match m JOIN offer f ON f.id = m.offer
          JOIN organization o ON o.id = f.organization
          JOIN sourcing_request r ON r.id = m.request JOIN organization b ON b.id = r.organization
        WHERE m.created_at >= {{}} AND m.created_at < {{}} AND {where.sql}
    """
    if not fl.needs_trade_join(f):
        recommended = "SELECT COUNT(*) AS n FROM match m WHERE m.created_at >= {} AND m.created_at < {}"
        where = fl.Where()
    rows = await run(recommended, [f.start, f.end, *where.args])
    counts["recommended"] = int(rows[0]["n"] or 0)

    states = ", ".join(f"'{s}'" for s in FUNNEL_EVENT_STATES)
    # One key per thread: the conversation, or for match-only events (e.g. viewed) the match, negated.
    key = "COALESCE(e.conversation, -e.match)"
    if fl.needs_trade_join(f):
        trade = fl.trade(f)
        query = f"""
            SELECT e.state AS state, COUNT(DISTINCT {key}) AS n FROM match_event e
              LEFT JOIN match m ON m.id = e.match
              LEFT JOIN conversation c ON c.id = e.conversation
              JOIN offer f ON f.id = COALESCE(c.offer, m.offer)
              JOIN organization o ON o.id = f.organization
              LEFT JOIN sourcing_request r ON r.id = COALESCE(c.request, m.request)
              JOIN organization b ON b.id = COALESCE(c.buyer_organization, r.organization)
            WHERE e.state IN ({states}) AND e.at >= {{}} AND e.at < {{}} AND {trade.sql}
            GROUP BY e.state
        """
        args = [f.start, f.end, *trade.args]
    else:
        query = f"""
            SELECT e.state AS state, COUNT(DISTINCT {key}) AS n FROM match_event e
            WHERE e.state IN ({states}) AND e.at >= {{}} AND e.at < {{}}
            GROUP BY e.state
        """
        args = [f.start, f.end]
    for row in await run(query, args):
        counts[row["state"]] = int(row["n"])
    return counts
