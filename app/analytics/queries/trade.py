"""Trade indicators in SQL: contacts and replies, the funnel, and deals (with corrections and confirmations).

Shaped for a million match events on SQLite: each figure family is one statement (a materialised CTE feeds
several results through UNION ALL), joins are added only when a filter needs them, and distinct counts group
on an index whose order already matches (``analytics`` migration 2026-11-25T20:40).
"""

from __future__ import annotations

from typing import Any

from app.analytics import conditions as where_for
from app.analytics.conditions import Sql, Where
from app.analytics.filters import Filters
from app.analytics.queries.supply import run
from app.vocab import BOARD_FEET_PER_M3

CONVERSATION_STATES = ("contacted", "replied", "negotiating", "deal_closed", "declined")
MATCH_STATES = ("viewed",)

_OFFER_JOINS = """
    JOIN offer f ON f.id = c.offer
    JOIN organization o ON o.id = c.producer_organization
"""
_BUYER_JOIN = "JOIN organization b ON b.id = c.buyer_organization"


def _joins(f: Filters, always: bool = False) -> str:
    """The joins the trade filters need (the buyer only for a program); none without filters."""
    if not (always or where_for.needs_trade_join(f)):
        return ""
    return _OFFER_JOINS + (_BUYER_JOIN if f.program is not None else "")


#: SQLite indexes seen to exist (an index, once created by its migration, stays).
_present_indexes: set[str] = set()


async def _indexed_by(sql: Sql, index: str) -> str:
    """``sql.indexed_by(index)`` when the index exists: code that runs before ``forestmatch migrate`` has created it
    stays correct, only slower (SQLite refuses a query naming a missing index)."""
    if sql.pg:
        return ""
    if index not in _present_indexes:
        rows = await run("SELECT name FROM sqlite_master WHERE type = 'index' AND name = {}", [index])
        if not rows:
            return ""
        _present_indexes.add(index)
    return sql.indexed_by(index)


#: Reply times sampled to find a narrow window around the median (about this many, whatever the data's size).
MEDIAN_SAMPLE = 2000


def _median(values: str, n: str) -> str:
    """The exact median of ``values`` (a CTE with integer ``c`` and number ``s``) counted in ``n`` (a CTE with ``n``).

    Sorting every value to read the middle two cost a third of the contacts statement at 110k replies. Instead a
    sample of about MEDIAN_SAMPLE values (``c`` modulo a step) gives two pivots around the middle; one pass counts
    the values below and up to them, and when both middle ranks fall between the pivots only the values between
    them are sorted (about a tenth). Any other case (no sample, a skewed one, few values) sorts everything, so the
    result is always the exact median, only its cost varies.
    """
    half = f"LIMIT 2 - (SELECT {n}.n FROM {n}) % 2 OFFSET ((SELECT {n}.n FROM {n}) - 1) / 2"
    return f"""
        smp AS MATERIALIZED (
          SELECT {values}.s AS s FROM {values} WHERE {values}.c % (SELECT {n}.n / {MEDIAN_SAMPLE} + 1 FROM {n}) = 0
        ),
        piv AS MATERIALIZED (SELECT
          (SELECT smp.s FROM smp ORDER BY smp.s LIMIT 1 OFFSET (SELECT COUNT(*) FROM smp) * 9 / 20) AS lo,
          (SELECT smp.s FROM smp ORDER BY smp.s LIMIT 1 OFFSET (SELECT COUNT(*) FROM smp) * 11 / 20) AS hi
        ),
        win AS MATERIALIZED (
          SELECT COUNT(*) FILTER (WHERE v.s < piv.lo) AS below, COUNT(*) FILTER (WHERE v.s <= piv.hi) AS upto
          FROM {values} v CROSS JOIN piv
        ),
        med AS MATERIALIZED (
          SELECT CASE WHEN win.below <= ({n}.n - 1) / 2 AND {n}.n / 2 < win.upto THEN (
              SELECT AVG(m.s) FROM (
                SELECT v.s AS s FROM {values} v CROSS JOIN piv WHERE v.s >= piv.lo AND v.s <= piv.hi ORDER BY v.s
                {half} - (SELECT win.below FROM win)
              ) AS m)
            ELSE (SELECT AVG(m.s) FROM (SELECT v.s AS s FROM {values} v ORDER BY v.s {half}) AS m) END AS median
          FROM {n} CROSS JOIN win
        )"""


async def conversations(f: Filters, sql: Sql) -> tuple[list[dict[str, Any]], float | None]:
    """Conversations opened in the period per month with how many the producer answered, and the median time
    from opening to the producer's first message (seconds).

    A conversation opens with its first 'contacted' event and is answered at its first 'replied' event, which the
    messaging service records with the producer's first message. Both are read in one pass over a partial
    (conversation, state, at) index holding only those two states, grouped in its order, with FILTER aggregates
    and the period tested in HAVING (no per-event CASE, no materialised grouping: a pass with a CASE per state
    measured three times slower, and first-reply lookups per conversation 35% slower, at a million events). The
    median sorts only a window around the middle (``_median``).
    """
    scope = ""
    args: list[Any] = []
    if where_for.needs_trade_join(f):
        where = where_for.conversation_ids(f)
        scope, args = f"AND e.conversation IN ({where.sql})", list(where.args)
    seconds = sql.seconds_between("t.replied", "t.opened")
    query = f"""
        WITH {await _opened(sql, scope)},
        d AS MATERIALIZED (SELECT t.conversation AS c, {seconds} AS s FROM t WHERE t.replied IS NOT NULL),
        dn AS MATERIALIZED (SELECT COUNT(*) AS n FROM d),
        {_median("d", "dn")}
        SELECT {sql.month("t.opened")} AS month, COUNT(*) AS contacts, COUNT(t.replied) AS replied, NULL AS median
        FROM t GROUP BY {sql.month("t.opened")}
        UNION ALL
        SELECT NULL, NULL, NULL, med.median FROM med
    """
    rows = await run(query, [*args, f.start, f.end])
    months = [r for r in rows if r["month"] is not None]
    medians = [r["median"] for r in rows if r["month"] is None and r["median"] is not None]
    return months, float(medians[0]) if medians else None


async def _opened(sql: Sql, scope: str) -> str:
    """The CTE ``t``: each conversation (within ``scope``, a condition on ``e.conversation``) that opened in the
    period (two parameters: from, before), when it opened and when the producer first replied."""
    hint = await _indexed_by(sql, "match_event_contact_reply")
    opened = "MIN(e.at) FILTER (WHERE e.state = 'contacted')"
    return f"""t AS MATERIALIZED (
          SELECT e.conversation AS conversation, {opened} AS opened,
            MIN(e.at) FILTER (WHERE e.state = 'replied') AS replied
          FROM match_event e{hint}
          WHERE e.conversation IS NOT NULL AND e.state IN ('contacted', 'replied') {scope}
          GROUP BY e.conversation HAVING {opened} >= {{}} AND {opened} < {{}}
        )"""


async def contact_months(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """``conversations``' months (contacts and replies per month of opening) without the median reply time, for
    figures that need only the counts (a program's indicators and report): the same conversations, counted by
    the same rule.

    The filters are tested once per conversation after grouping (a join on the conversation's id), not per event
    before it: with a program, whose members hold most of the trade, testing 126k conversations against the
    members' lists instead of seeking the index once per conversation in scope, and leaving out the median, took
    the statement from 393 to 268 ms of CPU at a million events on SQLite."""
    head, tail, args = "", "", []
    if where_for.needs_trade_join(f):
        where = where_for.conversation_conditions(f, "c")
        head, tail, args = "JOIN conversation c ON c.id = t.conversation", f"WHERE {where.sql}", list(where.args)
    query = f"""
        WITH {await _opened(sql, "")}
        SELECT {sql.month("t.opened")} AS month, COUNT(*) AS contacts, COUNT(t.replied) AS replied
        FROM t {head} {tail} GROUP BY {sql.month("t.opened")}
    """
    return await run(query, [f.start, f.end, *args])


#: A deal's quantity in its family's canonical unit (m3, kg DRC), from ``raw``'s figures and the offer ``f``.
_DEAL_QUANTITY = f"""CASE raw.unit
              WHEN 'm3' THEN raw.quantity
              WHEN 'bf' THEN raw.quantity / {BOARD_FEET_PER_M3}
              WHEN 'kg_drc' THEN raw.quantity
              WHEN 't_drc' THEN raw.quantity * 1000
              WHEN 'kg_latex' THEN raw.quantity * COALESCE(raw.drc, f.drc_percent) / 100 END"""


def _recorded_deals(sql: Sql) -> str:
    """The CTEs up to ``raw``: every recorded deal (its root ``deal_closed`` event) with the figures of its latest
    correction and whether it was confirmed (no parameters)."""
    details = "CASE WHEN x.id IS NULL THEN e.details ELSE x.details END"
    return f"""
        WITH RECURSIVE corr AS MATERIALIZED (
          SELECT k.id AS id, {sql.json_int("k.details", "corrects")} AS target
          FROM match_event k WHERE k.state = 'corrected'
        ),
        chain(root, id) AS (
          SELECT corr.target, corr.id FROM corr WHERE corr.target NOT IN (SELECT id FROM corr)
          UNION ALL
          SELECT chain.root, corr.id FROM corr JOIN chain ON corr.target = chain.id
        ),
        latest AS MATERIALIZED (SELECT chain.root AS root, MAX(chain.id) AS id FROM chain GROUP BY chain.root),
        confirmed AS MATERIALIZED (
          SELECT {sql.json_int("k.details", "event_id")} AS id FROM match_event k WHERE k.state = 'deal_confirmed'
        ),
        raw AS MATERIALIZED (
          SELECT e.id AS root, e.conversation AS conversation,
            {sql.json_text(details, "date")} AS date, {sql.json_text(details, "currency")} AS currency,
            {sql.json_num(details, "price")} AS price, {sql.json_text(details, "unit")} AS unit,
            {sql.json_num(details, "quantity")} AS quantity, {sql.json_num(details, "drc_percent")} AS drc,
            CASE WHEN e.id IN (SELECT id FROM confirmed) OR (l.id IS NOT NULL AND EXISTS (
                SELECT 1 FROM chain ch WHERE ch.root = e.id AND ch.id IN (SELECT id FROM confirmed)))
              THEN 1 ELSE 0 END AS confirmed
          FROM match_event e LEFT JOIN latest l ON l.root = e.id LEFT JOIN match_event x ON x.id = l.id
          WHERE e.state = 'deal_closed'
        )"""


def deal_query(f: Filters, sql: Sql) -> tuple[str, list[Any]]:
    """One row per recorded deal dated in the period, with the figures of its latest staff correction.

    A correction may correct a correction, so corrections are followed back to the original ``deal_closed``
    event (the recursion walks corrections only, which are few); the newest event of a chain holds the figures.
    A deal is confirmed when the other party confirmed any event of its chain.

    Each deal's JSON details are read once (``raw``: six fields, not the twelve extractions of repeating them per
    use), and the conversation, offer and organisation are joined only for deals dated in the period. ``price`` is
    the deal's total value (the unit price times the quantity, computed when recorded); wet latex counts with the
    DRC recorded with the deal, or the offer's for deals recorded before it was asked.
    """
    where = where_for.trade(f)
    cte = f"""
        {_recorded_deals(sql)},
        deal AS MATERIALIZED (
          SELECT raw.root AS root, raw.confirmed AS confirmed, c.offer AS offer, c.buyer_organization AS buyer,
            c.producer_organization AS producer, f.category AS category, f.product_type AS product_type,
            o.country AS country, raw.currency AS currency, substr(raw.date, 1, 7) AS month, raw.price AS price,
            {_DEAL_QUANTITY} AS quantity
          FROM raw JOIN conversation c ON c.id = raw.conversation {_joins(f, always=True)}
          WHERE raw.date >= {{}} AND raw.date <= {{}} AND {where.sql}
        )
    """
    return cte, [f.date_from.isoformat(), f.date_to.isoformat(), *where.args]


async def deals(f: Filters, sql: Sql, minimum_pair_deals: int = 2) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Deals grouped by month, product, producer country, currency and confirmation; and the buyer-producer
    pairs with at least ``minimum_pair_deals`` deals (repeat relationships), from one evaluation of the deals."""
    cte, args = deal_query(f, sql)
    query = f"""
        {cte}
        SELECT 'g' AS kind, month, category, product_type, country, currency, confirmed, COUNT(*) AS deals,
          SUM(quantity) AS quantity, SUM(price) AS value, NULL AS buyer, NULL AS producer
        FROM deal GROUP BY month, category, product_type, country, currency, confirmed
        UNION ALL
        SELECT 'p', NULL, NULL, NULL, NULL, NULL, NULL, COUNT(*), NULL, NULL, buyer, producer
        FROM deal GROUP BY buyer, producer HAVING COUNT(*) >= {{}}
    """
    rows = await run(query, [*args, minimum_pair_deals])
    groups = [r for r in rows if r["kind"] == "g"]
    pairs = [r for r in rows if r["kind"] == "p"]
    if pairs:
        ids = sorted({r["buyer"] for r in pairs} | {r["producer"] for r in pairs})
        marks = ", ".join("{}" for _ in ids)
        names = {r["id"]: r for r in await run(f"SELECT id, ref, name FROM organization WHERE id IN ({marks})", ids)}
        pairs = [
            {
                "buyer_ref": names[r["buyer"]]["ref"],
                "buyer_name": names[r["buyer"]]["name"],
                "producer_ref": names[r["producer"]]["ref"],
                "producer_name": names[r["producer"]]["name"],
                "deals": r["deals"],
            }
            for r in pairs
        ]
        pairs.sort(key=lambda p: (-int(p["deals"]), p["buyer_name"], p["producer_name"]))
    return groups, pairs


async def deal_months(f: Filters, sql: Sql) -> list[dict[str, Any]]:
    """``deals``' groups narrowed to month, product family and confirmation (deals and volume), for figures that
    need no more (a program's indicators and report): the same deals (``deal_query``'s ``raw``, period and joins)
    counted by the same rule.

    The program is tested on the conversation's two sides (``program_sides``: each side's members listed once)
    instead of per deal and organisation, no row is materialised after ``raw``, and the buyer-producer pairs
    are not grouped: 337 -> 195 ms of CPU with a program at a million events on SQLite."""
    where = where_for.producer_org(f, "o").extend(where_for.offer_product(f, "f"))
    if f.program is not None:
        where.extend(where_for.program_sides(f.program, "c"))
    query = f"""
        {_recorded_deals(sql)}
        SELECT substr(raw.date, 1, 7) AS month, f.category AS category, raw.confirmed AS confirmed,
          COUNT(*) AS deals, SUM({_DEAL_QUANTITY}) AS quantity
        FROM raw JOIN conversation c ON c.id = raw.conversation {_joins(f, always=True)}
        WHERE raw.date >= {{}} AND raw.date <= {{}} AND {where.sql}
        GROUP BY substr(raw.date, 1, 7), f.category, raw.confirmed
    """
    return await run(query, [f.date_from.isoformat(), f.date_to.isoformat(), *where.args])


def _viewed_matches(matches: Where, sql: Sql) -> tuple[str, list[Any]]:
    """Matches with a match-level event (no conversation) of a match state in the period: distinct match ids read
    in the order of the (state, match, conversation, at) index, so nothing is sorted and the count does not depend
    on the order SQLite happens to scan matches in (a scan of matches with one seek each measured 48 ms with full
    statistics, 134 ms with sampled ones that made SQLite read matches in offer order; this reads 38-41 ms with
    either). Filters restrict the matches first."""
    states = ", ".join(f"'{s}'" for s in MATCH_STATES)
    conversation, at = sql.unindexed("e.conversation"), sql.unindexed("e.at")
    query = (
        f"SELECT 'viewed' AS state, COUNT(DISTINCT e.match) AS n FROM match_event e WHERE e.state IN ({states})"
        f" AND {conversation} IS NULL AND {at} >= {{}} AND {at} < {{}}"
    )
    if not matches.parts:
        return query, []
    return query + f" AND e.match IN (SELECT m.id FROM match m WHERE {matches.sql})", list(matches.args)


async def funnel(f: Filters, sql: Sql) -> dict[str, int]:
    """How many matches or conversations reached each state in the period (recommended: match records).

    The conversations per state are one pass over the (state, conversation, at) index: distinct conversations
    counted per state in index order, so nothing is sorted (53 -> 36 ms against one grouped count per state).
    With filters, the conversations in scope are listed once (a materialised set, filters applied to offers and
    organisations first) and tested while reading: SQLite builds that set's lookup once per subquery, so one
    subquery for all states builds it once (the funnel statement with country and category 430 -> 210 ms, with a
    claim most offers hold 630 -> 355 ms, with the covering indexes of the 2026-11-26 migration).
    """
    matches = where_for.match_conditions(f)
    head, scope, scope_args = "", "", []
    if where_for.needs_trade_join(f):
        where = where_for.conversation_ids(f)
        head, scope_args = f"WITH scope AS MATERIALIZED ({where.sql}) ", list(where.args)
        # Unary plus: test membership while reading the state's index range, rather than one seek per id and state.
        scope = "AND +e.conversation IN (SELECT scope.id FROM scope)"
    at = sql.unindexed("e.at")
    viewed, viewed_args = _viewed_matches(matches, sql)
    states = ", ".join(f"'{s}'" for s in (*CONVERSATION_STATES, *MATCH_STATES))
    parts = [
        f"SELECT 'recommended' AS state, COUNT(*) AS n FROM match m WHERE m.created_at >= {{}}"
        f" AND m.created_at < {{}} AND {matches.sql}",
        f"SELECT e.state AS state, COUNT(DISTINCT e.conversation) AS n FROM match_event e WHERE e.state IN ({states})"
        f" AND e.conversation IS NOT NULL AND {at} >= {{}} AND {at} < {{}} {scope} GROUP BY e.state",
        # Match-level events (e.g. viewed) count per match when no conversation is attached.
        viewed,
    ]
    args: list[Any] = [f.start, f.end, *matches.args, f.start, f.end, f.start, f.end, *viewed_args]
    rows = await run(head + " UNION ALL ".join(parts), [*scope_args, *args])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + int(row["n"] or 0)
    return counts
