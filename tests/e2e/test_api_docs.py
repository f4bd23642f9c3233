"""The API documentation page works in a real browser under the site's Content-Security-Policy.

Before, ``/schema/swagger`` asked a CDN for Swagger UI and started it with an inline script; the CSP refused both
and the page stayed blank. Now every asset is ours: the page lists the operations, the browser reports no refused
load or script, and nothing is requested from another origin."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import NewPage
from tests.server import AppServer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
async def test_swagger_ui_renders_with_nothing_refused(
    new_page: NewPage, live: AppServer, shots: Path, path: str
) -> None:
    page = await new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: None if request.url.startswith(live.url) else elsewhere.append(request.url))
    response = await page.goto(path)
    assert response is not None and response.status == 200
    # Rendered from the schema by Swagger UI (the operation's tag and id may change; its path does not).
    me = page.locator('.opblock-summary-path[data-path="/api/v1/me"]')
    await me.wait_for()
    assert await me.inner_text() == "/api/v1/me"
    assert errors == []
    assert elsewhere == []
    await page.screenshot(path=str(shots / f"api-docs{path.replace('/', '-')}.png"))
