"""Query execution for the embedded backend: one statement for the total and every facet, one for the page.

With text, the FTS5 match drives the query (CROSS JOIN keeps SQLite from starting at a filter index and running
the match once per row). Count and facets share a materialised candidate set, so the match and the filters run
once for all of them.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pyroaring import BitMap

from search_index.analysis import MatchPlan, mark_matches, safe_highlight
from search_index.embedded_bitmaps import Changes, GenerationBitmaps, nocase
from search_index.embedded_sql import FilterCompiler, order_sql, score_sql
from search_index.embedded_store import Layout, col, facet_key, read_codec
from search_index.index_settings import IndexSettings
from search_index.query import AnyOf, Eq, Hit, ScoreSort, SearchQuery, SearchResult


def highlight_value(value: Any, plan: MatchPlan | None) -> str | None:
    """An attribute as HTML-safe text with ``<mark>`` around the matched words (lists joined with ", ")."""

    def one(text: str) -> str:
        marked = (
            mark_matches(text, plan.highlight_terms, plan.highlight_prefixes, plan.highlight_phrases) if plan else text
        )
        return safe_highlight(marked)

    if isinstance(value, str):
        return one(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return one(str(value))
    if isinstance(value, list):
        parts = [
            one(v if isinstance(v, str) else str(v))
            for v in value
            if isinstance(v, (str, int, float)) and not isinstance(v, bool)
        ]
        return ", ".join(parts)
    return None


CANDIDATES = "temp.fm_candidates"
#: (total before capping, facet counts) of a query; cached per index version by the backend.
Stats = tuple[int, dict[str, dict[str, int]]]
#: (rid, id, score, distance) of one hit of a page; pages are cached per index version by the backend too.
Row = tuple[int, str, float | None, float | None]


def _order(value: Any) -> tuple[int, Any]:
    """SQLite's ORDER BY of the candidates' facet columns (BINARY collation): numbers first, then text."""
    return (1, value) if isinstance(value, str) else (0, value)


def _scalar_groups(conn: sqlite3.Connection, scalar: list[tuple[int, str]], fixed: set[str]) -> list[tuple[Any, ...]]:
    """(value per scalar facet..., count) groups of the candidates.

    Facets on a field a top-level equality filter fixes hold one value (up to case) in every candidate: they go
    last in the GROUP BY, so the sort compares the varying columns first (same groups; the sort of the 22k hits of
    "pino" + timber + FSC 100% + MX, where only the product type varies, about a quarter cheaper). Taking them out
    of the sort with min()/max() checks instead was slower: a dozen aggregate calls per row cost more."""
    columns = [f"a{i}" for i, _ in scalar]
    keys = [c for c, (_, f) in zip(columns, scalar, strict=True) if f not in fixed]
    keys += [c for c in columns if c not in keys]
    sql = f"SELECT {', '.join(columns)}, count(*) FROM {CANDIDATES} GROUP BY {', '.join(keys)}"
    return conn.execute(sql).fetchall()


def _facets_and_total(
    conn: sqlite3.Connection,
    layout: Layout,
    settings: IndexSettings,
    facets: list[str],
    list_fields: set[str],
    fixed: set[str] = frozenset(),  # type: ignore[assignment]
) -> Stats:
    """Total and facet counts over the materialised candidates (``fixed``: fields of top-level Eq filters).

    Scalar facets are counted together: one GROUP BY over all their columns (one sort of the candidates, where a
    GROUP BY per facet sorted them once per facet), summed per facet here. List facets count their values."""
    limit = settings.max_values_per_facet
    counts: dict[str, dict[str, int]] = {f: {} for f in facets}
    scalar = [(i, f) for i, f in enumerate(facets) if f not in list_fields]
    if scalar:
        sums: list[dict[tuple[int, Any], list[Any]]] = [{} for _ in scalar]
        total = 0
        for row in _scalar_groups(conn, scalar, fixed):
            n = row[-1]
            total += n
            for j, value in enumerate(row[:-1]):
                if value is not None:
                    sums[j].setdefault(_order(value), [value, 0])[1] += n
        for (_, field), values in zip(scalar, sums, strict=True):
            for key in sorted(values)[:limit]:
                value, n = values[key]
                counts[field][facet_key(value)] = n
    else:
        total = conn.execute(f"SELECT count(*) FROM {CANDIDATES}").fetchone()[0]
    for field in facets:
        if field in list_fields:
            # "rid IN (candidates)" reads the covering (rid, field, value) index; a join on it read the table too
            # (about 3 times slower for the species facet of "pino", 23k matches).
            sql = (
                f"SELECT v.value, count(*) FROM {layout.vals} v WHERE v.field = ? "
                f"AND v.rid IN (SELECT rid FROM {CANDIDATES}) GROUP BY v.value ORDER BY v.value LIMIT ?"
            )
            for value, n in conn.execute(sql, [field, limit]):
                counts[field][facet_key(value)] = n
    return total, counts


def _hits(
    conn: sqlite3.Connection,
    layout: Layout,
    query: SearchQuery,
    plan: MatchPlan | None,
    rows: list[Row],
    bitmaps: tuple[GenerationBitmaps, Changes] | None = None,
) -> list[Hit]:
    """The hits of a page: stored documents (kept decoded per generation with ``bitmaps``) and highlights."""
    if not rows:
        return []
    if query.ids_only:
        return [
            Hit(doc_id, {"id": doc_id}, -score if score is not None else None, dist) for _, doc_id, score, dist in rows
        ]
    if bitmaps is not None:
        documents = bitmaps[0].documents(conn, layout, bitmaps[1], [r[0] for r in rows])
    else:
        marks = ", ".join("?" * len(rows))
        codec = read_codec(conn, layout)
        documents = {
            rid: codec.load(doc)
            for rid, doc in conn.execute(
                f"SELECT rid, doc FROM {layout.source} WHERE rid IN ({marks})", [r[0] for r in rows]
            )
        }
    hits = []
    for rid, doc_id, score, dist in rows:
        document = documents[rid]
        highlights = {}
        for name in query.highlight:
            value = highlight_value(document.get(name), plan)
            if value is not None:
                highlights[name] = value
        hits.append(Hit(doc_id, document, -score if score is not None else None, dist, highlights))
    return hits


def _order_by(order: list[tuple[str, str]]) -> str:
    return ", ".join([*(f"{term} {direction}" for term, direction in order), "d.rid"])


def _weights(settings: IndexSettings) -> str:
    """bm25 column weights: earlier searchable attributes weigh more (the tie-breaker after the bucket rules)."""
    return ", ".join(str(float(len(settings.searchable) - i)) for i in range(len(settings.searchable)))


def _in_set(layout: Layout, expression: str) -> tuple[str, list[Any]]:
    """Membership in the documents an FTS expression matches (SQLite builds the set once per statement)."""
    return f"(d.rid IN (SELECT rowid FROM {layout.fts} WHERE {layout.fts} MATCH ?))", [expression]


def rank_keys(layout: Layout, settings: IndexSettings, plan: MatchPlan) -> list[tuple[str, list[Any], str]]:
    """(SQL, parameters, direction) of the text ranking rules, in order, over a row of the FTS match joined to ``d``:
    Meilisearch's buckets (words, typo, proximity, attribute, exactness), then bm25 and the settings' tie-breakers.

    Each bucket is a membership test in a set FTS5 computes once per query (typos, proximity and exactness are
    usually small sets: documents with a typo derivation that lack the exact word, and so on), so ranking costs
    about one extra FTS lookup per rule that can tell documents apart, not a pass over positions per document."""
    keys: list[tuple[str, list[Any], str]] = []

    def total(parts: list[tuple[str, list[Any], int]]) -> tuple[str, list[Any]]:
        sql = " + ".join(f"{sql} * {weight}" if weight != 1 else sql for sql, _, weight in parts)
        return f"({sql})", [p for _, params, _ in parts for p in params]

    if plan.optional:  # words: optional (stop) words not found in a place name
        sql, params = total([(*_in_set(layout, e), 1) for e in plan.optional])
        keys.append((f"{len(plan.optional)} - {sql}", params, "ASC"))
    if plan.typo_sets:  # typo: the sum of the typos paid on each word
        sql, params = total([(*_in_set(layout, e), cost) for e, cost in plan.typo_sets])
        keys.append((sql, params, "ASC"))
    if plan.pairs:  # proximity: neighbouring query words standing apart
        sql, params = total([(*_in_set(layout, e), 1) for e in plan.pairs])
        keys.append((f"{len(plan.pairs)} - {sql}", params, "ASC"))
    # attribute: the first searchable attribute holding a match (bm25 with only that column weighted is non-zero).
    n = len(settings.searchable)
    if n > 1:
        cases = " ".join(
            f"WHEN bm25({layout.fts}, {', '.join('1.0' if j == i else '0.0' for j in range(n))}) < 0 THEN {i}"
            for i in range(n - 1)
        )
        keys.append((f"(CASE {cases} ELSE {n - 1} END)", [], "ASC"))
    if plan.loose_last:  # exactness: the last word matched whole rather than as a longer word's prefix
        sql, params = _in_set(layout, plan.loose_last)
        keys.append((sql, params, "ASC"))
    keys.append((f"bm25({layout.fts}, {_weights(settings)})", [], "ASC"))
    for field, descending in settings.tie_breakers:
        keys += [(f"(d.{col(field)} IS NULL)", [], "ASC"), (f"d.{col(field)}", [], "DESC" if descending else "ASC")]
    return keys


@dataclass
class _Parts:
    source: str
    where_sql: str
    params: list[Any]
    order: list[tuple[str, str]]
    order_params: list[Any]
    distance: tuple[str, list[Any]] | None
    #: A ScoreSort's sum (the page is ordered by it, highest first).
    score: tuple[str, list[Any]] | None = None


def _parts(
    layout: Layout,
    query: SearchQuery,
    plan: MatchPlan | None,
    list_fields: set[str],
    conn: sqlite3.Connection | None = None,
) -> _Parts:
    compiler = FilterCompiler(layout, list_fields, conn, query.filters)
    where = [compiler.compile(f) for f in query.filters]
    params = list(compiler.params)
    source = f"{layout.docs} d"
    if plan:
        # CROSS JOIN fixes the join order: SQLite would otherwise start from a filter index and run the match
        # once per document.
        source = f"{layout.fts} CROSS JOIN {layout.docs} d ON d.rid = {layout.fts}.rowid"
        where.insert(0, f"{layout.fts} MATCH ?")
        params.insert(0, plan.expression)
    order, order_params, distance = order_sql(query.sort)
    scored = next((s for s in query.sort if isinstance(s, ScoreSort)), None)
    score = score_sql(scored, layout, list_fields) if scored else None
    return _Parts(
        source, " WHERE " + " AND ".join(where) if where else "", params, order, order_params, distance, score
    )


def _page_direct(
    conn: sqlite3.Connection,
    layout: Layout,
    settings: IndexSettings,
    plan: MatchPlan | None,
    q: _Parts,
    limit: int,
    offset: int,
) -> list[Row]:
    """(rid, id, score, distance) of one page."""
    distance_sql, select_params = q.distance or ("NULL", [])
    order, order_params = list(q.order), list(q.order_params)
    score_sql = "NULL"
    if q.score:
        # Negated like bm25 (lower first); _hits negates it back.
        score_sql = f"-{q.score[0]}"
        select_params = [*q.score[1], *select_params]
        order.append(("score", "ASC"))
    elif plan:
        score_sql = f"bm25({layout.fts}, {_weights(settings)})"
        for sql, params, direction in rank_keys(layout, settings, plan):
            order.append((sql, direction))
            order_params += params
    if q.score and not plan:
        # The ids are read for the page only: every column a ScoreSort and the filters read is in the covering
        # index, so ranking a broad set never reads its table rows (the matcher's candidates: 12-20k of them).
        sql = (
            f"SELECT d.rid, {score_sql} AS score, {distance_sql} FROM {q.source}{q.where_sql} "
            f"ORDER BY {_order_by(order)} LIMIT ? OFFSET ?"
        )
        return _with_ids(
            conn, layout, conn.execute(sql, [*select_params, *q.params, *order_params, limit, offset]).fetchall()
        )
    sql = (
        f"SELECT d.rid, d.id, {score_sql} AS score, {distance_sql} FROM {q.source}{q.where_sql} "
        f"ORDER BY {_order_by(order)} LIMIT ? OFFSET ?"
    )
    return conn.execute(sql, [*select_params, *q.params, *order_params, limit, offset]).fetchall()


def _with_ids(conn: sqlite3.Connection, layout: Layout, page: list[tuple[int, Any, Any]]) -> list[Row]:
    """(rid, id, score, distance) rows of a page ranked by rid."""
    if not page:
        return []
    marks = ", ".join("?" * len(page))
    ids = dict(conn.execute(f"SELECT rid, id FROM {layout.docs} WHERE rid IN ({marks})", [r[0] for r in page]))
    return [(rid, ids[rid], score, dist) for rid, score, dist in page]


#: Text matches up to which the page is ranked by one statement over the matches left by the filters (every rule per
#: document); above, the rules split the matches into buckets from bitmaps and only the buckets the page reaches are
#: ranked.
SMALL_SET = 200
#: Documents of the expression's whole ranking (bm25, then the tie-breakers, read once per index version) a page may
#: expect to walk past to find its hits in a bucket; a sparser bucket is ranked by SQL instead.
WALK_LIMIT = 20000
_PHRASE_RE = re.compile(r'"(?:[^"]|"")*"\*?')


def split_sum(part: BitMap, sets: list[tuple[BitMap, int]]) -> list[BitMap]:
    """``part`` in groups by the sum of the weights of the sets each document is in, smallest sum first."""
    groups: dict[int, BitMap] = {0: part}
    for members, weight in sets:
        following: dict[int, BitMap] = {}
        for value, group in groups.items():
            inside = group & members
            if inside:
                following[value + weight] = following.get(value + weight, BitMap()) | inside
            outside = group - members
            if outside:
                following[value] = following.get(value, BitMap()) | outside
        groups = following
    return [groups[v] for v in sorted(groups)]


def _split_first(part: BitMap, sets: Iterable[BitMap]) -> Iterator[BitMap]:
    """``part`` in groups by the first set each document is in (the rest last). Lazy: a page filled from the first
    attribute's documents never reads the other attributes' sets."""
    for members in sets:
        if not part:
            return
        inside = part & members
        if inside:
            yield inside
            part = part - members
    if part:
        yield part


def _rule_splits(
    conn: sqlite3.Connection,
    layout: Layout,
    settings: IndexSettings,
    plan: MatchPlan,
    bitmaps: GenerationBitmaps,
    changes: Changes,
) -> list[Callable[[BitMap], Iterable[BitMap]]]:
    """The text ranking rules of ``rank_keys`` before bm25, each as a split of a bucket into ordered buckets."""

    def fts(expression: str) -> BitMap:
        return bitmaps.expression(conn, layout, changes, expression)

    rules: list[Callable[[BitMap], Iterable[BitMap]]] = []
    if plan.optional:  # more optional words found first
        rules.append(lambda p: split_sum(p, [(fts(e), -1) for e in plan.optional]))
    if plan.typo_sets:
        rules.append(lambda p: split_sum(p, [(fts(e), cost) for e, cost in plan.typo_sets]))
    if plan.pairs:
        rules.append(lambda p: split_sum(p, [(fts(e), -1) for e in plan.pairs]))
    n = len(settings.searchable)
    if n > 1:
        # The first attribute holding any phrase of the match (what bm25 with one column weighted tests).
        phrases = " OR ".join(sorted(set(_PHRASE_RE.findall(plan.expression))))
        rules.append(lambda p: _split_first(p, (fts(f"{{c{i}}} : ({phrases})") for i in range(n - 1))))
    if plan.loose_last:
        loose = plan.loose_last
        rules.append(lambda p: split_sum(p, [(fts(loose), 1)]))
    return rules


def _ranked(
    conn: sqlite3.Connection,
    layout: Layout,
    plan: MatchPlan,
    keys: list[tuple[str, list[Any], str]],
    members: BitMap,
    weights: str,
    limit: int,
    offset: int,
) -> list[Row]:
    """Rows ``offset``..``offset + limit`` of ``members`` (documents of the match) ordered by ``keys``."""
    order = ", ".join([*(f"{sql} {direction}" for sql, _, direction in keys), "d.rid"])
    sql = (
        f"SELECT d.rid, d.id, bm25({layout.fts}, {weights}) AS score, NULL FROM {layout.fts} "
        f"CROSS JOIN {layout.docs} d ON d.rid = {layout.fts}.rowid "
        f"WHERE {layout.fts} MATCH ? AND +{layout.fts}.rowid IN (SELECT value FROM json_each(?)) "
        f"ORDER BY {order} LIMIT ? OFFSET ?"
    )
    params = [plan.expression, json.dumps(list(members)), *(p for _, ps, _ in keys for p in ps), limit, offset]
    return conn.execute(sql, params).fetchall()


def _bitmap_facets(
    conn: sqlite3.Connection,
    layout: Layout,
    settings: IndexSettings,
    facets: list[str],
    list_fields: set[str],
    matches: BitMap,
    bitmaps: GenerationBitmaps,
    changes: Changes,
) -> dict[str, dict[str, int]]:
    """Facet counts as intersection cardinalities, grouped and ordered as the SQL path groups them (scalar fields
    by stored value, list fields case-insensitively)."""
    counts: dict[str, dict[str, int]] = {}
    for name in facets:
        listed = name in list_fields
        values = bitmaps.field_values(conn, layout, changes, name, listed)
        found: dict[Any, list[Any]] = {}
        for value, members in values.by_value.items():
            n = matches.intersection_cardinality(members)
            if n:
                key = nocase(value) if listed else value
                if key in found:
                    found[key][1] += n
                else:
                    found[key] = [value, n]
        ordered = sorted(found.items(), key=lambda item: _order(item[0]))[: settings.max_values_per_facet]
        counts[name] = {facet_key(value): n for _, (value, n) in ordered}
    return counts


def bitmap_search(
    conn: sqlite3.Connection,
    layout: Layout,
    settings: IndexSettings,
    query: SearchQuery,
    plan: MatchPlan | None,
    list_fields: set[str],
    bitmaps: GenerationBitmaps,
    changes: Changes,
    stats: Stats | None,
) -> tuple[Stats, list[Row]]:
    """Total, facets and the page of a query without an explicit sort, from bitmaps: the matches are the
    intersection of the text's and each filter's documents; the page is ranked by buckets of the rules, and bm25
    and the tie-breakers are computed only for the buckets the page reaches."""
    facets = list(dict.fromkeys(query.facets))
    if plan:
        text = matches = bitmaps.expression(conn, layout, changes, plan.expression)
    else:
        text = matches = bitmaps.everything(conn, layout, changes)
    for flt in sorted(query.filters, key=lambda f: not isinstance(f, (Eq, AnyOf))):
        if not matches:
            break
        matches = matches & bitmaps.filtered(conn, layout, changes, flt, list_fields)
    if stats is None:
        stats = (len(matches), _bitmap_facets(conn, layout, settings, facets, list_fields, matches, bitmaps, changes))
    offset = (query.page - 1) * query.per_page
    limit = max(0, min(query.per_page, min(stats[0], settings.max_total_hits) - offset))
    if not limit:
        return stats, []
    if not plan:
        q = _parts(layout, query, plan, list_fields, conn)
        return stats, _page_direct(conn, layout, settings, plan, q, limit, offset)
    weights = _weights(settings)
    if len(text) <= SMALL_SET:
        return stats, _ranked(conn, layout, plan, rank_keys(layout, settings, plan), matches, weights, limit, offset)
    tail: list[tuple[str, list[Any], str]] = [(f"bm25({layout.fts}, {weights})", [], "ASC")]
    for name, descending in settings.tie_breakers:
        tail += [(f"(d.{col(name)} IS NULL)", [], "ASC"), (f"d.{col(name)}", [], "DESC" if descending else "ASC")]
    rules = _rule_splits(conn, layout, settings, plan, bitmaps, changes)
    order = ", ".join([*(f"{sql} {direction}" for sql, _, direction in tail), "d.rid"])
    ties = "".join(f", d.{col(name)}" for name, _ in settings.tie_breakers)
    ranking_sql = (
        f"SELECT d.rid, bm25({layout.fts}, {weights}){ties} FROM {layout.fts} CROSS JOIN {layout.docs} d "
        f"ON d.rid = {layout.fts}.rowid WHERE {layout.fts} MATCH ? AND {{RIDS}} ORDER BY {order}"
    )
    tie_desc = [d for _, d in settings.tie_breakers]
    end = offset + limit
    position = 0
    rows: list[Row] = []

    def walk(part: BitMap, depth: int) -> None:
        nonlocal position
        if position >= end or not part:
            return
        if position + len(part) <= offset:  # wholly before the page: never split or ranked
            position += len(part)
            return
        if depth == len(rules):
            skip = max(0, offset - position)
            take = min(len(part), end - position) - skip
            if (skip + take) * len(text) <= WALK_LIMIT * len(part):
                rids, scores = bitmaps.ranking(conn, changes, plan.expression, ranking_sql, tie_desc)
                picked: list[tuple[int, float, None]] = []
                seen = 0
                for i, rid in enumerate(rids):
                    if rid in part:
                        if seen >= skip:
                            picked.append((rid, scores[i], None))
                            if len(picked) == take:
                                break
                        seen += 1
                rows.extend(_with_ids(conn, layout, picked))
            else:
                rows.extend(_ranked(conn, layout, plan, tail, part, weights, take, skip))
            position += len(part)
            return
        groups = iter(rules[depth](part))
        while position < end:  # the next group (and the sets it needs) only while the page is not full
            group = next(groups, None)
            if group is None:
                break
            walk(group, depth + 1)

    walk(matches, 0)
    return stats, rows


def run_search(
    conn: sqlite3.Connection,
    layout: Layout,
    settings: IndexSettings,
    query: SearchQuery,
    plan: MatchPlan | None,
    list_fields: set[str],
    stats: Stats | None = None,
    cached_rows: list[Row] | None = None,
    bitmaps: tuple[GenerationBitmaps, Changes] | None = None,
) -> tuple[SearchResult, Stats, list[Row]]:
    """Execute a validated query against one generation (inside a read transaction); ``stats`` from an earlier
    identical query (same index version) skip the count and facets.

    With ``bitmaps`` (the backend's, and the changes since their versions), a query without an explicit sort is
    answered from them (``bitmap_search``). Otherwise, with text or facets, the matching documents are materialised
    once into a temporary table (with their bm25 score, typo rank, sort keys and facet columns): the full-text match,
    bm25 and the filters run once for the total, every facet and the page. Without text, pages are read directly
    (sorted pages from an index).
    """
    facets = list(dict.fromkeys(query.facets))
    if stats is not None and cached_rows is not None:
        result = _result(conn, layout, settings, query, plan, facets, stats, cached_rows, bitmaps)
        return result, stats, cached_rows
    if bitmaps is not None and not query.sort and (plan or facets):
        stats, page = bitmap_search(conn, layout, settings, query, plan, list_fields, *bitmaps, stats)
        return _result(conn, layout, settings, query, plan, facets, stats, page, bitmaps), stats, page
    q = _parts(layout, query, plan, list_fields, conn)
    offset = (query.page - 1) * query.per_page
    rows: list[Row] = []
    if stats is None and (facets or plan):
        # No id column: the ids of the page are read afterwards (a text column per hit made the table larger).
        columns = ["d.rid AS rid"]
        select_params: list[Any] = []
        ranks: list[tuple[str, list[Any], str]] = []
        if plan and query.per_page:  # facet-only queries (per_page=0) skip ranking entirely
            columns.append(f"bm25({layout.fts}, {_weights(settings)}) AS score")
            columns += [f"{term} AS k{i}" for i, (term, _) in enumerate(q.order)]
            select_params += q.order_params
            ranks = rank_keys(layout, settings, plan)
            for i, (sql, params, _) in enumerate(ranks):
                columns.append(f"{sql} AS r{i}")
                select_params += params
            if q.distance:
                columns.append(f"{q.distance[0]} AS dist")
                select_params += q.distance[1]
        columns += [f"d.{col(f)} AS a{i}" for i, f in enumerate(facets) if f not in list_fields]
        conn.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        conn.execute(
            f"CREATE TABLE {CANDIDATES} AS SELECT {', '.join(columns)} FROM {q.source}{q.where_sql}",
            [*select_params, *q.params],
        )
        try:
            fixed = {f.field for f in query.filters if isinstance(f, Eq) and f.field not in list_fields}
            stats = _facets_and_total(conn, layout, settings, facets, list_fields, fixed)
            limit = max(0, min(query.per_page, min(stats[0], settings.max_total_hits) - offset))
            if limit and plan:
                keys = [f"k{i} {direction}" for i, (_, direction) in enumerate(q.order)]
                keys += [f"r{i} {direction}" for i, (_, _, direction) in enumerate(ranks)]
                sql = (
                    f"SELECT rid, score, {'dist' if q.distance else 'NULL'} FROM {CANDIDATES} "
                    f"ORDER BY {', '.join([*keys, 'rid'])} LIMIT ? OFFSET ?"
                )
                rows = _with_ids(conn, layout, conn.execute(sql, [limit, offset]).fetchall())
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {CANDIDATES}")
        if limit and not plan:
            rows = _page_direct(conn, layout, settings, plan, q, limit, offset)
    else:
        if stats is None and q.score and query.per_page:
            # A ScoreSort ranks every match: a first page that is not full also gives the total, without a count
            # (counting in the same statement, with a window, costs more than a count for large sets).
            limit = max(0, min(query.per_page, settings.max_total_hits - offset))
            rows = _page_direct(conn, layout, settings, plan, q, limit, offset) if limit else []
            if offset == 0 and len(rows) < limit:
                stats = (len(rows), {})
        if stats is None:
            stats = (conn.execute(f"SELECT count(*) FROM {q.source}{q.where_sql}", q.params).fetchone()[0], {})
            limit = max(0, min(query.per_page, min(stats[0], settings.max_total_hits) - offset))
            if limit and not rows:
                rows = _page_direct(conn, layout, settings, plan, q, limit, offset)
        elif not rows:
            limit = max(0, min(query.per_page, min(stats[0], settings.max_total_hits) - offset))
            if limit:
                rows = _page_direct(conn, layout, settings, plan, q, limit, offset)
    return _result(conn, layout, settings, query, plan, facets, stats, rows, bitmaps), stats, rows


def _result(
    conn: sqlite3.Connection,
    layout: Layout,
    settings: IndexSettings,
    query: SearchQuery,
    plan: MatchPlan | None,
    facets: list[str],
    stats: Stats,
    rows: list[Row],
    bitmaps: tuple[GenerationBitmaps, Changes] | None = None,
) -> SearchResult:
    total = min(stats[0], settings.max_total_hits)
    facet_counts = {f: dict(stats[1].get(f, {})) for f in facets}
    hits = _hits(conn, layout, query, plan, rows, bitmaps)
    return SearchResult(hits, total, query.page, query.per_page, facet_counts)
