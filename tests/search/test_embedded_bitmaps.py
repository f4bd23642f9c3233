"""The embedded backend's bitmaps (search_index/embedded_bitmaps.py): the same answers as SQL alone, and patched from
the change log after writes through another connection (another process: the outbox worker)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from search_index import AnyOf, Eq, GeoRadius, Not, Range, SearchQuery, embedded_bitmaps, embedded_search
from search_index import embedded_store as store
from search_index.embedded import EmbeddedBackend
from search_index.query import SearchResult
from tests.search.corpus import DOCS, offer
from tests.search.relevance_data import documents

INDEX = "offers"
FACETS = ("category", "product_type", "species", "claim", "country", "region", "certificate_verified")


def answer(result: SearchResult) -> tuple[Any, ...]:
    return (
        [(h.id, round(h.score, 9) if h.score is not None else None) for h in result.hits],
        result.total,
        result.facets,
    )


@pytest.fixture(name="both", scope="module")
async def fx_both(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[EmbeddedBackend, EmbeddedBackend]]:
    """The relevance documents in one file, searched with bitmaps and by SQL alone (no result cache in either)."""
    directory: Path = tmp_path_factory.mktemp("bitmaps")
    with_bitmaps = EmbeddedBackend(directory, prefix="bm", cache_entries=0)
    sql_only = EmbeddedBackend(directory, prefix="bm", cache_entries=0, use_bitmaps=False)
    await with_bitmaps.ensure_index(INDEX)
    docs = documents()
    for i, doc in enumerate(docs):  # varied filter values, some missing (Not keeps documents without the field)
        if i % 3 == 0:
            doc["claim"] = "FSC Mix" if i % 2 else "fsc mix"
        if i % 4:
            doc["quantity_canonical"] = i * 1.5
        if i % 2:
            doc["_geo"] = {"lat": 15.0 + i % 9, "lng": -90.0 + i % 7}
        doc["certificate_verified"] = i % 5 == 0
    await with_bitmaps.upsert(INDEX, docs)
    yield with_bitmaps, sql_only
    await with_bitmaps.close()
    await sql_only.close()


QUERIES: list[dict[str, Any]] = [
    {"text": "hule"},
    {"text": "caoba", "facets": FACETS},
    {"text": "caova", "page": 2, "per_page": 3},
    {"text": "hule para", "facets": ("region", "species")},
    {"text": "madera en rollo", "filters": (Eq("category", "timber"),)},
    {"text": "pino", "filters": (AnyOf("country", ("MX", "hn")),), "facets": FACETS},
    {"text": "cedro", "filters": (Not(Eq("claim", "FSC 100%")),), "facets": ("claim",)},
    {"text": "", "filters": (Not(Range("quantity_canonical", lte=20)),), "facets": ("claim",)},
    {"text": "latex", "filters": (Eq("species", "Hevea brasiliensis"),), "facets": ("species",)},
    {"text": "seringueira pará"},
    {"text": "madeira serrada", "page": 2, "per_page": 2},
    {"text": "ma", "facets": FACETS},
    {"text": "", "facets": FACETS},
    {"text": "", "filters": (Range("quantity_canonical", gte=10),), "facets": ("country",)},
    {"text": "", "filters": (GeoRadius(18.5, -88.3, 500),), "facets": ("category",)},
    {"text": "", "filters": (AnyOf("country", ()),), "facets": ("category",)},
    {"text": "caoba", "per_page": 0, "facets": ("country",)},
]


@pytest.mark.parametrize(
    ("small_set", "walk_limit"),
    [(0, embedded_search.WALK_LIMIT), (0, 0), (10**9, 0)],
    ids=["buckets-walked", "buckets-by-sql", "one-statement"],
)
@pytest.mark.parametrize("kw", QUERIES, ids=[repr(q)[:60] for q in QUERIES])
async def test_bitmaps_answer_as_sql_does(
    both: tuple[EmbeddedBackend, EmbeddedBackend],
    kw: dict[str, Any],
    small_set: int,
    walk_limit: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hits (order and score), total and facets are those of the SQL path, whether the page is ranked by buckets
    (picked from the expression's whole ranking, or ranked by SQL) or by one statement over the matches."""
    monkeypatch.setattr(embedded_search, "SMALL_SET", small_set)
    monkeypatch.setattr(embedded_search, "WALK_LIMIT", walk_limit)
    with_bitmaps, sql_only = both
    query = SearchQuery(**{"per_page": 20, **kw})
    expected = answer(await sql_only.search(INDEX, query))
    assert expected[1] > 0 or kw.get("filters") == (AnyOf("country", ()),)
    assert answer(await with_bitmaps.search(INDEX, query)) == expected


@pytest.fixture(name="pair")
async def fx_pair(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedBackend, EmbeddedBackend]]:
    """A writer and a reader on one file, like the outbox worker and a web worker (the reader keeps no results)."""
    writer = EmbeddedBackend(tmp_path, prefix="shared")
    reader = EmbeddedBackend(tmp_path, prefix="shared", cache_entries=0)
    await writer.ensure_index(INDEX)
    await writer.upsert(INDEX, DOCS)
    yield writer, reader
    await writer.close()
    await reader.close()


def count_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every full read of a field's values (a bitmap rebuilt from the tables, not patched)."""
    builds: list[str] = []
    read = embedded_bitmaps.GenerationBitmaps._read_values

    def spy(conn: Any, layout: Any, name: str, listed: bool, version: int) -> embedded_bitmaps.FieldValues:
        builds.append(name)
        return read(conn, layout, name, listed, version)

    monkeypatch.setattr(embedded_bitmaps.GenerationBitmaps, "_read_values", staticmethod(spy))
    return builds


async def test_bitmaps_are_patched_after_writes_from_another_connection(
    pair: tuple[EmbeddedBackend, EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = pair
    query = SearchQuery("caoba", facets=("status", "country"), filters=(Eq("status", "active"),))
    before = await reader.search(INDEX, query)
    assert ([h.id for h in before.hits], before.facets) == (["o1"], {"status": {"active": 1}, "country": {"MX": 1}})
    builds = count_builds(monkeypatch)
    await writer.upsert(
        INDEX,
        [
            offer("n1", "Caoba en rollo", status="active", country="GT"),
            offer("o1", "Tablas de caoba", status="paused", country="MX"),
        ],
    )
    after = await reader.search(INDEX, query)
    assert ([h.id for h in after.hits], after.total) == (["n1"], 1)
    assert after.facets == {"status": {"active": 1}, "country": {"GT": 1}}
    await writer.delete(INDEX, ["n1"])
    gone = await reader.search(INDEX, query)
    assert (gone.total, gone.facets) == (0, {"status": {}, "country": {}})
    assert builds == []  # every field's bitmaps were patched from the changed rids, none read whole again
    generation = next(iter(reader._bitmaps._generations.values()))
    version = generation.fields[("status", False)].version
    assert version == generation.expressions[next(iter(generation.expressions))].version
    with sqlite3.connect(reader.path) as conn:
        live = conn.execute("SELECT version FROM fm_generations WHERE state = 'active'").fetchone()[0]
    assert version == live


@pytest.mark.parametrize("limit", ["CHANGE_VERSIONS", "CHANGE_LOG_LIMIT"])
async def test_bitmaps_are_rebuilt_when_the_log_misses_versions(
    pair: tuple[EmbeddedBackend, EmbeddedBackend], monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    """Versions pruned from the log (it keeps the last write only), or a write too large to log (over 1 document)."""
    writer, reader = pair
    query = SearchQuery("", facets=("status",))
    assert (await reader.search(INDEX, query)).facets == {"status": {"active": 5, "closed": 1, "paused": 1}}
    monkeypatch.setattr(store, limit, 1)
    builds = count_builds(monkeypatch)
    if limit == "CHANGE_VERSIONS":
        await writer.upsert(INDEX, [offer("n1", "Chicozapote", status="paused")])
        await writer.upsert(INDEX, [offer("n2", "Chicozapote", status="closed")])
    else:
        await writer.upsert(
            INDEX, [offer("n1", "Chicozapote", status="paused"), offer("n2", "Chicozapote", status="closed")]
        )
    result = await reader.search(INDEX, query)
    assert (result.total, result.facets) == (10, {"status": {"active": 5, "closed": 2, "paused": 2}})
    assert len(builds) == 1


async def test_a_list_field_facets_case_insensitively_with_bitmaps(
    pair: tuple[EmbeddedBackend, EmbeddedBackend],
) -> None:
    writer, reader = pair
    await writer.upsert(INDEX, [offer("n1", "Caoba", species=["swietenia macrophylla"])])
    result = await reader.search(INDEX, SearchQuery("caoba", facets=("species",)))
    sql = EmbeddedBackend(reader.path.parent, prefix="shared", cache_entries=0, use_bitmaps=False)
    try:
        assert result.facets == (await sql.search(INDEX, SearchQuery("caoba", facets=("species",)))).facets
    finally:
        await sql.close()
    assert list(result.facets["species"].values()) == [3]  # two offers of the corpus and n1, one value


async def test_documents_are_stored_compressed_and_older_text_rows_still_read(
    pair: tuple[EmbeddedBackend, EmbeddedBackend],
) -> None:
    writer, reader = pair
    with sqlite3.connect(writer.path) as conn:
        table = store.Layout(INDEX, conn.execute("SELECT gen FROM fm_generations").fetchone()[0]).source
        kinds = {r[0] for r in conn.execute(f"SELECT typeof(doc) FROM {table}")}
        assert kinds == {"blob"}
        # A row as written before compression: JSON text.
        conn.execute(f"UPDATE {table} SET doc = ? WHERE rid = 1", ('{"id": "o1", "ref": "o1", "title": "Old row"}',))
    result = await reader.search(INDEX, SearchQuery("tablas", highlight=("title",)))
    assert [(h.id, h.document["title"], h.highlights["title"]) for h in result.hits] == [("o1", "Old row", "Old row")]
    await writer.upsert(INDEX, [offer("o1", "Tablas de caoba renovadas")])  # replaces the text row (FTS delete)
    result = await reader.search(INDEX, SearchQuery("renovadas"))
    assert [(h.id, h.document["title"]) for h in result.hits] == [("o1", "Tablas de caoba renovadas")]


async def test_a_rebuild_gives_the_old_generations_pages_back(tmp_path: Path) -> None:
    """After a rebuild the file held both generations; the dropped one's pages are returned (VACUUM), and the new
    generation answers as before."""
    backend = EmbeddedBackend(tmp_path, prefix="compact", cache_entries=0)
    try:
        await backend.ensure_index(INDEX)
        docs = documents()
        big = [
            {**d, "id": f"{d['id']}-{n}", "description": "madera certificada " * 200} for n in range(8) for d in docs
        ]
        await backend.upsert(INDEX, big)
        with sqlite3.connect(backend.path) as conn:  # pages as readers see them (the WAL included)
            before = conn.execute("PRAGMA page_count").fetchone()[0]
        await backend.rebuild(INDEX, [docs])
        with sqlite3.connect(backend.path) as conn:
            assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0
            after = conn.execute("PRAGMA page_count").fetchone()[0]
        assert after < before / 2
        assert backend.path.stat().st_size == after * 4096  # the copy is in the file, the WAL emptied
        fresh = EmbeddedBackend(tmp_path / "fresh", prefix="compact", cache_entries=0)
        await fresh.ensure_index(INDEX)
        await fresh.upsert(INDEX, docs)
        query = SearchQuery(text="hule", facets=("country",), per_page=5)
        expected = await fresh.search(INDEX, query)
        await fresh.close()
        assert expected.total > 5
        assert answer(await backend.search(INDEX, query)) == answer(expected)
    finally:
        await backend.close()


def count_document_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record every stored document decoded (read from the file, not taken from the kept ones)."""
    reads: list[int] = []
    load = store.DocCodec.load

    def spy(self: store.DocCodec, value: bytes | str) -> Any:
        reads.append(1)
        return load(self, value)

    monkeypatch.setattr(store.DocCodec, "load", spy)
    return reads


async def test_kept_documents_follow_writes_from_another_connection(
    pair: tuple[EmbeddedBackend, EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader keeps the documents of its hits decoded; a write through another connection (the outbox worker's
    process) shows in its next search: the changed document is read again, the unchanged one is not."""
    writer, reader = pair
    query = SearchQuery("tablas", highlight=("title",))
    first = await reader.search(INDEX, query)
    assert [(h.id, h.document["title"]) for h in first.hits] == [("o1", "Tablas de caoba")]
    reads = count_document_reads(monkeypatch)
    again = await reader.search(INDEX, query)
    assert (reads, [h.document["title"] for h in again.hits]) == ([], ["Tablas de caoba"])
    again.hits[0].document["title"] = "changed by a caller"  # each caller gets its own copy
    await writer.upsert(INDEX, [offer("o1", "Tablas de caoba renovadas"), offer("n1", "Tablas de cedro")])
    reads.clear()  # the writer's own read of the replaced o1
    after = await reader.search(INDEX, query)
    assert sorted((h.id, h.document["title"], h.highlights["title"]) for h in after.hits) == [
        ("n1", "Tablas de cedro", "<mark>Tablas</mark> de cedro"),
        ("o1", "Tablas de caoba renovadas", "<mark>Tablas</mark> de caoba renovadas"),
    ]
    assert len(reads) == 2
    await writer.delete(INDEX, ["n1"])
    await writer.upsert(INDEX, [offer("n2", "Tablas de pino")])  # takes n1's rid (the highest, freed)
    reads.clear()
    final = await reader.search(INDEX, query)
    assert sorted((h.id, h.document["title"]) for h in final.hits) == [
        ("n2", "Tablas de pino"),
        ("o1", "Tablas de caoba renovadas"),
    ]
    assert len(reads) == 1


async def test_kept_documents_are_dropped_when_the_log_misses_versions(
    pair: tuple[EmbeddedBackend, EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = pair
    query = SearchQuery("tablas")
    assert [h.document["title"] for h in (await reader.search(INDEX, query)).hits] == ["Tablas de caoba"]
    monkeypatch.setattr(store, "CHANGE_VERSIONS", 1)  # the log keeps the last write only
    await writer.upsert(INDEX, [offer("o1", "Tablas de caoba, primera")])
    await writer.upsert(INDEX, [offer("n1", "Chicozapote")])
    # o1 changed in a version the log no longer holds: its new text shows because everything kept is dropped.
    reads = count_document_reads(monkeypatch)
    result = await reader.search(INDEX, query)
    assert ([h.document["title"] for h in result.hits], len(reads)) == (["Tablas de caoba, primera"], 1)


@pytest.fixture(name="relevance_pair")
async def fx_relevance_pair(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedBackend, EmbeddedBackend]]:
    """The relevance documents, a writer and a reader on one file (the reader keeps no results)."""
    writer = EmbeddedBackend(tmp_path, prefix="rank")
    reader = EmbeddedBackend(tmp_path, prefix="rank", cache_entries=0)
    await writer.ensure_index(INDEX)
    await writer.upsert(INDEX, documents())
    yield writer, reader
    await writer.close()
    await reader.close()


def kept_ranking(backend: EmbeddedBackend, text: str) -> embedded_bitmaps.Ranking:
    generation = next(iter(backend._bitmaps._generations.values()))
    plan = backend._plans[next(k for k in backend._plans if k[-1] == text)]
    return generation.orders[plan.expression]


async def latex_writes(writer: EmbeddedBackend) -> None:
    """A changed match, a new match and a deleted match of "hule"."""
    docs = {d["id"]: d for d in documents()}
    await writer.upsert(
        INDEX,
        [
            {**docs["mx-hule-oax"], "title": "Hule, hule y más hule de campo"},
            {**docs["mx-hule-ver"], "id": "mx-hule-new", "ref": "mx-hule-new", "title": "Hule nuevo"},
        ],
    )
    await writer.delete(INDEX, ["mx-hule-chp"])


async def test_a_small_index_reads_its_rankings_again_after_a_write(
    relevance_pair: tuple[EmbeddedBackend, EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under PATCH_SHARE matches a ranking is never patched: after writes from another connection the answer is the
    SQL path's, scores included."""
    monkeypatch.setattr(embedded_search, "SMALL_SET", 0)  # rank "hule" through its kept ranking
    writer, reader = relevance_pair
    query = SearchQuery("hule", per_page=5)
    await reader.search(INDEX, query)
    await latex_writes(writer)
    result = await reader.search(INDEX, query)
    sql = EmbeddedBackend(reader.path.parent, prefix="rank", cache_entries=0, use_bitmaps=False)
    try:
        assert answer(result) == answer(await sql.search(INDEX, query))
    finally:
        await sql.close()
    ranking = kept_ranking(reader, "hule")
    assert ranking.full_version == ranking.version  # read again in full, not patched


async def test_a_ranking_is_patched_with_the_changed_documents(
    relevance_pair: tuple[EmbeddedBackend, EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within PATCH_SHARE (here every change), the kept ranking holds exactly the current matches: the changed and
    new documents at their place by their current bm25 and recency, the untouched ones as read before."""
    monkeypatch.setattr(embedded_search, "SMALL_SET", 0)
    monkeypatch.setattr(embedded_bitmaps, "PATCH_SHARE", 1)
    writer, reader = relevance_pair
    query = SearchQuery("hule", per_page=5)
    await reader.search(INDEX, query)
    before = kept_ranking(reader, "hule")
    old = dict(zip(before.rids, zip(before.scores, *(before.ties or []), strict=True), strict=True))
    await latex_writes(writer)
    result = await reader.search(INDEX, query)
    patched = kept_ranking(reader, "hule")
    assert (patched.full_version, patched.version) == (before.version, before.version + 2)
    fresh_backend = EmbeddedBackend(reader.path.parent, prefix="rank", cache_entries=0)
    try:
        fresh_result = await fresh_backend.search(INDEX, query)
        fresh = kept_ranking(fresh_backend, "hule")
    finally:
        await fresh_backend.close()
    new = dict(zip(fresh.rids, zip(fresh.scores, *(fresh.ties or []), strict=True), strict=True))
    assert set(patched.rids) == set(fresh.rids)  # exactly the current matches
    changed = {rid for rid in new if rid not in old or rid == rid_of(reader, "mx-hule-oax")}
    assert len(changed) == 2  # the changed and the new document
    expected = sorted([(*old[rid], rid) for rid in new if rid not in changed] + [(*new[rid], rid) for rid in changed])
    assert list(patched.rids) == [row[-1] for row in expected]
    assert list(patched.scores) == [row[0] for row in expected]
    assert [h.id for h in result.hits] == [h.id for h in fresh_result.hits]  # no order changed at this drift


def rid_of(backend: EmbeddedBackend, doc_id: str) -> int:
    with sqlite3.connect(backend.path) as conn:
        gen = conn.execute("SELECT gen FROM fm_generations WHERE state = 'active'").fetchone()[0]
        return int(
            conn.execute(f"SELECT rid FROM {store.Layout(INDEX, gen).docs} WHERE id = ?", (doc_id,)).fetchone()[0]
        )


def test_value_sets_asked_again_are_the_kept_bitmap_and_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every search asks the public listing's few equalities: their union is kept per field version, at most
    MATCHED_ENTRIES value sets (then forgotten at once), matched as the SQL compares (NOCASE)."""
    values = embedded_bitmaps.FieldValues(
        1,
        {"MX": embedded_bitmaps.BitMap([1, 2]), "mx": embedded_bitmaps.BitMap([3]), "BR": embedded_bitmaps.BitMap([4])},
    )
    first = values.matching(("mx",))
    assert list(first) == [1, 2, 3]
    assert values.matching(("mx",)) is first
    assert list(values.matching(("BR", "Mx", "PE"))) == [1, 2, 3, 4]
    assert list(values.matching(("PE",))) == []
    assert len(values.matched) == 3
    monkeypatch.setattr(embedded_bitmaps, "MATCHED_ENTRIES", 3)
    assert list(values.matching(("br",))) == [4]
    assert list(values.matched) == [("br",)]  # full: the kept sets were forgotten before this one was kept
    assert values.matching(("mx",)) is not first and list(values.matching(("mx",))) == [1, 2, 3]
