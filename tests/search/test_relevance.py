"""The relevance set: queries in Spanish, English and Portuguese with the offers that must come first, on generated
documents (``relevance_data``), on every backend the contract fixture gives.

Expected results follow the ranking rules (sort, words, typo, proximity, attribute, exactness, then recency), never
one backend's bm25: where several offers tie on the rules, the case lists them as a set (``first``), and decoys that a
worse ranking would put above them stand in the data (a typo word in a title, a prefix-only match, "para" in prose).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from search_index import SearchBackend, SearchQuery, create_backend
from tests.search.relevance_data import documents

INDEX = "offers"


@dataclass(frozen=True)
class Case:
    query: str
    #: The first hits, in this order.
    top: tuple[str, ...] = ()
    #: The first len(first) hits, in any order (they tie on the ranking rules).
    first: frozenset[str] = frozenset()
    #: Hits that must come after every id of ``top``/``first`` (or be absent).
    below: tuple[str, ...] = ()
    #: Why a backend is left out (Meilisearch requires every query word, stop words too).
    embedded_only: str = ""


def case(query: str, *top: str, first: set[str] | None = None, below: tuple[str, ...] = (), only: str = "") -> Case:
    return Case(query, tuple(top), frozenset(first or ()), below, only)


CAOBA = {"mx-caoba-roo", "mx-caoba-cam", "gt-caoba-pet", "hn-caoba-gd", "br-mogno-pa", "pe-caoba-mdd"}
HULE = {"mx-hule-ver", "mx-hule-oax", "mx-hule-chp", "br-hule-pa", "br-hule-ac", "br-hule-ro", "br-hule-am"}
CEDRO = {"mx-cedro-ver", "mx-cedro-roo", "br-cedro-am"}
PINUS = {"mx-pino-dur", "mx-pino-chh", "mx-pino-oax", "mx-astillas-dur", "hn-pino-ol"}
STOP_WORD_IN_PLACE = "'para' is optional and counts in place names only in the embedded backend"

CASES: list[Case] = [
    # --- species: common names (es, en, pt) and scientific names --------------------------------------------------
    case("caoba", first=CAOBA),
    case("mahogany", first=CAOBA),
    case("mogno", first=CAOBA),
    case("Swietenia macrophylla", first=CAOBA),
    case("cedro", first=CEDRO, below=("mx-encino-oax",)),
    case("spanish cedar", first=CEDRO),
    case("cedro-rosa", first=CEDRO),
    case("hule", first=HULE),
    case("seringueira", first=HULE),
    case("rubber tree", first=HULE),
    case("hevea", first=HULE),
    case("pinus", first=PINUS),
    case("encino", first={"mx-encino-mic", "mx-encino-oax"}),
    case("carvalho", first={"mx-encino-mic", "mx-encino-oax"}),
    case("quercus rugosa", first={"mx-encino-mic", "mx-encino-oax"}),
    case("sapodilla", "mx-chicozapote-roo"),
    case("breadnut", "mx-ramon-cam"),
    case("ramon", "mx-ramon-cam"),
    case("jatobá", "br-jatoba-pa"),
    case("guapinol", "br-jatoba-pa"),
    case("cumaru", first={"br-cumaru-pa", "pe-cumaru-mdd"}),
    case("dipteryx odorata", first={"br-cumaru-pa", "pe-cumaru-mdd"}),
    case("amburana", "bo-roble-s"),
    case("cerejeira", "bo-roble-s"),
    case("castanheira", first={"br-castanheira-ac", "bo-castana-n"}),
    case("guanandi", "br-guanandi-mt"),
    case("tornillo", "pe-tornillo-uca"),
    # --- typos: never above an exact word; fewer typos first ------------------------------------------------------
    case("caova", first=CAOBA, below=("mx-encino-oax", "mx-encino-mic")),  # oak: "carva", a prefix of "carvalho"
    case("mahogani", first=CAOBA),
    case("seringeira", first=HULE),
    case("jatova", "br-jatoba-pa"),
    case("tornilo", "pe-tornillo-uca"),
    case("guanadi", "br-guanandi-mt"),
    case("chicosapote", "mx-chicozapote-roo"),
    case("cdero", first=CEDRO, below=("mx-encino-oax",)),  # a first-letter-kept transposition: one typo
    # --- prefixes and exactness -----------------------------------------------------------------------------------
    case("caob", first=CAOBA),
    case("mahog", first=CAOBA),
    case("pino", first={"mx-pino-dur", "mx-pino-chh", "mx-pino-oax", "mx-astillas-dur"}, below=("mx-encino-oax",)),
    # --- proximity: words standing together first ----------------------------------------------------------------
    case("pino real", "mx-pino-chh", below=("mx-pino-dur",)),
    case("cedro rojo", "mx-cedro-ver"),
    case("mahogany boards", "hn-caoba-gd"),
    case("caoba aserrada", "gt-caoba-pet"),
    case(
        "madera en rollo",
        first={
            "mx-caoba-cam",
            "mx-pino-oax",
            "mx-chicozapote-roo",
            "mx-ramon-cam",
            "br-cedro-am",
            "br-castanheira-ac",
            "bo-castana-n",
        },
    ),
    # --- places: state, province, locality, country; es/en/pt, with and without accents ---------------------------
    case("caoba quintana roo", "mx-caoba-roo"),
    case("cedro veracruz", "mx-cedro-ver"),
    case("hule veracruz", "mx-hule-ver"),
    case("hule oaxaca", "mx-hule-oax"),
    case("michoacan", "mx-encino-mic"),
    case("carbón michoacán", "mx-encino-mic"),
    case("rondonia", "br-hule-ro"),
    case("peten", "gt-caoba-pet"),
    case("yucatán", "mx-tzalam-yuc"),
    case("mahogany honduras", "hn-caoba-gd"),
    case("pine mexico", first={"mx-pino-dur", "mx-pino-chh", "mx-pino-oax", "mx-astillas-dur"}),
    case("pino méxico", first={"mx-pino-dur", "mx-pino-chh", "mx-pino-oax", "mx-astillas-dur"}),
    case("caoba peru", "pe-caoba-mdd"),
    case("mogno brasil", "br-mogno-pa"),
    case("madre de dios", first={"pe-caoba-mdd", "pe-cumaru-mdd"}),
    case("cumaru madre de dios", "pe-cumaru-mdd"),
    case("xapuri", "br-hule-ac"),
    case("santiago papasquiaro", "mx-pino-dur"),
    case("ixtlan", "mx-pino-oax"),
    case("pucallpa", "pe-tornillo-uca"),
    case("noh bec", "mx-caoba-roo"),
    case("seringueira pará", "br-hule-pa"),
    case("latex para", "br-hule-pa", below=("br-hule-ac",), only=STOP_WORD_IN_PLACE),
    case("hule pará", "br-hule-pa", below=("br-hule-ac",), only=STOP_WORD_IN_PLACE),
    case("hule para", "br-hule-pa", below=("br-hule-ac",), only=STOP_WORD_IN_PLACE),
    case("mogno para", "br-mogno-pa", only=STOP_WORD_IN_PLACE),
    case("madera para construccion", first={"mx-pino-dur", "mx-caoba-cam", "hn-pino-ol"}, only=STOP_WORD_IN_PLACE),
    # --- products: by type and by what they are (category), in each language -------------------------------------
    case("charcoal", "mx-encino-mic"),
    case("carvão", "mx-encino-mic"),
    case("leña", "mx-encino-oax"),
    case("astillas", "mx-astillas-dur"),
    case("cup lump", first={"mx-hule-chp", "br-hule-ac"}),
    case("cernambi", first={"br-hule-ac", "mx-hule-chp"}),
    case("láminas ahumadas", "mx-hule-ver"),
    case("latex concentrate", "br-hule-am"),
    case("látex concentrado", "br-hule-am"),
    case("crepe", "br-hule-ro"),
    case("latex", first=HULE),
    case("madeira serrada", first={"br-mogno-pa", "br-guanandi-mt"}),
    case("timber oaxaca", first={"mx-pino-oax", "mx-encino-oax"}),
    case("machiche", "mx-machiche-new", "mx-machiche-old"),  # same text: the newer first
]


def test_the_set_is_large_and_in_three_languages() -> None:
    assert len(CASES) >= 60
    assert len({c.query for c in CASES}) == len(CASES)
    ids = {d["id"] for d in documents()}
    for c in CASES:
        assert c.top or c.first, c.query
        assert set(c.top) | c.first | set(c.below) <= ids, c.query


@pytest.fixture(
    name="relevance_backend",
    scope="module",
    params=["embedded", pytest.param("postgresql", marks=pytest.mark.postgres), "meilisearch"],
)
async def fx_relevance_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SearchBackend]:
    """One index of the generated documents per backend (as the contract fixture chooses them), for every case."""
    prefix = f"fmrel_{secrets.token_hex(4)}"
    directory: Path = tmp_path_factory.mktemp("relevance")
    if request.param == "postgresql":
        url = request.getfixturevalue("search_pg_url")
        backend = create_backend(prefix=prefix, directory=directory, database_url=url)
    elif request.param == "meilisearch":
        url = os.environ.get("FORESTMATCH_MEILI_URL", "")
        if not url:
            pytest.skip("FORESTMATCH_MEILI_URL not set")
        backend = create_backend(
            meili_url=url, meili_key=os.environ.get("FORESTMATCH_MEILI_KEY", ""), prefix=prefix, directory=directory
        )
    else:
        backend = create_backend(prefix=prefix, directory=directory)
    assert backend.name == request.param
    await backend.ensure_index(INDEX)
    await backend.upsert(INDEX, documents())
    try:
        yield backend
    finally:
        await backend.drop_index(INDEX)  # type: ignore[attr-defined]
        await backend.close()


@pytest.mark.parametrize("c", CASES, ids=[c.query for c in CASES])
async def test_relevance(relevance_backend: SearchBackend, c: Case) -> None:
    if c.embedded_only and relevance_backend.name != "embedded":
        pytest.skip(c.embedded_only)
    result = await relevance_backend.search(INDEX, SearchQuery(c.query, per_page=50))
    hits = [h.id for h in result.hits]
    head = len(c.top) + len(c.first)
    assert hits[: len(c.top)] == list(c.top), (c.query, hits)
    assert set(hits[len(c.top) : head]) == set(c.first), (c.query, hits)
    for late in c.below:
        assert late not in hits[:head], (c.query, hits)


@pytest.mark.parametrize("text", ["caoba", "caova", "hule para", "madera en rollo", "pino", "latex"])
async def test_pages_follow_the_same_order(relevance_backend: SearchBackend, text: str) -> None:
    """Later pages (ranked directly, with the total already counted) continue the first page's order."""
    whole = [h.id for h in (await relevance_backend.search(INDEX, SearchQuery(text, per_page=50))).hits]
    paged: list[str] = []
    for page in range(1, 20):
        hits = (await relevance_backend.search(INDEX, SearchQuery(text, page=page, per_page=3))).hits
        paged += [h.id for h in hits]
        if not hits:
            break
    assert paged == whole
    assert len(whole) >= 4
