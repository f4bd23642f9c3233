"""Embedded-backend specifics: several processes on one file, settings changes, list-valued fields."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from search_index import AnyOf, Eq, Not, SearchQuery, create_backend, embedded
from search_index.embedded import EmbeddedBackend
from search_index.embedded_store import COMPRESS_MEMLEVEL, DocCodec
from tests.search.corpus import DOCS, offer

INDEX = "offers"


@pytest.fixture(name="pair")
async def fx_pair(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedBackend, EmbeddedBackend]]:
    """Two backends on the same file, like the sync worker and a web worker in separate processes."""
    writer = create_backend(directory=tmp_path, prefix="shared")
    reader = create_backend(directory=tmp_path, prefix="shared")
    assert isinstance(writer, EmbeddedBackend) and isinstance(reader, EmbeddedBackend)
    await writer.ensure_index(INDEX)
    yield writer, reader
    await writer.close()
    await reader.close()


async def found(backend: EmbeddedBackend, text: str = "", **kwargs: object) -> set[str]:
    result = await backend.search(INDEX, SearchQuery(text=text, per_page=100, **kwargs))  # type: ignore[arg-type]
    return {h.id for h in result.hits}


async def test_one_file_per_deployment_prefix(tmp_path: Path) -> None:
    backend = create_backend(directory=tmp_path / "search", prefix="forestmatch")
    await backend.ensure_index(INDEX)
    assert sorted(p.name for p in (tmp_path / "search").glob("*.sqlite3")) == ["forestmatch-search.sqlite3"]
    await backend.close()


async def test_changes_are_visible_to_other_backends_on_the_same_file(
    pair: tuple[EmbeddedBackend, EmbeddedBackend],
) -> None:
    writer, reader = pair
    await writer.upsert(INDEX, DOCS)
    query = dict(facets=("status",))
    assert (await reader.search(INDEX, SearchQuery(**query))).facets == {  # type: ignore[arg-type]
        "status": {"active": 5, "closed": 1, "paused": 1}
    }
    await writer.upsert(INDEX, [offer("n1", "Chicozapote aserrado", status="paused")])
    await writer.delete(INDEX, ["o5"])
    result = await reader.search(INDEX, SearchQuery(**query))  # type: ignore[arg-type]
    assert (result.total, result.facets) == (8, {"status": {"active": 5, "paused": 2}})
    assert await found(reader, "chicozapote") == {"n1"}
    assert await found(reader, "chicozapot") == {"n1"}  # the reader's vocabulary picked up the new word
    assert await reader.rebuild(INDEX, [[offer("r1", "Nuevo")]]) == 1
    assert await found(writer, "nuevo") == {"r1"}
    assert await writer.count(INDEX) == 1


async def test_settings_change_reindexes_the_stored_documents(tmp_path: Path) -> None:
    backend = create_backend(directory=tmp_path)
    await backend.upsert(INDEX, DOCS)
    assert isinstance(backend, EmbeddedBackend)
    await backend.close()
    with sqlite3.connect(backend.path) as conn:  # as if the settings file had changed since the index was built
        conn.execute("UPDATE fm_generations SET fingerprint = 'old' WHERE state = 'active'")
    backend = create_backend(directory=tmp_path)
    await backend.ensure_index(INDEX)
    assert await backend.count(INDEX) == 8
    assert await found(backend, "mogno") == {"o1", "o5"}
    with sqlite3.connect(backend.path) as conn:  # type: ignore[attr-defined]
        states = conn.execute("SELECT gen, state FROM fm_generations ORDER BY gen").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert states == [(1, "dropped"), (2, "active")]
    assert not any(name.startswith("offers__g1_") for name in tables)
    await backend.close()


async def test_a_field_can_turn_list_valued(pair: tuple[EmbeddedBackend, EmbeddedBackend]) -> None:
    writer, _ = pair
    await writer.upsert(INDEX, [offer("a", "Uno", claim="FSC Mix"), offer("b", "Dos", claim="FSC 100%")])
    await writer.upsert(INDEX, [offer("c", "Tres", claim=["FSC Mix", "FSC Recycled"])])
    assert await found(writer, filters=(Eq("claim", "FSC Mix"),)) == {"a", "c"}
    assert await found(writer, filters=(AnyOf("claim", ("FSC Recycled", "FSC 100%")),)) == {"b", "c"}
    assert await found(writer, filters=(Not(Eq("claim", "FSC Mix")),)) == {"b"}
    result = await writer.search(INDEX, SearchQuery(facets=("claim",)))
    assert result.facets == {"claim": {"FSC 100%": 1, "FSC Mix": 2, "FSC Recycled": 1}}
    await writer.upsert(INDEX, [offer("a", "Uno", claim="FSC 100%")])
    await writer.delete(INDEX, ["c"])
    result = await writer.search(INDEX, SearchQuery(facets=("claim",)))
    assert result.facets == {"claim": {"FSC 100%": 2}}


async def test_filter_values_compare_case_insensitively(pair: tuple[EmbeddedBackend, EmbeddedBackend]) -> None:
    writer, _ = pair
    await writer.upsert(INDEX, [offer("a", "Uno", country="MX"), offer("b", "Dos", country="gt")])
    assert await found(writer, filters=(AnyOf("country", ("mx", "GT")),)) == {"a", "b"}


async def test_broad_list_values_filter_as_a_membership_test(
    pair: tuple[EmbeddedBackend, EmbeddedBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list-valued filter matching at least RANGE_PROBE documents, next to an equality on a scalar column, is
    compiled as a membership test ("+d.rid IN"); a narrow one, or one alone, may drive the query. Same answers."""
    from search_index import embedded_sql
    from search_index.embedded_store import Layout

    writer, _ = pair
    species = ["Pinus patula", "Quercus rugosa"]
    docs = [offer("a", "Uno", category="timber", species=species), offer("b", "Dos", category="timber")]
    docs += [offer("c", "Tres", category="latex", species=["Pinus patula"]), offer("d", "Cuatro", species=species)]
    await writer.upsert(INDEX, docs)
    wanted = (Eq("category", "timber"), AnyOf("species", ("pinus patula", "Abies religiosa")))
    assert await found(writer, filters=wanted) == {"a"}
    monkeypatch.setattr(embedded_sql, "RANGE_PROBE", 3)
    assert await found(writer, filters=wanted) == {"a"}
    assert await found(writer, filters=(Not(AnyOf("species", ("Pinus patula",))), Eq("category", "timber"))) == {"b"}

    conn = sqlite3.connect(writer.path)
    try:
        gen = conn.execute("SELECT gen FROM fm_generations WHERE state = 'active'").fetchone()[0]
        layout = Layout(INDEX, gen)
        lists = {"species"}

        def compiled(filters: tuple[object, ...]) -> list[str]:
            compiler = embedded_sql.FilterCompiler(layout, lists, conn, filters)  # type: ignore[arg-type]
            return [compiler.compile(f) for f in filters]  # type: ignore[arg-type]

        assert compiled(wanted)[1].startswith("+d.rid IN (SELECT")  # 3 documents list one of the values
        assert compiled((wanted[0], AnyOf("species", ("Quercus rugosa",))))[1].startswith("d.rid IN (SELECT")
        assert compiled((wanted[1],))[0].startswith("d.rid IN (SELECT")  # nothing else can drive
    finally:
        conn.close()


async def test_facets_on_a_field_an_equality_filter_fixes(pair: tuple[EmbeddedBackend, EmbeddedBackend]) -> None:
    """Such facets are read per group of the other facets when the value is uniform, and fully grouped when the
    stored values differ in case: same counts either way."""
    writer, _ = pair
    await writer.upsert(
        INDEX,
        [
            offer("a", "Pino uno", country="MX", claim="FSC 100%", category="timber"),
            offer("b", "Pino dos", country="MX", claim="FSC Mix", category="timber"),
            offer("c", "Pino tres", country="MX", claim="FSC Mix", category="latex"),
            offer("d", "Pino cuatro", country="GT", claim="FSC Mix", category="timber"),
        ],
    )
    facets = ("country", "claim", "category")
    result = await writer.search(INDEX, SearchQuery(text="pino", filters=(Eq("country", "mx"),), facets=facets))
    assert result.total == 3
    assert result.facets == {
        "country": {"MX": 3},
        "claim": {"FSC 100%": 1, "FSC Mix": 2},
        "category": {"latex": 1, "timber": 2},
    }
    only_fixed = SearchQuery(filters=(Eq("country", "MX"), Eq("claim", "FSC Mix")), facets=("country", "claim"))
    result = await writer.search(INDEX, only_fixed)
    assert (result.total, result.facets) == (2, {"country": {"MX": 2}, "claim": {"FSC Mix": 2}})
    await writer.upsert(INDEX, [offer("e", "Pino cinco", country="mx", claim="FSC Mix", category="timber")])
    result = await writer.search(INDEX, SearchQuery(text="pino", filters=(Eq("country", "MX"),), facets=facets))
    assert result.total == 4
    assert result.facets == {
        "country": {"MX": 3, "mx": 1},
        "claim": {"FSC 100%": 1, "FSC Mix": 3},
        "category": {"latex": 1, "timber": 3},
    }
    result = await writer.search(INDEX, SearchQuery(filters=(Eq("country", "nowhere"),), facets=facets))
    assert (result.total, result.facets) == (0, {"country": {}, "claim": {}, "category": {}})


async def test_writes_give_up_on_a_locked_file_and_reads_carry_on(
    pair: tuple[EmbeddedBackend, EmbeddedBackend],
) -> None:
    """Another process holding the file's write lock: the sync's writes fail with IndexBusy after a short wait
    (not SQLite's 30 s busy timeout), searches keep answering, and the write succeeds once the lock is gone."""
    from search_index.embedded import IndexBusy

    writer, reader = pair
    await writer.upsert(INDEX, [offer("a", "Pino uno")])
    other = sqlite3.connect(writer.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(IndexBusy, match="locked by another connection"):
            await writer.upsert(INDEX, [offer("b", "Pino dos")])
        with pytest.raises(IndexBusy, match="locked by another connection"):
            await writer.delete(INDEX, ["a"])
        assert await found(reader, "pino") == {"a"}
    finally:
        other.execute("ROLLBACK")
        other.close()
    await writer.upsert(INDEX, [offer("b", "Pino dos")])
    assert await found(reader, "pino") == {"a", "b"}


@pytest.mark.parametrize(("entries", "kept"), [(None, 1), (0, 0)])
async def test_result_cache_can_be_turned_off(tmp_path: Path, entries: int | None, kept: int) -> None:
    """FORESTMATCH_SEARCH_CACHE_ENTRIES=0 (cold benchmarks): every search is computed, none is kept; the answers are
    the same either way."""
    backend = create_backend(directory=tmp_path, cache_entries=entries)
    assert isinstance(backend, EmbeddedBackend)
    await backend.upsert(INDEX, DOCS)
    query = SearchQuery(text="mogno", facets=("status",), per_page=100)
    first, again = await backend.search(INDEX, query), await backend.search(INDEX, query)
    assert {h.id for h in first.hits} == {h.id for h in again.hits} == {"o1", "o5"}
    assert (first.total, first.facets) == (again.total, again.facets) == (2, {"status": {"active": 1, "closed": 1}})
    assert (len(backend._stats), len(backend._pages)) == (kept, kept)
    await backend.close()


async def test_search_many_answers_each_query_as_search_does(tmp_path: Path) -> None:
    """One worker-thread call and one snapshot for a request's queries (the main one and one per filtered facet
    group): the same results, in order, as separate searches; a refused query refuses the batch before any runs."""
    backend = create_backend(directory=tmp_path, cache_entries=0)
    assert isinstance(backend, EmbeddedBackend)
    await backend.upsert(INDEX, DOCS)
    queries = [
        SearchQuery(text="caoba", facets=("status", "claim"), highlight=("title",)),
        SearchQuery(text="caoba", filters=(Eq("status", "active"),), facets=("claim",), per_page=0),
        SearchQuery(filters=(AnyOf("claim", ("FSC 100%",)),), facets=("country",), per_page=2, page=2),
        SearchQuery(text="madera", filters=(Not(Eq("country", "HN")),)),
    ]
    one_by_one = [await backend.search(INDEX, q) for q in queries]
    assert await backend.search_many(INDEX, queries) == one_by_one
    assert [r.total for r in one_by_one] == [2, 1, 5, 2]
    assert [sorted(h.id for h in r.hits) for r in one_by_one] == [["o1", "o5"], [], ["o3", "o4"], ["o1", "o2"]]
    assert await backend.search_many(INDEX, []) == []
    with pytest.raises(ValueError, match="not_a_field"):
        await backend.search_many(INDEX, [queries[0], SearchQuery(filters=(Eq("not_a_field", 1),))])
    empty = create_backend(directory=tmp_path / "empty", cache_entries=0)
    assert isinstance(empty, EmbeddedBackend)
    await empty.ensure_index(INDEX)
    answers = await empty.search_many(INDEX, queries[:2])
    assert [(r.hits, r.total, r.facets) for r in answers] == [
        ([], 0, {"status": {}, "claim": {}}),
        ([], 0, {"claim": {}}),
    ]
    await backend.close()
    await empty.close()


async def test_result_cache_is_bounded_by_memory_not_by_a_few_hundred_searches(tmp_path: Path) -> None:
    """A search request makes 2-5 queries: 400 URLs cycled make more than a thousand, which a count of 512 evicted
    before any came round again. The default keeps them all (16 MB: about 2 KB a search)."""
    backend = create_backend(directory=tmp_path)
    assert isinstance(backend, EmbeddedBackend)
    await backend.upsert(INDEX, DOCS)
    for n in range(1200):
        await backend.search(INDEX, SearchQuery(filters=(Eq("quantity_canonical", n),), facets=("status",)))
    assert (len(backend._stats), len(backend._pages)) == (1200, 1200)
    assert backend._stats.held <= embedded.STATS_CACHE_BYTES // 2
    await backend.close()


def test_kept_entries_are_bounded_by_count_and_by_bytes_oldest_out_first() -> None:
    kept: embedded._Kept[str] = embedded._Kept(entries=3, budget=100)
    for key, size in (("a", 30), ("b", 30), ("c", 30)):
        kept.put((key,), key.upper(), size)
    assert kept.get(("a",)) == "A"  # now the most recently used
    kept.put(("d",), "D", 30)  # over the count: "b" goes
    assert [kept.get((k,)) for k in "abcd"] == ["A", None, "C", "D"]
    kept.put(("e",), "E", 60)  # over the bytes: the two least recently used go ("a" then "c")
    assert [kept.get((k,)) for k in "abcde"] == [None, None, None, "D", "E"]
    assert (len(kept), kept.held) == (2, 90)
    kept.put(("d",), "D2", 10)  # replacing an entry counts its new size only
    assert (kept.get(("d",)), kept.held) == ("D2", 70)
    kept.put(("huge",), "H", 101)  # larger than the whole budget: not kept, nothing evicted
    assert (len(kept), kept.get(("huge",))) == (2, None)
    off: embedded._Kept[str] = embedded._Kept(entries=0, budget=100)
    off.put(("a",), "A", 1)
    assert len(off) == 0


def test_stored_documents_read_back_whatever_memlevel_wrote_them() -> None:
    """The codec writes with memLevel 8 (its state copied per document is half the size of 9's); rows written before
    with memLevel 9 read back the same, and so do its own."""
    zdict = json.dumps(DOCS[:3]).encode()[-4096:]
    codec = DocCodec(zdict)
    for doc in DOCS:
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        older = zlib.compressobj(6, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
        written_before = older.compress(text.encode()) + older.flush()
        assert codec.load(written_before) == doc
        assert codec.load(codec.encode(text)) == doc
        assert codec.decode(codec.encode(text)) == text
    assert COMPRESS_MEMLEVEL == 8
