"""Offer pages: the public list with filters and htmx fragments, detail, producer profiles, a producer's own offers."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from app.accounts.tables import Organization
from app.certificates import services as certificates
from app.offers import services as offers
from app.offers.tables import Offer
from tests.factories import (
    certificate_data,
    make_certificate,
    make_offer,
    make_user,
    offer_data,
    post_form,
    sign_in,
)

LATEX_CERT = {"product_types": ["tsr", "field_latex"]}
LATEX_OFFER = {
    "category": "latex",
    "product_type": "tsr",
    "species": ["Hevea brasiliensis"],
    "unit": "kg_drc",
    "quantity": "20000",
    "min_order": "5000",
    "title": "TSR 20 from Acre",
}


@pytest.fixture(name="client")
async def fx_client(client):
    """The shared client, not following redirects: the 303 after each write is asserted."""
    client.follow_redirects = False
    yield client


def card_refs(html: str) -> list[str]:
    return re.findall(r'data-testid="offer-card" data-ref="([^"]+)"', html)


def form_fields(cert_ref: str, **overrides: str) -> dict[str, str]:
    """Offer data as a browser form sends it (species as one comma-separated text)."""
    data = offer_data(cert_ref, species="Swietenia macrophylla, caoba", **overrides)
    return {k: str(v) for k, v in data.items()}


async def set_contact(org_id: int, email: str) -> None:
    await Organization.update({Organization.contact_email: email}).where(Organization.id == org_id)


async def offer_row(ref: str) -> dict:
    return await Offer.select().where(Offer.ref == ref).output(load_json=True).first()


# --- public list -----------------------------------------------------------------------------------------------
async def test_list_shows_active_offers_of_valid_certificates_only(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    shown = await make_offer(producer, cert["ref"], title="Pine boards")
    paused = await make_offer(producer, cert["ref"], title="Paused boards")
    await offers.set_offer_status(producer, paused["ref"], "paused")
    other = await make_user("producer")
    other_cert = await make_certificate(other)
    suspended = await make_offer(other, other_cert["ref"], title="Suspended boards")
    await certificates.update_certificate(
        other, other_cert["ref"], certificate_data(code=other_cert["code"], status="suspended")
    )

    response = await client.get("/offers")

    assert response.status_code == 200
    assert card_refs(response.text) == [shown["ref"]]
    assert suspended["ref"] not in response.text
    assert "1 offer" in response.text


async def test_filters_give_exactly_the_matching_offers(client) -> None:
    mx = await make_user("producer", country="MX")
    mx_cert = await make_certificate(mx, product_types=["sawn_timber", "tsr"])
    pine = await make_offer(mx, mx_cert["ref"], claim="FSC 100%")
    rubber = await make_offer(mx, mx_cert["ref"], claim="FSC Mix", **LATEX_OFFER)
    gt = await make_user("producer", country="GT")
    gt_cert = await make_certificate(gt)
    mahogany = await make_offer(gt, gt_cert["ref"], claim="FSC Mix", title="Caoba aserrada")

    cases = {
        "category=latex": {rubber["ref"]},
        "claim=FSC+Mix": {rubber["ref"], mahogany["ref"]},
        "country=GT": {mahogany["ref"]},
        "country=mx&category=timber": {pine["ref"]},
        "category=timber&claim=FSC+Mix": {mahogany["ref"]},
        "product_type=tsr": {rubber["ref"]},
    }
    for query, expected in cases.items():
        response = await client.get(f"/offers?{query}")
        assert response.status_code == 200, query
        assert set(card_refs(response.text)) == expected, query


async def test_filters_with_no_match_say_what_to_do(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"])

    response = await client.get("/offers?country=BR")

    assert card_refs(response.text) == []
    assert "No offers match these filters." in response.text
    assert 'href="/offers">Show all offers' in response.text


async def test_unknown_filter_value_is_ignored_with_a_message(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])

    response = await client.get("/offers?country=Mexico")

    assert response.status_code == 200
    assert card_refs(response.text) == [offer["ref"]]
    assert "Mexico is not a country we know: choose one from the list (ISO 3166-1, e.g. MX)." in response.text


async def test_pagination_twenty_per_page(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    for i in range(25):
        await make_offer(producer, cert["ref"], title=f"Lot {i}")

    first = await client.get("/offers")
    second = await client.get("/offers?page=2")

    assert len(card_refs(first.text)) == 20
    assert "Page 1 of 2" in first.text
    assert 'href="?page=2"' in first.text
    assert len(card_refs(second.text)) == 5
    assert "Page 2 of 2" in second.text
    assert not set(card_refs(first.text)) & set(card_refs(second.text))


async def test_pagination_links_keep_the_filters(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    for i in range(21):
        await make_offer(producer, cert["ref"], title=f"Lot {i}", claim="FSC Mix")

    response = await client.get("/offers?claim=FSC+Mix")

    assert 'href="?claim=FSC+Mix&amp;page=2"' in response.text


async def test_htmx_request_gets_the_results_fragment_only(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])

    response = await client.get("/offers?category=timber", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'data-testid="offer-filters"' not in response.text
    assert card_refs(response.text) == [offer["ref"]]


async def test_boosted_request_gets_the_full_page(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])

    response = await client.get("/offers", headers={"HX-Request": "true", "HX-Boosted": "true"})

    assert response.status_code == 200
    assert "<html" in response.text
    assert 'data-testid="offer-filters"' in response.text
    assert card_refs(response.text) == [offer["ref"]]


# --- home and about --------------------------------------------------------------------------------------------
async def test_home_shows_figures_latest_offers_and_search(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], title="Caoba en troza")

    response = await client.get("/")

    assert response.status_code == 200
    assert card_refs(response.text) == [offer["ref"]]
    assert "1 producer" in response.text
    assert "1 active offer" in response.text
    assert '<form method="get" action="/offers" role="search"' in response.text
    assert 'data-testid="cta-signup"' in response.text


def country_options(html: str) -> list[tuple[str, str]]:
    """(value, text) of the country filter's options."""
    block = html.split('name="country"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', block)


async def test_country_filters_list_only_countries_with_offers(client) -> None:
    """The offer list and the home page search list the countries that have publicly listed offers (not all 249),
    by name; a chosen country without offers stays chosen."""
    for country in ("MX", "GT"):
        producer = await make_user("producer", country=country)
        await make_offer(producer, (await make_certificate(producer))["ref"])
    peru = await make_user("producer", country="PE")
    await make_offer(peru, (await make_certificate(peru))["ref"], status="paused")  # not listed: Peru is not offered
    everyone = [("", "All countries"), ("GT", "Guatemala"), ("MX", "Mexico")]
    assert country_options((await client.get("/offers")).text) == everyone
    assert country_options((await client.get("/")).text) == everyone
    chosen = await client.get("/offers?country=PE")
    assert country_options(chosen.text) == [
        ("", "All countries"),
        ("GT", "Guatemala"),
        ("MX", "Mexico"),
        ("PE", "Peru"),
    ]
    assert '<option value="PE" selected>Peru</option>' in chosen.text
    assert card_refs(chosen.text) == []


async def test_about_page(client) -> None:
    response = await client.get("/about")
    assert response.status_code == 200
    assert "How matching works" in response.text
    assert "Certificate verification" in response.text


# --- detail ----------------------------------------------------------------------------------------------------
async def test_detail_shows_contact_email_to_buyers_only(client) -> None:
    producer = await make_user("producer")
    await set_contact(producer.organization_id, "ventas@ejido-example.mx")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], incoterm="FCA")
    url = f"/offers/{offer['ref']}"

    anonymous = await client.get(url)
    assert anonymous.status_code == 200
    assert "ventas@ejido-example.mx" not in anonymous.text
    assert "Sign in as a buyer" in anonymous.text
    assert cert["code"] in anonymous.text
    assert "FCA" in anonymous.text
    assert "Latitude 25.04, longitude -105.42" in anonymous.text

    await sign_in(client, await make_user("producer"))
    as_producer = await client.get(url)
    assert as_producer.status_code == 200
    assert "ventas@ejido-example.mx" not in as_producer.text
    assert "Contact details are shown to buyer accounts only." in as_producer.text

    await sign_in(client, await make_user("buyer"))
    as_buyer = await client.get(url)
    assert as_buyer.status_code == 200
    assert 'href="mailto:ventas@ejido-example.mx"' in as_buyer.text


async def test_paused_offer_is_404_for_anonymous_but_visible_to_its_producer(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    await offers.set_offer_status(producer, offer["ref"], "paused")

    anonymous = await client.get(f"/offers/{offer['ref']}")
    assert anonymous.status_code == 404

    await sign_in(client, producer)
    own = await client.get(f"/offers/{offer['ref']}")
    assert own.status_code == 200
    assert "Buyers cannot see this offer right now." in own.text


async def test_unknown_offer_is_404(client) -> None:
    response = await client.get("/offers/offer-doesnotexist")
    assert response.status_code == 404


# --- producer profile ------------------------------------------------------------------------------------------
async def test_producer_profile_lists_certificates_and_active_offers(client) -> None:
    producer = await make_user("producer", org_name="Ejido El Largo")
    await set_contact(producer.organization_id, "contacto@ellargo.example")
    cert = await make_certificate(producer)
    active = await make_offer(producer, cert["ref"], title="Pino aserrado")
    paused = await make_offer(producer, cert["ref"], title="Pino en troza")
    await offers.set_offer_status(producer, paused["ref"], "paused")

    response = await client.get(f"/producers/{producer.organization_ref}")

    assert response.status_code == 200
    assert "Ejido El Largo" in response.text
    assert cert["code"] in response.text
    assert card_refs(response.text) == [active["ref"]]
    assert "contacto@ellargo.example" not in response.text

    await sign_in(client, await make_user("buyer"))
    as_buyer = await client.get(f"/producers/{producer.organization_ref}")
    assert 'href="mailto:contacto@ellargo.example"' in as_buyer.text


async def test_producer_profile_404_for_buyers_and_unknown_refs(client) -> None:
    buyer = await make_user("buyer")
    assert (await client.get(f"/producers/{buyer.organization_ref}")).status_code == 404
    assert (await client.get("/producers/no-such-org")).status_code == 404


# --- a producer's own offers -----------------------------------------------------------------------------------
async def test_producer_creates_offer_through_the_form(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await sign_in(client, producer)
    assert (await client.get("/my/offers/new")).status_code == 200

    response = await post_form(
        client, "/my/offers/new", form_fields(cert["ref"], quantity="4237.76", unit="bf", min_order="")
    )

    assert response.status_code == 303
    ref = response.headers["location"].removeprefix("/offers/").removesuffix("?published=1")
    assert response.headers["location"] == f"/offers/{ref}?published=1"
    row = await offer_row(ref)
    assert row["organization"] == producer.organization_id
    assert row["certificate"] == cert["id"]
    assert row["unit"] == "bf"
    assert row["quantity_canonical"] == pytest.approx(10.0, abs=1e-9)
    assert row["species"] == ["Swietenia macrophylla", "caoba"]
    assert row["status"] == "active"


async def test_publishing_an_offer_is_confirmed_with_what_buyers_see(client) -> None:
    """After the form, the offer's page says it is published and, under a certificate staff have not checked yet,
    that buyers read it as awaiting verification; saving changes later says so too. Others see no notice."""
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await sign_in(client, producer)
    response = await post_form(client, "/my/offers/new", form_fields(cert["ref"]))
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    notice = page.text.split('data-testid="notice-published">', 1)[1].split("</div>", 1)[0]
    assert " ".join(notice.split()) == (
        "<p>Your offer is published. Buyers find it in the offer list and in search, and it is matched with their "
        "open requests. Its certificate is awaiting verification by program staff: buyers read “Certificate "
        "awaiting verification” until staff have checked it.</p>"
    )
    assert (
        '<li data-testid="badge-pending"><span class="badge badge--muted">Certificate awaiting verification</span>'
        in (page.text)
    )
    ref = response.headers["location"].removeprefix("/offers/").removesuffix("?published=1")
    edited = await post_form(client, f"/my/offers/{ref}/edit", form_fields(cert["ref"], title="Tablas nuevas"))
    assert edited.headers["location"] == f"/offers/{ref}?saved=1"
    saved = await client.get(edited.headers["location"])
    assert (
        '<div class="notice notice--success" role="status" data-testid="notice-saved"><p>Your changes are saved.</p>'
        in (saved.text)
    )
    await sign_in(client, await make_user("buyer"))
    assert 'data-testid="notice-published"' not in (await client.get(f"/offers/{ref}?published=1")).text


async def test_offer_under_suspended_certificate_is_refused_on_the_certificate_field(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer, status="suspended", code="SCS-FM/COC-123456")
    await sign_in(client, producer)

    response = await post_form(client, "/my/offers/new", form_fields(cert["ref"], title="Typed title"))

    assert response.status_code == 422
    message = "Certificate SCS-FM/COC-123456 is suspended; only a valid certificate supports a certified sale."
    assert f'<p class="field-error" id="f-certificate-error" aria-live="polite">{message}</p>' in response.text
    assert 'value="Typed title"' in response.text
    assert await Offer.count() == 0


async def test_offer_under_another_organisations_certificate_is_refused(client) -> None:
    owner = await make_user("producer")
    cert = await make_certificate(owner)
    producer = await make_user("producer")
    await make_certificate(producer)
    await sign_in(client, producer)

    response = await post_form(client, "/my/offers/new", form_fields(cert["ref"]))

    assert response.status_code == 422
    message = str(escape("Choose one of your organisation's certificates."))
    assert f'<p class="field-error" id="f-certificate-error" aria-live="polite">{message}</p>' in response.text
    assert await Offer.count() == 0


async def test_invalid_offer_fields_are_shown_inline(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await sign_in(client, producer)

    response = await post_form(client, "/my/offers/new", form_fields(cert["ref"], quantity="lots", unit="kg_drc"))

    assert response.status_code == 422
    assert '<p class="field-error" id="f-quantity-error" aria-live="polite">Enter a number.</p>' in response.text
    # Named by labels, never by keys ("kg_drc", "m3", "bf").
    message = "kg of dry rubber content (kg DRC) is not for Timber. Choose cubic metres (m³) or board feet."
    assert f'id="f-unit-error" aria-live="polite">{message}</p>' in response.text
    assert 'value="lots"' in response.text


async def test_buyer_cannot_post_an_offer(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await sign_in(client, await make_user("buyer"))

    response = await post_form(client, "/my/offers/new", form_fields(cert["ref"]))

    assert response.status_code == 403
    assert await Offer.count() == 0


async def test_anonymous_is_sent_to_sign_in(client) -> None:
    response = await client.get("/my/offers")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/my/offers"


async def test_producer_cannot_edit_another_organisations_offer(client) -> None:
    owner = await make_user("producer")
    cert = await make_certificate(owner)
    offer = await make_offer(owner, cert["ref"], title="Original title")
    other = await make_user("producer")
    other_cert = await make_certificate(other)
    await sign_in(client, other)

    page = await client.get(f"/my/offers/{offer['ref']}/edit")
    assert page.status_code == 403
    assert 'data-testid="offer-form"' not in page.text

    response = await post_form(
        client, f"/my/offers/{offer['ref']}/edit", form_fields(other_cert["ref"], title="Hijacked")
    )
    assert response.status_code == 403
    status = await post_form(client, f"/my/offers/{offer['ref']}/status", {"status": "closed"})
    assert status.status_code == 403
    row = await offer_row(offer["ref"])
    assert (row["title"], row["status"], row["certificate"]) == ("Original title", "active", cert["id"])


async def test_producer_edits_own_offer(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], quantity="120.500")
    await sign_in(client, producer)

    page = await client.get(f"/my/offers/{offer['ref']}/edit")
    assert page.status_code == 200
    assert 'value="120.5"' in page.text
    assert 'value="Pinus durangensis"' in page.text

    response = await post_form(client, f"/my/offers/{offer['ref']}/edit", form_fields(cert["ref"], title="New title"))
    assert response.status_code == 303
    assert (await offer_row(offer["ref"]))["title"] == "New title"


async def test_pause_and_reactivate_through_the_status_form(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    await sign_in(client, producer)
    mine = await client.get("/my/offers")
    assert f'data-testid="offer-actions-{offer["ref"]}"' in mine.text

    paused = await post_form(client, f"/my/offers/{offer['ref']}/status", {"status": "paused"})
    assert paused.status_code == 303
    assert paused.headers["location"] == "/my/offers"
    assert (await offer_row(offer["ref"]))["status"] == "paused"
    assert card_refs((await client.get("/offers")).text) == []

    active = await post_form(client, f"/my/offers/{offer['ref']}/status", {"status": "active"})
    assert active.status_code == 303
    assert (await offer_row(offer["ref"]))["status"] == "active"
    assert card_refs((await client.get("/offers")).text) == [offer["ref"]]


async def test_reactivation_refused_while_certificate_is_suspended(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer, code="SCS-FM/COC-654321")
    offer = await make_offer(producer, cert["ref"])
    await offers.set_offer_status(producer, offer["ref"], "paused")
    suspended = certificate_data(code=cert["code"], status="suspended")
    await certificates.update_certificate(producer, cert["ref"], suspended)
    await sign_in(client, producer)

    response = await post_form(client, f"/my/offers/{offer['ref']}/status", {"status": "active"})

    assert response.status_code == 422
    assert "Certificate SCS-FM/COC-654321 is suspended" in response.text
    assert (await offer_row(offer["ref"]))["status"] == "paused"


async def test_post_without_csrf_token_is_refused(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await sign_in(client, producer)

    response = await client.post("/my/offers/new", data=form_fields(cert["ref"]))

    assert response.status_code == 403
    assert await Offer.count() == 0


async def test_form_options_fragment_follows_the_category(client) -> None:
    await sign_in(client, await make_user("producer"))

    response = await client.get("/my/offers/form-options?category=latex", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'value="tsr"' in response.text
    assert 'value="kg_latex"' in response.text
    assert 'value="sawn_timber"' not in response.text
    assert 'value="bf"' not in response.text


async def test_offer_of_deactivated_organisation_is_not_public(client) -> None:
    producer = await make_user("producer")
    offer = await make_offer(producer, (await make_certificate(producer))["ref"])
    buyer = await make_user("buyer")
    assert (await client.get(f"/offers/{offer['ref']}")).status_code == 200
    await Organization.update({Organization.is_active: False}).where(Organization.id == producer.organization_id)
    assert (await client.get(f"/offers/{offer['ref']}")).status_code == 404
    await sign_in(client, buyer)
    assert (await client.get(f"/offers/{offer['ref']}")).status_code == 404
    contact = await post_form(client, f"/offers/{offer['ref']}/contact", {"body": "Hola"})
    assert contact.status_code == 404
    assert (await client.get(f"/offers/{offer['ref']}/contact")).status_code == 404
    from app.offers.services import get_visible_offer

    # The producer still sees its own offer (its page marks it as not listed).
    assert (await get_visible_offer(producer, offer["ref"]))["organization_active"] is False
