"""A deal carries the FSC claim (prefilled from the offer, checked, confirmed with every field, kept through a staff
correction, worded in the history), and each organisation downloads its confirmed claims for a period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.messaging import services as messaging
from app.messaging.tables import MatchEvent
from tests.factories import api_token, make_certificate, make_offer, make_user, post_form, sign_in

DAY = dt.date(2026, 5, 12)
CODE = "SCS-FM/COC-004512"


async def _thread(**offer: Any) -> tuple[Any, Any, int]:
    """A Brazilian producer's FSC Mix field latex offer and a buyer's thread about it."""
    producer = await make_user("producer", org_name="Seringueiros do Acre", country="BR")
    cert = await make_certificate(producer, code=CODE, product_types=["field_latex"])
    values = {
        "category": "latex",
        "product_type": "field_latex",
        "species": ["Hevea brasiliensis"],
        "title": "Látex de campo",
        "quantity": "8000",
        "unit": "kg_drc",
        "min_order": "",
        "price_amount": "9.50",
        "price_currency": "BRL",
        "claim": "FSC Mix",
        **offer,
    }
    listed = await make_offer(producer, cert["ref"], **values)
    buyer = await make_user("buyer", org_name="Hules de Veracruz")
    conversation_id = await messaging.start_conversation(buyer, listed["ref"], message="¿Tienen látex?")
    return producer, buyer, conversation_id


def _deal(**values: Any) -> dict[str, Any]:
    return {
        "quantity": "2000",
        "unit": "kg_drc",
        "unit_price": "9.80",
        "currency": "BRL",
        "date": DAY.isoformat(),
        "invoice": "NF-1029",
        "claim": "FSC Mix",
        "certified_percent": "80",
        "certificate_code": CODE,
        "product_type": "field_latex",
        "species": "Hevea brasiliensis",
        "countries": "BR",
    } | values


async def _events(state: str) -> list[dict[str, Any]]:
    return (
        await MatchEvent.select(MatchEvent.id, MatchEvent.details)
        .where(MatchEvent.state == state)
        .order_by(MatchEvent.id)
        .output(load_json=True)
    )


CLAIM = {
    "invoice": "NF-1029",
    "certificate_code": CODE,
    "claim": "FSC Mix",
    "certified_percent": 80,
    "product_type": "field_latex",
    "species": ["Hevea brasiliensis"],
    "countries": ["BR"],
}


async def test_the_deal_form_starts_from_the_offers_claim(client) -> None:
    _producer, buyer, thread = await _thread()
    await sign_in(client, buyer)
    page = await client.get(f"/conversations/{thread}")
    assert page.status_code == 200
    form = page.text[page.text.index('data-testid="deal-claim-fields"') :]
    assert f'name="certificate_code" type="text" value="{CODE}"' in form
    assert '<option value="FSC Mix" selected>FSC Mix</option>' in form
    assert '<option value="field_latex" selected>' in form
    assert 'name="species" type="text" value="Hevea brasiliensis"' in form
    assert '<option value="BR" selected>Brazil</option>' in form
    assert 'name="invoice" type="text" value=""' in form


async def test_a_recorded_deal_stores_the_claim_and_api_fields_left_out_take_the_offers(client) -> None:
    _producer, buyer, thread = await _thread(claim="FSC 100%")
    await sign_in(client, buyer)
    form = _deal(claim="FSC 100%", certified_percent="")
    recorded = await post_form(client, f"/conversations/{thread}/deal", form)
    assert recorded.status_code == 303
    api = await client.post(
        f"/api/v1/conversations/{thread}/deals",
        json={"quantity": 500, "unit": "kg_drc", "unit_price": "9.50", "currency": "BRL", "date": "2026-05-20"},
        headers=await api_token(buyer),
    )
    assert api.status_code == 201, api.text
    details = [e["details"] for e in await _events("deal_closed")]
    assert {k: details[0][k] for k in CLAIM} == CLAIM | {"claim": "FSC 100%", "certified_percent": None}
    assert {k: details[1][k] for k in CLAIM} == {
        "invoice": "",
        "certificate_code": CODE,
        "claim": "FSC 100%",
        "certified_percent": None,
        "product_type": "field_latex",
        "species": ["Hevea brasiliensis"],
        "countries": ["BR"],
    }


async def test_the_claim_fields_are_checked_and_nothing_is_written(client) -> None:
    _producer, buyer, thread = await _thread()
    await sign_in(client, buyer)
    bad = _deal(claim="FSC 90%", certificate_code="FSC-123", countries="XX", certified_percent="80")
    page = await post_form(client, f"/conversations/{thread}/deal", bad)
    assert page.status_code == 422
    assert 'id="f-certificate_code-error" aria-live="polite">Use the certificate code as issued' in page.text
    assert 'id="f-countries-error" aria-live="polite">XX is not a country code.' in page.text
    assert 'id="f-claim-error"' in page.text
    assert 'name="invoice" type="text" value="NF-1029"' in page.text  # the typed values are kept
    no_percent = await post_form(client, f"/conversations/{thread}/deal", _deal(certified_percent=""))
    assert no_percent.status_code == 422
    assert 'id="f-certified_percent-error" aria-live="polite">This field is required.</p>' in no_percent.text
    over = await client.post(
        f"/api/v1/conversations/{thread}/deals",
        json=_deal(certified_percent=120, countries=["BR", "Brasil"]),
        headers=await api_token(buyer),
    )
    assert over.status_code == 400
    assert {e["field"] for e in over.json()["errors"]} == {"certified_percent", "countries"}
    assert await _events("deal_closed") == []


async def test_the_producer_confirms_every_field_and_the_history_words_the_claim(client) -> None:
    producer, buyer, thread = await _thread()
    await sign_in(client, buyer)
    assert (await post_form(client, f"/conversations/{thread}/deal", _deal())).status_code == 303
    deal = (await _events("deal_closed"))[0]["id"]
    client.cookies.clear()
    await sign_in(client, producer)
    page = await client.get(f"/conversations/{thread}")
    confirm = page.text[page.text.index('data-testid="confirm-fields"') :]
    assert '<dd data-field="invoice">NF-1029</dd>' in confirm
    assert '<dd data-field="claim">FSC Mix 80 %</dd>' in confirm
    assert f'<dd data-field="certificate_code">{CODE}</dd>' in confirm
    assert '<dd data-field="countries">Brazil</dd>' in confirm
    assert (
        f'<span data-testid="event-claim">FSC Mix 80 % · Field latex · Hevea brasiliensis · Brazil · certificate {CODE}'
        " · invoice NF-1029</span>"
    ) in page.text
    done = await post_form(client, f"/conversations/{thread}/events/{deal}/confirm", {})
    assert done.status_code == 303
    [confirmation] = await _events("deal_confirmed")
    assert confirmation["details"] == {
        "event_id": deal,
        "confirmed": {"quantity": 2000.0, "unit": "kg_drc", "date": DAY.isoformat(), **CLAIM},
    }


async def test_a_staff_correction_keeps_the_claim_it_does_not_change(client) -> None:
    _producer, buyer, thread = await _thread()
    await sign_in(client, buyer)
    assert (await post_form(client, f"/conversations/{thread}/deal", _deal())).status_code == 303
    deal = (await _events("deal_closed"))[0]["id"]
    staff = await make_user("staff")
    client.cookies.clear()
    await sign_in(client, staff)
    fix = {"quantity": "1800", "unit": "kg_drc", "unit_price": "9.80", "currency": "BRL", "date": DAY.isoformat()}
    corrected = await client.post(
        f"/conversations/{thread}/events/{deal}/correct",
        data={**fix, "note": "scale ticket", "_csrf_token": client.cookies.get("fm_csrf")},
    )
    assert corrected.status_code == 303
    [correction] = await _events("corrected")
    assert {k: correction["details"][k] for k in CLAIM} == CLAIM
    assert correction["details"]["quantity"] == 1800.0
    assert (await _events("deal_closed"))[0]["details"]["quantity"] == 2000.0  # the original is kept


async def _confirmed_deals(client: Any) -> tuple[Any, Any, Any]:
    """Three deals in one thread: two confirmed (May 12 and June 3), one left unconfirmed (May 20)."""
    producer, buyer, thread = await _thread()
    await sign_in(client, buyer)
    for day, invoice in (("2026-05-12", "NF-1029"), ("2026-06-03", "NF-1101"), ("2026-05-20", "NF-1050")):
        recorded = await post_form(client, f"/conversations/{thread}/deal", _deal(date=day, invoice=invoice))
        assert recorded.status_code == 303
    ids = [e["id"] for e in await _events("deal_closed")]
    for event_id in ids[:2]:
        await messaging.confirm_deal(producer, event_id)
    client.cookies.clear()
    return producer, buyer, thread


async def test_each_side_downloads_its_confirmed_claims_for_a_period(client) -> None:
    producer, buyer, _thread_id = await _confirmed_deals(client)
    await sign_in(client, producer)
    page = await client.get("/my/claims?from=2026-05-01&to=2026-05-31")
    assert page.status_code == 200
    assert page.text.count('data-testid="claim-row"') == 1
    csv = await client.get("/my/claims.csv?from=2026-05-01&to=2026-06-30")
    assert csv.status_code == 200
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.text.splitlines() == [
        "Date,Invoice,Counterparty,Certificate code,Claim,Percent,Product type,Species,Countries,Quantity,Unit,Side",
        f"2026-05-12,NF-1029,Hules de Veracruz,{CODE},FSC Mix,80,Field latex,Hevea brasiliensis,BR,2000,kg DRC,Sale",
        f"2026-06-03,NF-1101,Hules de Veracruz,{CODE},FSC Mix,80,Field latex,Hevea brasiliensis,BR,2000,kg DRC,Sale",
    ]
    client.cookies.clear()
    await sign_in(client, buyer)
    bought = await client.get("/my/claims.csv?from=2026-06-01&to=2026-06-30")
    assert bought.text.splitlines()[1:] == [
        f"2026-06-03,NF-1101,Seringueiros do Acre,{CODE},FSC Mix,80,Field latex,Hevea brasiliensis,BR,2000,kg DRC,"
        "Purchase"
    ]
    empty = await client.get("/my/claims?from=2026-07-01&to=2026-07-31")
    assert 'data-testid="claims-empty"' in empty.text


async def test_the_claims_api_answers_for_the_callers_organisation_only(client) -> None:
    producer, buyer, _thread_id = await _confirmed_deals(client)
    answer = await client.get("/api/v1/claims?from=2026-05-01&to=2026-05-31", headers=await api_token(buyer))
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "date": "2026-05-12",
            "invoice": "NF-1029",
            "counterparty": "Seringueiros do Acre",
            **{k: v for k, v in CLAIM.items() if k != "invoice"},
            "quantity": 2000.0,
            "unit": "kg_drc",
            "side": "purchase",
        }
    ]
    other = await client.get(
        f"/api/v1/claims?from=2026-05-01&to=2026-05-31&organization={producer.organization_ref}",
        headers=await api_token(buyer),
    )
    assert other.status_code == 403
    backwards = await client.get("/api/v1/claims?from=2026-05-31&to=2026-05-01", headers=await api_token(buyer))
    assert backwards.status_code == 400
    assert backwards.json()["errors"] == [
        {"field": "to", "message": "The end date must be on or after the start date."}
    ]
    anonymous = await client.get("/api/v1/claims?from=2026-05-01&to=2026-05-31")
    assert anonymous.status_code == 401
    staff = await make_user("staff")
    picked = await client.get(
        f"/api/v1/claims?from=2026-05-01&to=2026-06-30&organization={producer.organization_ref}",
        headers=await api_token(staff),
    )
    assert [(c["invoice"], c["side"]) for c in picked.json()] == [("NF-1029", "sale"), ("NF-1101", "sale")]
    unknown = await client.get(
        "/api/v1/claims?from=2026-05-01&to=2026-06-30&organization=nobody", headers=await api_token(staff)
    )
    assert unknown.status_code == 404


async def test_another_organisation_cannot_download_a_producers_claims(client) -> None:
    producer, _buyer, _thread_id = await _confirmed_deals(client)
    competitor = await make_user("producer", org_name="Outra Borracha", country="BR")
    await sign_in(client, competitor)
    refused = await client.get(f"/my/claims.csv?from=2026-05-01&to=2026-06-30&organization={producer.organization_ref}")
    assert refused.status_code == 403
    own = await client.get("/my/claims.csv?from=2026-05-01&to=2026-06-30")
    assert own.text.splitlines()[1:] == []
    client.cookies.clear()
    anonymous = await client.get("/my/claims.csv?from=2026-05-01&to=2026-06-30")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/my/claims.csv"


async def test_a_confirmed_correction_replaces_the_deal_it_corrects_in_the_claims(client) -> None:
    producer, buyer, thread = await _confirmed_deals(client)
    first = (await _events("deal_closed"))[0]["id"]
    staff = await make_user("staff")
    corrected = await messaging.correct_deal(
        staff,
        first,
        {"quantity": "1800", "unit": "kg_drc", "unit_price": "9.80", "currency": "BRL", "date": "2026-05-12"},
    )
    await messaging.confirm_deal(buyer, corrected)
    await sign_in(client, producer)
    csv = await client.get("/my/claims.csv?from=2026-05-01&to=2026-05-31")
    assert csv.text.splitlines()[1:] == [
        f"2026-05-12,NF-1029,Hules de Veracruz,{CODE},FSC Mix,80,Field latex,Hevea brasiliensis,BR,1800,kg DRC,Sale"
    ]
    assert thread > 0
