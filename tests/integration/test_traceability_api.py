"""A lot's answer over HTTP (``GET /api/v1/lots/{ref}``) and on the command line (``forestmatch lot``, ``dds``)."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from app.accounts import services as accounts
from app.cli import main
from app.cli.traceability import dds_paths
from app.imports.services import import_document
from app.validation import FieldErrors
from app.web.render import label
from tests.factories import PASSWORD, api_token, csrf_token, make_user, sign_in
from tests.integration.test_traceability_import import trace_doc
from tests.integration.test_traceability_services import LOT_1


async def test_api_lot_answers_signed_in_users(client) -> None:
    await import_document(trace_doc())
    staff = await make_user("staff")
    response = await client.get("/api/v1/lots/lot-1", headers=await api_token(staff))
    assert response.status_code == 200
    assert response.json() == LOT_1
    buyer = await make_user("buyer")
    response = await client.get("/api/v1/lots/lot-1", headers=await api_token(buyer))
    assert response.status_code == 200
    assert response.json() == LOT_1  # no smallholder name in these messages: the public summary reads the same


async def test_api_lot_unknown_and_anonymous(client) -> None:
    buyer = await make_user("buyer")
    response = await client.get("/api/v1/lots/no-such-lot", headers=await api_token(buyer))
    assert response.status_code == 404
    response = await client.get("/api/v1/lots/no-such-lot")
    assert response.status_code == 401


async def _main(*args: str) -> int:
    # main() runs its own event loop (asyncio.run): give it a thread of its own.
    return await anyio.to_thread.run_sync(main, list(args))


async def test_cli_lot_json_prints_the_answer(clean_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    await import_document(trace_doc())
    assert await _main("lot", "lot-1", "--json", "--lang", "en") == 0
    assert json.loads(capsys.readouterr().out) == LOT_1
    assert await _main("lot", "no-such-lot", "--json", "--lang", "en") == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "No lot with ref 'no-such-lot'.\n")


async def test_cli_dds_writes_the_file_or_refuses(
    clean_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await import_document(trace_doc())
    out = tmp_path / "lot-1.geojson"
    assert await _main("dds", "lot-1", "-o", str(out), "--lang", "en") == 0
    assert capsys.readouterr().out == f"{out}\n"
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    assert [f["properties"]["ProducerName"] for f in doc["features"]] == ["Maria Souza", "A-002"]

    refused = tmp_path / "lot-2.geojson"
    assert await _main("dds", "lot-2", "-o", str(refused), "--lang", "en") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "error\tNO_ORIGIN\tdel-3\tThe delivery names no member or no plot.",
        "dds refused: lot lot-2 has 1 error check; fix it and try again. Nothing was written.",
    ]
    assert not refused.exists()


def test_split_files_are_numbered() -> None:
    out = Path("/tmp/dds/lot.geojson")
    assert dds_paths(out, 1) == [out]
    assert dds_paths(out, 3) == [
        Path("/tmp/dds/lot-1.geojson"),
        Path("/tmp/dds/lot-2.geojson"),
        Path("/tmp/dds/lot-3.geojson"),
    ]


async def test_collector_is_an_organisation_kind(clean_db: str) -> None:
    await import_document(trace_doc())
    assert label("org_kind", "collector") == "Collector (dealer, collection point, processor)"
    member = await accounts.create_user(
        email="weigher@example.org", password=PASSWORD, role="producer", organization_ref="usina-rio"
    )
    assert (member.organization_ref, member.organization_kind) == ("usina-rio", "collector")
    with pytest.raises(FieldErrors) as caught:
        await accounts.create_user(
            email="buyer@example.org", password=PASSWORD, role="buyer", organization_ref="usina-rio"
        )
    assert caught.value.errors == {"role": "This role does not fit the organisation's kind."}


async def test_cli_lot_report_in_words(clean_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    await import_document(trace_doc())
    assert await _main("lot", "lot-1", "--lang", "en") == 0
    assert capsys.readouterr().out.splitlines() == [
        "lot lot-1 (usina-rio, tsr, 460.0 kg dry): FSC Mix 68 %; EUDR ready: yes",
        "2 members, 2 plots, 2 deliveries",
        f"  warning\tMEMBER_NOT_CERTIFIED\tm-2\t{LOT_1['checks'][0]['message']}",
    ]


async def test_staff_preview_and_api_import_count_the_traceability_sections(client) -> None:
    staff = await make_user("staff")
    response = await client.post("/api/v1/import", json=trace_doc(), headers=await api_token(staff))
    assert response.status_code == 200
    assert response.json()["created"] == {
        "organizations": 2,
        "certificates": 1,
        "offers": 0,
        "requests": 0,
        "members": 2,
        "plots": 2,
        "deliveries": 3,
        "lots": 2,
    }
    await sign_in(client, staff)
    page = await client.post(
        "/staff/import",
        files={"document": ("trace.json", json.dumps(trace_doc()).encode(), "application/json")},
        data={"action": "preview", "_csrf_token": csrf_token(client)},
    )
    assert page.status_code == 200
    assert (
        "organizations: 2, certificates: 1, offers: 0, requests: 0, members: 2, plots: 2, deliveries: 3, lots: 2"
        in page.text
    )
