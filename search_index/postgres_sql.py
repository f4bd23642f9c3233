"""SQL for the PostgreSQL backend: table layout, stored rows, text queries (tsquery), filters, sort keys and
ScoreSort sums, always with bound parameters (``$n``).

One table per index (``search_<prefix>_<index>``): the document as ``jsonb``, the searchable attributes as folded
words (``s<i>``, the same analysis as the embedded backend) with a generated, weighted ``tsvector`` over them, the
``_geo`` point, and per filterable/sortable attribute its values as text (``v<j>``, for facets), lower-cased
(``k<j>``, GIN-indexed, for filters) and, for a scalar number, as ``float8`` (``n<j>``, for ranges and sorts).
A second table (``<table>_terms``) holds every indexed word with a trigram index, for typo derivations.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from search_index.analysis import tokens
from search_index.embedded_store import _text, check_document, facet_key, sql_value
from search_index.index_settings import GEO, IndexSettings, check_index_name
from search_index.postgres_text import TextPlan
from search_index.query import (
    AnyOf,
    Eq,
    Filter,
    GeoRadius,
    GeoSort,
    Lookup,
    Nearness,
    Not,
    Ramp,
    Range,
    ScoreSort,
    SortSpec,
)

EARTH_RADIUS_KM = 6371.0088
#: tsvector weights by searchable attribute position (A for the first, B, C, then D for the rest) and their values
#: for ts_rank_cd ({D, C, B, A}): earlier attributes weigh more, as in the embedded backend's bm25 weights.
WEIGHT_LETTERS = ("A", "B", "C")
RANK_WEIGHTS = "{0.3, 0.5, 0.7, 1.0}"
#: Row size (bytes) above which PostgreSQL moves values out of line (its default 2 KB is below an offer's filter
#: and facet arrays and tsvector together; see ``create_sql``).
TOAST_TUPLE_TARGET = 3000


def table_name(prefix: str, index: str) -> str:
    """``search_<prefix>_<index>``; shortened with a hash when PostgreSQL's 63-byte limit (minus suffixes) is near."""
    prefix = check_index_name(prefix.lower().replace("-", "_"))
    name = f"search_{prefix}_{check_index_name(index)}"
    if len(name) > 40:
        name = f"search_{hashlib.sha256(name.encode()).hexdigest()[:16]}_{index[:16]}"
    return name


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Layout:
    """The tables of one index (``live``) or of a rebuild in progress."""

    name: str

    @property
    def docs(self) -> str:
        return quote_ident(self.name)

    @property
    def terms(self) -> str:
        return quote_ident(self.name + "_terms")

    @property
    def lists(self) -> str:
        """Fields some document gave several values (their facets count every element; the others the first)."""
        return quote_ident(self.name + "_lists")

    @property
    def changes(self) -> str:
        """The change log: (version, rid) of every document each write touched (``postgres_bitmaps``)."""
        return quote_ident(self.name + "_changes")

    @property
    def state(self) -> str:
        """One row: the tables' generation (a random token, new with every rebuild) and their version (bumped by
        every write, whose row lock orders writers so versions commit in order)."""
        return quote_ident(self.name + "_state")

    @property
    def words(self) -> str:
        """Each document's tsvector again, by rid, in a narrow table (about 16 rows a page, where the documents'
        table holds 3): the rids a tsquery matches are read through its GIN index visiting a sixth of the pages."""
        return quote_ident(self.name + "_words")

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.docs, self.terms, self.lists, self.changes, self.state, self.words)


def columns_ddl(settings: IndexSettings) -> str:
    searchable = [f"s{i} text" for i in range(len(settings.searchable))]
    weighted = " || ".join(
        f"setweight(to_tsvector('simple'::regconfig, fm_unaccent(coalesce(s{i}, ''))), "
        f"'{WEIGHT_LETTERS[i] if i < len(WEIGHT_LETTERS) else 'D'}')"
        for i in range(len(settings.searchable))
    )
    typed = [f"v{j} text[], k{j} text[], n{j} float8" for j in range(len(settings.columns))]
    return ", ".join(
        [
            "id text PRIMARY KEY",
            # A small number per document (kept by updates) for the per-process bitmaps of ``postgres_bitmaps``.
            "rid bigint GENERATED ALWAYS AS IDENTITY",
            "doc jsonb NOT NULL",
            *searchable,
            f"tsv tsvector GENERATED ALWAYS AS ({weighted}) STORED",
            "lat float8",
            "lon float8",
            *typed,
        ]
    )


def create_sql(layout: Layout, settings: IndexSettings) -> list[str]:
    return [
        f"CREATE TABLE {layout.docs} ({columns_ddl(settings)})",
        # A row is about 3.5 KB (the document 1.3 KB, the filter and facet arrays 1.5 KB, the tsvector 0.5 KB), so
        # with the default 2 KB target PostgreSQL's toaster moved the tsvector and many arrays out of line: each
        # ``tsv @@`` of a search (the match's recheck and every ranking bucket) and each facet value read fetched
        # them from the TOAST table again (11 buffer reads per matching row: 0.9 s for "hule" at 100k offers). Now
        # the stored document (read for a page's hits only) always goes out of line and the rest stays in the row.
        f"ALTER TABLE {layout.docs} SET (toast_tuple_target = {TOAST_TUPLE_TARGET})",
        f"ALTER TABLE {layout.docs} ALTER COLUMN doc SET STORAGE EXTERNAL",
        f"ALTER TABLE {layout.docs} ALTER COLUMN tsv SET STORAGE MAIN",
        f"CREATE TABLE {layout.terms} (term text PRIMARY KEY)",
        f"CREATE TABLE {layout.lists} (field text PRIMARY KEY)",
        f"CREATE TABLE {layout.changes} (version bigint NOT NULL, rid bigint NOT NULL)",
        f"CREATE INDEX ON {layout.changes} (version)",
        f"CREATE TABLE {layout.state} (gen text NOT NULL, version bigint NOT NULL)",
        f"CREATE TABLE {layout.words} (rid bigint PRIMARY KEY, tsv tsvector NOT NULL)",
        f"INSERT INTO {layout.state} VALUES ('{secrets.token_hex(8)}', 0)",
    ]


def index_sql(layout: Layout, settings: IndexSettings) -> list[str]:
    """Secondary indexes (unnamed: PostgreSQL picks unique names, so a renamed rebuild never clashes)."""
    out = [
        f"CREATE INDEX ON {layout.docs} USING gin (tsv)",
        f"CREATE UNIQUE INDEX ON {layout.docs} (rid)",
        f"CREATE INDEX ON {layout.words} USING gin (tsv)",
        f"CREATE INDEX ON {layout.docs} (lat, lon)",
        f"CREATE INDEX ON {layout.terms} USING gin (term gin_trgm_ops)",
    ]
    for j, field in enumerate(settings.columns):
        if field in settings.filterable:
            out.append(f"CREATE INDEX ON {layout.docs} USING gin (k{j})")
            out.append(f"CREATE INDEX ON {layout.docs} (n{j})")
        if field in settings.sortable:
            # The "missing values last" keys of sort_keys, so sorted pages read an index instead of sorting.
            text = f"lower(v{j}[1])"
            out.append(f"CREATE INDEX ON {layout.docs} ((v{j} IS NULL), n{j}, {text}, id)")
            out.append(f"CREATE INDEX ON {layout.docs} ((v{j} IS NULL), n{j} DESC NULLS LAST, {text} DESC, id)")
    return out


def drop_sql(layout: Layout) -> list[str]:
    return [f"DROP TABLE IF EXISTS {t}" for t in layout.tables]


def value_key(value: Any) -> str | None:
    """How a scalar filters: its facet text, lower-cased (booleans 'true'/'false', 12.0 as '12')."""
    stored = sql_value(value)
    return None if stored is None else facet_key(stored).lower()


def multi_valued(record: tuple[Any, ...], settings: IndexSettings) -> set[str]:
    """The fields to which this row gives several values."""
    start = 4 + len(settings.searchable)
    return {f for j, f in enumerate(settings.columns) if record[start + 3 * j] and len(record[start + 3 * j]) > 1}


def document_record(doc: dict[str, Any], settings: IndexSettings) -> tuple[tuple[Any, ...], set[str]]:
    """The row of a document (in ``row_columns`` order) and its folded words (ValueError for a bad id or _geo)."""
    doc_id, lat, lon = check_document(doc)
    searchable = []
    words: set[str] = set()
    for field in settings.searchable:
        found = tokens(_text(doc.get(field)))
        words.update(found)
        searchable.append(" ".join(found))
    typed: list[Any] = []
    for field in settings.columns:
        value = doc.get(field)
        values = value if isinstance(value, list) else [value]
        shown = list(dict.fromkeys(facet_key(v) for v in (sql_value(x) for x in values) if v is not None))
        number = (
            float(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            else None
        )
        typed += [shown or None, list(dict.fromkeys(s.lower() for s in shown)) or None, number]
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return (doc_id, body, *searchable, lat, lon, *typed), words


def row_columns(settings: IndexSettings) -> list[str]:
    names = ["id", "doc", *(f"s{i}" for i in range(len(settings.searchable))), "lat", "lon"]
    for j in range(len(settings.columns)):
        names += [f"v{j}", f"k{j}", f"n{j}"]
    return names


def upsert_sql(layout: Layout, settings: IndexSettings) -> str:
    names = row_columns(settings)
    casts = []
    for name in names:
        cast = {"doc": "jsonb", "lat": "float8", "lon": "float8"}.get(name)
        if cast is None:
            cast = "text[]" if name[0] in "vk" else "float8" if name[0] == "n" else "text"
        casts.append(cast)
    values = ", ".join(f"${i + 1}::{cast}" for i, cast in enumerate(casts))
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names[1:])
    return f"INSERT INTO {layout.docs} ({', '.join(names)}) VALUES ({values}) ON CONFLICT (id) DO UPDATE SET {updates}"


class Params:
    """Positional parameters of one statement: ``p(value, 'type')`` appends and returns ``$n::type``."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any, cast: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{cast}"


def distance_sql(p: Params, lat: float, lon: float) -> str:
    """Haversine distance in km from (lat, lon) to the row's point (NULL without one)."""
    half, full = math.pi / 360, math.pi / 180
    return (
        f"({2 * EARTH_RADIUS_KM!r} * asin(least(1.0, sqrt(power(sin((d.lat - {p(lat, 'float8')}) * {half!r}), 2) + "
        f"{p(math.cos(math.radians(lat)), 'float8')} * cos(d.lat * {full!r}) * "
        f"power(sin((d.lon - {p(lon, 'float8')}) * {half!r}), 2)))))"
    )


class FilterCompiler:
    """Structured filters as SQL over ``d`` (the index table)."""

    def __init__(self, settings: IndexSettings, p: Params, indexed: bool = True) -> None:
        self.position = {f: j for j, f in enumerate(settings.columns)}
        self.p = p
        #: False: written so no index serves them (with text, the tsvector's GIN index drives the query, as FTS5
        #: does in the embedded backend: otherwise the planner may start from "status = active", nearly every row,
        #: and test the text on each).
        self.indexed = indexed

    def _plain(self, condition: str) -> str:
        return condition if self.indexed else f"coalesce({condition}, false)"

    def compile(self, flt: Filter) -> str:
        p = self.p
        if isinstance(flt, Eq):
            return self._plain(f"d.k{self.position[flt.field]} @> {p([value_key(flt.value)], 'text[]')}")
        if isinstance(flt, AnyOf):
            if not flt.values:
                return "false"
            return self._plain(f"d.k{self.position[flt.field]} && {p([value_key(v) for v in flt.values], 'text[]')}")
        if isinstance(flt, Range):
            column = f"d.n{self.position[flt.field]}" + ("" if self.indexed else " + 0")
            parts = []
            if flt.gte is not None:
                parts.append(f"{column} >= {p(float(flt.gte), 'float8')}")
            if flt.lte is not None:
                parts.append(f"{column} <= {p(float(flt.lte), 'float8')}")
            return "(" + " AND ".join(parts) + ")"
        if isinstance(flt, Not):
            return f"NOT coalesce(({self.compile(flt.filter)}), false)"
        if isinstance(flt, GeoRadius):
            return self._geo_radius(flt)
        raise ValueError(f"unsupported filter {flt!r}")

    def _geo_radius(self, flt: GeoRadius) -> str:
        p = self.p
        angle = flt.radius_km / EARTH_RADIUS_KM
        parts = ["d.lat IS NOT NULL"]
        if angle < math.pi / 2:
            dlat = math.degrees(angle) + 1e-9
            parts.append(f"d.lat BETWEEN {p(flt.lat - dlat, 'float8')} AND {p(flt.lat + dlat, 'float8')}")
            if abs(flt.lat) + dlat < 90:
                dlon = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(flt.lat)))) + 1e-9
                low, high = flt.lon - dlon, flt.lon + dlon
                if low < -180:
                    parts.append(f"(d.lon >= {p(low + 360, 'float8')} OR d.lon <= {p(high, 'float8')})")
                elif high > 180:
                    parts.append(f"(d.lon >= {p(low, 'float8')} OR d.lon <= {p(high - 360, 'float8')})")
                else:
                    parts.append(f"d.lon BETWEEN {p(low, 'float8')} AND {p(high, 'float8')}")
        parts.append(f"{distance_sql(p, flt.lat, flt.lon)} <= {p(float(flt.radius_km), 'float8')}")
        return "(" + " AND ".join(parts) + ")"


def score_sql(spec: ScoreSort, settings: IndexSettings, p: Params) -> str:
    """The sum of a ScoreSort's parts as one SQL expression over ``d``."""
    position = {f: j for j, f in enumerate(settings.columns)}
    terms: list[str] = []
    for part in spec.parts:
        if isinstance(part, Ramp):
            j = position[part.field]
            # greatest/least skip NULLs in PostgreSQL: a document without a number is tested for explicitly.
            terms.append(
                f"(CASE WHEN d.n{j} IS NULL THEN 0.0 ELSE {p(float(part.weight), 'float8')} * greatest(0.0, "
                f"least(1.0, (d.n{j} - {p(float(part.zero), 'float8')}) / "
                f"{p(float(part.full - part.zero), 'float8')})) END)"
            )
        elif isinstance(part, Lookup):
            j = position[part.field]
            default = p(float(part.default), "float8")
            if not part.weights:
                terms.append(default)
                continue
            cases = " ".join(
                f"WHEN {p(value_key(value), 'text')} THEN {p(float(weight), 'float8')}"
                for value, weight in part.weights
            )
            # The largest weight over the values (the default for values not listed), the default without any.
            terms.append(f"coalesce((SELECT max(CASE x {cases} ELSE {default} END) FROM unnest(d.k{j}) x), {default})")
        elif isinstance(part, Nearness):
            dist = distance_sql(p, part.lat, part.lon)
            terms.append(
                f"(CASE WHEN d.lat IS NULL THEN {p(float(part.missing), 'float8')} ELSE "
                f"{p(float(part.weight), 'float8')} / (1.0 + {dist} / {p(float(part.half_km), 'float8')}) END)"
            )
        else:
            raise ValueError(f"unsupported score part {part!r}")
    return "(" + (" + ".join(terms) or "0.0") + ")"


def rank_keys(settings: IndexSettings, plan: TextPlan, p: Params) -> list[tuple[str, str]]:
    """(expression, ASC|DESC) of the text ranking buckets over ``d``, as the embedded backend's ``rank_keys``: total
    typos, neighbouring query words apart, the first attribute holding a query word, the last word matched only as
    a prefix. Each is a ``@@`` test of the row's tsvector (already read for the match)."""
    keys: list[tuple[str, str]] = []

    def matches(expression: str) -> str:
        return f"(d.tsv @@ {p(expression, 'tsquery')})::int"

    if plan.typo_sets:
        keys.append((" + ".join(f"{matches(e)} * {cost}" for e, cost in plan.typo_sets), "ASC"))
    if plan.pairs:
        keys.append((f"{len(plan.pairs)} - " + " - ".join(matches(e) for e in plan.pairs), "ASC"))
    # attribute: Meilisearch's sum over the query words of the best (first) attribute holding each; attributes
    # past the weight letters share the last weight (D).
    levels = min(len(settings.searchable), len(WEIGHT_LETTERS) + 1) - 1
    if levels and plan.atoms:
        sums = []
        for word in range(len(plan.atoms)):
            cases = " ".join(
                f"WHEN d.tsv @@ {p(plan.attribute_query(word, WEIGHT_LETTERS[i]), 'tsquery')} THEN {i}"
                for i in range(levels)
            )
            sums.append(f"(CASE {cases} ELSE {levels} END)")
        keys.append((" + ".join(sums), "ASC"))
    if plan.loose_last:
        keys.append((matches(plan.loose_last), "ASC"))
    return keys


def tie_breaker_keys(settings: IndexSettings) -> list[tuple[str, str]]:
    """The settings' custom ranking rules (``created_at:desc``) as sort keys, missing values last."""
    position = {f: j for j, f in enumerate(settings.columns)}
    keys: list[tuple[str, str]] = []
    for field, descending in settings.tie_breakers:
        j = position[field]
        keys += [(f"(d.n{j} IS NULL)", "ASC"), (f"d.n{j}", "DESC" if descending else "ASC")]
    return keys


def sort_keys(
    sort: Sequence[SortSpec | GeoSort | ScoreSort], settings: IndexSettings, p: Params
) -> tuple[list[tuple[str, str]], str | None]:
    """(expression, ASC|DESC) keys, missing values last either way, and the first GeoSort's distance."""
    position = {f: j for j, f in enumerate(settings.columns)}
    keys: list[tuple[str, str]] = []
    distance: str | None = None
    for spec in sort:
        if isinstance(spec, ScoreSort):
            continue
        if isinstance(spec, SortSpec):
            j = position[spec.field]
            direction = "DESC" if spec.descending else "ASC"
            keys += [
                (f"(d.v{j} IS NULL)", "ASC"),
                (f"d.n{j}", "DESC NULLS LAST" if spec.descending else "ASC"),
                (f"lower(d.v{j}[1])", direction),
            ]
        else:
            dist = distance_sql(p, spec.lat, spec.lon)
            distance = distance or dist
            keys += [("(d.lat IS NULL)", "ASC"), (dist, "ASC")]
    return keys, distance


__all__ = ["GEO", "Layout", "Params", "table_name"]
