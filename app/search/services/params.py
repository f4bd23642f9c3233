"""Search parameters: parsing and validating the query string into ``SearchParams``, and back into filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from app.i18n import gettext as _
from app.offers import visibility
from app.places import is_country, is_known_region
from app.validation import Checker, page_number
from app.vocab import ALL_PRODUCT_TYPES, CATEGORIES, CLAIMS, SPECIES, fold, resolve_species
from search_index import AnyOf, Eq, GeoRadius, GeoSort, Range, SortSpec

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
    "eudr": ("eudr",),
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
    "eudr",
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
    #: Only offers backed by lots that are all EUDR-ready.
    eudr: bool = False
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
        p.eudr = c.boolean("eudr")
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
            "eudr": self.eudr,
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
        if self.eudr:
            pairs.append(("eudr", "1"))
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
        if self.eudr:
            groups["eudr"] = [Eq("eudr_ready", True)]
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
