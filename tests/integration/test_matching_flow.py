"""The partner flow: import a document, then ask for matches (CLI and API), with the search index in step."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.imports.services import import_document
from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain, pending
from app.matching.services import compute_matches
from app.matching.tables import Match, MatchBundle
from app.offers.tables import Offer
from tests.factories import api_token, make_user
from tests.integration.test_import import d, sample_doc
from tests.search_backends import own_backend


def matching_doc() -> dict[str, Any]:
    """The sample document plus a second producer, a too-far producer, a suspended certificate and a big request."""
    doc = sample_doc()
    doc["organizations"] += [
        {
            "ref": "ejido-la-victoria",
            "name": "Ejido La Victoria",
            "kind": "producer",
            "country": "MX",
            "region": "MX-DUR",
            "lat": 24.6,
            "lon": -105.1,
        },
        {
            "ref": "far-away",
            "name": "Far Away Coop",
            "kind": "producer",
            "country": "BR",
            "region": "BR-AC",
            "lat": -9.97,
            "lon": -67.81,
        },
    ]
    doc["certificates"] += [
        {
            "ref": "cert-2",
            "organization": "ejido-la-victoria",
            "code": "NC-FM/COC-012345",
            "scope": "FM/COC",
            "status": "valid",
            "expires_on": d(900),
            "product_types": ["sawn_timber"],
        },
        {
            "ref": "cert-3",
            "organization": "far-away",
            "code": "CU-FM/COC-123456",
            "scope": "FM/COC",
            "status": "valid",
            "expires_on": d(900),
            "product_types": ["sawn_timber"],
        },
    ]
    base = doc["offers"][0]
    doc["offers"] += [
        dict(
            base,
            ref="offer-2",
            organization="ejido-la-victoria",
            certificate="cert-2",
            quantity=200,
            lat=24.6,
            lon=-105.1,
            claim="FSC Mix",
        ),
        dict(base, ref="offer-far", organization="far-away", certificate="cert-3", quantity=500, lat=-9.97, lon=-67.81),
        dict(base, ref="offer-cw", claim="FSC Controlled Wood"),
    ]
    return doc


@pytest.fixture(name="backend")
async def fx_backend(clean_db: str, tmp_path: Path):
    backend = own_backend(tmp_path)
    await backend.ensure_index(OFFERS_INDEX)
    yield backend
    await backend.close()


async def test_recommendations_and_bundle_after_import(backend) -> None:
    await import_document(matching_doc())
    assert await drain(backend) > 0
    assert await pending() == 0
    answer = (await compute_matches("req-1", backend, locale="en")).as_json()
    # offer-far is beyond 1500 km, offer-cw's claim is not accepted: neither may appear.
    assert {m["offer"] for m in answer["matches"]} == {"offer-1", "offer-2"}
    assert all(0 <= m["score"] <= 1 for m in answer["matches"])
    # 300 m3 needed, 120 + 200 available from two producers: one bundle of both.
    assert [sorted(b["offers"]) for b in answer["bundles"]] == [["offer-1", "offer-2"]]
    assert answer["bundles"][0]["total_quantity"] == 320
    assert await Match.count() == 2
    assert await MatchBundle.count() == 1


async def test_suspended_certificate_stops_matching_after_sync(backend) -> None:
    doc = matching_doc()
    await import_document(doc)
    await drain(backend)
    changed = copy.deepcopy(doc)
    changed["certificates"][1]["status"] = "suspended"
    await import_document(changed)
    await drain(backend)
    answer = (await compute_matches("req-1", backend, locale="en")).as_json()
    assert [m["offer"] for m in answer["matches"]] == ["offer-1"]
    assert answer["bundles"] == []
    statuses = {r["offer"]: r["status"] for r in await Match.select(Match.offer.ref.as_alias("offer"), Match.status)}
    assert statuses == {"offer-1": "recommended"}


async def test_stale_index_cannot_produce_a_violation(backend) -> None:
    doc = matching_doc()
    await import_document(doc)
    await drain(backend)
    changed = copy.deepcopy(doc)
    changed["offers"][1]["status"] = "paused"  # offer-2 paused, but the index is not told yet
    await import_document(changed)
    answer = (await compute_matches("req-1", backend, locale="en")).as_json()
    assert [m["offer"] for m in answer["matches"]] == ["offer-1"]


async def test_api_matches_for_owner_only(client, tmp_path: Path) -> None:
    from app.worker import get_backend

    await import_document(matching_doc())
    await get_backend().ensure_index(OFFERS_INDEX)
    await drain(get_backend())  # what the app's sync worker does after the import
    staff = await make_user("staff")
    other_buyer = await make_user("buyer")
    response = await client.get("/api/v1/requests/req-1/matches", headers=await api_token(staff))
    assert response.status_code == 200
    assert response.json()["request"] == "req-1"
    assert {m["offer"] for m in response.json()["matches"]} == {"offer-1", "offer-2"}
    response = await client.get("/api/v1/requests/req-1/matches", headers=await api_token(other_buyer))
    assert response.status_code == 404


def _cli(db_url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORESTMATCH_DATABASE_URL": db_url, "FORESTMATCH_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env, timeout=180, check=False
    )


async def test_cli_import_then_matches_json(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(matching_doc()))
    var_dir = tmp_path / "var"
    if db_url.startswith("sqlite"):
        await Offer.raw("DROP TABLE IF EXISTS sqlite_stat1")  # whatever an earlier test analysed
    result = _cli(db_url, var_dir, "import", str(path))
    assert result.returncode == 0, result.stderr
    if db_url.startswith("sqlite"):  # a bulk import leaves planner statistics behind (PostgreSQL keeps its own)
        assert {"offer", "sourcing_request"} <= {r["tbl"] for r in await Offer.raw("SELECT tbl FROM sqlite_stat1")}
    result = _cli(db_url, var_dir, "matches", "req-1", "--json", "--lang", "en")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["request"] == "req-1"
    assert {m["offer"] for m in answer["matches"]} == {"offer-1", "offer-2"}
    assert set(answer["matches"][0]) == {"offer", "organization", "score", "quantity", "unit", "distance_km", "reasons"}
    assert [sorted(b["offers"]) for b in answer["bundles"]] == [["offer-1", "offer-2"]]
    result = _cli(db_url, var_dir, "matches", "no-such-request", "--json")
    assert result.returncode == 1
