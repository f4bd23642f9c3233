"""The ``backend`` fixture: every contract test runs on the embedded backend and, when FORESTMATCH_MEILI_URL points
at a Meilisearch server, on Meilisearch too. Each test gets its own index names (a unique prefix)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from search_index import SearchBackend, create_backend


@pytest.fixture(name="backend", params=["embedded", "meilisearch"])
async def fx_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchBackend]:
    """A backend with an empty, uniquely named ``offers`` index."""
    prefix = f"fmtest_{secrets.token_hex(4)}"
    if request.param == "meilisearch":
        url = os.environ.get("FORESTMATCH_MEILI_URL", "")
        if not url:
            pytest.skip("FORESTMATCH_MEILI_URL not set")
        backend = create_backend(
            meili_url=url, meili_key=os.environ.get("FORESTMATCH_MEILI_KEY", ""), prefix=prefix, directory=tmp_path
        )
    else:
        backend = create_backend(prefix=prefix, directory=tmp_path)
    assert backend.name == request.param
    await backend.ensure_index("offers")
    try:
        yield backend
    finally:
        await backend.drop_index("offers")  # type: ignore[attr-defined]
        await backend.close()
