"""Dashboard filters, parsed from a query string (``app.analytics.conditions`` turns them into SQL).

The same filters mean slightly different things per record, as the program reads them:
- country and region are where the goods come from (the producer organisation) for producers, offers,
  certificates, conversations and deals, and where they go (the delivery point) for sourcing requests;
- category, product type and claim are the offer's for offers, conversations and deals, and "asks for"
  for requests (any listed product type, any accepted claim);
- legal form describes producers, so it narrows supply, conversations and deals but not demand;
- a program keeps organisations it names plus organisations (and delivery points) inside its regions;
  conversations and deals count when either side is in the program.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from app.i18n import gettext as _
from app.places import is_country, is_known_region, is_region
from app.vocab import ALL_PRODUCT_TYPES, CATEGORIES, CLAIMS, LEGAL_FORMS, PRODUCT_TYPES, stale_product_type

DEFAULT_MONTHS = 12
MAX_DAYS = 366 * 10
EXPIRY_DAYS = 90


class FilterErrors(ValueError):
    """Filter values that cannot be used; ``errors`` maps each field to a message, ``filters`` the usable rest."""

    def __init__(self, errors: dict[str, str], filters: Filters) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.filters = filters


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to. Dates are inclusive calendar days (UTC)."""

    date_from: dt.date
    date_to: dt.date
    country: str = ""
    region: str = ""
    category: str = ""
    product_type: str = ""
    claim: str = ""
    legal_form: str = ""
    program: int | None = None
    #: "Today" for certificate expiry; a field so tests and reports can pin it.
    today: dt.date | None = None

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time(), tzinfo=dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """Exclusive upper bound: midnight after ``date_to``."""
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    @property
    def as_of(self) -> dt.date:
        return self.today or dt.datetime.now(dt.UTC).date()

    def query(self, **overrides: Any) -> str:
        """The query string that reproduces these filters (for links, CSV and the API)."""
        values = {**asdict(self), **overrides}
        values.pop("today", None)
        pairs = [(k, "" if v is None else str(v)) for k, v in values.items()]
        return urlencode([(k, v) for k, v in pairs if v != ""])

    def months(self) -> list[str]:
        """Every 'YYYY-MM' the range touches, in order."""
        out: list[str] = []
        year, month = self.date_from.year, self.date_from.month
        while (year, month) <= (self.date_to.year, self.date_to.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve whole calendar months up to today."""
    year, month = today.year, today.month - (DEFAULT_MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1), today


def _date(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        return None


def parse_filters(raw: Mapping[str, Any], program_ids: set[int], *, today: dt.date | None = None) -> Filters:
    """Filters from query parameters; unusable values raise FilterErrors carrying the usable rest."""
    today = today or dt.datetime.now(dt.UTC).date()
    errors: dict[str, str] = {}
    start, end = default_range(today)

    def text(name: str) -> str:
        value = raw.get(name)
        return value.strip() if isinstance(value, str) else ""

    if text("date_from"):
        start = _date(text("date_from")) or start
        if _date(text("date_from")) is None:
            errors["date_from"] = _("Enter a date as YYYY-MM-DD.")
    if text("date_to"):
        end = _date(text("date_to")) or end
        if _date(text("date_to")) is None:
            errors["date_to"] = _("Enter a date as YYYY-MM-DD.")
    if start > end:
        errors["date_to"] = _("The end date must not be before the start date.")
        start, end = default_range(today)
    elif (end - start).days > MAX_DAYS:
        errors["date_from"] = _("Choose a range of at most ten years.")
        start = end - dt.timedelta(days=MAX_DAYS)

    country = text("country").upper()
    if country and not is_country(country):
        errors["country"] = _("Choose a country from the list.")
        country = ""
    region = text("region").upper()
    shown_for = raw.get("region_choices_for")
    if isinstance(shown_for, str) and shown_for.strip().upper() != country:
        region = ""  # the region list on screen was another country's (the country just changed): not a filter
    if region and not is_known_region(region):
        errors["region"] = _("Choose a region from the list.")
        region = ""
    elif region and country and not is_region(country, region):
        errors["region"] = _("This region is not in the chosen country.")
        region = ""

    category = text("category")
    if category and category not in CATEGORIES:
        errors["category"] = _("Choose a category from the list.")
        category = ""
    product_type = "" if stale_product_type(raw, category) else text("product_type")
    if product_type and product_type not in ALL_PRODUCT_TYPES:
        errors["product_type"] = _("Choose a product type from the list.")
        product_type = ""
    elif product_type and category and product_type not in PRODUCT_TYPES[category]:
        errors["product_type"] = _("This product type is not in the chosen category.")
        product_type = ""
    claim = text("claim")
    if claim and claim not in CLAIMS:
        errors["claim"] = _("Choose a claim from the list.")
        claim = ""
    legal_form = text("legal_form")
    if legal_form and legal_form not in LEGAL_FORMS:
        errors["legal_form"] = _("Choose a legal form from the list.")
        legal_form = ""
    program: int | None = None
    if text("program"):
        try:
            program = int(text("program"))
        except ValueError:
            program = None
        if program not in program_ids:
            errors["program"] = _("Choose a program from the list.")
            program = None

    filters = Filters(
        date_from=start,
        date_to=end,
        country=country,
        region=region,
        category=category,
        product_type=product_type,
        claim=claim,
        legal_form=legal_form,
        program=program,
        today=today,
    )
    if errors:
        raise FilterErrors(errors, filters)
    return filters
