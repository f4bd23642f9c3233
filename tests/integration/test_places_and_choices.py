"""Places chosen and shown by name, checked the same way by forms, the API and the import; choices that follow the
category (and regions that follow the country) with and without JavaScript; errors that name labels, not keys."""

from __future__ import annotations

import copy
import re

import pytest
from markupsafe import escape

from app.accounts.tables import Organization, User
from app.imports.services import ImportRejected, import_document
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from tests.factories import (
    api_token,
    make_certificate,
    make_offer,
    make_request,
    make_user,
    post_form,
    request_data,
    sign_in,
)
from tests.integration.test_import import sample_doc
from tests.integration.test_sourcing_pages import form_data as request_form


@pytest.fixture(name="client")
async def fx_client(client):
    """The shared client, not following redirects: the 303 after each write is asserted."""
    client.follow_redirects = False
    yield client


LATEX_KEYS = ["field_latex", "latex_concentrate", "rss", "tsr", "cup_lump", "crepe"]

SIGNUP = {
    "role": "producer",
    "organization_name": "Ejido La Victoria",
    "country": "MX",
    "region": "MX-DUR",
    "region_choices_for": "MX",
    "name": "Rosa Díaz",
    "email": "rosa@example.org",
    "password": "pino encino cedro",
}


def options_of(html: str, select_id: str) -> list[tuple[str, str]]:
    """(value, text) of every option of one <select> in a page."""
    found = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert found, f"no select #{select_id}"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(0))


def checkbox_values(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" type="checkbox" value="([^"]*)"', html)


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{name}-error" aria-live="polite">([^<]*)</p>', html)
    assert found, f"no error slot for {name}"
    return found.group(1)


# --- sign-up ---------------------------------------------------------------------------------------------------
async def test_sign_up_offers_countries_by_name_and_no_code_field(client) -> None:
    page = await client.get("/signup")
    assert page.status_code == 200
    countries = options_of(page.text, "f-country")
    assert ("MX", "Mexico") in countries
    assert ("GT", "Guatemala") in countries
    assert len(countries) == 250  # a blank choice and the 249 countries of ISO 3166-1
    assert options_of(page.text, "f-region") == [("", "Choose the country first")]


async def test_sign_up_stores_country_and_region_codes_chosen_by_name(client) -> None:
    await client.get("/signup")
    response = await post_form(client, "/signup", SIGNUP)
    assert response.status_code == 303
    org = (
        await Organization.select(Organization.country, Organization.region)
        .where(Organization.name == "Ejido La Victoria")
        .first()
    )
    assert org == {"country": "MX", "region": "MX-DUR"}
    profile = await client.get("/my/organization")
    assert '<p data-testid="org-place">Where: Durango, Mexico</p>' in profile.text


async def test_sign_up_with_unknown_country_code_is_refused_inline(client) -> None:
    await client.get("/signup")
    response = await post_form(client, "/signup", {**SIGNUP, "country": "ZZ", "region": "", "region_choices_for": "ZZ"})
    assert response.status_code == 422
    assert field_error(response.text, "country") == (
        "ZZ is not a country we know: choose one from the list (ISO 3166-1, e.g. MX)."
    )
    assert await User.count() == 0
    assert await Organization.count().where(Organization.name == "Ejido La Victoria") == 0


async def test_sign_up_with_one_letter_organisation_name_is_refused(client) -> None:
    await client.get("/signup")
    response = await post_form(client, "/signup", {**SIGNUP, "organization_name": "E"})
    assert response.status_code == 422
    assert field_error(response.text, "organization_name") == "Write at least 2 letters."
    assert await User.count() == 0


async def test_sign_up_without_javascript_after_changing_country_redraws_the_regions(client) -> None:
    """The region list on screen was Mexico's; the user picked Guatemala without JavaScript: nothing is created,
    the form comes back with Guatemala's regions and says why, entered values kept (never the password)."""
    await client.get("/signup")
    response = await post_form(client, "/signup", {**SIGNUP, "country": "GT", "region": "MX-DUR"})
    assert response.status_code == 422
    assert field_error(response.text, "region") == "The choices now fit Guatemala: choose again and send the form."
    regions = options_of(response.text, "f-region")
    assert ("GT-17", "Petén") in regions
    assert all(code == "" or code.startswith("GT-") for code, _text in regions)
    assert '<option value="" selected>Not stated</option>' in response.text
    assert '<input type="hidden" name="region_choices_for" value="GT">' in response.text
    assert 'value="Ejido La Victoria"' in response.text
    assert "pino encino cedro" not in response.text
    assert await User.count() == 0


# --- organisation profile --------------------------------------------------------------------------------------
async def test_organisation_region_of_another_country_is_refused_naming_places(client) -> None:
    user = await make_user("producer")
    await sign_in(client, user)
    response = await post_form(
        client, "/my/organization", {"name": "Ejido", "country": "GT", "region": "MX-DUR", "region_choices_for": "GT"}
    )
    assert response.status_code == 422
    assert field_error(response.text, "region") == (
        "Durango is in Mexico, not in Guatemala: choose a region of Guatemala."
    )
    org = (
        await Organization.select(Organization.country, Organization.region)
        .where(Organization.id == user.organization_id)
        .first()
    )
    assert org == {"country": "MX", "region": ""}


async def test_organisation_point_out_of_range_is_refused_and_typed_point_saved(client) -> None:
    user = await make_user("producer")
    await sign_in(client, user)
    form = {"name": "Ejido El Largo", "country": "MX", "region": "MX-CHH", "region_choices_for": "MX"}
    refused = await post_form(client, "/my/organization", {**form, "lat": "95", "lon": "-108.14"})
    assert refused.status_code == 422
    assert field_error(refused.text, "lat") == "Enter a number of at most 90."
    saved = await post_form(client, "/my/organization", {**form, "lat": "29.190001", "lon": "-108.140002"})
    assert saved.status_code == 303
    org = (
        await Organization.select(Organization.region, Organization.lat, Organization.lon)
        .where(Organization.id == user.organization_id)
        .first()
    )
    assert org == {"region": "MX-CHH", "lat": 29.190001, "lon": -108.140002}


async def test_api_organisation_update_refuses_unknown_country(client) -> None:
    user = await make_user("producer")
    headers = await api_token(user)
    response = await client.put(
        f"/api/v1/organizations/{user.organization_ref}",
        json={"name": "Ejido Uno", "country": "ZZ", "region": ""},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "country", "message": "ZZ is not a country we know: choose one from the list (ISO 3166-1, e.g. MX)."}
    ]
    assert (await Organization.select(Organization.country).where(Organization.id == user.organization_id).first()) == {
        "country": "MX"
    }


# --- region list for htmx --------------------------------------------------------------------------------------
async def test_region_list_follows_the_country_named_by_the_picker(client) -> None:
    response = await client.get(
        "/places/regions", params={"field": "delivery_region", "source": "delivery_country", "delivery_country": "gt"}
    )
    assert response.status_code == 200
    assert '<input type="hidden" name="delivery_region_choices_for" value="GT">' in response.text
    assert 'hx-trigger="change from:#f-delivery_country"' in response.text
    regions = options_of(response.text, "f-delivery_region")
    assert regions[0] == ("", "Not stated")
    assert ("GT-17", "Petén") in regions
    assert len(regions) == 23  # Guatemala's 22 departments
    unknown = await client.get("/places/regions", params={"country": "ZZ"})
    assert options_of(unknown.text, "f-region") == [("", "Choose the country first")]


# --- sourcing requests: places ---------------------------------------------------------------------------------
async def test_request_with_region_of_another_country_is_refused_with_the_field(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    form = request_form(delivery_country="MX", delivery_region="GT-17", delivery_region_choices_for="MX")
    response = await post_form(client, "/my/requests/new", form)
    assert response.status_code == 422
    assert field_error(response.text, "delivery_region") == (
        "Petén is in Guatemala, not in Mexico: choose a region of Mexico."
    )
    assert await SourcingRequest.count() == 0


async def test_api_request_with_region_of_another_country_is_refused(client) -> None:
    buyer = await make_user("buyer")
    response = await client.post(
        "/api/v1/requests",
        json=request_data(delivery_country="MX", delivery_region="GT-17"),
        headers=await api_token(buyer),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "delivery_region", "message": "Petén is in Guatemala, not in Mexico: choose a region of Mexico."}
    ]
    assert await SourcingRequest.count() == 0


async def test_import_refuses_unknown_codes_and_one_letter_names_with_the_field(clean_db: str) -> None:
    doc = sample_doc()
    doc["organizations"][0]["country"] = "ZZ"
    doc["organizations"][1]["region"] = "GT-17"
    doc["organizations"][1]["name"] = "M"
    doc["requests"][0]["delivery"] = copy.deepcopy(doc["requests"][0]["delivery"]) | {"region": "MX-ZZZ"}
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    found = {(p.ref, p.field, p.message) for p in caught.value.problems}
    assert found == {
        ("ejido-san-pedro", "country", "ZZ is not a country we know: choose one from the list (ISO 3166-1, e.g. MX)."),
        ("buyer-ref", "region", "Petén is in Guatemala, not in Mexico: choose a region of Mexico."),
        ("buyer-ref", "name", "Write at least 2 letters."),
        (
            "req-1",
            "delivery_region",
            "MX-ZZZ is not a region we know: choose one from the list (ISO 3166-2, e.g. MX-DUR).",
        ),
    }
    assert await Organization.count() == 0


# --- pages name places -----------------------------------------------------------------------------------------
async def test_pages_show_place_names_not_codes(client) -> None:
    producer = await make_user("producer", org_name="Ejido Veracruzano")
    await Organization.update({Organization.region: "MX-VER", Organization.locality: "Uxpanapa"}).where(
        Organization.id == producer.organization_id
    )
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    buyer = await make_user("buyer")
    request_row = await make_request(buyer)

    listing = await client.get("/offers")
    assert '<span data-testid="offer-place">Veracruz, Mexico</span>' in listing.text
    detail = await client.get(f"/offers/{offer['ref']}")
    assert "<br>Uxpanapa, Veracruz, Mexico</p>" in detail.text
    profile = await client.get(f"/producers/{producer.organization_ref}")
    assert '<p data-testid="producer-place">Uxpanapa, Veracruz, Mexico</p>' in profile.text
    for page in (listing, detail, profile):
        assert "MX-VER" not in page.text

    await sign_in(client, buyer)
    request_page = await client.get(f"/requests/{request_row['ref']}")
    assert '<dd data-testid="request-delivery-place">Guadalajara, Jalisco, Mexico</dd>' in request_page.text
    mine = await client.get("/my/requests")
    assert "Delivery: Guadalajara, Jalisco, Mexico</p>" in mine.text
    assert "MX-JAL" not in request_page.text + mine.text


async def test_country_filter_is_a_list_of_names(client) -> None:
    page = await client.get("/offers?country=GT")
    assert '<option value="GT" selected>Guatemala</option>' in page.text
    assert ("", "All countries") == options_of(page.text, "f-country")[0]


# --- choices follow the category -------------------------------------------------------------------------------
async def test_request_form_lists_only_the_categorys_types_and_units(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    page = await client.get("/my/requests/new")
    assert checkbox_values(page.text, "product_types") == [
        "roundwood",
        "fuelwood",
        "charcoal",
        "chips",
        "sawn_timber",
        "panels",
        "mouldings_flooring",
        "furniture_parts",
        "crafts",
    ]
    assert options_of(page.text, "f-unit") == [("", "Choose a unit"), ("m3", "cubic metres (m³)"), ("bf", "board feet")]
    assert 'id="f-drc_percent"' not in page.text  # dry rubber content is a latex matter

    latex = await client.get(
        "/my/requests/form-options", params={"category": "latex", "product_types": "sawn_timber", "unit": "m3"}
    )
    assert checkbox_values(latex.text, "product_types") == [
        "field_latex",
        "latex_concentrate",
        "rss",
        "tsr",
        "cup_lump",
        "crepe",
    ]
    assert options_of(latex.text, "f-unit") == [
        ("", "Choose a unit"),
        ("kg_drc", "kg of dry rubber content (kg DRC)"),
        ("t_drc", "tonnes of dry rubber content (t DRC)"),
        ("kg_latex", "kg of wet latex"),
    ]
    assert '<option value="" selected>Choose a unit</option>' in latex.text  # m³ does not stay chosen
    assert 'id="f-drc_percent"' in latex.text
    assert 'hx-swap-oob="true"' in latex.text
    assert '<input type="hidden" name="product_types_choices_for" value="latex">' in latex.text


async def test_request_form_options_keep_what_still_fits(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await client.get(
        "/my/requests/form-options",
        params=[("category", "latex"), ("product_types", "rss"), ("product_types", "sawn_timber"), ("unit", "t_drc")],
    )
    assert re.findall(r'value="([^"]+)"\s+data-testid="field-product_types-[^"]+" checked', response.text) == ["rss"]
    assert '<option value="t_drc" selected>' in response.text


async def test_request_without_javascript_after_choosing_latex_redraws_with_latex_choices(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    form = request_form(category="latex", product_types_choices_for="timber", delivery_region_choices_for="MX")
    response = await post_form(client, "/my/requests/new", form)
    assert response.status_code == 422
    message = "The choices now fit Natural rubber latex: choose again and send the form."
    assert field_error(response.text, "product_types") == message
    assert field_error(response.text, "unit") == message
    assert checkbox_values(response.text, "product_types") == [
        "field_latex",
        "latex_concentrate",
        "rss",
        "tsr",
        "cup_lump",
        "crepe",
    ]
    assert 'value="Pine boards for Guadalajara"' in response.text  # what the user typed stays
    assert "kg_drc" not in field_error(response.text, "unit")
    assert await SourcingRequest.count() == 0

    again = await post_form(
        client,
        "/my/requests/new",
        request_form(
            category="latex",
            product_types=["field_latex"],
            unit="kg_latex",
            drc_percent="35",
            quantity="1000",
            min_per_supplier="100",
            product_types_choices_for="latex",
            delivery_region_choices_for="MX",
        ),
    )
    assert again.status_code == 303
    row = (
        await SourcingRequest.select(
            SourcingRequest.product_types, SourcingRequest.unit, SourcingRequest.quantity_canonical
        )
        .output(load_json=True)
        .first()
    )
    assert row == {"product_types": ["field_latex"], "unit": "kg_latex", "quantity_canonical": 350.0}


async def test_request_errors_name_labels_not_keys(client) -> None:
    """A posted unit or type of another category (an old page, a crafted post) is named by its label."""
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await post_form(
        client, "/my/requests/new", request_form(category="latex", product_types=["field_latex"], unit="m3")
    )
    assert response.status_code == 422
    assert field_error(response.text, "unit") == str(
        escape(
            "cubic metres (m³) is not for Natural rubber latex. Choose kg of dry rubber content (kg DRC), "
            "tonnes of dry rubber content (t DRC), or kg of wet latex."
        )
    )
    for key in ("kg_drc", "t_drc", "kg_latex", "'m3'"):
        assert key not in field_error(response.text, "unit")


async def test_offer_without_javascript_after_choosing_latex_redraws_with_latex_choices(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer, product_types=["field_latex"])
    await sign_in(client, producer)
    form = {
        "certificate": cert["ref"],
        "claim": "FSC 100%",
        "category": "latex",
        "product_type_choices_for": "timber",
        "product_type": "sawn_timber",
        "unit": "m3",
        "title": "Látex de campo",
        "quantity": "800",
        "available_from": "2030-01-01",
        "available_to": "2030-03-01",
    }
    response = await post_form(client, "/my/offers/new", form)
    assert response.status_code == 422
    message = "The choices now fit Natural rubber latex: choose again and send the form."
    assert field_error(response.text, "product_type") == message
    assert field_error(response.text, "unit") == message
    assert [v for v, _t in options_of(response.text, "f-product_type")] == [
        "",
        "field_latex",
        "latex_concentrate",
        "rss",
        "tsr",
        "cup_lump",
        "crepe",
    ]
    assert [v for v, _t in options_of(response.text, "f-unit")] == ["", "kg_drc", "t_drc", "kg_latex"]
    assert 'value="Látex de campo"' in response.text
    assert await Offer.count() == 0


async def test_inline_validation_does_not_judge_a_list_being_redrawn(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    form = request_form(category="latex", product_types_choices_for="timber", delivery_region_choices_for="MX")
    response = await post_form(client, "/validate/request", form)
    assert response.status_code == 200
    assert '<p class="field-error" id="f-unit-error" aria-live="polite" hx-swap-oob="true"></p>' in response.text
    assert '<p class="field-error" id="f-product_types-error" aria-live="polite" hx-swap-oob="true"></p>' in (
        response.text
    )
    assert "choices_for" not in response.text


async def test_request_form_starts_in_the_buyers_country_with_its_regions(client) -> None:
    buyer = await make_user("buyer", country="GT")
    await sign_in(client, buyer)
    page = await client.get("/my/requests/new")
    assert '<option value="GT" selected>Guatemala</option>' in page.text
    assert ("GT-17", "Petén") in options_of(page.text, "f-delivery_region")


async def test_request_without_javascript_offers_the_region_list_once_after_a_country_change(client) -> None:
    """The user changed the country without JavaScript and could not pick a region: the page lists the new country's
    regions and says the region may stay empty; the next submit saves either way."""
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    form = request_form(
        delivery_country="GT",
        delivery_region="",
        delivery_region_choices_for="MX",
        delivery_lat="",
        delivery_lon="",
        max_distance_km="",
        product_types_choices_for="timber",
    )
    first = await post_form(client, "/my/requests/new", form)
    assert first.status_code == 422
    assert field_error(first.text, "delivery_region") == (
        "Now choose from the list for Guatemala, or leave it empty, and send the form again."
    )
    assert ("GT-17", "Petén") in options_of(first.text, "f-delivery_region")
    assert await SourcingRequest.count() == 0
    second = await post_form(client, "/my/requests/new", {**form, "delivery_region_choices_for": "GT"})
    assert second.status_code == 303
    row = await SourcingRequest.select(SourcingRequest.delivery_country, SourcingRequest.delivery_region).first()
    assert row == {"delivery_country": "GT", "delivery_region": ""}


async def test_filter_product_types_follow_the_category(client) -> None:
    response = await client.get("/choices/product-types", params={"category": "latex", "product_type": "rss"})
    assert response.status_code == 200
    assert [v for v, _t in options_of(response.text, "f-product_type")] == ["", *LATEX_KEYS]
    assert '<option value="rss" selected>' in response.text
    assert '<input type="hidden" name="product_type_choices_for" value="latex">' in response.text
    timber = await client.get("/choices/product-types", params={"category": "timber", "product_type": "rss"})
    assert '<option value="" selected>All product types</option>' in timber.text


async def test_offer_list_drops_a_product_type_left_from_the_previous_category(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer, product_types=["cup_lump"])
    offer = await make_offer(
        producer, cert["ref"], category="latex", product_type="cup_lump", unit="kg_drc", title="Coágulo"
    )
    stale = await client.get(
        "/offers", params={"category": "latex", "product_type": "sawn_timber", "product_type_choices_for": "timber"}
    )
    assert stale.status_code == 200
    assert 'data-testid="filter-errors"' not in stale.text
    assert f'data-ref="{offer["ref"]}"' in stale.text
    assert [v for v, _t in options_of(stale.text, "f-product_type")] == ["", *LATEX_KEYS]
    typed = await client.get("/offers", params={"category": "latex", "product_type": "sawn_timber"})
    assert "Sawn timber is not for Natural rubber latex." in typed.text  # a hand-made address: told, by labels
