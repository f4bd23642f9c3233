"""Places: names in the reader's language, the rules forms, the API and the import share, the picker lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import places
from app.i18n import reset_locale, set_locale
from app.validation import Checker


@pytest.fixture(name="in_locale")
def fx_in_locale():
    """Run a block as a reader of one language: ``with in_locale("es_MX"): ...``."""
    tokens = []

    def use(locale: str) -> None:
        tokens.append(set_locale(locale))

    yield use
    for token in reversed(tokens):
        reset_locale(token)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("es_MX", "Veracruz, México"),
        ("pt_BR", "Veracruz, México"),
        ("en", "Veracruz, Mexico"),
    ],
)
def test_place_name_in_the_readers_language(locale: str, expected: str) -> None:
    assert places.place_name("MX", "MX-VER", locale=locale) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("es_MX", "Santiago Papasquiaro, Durango, México"),
        ("en", "Santiago Papasquiaro, Durango, Mexico"),
        ("pt_BR", "Santiago Papasquiaro, Durango, México"),
    ],
)
def test_place_name_with_locality(locale: str, expected: str) -> None:
    assert places.place_name("MX", "MX-DUR", " Santiago Papasquiaro ", locale=locale) == expected


def test_country_names_come_from_cldr_per_locale() -> None:
    assert places.country_name("DE", "es_MX") == "Alemania"
    assert places.country_name("DE", "pt_BR") == "Alemanha"
    assert places.country_name("DE", "en") == "Germany"
    assert places.country_name("br", "es_MX") == "Brasil"  # codes are read case-insensitively


def test_region_names_are_proper_nouns_with_common_short_forms() -> None:
    assert places.region_name("GT-17", "es_MX") == "Petén"
    assert places.region_name("BR-AC", "pt_BR") == "Acre"
    assert places.region_name("MX-MIC", "en") == "Michoacán"  # ISO: "Michoacán de Ocampo"
    assert places.region_name("ES-B", "es_MX") == "Barcelona"  # ISO: "Barcelona [Barcelona]"


def test_unknown_codes_are_shown_as_stored_and_blank_parts_are_left_out() -> None:
    assert places.place_name("MX", "GT-PE", locale="en") == "GT-PE, Mexico"  # pre-2021 code kept visible
    assert places.place_name("", "", "") == ""
    assert places.place_name("ZZ", None, locale="en") == "ZZ"


def test_countries_are_sorted_by_name_with_accents_and_spanish_ene() -> None:
    names = [name for _code, name in places.countries("es_MX")]
    assert names.index("Islandia") < names.index("Islas Åland") < names.index("Israel")
    assert names.index("Nicaragua") < names.index("Níger") < names.index("Nigeria")
    assert names == sorted(names, key=lambda n: places.collation_key(n, "es_MX"))
    english = [name for _code, name in places.countries("en")]
    assert english.index("Åland Islands") < english.index("Albania")
    assert len(names) == 249
    assert "ZZ" not in {code for code, _name in places.countries("en")}


def test_spanish_sorts_ene_after_n_and_before_o() -> None:
    words = ["Ñuble", "Oaxaca", "Nuevo León", "Nayarit"]
    assert sorted(words, key=lambda w: places.collation_key(w, "es_MX")) == ["Nayarit", "Nuevo León", "Ñuble", "Oaxaca"]


def test_regions_of_a_country_sorted_and_nested_ones_name_their_parent() -> None:
    mexico = places.regions("MX", "es_MX")
    assert len(mexico) == 32
    assert mexico[:3] == [
        ("MX-AGU", "Aguascalientes"),
        ("MX-BCN", "Baja California"),
        ("MX-BCS", "Baja California Sur"),
    ]
    assert ("MX-VER", "Veracruz") in mexico
    assert ("LK-13", "Kalutara (Western Province)") in places.regions("LK", "en")
    assert places.regions("ZZ") == []
    assert places.regions("") == []


@pytest.mark.parametrize(
    ("code", "known"), [("MX", True), ("GT", True), ("ZZ", False), ("XX", False), ("mx", False), ("", False)]
)
def test_is_country(code: str, known: bool) -> None:
    assert places.is_country(code) is known


@pytest.mark.parametrize(
    ("country", "region", "known"),
    [
        ("MX", "MX-DUR", True),
        ("GT", "GT-17", True),
        ("MX", "GT-17", False),  # a real region, of another country
        ("GT", "GT-PE", False),  # retired by ISO in 2021
        ("MX", "MX-ZZZ", False),
        ("ZZ", "ZZ-01", False),
    ],
)
def test_is_region_needs_the_region_inside_the_country(country: str, region: str, known: bool) -> None:
    assert places.is_region(country, region) is known


def _check(raw: dict[str, object], *, required: bool = False) -> tuple[tuple[str, str], dict[str, str]]:
    c = Checker(raw)
    result = places.check_place(c, "country", "region", required=required)
    return result, c.errors


def test_check_place_accepts_known_codes_in_any_case() -> None:
    assert _check({"country": " mx ", "region": "mx-dur"}) == (("MX", "MX-DUR"), {})
    assert _check({"country": "", "region": ""}) == (("", ""), {})


def test_check_place_refuses_unknown_country_with_the_field_named() -> None:
    assert _check({"country": "ZZ"}, required=True) == (
        ("", ""),
        {"country": "ZZ is not a country we know: choose one from the list (ISO 3166-1, e.g. MX)."},
    )
    assert _check({"country": ""}, required=True) == (("", ""), {"country": "This field is required."})


def test_check_place_names_the_places_when_the_region_is_elsewhere(in_locale) -> None:
    in_locale("es_MX")
    assert _check({"country": "GT", "region": "MX-DUR"}) == (
        ("GT", ""),
        {"region": "Durango está en México, no en Guatemala: elija una región de Guatemala."},
    )


def test_check_place_refuses_unknown_region_and_a_region_without_country() -> None:
    assert _check({"country": "MX", "region": "MX-XYZ"})[1] == {
        "region": "MX-XYZ is not a region we know: choose one from the list (ISO 3166-2, e.g. MX-DUR)."
    }
    assert _check({"country": "", "region": "MX-DUR"})[1] == {"country": "Choose the country of Durango."}
    assert _check({"country": ["MX"], "region": 5})[1] == {
        "country": "Choose a country from the list.",
        "region": "Choose a region from the list.",
    }


def test_country_bounds_frame_the_main_landmass() -> None:
    south, west, north, east = (float(v) for v in places.country_bounds("FR").split(","))
    assert (41 < south < 43, -6 < west < -4, 50 < north < 52, 7 < east < 9) == (True, True, True, True)
    assert places.country_bounds("ZZ") == ""


def test_every_region_code_the_demo_data_uses_is_a_known_region() -> None:
    """The demo generator writes organisations with these codes: each must be one the forms would accept."""
    data = Path(__file__).resolve().parents[2] / "app" / "demo" / "data"
    source = "".join(path.read_text(encoding="utf-8") for path in sorted(data.glob("*.json")))
    codes = set(re.findall(r'"([A-Z]{2}-[A-Z0-9]{1,3})"', source))
    assert codes, "the generator names regions"
    assert sorted(c for c in codes if not places.is_region(c[:2], c)) == []
