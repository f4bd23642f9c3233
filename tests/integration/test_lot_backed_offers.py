"""Offers backed by lots: an offer may name lots its organisation holds, and may claim no more than they derive nor
offer more dry rubber than they hold (form, API and import); the badge, the EUDR-ready filter and the request's
EUDR hard constraint."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.accounts import services as accounts
from app.accounts.services import CurrentUser
from app.imports.services import export_document, import_document
from app.imports.validation import ImportRejected
from app.offers import services as offers
from app.offers.tables import Offer
from app.validation import FieldErrors
from tests.clock import today
from tests.factories import PASSWORD, api_token, csrf_token, make_user, offer_data, sign_in
from tests.integration.test_traceability_import import trace_doc


def d(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


def lots_doc() -> dict[str, Any]:
    """The traceability document with its lots held by the group (a producer): lot-1 FSC Mix 68 % (460 kg, EUDR-ready),
    lot-2 no claim (an input without origin: not EUDR-ready), lot-3 FSC 100 % (200 kg, EUDR-ready)."""
    doc = trace_doc()
    for lot in doc["lots"]:
        lot["holder"] = "coop-acre"
    doc["deliveries"].append(
        {"ref": "del-4", "collector": "usina-rio", "member": "m-1", "plot": "p-1", "date": d(-25),
         "form": "field_latex", "wet_kg": 625, "drc_percent": 32}
    )  # fmt: skip
    doc["lots"].append(
        {"ref": "lot-3", "holder": "coop-acre", "inputs": [{"delivery": "del-4"}], "process": "tsr",
         "product_type": "tsr", "output_dry_kg": 200, "date": d(-5)}
    )  # fmt: skip
    return doc


def latex_offer(**overrides: Any) -> dict[str, Any]:
    return offer_data(
        "cert-g",
        **{
            "category": "latex",
            "product_type": "tsr",
            "species": ["Hevea brasiliensis"],
            "title": "TSR 10 from Xapuri",
            "claim": "FSC Mix",
            "quantity": "400",
            "unit": "kg_drc",
            "min_order": "",
            "price_currency": "BRL",
            "price_amount": "12.00",
            "lat": "-9.97",
            "lon": "-67.81",
            **overrides,
        },
    )


async def group_user() -> CurrentUser:
    return await accounts.create_user(
        email="gestor@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
    )


CASES = [
    # (claim, lots, quantity, field refused or None)
    ("FSC Mix", ["lot-1"], "400", None),
    ("FSC Mix", ["lot-1", "lot-3"], "660", None),
    ("FSC 100%", ["lot-3"], "200", None),
    ("FSC 100%", ["lot-1"], "400", "claim"),  # lot-1 derives only FSC Mix
    ("FSC 100%", ["lot-1", "lot-3"], "400", "claim"),  # every lot must be FSC 100 %
    ("FSC Mix", ["lot-2"], "100", "claim"),  # a lot without claim backs no FSC claim
    ("FSC Controlled Wood", ["lot-2"], "100", "claim"),
    ("FSC Recycled", ["lot-3"], "100", "claim"),  # latex lots are never recycled
    ("FSC Mix", ["lot-1"], "461", "quantity"),  # more than 460 kg dry
    ("FSC Mix", ["lot-1", "lot-3"], "661", "quantity"),
    ("FSC Mix", ["no-such-lot"], "10", "lots"),
]


@pytest.mark.parametrize(("claim", "lots", "quantity", "refused"), CASES)
async def test_service_refuses_claims_and_quantities_the_lots_do_not_back(
    clean_db: str, claim: str, lots: list[str], quantity: str, refused: str | None
) -> None:
    await import_document(lots_doc())
    user = await group_user()
    data = latex_offer(claim=claim, lots=lots, quantity=quantity)
    if refused is None:
        offer = await offers.create_offer(user, data)
        assert offer["lots"] == lots
        return
    with pytest.raises(FieldErrors) as caught:
        await offers.create_offer(user, data)
    assert set(caught.value.errors) == {refused}
    assert await Offer.count() == 0


async def test_messages_say_which_lot_and_why(clean_db: str) -> None:
    await import_document(lots_doc())
    user = await group_user()
    with pytest.raises(FieldErrors) as caught:
        await offers.create_offer(user, latex_offer(claim="FSC 100%", lots=["lot-3", "lot-1"], quantity="700"))
    assert caught.value.errors == {
        "claim": "Lot lot-1 derives only FSC Mix: the offer cannot claim FSC 100%.",
        "quantity": "The quantity (700 kg dry rubber) is more than the lots hold (660 kg dry).",
    }
    with pytest.raises(FieldErrors) as caught:
        await offers.create_offer(user, latex_offer(lots=["lot-2"], quantity="10"))
    assert caught.value.errors == {
        "claim": "Lot lot-2 carries no FSC claim: an offer from these lots cannot carry an FSC claim."
    }
    timber = offer_data("cert-g", lots=["lot-1"])
    with pytest.raises(FieldErrors) as caught:
        await offers.create_offer(user, timber)
    assert (
        "lots" in caught.value.errors or "product_type" in caught.value.errors or "certificate" in caught.value.errors
    )


async def test_another_organisations_lot_is_refused(clean_db: str) -> None:
    doc = lots_doc()
    doc["lots"][2]["holder"] = "usina-rio"
    await import_document(doc)
    with pytest.raises(FieldErrors) as caught:
        await offers.create_offer(await group_user(), latex_offer(claim="FSC 100%", lots=["lot-3"], quantity="10"))
    assert caught.value.errors == {"lots": "Your organisation holds no lot lot-3."}


async def test_form_offers_the_held_lots_and_refuses_inline(client) -> None:
    await import_document(lots_doc())
    await sign_in(client, await group_user())
    page = await client.get("/my/offers/new")
    assert page.status_code == 200
    assert 'name="lots"' in page.text and "multiple" in page.text
    assert '<option value="lot-3">lot-3 · FSC 100% · 200 kg dry</option>' in page.text
    form = {k: v for k, v in latex_offer(claim="FSC 100%", quantity="300").items() if k != "species"}
    form["species"] = "Hevea brasiliensis"
    body = {**form, "lots": ["lot-1", "lot-3"], "_csrf_token": csrf_token(client)}
    response = await client.post("/my/offers/new", data=body)
    assert response.status_code == 422
    assert "Lot lot-1 derives only FSC Mix: the offer cannot claim FSC 100%." in response.text
    assert '<option value="lot-1" selected>' in response.text and '<option value="lot-3" selected>' in response.text
    assert 'value="300"' in response.text  # the values are kept
    assert await Offer.count() == 0
    body = {**body, "claim": "FSC Mix", "_csrf_token": csrf_token(client)}
    response = await client.post("/my/offers/new", data=body)
    assert response.status_code == 303
    stored = await Offer.select(Offer.lots).output(load_json=True).first()
    assert stored == {"lots": ["lot-1", "lot-3"]}


async def test_api_refuses_and_answers_the_lots(client) -> None:
    await import_document(lots_doc())
    headers = await api_token(await group_user())
    body = {k: v for k, v in latex_offer(claim="FSC Mix", lots=["lot-1"], quantity="461").items()}
    response = await client.post("/api/v1/offers", json=body, headers=headers)
    assert response.status_code == 400  # the API answers every field error with 400 and the errors listed
    assert response.json()["errors"] == [
        {"field": "quantity", "message": "The quantity (461 kg dry rubber) is more than the lots hold (460 kg dry)."}
    ]
    response = await client.post("/api/v1/offers", json={**body, "quantity": "460"}, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["lots"] == ["lot-1"]


def doc_with_offer(**overrides: Any) -> dict[str, Any]:
    doc = lots_doc()
    offer = {k: v for k, v in latex_offer(**overrides).items() if k not in ("price_amount", "price_currency")}
    offer.update(ref="offer-lots", organization="coop-acre", price={"amount": "12.00", "currency": "BRL"})
    doc["offers"] = [offer]
    return doc


async def test_import_refuses_an_offer_its_lots_do_not_back(clean_db: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc_with_offer(claim="FSC 100%", lots=["lot-1"], quantity="500"))
    assert sorted((p.section, p.ref, p.field) for p in caught.value.problems) == [
        ("offers", "offer-lots", "claim"),
        ("offers", "offer-lots", "quantity"),
    ]
    assert await Offer.count() == 0
    from app.traceability.tables import Lot

    assert await Lot.count() == 0  # all or nothing: the lots of the refused document are not written either
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc_with_offer(lots="not a list of refs, but it is text", category="timber"))
    assert [(p.ref, p.field) for p in caught.value.problems if p.field == "lots"] == [("offer-lots", "lots")]


async def test_import_writes_the_lots_and_exports_them(clean_db: str) -> None:
    await import_document(doc_with_offer(lots=["lot-1", "lot-3"], quantity="600"))
    assert await Offer.select(Offer.lots).output(load_json=True).first() == {"lots": ["lot-1", "lot-3"]}
    exported = await export_document()
    assert exported["offers"][0]["lots"] == ["lot-1", "lot-3"]


async def _two_offers(user: CurrentUser) -> tuple[dict[str, Any], dict[str, Any]]:
    """An offer on lot-1 and lot-3 (EUDR-ready, 2 smallholders) and one naming none."""
    backed = await offers.create_offer(user, latex_offer(lots=["lot-1", "lot-3"], quantity="600", title="Backed TSR"))
    plain = await offers.create_offer(user, latex_offer(title="Plain TSR"))
    return backed, plain


async def test_offer_page_badge_links_the_lot_page_which_visitors_may_then_read(client) -> None:
    await import_document(lots_doc())
    backed, plain = await _two_offers(await group_user())
    page = await client.get(f"/offers/{backed['ref']}")
    assert page.status_code == 200
    assert 'data-testid="offer-traceable"' in page.text
    assert "Traceable to 2 smallholders" in page.text and 'data-testid="offer-eudr-ready"' in page.text
    assert 'href="/traceability/lots/lot-1"' in page.text and 'href="/traceability/lots/lot-3"' in page.text
    assert 'data-testid="offer-backing"' not in (await client.get(f"/offers/{plain['ref']}")).text
    lot_page = await client.get("/traceability/lots/lot-1")  # a visitor following the offer
    assert lot_page.status_code == 200 and 'data-view="public"' in lot_page.text
    assert "Maria Souza" not in lot_page.text and "p-1" not in lot_page.text
    assert (await client.get("/traceability/lots/lot-2")).status_code == 404  # backs no offer


async def test_a_lot_that_changes_warns_the_producer_and_leaves_the_offer(client) -> None:
    await import_document(lots_doc())
    user = await group_user()
    offer = await offers.create_offer(user, latex_offer(claim="FSC 100%", lots=["lot-3"], quantity="200"))
    doc = lots_doc()
    doc["members"][0]["certified_from"] = d(-10)  # m-1 entered the scope after del-4: lot-3 loses its claim
    await import_document(doc)
    await sign_in(client, user)
    page = await client.get(f"/offers/{offer['ref']}")
    assert 'data-testid="offer-lot-warnings"' in page.text
    assert "Lot lot-3 carries no FSC claim: an offer from these lots cannot carry an FSC claim." in page.text
    stored = await Offer.select(Offer.claim, Offer.lots).output(load_json=True).first()
    assert stored == {"claim": "FSC 100%", "lots": ["lot-3"]}  # never changed silently
    await sign_in(client, await make_user("buyer"))
    assert 'data-testid="offer-lot-warnings"' not in (await client.get(f"/offers/{offer['ref']}")).text


async def test_offer_list_filter_eudr_ready(client) -> None:
    await import_document(lots_doc())
    user = await group_user()
    backed, plain = await _two_offers(user)
    also = await offers.create_offer(user, latex_offer(lots=["lot-1"], title="Also ready"))
    # An offer whose lot is no longer EUDR-ready drops out: lot-1 gains an error (a DRC outside 20-45 %).
    doc = lots_doc()
    doc["deliveries"][0]["drc_percent"] = 60
    doc["lots"][0]["output_dry_kg"] = 700
    await import_document(doc)
    page = await client.get("/offers?eudr=1")
    assert page.status_code == 200
    assert backed["ref"] not in page.text and also["ref"] not in page.text and plain["ref"] not in page.text
    await import_document(lots_doc())  # fixed again
    page = await client.get("/offers?eudr=1&page=1")
    assert backed["ref"] in page.text and also["ref"] in page.text
    assert plain["ref"] not in page.text
    everything = await client.get("/offers")
    assert plain["ref"] in everything.text
    assert 'name="eudr"' in everything.text


async def test_search_documents_and_filter(client, tmp_path) -> None:
    from app.indexing.documents import OFFERS_INDEX, offer_documents
    from app.indexing.sync import drain
    from app.search.services.params import SearchParams
    from tests.search_backends import own_backend

    await import_document(lots_doc())
    backed, plain = await _two_offers(await group_user())
    docs, _missing = await offer_documents([backed["ref"], plain["ref"]])
    assert {k: docs[0][k] for k in ("traceable", "eudr_ready", "smallholders")} == {
        "traceable": True,
        "eudr_ready": True,
        "smallholders": 2,
    }
    assert {k: docs[1][k] for k in ("traceable", "eudr_ready", "smallholders")} == {
        "traceable": False,
        "eudr_ready": False,
        "smallholders": 0,
    }
    backend = own_backend(tmp_path)
    try:
        await backend.ensure_index(OFFERS_INDEX)
        await drain(backend)
        params = SearchParams.from_query({"eudr": "1"})
        assert params.eudr and params.pairs() == [("eudr", "1")]
        from app.search.services import search_offers

        result = await search_offers(params, backend)
        assert not result.degraded
        assert [item.document["ref"] for item in result.items] == [backed["ref"]]
        # A lot that gains an error takes its offers out of the filter once the index applies the change.
        doc = lots_doc()
        doc["deliveries"][0]["drc_percent"] = 60
        doc["lots"][0]["output_dry_kg"] = 700
        await import_document(doc)
        await drain(backend)
        result = await search_offers(params, backend)
        assert [item.document["ref"] for item in result.items] == []
    finally:
        await backend.close()


async def test_request_requiring_eudr_ready_lots_is_matched_only_with_them(client, tmp_path) -> None:
    from app.indexing.documents import OFFERS_INDEX
    from app.indexing.sync import drain
    from app.matching.engine import Reason
    from app.matching.phrasing import phrase
    from app.matching.services import compute_matches
    from app.sourcing import services as sourcing
    from tests.factories import request_data
    from tests.search_backends import own_backend

    doc = lots_doc()
    # lot-4: FSC 100 % (m-1 in scope) but a DRC of 60 % for field latex is an error: not EUDR-ready.
    doc["deliveries"].append(
        {"ref": "del-5", "collector": "usina-rio", "member": "m-1", "plot": "p-1", "date": d(-24),
         "form": "field_latex", "wet_kg": 500, "drc_percent": 60}
    )  # fmt: skip
    doc["lots"].append(
        {"ref": "lot-4", "holder": "coop-acre", "inputs": [{"delivery": "del-5"}], "process": "tsr",
         "product_type": "tsr", "output_dry_kg": 300, "date": d(-4)}
    )  # fmt: skip
    await import_document(doc)
    producer = await group_user()
    ready = await offers.create_offer(producer, latex_offer(claim="FSC 100%", lots=["lot-3"], quantity="200"))
    not_ready = await offers.create_offer(producer, latex_offer(claim="FSC 100%", lots=["lot-4"], quantity="200"))
    plain = await offers.create_offer(producer, latex_offer(claim="FSC 100%", quantity="200"))
    buyer = await make_user("buyer", country="DE")
    wanted = request_data(
        category="latex",
        title="TSR for Hamburg",
        product_types=["tsr"],
        species=[],
        accepted_claims=["FSC 100%", "FSC Mix"],
        quantity="100",
        unit="kg_drc",
        min_per_supplier="",
        delivery_country="BR",
        delivery_region="",
        delivery_place="Rio Branco",
        delivery_lat="-9.97",
        delivery_lon="-67.81",
        max_distance_km="",
    )
    strict = await sourcing.create_request(buyer, {**wanted, "require_eudr_ready": "1"})
    loose = await sourcing.create_request(buyer, wanted)
    assert strict["require_eudr_ready"] is True and loose["require_eudr_ready"] is False
    backend = own_backend(tmp_path)
    try:
        await backend.ensure_index(OFFERS_INDEX)
        await drain(backend)
        answer = (await compute_matches(strict["ref"], backend, locale="en")).as_json()
        assert [m["offer"] for m in answer["matches"]] == [ready["ref"]]
        assert "Backed by EUDR-ready lots, as you require" in answer["matches"][0]["reasons"]
        answer = (await compute_matches(loose["ref"], backend, locale="en")).as_json()
        assert {m["offer"] for m in answer["matches"]} == {ready["ref"], not_ready["ref"], plain["ref"]}
        assert all("Backed by EUDR-ready lots, as you require" not in m["reasons"] for m in answer["matches"])
    finally:
        await backend.close()
    assert phrase(Reason("eudr_ready"), "producer") == "The buyer requires EUDR-ready lots: yours are"


async def test_request_form_and_api_carry_the_requirement(client) -> None:
    from tests.factories import request_data

    buyer = await make_user("buyer")
    headers = await api_token(buyer)
    body = {**request_data(), "require_eudr_ready": True}
    response = await client.post("/api/v1/requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["require_eudr_ready"] is True
    await sign_in(client, buyer)
    page = await client.get("/my/requests/new")
    assert page.status_code == 200 and 'name="require_eudr_ready"' in page.text


async def test_offers_naming_finds_exactly_the_offers_that_name_a_lot(clean_db: str) -> None:
    from app.traceability.offer_lots import offers_naming

    await import_document(lots_doc())
    user = await group_user()
    both = await offers.create_offer(user, latex_offer(lots=["lot-1", "lot-3"], quantity="600", title="Both"))
    one = await offers.create_offer(user, latex_offer(claim="FSC 100%", lots=["lot-3"], quantity="100", title="One"))
    await offers.create_offer(user, latex_offer(title="None"))
    assert await offers_naming(["lot-1"]) == [both["ref"]]
    assert await offers_naming(["lot-3", "lot-2"]) == sorted([both["ref"], one["ref"]])
    assert await offers_naming(["lot-2"]) == []
    assert await offers_naming([]) == []
