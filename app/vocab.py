"""The trade's controlled vocabulary: keys stay stable, labels go through the translation layer.

Keys follow ../shared/IMPORT_FORMAT.md; product classes follow FSC-STD-40-004a (see DOMAIN.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from app.i18n import N_, gettext

CATEGORIES: dict[str, str] = {"timber": N_("Timber"), "latex": N_("Natural rubber latex")}

PRODUCT_TYPES: dict[str, dict[str, str]] = {
    "timber": {
        "roundwood": N_("Roundwood (logs)"),
        "fuelwood": N_("Fuelwood"),
        "charcoal": N_("Charcoal"),
        "chips": N_("Wood chips"),
        "sawn_timber": N_("Sawn timber"),
        "panels": N_("Panels (plywood, veneer, boards)"),
        "mouldings_flooring": N_("Mouldings and flooring"),
        "furniture_parts": N_("Furniture parts"),
        "crafts": N_("Crafts"),
    },
    "latex": {
        "field_latex": N_("Field latex"),
        "latex_concentrate": N_("Latex concentrate"),
        "rss": N_("Ribbed smoked sheets (RSS)"),
        "tsr": N_("Technically specified rubber (TSR)"),
        "cup_lump": N_("Cup lump"),
        "crepe": N_("Crepe rubber"),
    },
}

ALL_PRODUCT_TYPES: dict[str, str] = {k: v for types in PRODUCT_TYPES.values() for k, v in types.items()}
PRODUCT_CATEGORY: dict[str, str] = {k: cat for cat, types in PRODUCT_TYPES.items() for k in types}

CLAIMS: dict[str, str] = {
    "FSC 100%": N_("FSC 100%"),
    "FSC Mix": N_("FSC Mix"),
    "FSC Mix Credit": N_("FSC Mix Credit"),
    "FSC Recycled": N_("FSC Recycled"),
    "FSC Recycled Credit": N_("FSC Recycled Credit"),
    "FSC Controlled Wood": N_("FSC Controlled Wood"),
}

SCOPES: dict[str, str] = {
    "FM": N_("Forest management"),
    "COC": N_("Chain of custody"),
    "FM/COC": N_("Forest management and chain of custody"),
    "CW/FM": N_("Controlled wood forest management"),
}

CERTIFICATE_STATUSES: dict[str, str] = {
    "valid": N_("Valid"),
    "suspended": N_("Suspended"),
    "terminated": N_("Terminated"),
    "expired": N_("Expired"),
}

VERIFICATION_STATES: dict[str, str] = {
    "pending": N_("Awaiting verification"),
    "verified": N_("Verified by staff"),
    "rejected": N_("Rejected"),
}

#: ``collector``: a dealer, cooperative collection point or processor that receives latex (TRACEABILITY.md).
ORG_KINDS: dict[str, str] = {
    "producer": N_("Producer"),
    "buyer": N_("Buyer"),
    "both": N_("Producer and buyer"),
    "collector": N_("Collector (dealer, collection point, processor)"),
}

LEGAL_FORMS: dict[str, str] = {
    "ejido": N_("Ejido"),
    "comunidad": N_("Comunidad (agrarian community)"),
    "community_concession": N_("Community forest concession"),
    "cooperative": N_("Cooperative"),
    "association": N_("Producers' association"),
    "smallholder_group": N_("Smallholder group"),
    "extractive_reserve": N_("Extractive reserve association"),
    "indigenous_territory": N_("Indigenous territory"),
    "family_forest": N_("Family forest"),
    "company": N_("Company"),
    "other": N_("Other"),
}

USER_ROLES: dict[str, str] = {
    "producer": N_("Producer member"),
    "buyer": N_("Buyer member"),
    "staff": N_("Program staff"),
}

OFFER_STATUSES: dict[str, str] = {"active": N_("Active"), "paused": N_("Paused"), "closed": N_("Closed")}
REQUEST_STATUSES: dict[str, str] = {"open": N_("Open"), "closed": N_("Closed")}

INCOTERMS: dict[str, str] = {
    code: code for code in ("EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP")
}

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "MXN", "GTQ", "HNL", "BRL", "PEN", "BOB", "THB", "LKR", "VND", "GBP")

#: Units per category; the first is the canonical unit quantities are compared in.
UNITS: dict[str, dict[str, str]] = {
    "timber": {"m3": N_("m³"), "bf": N_("board feet")},
    "latex": {"kg_drc": N_("kg DRC"), "t_drc": N_("t DRC"), "kg_latex": N_("kg wet latex")},
}
#: What each unit is called where one is chosen or named in a message (UNITS are the short symbols beside a number).
UNIT_NAMES: dict[str, dict[str, str]] = {
    "timber": {"m3": N_("cubic metres (m³)"), "bf": N_("board feet")},
    "latex": {
        "kg_drc": N_("kg of dry rubber content (kg DRC)"),
        "t_drc": N_("tonnes of dry rubber content (t DRC)"),
        "kg_latex": N_("kg of wet latex"),
    },
}
ALL_UNIT_NAMES: dict[str, str] = {k: v for names in UNIT_NAMES.values() for k, v in names.items()}
CANONICAL_UNIT: dict[str, str] = {"timber": "m3", "latex": "kg_drc"}
BOARD_FEET_PER_M3 = 423.776

CERT_CODE_RE = re.compile(r"^[A-Z]{2,6}-(?:FM/COC|CW/FM|FM|COC|CW)-\d{6}$")
LICENSE_CODE_RE = re.compile(r"^FSC-C\d{6}$")
REGION_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")

#: The time zone moments are shown in for people of an organisation in this country (its capital's, where a
#: country spans several); other countries, and visitors, read UTC. The label beside each time says which.
COUNTRY_TIME_ZONES: dict[str, str] = {
    "MX": "America/Mexico_City",
    "GT": "America/Guatemala",
    "HN": "America/Tegucigalpa",
    "BZ": "America/Belize",
    "SV": "America/El_Salvador",
    "NI": "America/Managua",
    "CR": "America/Costa_Rica",
    "PA": "America/Panama",
    "CO": "America/Bogota",
    "EC": "America/Guayaquil",
    "PE": "America/Lima",
    "BO": "America/La_Paz",
    "BR": "America/Sao_Paulo",
    "PY": "America/Asuncion",
    "AR": "America/Argentina/Buenos_Aires",
    "CL": "America/Santiago",
    "UY": "America/Montevideo",
    "VE": "America/Caracas",
    "GY": "America/Guyana",
    "SR": "America/Paramaribo",
    "US": "America/New_York",
    "CA": "America/Toronto",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "PT": "Europe/Lisbon",
    "ES": "Europe/Madrid",
    "FR": "Europe/Paris",
    "BE": "Europe/Brussels",
    "NL": "Europe/Amsterdam",
    "DE": "Europe/Berlin",
    "IT": "Europe/Rome",
    "DK": "Europe/Copenhagen",
    "SE": "Europe/Stockholm",
    "FI": "Europe/Helsinki",
    "PL": "Europe/Warsaw",
    "AT": "Europe/Vienna",
    "CH": "Europe/Zurich",
    "VN": "Asia/Ho_Chi_Minh",
    "TH": "Asia/Bangkok",
    "LK": "Asia/Colombo",
    "ID": "Asia/Jakarta",
    "MY": "Asia/Kuala_Lumpur",
    "KH": "Asia/Phnom_Penh",
    "LA": "Asia/Vientiane",
    "MM": "Asia/Yangon",
    "IN": "Asia/Kolkata",
    "CN": "Asia/Shanghai",
    "JP": "Asia/Tokyo",
    "CI": "Africa/Abidjan",
    "GH": "Africa/Accra",
    "NG": "Africa/Lagos",
    "CM": "Africa/Douala",
    "LR": "Africa/Monrovia",
    "CD": "Africa/Kinshasa",
    "GA": "Africa/Libreville",
}


def stale_product_type(query: Mapping[str, Any], category: str) -> bool:
    """A filter form's product type was chosen from another category's list (the category changed after it, and
    the hidden product_type_choices_for says which list was on screen) and does not belong to the new category:
    the filter drops it instead of refusing it."""
    shown_for = query.get("product_type_choices_for")
    product_type = query.get("product_type")
    if not isinstance(shown_for, str) or not isinstance(product_type, str) or not product_type:
        return False
    return shown_for != category and product_type not in PRODUCT_TYPES.get(category, ALL_PRODUCT_TYPES)


def label(mapping: dict[str, str], key: str | None) -> str:
    """Translated label for a vocabulary key (the key itself when unknown)."""
    if key is None:
        return ""
    return gettext(mapping[key]) if key in mapping else key


# Species: scientific name -> common names (es, en, pt). Requests match by genus or any name.
SPECIES: dict[str, dict[str, list[str]]] = {
    "Swietenia macrophylla": {"es": ["caoba"], "en": ["mahogany", "big-leaf mahogany"], "pt": ["mogno"]},
    "Cedrela odorata": {"es": ["cedro", "cedro rojo"], "en": ["Spanish cedar"], "pt": ["cedro-rosa"]},
    "Manilkara zapota": {"es": ["chicozapote"], "en": ["sapodilla"], "pt": ["sapoti"]},
    "Lonchocarpus castilloi": {"es": ["machiche"], "en": ["manchiche"], "pt": ["machiche"]},
    "Metopium brownei": {"es": ["chechem"], "en": ["black poisonwood"], "pt": ["chechém"]},
    "Lysiloma latisiliquum": {"es": ["tzalam"], "en": ["false tamarind"], "pt": ["tzalam"]},
    "Bucida buceras": {"es": ["pucté"], "en": ["black olive"], "pt": ["pucté"]},
    "Brosimum alicastrum": {"es": ["ramón"], "en": ["breadnut"], "pt": ["ramón"]},
    "Dalbergia stevensonii": {"es": ["rosul"], "en": ["Honduras rosewood"], "pt": ["pau-rosa-de-honduras"]},
    "Calophyllum brasiliense": {"es": ["santa maría"], "en": ["Brazil beauty-leaf"], "pt": ["guanandi"]},
    "Pinus durangensis": {"es": ["pino de Durango"], "en": ["Durango pine"], "pt": ["pinheiro-de-durango"]},
    "Pinus arizonica": {"es": ["pino de Arizona"], "en": ["Arizona pine"], "pt": ["pinheiro-do-arizona"]},
    "Pinus engelmannii": {"es": ["pino real"], "en": ["Apache pine"], "pt": ["pinheiro-apache"]},
    "Pinus oocarpa": {"es": ["pino ocote"], "en": ["Mexican yellow pine"], "pt": ["pinheiro-oocarpa"]},
    "Pinus pseudostrobus": {"es": ["pino blanco"], "en": ["smooth-bark Mexican pine"], "pt": ["pinheiro-branco"]},
    "Quercus sideroxyla": {"es": ["encino colorado"], "en": ["red oak"], "pt": ["carvalho"]},
    "Quercus rugosa": {"es": ["encino"], "en": ["netleaf oak"], "pt": ["carvalho"]},
    "Bertholletia excelsa": {"es": ["castaña"], "en": ["Brazil nut tree"], "pt": ["castanheira"]},
    "Dipteryx odorata": {"es": ["cumarú"], "en": ["cumaru"], "pt": ["cumaru"]},
    "Hymenaea courbaril": {"es": ["guapinol"], "en": ["jatoba"], "pt": ["jatobá"]},
    "Cedrelinga cateniformis": {"es": ["tornillo"], "en": ["tornillo"], "pt": ["cedrorana"]},
    "Amburana cearensis": {"es": ["roble criollo"], "en": ["amburana"], "pt": ["cerejeira"]},
    "Hevea brasiliensis": {
        "es": ["hule", "árbol de caucho", "caucho"],
        "en": ["rubber tree", "para rubber"],
        "pt": ["seringueira"],
    },
}


def fold(text: str) -> str:
    """Lower-case and strip accents, for accent-insensitive comparison."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


_NAME_INDEX: dict[str, str] = {}
for _sci, _names in SPECIES.items():
    _NAME_INDEX[fold(_sci)] = _sci
    for _lang_names in _names.values():
        for _n in _lang_names:
            _NAME_INDEX.setdefault(fold(_n), _sci)


def species_names(scientific: str) -> list[str]:
    """All names a species is known by (scientific first), for search documents and matching."""
    names = [scientific]
    for lang_names in SPECIES.get(scientific, {}).values():
        names.extend(lang_names)
    return names


def resolve_species(name: str) -> str:
    """Scientific name for a scientific or common name; unknown names are returned as typed."""
    return _NAME_INDEX.get(fold(name), name.strip())


def species_matches(wanted: str, offered: str) -> bool:
    """True when a requested species entry matches an offered species by genus or full name, in any language."""
    wanted_sci = resolve_species(wanted)
    offered_sci = resolve_species(offered)
    if fold(wanted_sci) == fold(offered_sci):
        return True
    # A single word that is a genus ("Pinus") matches every species in it.
    if " " not in wanted_sci.strip():
        return fold(offered_sci).split(" ")[0] == fold(wanted_sci)
    return False


#: Prefix of the search-index key that stands for a whole genus (``genus:pinus``).
GENUS_KEY = "genus:"


def offered_species_keys(species: Iterable[str]) -> list[str]:
    """Search-index keys of an offer's species, shared by the index and the matcher: each folded scientific name and
    ``genus:<its first word>``."""
    keys: list[str] = []
    for name in species:
        sci = fold(resolve_species(name))
        keys += [sci, GENUS_KEY + sci.split(" ")[0]]
    return list(dict.fromkeys(keys))


def species_label(scientific: str, locale: str) -> str:
    """Common name in the reader's language with the scientific name, e.g. 'caoba (Swietenia macrophylla)'."""
    lang = locale.split("_")[0]
    common = SPECIES.get(scientific, {}).get(lang)
    return f"{common[0]} ({scientific})" if common else scientific


# --- the vocabulary as JSON Schema (OpenAPI enums are generated from the dictionaries above, never retyped) --------
def vocabulary_schema(keys: Iterable[str], *, many: bool = False, text_list: bool = False) -> dict[str, Any]:
    """JSON Schema of a vocabulary field: one key (``"enum"``), or a list of keys (``many``); ``text_list`` also
    allows the forms' comma-separated string of keys. Nullable fields add ``{"type": "null"}`` themselves."""
    item: dict[str, Any] = {"type": "string", "enum": list(keys)}
    if not many:
        return item
    array: dict[str, Any] = {"type": "array", "items": item}
    if text_list:
        return {"oneOf": [array, {"type": "string", "description": "Keys separated by commas."}]}
    return array


def code_schema(regex: re.Pattern[str], example: str, *, allow_empty: bool = False) -> dict[str, Any]:
    """JSON Schema of a code with a fixed format (country, region), from the regular expression the services use;
    ``allow_empty``: the empty string stands for "not given"."""
    pattern = regex.pattern
    if allow_empty:
        pattern = "^(?:" + pattern.removeprefix("^").removesuffix("$") + ")?$"
    return {"type": "string", "pattern": pattern, "examples": [example]}
