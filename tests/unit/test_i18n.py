"""Translation layer: complete catalogues, locale negotiation, translated strings and locale-aware numbers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app.i18n import (
    DEFAULT_LOCALE,
    LOCALE_DIR,
    format_number,
    gettext,
    negotiate,
    ngettext,
    reset_locale,
    set_locale,
)
from app.settings import PROJECT_ROOT
from tests.translation_check import (
    PSEUDO_AS,
    english_sources,
    english_words,
    pseudo_locale,
    read_page,
    untranslated_words,
)

TRANSLATED_LOCALES = ("es_MX", "pt_BR")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _as_list(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return [""]
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_catalogue_is_complete(locale: str) -> None:
    catalog = _catalog(locale)
    messages = [m for m in catalog if m.id]
    assert messages, f"{locale} catalogue is empty"
    untranslated = [m.id for m in messages if not all(_as_list(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == [], f"{locale}: untranslated entries {untranslated}"
    assert fuzzy == [], f"{locale}: fuzzy entries {fuzzy}"


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_catalogue_covers_every_source_string(locale: str, tmp_path: Path) -> None:
    """A string added to the code or a template but never extracted would silently show in English."""
    from app.i18n.catalogs import extract

    pot = tmp_path / "messages.pot"
    extract(pot)
    with pot.open("rb") as handle:
        source = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(locale) if m.id}
    assert sorted(source - known) == [], "run: python -m app.i18n.catalogs extract && ... update, then translate"


def _source_files() -> list[Path]:
    """Every file of app/ and templates/ that babel.cfg maps to an extractor, found without Babel's directory walk."""
    files = [*(PROJECT_ROOT / "app").rglob("*.py"), *(PROJECT_ROOT / "templates").rglob("*.jinja2")]
    return sorted(f for f in files if "__pycache__" not in f.parts)


def test_every_source_file_is_extracted() -> None:
    """Each file's strings are in the catalogue, whatever its folder is called: Babel's default walk skipped every
    directory starting with "_", so templates/_macros/ (pagination, the form error summary) showed in English."""
    keywords: dict[str, Any] = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog("es_MX") if m.id}
    missing = {}
    for path in _source_files():
        method = "python" if path.suffix == ".py" else "jinja2"
        found = {m[1] if isinstance(m[1], str) else m[1][0] for m in extract_from_file(method, path, keywords)}
        if found - known:
            missing[str(path.relative_to(PROJECT_ROOT))] = sorted(found - known)
    assert "templates/_macros/ui.html.jinja2" in {str(p.relative_to(PROJECT_ROOT)) for p in _source_files()}
    assert missing == {}


#: Arguments for every macro of templates/_macros/, by parameter name (texts are the caller's, already translated).
MACRO_ARGUMENTS: dict[str, Any] = {
    "text": "Vigente",
    "kind": "valid",
    "page": 2,
    "pages": 16,
    "base_query": "q=pino",
    "title": "Ninguna oferta coincide",
    "hint": "Amplíe la distancia.",
    "action_url": "/offers",
    "action_label": "Ver ofertas",
    "name": "cantidad",
    "label": "Cantidad",
    "value": "12",
    "errors": {"cantidad": "Escriba un número.", "_form": "Revise los datos."},
    "required": True,
    "help": "En metros cúbicos.",
    "attrs": {"inputmode": "decimal"},
    "options": [("m3", "m³"), ("bdft", "pies tabla")],
    "rows": 3,
    "codes": ["MX", "GT"],
    "checked": True,
    "state": "pending",
    "source": "country",
    "country": "MX",
    "lat_name": "lat",
    "lon_name": "lon",
    "lat": 19.5,
    "lon": -96.9,
    "category": "latex",
    "smallholders": 3,
    "eudr_ready": True,
    "claim": "FSC Mix",
}


def _macro_pages() -> list[tuple[str, str]]:
    """(macro, HTML) for every public macro of templates/_macros/, called with MACRO_ARGUMENTS."""
    from jinja2 import Environment, FileSystemLoader, nodes

    from app.web.config import TEMPLATE_DIR
    from app.web.render import template_globals

    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(template_globals())
    rendered = []
    for path in sorted((TEMPLATE_DIR / "_macros").glob("*.jinja2")):
        module = env.get_template(f"_macros/{path.name}").module
        for definition in env.parse(path.read_text()).find_all(nodes.Macro):
            if definition.name.startswith("_"):
                continue
            arguments = [a.name for a in definition.args]
            required = arguments[: len(arguments) - len(definition.defaults)]
            unknown = [a for a in required if a not in MACRO_ARGUMENTS]
            assert unknown == [], f"{path.name} {definition.name}: add sample values for {unknown} to MACRO_ARGUMENTS"
            kwargs = {a: MACRO_ARGUMENTS[a] for a in arguments if a in MACRO_ARGUMENTS}
            rendered.append((f"{path.name} {definition.name}", str(getattr(module, definition.name)(**kwargs))))
    return rendered


def test_every_macro_says_everything_through_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    english = english_words()
    token = set_locale(PSEUDO_AS)
    try:
        with pseudo_locale(monkeypatch):
            pages = _macro_pages()
    finally:
        reset_locale(token)
    assert len(pages) >= 8
    assert {name: found for name, html in pages if (found := untranslated_words(*read_page(html), english))} == {}


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_every_macro_is_translated(locale: str) -> None:
    english = english_sources(locale)
    token = set_locale(locale)
    try:
        pages = _macro_pages()
    finally:
        reset_locale(token)
    assert {name: found for name, html in pages if (found := english.left_in(*read_page(html)))} == {}
    shown = "".join(html for _name, html in pages)
    expected = {
        "es_MX": ("Página 2 de 16", "Hay 2 problemas en este formulario"),
        "pt_BR": ("Página 2 de 16", "Há 2 problemas neste formulário"),
    }[locale]
    assert all(text in shown for text in expected)


#: One word per thing of the trade: English term (in the source, placeholders aside) -> the stem every Spanish and
#: Portuguese translation of it uses. "On request" (a price on enquiry) is another sense of "request".
TERMS: dict[str, dict[str, str]] = {
    r"\bdeals?\b": {"es_MX": "trato", "pt_BR": "negócio"},
    r"\boffer": {"es_MX": "ofert|ofre[cz]", "pt_BR": "ofert|ofere[cç]"},
    r"(?<!on )\brequests?\b": {"es_MX": "solicit", "pt_BR": "solicita"},
    r"\bconversations?\b": {"es_MX": "conversaci", "pt_BR": "conversa"},
    r"\bcertificates?\b": {"es_MX": "certificad", "pt_BR": "certificad"},
    r"\bclaims?\b": {"es_MX": "declaraci", "pt_BR": "declara"},
    r"\bproducers?\b": {"es_MX": "productor", "pt_BR": "produtor"},
    r"\bbuyers?\b": {"es_MX": "comprador", "pt_BR": "comprador"},
    # Latex traceability (TRACEABILITY.md): a smallholder member, a plot, a delivery, a lot, a collector.
    r"(?<!buyer )(?<!producer )\bmembers?\b": {"es_MX": "socio", "pt_BR": "associad"},
    r"\bplots?\b": {"es_MX": "parcela", "pt_BR": "parcela"},
    r"\bdeliver(y|ies)\b": {"es_MX": "entrega", "pt_BR": "entrega"},
    r"\blots?\b": {"es_MX": "lote", "pt_BR": "lote"},
    r"\bcollectors?\b": {"es_MX": "acopi", "pt_BR": "colet"},
}


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_one_word_for_one_thing(locale: str) -> None:
    """A deal is a "trato" everywhere in Spanish (never "acuerdo"), a request a "solicitud", and so on."""
    stray = []
    for message in _catalog(locale):
        if not message.id:
            continue
        # JSON written out in a message ({"delivery": ref}) names the format's keys, not the thing.
        source = re.sub(r"\{[^}]*\}", "", PLACEHOLDER.sub("", _as_list(message.id)[0]))
        text = " ".join(_as_list(message.string)).lower()
        for term, stems in TERMS.items():
            if re.search(term, source, re.IGNORECASE) and not re.search(stems[locale], text):
                stray.append((term, source, text))
    assert stray == []


@pytest.mark.parametrize("locale", TRANSLATED_LOCALES)
def test_catalogue_keeps_placeholders_and_plural_forms(locale: str) -> None:
    catalog = _catalog(locale)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = _as_list(message.id)
        strings = _as_list(message.string)
        if message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append((message.id, "plural forms"))
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        literal_percent = ids[0].count("%%")
        for text in strings:
            if set(PLACEHOLDER.findall(text)) != wanted:
                problems.append((message.id, text))
            if text.count("%%") != literal_percent:
                problems.append((message.id, text))
    assert problems == []


def test_negotiate_accept_language() -> None:
    assert negotiate("pt-BR,pt;q=0.9,en;q=0.8") == "pt_BR"
    assert negotiate("fr-FR") == DEFAULT_LOCALE
    assert negotiate("es-AR,es;q=0.9") == "es_MX"
    assert negotiate(None) == DEFAULT_LOCALE


def test_spanish_translations() -> None:
    token = set_locale("es_MX")
    try:
        assert gettext("Sign in") == "Iniciar sesión"
        assert gettext("Sawn timber") == "Madera aserrada"
        assert gettext("Certificate %(code)s expired on %(date)s.", code="SCS-FM/COC-004512", date="2026-01-31") == (
            "El certificado SCS-FM/COC-004512 venció el 2026-01-31."
        )
        assert ngettext("%(num)d offer", "%(num)d offers", 1) == "1 oferta"
        assert ngettext("%(num)d offer", "%(num)d offers", 3) == "3 ofertas"
        assert gettext("FSC Mix") == "FSC Mix"
    finally:
        reset_locale(token)


def test_portuguese_translation_and_english_source() -> None:
    token = set_locale("pt_BR")
    try:
        assert gettext("Sign in") == "Entrar"
        assert gettext("Sawn timber") == "Madeira serrada"
    finally:
        reset_locale(token)
    token = set_locale("en")
    try:
        assert gettext("Sign in") == "Sign in"
    finally:
        reset_locale(token)


@pytest.mark.parametrize(("locale", "expected"), [("es_MX", "1,234.5"), ("en", "1,234.5"), ("pt_BR", "1.234,5")])
def test_format_number(locale: str, expected: str) -> None:
    token = set_locale(locale)
    try:
        assert format_number(1234.5) == expected
    finally:
        reset_locale(token)


def test_datetimes_read_to_the_minute_in_utc_and_say_so() -> None:
    from app.i18n import format_datetime, reset_locale, set_locale

    # 23:33 in Mexico City (UTC-6) is 05:33 the next day in UTC: the date moves with the time.
    moment = dt.datetime(2026, 5, 11, 23, 33, 40, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    expected = {
        "es_MX": "12 may 2026, 5:33\u202fa.m. UTC",
        "en": "May 12, 2026, 5:33\u202fAM UTC",
        "pt_BR": "12 de mai. de 2026 05:33 UTC",
    }
    shown = {}
    for locale in expected:
        token = set_locale(locale)
        try:
            shown[locale] = format_datetime(moment)
        finally:
            reset_locale(token)
    assert shown == expected
    token = set_locale("en")
    try:
        assert format_datetime(dt.datetime(2026, 5, 11, 23, 33)) == "May 11, 2026, 11:33\u202fPM UTC"  # naive = UTC
        assert format_datetime(None) == ""
    finally:
        reset_locale(token)


def test_moments_show_in_the_readers_time_zone_with_its_offset() -> None:
    from app.i18n import format_datetime, reset_locale, reset_time_zone, set_locale, set_time_zone

    moment = dt.datetime(2026, 5, 11, 23, 33, 40, tzinfo=dt.UTC)
    shown = {}
    token = set_locale("en")
    try:
        for zone in ("America/Mexico_City", "America/Sao_Paulo", "Asia/Kolkata", "UTC", "Not/AZone"):
            zone_token = set_time_zone(zone)
            try:
                shown[zone] = format_datetime(moment)
            finally:
                reset_time_zone(zone_token)
    finally:
        reset_locale(token)
    assert shown == {
        "America/Mexico_City": "May 11, 2026, 5:33\u202fPM UTC\u22126",
        "America/Sao_Paulo": "May 11, 2026, 8:33\u202fPM UTC\u22123",
        "Asia/Kolkata": "May 12, 2026, 5:03\u202fAM UTC+5:30",
        "UTC": "May 11, 2026, 11:33\u202fPM UTC",
        "Not/AZone": "May 11, 2026, 11:33\u202fPM UTC",
    }
