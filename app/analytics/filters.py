"""Dashboard filters: parsed from a query string, and turned into SQL conditions for each kind of record.

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
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode

from piccolo.engine.postgres import PostgresEngine

from app.db import engine
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


# --- SQL ----------------------------------------------------------------------------------------------------------
def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


class Sql:
    """Dialect pieces that differ between SQLite and PostgreSQL; everything else is plain SQL."""

    def __init__(self, postgres: bool) -> None:
        self.pg = postgres

    def json_text(self, column: str, key: str) -> str:
        return f"({column} ->> '{key}')" if self.pg else f"json_extract({column}, '$.{key}')"

    def json_int(self, column: str, key: str) -> str:
        return f"CAST({self.json_text(column, key)} AS INTEGER)"

    def json_num(self, column: str, key: str) -> str:
        return (
            f"CAST({self.json_text(column, key)} AS NUMERIC)" if self.pg else f"({self.json_text(column, key)} + 0.0)"
        )

    def json_has(self, column: str) -> str:
        """A condition 'the JSON array ``column`` holds the next parameter'."""
        if self.pg:
            return f"EXISTS (SELECT 1 FROM json_array_elements_text({column}) AS je(v) WHERE je.v = {{}})"
        return f"EXISTS (SELECT 1 FROM json_each({column}) AS je WHERE je.value = {{}})"

    def json_has_any(self, column: str, count: int) -> str:
        marks = ", ".join(["{}"] * count)
        if self.pg:
            return f"EXISTS (SELECT 1 FROM json_array_elements_text({column}) AS je(v) WHERE je.v IN ({marks}))"
        return f"EXISTS (SELECT 1 FROM json_each({column}) AS je WHERE je.value IN ({marks}))"

    def explode(self, column: str, alias: str) -> str:
        """A FROM item giving one row per element of a JSON array of strings (read it with ``element``)."""
        if self.pg:
            return f"CROSS JOIN LATERAL json_array_elements_text({column}) AS {alias}(v)"
        return f"CROSS JOIN json_each({column}) AS {alias}"

    def element(self, alias: str) -> str:
        return f"{alias}.v" if self.pg else f"{alias}.value"

    def month(self, column: str) -> str:
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')" if self.pg else f"substr({column}, 1, 7)"

    def seconds_between(self, later: str, earlier: str) -> str:
        if self.pg:
            return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def round1(self, column: str) -> str:
        return f"ROUND(CAST({column} AS NUMERIC), 1)"

    def indexed_by(self, index: str) -> str:
        """SQLite's ``INDEXED BY`` for a query whose best index its statistics can hide (nothing on PostgreSQL):
        with sampled statistics (``app.db.refresh_statistics``) SQLite may prefer a wider index plus a sort."""
        return "" if self.pg else f" INDEXED BY {index}"

    def unindexed(self, column: str) -> str:
        """The column, kept from driving SQLite's index choice (its unary plus is a no-op on any value).

        SQLite has no statistics on value ranges and takes a two-sided date range for a narrow one, so it would
        read a period through the date index even when the period holds almost every row.
        """
        return column if self.pg else f"+{column}"


class Where:
    """SQL conditions joined with AND, with their ``{}`` parameters in order (Piccolo's raw placeholders)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *args: Any) -> Where:
        self.parts.append(sql)
        self.args.extend(args)
        return self

    def extend(self, other: Where) -> Where:
        self.parts.extend(other.parts)
        self.args.extend(other.args)
        return self

    @property
    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "1 = 1"


def in_program(org: str, program: int) -> Where:
    """Organisation alias ``org`` is named by the program or lies in one of its regions."""
    return Where().add(
        f"({org}.id IN (SELECT po.organization FROM program_organization po WHERE po.program = {{}})"
        f" OR EXISTS (SELECT 1 FROM program_region pr WHERE pr.program = {{}} AND pr.country = {org}.country"
        f" AND (pr.region = '' OR pr.region = {org}.region)))",
        program,
        program,
    )


def producer_org(f: Filters, org: str = "o") -> Where:
    """Where-the-goods-come-from conditions on a producer organisation alias."""
    w = Where()
    if f.country:
        w.add(f"{org}.country = {{}}", f.country)
    if f.region:
        w.add(f"{org}.region = {{}}", f.region)
    if f.legal_form:
        w.add(f"{org}.legal_form = {{}}", f.legal_form)
    return w


def offer_product(f: Filters, offer: str = "f") -> Where:
    w = Where()
    if f.category:
        w.add(f"{offer}.category = {{}}", f.category)
    if f.product_type:
        w.add(f"{offer}.product_type = {{}}", f.product_type)
    if f.claim:
        w.add(f"{offer}.claim = {{}}", f.claim)
    return w


def has_product_filter(f: Filters) -> bool:
    return bool(f.category or f.product_type or f.claim)


def supply(f: Filters, offer: str = "f", org: str = "o") -> Where:
    """Offers (alias ``offer``) of producer organisations (alias ``org``) within the filters."""
    w = producer_org(f, org).extend(offer_product(f, offer))
    if f.program is not None:
        w.extend(in_program(org, f.program))
    return w


def producers(f: Filters, org: str = "o") -> Where:
    """Producer organisations within the filters (with an offer of the chosen product, when one is chosen)."""
    w = producer_org(f, org)
    if has_product_filter(f):
        inner = offer_product(f, "fp")
        w.add(f"EXISTS (SELECT 1 FROM offer fp WHERE fp.organization = {org}.id AND {inner.sql})", *inner.args)
    if f.program is not None:
        w.extend(in_program(org, f.program))
    return w


def demand(f: Filters, sql: Sql, req: str = "r", buyer: str = "b") -> Where:
    """Sourcing requests within the filters (by delivery point; legal form does not apply)."""
    w = Where()
    if f.country:
        w.add(f"{req}.delivery_country = {{}}", f.country)
    if f.region:
        w.add(f"{req}.delivery_region = {{}}", f.region)
    if f.category:
        w.add(f"{req}.category = {{}}", f.category)
    if f.product_type:
        w.add(sql.json_has(f"{req}.product_types"), f.product_type)
    if f.claim:
        w.add(sql.json_has(f"{req}.accepted_claims"), f.claim)
    if f.program is not None:
        member = in_program(buyer, f.program)
        w.add(
            f"({member.sql} OR EXISTS (SELECT 1 FROM program_region pr2 WHERE pr2.program = {{}}"
            f" AND pr2.country = {req}.delivery_country AND (pr2.region = '' OR pr2.region = {req}.delivery_region)))",
            *member.args,
            f.program,
        )
    return w


def trade(f: Filters, conv: str = "c", offer: str = "f", org: str = "o", buyer: str = "b") -> Where:
    """Conversations (and their deals) within the filters: the producer side, its offer, either side's program."""
    w = producer_org(f, org).extend(offer_product(f, offer))
    if f.program is not None:
        a, b = in_program(org, f.program), in_program(buyer, f.program)
        w.add(f"({a.sql} OR {b.sql})", *a.args, *b.args)
    return w


def needs_trade_join(f: Filters) -> bool:
    return bool(f.country or f.region or f.legal_form or has_product_filter(f) or f.program is not None)


def with_dates(f: Filters, date_from: dt.date, date_to: dt.date) -> Filters:
    return replace(f, date_from=date_from, date_to=date_to)


# --- id sets: filters applied once to the small tables, then tested in memory while scanning the large ones -------
def _program_orgs(program: int) -> Where:
    inner = in_program("po2", program)
    return Where().add(f"SELECT po2.id FROM organization po2 WHERE {inner.sql}", *inner.args)


def _offer_ids(f: Filters) -> Where:
    """Offers of the chosen product from producers in the chosen place and legal form (program aside)."""
    org = producer_org(f, "fo")
    product = offer_product(f, "ff")
    if not org.parts:
        # Product conditions only: read the offer's own indexes, without visiting every organisation.
        return Where().add(f"SELECT ff.id FROM offer ff WHERE {product.sql}", *product.args)
    inner = org.extend(product)
    return Where().add(
        f"SELECT ff.id FROM offer ff JOIN organization fo ON fo.id = ff.organization WHERE {inner.sql}", *inner.args
    )


def conversation_ids(f: Filters) -> Where:
    """``SELECT id FROM conversation`` for the trade filters (a sequential scan with in-memory set tests)."""
    w = Where()
    if f.country or f.region or f.legal_form or has_product_filter(f):
        offers = _offer_ids(f)
        w.add(f"c2.offer IN ({offers.sql})", *offers.args)
    if f.program is not None:
        a, b = _program_orgs(f.program), _program_orgs(f.program)
        w.add(f"(c2.producer_organization IN ({a.sql}) OR c2.buyer_organization IN ({b.sql}))", *a.args, *b.args)
    return Where().add(f"SELECT c2.id FROM conversation c2 WHERE {w.sql}", *w.args)


def match_conditions(f: Filters, match: str = "m") -> Where:
    """Conditions on a match alias for the trade filters: its offer, and either side's program."""
    w = Where()
    if f.country or f.region or f.legal_form or has_product_filter(f):
        offers = _offer_ids(f)
        w.add(f"{match}.offer IN ({offers.sql})", *offers.args)
    if f.program is not None:
        a, b = _program_orgs(f.program), _program_orgs(f.program)
        w.add(
            f"({match}.offer IN (SELECT pf.id FROM offer pf WHERE pf.organization IN ({a.sql}))"
            f" OR {match}.request IN (SELECT pr3.id FROM sourcing_request pr3 WHERE pr3.organization IN ({b.sql})))",
            *a.args,
            *b.args,
        )
    return w
