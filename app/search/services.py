"""Buyer search over the offers index: parameters, the query with facets and suggestions, and a database fallback."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

from app.geo import haversine_km
from app.i18n import gettext as _
from app.i18n import ngettext
from app.indexing.documents import OFFERS_INDEX, offer_documents
from app.offers import visibility
from app.offers.services import public_offer_conditions
from app.offers.tables import Offer
from app.places import is_country, is_known_region
from app.validation import Checker, page_number
from app.vocab import ALL_PRODUCT_TYPES, CATEGORIES, CLAIMS, SPECIES, fold, resolve_species
from search_index import AnyOf, Eq, GeoRadius, GeoSort, Range, SearchQuery, SearchResult, SortSpec
from search_index.backend import SearchBackend

log = logging.getLogger("forestmatch.search")

PER_PAGE = 20
MAX_PAGE = 5000  # Meilisearch answers at most maxTotalHits (100 000) matches: 5000 pages of 20
MAX_Q = 200
MAX_KM = 20_000
SORTS = ("relevance", "quantity", "distance", "newest", "expiry")
MULTI = ("category", "product_type", "species", "claim", "country", "region")
FACETS = ("category", "product_type", "species", "claim", "country", "region", "certificate_verified")
#: The query parameters of each filter the empty state can suggest removing.
GROUP_PARAMS: dict[str, tuple[str, ...]] = {
    "q": ("q",),
    "category": ("category",),
    "product_type": ("product_type",),
    "species": ("species",),
    "claim": ("claim",),
    "country": ("country",),
    "region": ("region",),
    "verified": ("verified",),
    "quantity": ("min_qty", "max_qty"),
    "distance": ("within_km",),
}
FACET_GROUP = {f: f for f in MULTI} | {"certificate_verified": "verified"}
#: Which filter to suggest relaxing first when counts tie.
SUGGEST_ORDER = (
    "claim",
    "distance",
    "quantity",
    "verified",
    "species",
    "product_type",
    "region",
    "country",
    "category",
    "q",
)
MAX_SUGGESTIONS = 4


def query_dict(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A query string's pairs as the dict ``SearchParams.from_query`` reads (lists for repeatable filters)."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in MULTI:
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


def _codes(c: Checker, name: str, known: Callable[[str], bool], message: str) -> list[str]:
    """Upper-cased codes that are ``known`` (one value or a list); the whole filter is dropped when one is wrong."""
    value = c.raw.get(name)
    items = value if isinstance(value, list) else [] if value is None or value == "" else [value]
    codes = [i.strip().upper() if isinstance(i, str) else "" for i in items]
    if not all(known(code) for code in codes) or len(codes) > 20:
        c.fail(name, message)
        return []
    return list(dict.fromkeys(codes))


def _species(names: list[str]) -> list[str]:
    """Scientific names for typed names; a genus ("Pinus") stands for every species of it we know."""
    out: list[str] = []
    for name in names:
        sci = resolve_species(name)
        genus = [s for s in SPECIES if fold(s).split(" ")[0] == fold(sci)] if " " not in sci else []
        out.extend(genus or [sci])
    return list(dict.fromkeys(out))


@dataclass
class SearchParams:
    """Validated search parameters; invalid values are dropped and explained in ``errors``."""

    q: str = ""
    category: list[str] = field(default_factory=list)
    product_type: list[str] = field(default_factory=list)
    species: list[str] = field(default_factory=list)
    claim: list[str] = field(default_factory=list)
    country: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    verified: bool = False
    min_qty: float | None = None
    max_qty: float | None = None
    near_lat: float | None = None
    near_lon: float | None = None
    within_km: float | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    errors: dict[str, str] = field(default_factory=dict)
    #: What the user typed into the text boxes, to show it again beside its error.
    raw: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> SearchParams:
        """Validate raw parameters (form strings or lists of them); never raises."""
        # Blank entries in repeated parameters ("claim=&claim=FSC+Mix") mean nothing was chosen there.
        query = {
            k: [i for i in v if not (isinstance(i, str) and not i.strip())] if isinstance(v, list) else v
            for k, v in query.items()
        }
        c = Checker(query)
        p = cls(raw={k: v for k, v in query.items() if isinstance(v, str)})
        p.q = c.text("q", max_len=MAX_Q)
        p.category = c.choices("category", CATEGORIES)
        p.product_type = c.choices("product_type", ALL_PRODUCT_TYPES)
        p.species = _species(c.text_list("species"))
        p.claim = c.choices("claim", CLAIMS)
        p.country = _codes(c, "country", is_country, _("Choose countries from the list."))
        p.region = _codes(c, "region", is_known_region, _("Choose regions from the list."))
        p.verified = c.boolean("verified")
        p.min_qty = c.number("min_qty", positive=True)
        p.max_qty = c.number("max_qty", positive=True)
        if p.min_qty is not None and p.max_qty is not None and p.max_qty < p.min_qty:
            c.fail("max_qty", _("The maximum quantity must be at least the minimum."))
            p.max_qty = None
        p.near_lat, p.near_lon = c.lat_lon("near_lat", "near_lon")
        if not p.has_point:
            p.near_lat = p.near_lon = None
        p.within_km = c.number("within_km", positive=True, maximum=MAX_KM)
        if p.within_km is not None and not p.has_point:
            c.fail("within_km", _("Give the latitude and longitude of the point to measure the distance from."))
            p.within_km = None
        p.sort = c.choice("sort", SORTS, default="relevance")
        if p.sort == "distance" and not p.has_point:
            c.fail("sort", _("Sorting by distance needs a point: give its latitude and longitude."))
            p.sort = "relevance"
        page = query.get("page")
        if page not in (None, ""):
            number = page_number(page, MAX_PAGE)
            if number is not None:
                p.page = number
            else:
                c.fail("page", _("Enter a page number from 1 to %(n)s.", n=MAX_PAGE))
        p.errors = c.errors
        return p

    @property
    def has_point(self) -> bool:
        return self.near_lat is not None and self.near_lon is not None

    def active_groups(self) -> list[str]:
        """The filters in use (``q`` counts as one), in the order the empty state suggests relaxing them."""
        active = {
            "q": bool(self.q),
            "verified": self.verified,
            "distance": self.within_km is not None,
            "quantity": self.min_qty is not None or self.max_qty is not None,
            **{name: bool(getattr(self, name)) for name in MULTI},
        }
        return [g for g in SUGGEST_ORDER if active[g]]

    def pairs(self, without: str = "") -> list[tuple[str, str]]:
        """The parameters as query-string pairs, without the page (and without one filter group if named)."""

        def num(v: float) -> str:
            return repr(v).removesuffix(".0")

        pairs: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        for name in MULTI:
            pairs.extend((name, v) for v in getattr(self, name))
        if self.verified:
            pairs.append(("verified", "1"))
        for name in ("min_qty", "max_qty", "near_lat", "near_lon", "within_km"):
            if getattr(self, name) is not None:
                pairs.append((name, num(getattr(self, name))))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        skip = GROUP_PARAMS.get(without, ())
        return [(k, v) for k, v in pairs if k not in skip]

    def query_string(self, without: str = "") -> str:
        return urlencode(self.pairs(without))

    def group_filters(self) -> dict[str, list[Any]]:
        """Search filters per group, so one group can be left out (facet counts, suggestions)."""
        groups: dict[str, list[Any]] = {
            name: [AnyOf(name, tuple(getattr(self, name)))] for name in MULTI if getattr(self, name)
        }
        if self.verified:
            groups["verified"] = [Eq("certificate_verified", True)]
        if self.min_qty is not None or self.max_qty is not None:
            groups["quantity"] = [Range("quantity_canonical", gte=self.min_qty, lte=self.max_qty)]
        if self.within_km is not None and self.near_lat is not None and self.near_lon is not None:  # for mypy
            groups["distance"] = [GeoRadius(self.near_lat, self.near_lon, self.within_km)]
        return groups

    def sort_specs(self) -> tuple[Any, ...]:
        newest = SortSpec("created_at", descending=True)
        if self.sort == "quantity":
            return (SortSpec("quantity_canonical", descending=True), newest)
        if self.sort == "distance" and self.near_lat is not None and self.near_lon is not None:
            return (GeoSort(self.near_lat, self.near_lon),)
        if self.sort == "expiry":
            return (SortSpec("certificate_expires_on", descending=True), newest)
        if self.sort == "relevance" and self.q:
            return ()  # the engine's relevance order
        return (newest,)


def public_filters(today: dt.date | None = None) -> list[Any]:
    """What makes an offer publicly listed, as search filters (the one rule of ``app.offers.visibility``)."""
    return visibility.search_filters(today)


# --- highlights: Markup only from verified, escaped backend output ------------------------------------------------
_MARK_RE = re.compile(r"(<mark>|</mark>)")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def highlight_segments(highlight: Any, original: Any) -> list[tuple[str, bool]] | None:
    """(text, marked) pieces of a backend highlight, or None unless it is exactly the field's text, HTML-escaped,
    with balanced ``<mark>`` tags and nothing else."""
    if not isinstance(highlight, str) or not isinstance(original, str):
        return None
    segments: list[tuple[str, bool]] = []
    marked = False
    for part in _MARK_RE.split(highlight):
        if part in ("<mark>", "</mark>"):
            if marked == (part == "<mark>"):
                return None
            marked = not marked
        elif part:
            text = html.unescape(part)
            if html.escape(text) != part:  # not escaped output: never trust it as HTML
                return None
            segments.append((text, marked))
    if marked or _nfc("".join(t for t, _m in segments)) != _nfc(original):
        return None
    return segments


def _crop(segments: list[tuple[str, bool]], limit: int) -> list[tuple[str, bool]]:
    """At most ``limit`` characters, starting a little before the first match, with ellipses where cut."""
    total = sum(len(t) for t, _m in segments)
    if total <= limit:
        return segments
    first = 0
    for text, marked in segments:
        if marked:
            break
        first += len(text)
    else:
        first = 0
    start = max(0, min(first - 60, total - limit))
    end = start + limit
    out: list[tuple[str, bool]] = [("…", False)] if start else []
    pos = 0
    for text, marked in segments:
        piece = text[max(0, start - pos) : max(0, end - pos)]
        if piece:
            out.append((piece, marked))
        pos += len(text)
    if end < total:
        out.append(("…", False))
    return out


def _markup(segments: list[tuple[str, bool]]) -> Markup:
    return Markup("").join(Markup("<mark>%s</mark>") % t if m else escape(t) for t, m in segments)


def display_text(highlight: Any, original: Any, limit: int | None = None) -> Markup | str:
    """HTML for a highlighted field: Markup built here from verified pieces, else the plain text (autoescaped)."""
    text = original if isinstance(original, str) else ""
    segments = highlight_segments(highlight, text)
    if segments is None:
        return text if limit is None or len(text) <= limit else text[:limit].rstrip() + "…"
    return _markup(_crop(segments, limit) if limit else segments)


# --- results -----------------------------------------------------------------------------------------------------
def distance_km(doc: dict[str, Any], lat: float | None, lon: float | None) -> float | None:
    """Great-circle distance from a point to the offer's location."""
    geo = doc.get("_geo")
    if lat is None or lon is None or not isinstance(geo, dict):
        return None
    return haversine_km(lat, lon, geo["lat"], geo["lng"])


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, int) or value <= 0:
        return None
    try:
        return dt.date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return None


@dataclass
class SearchItem:
    """One offer found: its search document, what the card shows, and the backend's raw highlights (for the API)."""

    document: dict[str, Any]
    title_html: Markup | str
    description_html: Markup | str
    distance_km: float | None
    highlights: dict[str, str]

    @property
    def card(self) -> dict[str, Any]:
        """The document as the card shows it: dates as dates, the price as Decimal."""
        doc = self.document
        try:
            price = Decimal(doc["price_amount"]) if doc.get("price_amount") else None
        except InvalidOperation:
            price = None
        return {
            **doc,
            "available_from": _date(doc.get("available_from")),
            "available_to": _date(doc.get("available_to")),
            "price_amount": price,
            "title_html": self.title_html,
            "description_html": self.description_html,
            "distance_km": self.distance_km,
        }

    def as_json(self) -> dict[str, Any]:
        # species_keys is the matcher's species filter, not part of the published document.
        document = {k: v for k, v in self.document.items() if k != "species_keys"}
        return {**document, "highlights": self.highlights, "distance_km": self.distance_km}


@dataclass
class Suggestion:
    """Removing one filter would show ``count`` offers."""

    group: str
    count: int
    text: str
    url: str


@dataclass
class SearchPage:
    params: SearchParams
    items: list[SearchItem]
    total: int
    facets: dict[str, dict[str, int]]
    degraded: bool = False
    #: Filters the database fallback could not apply (translated names).
    ignored: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def page(self) -> int:
        return self.params.page

    @property
    def per_page(self) -> int:
        return self.params.per_page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def group_name(group: str) -> str:
    """The filter's name in a sentence ("Without the claim filter ...")."""
    return {
        "category": _("category"),
        "product_type": _("product type"),
        "species": _("species"),
        "claim": _("claim"),
        "country": _("country"),
        "region": _("region"),
        "verified": _("verified certificate"),
        "quantity": _("quantity"),
        "distance": _("distance"),
    }.get(group, group)


def suggestion_text(group: str, count: int) -> str:
    if group == "q":
        return ngettext(
            "Without the search words there is %(num)d offer.",
            "Without the search words there are %(num)d offers.",
            count,
        )
    return ngettext(
        "Without the %(filter)s filter there is %(num)d offer.",
        "Without the %(filter)s filter there are %(num)d offers.",
        count,
        filter=group_name(group),
    )


def _item(hit: Any, params: SearchParams) -> SearchItem:
    doc = hit.document
    distance = hit.distance_km if hit.distance_km is not None else distance_km(doc, params.near_lat, params.near_lon)
    return SearchItem(
        doc,
        display_text(hit.highlights.get("title"), doc.get("title")),
        display_text(hit.highlights.get("description"), doc.get("description"), 240),
        distance,
        dict(hit.highlights),
    )


def _counts(counts: dict[str, int]) -> dict[str, int]:
    return {value: n for value, n in counts.items() if value != ""}  # offers without a region are not a choice


async def search_offers(params: SearchParams, backend: SearchBackend, *, suggest: bool = True) -> SearchPage:
    """Publicly listed offers matching the parameters, with facet counts (each facet counted without its own filter,
    so other values stay choosable) and, when nothing matches, which filter to relax. Falls back to the database
    when the search engine fails."""
    base = public_filters()
    groups = params.group_filters()

    def query(without: str = "", **kw: Any) -> SearchQuery:
        filters = [f for g, fs in groups.items() if g != without for f in fs]
        return SearchQuery(text="" if without == "q" else params.q, filters=(*base, *filters), **kw)

    try:
        main = await backend.search(
            OFFERS_INDEX,
            query(
                facets=FACETS,
                sort=params.sort_specs(),
                page=params.page,
                per_page=params.per_page,
                highlight=("title", "description"),
            ),
        )
    except Exception as exc:  # engine down or failing: stay useful with a plain database query
        log.warning("search backend failed, answering from the database: %s", exc)
        return await _database_search(params)
    facets = {f: _counts(c) for f, c in main.facets.items()}
    without: dict[str, int] = {}
    active = params.active_groups()
    facet_runs = [f for f in FACETS if FACET_GROUP[f] in groups]
    extra = [g for g in active if g in ("q", "quantity", "distance")] if suggest and main.total == 0 and active else []
    try:
        results: list[SearchResult] = await asyncio.gather(
            # Counts only (per_page=0): no hits to rank or read.
            *(backend.search(OFFERS_INDEX, query(FACET_GROUP[f], facets=(f,), per_page=0)) for f in facet_runs),
            *(backend.search(OFFERS_INDEX, query(g, per_page=0)) for g in extra),
        )
        for f, result in zip(facet_runs, results, strict=False):
            facets[f] = _counts(result.facets.get(f, {}))
            without[FACET_GROUP[f]] = result.total
        without.update({g: r.total for g, r in zip(extra, results[len(facet_runs) :], strict=True)})
    except Exception as exc:  # keep the main answer; counts narrowed by their own filter are still correct
        log.warning("search backend failed on facet counts: %s", exc)
    page = SearchPage(params, [_item(h, params) for h in main.hits], main.total, facets)
    if suggest and main.total == 0 and active:
        ranked = sorted((g for g in active if without.get(g)), key=lambda g: (-without[g], SUGGEST_ORDER.index(g)))
        page.suggestions = [
            Suggestion(g, without[g], suggestion_text(g, without[g]), "/search?" + params.query_string(g))
            for g in ranked[:MAX_SUGGESTIONS]
        ]
    return page


def _words(q: str) -> list[str]:
    """Search words for a LIKE pattern: LIKE wildcards and the escape character removed."""
    return [w for w in re.sub(r"[%_\\]", " ", q).split() if w][:8]


async def _database_search(params: SearchParams) -> SearchPage:
    """The filters plain SQL can apply (title words, vocabulary filters, quantity, verified); species and distance
    filters are reported as not applied."""
    where = list(public_offer_conditions())
    for name, column in (
        ("category", Offer.category),
        ("product_type", Offer.product_type),
        ("claim", Offer.claim),
        ("country", Offer.organization.country),
        ("region", Offer.organization.region),
    ):
        if getattr(params, name):
            where.append(column.is_in(getattr(params, name)))
    if params.verified:
        where.append(Offer.certificate.verification == "verified")
    if params.min_qty is not None:
        where.append(Offer.quantity_canonical >= params.min_qty)
    if params.max_qty is not None:
        where.append(Offer.quantity_canonical <= params.max_qty)
    # SQLite's LIKE already ignores ASCII case (and Piccolo warns about ILIKE there); PostgreSQL needs ILIKE.
    contains = Offer.title.like if Offer._meta.db.engine_type == "sqlite" else Offer.title.ilike
    where.extend(contains(f"%{w}%") for w in _words(params.q))
    ignored = [group_name(g) for g in ("species", "distance") if g in params.group_filters()]
    order = {"quantity": Offer.quantity_canonical, "expiry": Offer.certificate.expires_on}.get(
        params.sort, Offer.created_at
    )
    total = await Offer.count().where(*where)
    rows = (
        await Offer.select(Offer.ref)
        .where(*where)
        .order_by(order, Offer.ref, ascending=False)
        .limit(params.per_page)
        .offset((params.page - 1) * params.per_page)
        if total
        else []
    )
    documents, _missing = await offer_documents([r["ref"] for r in rows])
    items = [
        SearchItem(
            d,
            d["title"],
            display_text(None, d.get("description"), 240),
            distance_km(d, params.near_lat, params.near_lon),
            {},
        )
        for d in documents
    ]
    return SearchPage(params, items, total, {}, degraded=True, ignored=ignored)
