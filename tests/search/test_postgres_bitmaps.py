"""The PostgreSQL backend's per-process bitmaps (``postgres_bitmaps``): two backends over one database (two hosts)
see each other's writes at their next search, also when the change log no longer covers the gap or the tables were
rebuilt; sorted pages picked from the first sort key's candidates come in the exact order across pages."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from search_index import SearchQuery, create_backend
from search_index import postgres as pg
from search_index.index_settings import load_index_settings
from search_index.postgres import PostgresBackend
from search_index.query import AnyOf, Eq, Not, Range, SortSpec
from tests.search.corpus import DOCS

pytestmark = pytest.mark.postgres

FACETS = ("category", "country", "species", "certificate_verified")


@pytest.fixture(name="hosts")
async def fx_hosts(search_pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[PostgresBackend, PostgresBackend]]:
    """Two backends (as on two hosts) over the same index."""
    prefix = f"fmtest_{secrets.token_hex(4)}"
    first = create_backend(prefix=prefix, directory=tmp_path / "a", database_url=search_pg_url)
    second = create_backend(prefix=prefix, directory=tmp_path / "b", database_url=search_pg_url)
    assert isinstance(first, PostgresBackend) and isinstance(second, PostgresBackend)
    await first.ensure_index("offers")
    await second.ensure_index("offers")
    try:
        yield first, second
    finally:
        await first.drop_index("offers")
        await first.close()
        await second.close()


async def answer(backend: PostgresBackend, **kw: Any) -> tuple[int, list[str], dict[str, dict[str, int]]]:
    result = await backend.search("offers", SearchQuery(facets=FACETS, **kw))
    return result.total, [h.id for h in result.hits], result.facets


QUERIES: list[dict[str, Any]] = [
    {},
    {"text": "madera"},
    {"filters": (Eq("category", "timber"),)},
    {"filters": (AnyOf("country", ("MX", "BR")), Not(Eq("certificate_verified", True)))},
    {"filters": (Range("quantity_canonical", gte=10),), "sort": (SortSpec("created_at", descending=True),)},
]


async def test_a_write_on_one_host_is_seen_by_the_other_at_its_next_search(
    hosts: tuple[PostgresBackend, PostgresBackend], tmp_path: Path
) -> None:
    first, second = hosts
    await second.upsert("offers", DOCS)
    before = [await answer(first, **q) for q in QUERIES]  # the first host's bitmaps, at this version
    changed = {**DOCS[0], "title": "Madera de caoba", "category": "latex", "country": "BR", "quantity_canonical": 1}
    await second.upsert("offers", [changed, {**DOCS[1], "id": "new", "ref": "new"}])
    await second.delete("offers", [DOCS[2]["id"]])
    after = [await answer(first, **q) for q in QUERIES]
    # A third host, with no bitmaps yet, reads everything from the tables: the same answers.
    fresh = create_backend(prefix=first.prefix, directory=tmp_path / "c", database_url=first.dsn)
    assert isinstance(fresh, PostgresBackend)
    try:
        assert after == [await answer(fresh, **q) for q in QUERIES]
    finally:
        await fresh.close()
    assert after != before
    total, ids, facets = after[0]
    assert total == len(DOCS)
    assert "new" in ids and DOCS[2]["id"] not in ids
    assert facets["category"]["latex"] == before[0][2]["category"].get("latex", 0) + 1
    assert DOCS[0]["id"] in after[1][1]


async def test_a_gap_the_log_no_longer_covers_rebuilds_the_bitmaps(
    hosts: tuple[PostgresBackend, PostgresBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = hosts
    await second.upsert("offers", DOCS)
    await answer(first, filters=(Eq("category", "timber"),))
    monkeypatch.setattr(pg, "LOG_KEEP", 2)
    monkeypatch.setattr(pg, "LOG_PRUNE_EVERY", 1)
    await second.upsert("offers", [{**DOCS[0], "category": "latex"}])
    for _ in range(4):  # later writes of another offer: the first change's log entry is pruned meanwhile
        await second.upsert("offers", [DOCS[1]])
    timber = [d["id"] for d in DOCS if d.get("category") == "timber" and d["id"] != DOCS[0]["id"]]
    total, ids, facets = await answer(first, filters=(Eq("category", "timber"),), per_page=100)
    assert (total, sorted(ids)) == (len(timber), sorted(timber))
    assert facets["category"] == {"timber": len(timber)}


async def test_a_rebuild_on_one_host_is_seen_by_the_other(hosts: tuple[PostgresBackend, PostgresBackend]) -> None:
    first, second = hosts
    await second.upsert("offers", DOCS)
    assert (await answer(first))[0] == len(DOCS)
    await second.rebuild("offers", [DOCS[:3]])
    total, ids, _ = await answer(first)
    assert (total, sorted(ids)) == (3, sorted(d["id"] for d in DOCS[:3]))


async def test_bitmaps_of_replaced_tables_are_not_taken_for_the_new_ones_at_the_same_version(
    hosts: tuple[PostgresBackend, PostgresBackend], tmp_path: Path
) -> None:
    first, second = hosts
    for doc in DOCS[:4]:  # four writes: version 4
        await second.upsert("offers", [doc])
    assert (await answer(first, text="madera"))[0] == 2  # o1 and o2
    await second.rebuild("offers", [DOCS[4:5]])  # new tables, version 0
    for doc in [*DOCS[5:8], DOCS[7]]:  # version 4 again, other documents
        await second.upsert("offers", [doc])
    total, ids, facets = await answer(first, per_page=100)
    assert (total, sorted(ids)) == (4, sorted(d["id"] for d in DOCS[4:8]))
    fresh = create_backend(prefix=first.prefix, directory=tmp_path / "c", database_url=first.dsn)
    assert isinstance(fresh, PostgresBackend)
    try:
        assert facets == (await answer(fresh))[2]
        assert await answer(first, text="madera") == await answer(fresh, text="madera")
    finally:
        await fresh.close()


def sorted_docs(count: int) -> list[dict[str, Any]]:
    """Offers whose creation times repeat (ties), some with none and one with a text value."""
    docs = []
    for i in range(count):
        doc: dict[str, Any] = {"id": f"p{i:02d}", "title": "Tablas de pino" if i % 3 else "Tablas de pino rojo"}
        if i % 7 == 3:
            pass  # no created_at: last
        elif i == 5:
            doc["created_at"] = "soon"  # a value without a number: after the numbers
        else:
            doc["created_at"] = 1_700_000_000 + (i * 37) % 11
        docs.append(doc)
    return docs


def expected_order(docs: list[dict[str, Any]]) -> list[str]:
    def key(doc: dict[str, Any]) -> tuple[Any, ...]:
        value = doc.get("created_at")
        if value is None:
            return (2, 0, doc["id"])
        if isinstance(value, str):
            return (1, 0, doc["id"])
        return (0, -value, doc["id"])

    return [d["id"] for d in sorted(docs, key=key)]


async def test_pages_of_a_sort_come_in_order_from_the_first_keys_candidates(
    hosts: tuple[PostgresBackend, PostgresBackend],
) -> None:
    first, _ = hosts
    docs = sorted_docs(40)
    await first.upsert("offers", docs)
    sort = (SortSpec("created_at", descending=True),)
    pages = []
    for page in range(1, 9):
        result = await first.search("offers", SearchQuery(sort=sort, page=page, per_page=6))
        assert result.total == 40
        pages += [h.id for h in result.hits]
    assert pages == expected_order(docs)
    # With text, ties of the sort are ordered by the ranking rules: "rojo" is not in the query, so every offer
    # ties on them and the id decides, as without text.
    with_text = []
    for page in range(1, 5):
        result = await first.search("offers", SearchQuery(text="tablas pino", sort=sort, page=page, per_page=11))
        with_text += [h.id for h in result.hits]
    assert with_text == expected_order(docs)


TITLES = ["Tablas de pino", "Pino en tablas", "Tablas aserradas", "Pinos y tablas", "Madera de pino", "Pinotea"]
DESCRIPTIONS = ["Tablas secas.", "Pino del norte.", "Trozas.", "Tablas de pino y de caoba.", ""]


def ranked_docs(count: int) -> list[dict[str, Any]]:
    """Offers spread over the ranking rules' buckets (typos, proximity, attribute, exactness), with creation times
    that repeat (ties of the tie-breaker) or are missing."""
    docs = []
    for i in range(count):
        doc: dict[str, Any] = {
            "id": f"r{i:02d}",
            "title": TITLES[i % len(TITLES)],
            "description": DESCRIPTIONS[(i // len(TITLES)) % len(DESCRIPTIONS)],
        }
        if i % 9 != 4:
            doc["created_at"] = 1_700_000_000 + (i * 7) % 5
        docs.append(doc)
    return docs


async def sql_order(backend: PostgresBackend, text: str, page: int, per_page: int) -> list[str]:
    """The page as one SQL statement ranks every match (rank keys, tie-breakers, id): the order to keep."""
    settings = load_index_settings("offers")
    layout = backend._layout("offers")
    pool = await backend._pool()
    async with pool.acquire() as conn, conn.transaction():
        plan = await backend._plan(conn, layout, settings, text)
        query = SearchQuery(text=text, page=page, per_page=per_page)
        return [row[0] for row in await backend._page(conn, layout, settings, query, plan, [], None)]


@pytest.mark.parametrize("text", ["tablas pino", "pino", "pinos tablas", "tabla"])
async def test_relevance_pages_walked_in_buckets_come_in_the_order_sql_ranks_them(
    hosts: tuple[PostgresBackend, PostgresBackend], text: str
) -> None:
    first, _ = hosts
    await first.upsert("offers", ranked_docs(60))
    total = (await first.search("offers", SearchQuery(text=text, per_page=0))).total
    assert total > 20
    walked, ranked = [], []
    for page in range(1, total // 4 + 2):
        result = await first.search("offers", SearchQuery(text=text, page=page, per_page=4))
        walked += [h.id for h in result.hits]
        ranked += await sql_order(first, text, page, 4)
    assert len(walked) == total
    assert walked == ranked


async def test_a_warmed_worker_keeps_the_words_bitmaps_and_answers_as_a_cold_one(
    search_pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker's startup warm (``warm_search_index``) runs on PostgreSQL too: the listing's fields and the broad
    words' matches are read into the process then, and a warmed worker's answers equal a cold one's."""
    # Function-level imports: the app's search service and the warm test's documents, only this test needs them.
    from app.search.services import engine
    from app.search.services.engine import search_offers, warm_search_index
    from app.search.services.params import SearchParams
    from tests.integration.test_search_warm import listed, page
    from tests.search.relevance_data import documents

    monkeypatch.setattr(engine, "WARM_RANKINGS_FROM", 1)  # the relevance set is small
    monkeypatch.setattr(engine, "WARM_BROAD", 0)
    prefix = f"fmtest_{secrets.token_hex(4)}"
    warmed = create_backend(prefix=prefix, directory=tmp_path / "a", database_url=search_pg_url, cache_entries=0)
    cold = create_backend(prefix=prefix, directory=tmp_path / "b", database_url=search_pg_url, cache_entries=0)
    assert isinstance(warmed, PostgresBackend) and isinstance(cold, PostgresBackend)
    await warmed.ensure_index("offers")
    await warmed.upsert("offers", [listed(d) for d in documents()])
    try:
        assert warmed._bitmaps._indexes == {}
        await warm_search_index(warmed)
        (bitmaps,) = warmed._bitmaps._indexes.values()
        assert len(bitmaps.entries) > 0 and len(bitmaps.expressions) >= engine.WARM_TEXTS
        # Every filter group and sort the search page offers was read then: a filtered, sorted search reads nothing new.
        read = set(bitmaps.entries)
        for query in (
            {"q": "hule", "country": ["BR", "MX"], "verified": "true", "sort": "newest"},
            {"q": "caoba", "claim": ["FSC 100%"], "category": ["timber"], "sort": "quantity"},
            {"q": "pino", "product_type": ["sawn_timber"], "region": ["MX-ROO"], "sort": "expiry"},
        ):
            await search_offers(SearchParams.from_query(query), warmed)
            assert set(bitmaps.entries) == read, query
        for text in ("látex", "hule", "pino", "caoba", "caova"):
            params = SearchParams(q=text)
            expected = page(await search_offers(params, cold))
            assert expected[1] > 0
            assert page(await search_offers(params, warmed)) == expected
    finally:
        await warmed.drop_index("offers")
        await warmed.close()
        await cold.close()


async def test_filter_keys_derived_from_facet_groups_are_the_columns_keys(
    hosts: tuple[PostgresBackend, PostgresBackend],
) -> None:
    """A filter's keys (``k<j>``) come from the facet groups the process holds (no pass of their own): the same
    groups SQL reads from the column, for single- and multi-valued fields and values differing in case only."""
    first, second = hosts
    both = {**DOCS[0], "id": "both", "ref": "both", "species": ["Swietenia macrophylla", "Cedrela odorata"]}
    await second.upsert("offers", [*DOCS, {**DOCS[0], "id": "case", "ref": "case", "country": "mx"}, both])
    filters = (AnyOf("country", ("MX", "BR")), Eq("category", "timber"), AnyOf("species", ("Swietenia macrophylla",)))
    await answer(first, filters=filters)
    (bitmaps,) = first._bitmaps._indexes.values()
    settings = load_index_settings("offers")
    layout = first._layout("offers")
    pool = await first._pool()
    checked = []
    async with pool.acquire() as conn:
        for field in ("country", "category", "species"):
            j = settings.columns.index(field)
            assert ("v" if field == "species" else "first", str(j)) in bitmaps.entries  # held: the keys derive
            rows = await conn.fetch(f"SELECT x, array_agg(rid) FROM {layout.docs}, unnest(k{j}) x GROUP BY 1")
            assert {k: set(v) for k, v in bitmaps.entries[("k", str(j))].value.items()} == {
                x: set(rids) for x, rids in rows
            }, field
            checked.append(field)
    assert checked == ["country", "category", "species"]
    assert len(bitmaps.entries[("k", str(settings.columns.index("country")))].value["mx"]) >= 2
