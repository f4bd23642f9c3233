"""Translation layer: gettext catalogues (Babel), the request's locale, and locale-aware formatting."""

from __future__ import annotations

import contextvars
import datetime as dt
import io
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from app.settings import get_settings

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"

#: Languages offered in the switch, in the order shown. Spanish first.
SUPPORTED_LOCALES: dict[str, str] = {"es_MX": "Español", "en": "English", "pt_BR": "Português"}
DEFAULT_LOCALE = "es_MX"

_current_locale: contextvars.ContextVar[str | None] = contextvars.ContextVar("forestmatch_locale", default=None)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translated where it is shown)."""
    return message


def normalize_locale(value: str | None) -> str | None:
    """Map 'es', 'es-MX', 'pt', 'en-US' ... onto a supported locale, or None."""
    if not value:
        return None
    value = value.strip().replace("-", "_")
    if value in SUPPORTED_LOCALES:
        return value
    lang = value.split("_")[0].lower()
    for code in SUPPORTED_LOCALES:
        if code.split("_")[0] == lang:
            return code
    return None


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Choose a supported locale from an Accept-Language header."""
    if not accept_language:
        return default
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        lang, _, params = piece.partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        weighted.append((q, lang.strip()))
    for _q, lang in sorted(weighted, key=lambda item: -item[0]):
        found = normalize_locale(lang)
        if found:
            return found
    return default


def load_catalog(locale: str) -> NullTranslations:
    """Compile the committed ``.po`` source in memory (no binary catalogues in the repository)."""
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@lru_cache(maxsize=8)
def translations_for(locale: str) -> NullTranslations:
    """Catalogue for a locale, compiled once per process (English is the source language: identity)."""
    if locale == "en":
        return NullTranslations()
    return load_catalog(locale)


def set_locale(locale: str) -> contextvars.Token[str | None]:
    """Set the locale for the current request/task."""
    return _current_locale.set(locale)


def reset_locale(token: contextvars.Token[str | None]) -> None:
    _current_locale.reset(token)


#: The reader's time zone (an IANA name) for showing moments; UTC outside a request or when unknown.
_current_time_zone: contextvars.ContextVar[str] = contextvars.ContextVar("forestmatch_time_zone", default="UTC")


def set_time_zone(name: str) -> contextvars.Token[str]:
    return _current_time_zone.set(name)


def reset_time_zone(token: contextvars.Token[str]) -> None:
    _current_time_zone.reset(token)


def _zone() -> dt.tzinfo:
    name = _current_time_zone.get()
    if name == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def get_locale() -> str:
    """The request's locale; outside a request (CLI, workers) the configured default language."""
    current = _current_locale.get()
    if current is not None:
        return current

    return normalize_locale(get_settings().default_locale) or DEFAULT_LOCALE


def gettext(message: str, **variables: object) -> str:
    """Translate into the current locale; ``%(name)s`` placeholders are filled from keyword arguments."""
    text = translations_for(get_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations_for(get_locale()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


_ = gettext


@lru_cache(maxsize=16)
def _parsed_locale(code: str) -> Locale:
    try:
        return Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)


def babel_locale(locale: str | None = None) -> Locale:
    return _parsed_locale(locale or get_locale())


# Formatting is memoised per locale: pages format the same few dates, units and amounts many times,
# and Babel re-parses patterns and plural rules on every call.
@lru_cache(maxsize=4096)
def _format_number(value: float | int | Decimal, digits: int, locale: str) -> str:
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return babel_numbers.format_decimal(value, format=pattern, locale=_parsed_locale(locale))


@lru_cache(maxsize=4096)
def _format_money(amount: Decimal | float, currency: str, locale: str) -> str:
    return babel_numbers.format_currency(amount, currency, locale=_parsed_locale(locale))


@lru_cache(maxsize=4096)
def _format_date(value: dt.date, fmt: str, locale: str) -> str:
    return babel_dates.format_date(value, format=fmt, locale=_parsed_locale(locale))


def format_number(value: float | int | Decimal | None, digits: int = 2) -> str:
    """A number with the locale's separators and at most ``digits`` decimals."""
    if value is None:
        return ""
    return _format_number(value, digits, get_locale())


def format_money(amount: Decimal | float | None, currency: str | None) -> str:
    if amount is None or not currency:
        return ""
    return _format_money(amount, currency, get_locale())


def format_date(value: dt.date | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return _format_date(value, fmt, get_locale())


def format_datetime(value: dt.datetime | None, fmt: str = "medium") -> str:
    """Date and time to the minute in the reader's time zone, saying which ("11 may 2026, 1:33 p.m. UTC−6"):
    seconds are noise on a message or a notification, and readers sit in several time zones. Naive values are UTC."""
    if value is None:
        return ""
    moment = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(_zone())
    locale = babel_locale()
    date = babel_dates.format_date(moment, format=fmt, locale=locale)
    time = babel_dates.format_time(moment, format="short", locale=locale, tzinfo=moment.tzinfo)
    pattern = babel_dates.get_datetime_format(fmt, locale=locale)
    return pattern.replace("{1}", date).replace("{0}", f"{time} {_offset_label(moment)}")


def _offset_label(moment: dt.datetime) -> str:
    """'UTC', 'UTC−6', 'UTC+5:30' (a minus sign, as typeset)."""
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_duration(value: dt.timedelta | None) -> str:
    """A duration in words in the reader's language, rounded to its largest unit ("3 hours", "2 días")."""
    if value is None:
        return ""
    return babel_dates.format_timedelta(value, threshold=1.5, locale=babel_locale())
