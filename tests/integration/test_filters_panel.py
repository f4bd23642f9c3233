"""The offer list and the search page put a "Filters" control before the results (a <details>, so it opens with
JavaScript off): closed while the filters are fine, open when one of them was refused."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from app.indexing.sync import drain
from app.worker import get_backend
from tests.factories import make_certificate, make_offer, make_user, sign_in

PANEL = re.compile(
    r'<details class="filters-panel[^"]*" data-testid="filters-panel"( open)?>\s*<summary[^>]*>([^<]*)</summary>'
)


@pytest.fixture(name="spanish")
async def fx_spanish(client: AsyncTestClient) -> AsyncTestClient:
    producer = await make_user("producer", org_name="Ejido Noh Bec")
    await make_offer(producer, (await make_certificate(producer))["ref"], title="Tablas de caoba")
    backend = get_backend()
    await backend.ensure_index("offers")
    await backend.rebuild("offers", [])
    await drain(backend)
    client.cookies.set("fm_lang", "es_MX")
    return client


@pytest.mark.parametrize(
    ("path", "results"), [("/offers", 'data-testid="offer-results"'), ("/search", 'data-testid="search-results"')]
)
async def test_filters_control_comes_before_the_results(spanish: AsyncTestClient, path: str, results: str) -> None:
    page = (await spanish.get(path)).text
    panel = PANEL.search(page)
    assert panel is not None and panel.groups() == (None, "Filtros")
    assert panel.start() < page.index(results) < page.index('data-testid="results-count"')
    assert page.count('data-testid="filters-panel"') == 1


@pytest.mark.parametrize("path", ["/offers?country=ZZZ", "/search?within_km=lejos"])
async def test_filters_panel_opens_on_a_refused_filter(spanish: AsyncTestClient, path: str) -> None:
    page = (await spanish.get(path)).text
    panel = PANEL.search(page)
    assert panel is not None and panel.groups() == (" open", "Filtros")
    assert 'aria-invalid="true"' in page[panel.end() :]


async def test_staff_figures_filters_come_first_and_open_on_a_refused_filter(spanish: AsyncTestClient) -> None:
    await sign_in(spanish, await make_user("staff"))
    spanish.cookies.set("fm_lang", "es_MX")
    page = (await spanish.get("/staff/analytics")).text
    panel = PANEL.search(page)
    assert panel is not None and panel.groups() == (None, "Filtros")
    assert panel.start() < page.index('data-testid="analytics-results"')
    refused = (await spanish.get("/staff/analytics?date_from=ayer")).text
    panel = PANEL.search(refused)
    assert panel is not None and panel.groups() == (" open", "Filtros")
