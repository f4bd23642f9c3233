"""The PostgreSQL backend's table layout: what a search reads for every matching row (the tsvector, the filter and
facet arrays) stays in the row, only the stored document goes out of line (TOAST); an index built by an earlier
layout is rebuilt from its stored documents by ``ensure_index``."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from search_index import SearchQuery, create_backend
from search_index.index_settings import load_index_settings
from search_index.postgres import META_TABLE, PostgresBackend
from tests.search.corpus import DOCS

pytestmark = pytest.mark.postgres

#: An offer as wide as the generated ones at scale (a 3.5 KB row): a description, several species and their names.
WIDE = {
    **DOCS[0],
    "id": "wide",
    "ref": "wide",
    "description": " ".join(f"Tablas aserradas de caoba, lote {i}, secadas al aire." for i in range(6)),
    "species": ["Swietenia macrophylla", "Cedrela odorata", "Hevea brasiliensis"],
    "species_keys": ["swietenia-macrophylla", "cedrela-odorata", "hevea-brasiliensis"],
    "species_names": ["caoba", "mahogany", "mogno", "cedro", "cedar", "hule", "rubber tree", "seringueira"],
    "country_names": ["México", "Mexico"],
    "region_names": ["Quintana Roo"],
    "organization_name": "Ejido Noh Bec, sociedad de producción rural",
}


@pytest.fixture(name="pg_backend")
async def fx_pg_backend(search_pg_url: str, tmp_path: Path) -> AsyncIterator[PostgresBackend]:
    backend = create_backend(prefix=f"fmtest_{secrets.token_hex(4)}", directory=tmp_path, database_url=search_pg_url)
    assert isinstance(backend, PostgresBackend)
    await backend.ensure_index("offers")
    try:
        yield backend
    finally:
        await backend.drop_index("offers")
        await backend.close()


async def _toasted_values(backend: PostgresBackend) -> int:
    """Values of the offers table stored out of line (one TOAST chunk_id each)."""
    conn = await asyncpg.connect(backend.dsn)
    try:
        toast = await conn.fetchval(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = $1::regclass",
            backend._layout("offers").docs,
        )
        return int(await conn.fetchval(f"SELECT count(DISTINCT chunk_id) FROM {toast}"))
    finally:
        await conn.close()


async def test_a_wide_offer_keeps_its_tsvector_and_arrays_in_the_row(pg_backend: PostgresBackend) -> None:
    await pg_backend.upsert("offers", [WIDE])
    # The document alone is out of line; with PostgreSQL's defaults the tsvector and species arrays were too.
    assert await _toasted_values(pg_backend) == 1
    result = await pg_backend.search("offers", SearchQuery(text="seringueira", facets=("species",)))
    assert [h.id for h in result.hits] == ["wide"]
    assert result.hits[0].document == WIDE
    assert result.facets["species"] == {"Cedrela odorata": 1, "Hevea brasiliensis": 1, "Swietenia macrophylla": 1}


async def test_an_index_of_the_previous_layout_is_rebuilt_with_its_documents(pg_backend: PostgresBackend) -> None:
    await pg_backend.upsert("offers", [WIDE, *DOCS[1:3]])
    layout = pg_backend._layout("offers")
    conn = await asyncpg.connect(pg_backend.dsn)
    try:
        # As the previous version recorded it: the settings' fingerprint alone, and default table options.
        await conn.execute(
            f"UPDATE {META_TABLE} SET fingerprint = $1 WHERE name = $2",
            load_index_settings("offers").fingerprint,
            layout.name,
        )
        await conn.execute(f"ALTER TABLE {layout.docs} RESET (toast_tuple_target)")
        await pg_backend.ensure_index("offers")
        options = await conn.fetchval("SELECT reloptions FROM pg_class WHERE oid = $1::regclass", layout.docs)
    finally:
        await conn.close()
    assert options == ["toast_tuple_target=3000"]
    assert await pg_backend.count("offers") == 3
    result = await pg_backend.search("offers", SearchQuery(text="seringueira"))
    assert [h.id for h in result.hits] == ["wide"]
