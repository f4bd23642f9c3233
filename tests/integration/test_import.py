"""Bulk import in the public format: all-or-nothing validation, idempotent re-import by ref, export round trip."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.certificates.tables import Certificate
from app.imports.services import ImportRejected, export_document, import_document
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from tests.factories import api_token, make_user

TODAY = dt.date.today()


def d(days: int) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


def sample_doc() -> dict[str, Any]:
    """The example of IMPORT_FORMAT.md, with dates moved relative to today."""
    return {
        "format": "forestmatch/1",
        "organizations": [
            {
                "ref": "ejido-san-pedro",
                "name": "Ejido San Pedro",
                "kind": "producer",
                "legal_form": "ejido",
                "country": "MX",
                "region": "MX-DUR",
                "locality": "Santiago Papasquiaro",
                "lat": 25.04,
                "lon": -105.42,
                "languages": ["es"],
                "contact_email": "ventas@example.org",
            },
            {
                "ref": "buyer-ref",
                "name": "Maderas de Occidente",
                "kind": "buyer",
                "legal_form": "company",
                "country": "MX",
                "region": "MX-JAL",
                "lat": 20.67,
                "lon": -103.35,
            },
        ],
        "certificates": [
            {
                "ref": "cert-1",
                "organization": "ejido-san-pedro",
                "code": "SCS-FM/COC-004512",
                "license_code": "FSC-C012345",
                "scope": "FM/COC",
                "status": "valid",
                "issued_on": d(-500),
                "expires_on": d(900),
                "product_types": ["roundwood", "sawn_timber"],
                "group": False,
            },
        ],
        "offers": [
            {
                "ref": "offer-1",
                "organization": "ejido-san-pedro",
                "certificate": "cert-1",
                "category": "timber",
                "product_type": "sawn_timber",
                "species": ["Pinus durangensis"],
                "title": "Kiln-dried pine boards, grade 2&Btr",
                "claim": "FSC 100%",
                "quantity": 120,
                "unit": "m3",
                "min_order": 20,
                "available_from": d(5),
                "available_to": d(200),
                "lat": 25.04,
                "lon": -105.42,
                "price": {"amount": "350.00", "currency": "USD", "per": "m3"},
                "incoterm": "FCA",
                "status": "active",
            },
        ],
        "requests": [
            {
                "ref": "req-1",
                "organization": "buyer-ref",
                "category": "timber",
                "product_types": ["sawn_timber"],
                "species": ["Pinus"],
                "accepted_claims": ["FSC 100%", "FSC Mix"],
                "quantity": 300,
                "unit": "m3",
                "min_per_supplier": 20,
                "partial_ok": True,
                "delivery": {"country": "MX", "region": "MX-JAL", "lat": 20.67, "lon": -103.35},
                "max_distance_km": 1500,
                "needed_from": d(30),
                "needed_by": d(120),
                "status": "open",
            },
        ],
    }


async def test_import_creates_every_record(clean_db: str) -> None:
    summary = await import_document(sample_doc())
    assert summary.created == {"organizations": 2, "certificates": 1, "offers": 1, "requests": 1}
    offer = (
        await Offer.select(
            Offer.quantity_canonical, Offer.price_amount, Offer.price_currency, Offer.certificate.code.as_alias("code")
        )
        .where(Offer.ref == "offer-1")
        .first()
    )
    assert offer["quantity_canonical"] == 120.0
    assert offer["price_amount"] == Decimal("350.00")
    assert offer["code"] == "SCS-FM/COC-004512"
    request = (
        await SourcingRequest.select(SourcingRequest.delivery_region, SourcingRequest.partial_ok)
        .where(SourcingRequest.ref == "req-1")
        .first()
    )
    assert request == {"delivery_region": "MX-JAL", "partial_ok": True}


async def test_reimport_changes_nothing_and_updates_changed_records(clean_db: str) -> None:
    await import_document(sample_doc())
    before = await Offer.select(Offer.updated_at).where(Offer.ref == "offer-1").first()
    again = await import_document(sample_doc())
    assert again.created == {"organizations": 0, "certificates": 0, "offers": 0, "requests": 0}
    assert again.updated == {"organizations": 0, "certificates": 0, "offers": 0, "requests": 0}
    assert again.unchanged == {"organizations": 2, "certificates": 1, "offers": 1, "requests": 1}
    assert (await Offer.select(Offer.updated_at).where(Offer.ref == "offer-1").first()) == before

    changed = sample_doc()
    changed["certificates"][0]["status"] = "suspended"
    changed["offers"][0]["quantity"] = 80
    summary = await import_document(changed)
    assert summary.updated == {"organizations": 0, "certificates": 1, "offers": 1, "requests": 0}
    cert = await Certificate.select(Certificate.status).where(Certificate.ref == "cert-1").first()
    assert cert == {"status": "suspended"}
    offer = await Offer.select(Offer.quantity_canonical).where(Offer.ref == "offer-1").first()
    assert offer == {"quantity_canonical": 80.0}
    assert await Offer.count() == 1


async def test_invalid_document_lists_every_problem_and_writes_nothing(clean_db: str) -> None:
    doc = sample_doc()
    doc["certificates"][0]["code"] = "ABC123"
    doc["offers"][0]["quantity"] = -5
    doc["offers"][0]["lat"] = 95
    doc["offers"].append(copy.deepcopy(doc["offers"][0]) | {"quantity": 10, "lat": 25.0})  # same ref again
    doc["requests"][0]["needed_by"] = d(10)  # before needed_from
    doc["requests"][0]["accepted_claims"] = ["FSC 200%"]
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    found = {(p.section, p.ref, p.field) for p in caught.value.problems}
    assert found == {
        ("certificates", "cert-1", "code"),
        ("offers", "offer-1", "quantity"),
        ("offers", "offer-1", "lat"),
        ("offers", "offer-1", "ref"),
        ("requests", "req-1", "needed_by"),
        ("requests", "req-1", "accepted_claims"),
    }
    from app.accounts.tables import Organization

    assert await Organization.count() == 0
    assert await Offer.count() == 0


async def test_reference_rules(clean_db: str) -> None:
    doc = sample_doc()
    doc["organizations"].append({"ref": "other", "name": "Comunidad Otra", "kind": "producer", "country": "MX"})
    doc["certificates"].append(
        {
            "ref": "cert-2",
            "organization": "other",
            "code": "NC-FM/COC-012345",
            "scope": "FM/COC",
            "status": "valid",
            "expires_on": d(400),
            "product_types": ["roundwood"],
        }
    )
    doc["offers"][0]["certificate"] = "cert-2"  # another organisation's certificate
    doc["offers"].append(
        dict(doc["offers"][0], ref="offer-2", organization="other", certificate="cert-2")
    )  # not covered
    doc["requests"][0]["organization"] = "ejido-san-pedro"  # a producer cannot post requests
    doc["requests"].append(dict(doc["requests"][0], ref="req-2", organization="nobody"))
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    found = {(p.section, p.ref, p.field) for p in caught.value.problems}
    assert found == {
        ("offers", "offer-1", "certificate"),
        ("offers", "offer-2", "product_type"),
        ("requests", "req-1", "organization"),
        ("requests", "req-2", "organization"),
    }


async def test_wrong_format_marker_is_rejected(clean_db: str) -> None:
    doc = sample_doc() | {"format": "forestmatch/2"}
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    assert [(p.section, p.field) for p in caught.value.problems] == [("document", "format")]


async def test_export_round_trips(clean_db: str) -> None:
    await import_document(sample_doc())
    exported = await export_document()
    assert [o["ref"] for o in exported["offers"]] == ["offer-1"]
    assert exported["offers"][0]["price"] == {"amount": "350.00", "currency": "USD", "per": "m3"}
    assert exported["requests"][0]["delivery"]["region"] == "MX-JAL"
    again = await import_document(exported)
    assert again.unchanged == {"organizations": 2, "certificates": 1, "offers": 1, "requests": 1}


async def test_api_import_is_staff_only(client) -> None:
    producer = await make_user("producer")
    response = await client.post("/api/v1/import", json=sample_doc(), headers=await api_token(producer))
    assert response.status_code == 403
    assert await Offer.count() == 0

    staff = await make_user("staff")
    response = await client.post("/api/v1/import", json=sample_doc(), headers=await api_token(staff))
    assert response.status_code == 200
    assert response.json()["created"]["offers"] == 1

    bad = sample_doc()
    bad["offers"][0]["unit"] = "litres"
    response = await client.post("/api/v1/import", json=bad, headers=await api_token(staff))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "section": "offers",
            "ref": "offer-1",
            "field": "unit",
            "message": "Unknown value 'litres'. Choose one of: m3, bf.",
        }
    ]


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORESTMATCH_DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


async def test_cli_import_and_export(db_url: str, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(sample_doc()))
    result = _cli(db_url, "import", str(good))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "imported: organizations: 2 created, 0 updated, 0 unchanged; certificates: 1 created, 0 updated, "
        "0 unchanged; offers: 1 created, 0 updated, 0 unchanged; requests: 1 created, 0 updated, 0 unchanged"
    )
    bad_doc = sample_doc()
    bad_doc["offers"][0]["quantity"] = 0
    bad_doc["certificates"][0]["scope"] = "XX"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc))
    result = _cli(db_url, "import", str(bad))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "certificates\tcert-1\tscope\tUnknown value 'XX'. Choose one of: FM, COC, FM/COC, CW/FM." in lines
    assert "offers\toffer-1\tquantity\tEnter a number greater than zero." in lines
    assert lines[-1] == "import rejected: 2 problem(s); nothing was written"

    out = tmp_path / "export.json"
    result = _cli(db_url, "export", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert [o["ref"] for o in json.loads(out.read_text())["offers"]] == ["offer-1"]
