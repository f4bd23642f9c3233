"""Field-level input validation shared by forms, the JSON API and the bulk import.

Services validate raw values (strings from forms, JSON values from the API or an import file) with a
``Checker``, which collects one translated message per field instead of stopping at the first problem.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import math
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar

from babel.lists import format_list

from app.i18n import babel_locale
from app.i18n import gettext as _

_P = ParamSpec("_P")
_R = TypeVar("_R")

MAX_TITLE = 200
MAX_TEXT = 5000
MAX_NAME = 200
MAX_SHORT = 120
MAX_LIST = 20
MAX_QUANTITY = 1e12
#: Names and titles need at least this many letters or digits: "A" or "-" names nothing anyone can find.
MIN_NAME_CHARACTERS = 2


def _has_alnum(value: str, n: int) -> bool:
    """Whether ``value`` has at least ``n`` letters or digits (stops at the n-th: a bulk import checks a name per
    record, and counting every character of each was 30 per name)."""
    for ch in value:
        if ch.isalnum():
            n -= 1
            if n <= 0:
                return True
    return n <= 0


_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class FieldErrors(Exception):
    """Invalid input: ``errors`` maps each field name to one message the user can act on."""

    def __init__(self, errors: Mapping[str, str], values: Mapping[str, Any] | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.values = dict(values or {})


class PermissionDenied(Exception):
    """The signed-in user may not do this (checked on the server)."""


class NotFound(Exception):
    """The record does not exist, or is not visible to this user."""


#: The last page number any list accepts (pages beyond the last are empty; the bound keeps offsets sane).
MAX_PAGE = 10_000
#: The largest integer a database row id can be (SQLite INTEGER, PostgreSQL bigint).
MAX_ROW_ID = 2**63 - 1
_PAGE_NUMBER = re.compile(r"[0-9]{1,5}")


def page_number(raw: Any, maximum: int) -> int | None:
    """A page number from a query string: ASCII digits from 1 to ``maximum``, else None (``str.isdigit`` also
    accepts '¹', which ``int`` refuses: that answered 500)."""
    if isinstance(raw, str) and _PAGE_NUMBER.fullmatch(raw.strip()):
        value = int(raw.strip())
        if 1 <= value <= maximum:
            return value
    return None


#: Whether messages about choices name the codes (the JSON API and the bulk import, whose callers send and read
#: the vocabulary keys: "Choose one of: m3, bf.") instead of labels in the reader's language (forms and pages).
_codes_in_messages: contextvars.ContextVar[bool] = contextvars.ContextVar("forestmatch_codes", default=False)


@contextmanager
def messages_name_codes() -> Iterator[None]:
    """Inside this block choice messages name vocabulary keys, for callers who work in keys."""
    token = _codes_in_messages.set(True)
    try:
        yield
    finally:
        _codes_in_messages.reset(token)


def naming_codes(func: Callable[_P, Awaitable[_R]]) -> Callable[_P, Awaitable[_R]]:
    """``messages_name_codes`` around an async function (the bulk import's validation)."""

    @functools.wraps(func)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with messages_name_codes():
            return await func(*args, **kwargs)

    return wrapper


def option_labels(options: Iterable[str]) -> list[str]:
    """What the user sees for each option: the translated label of a vocabulary mapping, else the code itself."""
    if isinstance(options, Mapping):
        return [_(label) for label in options.values()]
    return [str(option) for option in options]


def one_of(labels: list[str]) -> str:
    """'m³ or board feet' in the reader's language."""
    return format_list(labels, style="or", locale=babel_locale()) if labels else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


class Checker:
    """Collects per-field errors while converting raw values into clean Python values."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def ok(self) -> bool:
        return not self.errors

    def raise_if_errors(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors, self.raw)

    def present(self, name: str) -> bool:
        return name in self.raw and not _blank(self.raw.get(name))

    # --- scalars -------------------------------------------------------------------------------------------
    def text(self, name: str, *, required: bool = False, max_len: int = MAX_SHORT, default: str = "") -> str:
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.fail(name, _("This field is required."))
            return default
        if not isinstance(value, str):
            self.fail(name, _("Enter text."))
            return default
        value = value.strip()
        if len(value) > max_len:
            self.fail(name, _("Use at most %(n)s characters.", n=max_len))
            return default
        return value

    def pattern(
        self, name: str, regex: re.Pattern[str], message: str, *, required: bool = False, upper: bool = True
    ) -> str:
        value = self.text(name, required=required, max_len=60)
        if value and upper:
            value = value.upper()
        if value and not regex.match(value):
            self.fail(name, message)
            return ""
        return value

    def email(self, name: str, *, required: bool = False) -> str:
        value = self.text(name, required=required, max_len=254)
        if value and not _EMAIL_RE.match(value):
            self.fail(name, _("Enter a valid e-mail address."))
            return ""
        return value.lower()

    def choice(
        self,
        name: str,
        options: Iterable[str],
        *,
        required: bool = False,
        default: str = "",
        vocabulary: Mapping[str, str] | None = None,
        context: str = "",
    ) -> str:
        """One of ``options`` (a vocabulary mapping key -> label, or plain codes such as currencies).

        Messages name the choices by their labels in the reader's language, never by their keys. ``vocabulary``
        is the whole family the options come from (every unit, every product type): a value from it that does
        not fit here is named by its label and ``context`` says what it does not fit ("Timber")."""
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.fail(name, _("Choose a value."))
            return default
        # A mapping's keys or a collection are looked up as they are, not copied into a list each time (a bulk
        # import checks a million records with several choices each).
        allowed = options if isinstance(options, Mapping | set | frozenset | list | tuple) else list(options)
        if not isinstance(value, str) or value.strip() not in allowed:
            self.fail(name, self._not_allowed(value, options, vocabulary, context))
            return default
        return value.strip()

    def choices(
        self,
        name: str,
        options: Iterable[str],
        *,
        required: bool = False,
        vocabulary: Mapping[str, str] | None = None,
        context: str = "",
    ) -> list[str]:
        value = self.raw.get(name)
        if _blank(value) or value == []:
            if required:
                self.fail(name, _("Choose at least one value."))
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self.fail(name, _("Enter a list of values."))
            return []
        allowed = list(options)
        bad = [i for i in items if i not in allowed]
        unique_bad = list(dict.fromkeys(bad))
        if len(unique_bad) == 1:
            self.fail(name, self._not_allowed(unique_bad[0], allowed, vocabulary, context))
            return []
        if bad:  # every unknown value at once, so fixing one does not reveal the next
            self.fail(
                name,
                _(
                    "Unknown values %(values)s. Choose from: %(options)s.",
                    values=", ".join(repr(b)[:60] for b in unique_bad[:MAX_LIST]),
                    options=", ".join(allowed) if _codes_in_messages.get() else one_of(option_labels(allowed)),
                ),
            )
            return []
        if len(items) > MAX_LIST:
            self.fail(name, _("Choose at most %(n)s values.", n=MAX_LIST))
            return []
        # Keep the order the user gave, drop repeats.
        return list(dict.fromkeys(items))

    @staticmethod
    def _not_allowed(value: Any, options: Iterable[str], vocabulary: Mapping[str, str] | None, context: str) -> str:
        if _codes_in_messages.get():
            keys = ", ".join(options)
            return _("Unknown value %(value)s. Choose one of: %(options)s.", value=repr(value)[:60], options=keys)
        choose = one_of(option_labels(options))
        if isinstance(value, str) and vocabulary is not None and value.strip() in vocabulary:
            known = _(vocabulary[value.strip()])
            if context:
                return _(
                    "%(value)s is not for %(context)s. Choose %(options)s.",
                    value=known,
                    context=context,
                    options=choose,
                )
            return _("%(value)s is not possible here. Choose %(options)s.", value=known, options=choose)
        return _("Unknown value %(value)s. Choose %(options)s.", value=repr(value)[:60], options=choose)

    def name(self, name: str, *, required: bool = False, max_len: int = MAX_NAME) -> str:
        """A name people will read (an organisation, a person, a title): at least two letters or digits."""
        value = self.text(name, required=required, max_len=max_len)
        if value and not _has_alnum(value, MIN_NAME_CHARACTERS):
            self.fail(name, _("Write at least %(n)s letters.", n=MIN_NAME_CHARACTERS))
            return ""
        return value

    def text_list(self, name: str, *, max_items: int = MAX_LIST, max_len: int = MAX_SHORT) -> list[str]:
        """A list of free-text entries: a JSON list, or one string split on commas/new lines."""
        value = self.raw.get(name)
        if _blank(value) or value == []:
            return []
        if isinstance(value, str):
            items = [p.strip() for p in re.split(r"[,\n;]", value)]
        elif isinstance(value, list) and all(isinstance(i, str) for i in value):
            items = [p.strip() for p in value]
        else:
            self.fail(name, _("Enter a list of names."))
            return []
        items = [i for i in items if i]
        if len(items) > max_items:
            self.fail(name, _("Enter at most %(n)s entries.", n=max_items))
            return []
        if any(len(i) > max_len for i in items):
            self.fail(name, _("Each entry may have at most %(n)s characters.", n=max_len))
            return []
        return list(dict.fromkeys(items))

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "on", "yes", "y"}:
            return True
        if isinstance(value, str) and value.lower() in {"0", "false", "off", "no", "n"}:
            return False
        self.fail(name, _("Choose yes or no."))
        return default

    def number(
        self,
        name: str,
        *,
        required: bool = False,
        positive: bool = False,
        minimum: float | None = None,
        maximum: float | None = MAX_QUANTITY,
    ) -> float | None:
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.fail(name, _("This field is required."))
            return None
        if isinstance(value, bool):
            self.fail(name, _("Enter a number."))
            return None
        try:
            number = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            self.fail(name, _("Enter a number."))
            return None
        if not math.isfinite(number):
            self.fail(name, _("Enter a number."))
            return None
        if positive and number <= 0:
            self.fail(name, _("Enter a number greater than zero."))
            return None
        if minimum is not None and number < minimum:
            self.fail(name, _("Enter a number of at least %(n)s.", n=minimum))
            return None
        if maximum is not None and number > maximum:
            self.fail(name, _("Enter a number of at most %(n)s.", n=maximum))
            return None
        return number

    def decimal(self, name: str, *, required: bool = False, positive: bool = True) -> Decimal | None:
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.fail(name, _("This field is required."))
            return None
        try:
            amount = Decimal(str(value).strip().replace(",", "."))
        except (InvalidOperation, ValueError):
            self.fail(name, _("Enter an amount such as 350.00."))
            return None
        if not amount.is_finite() or (positive and amount <= 0) or amount >= Decimal("1e12"):
            self.fail(name, _("Enter an amount greater than zero."))
            return None
        return amount.quantize(Decimal("0.01"))

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.fail(name, _("This field is required."))
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(name, _("Enter a date as YYYY-MM-DD."))
            return None

    def date_window(self, start: str, end: str, *, required: bool = True) -> tuple[dt.date | None, dt.date | None]:
        first = self.date(start, required=required)
        last = self.date(end, required=required)
        if first and last and last < first:
            self.fail(end, _("The end date must be on or after the start date."))
        return first, last

    def lat_lon(self, lat_name: str, lon_name: str, *, required: bool = False) -> tuple[float | None, float | None]:
        lat = self.number(lat_name, required=required, minimum=-90, maximum=90)
        lon = self.number(lon_name, required=required, minimum=-180, maximum=180)
        if (lat is None) != (lon is None) and lat_name not in self.errors and lon_name not in self.errors:
            missing = lon_name if lon is None else lat_name
            self.fail(missing, _("Give both latitude and longitude, or neither."))
        return lat, lon
