"""Real-browser fixtures: Debian's Chromium driven by Playwright against the app served in a subprocess.

The journeys run once, on SQLite: the server subprocess and the test process share one database file
(``db`` / ``clean_db`` from tests/conftest.py), so data made with tests/factories.py is what the browser
sees, and what the browser writes is checked in the database afterwards.

Without /usr/bin/chromium (or FORESTMATCH_CHROMIUM) every test here is skipped with a reason, unless
FORESTMATCH_REQUIRE_BROWSER is set (CI with a browser), where a missing browser is a failure. The playwright
package itself is a test dependency; ``playwright install`` is never needed. Screenshots go to /tmp/fm-shots
(or FORESTMATCH_E2E_SHOTS).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server import AppServer

CHROMIUM = Path(os.environ.get("FORESTMATCH_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium stalls on a closed network (see STACK_NOTES.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: How long an action, a navigation or an ``expect`` waits: a bound, not a speed target (a form answer took over 5 s
#: on a machine at load 14; a healthy one takes milliseconds, and a missing element still fails, only later).
TIMEOUT_MS = 15_000
SHOTS = Path(os.environ.get("FORESTMATCH_E2E_SHOTS", "/tmp/fm-shots"))


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium); browser journeys skipped"
    return None


@pytest.fixture(name="chromium_path", scope="session")
def fx_chromium_path() -> Path:
    """The browser binary, or a skip (a failure when FORESTMATCH_REQUIRE_BROWSER is set)."""
    reason = _browser_missing()
    if reason and os.environ.get("FORESTMATCH_REQUIRE_BROWSER"):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(name="browser", scope="session")
async def fx_browser(chromium_path: Path) -> AsyncIterator[Any]:
    """One headless Chromium for the session; every test gets a fresh context (cookies, storage)."""
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=TIMEOUT_MS)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture(name="app_server", scope="module")
def fx_app_server(chromium_path: Path, db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The real app (``forestmatch serve``) over the session's SQLite test database, one per module."""
    if db != "sqlite":
        pytest.skip("browser journeys run once, on SQLite (the services are covered on PostgreSQL elsewhere)")
    with AppServer(os.environ["FORESTMATCH_TEST_ACTIVE_DB_URL"], tmp_path_factory.mktemp("e2e-server")) as server:
        yield server


@pytest.fixture(name="live")
def fx_live(app_server: AppServer, db_url: str) -> AppServer:
    """The running server, with the database emptied for this test (``db_url`` goes through ``clean_db``)."""
    assert db_url.startswith("sqlite"), db_url  # app_server already skipped every other engine
    return app_server


NewPage = Callable[..., Awaitable[Any]]


@pytest.fixture(name="shots", scope="session")
def fx_shots() -> Path:
    """Where screenshots go (phone-width captures, and the pages of a failed test)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture(name="new_page")
async def fx_new_page(
    browser: Any, live: AppServer, shots: Path, request: pytest.FixtureRequest
) -> AsyncIterator[NewPage]:
    """Open a page in a fresh browser context: ``await new_page(java_script_enabled=False, viewport=...)``.

    Uncaught script errors on any page fail the test; a failing test leaves a screenshot in ``shots`` and the
    server log's tail in the report.
    """
    contexts: list[Any] = []
    pages: list[Any] = []
    script_errors: list[str] = []

    async def open_page(**context_options: Any) -> Any:
        context = await browser.new_context(base_url=live.url, locale="en-GB", **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = await context.new_page()
        page.on("pageerror", lambda exc: script_errors.append(f"{page.url}: {exc}"))
        contexts.append(context)
        pages.append(page)
        return page

    yield open_page

    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for i, page in enumerate(pages):
            try:
                await page.screenshot(path=str(shots / f"failed-{name}-{i}.png"), full_page=True)
            except Exception:  # noqa: BLE001 - a screenshot is a courtesy; the real failure is already reported
                pass
        log = live.log.read_text(errors="replace").splitlines()[-40:]
        request.node.add_report_section("teardown", "server log (tail)", "\n".join(log))
    for context in contexts:
        await context.close()
    if script_errors:
        pytest.fail("script errors in the page:\n" + "\n".join(script_errors))


@pytest.fixture(name="page")
async def fx_page(new_page: NewPage) -> Any:
    """A page with JavaScript on, at a desk-sized viewport."""
    return await new_page(viewport={"width": 1280, "height": 900})


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Keep each phase's report on the item so fixtures can tell, at teardown, whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
