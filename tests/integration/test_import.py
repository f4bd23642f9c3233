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

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.db import atomic
from app.imports.services import ImportRejected, export_document, import_document
from app.imports.validation import CHUNK
from app.imports.writing import stored_ids
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from tests.clock import today
from tests.factories import api_token, make_user


def d(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


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


async def test_stored_ids_inside_and_outside_a_transaction(clean_db: str) -> None:
    """The writer's ref -> id lookup (flat SQL on the import's connection, Piccolo outside one) finds exactly the
    stored refs, past a chunk of refs."""
    await import_document(sample_doc())
    expected = {r["ref"]: r["id"] for r in await Organization.select(Organization.ref, Organization.id)}
    assert sorted(expected) == ["buyer-ref", "ejido-san-pedro"]
    asked = [f"missing-{n}" for n in range(CHUNK + 20)] + ["ejido-san-pedro", "buyer-ref"]
    assert await stored_ids(Organization, asked) == expected
    async with atomic():
        assert await stored_ids(Organization, asked) == expected
        assert await stored_ids(Organization, ["missing-1"]) == {}
        assert await stored_ids(Organization, []) == {}


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
        # The repeated record is checked too: its minimum order (20) is above its quantity (10). The staged
        # validation skipped it, so this problem only showed once the six above were fixed.
        ("offers", "offer-1", "min_order"),
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


def _cli(db_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORESTMATCH_DATABASE_URL": db_url, **(env or {})}
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
    assert lines[-1] == "import rejected: 2 problems; nothing was written"

    out = tmp_path / "export.json"
    result = _cli(db_url, "export", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert [o["ref"] for o in json.loads(out.read_text())["offers"]] == ["offer-1"]


# --- every problem in one pass ---------------------------------------------------------------------------------
def layered_doc() -> dict[str, Any]:
    """The sample plus records for the defects below: two more certificates of the producer, a second producer with
    its certificate, three more offers and a second request."""
    doc = sample_doc()
    cert = doc["certificates"][0]
    doc["organizations"].append({"ref": "other", "name": "Comunidad Otra", "kind": "producer", "country": "MX"})
    doc["certificates"] += [
        cert | {"ref": "cert-2", "code": "NC-FM/COC-000222", "product_types": ["roundwood"]},
        cert | {"ref": "cert-3", "code": "NC-FM/COC-000333"},
        cert | {"ref": "cert-4", "code": "NC-FM/COC-000444"},
        cert | {"ref": "cert-o", "organization": "other", "code": "BV-FM/COC-000999"},
    ]
    offer = doc["offers"][0]
    doc["offers"] += [
        offer | {"ref": "offer-2"},
        offer | {"ref": "offer-3", "certificate": "cert-2", "product_type": "roundwood"},
        offer | {"ref": "offer-4"},
    ]
    doc["requests"].append(doc["requests"][0] | {"ref": "req-2"})
    return doc


def _offer(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(o for o in doc["offers"] if o["ref"] == ref)


def _set(section: str, ref: str, **values: Any):
    def mutate(doc: dict[str, Any]) -> None:
        next(r for r in doc[section] if r["ref"] == ref).update(values)

    return mutate


def _all(*mutations):
    def mutate(doc: dict[str, Any]) -> None:
        for m in mutations:
            m(doc)

    return mutate


#: name -> (a change that breaks the document, the problems it must give: section, ref, field)
DEFECTS = {
    "certificate field": (_set("certificates", "cert-1", code="ABC123"), [("certificates", "cert-1", "code")]),
    "valid but expired": (
        _set("certificates", "cert-3", expires_on=d(-10)),
        [("certificates", "cert-3", "expires_on")],
    ),
    # A field problem and a coverage problem in the same record: both at once.
    "offer field and coverage": (
        _set("offers", "offer-1", quantity=-5, product_type="chips"),
        [("offers", "offer-1", "quantity"), ("offers", "offer-1", "product_type")],
    ),
    # A certificate with a field problem still tells its offers what it covers.
    "certificate field and offer coverage": (
        _all(_set("certificates", "cert-2", scope="XX"), _set("offers", "offer-3", product_type="sawn_timber")),
        [("certificates", "cert-2", "scope"), ("offers", "offer-3", "product_type")],
    ),
    "another organisation's certificate": (
        _set("offers", "offer-2", certificate="cert-o"),
        [("offers", "offer-2", "certificate")],
    ),
    "request field and unknown organisation": (
        _set("requests", "req-1", organization="nobody", accepted_claims=["FSC 200%"]),
        [("requests", "req-1", "accepted_claims"), ("requests", "req-1", "organization")],
    ),
    # A repeated record is checked as well as reported.
    "repeated ref with a problem of its own": (
        lambda doc: doc["organizations"].append(doc["organizations"][1] | {"country": "Mexico"}),
        [("organizations", "buyer-ref", "ref"), ("organizations", "buyer-ref", "country")],
    ),
    # An organisation with a field problem is still there for the records that name it.
    "organisation field": (
        _set("organizations", "ejido-san-pedro", country="Mexico"),
        [("organizations", "ejido-san-pedro", "country")],
    ),
    "certificate code twice": (
        _set("certificates", "cert-4", code="NC-FM/COC-000222"),
        [("certificates", "cert-4", "code")],
    ),
    "several unknown product types": (
        _set("requests", "req-2", product_types=["sawn_timber", "boards", "logs"]),
        [("requests", "req-2", "product_types")],
    ),
    "offer without organisation": (
        lambda doc: _offer(doc, "offer-4").pop("organization"),
        [("offers", "offer-4", "organization")],
    ),
    "format marker": (lambda doc: doc.update(format="forestmatch/2"), [("document", "", "format")]),
    "not a record": (lambda doc: doc["offers"].append("oops"), [("offers", "#5", "")]),
}


async def problems_of(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    from app.imports.services import validate_document

    try:
        await validate_document(doc)
    except ImportRejected as exc:
        return sorted((p.section, p.ref, p.field) for p in exc.problems)
    return []


async def test_every_problem_is_listed_in_one_pass(clean_db: str) -> None:
    """Each defect alone gives exactly its problems, and all together give all of them: no problem hides another,
    so fixing what the preview lists never reveals a new one."""
    assert await problems_of(layered_doc()) == []
    union: list[tuple[str, str, str]] = []
    everything = layered_doc()
    for name, (mutate, expected) in DEFECTS.items():
        alone = layered_doc()
        mutate(alone)
        assert await problems_of(alone) == sorted(expected), name
        mutate(everything)
        union += expected
    assert await problems_of(everything) == sorted(union)


async def test_one_pass_messages(clean_db: str) -> None:
    doc = layered_doc()
    for mutate, _expected in (DEFECTS["offer field and coverage"], DEFECTS["several unknown product types"]):
        mutate(doc)
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    assert [p.as_dict() for p in caught.value.problems] == [
        {"section": "offers", "ref": "offer-1", "field": "quantity", "message": "Enter a number greater than zero."},
        {
            "section": "offers",
            "ref": "offer-1",
            "field": "product_type",
            "message": "The certificate does not cover this product type.",
        },
        {
            "section": "requests",
            "ref": "req-2",
            "field": "product_types",
            "message": "Unknown values 'boards', 'logs'. Choose from: roundwood, fuelwood, charcoal, chips, "
            "sawn_timber, panels, mouldings_flooring, furniture_parts, crafts.",
        },
    ]


async def test_certificate_code_already_held_under_another_ref(clean_db: str) -> None:
    await import_document(sample_doc())
    doc = sample_doc()
    doc["certificates"][0]["ref"] = "cert-again"
    doc["offers"] = []
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    assert [p.as_dict() for p in caught.value.problems] == [
        {
            "section": "certificates",
            "ref": "cert-again",
            "field": "code",
            "message": "Organisation ejido-san-pedro already holds certificate SCS-FM/COC-004512 under ref cert-1.",
        }
    ]
    assert await Certificate.count() == 1


async def test_valid_certificate_past_its_expiry_is_refused(clean_db: str) -> None:
    doc = sample_doc()
    doc["certificates"][0]["expires_on"] = d(-1)
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    assert [p.as_dict() for p in caught.value.problems] == [
        {
            "section": "certificates",
            "ref": "cert-1",
            "field": "expires_on",
            "message": f"This certificate expired on {d(-1)}, so its status cannot be valid: set the status to "
            "expired, or enter the new expiry date.",
        }
    ]
    assert await Certificate.count() == 0
    doc["certificates"][0]["status"] = "expired"
    doc["offers"] = []  # (an offer names it; it may, and then it does not match)
    assert (await import_document(doc)).created["certificates"] == 1


async def test_export_says_expired_for_a_certificate_that_lapsed_and_reimports(clean_db: str) -> None:
    await import_document(sample_doc())
    # Time passes: the certificate recorded as valid runs past its expiry date.
    await Certificate.update({Certificate.expires_on: today() - dt.timedelta(days=3)}).where(
        Certificate.ref == "cert-1"
    )
    exported = await export_document()
    assert exported["certificates"][0]["status"] == "expired"
    summary = await import_document(exported)
    assert summary.updated["certificates"] == 1
    assert (await Certificate.select(Certificate.status).first()) == {"status": "expired"}


async def test_reimport_with_changed_facts_sends_a_certificate_back_to_the_queue(clean_db: str) -> None:
    from app.certificates.services import verify_certificate

    staff = await make_user("staff")
    await import_document(sample_doc())
    await verify_certificate(staff, "cert-1", approve=True)
    before = await Certificate.select(Certificate.submitted_at).where(Certificate.ref == "cert-1").first()
    await import_document(sample_doc())  # unchanged: stays verified
    row = await Certificate.select(Certificate.verification).where(Certificate.ref == "cert-1").first()
    assert row == {"verification": "verified"}
    changed = sample_doc()
    changed["certificates"][0]["status"] = "suspended"
    await import_document(changed)
    row = (
        await Certificate.select(Certificate.verification, Certificate.verified_by, Certificate.submitted_at)
        .where(Certificate.ref == "cert-1")
        .first()
    )
    assert (row["verification"], row["verified_by"]) == ("pending", None)
    assert row["submitted_at"] > before["submitted_at"]


# --- input that is not a document ------------------------------------------------------------------------------
DEEP = "[" * 100_000 + "]" * 100_000
TOO_DEEP = "The document nests arrays and objects more than 32 levels deep; a forestmatch/1 document needs five."


def test_parse_document_refuses_what_is_not_a_document() -> None:
    from app.imports.services import UnreadableDocument, parse_document

    cases = {
        DEEP.encode(): TOO_DEEP,
        # deep, but within what Python's parser accepts: refused before any check recurses into it
        json.dumps(
            {"format": "forestmatch/1", "organizations": [{"ref": "a", "kind": json.loads("[" * 40 + "]" * 40)}]}
        ).encode(): TOO_DEEP,
        b'{"format": "forestmatch/1",': "The document is not valid JSON (line 1, column 28).",
        "{}".encode("utf-16"): "The document is not UTF-8 text: save it as UTF-8 JSON.",
        b'{"n": 1' + b"0" * 5000 + b"}": "The document is not valid JSON.",
    }
    for data, message in cases.items():
        with pytest.raises(UnreadableDocument) as caught:
            parse_document(data)
        assert caught.value.message == message
    with pytest.raises(UnreadableDocument) as caught:
        parse_document(b"[]" * 600_000, max_bytes=1024 * 1024)
    assert caught.value.message == (
        "The document is larger than 1 MB: split it into smaller documents "
        "(a record may refer to refs imported before)."
    )
    assert parse_document('\ufeff{"format": "forestmatch/1"}'.encode()) == {"format": "forestmatch/1"}


async def test_cli_refuses_malformed_input_in_one_line(db_url: str, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    result = _cli(db_url, "import", str(deep), "--lang", "en")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"import rejected: {TOO_DEEP} Nothing was written.\n"

    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    result = _cli(db_url, "import", str(listed), "--lang", "en")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "document\t-\tformat\tThe document must be a JSON object.",
        "import rejected: 1 problem; nothing was written",
    ]

    result = _cli(db_url, "import", str(tmp_path / "missing.json"), "--lang", "en")
    assert (result.returncode, result.stderr) == (2, f"import: no such file: {tmp_path / 'missing.json'}\n")
    result = _cli(db_url, "import", str(tmp_path), "--lang", "en")
    assert (result.returncode, result.stderr) == (2, f"import: cannot read {tmp_path} as a file.\n")


async def test_api_and_staff_page_refuse_malformed_input(client) -> None:
    from tests.factories import sign_in

    staff = await make_user("staff")
    headers = await api_token(staff)
    response = await client.post("/api/v1/import", content=DEEP.encode(), headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "detail": TOO_DEEP,
        "errors": [{"section": "document", "ref": "", "field": "body", "message": TOO_DEEP}],
    }
    response = await client.post("/api/v1/import", content=b'{"format": ', headers=headers)
    assert (response.status_code, response.json()["detail"]) == (
        400,
        "The document is not valid JSON (line 1, column 12).",
    )
    response = await client.post("/api/v1/import", json=[1, 2], headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"section": "document", "ref": "", "field": "format", "message": "The document must be a JSON object."}
    ]

    await sign_in(client, staff)
    from tests.factories import csrf_token

    page = await client.post(
        "/staff/import",
        files={"document": ("deep.json", DEEP.encode(), "application/json")},
        data={"action": "preview", "_csrf_token": csrf_token(client)},
    )
    assert page.status_code == 422
    assert f'<div class="notice notice--error" role="alert" data-testid="import-error">{TOO_DEEP}</div>' in page.text
    assert await Offer.count() == 0


async def test_cli_report_is_in_one_language(db_url: str, tmp_path: Path) -> None:
    bad_doc = sample_doc()
    bad_doc["offers"][0]["quantity"] = 0
    bad_doc["certificates"][0]["expires_on"] = d(-2)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc))
    result = _cli(db_url, "import", str(bad), "--lang", "es_MX")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "leyendo [##############################] 100% 5/5",  # the first pass, before any problem is listed
        f"certificates\tcert-1\texpires_on\tEste certificado venció el {d(-2)}, así que su estado no puede ser vigente:"
        " cambie el estado a vencido o escriba la nueva fecha de vencimiento.",
        "offers\toffer-1\tquantity\tEscriba un número mayor que cero.",
        "importación rechazada: 2 problemas; no se escribió nada",
    ]
    # Without --lang, the configured default language (FORESTMATCH_DEFAULT_LOCALE), for every line.
    good = tmp_path / "good.json"
    good.write_text(json.dumps(sample_doc()))
    env = {"FORESTMATCH_DEFAULT_LOCALE": "pt_BR"}
    result = _cli(db_url, "import", str(good), "--dry-run", env=env)
    assert (result.returncode, result.stdout) == (0, "válido: 5 registro(s), nada foi gravado (simulação)\n")
    result = _cli(db_url, "import", str(good), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "importado: organizações: inclusões 2, alterações 0, sem alteração 0; certificados: inclusões 1, alterações 0,"
        " sem alteração 0; ofertas: inclusões 1, alterações 0, sem alteração 0; solicitações: inclusões 1, "
        "alterações 0, sem alteração 0"
    )
    assert "importing" not in result.stderr
    assert "reading" not in result.stderr
    assert "lendo [" in result.stderr
    result = _cli(db_url, "import", str(tmp_path / "nothing.json"), env=env)
    assert (result.returncode, result.stderr) == (2, f"importação: o arquivo {tmp_path / 'nothing.json'} não existe\n")
