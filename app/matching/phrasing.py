"""Match reasons in words: the engine's ``Reason`` codes worded for their reader, in the reader's language.

The same fact reads differently from each side of a match. The buyer reads about its own request ("Covers 40 % of
your volume"); the producer reads about its own offer ("Your offer covers 40 % of the 300 m³ requested"). Every
place that shows reasons says whose they are: request pages, the match API and ``forestmatch matches`` speak to the
buyer (it is the request's answer); the producer's dashboard, a producer's view of a request and a producer's side of
a conversation speak to the producer.

Wording happens in the current locale (``app.i18n``); ``in_locale`` words a whole answer in another one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from app.i18n import format_number, get_locale, gettext, ngettext, reset_locale, set_locale
from app.matching.engine import Reason
from app.vocab import CLAIMS, UNITS, label, species_label

Side = Literal["buyer", "producer"]
SIDES: tuple[Side, ...] = ("buyer", "producer")

_Words = Callable[[dict[str, Any]], str]


@contextmanager
def in_locale(locale: str | None) -> Iterator[None]:
    """Word reasons in ``locale`` inside the block (None: the current one)."""
    token = set_locale(locale) if locale else None
    try:
        yield
    finally:
        if token is not None:
            reset_locale(token)


def _int(value: Any) -> str:
    return format_number(int(value), 0)


def _ago(days: int) -> str:
    if days == 0:
        return gettext("today")
    if days < 14:
        return ngettext("%(num)s day ago", "%(num)s days ago", days, num=_int(days))
    if days < 60:
        return ngettext("%(num)s week ago", "%(num)s weeks ago", days // 7, num=_int(days // 7))
    if days < 730:
        return ngettext("%(num)s month ago", "%(num)s months ago", days // 30, num=_int(days // 30))
    return ngettext("%(num)s year ago", "%(num)s years ago", days // 365, num=_int(days // 365))


_ALL_UNITS = {key: text for units in UNITS.values() for key, text in units.items()}


def _unit(params: dict[str, Any]) -> str:
    return label(_ALL_UNITS, params.get("unit", ""))


def _amount(value: Any, params: dict[str, Any]) -> str:
    """'300 m³' in the reader's locale."""
    return f"{format_number(float(value))} {_unit(params)}".strip()


def _place(params: dict[str, Any]) -> str:
    return params.get("place") or gettext("the delivery point")


def _species(params: dict[str, Any]) -> str:
    return species_label(params["species"], get_locale())


def _claim(params: dict[str, Any]) -> str:
    return label(CLAIMS, params["claim"])


# --- the buyer's side: about its request ------------------------------------------------------------------------
_BUYER: dict[str, _Words] = {
    "volume_full": lambda p: gettext("Covers all of your volume"),
    "volume_partial": lambda p: gettext("Covers %(percent)s %% of your volume", percent=_int(p["percent"])),
    "distance": lambda p: gettext("%(km)s km from %(place)s", km=_int(p["km"]), place=_place(p)),
    "distance_no_delivery_point": lambda p: gettext("No delivery point given: distance not scored"),
    "distance_no_location": lambda p: gettext("Location unknown: distance not scored"),
    "species_any": lambda p: gettext("Any species accepted"),
    "species_none": lambda p: gettext("None of the requested species"),
    "species_same": lambda p: gettext("Species match: %(species)s", species=_species(p)),
    "species_genus": lambda p: gettext("Same genus: %(species)s", species=_species(p)),
    "claim": lambda p: gettext("Claim %(claim)s", claim=_claim(p)),
    "certificate_verified": lambda p: gettext("Certificate verified %(ago)s", ago=_ago(p["days"])),
    "certificate_verified_undated": lambda p: gettext("Certificate verified by staff"),
    "certificate_pending": lambda p: gettext("Certificate awaiting verification by staff"),
    "certificate_rejected": lambda p: gettext("Certificate rejected at verification"),
    "updated": lambda p: gettext("Updated %(ago)s", ago=_ago(p["days"])),
    "eudr_ready": lambda p: gettext("Backed by EUDR-ready lots, as you require"),
}

# --- the producer's side: about its offer -----------------------------------------------------------------------
_PRODUCER: dict[str, _Words] = {
    "volume_full": lambda p: gettext(
        "Your offer covers the whole %(quantity)s requested", quantity=_amount(p["requested"], p)
    ),
    "volume_partial": lambda p: gettext(
        "Your offer covers %(percent)s %% of the %(quantity)s requested",
        percent=_int(p["percent"]),
        quantity=_amount(p["requested"], p),
    ),
    "distance": lambda p: gettext("Your offer is %(km)s km from %(place)s", km=_int(p["km"]), place=_place(p)),
    "distance_no_delivery_point": lambda p: gettext("The buyer gave no delivery point: distance not scored"),
    "distance_no_location": lambda p: gettext("Your offer has no map point: distance not scored"),
    "species_any": lambda p: gettext("The buyer accepts any species"),
    "species_none": lambda p: gettext("Your offer has none of the requested species"),
    "species_same": lambda p: gettext("The buyer asks for your species: %(species)s", species=_species(p)),
    "species_genus": lambda p: gettext("The buyer asks for the genus of your %(species)s", species=_species(p)),
    "claim": lambda p: gettext("The buyer accepts your claim %(claim)s", claim=_claim(p)),
    "certificate_verified": lambda p: gettext("Your certificate was verified %(ago)s", ago=_ago(p["days"])),
    "certificate_verified_undated": lambda p: gettext("Your certificate is verified by staff"),
    "certificate_pending": lambda p: gettext("Your certificate is awaiting verification by staff"),
    "certificate_rejected": lambda p: gettext("Your certificate was rejected at verification"),
    "updated": lambda p: gettext("You updated this offer %(ago)s", ago=_ago(p["days"])),
    "eudr_ready": lambda p: gettext("The buyer requires EUDR-ready lots: yours are"),
}

# --- bundles: several producers together, the same facts for everyone ---------------------------------------------
_BUNDLE: dict[str, _Words] = {
    "bundle_cover": lambda p: gettext(
        "%(count)s producers together cover %(total)s %(unit)s of %(quantity)s %(unit)s",
        count=_int(p["count"]),
        total=format_number(float(p["total"])),
        quantity=format_number(float(p["requested"])),
        unit=_unit(p),
    ),
    "bundle_spread": lambda p: gettext("Within %(km)s km of each other", km=_int(p["km"])),
    "bundle_spread_unknown": lambda p: gettext("Some producer locations unknown: distance between them not scored"),
    "bundle_mean": lambda p: gettext("Average match score %(score)s", score=format_number(float(p["score"]), 2)),
}

_WORDS: dict[Side, dict[str, _Words]] = {"buyer": {**_BUYER, **_BUNDLE}, "producer": {**_PRODUCER, **_BUNDLE}}


def phrase(reason: Reason | dict[str, Any], side: Side = "buyer") -> str:
    """One reason in words for ``side``, in the current locale. A stored reason (``{"code", "params"}``) works too;
    an unknown code (from a newer version) reads as nothing rather than failing the page."""
    if isinstance(reason, dict):
        reason = Reason(str(reason.get("code", "")), dict(reason.get("params") or {}))
    words = _WORDS[side].get(reason.code)
    return words(reason.params) if words else ""


def phrase_all(reasons: Iterable[Reason | dict[str, Any]], side: Side = "buyer") -> list[str]:
    """Every reason in words for ``side``, in order, leaving out any that has no words."""
    return [text for text in (phrase(r, side) for r in reasons) if text]
