"""The traceability figures of the shared measurement as msgspec structs: one shape for the page, CSV and JSON API.

Volumes are kg of dry rubber (``kg_drc``, latex's canonical unit); shares are parts of 1, null when the whole is 0.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from app.analytics.schemas import FiltersOut


class TraceVolume(msgspec.Struct):
    """Offers (or confirmed deals) and their volume, and how much of it is traceable and EUDR-ready."""

    count: int
    quantity: float
    traceable_count: int
    traceable_quantity: float
    #: traceable_quantity / quantity
    traceable_share: float | None
    eudr_ready_count: int
    eudr_ready_quantity: float
    eudr_ready_share: float | None


class TraceRow(msgspec.Struct):
    """One producer country (``key`` ISO code, "" unknown) or one group (``key`` its organisation ref)."""

    key: str
    name: str
    offered: TraceVolume
    traded: TraceVolume


class LotError(msgspec.Struct):
    """A lot whose last derived answer has error checks: each error code with how many checks carry it."""

    ref: str
    date: dt.date
    holder_ref: str
    holder_name: str
    product_type: str
    dry_kg: float
    claim: str | None
    errors: int
    codes: dict[str, int]


class GroupMembers(msgspec.Struct):
    """A group's members: all, inside its certificate's scope today, with a plot, with a plot that has an error."""

    ref: str
    name: str
    country: str
    members: int
    in_scope: int
    with_plots: int
    with_plot_errors: int


class TraceabilitySummary(msgspec.Struct):
    """Latex traceability for one set of filters: offered (active latex offers, open today), traded (confirmed
    deals dated in the period), by producer country and by group; lots with error checks; members per group."""

    filters: FiltersOut
    unit: str
    offered: TraceVolume
    traded: TraceVolume
    by_country: list[TraceRow]
    #: an offer drawing on several groups counts under each: these rows do not add up to the totals
    by_group: list[TraceRow]
    lots: int
    lots_with_errors: list[LotError]
    members: list[GroupMembers]
    as_of: dt.date
