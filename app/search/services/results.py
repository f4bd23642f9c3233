"""What a search answers: the offers found (as cards and as JSON), suggestions and the page of results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup

from app.geo import haversine_km
from app.search.services.highlight import display_text
from app.search.services.params import SearchParams


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
    """One offer found: its search document, what the card shows, and the backend's raw highlights (for the API).

    The card's title and description HTML are built from the highlights when first read (the API answers with the
    raw highlights and never reads them); the database fallback gives its own."""

    document: dict[str, Any]
    distance_km: float | None
    highlights: dict[str, str]
    title: Markup | str | None = None
    description: Markup | str | None = None

    @property
    def title_html(self) -> Markup | str:
        if self.title is None:
            self.title = display_text(self.highlights.get("title"), self.document.get("title"))
        return self.title

    @property
    def description_html(self) -> Markup | str:
        if self.description is None:
            self.description = display_text(self.highlights.get("description"), self.document.get("description"), 240)
        return self.description

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
