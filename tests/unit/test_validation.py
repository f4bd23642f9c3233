"""The field checker used by forms, the API and the import."""

from __future__ import annotations

import datetime as dt

import pytest

from app.certificates.services import check_certificate
from app.offers.services import check_offer
from app.validation import Checker, FieldErrors


def test_checker_collects_one_message_per_field() -> None:
    c = Checker({"q": "-1", "lat": "91", "lon": "10", "start": "2027-02-01", "end": "2027-01-01", "name": "x" * 300})
    assert c.number("q", positive=True) is None
    c.lat_lon("lat", "lon")
    c.date_window("start", "end")
    c.text("name", max_len=200)
    assert c.errors == {
        "q": "Enter a number greater than zero.",
        "lat": "Enter a number of at most 90.",
        "end": "The end date must be on or after the start date.",
        "name": "Use at most 200 characters.",
    }


def test_number_accepts_decimal_comma() -> None:
    assert Checker({"q": "12,5"}).number("q") == 12.5


def test_non_finite_numbers_rejected() -> None:
    c = Checker({"q": "nan"})
    assert c.number("q") is None
    assert c.errors == {"q": "Enter a number."}


def test_choices_reject_unknown_values() -> None:
    c = Checker({"claims": ["FSC 100%", "FSC 200%"]})
    assert c.choices("claims", ["FSC 100%", "FSC Mix"]) == []
    assert c.errors == {"claims": "Unknown value 'FSC 200%'. Choose FSC 100% or FSC Mix."}


def test_certificate_requires_expiry_and_product_types() -> None:
    with pytest.raises(FieldErrors) as caught:
        check_certificate({"code": "SCS-FM/COC-004512", "scope": "FM/COC", "status": "valid"})
    assert caught.value.errors == {
        "product_types": "Choose at least one value.",
        "expires_on": "This field is required.",
    }


def test_offer_converts_quantity_and_checks_min_order() -> None:
    today = dt.date.today().isoformat()
    base = {
        "category": "timber",
        "product_type": "sawn_timber",
        "title": "Boards",
        "claim": "FSC 100%",
        "quantity": "4237.76",
        "unit": "bf",
        "available_from": today,
        "available_to": today,
    }
    clean = check_offer(base)
    assert clean["quantity_canonical"] == pytest.approx(10.0)
    with pytest.raises(FieldErrors) as caught:
        check_offer(base | {"min_order": "5000"})
    assert caught.value.errors == {"min_order": "The minimum order cannot be larger than the quantity offered."}


def test_offer_product_type_must_belong_to_category() -> None:
    today = dt.date.today().isoformat()
    with pytest.raises(FieldErrors) as caught:
        check_offer(
            {
                "category": "latex",
                "product_type": "sawn_timber",
                "title": "Sheets",
                "claim": "FSC 100%",
                "quantity": "1",
                "unit": "kg_drc",
                "available_from": today,
                "available_to": today,
            }
        )
    # Named by labels in the reader's language, never by the keys underneath ("sawn_timber", "field_latex").
    assert caught.value.errors == {
        "product_type": "Sawn timber is not for Natural rubber latex. Choose Field latex, Latex concentrate, "
        "Ribbed smoked sheets (RSS), Technically specified rubber (TSR), Cup lump, or Crepe rubber."
    }


def test_choice_of_another_category_is_named_by_its_label_in_spanish() -> None:
    from app.i18n import reset_locale, set_locale
    from app.vocab import ALL_UNIT_NAMES, UNIT_NAMES

    token = set_locale("es_MX")
    try:
        c = Checker({"unit": "kg_drc"})
        c.choice("unit", UNIT_NAMES["timber"], vocabulary=ALL_UNIT_NAMES, context="Madera")
    finally:
        reset_locale(token)
    assert c.errors == {
        "unit": "kg de caucho seco (kg CCS) no corresponde a Madera. Elija metros cúbicos (m³) o pies tabla."
    }


@pytest.mark.parametrize("name", ["A", " x ", "-", "A.", "7"])
def test_one_letter_names_are_refused(name: str) -> None:
    c = Checker({"name": name})
    assert c.name("name", required=True) == ""
    assert c.errors == {"name": "Write at least 2 letters."}


@pytest.mark.parametrize("name", ["Li", "3M", "Ejido El Largo", "Ñu"])
def test_short_real_names_are_kept(name: str) -> None:
    c = Checker({"name": name})
    assert c.name("name", required=True) == name
    assert c.errors == {}
