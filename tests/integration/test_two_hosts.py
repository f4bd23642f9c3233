"""Several hosts on PostgreSQL alone: two ``forestmatch serve`` processes with var folders of their own over one
PostgreSQL database share the search index (the PostgreSQL backend, chosen because the database is PostgreSQL).

An offer created through host A's API (as a producer) is found by host B's search API within a few seconds, and one
created through host B by host A's. Each host runs its own outbox worker; whichever claims a row writes the shared
index, so neither host misses the other's changes (with the embedded index, one of them would).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from app.accounts.services import create_api_token
from tests.factories import make_certificate, make_user, offer_data
from tests.server import AppServer

#: Bound for a change made on one host to show in the other's search (the workers poll every second or so).
VISIBLE_WITHIN_S = 10.0


async def _search(host: AppServer, text: str) -> list[str]:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{host.url}/api/v1/search/offers", params={"q": text})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["degraded"] is False  # answered by the search index, not the database fallback
    return [item["ref"] for item in body["items"]]


async def _found_within(host: AppServer, text: str, expected: list[str]) -> tuple[bool, list[str]]:
    started = time.monotonic()
    seen: list[str] = []
    while time.monotonic() - started < VISIBLE_WITHIN_S:
        seen = await _search(host, text)
        if seen == expected:
            return True, seen
        await asyncio.sleep(0.2)
    return False, seen


async def _create(host: AppServer, headers: dict[str, str], data: dict[str, object]) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{host.url}/api/v1/offers", json=data, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["ref"])


@pytest.mark.postgres
async def test_an_offer_made_on_one_host_is_found_on_the_other(db: str, db_url: str, tmp_path: Path) -> None:
    if db != "postgres":
        pytest.skip("several hosts share one PostgreSQL database (with SQLite there is one host and its file)")
    producer = await make_user("producer", email="two-hosts@example.org")
    cert = await make_certificate(producer)
    token = await create_api_token(producer, "two hosts")
    headers = {"Authorization": f"Bearer {token}"}
    # Each host runs its outbox worker; the index tables get a name no other test uses.
    env = {"FORESTMATCH_SYNC_IN_APP": "true", "FORESTMATCH_MEILI_INDEX_PREFIX": f"hosts{time.time_ns() % 10**8}"}
    with (
        AppServer(db_url, tmp_path / "host-a", extra_env=env) as a,
        AppServer(db_url, tmp_path / "host-b", extra_env=env) as b,
    ):
        assert await _search(a, "chicozapote") == [] and await _search(b, "chicozapote") == []
        ref_a = await _create(a, headers, offer_data(cert["ref"], title="Chicozapote aserrado de Quintana Roo"))
        found, seen = await _found_within(b, "chicozapote", [ref_a])
        assert found, f"host B never found host A's offer {ref_a} (last answer {seen})"

        ref_b = await _create(b, headers, offer_data(cert["ref"], title="Tzalam en tablas"))
        found, seen = await _found_within(a, "tzalam", [ref_b])
        assert found, f"host A never found host B's offer {ref_b} (last answer {seen})"
        assert await _search(b, "tzalam") == [ref_b]
        assert await _search(a, "chicozapote") == [ref_a]
        # Neither host keeps an index file of its own.
        assert not list((tmp_path / "host-a").glob("search/*.sqlite3"))
        assert not list((tmp_path / "host-b").glob("search/*.sqlite3"))
