"""Query execution for the embedded backend: one statement for the total and every facet, one for the page.

With text, the FTS5 match drives the query (CROSS JOIN keeps SQLite from starting at a filter index and running
the match once per row). Count and facets share a materialised candidate set, so the match and the filters run
once for all of them.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from search_index.analysis import MatchPlan, mark_matches, safe_highlight
from search_index.embedded_store import FilterCompiler, Layout, col, facet_key, order_sql
from search_index.index_settings import IndexSettings
from search_index.query import Hit, SearchQuery, SearchResult


def highlight_value(value: Any, plan: MatchPlan | None) -> str | None:
    """An attribute as HTML-safe text with ``<mark>`` around the matched words (lists joined with ", ")."""
    def one(text: str) -> str:
        return safe_highlight(mark_matches(text, plan.highlight_terms, plan.highlight_prefixes) if plan else text)

    if isinstance(value, str):
        return one(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return one(str(value))
    if isinstance(value, list):
        parts = [one(v if isinstance(v, str) else str(v)) for v in value
                 if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
        return ", ".join(parts)
    return None


def _stats(conn: sqlite3.Connection, layout: Layout, settings: IndexSettings, facets: tuple[str, ...],
           list_fields: set[str], source: str, where_sql: str, params: list[Any]) -> tuple[int, dict[str, dict[str, int]]]:
    if not facets:
        return conn.execute(f"SELECT count(*) FROM {source}{where_sql}", params).fetchone()[0], {}
    names = list(dict.fromkeys(facets))
    columns = "".join(f", d.{col(f)} AS a{i}" for i, f in enumerate(names) if f not in list_fields)
    arms = ["SELECT -1, NULL, count(*) FROM c"]
    arm_params: list[Any] = []
    limit = settings.max_values_per_facet
    for i, field in enumerate(names):
        if field in list_fields:
            arms.append(
                f"SELECT * FROM (SELECT {i}, v.value, count(*) FROM c CROSS JOIN {layout.vals} v "
                "ON v.rid = c.rid AND v.field = ? GROUP BY v.value ORDER BY v.value LIMIT ?)"
            )
            arm_params += [field, limit]
        else:
            arms.append(
                f"SELECT * FROM (SELECT {i}, c.a{i}, count(*) FROM c WHERE c.a{i} IS NOT NULL "
                f"GROUP BY c.a{i} ORDER BY c.a{i} LIMIT ?)"
            )
            arm_params.append(limit)
    sql = f"WITH c AS MATERIALIZED (SELECT d.rid AS rid{columns} FROM {source}{where_sql}) " + " UNION ALL ".join(arms)
    total = 0
    counts: dict[str, dict[str, int]] = {f: {} for f in names}
    for position, value, count in conn.execute(sql, [*params, *arm_params]):
        if position < 0:
            total = count
        else:
            counts[names[position]][facet_key(value)] = count
    return total, counts


def _page(conn: sqlite3.Connection, layout: Layout, settings: IndexSettings, query: SearchQuery,
          plan: MatchPlan | None, source: str, where_sql: str, params: list[Any], limit: int, offset: int) -> list[Hit]:
    order, order_params, distance = order_sql(query.sort)
    score_sql, distance_sql, select_params = "NULL", "NULL", []
    if plan:
        weights = ", ".join(str(float(len(settings.searchable) - i)) for i in range(len(settings.searchable)))
        score_sql = f"bm25({layout.fts}, {weights})"
        if plan.exact_expression != plan.expression:
            # Like Meilisearch's typo rule: documents matching without typos come first.
            order.append(f"(d.rid NOT IN (SELECT rowid FROM {layout.fts} WHERE {layout.fts} MATCH ?))")
            order_params.append(plan.exact_expression)
        order.append("score")
    if distance:
        distance_sql, select_params = distance
    order.append("d.rid")
    sql = (
        f"SELECT d.rid, d.id, {score_sql} AS score, {distance_sql} AS dist FROM {source}{where_sql} "
        f"ORDER BY {', '.join(order)} LIMIT ? OFFSET ?"
    )
    rows = conn.execute(sql, [*select_params, *params, *order_params, limit, offset]).fetchall()
    if not rows:
        return []
    marks = ", ".join("?" * len(rows))
    documents = dict(conn.execute(f"SELECT rid, doc FROM {layout.source} WHERE rid IN ({marks})", [r[0] for r in rows]))
    hits = []
    for rid, doc_id, score, dist in rows:
        document = json.loads(documents[rid])
        highlights = {}
        for name in query.highlight:
            value = highlight_value(document.get(name), plan)
            if value is not None:
                highlights[name] = value
        hits.append(Hit(doc_id, document, -score if score is not None else None, dist, highlights))
    return hits


def run_search(conn: sqlite3.Connection, layout: Layout, settings: IndexSettings, query: SearchQuery,
               plan: MatchPlan | None, list_fields: set[str]) -> SearchResult:
    """Execute a validated query against one generation (inside a read transaction)."""
    compiler = FilterCompiler(layout, list_fields)
    where = [compiler.compile(f) for f in query.filters]
    params = list(compiler.params)
    source = f"{layout.docs} d"
    if plan:
        source = f"{layout.fts} CROSS JOIN {layout.docs} d ON d.rid = {layout.fts}.rowid"
        where.insert(0, f"{layout.fts} MATCH ?")
        params.insert(0, plan.expression)
    where_sql = " WHERE " + " AND ".join(where) if where else ""
    total, facets = _stats(conn, layout, settings, query.facets, list_fields, source, where_sql, params)
    total = min(total, settings.max_total_hits)
    offset = (query.page - 1) * query.per_page
    limit = max(0, min(query.per_page, total - offset))
    hits = _page(conn, layout, settings, query, plan, source, where_sql, params, limit, offset) if limit else []
    return SearchResult(hits, total, query.page, query.per_page, facets)
