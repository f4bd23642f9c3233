"""Places: countries and their regions, named in the reader's language, checked the same way everywhere.

The data stays ISO codes (ISO 3166-1 alpha-2 for countries, ISO 3166-2 for regions: the import format's contract);
people read and choose names. Countries are the ones ISO 3166-1 lists (``pycountry``), named by Babel's CLDR data
in the reader's locale; regions are ISO 3166-2 subdivisions from ``pycountry`` (maintained with each ISO update),
named as the place calls itself (proper nouns), translated by pycountry's own catalogue where it has a
translation. One module for forms, the JSON API, the bulk import and every page that shows a place.
"""

from __future__ import annotations

import datetime as dt
import gettext as stdlib_gettext
import json
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import pycountry

from app.i18n import SUPPORTED_LOCALES, _format_date, _format_money, _format_number, babel_locale, get_locale
from app.i18n import gettext as _
from app.settings import PROJECT_ROOT

_COUNTRY_SHAPE = re.compile(r"^[A-Z]{2}$")
_REGION_SHAPE = re.compile(r"^([A-Z]{2})-[A-Z0-9]{1,3}$")

#: The short names people use for subdivisions whose ISO name is the full official one.
COMMON_REGION_NAMES: dict[str, str] = {
    "MX-VER": "Veracruz",
    "MX-MIC": "Michoacán",
    "MX-COA": "Coahuila",
}


@dataclass(frozen=True)
class Region:
    code: str
    country: str
    name: str
    parent: str | None


# --- data ------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=1)
def _regions() -> dict[str, Region]:
    """Every ISO 3166-2 subdivision by code (read once; pycountry loads its data lazily)."""
    found: dict[str, Region] = {}
    for sub in pycountry.subdivisions:
        found[sub.code] = Region(sub.code, sub.country_code, sub.name, getattr(sub, "parent_code", None))
    return found


@lru_cache(maxsize=1)
def _regions_by_country() -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for region in _regions().values():
        grouped.setdefault(region.country, []).append(region.code)
    return {country: tuple(codes) for country, codes in grouped.items()}


@lru_cache(maxsize=8)
def _region_catalogue(locale: str) -> stdlib_gettext.NullTranslations:
    languages = [locale, locale.split("_")[0]]
    return stdlib_gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=languages, fallback=True)


def load_reference_data() -> None:
    """Read the country and region data and the site languages' names and number formats now (a worker's startup),
    not on the first page that shows a place or a price: pycountry's subdivisions and Babel's locale data take
    0.3-1 s to load, which that page's visitor waited for."""
    _regions_by_country()
    for locale in SUPPORTED_LOCALES:
        _region_catalogue(locale)
        _country_name("MX", locale)
        _format_money(Decimal("1.00"), "USD", locale)
        _format_number(1, 2, locale)
        _format_date(dt.date(2026, 1, 1), "medium", locale)


# --- names -----------------------------------------------------------------------------------------------------
def _normalise_code(code: Any) -> str:
    return code.strip().upper() if isinstance(code, str) else ""


def country_name(code: str | None, locale: str | None = None) -> str:
    """The country's name in the reader's language ('México', 'Mexico'); an unknown code is returned as given."""
    key = _normalise_code(code)
    if not key:
        return ""
    return _country_name(key, locale or get_locale())


@lru_cache(maxsize=2048)
def _country_name(code: str, locale: str) -> str:
    if code not in _country_codes():
        return code
    name = babel_locale(locale).territories.get(code)
    if name:
        return name
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def region_name(code: str | None, locale: str | None = None) -> str:
    """The region's name ('Durango', 'Petén'); an unknown code is returned as given."""
    key = _normalise_code(code)
    if not key:
        return ""
    return _region_name(key, locale or get_locale())


@lru_cache(maxsize=8192)
def _region_name(code: str, locale: str) -> str:
    region = _regions().get(code)
    if region is None:
        return code
    if code in COMMON_REGION_NAMES:
        return COMMON_REGION_NAMES[code]
    name = _region_catalogue(locale).gettext(region.name)
    # ISO lists some names with their other official form in brackets: "Barcelona [Barcelona]".
    return re.sub(r"\s*\[[^\]]*\]\s*$", "", name).strip() or region.name


@lru_cache(maxsize=8192)
def region_search_names(code: str | None) -> tuple[str, ...]:
    """Every name a region goes by, for search: its name in each supported language (the common short form where
    there is one: 'Veracruz', not 'Veracruz de Ignacio de la Llave'), then its parent region's ('Catalunya' for
    Barcelona). Accents stay: search folds them."""
    key = _normalise_code(code)
    names: list[str] = []
    seen: set[str] = set()
    while key in _regions() and key not in seen:
        seen.add(key)
        for locale in SUPPORTED_LOCALES:
            name = _region_name(key, locale)
            if name not in names:
                names.append(name)
        parent = _regions()[key].parent
        key = parent if parent and parent in _regions() else ""
    return tuple(names)


def place_name(
    country: str | None, region: str | None = None, locality: str | None = None, locale: str | None = None
) -> str:
    """Where something is, in words: 'Santiago Papasquiaro, Durango, México' (the parts that are known)."""
    parts = [(locality or "").strip(), region_name(region, locale), country_name(country, locale)]
    return ", ".join(p for p in parts if p)


# --- lists for pickers -----------------------------------------------------------------------------------------
def collation_key(text: str, locale: str | None = None) -> str:
    """Sort key for names in the reader's language: accents and case do not count, except that Spanish sorts
    ñ as its own letter after n ('Nicaragua', 'Níger', 'Ñuble'...)."""
    lang = (locale or get_locale()).split("_")[0]
    if lang == "es":
        text = text.replace("ñ", "n\x7f").replace("Ñ", "n\x7f")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def countries(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of every country, sorted by name in the reader's language."""
    return list(_countries(locale or get_locale()))


@lru_cache(maxsize=len(SUPPORTED_LOCALES) + 2)
def _countries(locale: str) -> tuple[tuple[str, str], ...]:
    named = [(code, _country_name(code, locale)) for code in _country_codes()]
    return tuple(sorted(named, key=lambda item: collation_key(item[1], locale)))


def countries_among(codes: Any, locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the known countries among ``codes``, sorted by name: a filter lists only the countries
    that have something to show, not all 249."""
    wanted = {_normalise_code(c) for c in codes or ()}
    return [pair for pair in _countries(locale or get_locale()) if pair[0] in wanted]


def regions(country: str | None, locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the country's regions sorted by name; a region inside another says which
    ('Kalutara (Western Province)'). Empty for an unknown country or one without subdivisions."""
    key = _normalise_code(country)
    if not key:
        return []
    return list(_regions_of(key, locale or get_locale()))


@lru_cache(maxsize=1024)
def _regions_of(country: str, locale: str) -> tuple[tuple[str, str], ...]:
    table = _regions()
    named: list[tuple[str, str]] = []
    for code in _regions_by_country().get(country, ()):
        name = _region_name(code, locale)
        parent = table[code].parent
        if parent and parent in table and parent != code:
            name = f"{name} ({_region_name(parent, locale)})"
        named.append((code, name))
    return tuple(sorted(named, key=lambda item: collation_key(item[1], locale)))


# --- rules -----------------------------------------------------------------------------------------------------
def is_country(code: str | None) -> bool:
    """An ISO 3166-1 alpha-2 code of a country ('MX'); 'ZZ' and other unassigned codes are not."""
    return isinstance(code, str) and code in _country_codes()


def is_region(country: str | None, region: str | None) -> bool:
    """An ISO 3166-2 code of a subdivision of this country ('MX', 'MX-DUR')."""
    if not isinstance(region, str) or not isinstance(country, str):
        return False
    found = _regions().get(region)
    return found is not None and found.country == country


def region_country(region: str | None) -> str:
    """The country a known region code belongs to ('' when the code is unknown)."""
    found = _regions().get(_normalise_code(region))
    return found.country if found else ""


def check_place(checker: Any, country_field: str, region_field: str, *, required: bool = False) -> tuple[str, str]:
    """Read a country and region pair with a ``Checker`` (forms, API and import alike): known codes only, the
    region inside the country. Messages name places, not codes, wherever the code is known."""
    country = _normalise_code(checker.raw.get(country_field))
    region = _normalise_code(checker.raw.get(region_field))
    raw_country = checker.raw.get(country_field)
    if raw_country is not None and not isinstance(raw_country, str):
        checker.fail(country_field, _("Choose a country from the list."))
        country = ""
    elif not country:
        if required:
            checker.fail(country_field, _("This field is required."))
    elif not _COUNTRY_SHAPE.match(country) or not is_country(country):
        checker.fail(
            country_field,
            _(
                "%(code)s is not a country we know: choose one from the list (ISO 3166-1, e.g. MX).",
                code=str(raw_country).strip()[:12],
            ),
        )
        country = ""
    raw_region = checker.raw.get(region_field)
    if raw_region is not None and not isinstance(raw_region, str):
        checker.fail(region_field, _("Choose a region from the list."))
        return country, ""
    if not region:
        return country, ""
    home = region_country(region)
    if not _REGION_SHAPE.match(region) or not home:
        checker.fail(
            region_field,
            _(
                "%(code)s is not a region we know: choose one from the list (ISO 3166-2, e.g. MX-DUR).",
                code=str(raw_region).strip()[:12],
            ),
        )
        return country, ""
    if not country:
        if country_field not in checker.errors:
            checker.fail(country_field, _("Choose the country of %(region)s.", region=region_name(region)))
        return country, ""
    if home != country:
        checker.fail(
            region_field,
            _(
                "%(region)s is in %(home)s, not in %(country)s: choose a region of %(country)s.",
                region=region_name(region),
                home=country_name(home),
                country=country_name(country),
            ),
        )
        return country, ""
    return country, region


def is_known_region(region: str | None) -> bool:
    """An ISO 3166-2 code of any country's subdivision."""
    return bool(region_country(region))


# --- where a country is on the map ------------------------------------------------------------------------------
#: The shipped world outline under static/ (the map pages draw the same file).
WORLD_OUTLINE = "geo/world-110m.geojson"

#: Natural Earth's short names (static/geo/world-110m.geojson) that ISO's name lookups do not find.
_OUTLINE_NAMES: dict[str, str] = {
    "W. Sahara": "EH",
    "Dem. Rep. Congo": "CD",
    "Dominican Rep.": "DO",
    "Russia": "RU",
    "Falkland Is.": "FK",
    "Fr. S. Antarctic Lands": "TF",
    "Central African Rep.": "CF",
    "Eq. Guinea": "GQ",
    "Palestine": "PS",
    "Turkey": "TR",
    "Solomon Is.": "SB",
    "Brunei": "BN",
    "Bosnia and Herz.": "BA",
    "Macedonia": "MK",
    "S. Sudan": "SS",
}


def _outline_code(name: str) -> str:
    if name in _OUTLINE_NAMES:
        return _OUTLINE_NAMES[name]
    found = (
        pycountry.countries.get(name=name)
        or pycountry.countries.get(common_name=name)
        or pycountry.countries.get(official_name=name)
    )
    return str(found.alpha_2) if found is not None else ""


def _ring_area(ring: list[list[float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))) / 2


@lru_cache(maxsize=1)
def _all_bounds() -> dict[str, tuple[float, float, float, float]]:
    """(south, west, north, east) of each country's largest landmass in the shipped outline: a map opened on
    France shows France, not the ocean between it and French Guiana."""
    data = json.loads((PROJECT_ROOT / "static" / WORLD_OUTLINE).read_text(encoding="utf-8"))
    bounds: dict[str, tuple[float, float, float, float]] = {}
    for feature in data["features"]:
        code = _outline_code(feature["properties"].get("name", ""))
        geometry = feature["geometry"]
        if not code or not geometry:
            continue
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        outer = max((polygon[0] for polygon in polygons), key=_ring_area)
        lons, lats = [p[0] for p in outer], [p[1] for p in outer]
        bounds[code] = (min(lats), min(lons), max(lats), max(lons))
    return bounds


def country_bounds(code: str | None) -> str:
    """'south,west,north,east' of the country for the point picker's first view ('' when the outline lacks it)."""
    found = _all_bounds().get(_normalise_code(code))
    return ",".join(f"{v:g}" for v in found) if found else ""
