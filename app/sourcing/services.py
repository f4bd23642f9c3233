"""Sourcing requests: validation and management by buyers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from app.accounts.services import CurrentUser
from app.clock import now
from app.db import atomic
from app.events import record_change
from app.i18n import gettext as _
from app.matching.services import organization_fits, organization_recommended
from app.messaging.tables import Conversation
from app.places import check_place
from app.sourcing.tables import SourcingRequest
from app.units import UnitError, to_canonical
from app.validation import MAX_TEXT, MAX_TITLE, Checker, FieldErrors, NotFound, PermissionDenied, one_of, option_labels
from app.vocab import (
    ALL_PRODUCT_TYPES,
    ALL_UNIT_NAMES,
    CATEGORIES,
    CLAIMS,
    CURRENCIES,
    PRODUCT_TYPES,
    REQUEST_STATUSES,
    UNIT_NAMES,
    label,
)

if TYPE_CHECKING:
    from app.matching.engine import ScoredOffer

MAX_DISTANCE_KM = 20_000


def check_request(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate sourcing request fields shared by forms, API and import; raises FieldErrors.

    The import format nests the delivery place under ``delivery``; forms and the API send flat
    ``delivery_*`` fields. Both are accepted.
    """
    delivery = raw.get("delivery")
    if isinstance(delivery, dict):
        raw = {
            **raw,
            **{f"delivery_{k}": v for k, v in delivery.items() if k in ("country", "region", "lat", "lon", "place")},
        }
    c = Checker(raw)
    category = c.choice("category", CATEGORIES, required=True)
    # Product types and units belong to a category; one of another category is named by its label.
    category_label = label(CATEGORIES, category)
    clean: dict[str, Any] = {
        "category": category,
        "title": c.name("title", max_len=MAX_TITLE),
        "description": c.text("description", max_len=MAX_TEXT),
        "product_types": c.choices(
            "product_types",
            PRODUCT_TYPES.get(category, {}),
            required=True,
            vocabulary=ALL_PRODUCT_TYPES,
            context=category_label,
        )
        if category
        else [],
        "species": c.text_list("species"),
        "accepted_claims": c.choices("accepted_claims", CLAIMS, required=True),
        "unit": c.choice(
            "unit", UNIT_NAMES.get(category, {}), required=True, vocabulary=ALL_UNIT_NAMES, context=category_label
        )
        if category
        else "",
        "partial_ok": c.boolean("partial_ok", default=True),
        "require_eudr_ready": c.boolean("require_eudr_ready"),
        "delivery_place": c.name("delivery_place", max_len=120),
        "status": c.choice("status", REQUEST_STATUSES, default="open"),
    }
    quantity = c.number("quantity", required=True, positive=True)
    min_per_supplier = c.number("min_per_supplier", positive=True)
    drc = c.number("drc_percent", positive=True, maximum=100) if clean["unit"] == "kg_latex" else None
    if clean["unit"] == "kg_latex" and drc is None and "drc_percent" not in c.errors:
        c.fail("drc_percent", _("Wet latex needs its dry rubber content (DRC %)."))
    clean["delivery_country"], clean["delivery_region"] = check_place(
        c, "delivery_country", "delivery_region", required=True
    )
    clean["delivery_lat"], clean["delivery_lon"] = c.lat_lon("delivery_lat", "delivery_lon")
    clean["max_distance_km"] = c.number("max_distance_km", positive=True, maximum=MAX_DISTANCE_KM)
    if clean["max_distance_km"] is not None and clean["delivery_lat"] is None and "delivery_lat" not in c.errors:
        c.fail("delivery_lat", _("A maximum distance needs the delivery point (latitude and longitude)."))
    clean["needed_from"], clean["needed_by"] = c.date_window("needed_from", "needed_by")
    target = c.decimal("target_price_amount")
    currency = c.choice("target_price_currency", CURRENCIES)
    if target is not None and not currency:
        c.fail("target_price_currency", _("Choose the currency of the price."))
    if quantity is not None and min_per_supplier is not None and min_per_supplier > quantity:
        c.fail("min_per_supplier", _("The minimum per supplier cannot be larger than the quantity requested."))
    if clean["unit"] and quantity is not None:
        try:
            clean["quantity_canonical"] = to_canonical(category, quantity, clean["unit"], drc)
            clean["min_per_supplier_canonical"] = (
                to_canonical(category, min_per_supplier, clean["unit"], drc) if min_per_supplier is not None else None
            )
        except UnitError:
            c.fail("unit", _("This unit does not fit the category."))
    c.raise_if_errors()
    clean.update(
        quantity=quantity,
        min_per_supplier=min_per_supplier,
        drc_percent=drc,
        target_price_amount=target,
        target_price_currency=currency if target is not None else "",
    )
    return clean


def _require_buyer(user: CurrentUser) -> None:
    if not user.is_buyer or user.organization_id is None:
        raise PermissionDenied()


async def create_request(user: CurrentUser, raw: dict[str, Any]) -> dict[str, Any]:
    """A buyer posts a sourcing request."""
    _require_buyer(user)
    clean = check_request(raw)
    ref = f"req-{secrets.token_hex(5)}"
    async with atomic():
        await SourcingRequest(ref=ref, organization=user.organization_id, **clean).save()
        await record_change("request", ref)
    return await get_request(ref)


async def update_request(user: CurrentUser, ref: str, raw: dict[str, Any]) -> dict[str, Any]:
    request = await get_request(ref)
    if not (user.is_buyer and request["organization"] == user.organization_id):
        raise PermissionDenied()
    clean = check_request(raw)
    async with atomic():
        await SourcingRequest.update({**clean, "updated_at": now()}).where(SourcingRequest.id == request["id"])
        await record_change("request", ref)
    return await get_request(ref)


async def set_request_status(user: CurrentUser, ref: str, status: str) -> dict[str, Any]:
    request = await get_request(ref)
    if not (user.is_buyer and request["organization"] == user.organization_id):
        raise PermissionDenied()
    if status not in REQUEST_STATUSES:
        raise FieldErrors(
            {
                "status": _(
                    "Unknown value %(value)s. Choose %(options)s.",
                    value=repr(status[:40]),
                    options=one_of(option_labels(REQUEST_STATUSES)),
                )
            }
        )
    async with atomic():
        await SourcingRequest.update({SourcingRequest.status: status, SourcingRequest.updated_at: now()}).where(
            SourcingRequest.id == request["id"]
        )
        await record_change("request", ref)
    return await get_request(ref)


async def get_request(ref: str) -> dict[str, Any]:
    row = await (
        SourcingRequest.select(
            SourcingRequest.all_columns(),
            SourcingRequest.organization.ref.as_alias("organization_ref"),
            SourcingRequest.organization.name.as_alias("organization_name"),
        )
        .where(SourcingRequest.ref == ref)
        .output(load_json=True)
        .first()
    )
    if not row:
        raise NotFound()
    return row


async def get_request_for(user: CurrentUser, ref: str) -> dict[str, Any]:
    """A request as its owner (or staff) may see and change it; others get NotFound."""
    row = await get_request(ref)
    if not (user.is_staff or row["organization"] == user.organization_id):
        raise NotFound()
    return row


Reader = Literal["owner", "staff", "supplier"]

#: What only the buyer's organisation (and staff) read: its negotiating position and the exact delivery point.
#: Producers read the place name, region and country, the quantity, window, claims, product types, species, the
#: details text (grades, dimensions: written for suppliers) and the buyer's name.
PRIVATE_FIELDS: dict[str, Any] = {
    "target_price_amount": None,
    "target_price_currency": "",
    "delivery_lat": None,
    "delivery_lon": None,
}


@dataclass
class RequestForReader:
    """A sourcing request as one reader may read it: ``row`` already without what the reader may not see."""

    row: dict[str, Any]
    reader: Reader
    #: For a supplier: its active offers that fit the request now, best first.
    fits: list[ScoredOffer] = field(default_factory=list)
    #: For a supplier: ids of its organisation's conversations about the request, newest first.
    conversations: list[int] = field(default_factory=list)


async def request_for_reader(user: CurrentUser, ref: str) -> RequestForReader:
    """Who may read which sourcing request, for the page and the API alike (others get NotFound).

    - the buyer organisation that posted it, and staff: everything;
    - a producer organisation with an active offer that fits the open request (every hard constraint of the
      matcher, or a current match record recommending it), or in a conversation about the request (open or
      closed): everything but ``PRIVATE_FIELDS``.
    """

    row = await get_request(ref)
    if user.is_staff:
        return RequestForReader(row, "staff")
    org_id = user.organization_id
    if org_id is None:
        raise NotFound()
    if row["organization"] == org_id:
        return RequestForReader(row, "owner")
    conversations = [
        r["id"]
        for r in await Conversation.select(Conversation.id)
        .where((Conversation.request == row["id"]) & (Conversation.producer_organization == org_id))
        .order_by(Conversation.last_message_at, ascending=False)
    ]
    fits = await organization_fits(row, org_id) if row["status"] == "open" else []
    if not (conversations or fits) and not (
        row["status"] == "open" and await organization_recommended(row["id"], org_id)
    ):
        raise NotFound()
    return RequestForReader({**row, **PRIVATE_FIELDS}, "supplier", fits, conversations)


async def list_for_organization(org_id: int) -> list[dict[str, Any]]:
    return await (
        SourcingRequest.select()
        .where(SourcingRequest.organization == org_id)
        .order_by(SourcingRequest.updated_at, ascending=False)
        .output(load_json=True)
    )


async def list_requests_page(user: CurrentUser, *, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """The sourcing requests this user may list, most recently changed first: its organisation's (staff: every
    organisation's), one page and the total."""
    if user.is_staff:
        where: list[Any] = []
    elif user.organization_id is None:
        return [], 0
    else:
        where = [SourcingRequest.organization == user.organization_id]
    total = await SourcingRequest.count().where(*where)
    rows = await (
        SourcingRequest.select(
            *SourcingRequest.all_columns(),
            SourcingRequest.organization.ref.as_alias("organization_ref"),
            SourcingRequest.organization.name.as_alias("organization_name"),
        )
        .where(*where)
        .order_by(SourcingRequest.updated_at, ascending=False)
        .order_by(SourcingRequest.ref, ascending=False)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .output(load_json=True)
    )
    return rows, total
