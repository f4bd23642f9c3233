"""Offers: validation, publishing by producers, public browsing with filters."""

from __future__ import annotations

import datetime as dt
import json
import math
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.accounts import visibility as organizations
from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.clock import now
from app.db import Row, atomic
from app.events import record_change
from app.i18n import gettext as _
from app.messaging.tables import Conversation
from app.offers import listing, projection, reads, visibility
from app.offers.tables import Offer
from app.offers.visibility import certificate_problem
from app.places import check_place
from app.traceability.offer_lots import EUDR_READY_SQL, check_offer_lots, stored_backings
from app.units import UnitError, to_canonical
from app.validation import (
    MAX_PAGE,
    MAX_TEXT,
    MAX_TITLE,
    Checker,
    FieldErrors,
    NotFound,
    PermissionDenied,
    one_of,
    option_labels,
    page_number,
)
from app.vocab import (
    ALL_PRODUCT_TYPES,
    ALL_UNIT_NAMES,
    CATEGORIES,
    CLAIMS,
    CURRENCIES,
    INCOTERMS,
    OFFER_STATUSES,
    PRODUCT_TYPES,
    UNIT_NAMES,
    label,
    stale_product_type,
)

PER_PAGE = 20


def check_offer(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate offer fields shared by forms, API and import (certificate rules are checked separately)."""
    c = Checker(raw)
    category = c.choice("category", CATEGORIES, required=True)
    # Product types and units belong to a category; one of another category is named by its label.
    category_label = label(CATEGORIES, category)
    clean: dict[str, Any] = {
        "category": category,
        "product_type": c.choice(
            "product_type",
            PRODUCT_TYPES.get(category, {}),
            required=True,
            vocabulary=ALL_PRODUCT_TYPES,
            context=category_label,
        )
        if category
        else c.text("product_type", required=True),
        "species": c.text_list("species"),
        "title": c.name("title", required=True, max_len=MAX_TITLE),
        "description": c.text("description", max_len=MAX_TEXT),
        "claim": c.choice("claim", CLAIMS, required=True),
        "unit": c.choice(
            "unit", UNIT_NAMES.get(category, {}), required=True, vocabulary=ALL_UNIT_NAMES, context=category_label
        )
        if category
        else "",
        "status": c.choice("status", OFFER_STATUSES, default="active"),
        "incoterm": c.choice("incoterm", INCOTERMS),
    }
    quantity = c.number("quantity", required=True, positive=True)
    min_order = c.number("min_order", positive=True)
    drc = c.number("drc_percent", positive=True, maximum=100) if clean["unit"] == "kg_latex" else None
    if clean["unit"] == "kg_latex" and drc is None and "drc_percent" not in c.errors:
        c.fail("drc_percent", _("Wet latex needs its dry rubber content (DRC %)."))
    clean["available_from"], clean["available_to"] = c.date_window("available_from", "available_to")
    clean["lat"], clean["lon"] = c.lat_lon("lat", "lon")
    price = c.decimal("price_amount")
    currency = c.choice("price_currency", CURRENCIES)
    if price is not None and not currency:
        c.fail("price_currency", _("Choose the currency of the price."))
    if quantity is not None and min_order is not None and min_order > quantity:
        c.fail("min_order", _("The minimum order cannot be larger than the quantity offered."))
    if clean["unit"] and quantity is not None:
        try:
            clean["quantity_canonical"] = to_canonical(category, quantity, clean["unit"], drc)
            clean["min_order_canonical"] = (
                to_canonical(category, min_order, clean["unit"], drc) if min_order is not None else None
            )
        except UnitError:
            c.fail("unit", _("This unit does not fit the category."))
    c.raise_if_errors()
    clean.update(
        quantity=quantity,
        min_order=min_order,
        drc_percent=drc,
        price_amount=price,
        price_currency=currency if price is not None else "",
        price_per=clean["unit"] if price is not None else "",
    )
    return clean


async def _own_certificate(user: CurrentUser, cert_ref: Any, product_type: str, raw: dict[str, Any]) -> int:
    """The id of a valid certificate of the user's organisation covering the product, or FieldErrors saying why."""
    if not isinstance(cert_ref, str) or not cert_ref.strip():
        raise FieldErrors({"certificate": _("Choose one of your organisation's certificates.")}, raw)
    cert = await Certificate.select().where(Certificate.ref == cert_ref.strip()).output(load_json=True).first()
    if cert is None or cert["organization"] != user.organization_id:
        raise FieldErrors({"certificate": _("Choose one of your organisation's certificates.")}, raw)
    problem = certificate_problem(cert, product_type)
    if problem:
        raise FieldErrors({"certificate": problem}, raw)
    return cert["id"]


def _require_producer(user: CurrentUser) -> None:
    if not user.is_producer or user.organization_id is None:
        raise PermissionDenied()


async def create_offer(user: CurrentUser, raw: dict[str, Any]) -> dict[str, Any]:
    """A producer publishes an offer under one of its valid certificates."""
    _require_producer(user)
    clean = check_offer(raw)
    cert_id = await _own_certificate(user, raw.get("certificate"), clean["product_type"], raw)
    lots = await check_offer_lots(user.organization_ref, clean, raw)
    async with atomic():
        ref = f"offer-{secrets.token_hex(5)}"
        await Offer(ref=ref, organization=user.organization_id, certificate=cert_id, lots=lots, **clean).save()
        await record_change("offer", ref)
    return await get_offer(ref)


async def update_offer(user: CurrentUser, ref: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Edit one's own offer (all fields, certificate rules re-checked)."""
    offer = await get_offer(ref)
    if not (user.is_producer and offer["organization"] == user.organization_id):
        raise PermissionDenied()
    clean = check_offer(raw)
    cert_id = await _own_certificate(user, raw.get("certificate"), clean["product_type"], raw)
    lots = await check_offer_lots(user.organization_ref, clean, raw)
    async with atomic():
        values = {**clean, "certificate": cert_id, "lots": lots, "updated_at": now()}
        await Offer.update(values).where(Offer.id == offer["id"])
        await record_change("offer", ref)
    return await get_offer(ref)


async def set_offer_status(user: CurrentUser, ref: str, status: str) -> dict[str, Any]:
    """Pause, re-activate or close one's own offer."""
    offer = await get_offer(ref)
    if not (user.is_producer and offer["organization"] == user.organization_id):
        raise PermissionDenied()
    if status not in OFFER_STATUSES:
        raise FieldErrors(
            {
                "status": _(
                    "Unknown value %(value)s. Choose %(options)s.",
                    value=repr(status[:40]),
                    options=one_of(option_labels(OFFER_STATUSES)),
                )
            }
        )
    if status == "active":
        cert = await Certificate.select().where(Certificate.id == offer["certificate"]).output(load_json=True).first()
        problem = certificate_problem(cert, offer["product_type"]) if cert else _("Certificate not found.")
        if problem:
            raise FieldErrors({"status": problem})
    async with atomic():
        await Offer.update({Offer.status: status, Offer.updated_at: now()}).where(Offer.id == offer["id"])
        await record_change("offer", ref)
    return await get_offer(ref)


async def get_offer(ref: str) -> dict[str, Any]:
    row = await Offer.select(*projection.columns()).where(Offer.ref == ref).output(load_json=True).first()
    if not row:
        raise NotFound()
    return row


@dataclass
class OfferFilters:
    """Simple public filters for the offer list (the search page in a later issue goes further)."""

    category: str = ""
    product_type: str = ""
    claim: str = ""
    country: str = ""
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)
    #: Only offers backed by lots that are all EUDR-ready (the search page's ``eudr`` too).
    eudr: bool = False

    @classmethod
    def from_query(cls, query: dict[str, Any]) -> OfferFilters:
        """Unknown filter values are dropped with a message instead of failing the page."""
        chosen = query.get("category")
        if stale_product_type(query, chosen if isinstance(chosen, str) and chosen in CATEGORIES else ""):
            query = {**query, "product_type": ""}
        c = Checker(query)
        category = c.choice("category", CATEGORIES)
        product_type = c.choice(
            "product_type",
            PRODUCT_TYPES.get(category) or ALL_PRODUCT_TYPES,
            vocabulary=ALL_PRODUCT_TYPES,
            context=label(CATEGORIES, category),
        )
        claim = c.choice("claim", CLAIMS)
        country, _region = check_place(c, "country", "region")
        page = page_number(query.get("page") or "1", MAX_PAGE - 1) or 1
        return cls(category, product_type, claim, country, page, c.errors, eudr=c.boolean("eudr"))

    def as_query(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("category", self.category),
                ("product_type", self.product_type),
                ("claim", self.claim),
                ("country", self.country),
                ("eudr", "1" if self.eudr else ""),
            )
            if v
        }


def public_offer_conditions(on: dt.date | None = None) -> list[Any]:
    """What makes an offer publicly listed, for ORM queries on ``Offer`` (the rule of ``app.offers.visibility``)."""
    return [visibility.where(on)]


def publicly_listed(offer: dict[str, Any], today: dt.date | None = None) -> bool:
    """Whether an offer row read with ``projection.columns()`` is publicly listed (``app.offers.visibility``)."""
    return visibility.is_listed(offer, today)


def hidden_reasons(offer: dict[str, Any], today: dt.date | None = None) -> list[str]:
    """Why buyers cannot see this offer (for its producer and staff); [] when it is listed."""
    return visibility.hidden_reasons(offer, today)


#: What a row of the public list shows: display columns only (the API reads the full rows of its page by ref).
_PUBLIC_OFFER_FIELDS = (
    "ref",
    "title",
    "category",
    "product_type",
    "species",
    "claim",
    "quantity",
    "unit",
    "available_from",
    "available_to",
    "price_amount",
    "price_currency",
    "price_per",
    "created_at",
    "lots",
)
_PUBLIC_JOINED = ("organization_name", "organization_ref", "country", "region", "certificate_verification")
#: The shown columns of a page's offers, read by id (``page_id``: their place in the page).
_PUBLIC_COLUMNS = (
    f"SELECT o.id AS page_id, {projection.sql_columns(_PUBLIC_OFFER_FIELDS, _PUBLIC_JOINED)}\n"
    f"FROM offer o {visibility.JOINS}"
)


# --- who may see or edit an offer ---------------------------------------------------------------------------
def owns(user: CurrentUser | None, offer: dict[str, Any]) -> bool:
    return bool(user and user.is_producer and user.organization_id == offer["organization"])


async def get_visible_offer(user: CurrentUser | None, ref: str) -> dict[str, Any]:
    """An offer as this user may see it: public ones for everyone; a paused, closed or no longer certified one for
    its producer, staff, and a buyer organisation in a conversation about it (its thread links here)."""

    offer = await get_offer(ref)
    if publicly_listed(offer) or owns(user, offer) or (user is not None and user.is_staff):
        return offer
    if (
        user is not None
        and user.organization_id is not None
        and await Conversation.exists().where(
            (Conversation.offer == offer["id"]) & (Conversation.buyer_organization == user.organization_id)
        )
    ):
        return offer
    raise NotFound()


async def get_own_offer(user: CurrentUser, ref: str) -> dict[str, Any]:
    """An offer of the user's own organisation, for its edit form (PermissionDenied otherwise)."""
    offer = await get_offer(ref)
    if not owns(user, offer):
        raise PermissionDenied()
    return offer


#: The public list counts its offers exactly up to this many (25 pages); past it, the page says "more than" that.
#: An exact count of a broad filter would read every listed offer (130 ms at 100k offers, 0.75 s at 200k); this one
#: stops after the first COUNT_CAP + 1 it finds, walking the newest first.
COUNT_CAP = 500
#: A filter value with fewer offers than this is where a page starts reading: its few offers are read and sorted.
#: Broader filters are tested while walking the newest offers in order.
NARROW_OFFERS = 2000
#: A country starts the reading when it has fewer organisations than this factor x sqrt(COUNT_CAP x all organisations):
#: reading its offers costs about its organisation count, walking the newest offers about COUNT_CAP / its share of
#: them; the two cross near 3,000 of 50,000 organisations (measured at 100k offers: Sri Lanka's 1,409 organisations
#: 15 ms against 46 ms, Bolivia's 3,875 30 ms against 18 ms of CPU).
NARROW_COUNTRY_FACTOR = 0.6


class ListedRow(Row):
    """A row of the public list; ``content``: its columns as read and its lots' badge, everything its card shows, in a
    form cheap to hash (the cards are kept by it, ``app.offers.cards``)."""

    __slots__ = ("content",)
    content: tuple[Any, ...]


@dataclass
class OfferPage:
    """One page of the public list: its rows, and the total (exact, or a lower bound when ``exact`` is false)."""

    rows: list[ListedRow]
    total: int
    exact: bool = True
    #: The kept bitmaps the page was read from, current when its rows were read (None: read by SQL).
    index: listing.Listing | None = None


def _engine() -> str:
    return "postgres" if Offer._meta.db.engine_type == "postgres" else "sqlite"


def _public_where(filters: OfferFilters) -> tuple[str, list[Any]]:
    """WHERE of the public list: the visibility rule plus the chosen filters only (an unused filter adds nothing, so
    the database can use the indexes of the ones in use)."""
    condition, args = visibility.sql()
    parts = [condition]
    for value, column in (
        (filters.category, "o.category"),
        (filters.product_type, "o.product_type"),
        (filters.claim, "o.claim"),
        (filters.country, "g.country"),
    ):
        if value:
            parts.append(f"{column} = {{}}")
            args.append(value)
    if filters.eudr:
        parts.append(EUDR_READY_SQL[_engine()])
    return " AND ".join(parts), args


async def _fewer_than(sql: str, value: str, limit: int) -> int | None:
    """How many rows ``sql`` (one ``{}`` for ``value``) selects, when fewer than ``limit`` (a bounded index probe)."""
    probe = await Offer.raw(f"SELECT count(*) AS n FROM ({sql} LIMIT {{}}) k", value, limit)
    found = int(probe[0]["n"])
    return found if found < limit else None


async def _public_from(filters: OfferFilters) -> str:
    """FROM of the public list, starting where the fewest rows need reading for these filters.

    The list is read newest first. By default it walks ``offer_listing`` (created_at, id and the columns the filters
    and the rule test), so a page stops after its rows and the count after COUNT_CAP + 1 matches. A narrow filter
    would make that walk long: "EUDR-ready lots only" starts from the few offers that name lots, a product type or
    claim with few offers from them, a country with few organisations from those. Bounded probes of the indexes tell
    which (SQLite's sampled statistics misjudge them, so SQLite is told the index; PostgreSQL plans on its own).
    """
    if _engine() != "sqlite":
        return "FROM offer o JOIN organization g ON g.id = o.organization JOIN certificate c ON c.id = o.certificate"
    # The offer, then its organisation (a country filter fails there for most rows), then its certificate.
    rest = "CROSS JOIN organization g ON g.id = o.organization CROSS JOIN certificate c ON c.id = o.certificate"
    if filters.eudr:
        return f"FROM offer o INDEXED BY offer_lot_backed {rest}"
    narrow: list[tuple[int, str]] = []
    for value, index, column in (
        (filters.product_type, "offer_product_type", "product_type"),
        (filters.claim, "offer_claim", "claim"),
    ):
        if value:
            n = await _fewer_than(f"SELECT 1 FROM offer WHERE {column} = {{}}", value, NARROW_OFFERS)
            if n is not None:
                narrow.append((n, f"FROM offer o INDEXED BY {index} {rest}"))
    if filters.country:
        top = await Offer.raw("SELECT max(id) AS n FROM organization")
        everyone = int(top[0]["n"] or 0)
        limit = int(NARROW_COUNTRY_FACTOR * math.sqrt(COUNT_CAP * everyone))
        n = await _fewer_than("SELECT 1 FROM organization WHERE country = {}", filters.country, limit)
        if n is not None:
            narrow.append(
                (
                    2 * n,  # organisations have about two offers each
                    "FROM organization g CROSS JOIN offer o ON o.organization = g.id "
                    "CROSS JOIN certificate c ON c.id = o.certificate",
                )
            )
    if narrow:
        return min(narrow)[1]
    return f"FROM offer o INDEXED BY offer_listing {rest}"


def _from_listing(
    index: listing.Listing, filters: OfferFilters, per_page: int, offset: int, exact_total: bool
) -> tuple[list[int], int, bool]:
    """A page's ids and its total from the kept bitmaps, with the totals ``_from_sql`` gives (capped the same way)."""
    matches = index.matching({k: v for k, v in filters.as_query().items() if k != "eudr"}, filters.eudr)
    ids = index.page_ids(matches, offset, per_page)
    n = len(matches)
    if exact_total:
        return ids, n, True
    if offset + per_page <= COUNT_CAP:
        return ids, min(n, COUNT_CAP), n <= COUNT_CAP
    if len(ids) < per_page and (ids or offset == 0):
        return ids, offset + len(ids), True
    bound = max(COUNT_CAP, offset + per_page)
    return ids, min(n, bound), n <= bound


async def _from_sql(
    filters: OfferFilters, per_page: int, offset: int, exact_total: bool
) -> tuple[list[int], int, bool]:
    """A page's ids and its total read by SQL (the capped count of ``browse_public_offers``)."""
    where, args = _public_where(filters)
    source = await _public_from(filters)
    # The ids of the page first (a sort then carries ids, not whole rows), then the shown columns of those rows.
    ids_sql = f"SELECT o.id AS id {source} WHERE {where} ORDER BY o.created_at DESC, o.id DESC LIMIT {{}} OFFSET {{}}"
    if not exact_total and offset + per_page <= COUNT_CAP:
        # The first pages: one walk finds the first COUNT_CAP + 1 matches, newest first, and answers how many they are
        # (the capped count) and the page's ids among them; a page walk and a count walk would read the same matches
        # twice. One row comes back per id of the page, or one without an id when the page is empty.
        first = await Offer.raw(
            f"WITH w AS MATERIALIZED (SELECT o.id AS id, o.created_at AS created_at {source} WHERE {where} "
            "ORDER BY o.created_at DESC, o.id DESC LIMIT {}), "
            "p AS (SELECT id, created_at FROM w ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}) "
            "SELECT c.n AS n, p.id AS id FROM (SELECT count(*) AS n FROM w) c LEFT JOIN p ON TRUE "
            "ORDER BY p.created_at DESC, p.id DESC",
            *args,
            COUNT_CAP + 1,
            per_page,
            offset,
        )
        ids = [r["id"] for r in first if r["id"] is not None]
        found = int(first[0]["n"])
        total, exact = min(found, COUNT_CAP), found <= COUNT_CAP
    else:  # further pages, or an exact count
        ids = [r["id"] for r in await Offer.raw(ids_sql, *args, per_page, offset)]
        if len(ids) < per_page and (ids or offset == 0):
            total, exact = offset + len(ids), True
        elif exact_total:
            counted = await Offer.raw(f"SELECT COUNT(*) AS n {source} WHERE {where}", *args)
            total, exact = int(counted[0]["n"]), True
        else:
            bound = max(COUNT_CAP, offset + per_page)
            counted = await Offer.raw(
                f"SELECT COUNT(*) AS n FROM (SELECT 1 {source} WHERE {where} LIMIT {{}}) k", *args, bound + 1
            )
            found = int(counted[0]["n"])
            total, exact = min(found, bound), found <= bound
    return ids, total, exact


#: Parsed JSON lists of the list's rows by their text: species and lots repeat across offers (a few hundred texts),
#: and parsing twenty pairs was a tenth of a page's CPU. Bounded; the lists are copied out (callers may change them).
_JSON_LISTS: dict[str, list[Any]] = {}
MAX_JSON_LISTS = 4096


def _json_list(value: Any) -> Any:
    """A JSON column as ``projection.load_json`` reads it (text parsed; PostgreSQL's already parsed values kept)."""
    if not isinstance(value, str):
        return value
    parsed = _JSON_LISTS.get(value)
    if parsed is None:
        parsed = json.loads(value)
        if not isinstance(parsed, list):
            return parsed
        if len(_JSON_LISTS) >= MAX_JSON_LISTS:
            _JSON_LISTS.clear()
        _JSON_LISTS[value] = parsed
    return list(parsed)


async def browse_public_offers(
    filters: OfferFilters,
    per_page: int | None = None,
    *,
    exact_total: bool = False,
    index: listing.Listing | None = None,
) -> OfferPage:
    """Publicly listed offers (``app.offers.visibility``), newest first: one page (``PER_PAGE`` offers unless
    ``per_page``) and the total.

    The total is exact up to ``COUNT_CAP`` offers (or up to the end of this page, when that is further); past it, it is
    that bound and ``exact`` is false. ``exact_total`` always counts exactly (every listed offer is read). A page that
    is not full tells the total by itself. Each row's ``backing`` is the badge of its lots (``stored_backings``: their
    stored answers), None for an offer without. The busiest page of the site: hand-written SQL here costs a fraction of
    the ORM's query building. ``index``: the kept bitmaps the caller found current this request (``listing.current``,
    read here when None).
    """
    per_page = per_page or PER_PAGE
    offset = (filters.page - 1) * per_page
    fetched: list[dict[str, Any]] | None = None
    if index is None and (index := listing.kept()) is not None:
        # The kept bitmaps pick the page; its rows are read with the change count in one statement (one snapshot):
        # the same count as the bitmaps' says they were current for these rows. Otherwise read again below.
        ids, total, exact = _from_listing(index, filters, per_page, offset, exact_total)
        if ids:
            fetched = await _page_rows(ids, with_count=True)
            if not fetched or fetched[0]["changes"] != index.count:
                fetched, index = None, None
        else:
            index = None
    if fetched is None:
        index = index or await listing.current()
        if index is not None:
            ids, total, exact = _from_listing(index, filters, per_page, offset, exact_total)
        else:
            ids, total, exact = await _from_sql(filters, per_page, offset, exact_total)
        fetched = await _page_rows(ids) if ids else []
    rows: list[ListedRow] = []
    if fetched:
        position = {offer_id: i for i, offer_id in enumerate(ids)}
        fetched.sort(key=lambda r: position[r["page_id"]])
        for r in fetched:
            del r["page_id"]
            r.pop("changes", None)
        rows = [ListedRow(r) for r in fetched]
        for row in rows:
            row.content = tuple(row.values())  # as read: text, numbers and None (cheap to hash, unlike dates)
    for row in rows:
        row["species"] = _json_list(row["species"])
        row["lots"] = _json_list(row["lots"])
        for key in ("available_from", "available_to"):
            if isinstance(row[key], str):
                row[key] = dt.date.fromisoformat(row[key])
        if row["price_amount"] is not None and not isinstance(row["price_amount"], Decimal):
            row["price_amount"] = Decimal(str(row["price_amount"]))
    backings = await stored_backings({row["ref"]: list(row["lots"] or []) for row in rows if row["lots"]})
    for row in rows:
        row["backing"] = backings.get(row["ref"])
        row.content = (row.content, row["backing"])
    return OfferPage(rows, total, exact, index)


async def _page_rows(ids: list[int], *, with_count: bool = False) -> list[dict[str, Any]]:
    """The shown columns of these offers (any order), with the change count as ``changes`` when asked."""
    marks = ", ".join("{}" for _ in ids)
    count = f"coalesce({listing.COUNT_SQL}, 0) AS changes, " if with_count else ""
    return await reads.read(Offer, f"SELECT {count}{_PUBLIC_COLUMNS[len('SELECT ') :]} WHERE o.id IN ({marks})", *ids)


async def list_public_offers(filters: OfferFilters, per_page: int = PER_PAGE) -> tuple[list[dict[str, Any]], int]:
    """One page of publicly listed offers, newest first, and their exact total (``browse_public_offers``)."""
    page = await browse_public_offers(filters, per_page, exact_total=True)
    return list(page.rows), page.total


async def list_public_offer_rows(filters: OfferFilters, per_page: int = PER_PAGE) -> tuple[list[dict[str, Any]], int]:
    """One page of the public list as full offer rows (``projection.columns()``, as the API shows them), and the
    total."""
    rows, total = await list_public_offers(filters, per_page=per_page)
    # The public list selects display columns only; read the full rows of this page in one query.
    refs = [r["ref"] for r in rows]
    by_ref: dict[str, dict[str, Any]] = {}
    if refs:
        full = await Offer.select(*projection.columns()).where(Offer.ref.is_in(refs)).output(load_json=True)
        by_ref = {r["ref"]: r for r in full}
    return [by_ref[ref] for ref in refs if ref in by_ref], total


async def public_offer_countries(index: listing.Listing | None = None) -> list[str]:
    """The countries of the organisations with publicly listed offers: the offer filters list only these.

    From the kept bitmaps when they are current (``app.offers.listing``), else one existence test per country (the
    first listed offer found answers it), not a pass over every offer. ``index`` as for ``browse_public_offers``."""
    index = index or await listing.current()
    if index is not None:
        return index.countries()
    condition, args = visibility.sql()
    cross = "CROSS JOIN" if _engine() == "sqlite" else "JOIN"  # SQLite: from the country's organisations
    sql = f"""
SELECT k.country AS country FROM (SELECT DISTINCT country FROM organization WHERE country != '') k
WHERE EXISTS (
  SELECT 1 FROM organization g {cross} offer o ON o.organization = g.id JOIN certificate c ON c.id = o.certificate
  WHERE g.country = k.country AND {condition}
)
"""
    rows = await Offer.raw(sql, *args)
    return sorted(r["country"] for r in rows if r["country"])


async def list_for_organization(org_id: int, *, listed_only: bool = False) -> list[dict[str, Any]]:
    """One organisation's offers, last changed first; ``listed_only``: only those buyers can see."""
    query = Offer.select(*projection.columns()).where(Offer.organization == org_id)
    if listed_only:
        query = query.where(*public_offer_conditions())
    return await query.order_by(Offer.updated_at, ascending=False).output(load_json=True)


async def count_active() -> dict[str, Any]:
    """Live figures for the home page."""
    producers = await Organization.count().where(organizations.public_condition())
    condition, args = visibility.sql()
    counted = await Offer.raw(f"SELECT COUNT(*) AS n FROM offer o {visibility.JOINS} WHERE {condition}", *args)
    return {"producers": producers, "offers": int(counted[0]["n"]) if counted else 0}


async def lot_backs_listed_offer(ref: str) -> bool:
    """Whether lot ``ref`` backs an offer buyers can see (visitors may then read its public view)."""
    rows = await Offer.select(Offer.lots).where(Offer.category == "latex", visibility.where()).output(load_json=True)
    return any(ref in (row["lots"] or []) for row in rows)
