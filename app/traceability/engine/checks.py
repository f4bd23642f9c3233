"""Delivery and lot checks: DRC_OUT_OF_RANGE, YIELD_IMPLAUSIBLE, TOO_YOUNG, MEMBER_NOT_CERTIFIED, NO_ORIGIN,
MASS_BALANCE and FAR_FROM_COLLECTOR, with the limits of ``Thresholds``.

Ranges are inclusive (a field latex DRC of exactly 45 % passes); yields compare exact Decimals (exactly 2,000 kg/ha
is a warning, not an error). Collector positions are ``(latitude, longitude)`` in degrees, as ``app.geo`` takes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from app.geo import haversine_km
from app.traceability.engine.claims import decimal, dry_kg
from app.traceability.engine.messages import ERROR, WARNING, make_check
from app.traceability.model import Check, Delivery, Lot, Plot, Thresholds

#: A yield window: 365 days, its first one included.
YIELD_WINDOW = dt.timedelta(days=364)


def drc_check(delivery: Delivery, thresholds: Thresholds) -> Check | None:
    """DRC_OUT_OF_RANGE when a DRC is given outside its form's plausible range."""
    if delivery.drc_percent is None:
        return None
    ranges = {"field_latex": thresholds.drc_field_latex, "cup_lump": thresholds.drc_cup_lump}
    if delivery.form not in ranges:
        return None
    low, high = ranges[delivery.form]
    if low <= delivery.drc_percent <= high:
        return None
    return make_check(
        "DRC_OUT_OF_RANGE",
        ERROR,
        delivery.ref,
        f"drc_{delivery.form}",
        drc=float(delivery.drc_percent),
        low=float(low),
        high=float(high),
    )


def too_young_check(delivery: Delivery, plot: Plot | None, thresholds: Thresholds) -> Check | None:
    """TOO_YOUNG when the delivery's year is less than the tapping age after the plot's planting year."""
    if plot is None or plot.planted_year is None:
        return None
    if delivery.date.year - plot.planted_year >= thresholds.min_tapping_age_years:
        return None
    return make_check(
        "TOO_YOUNG",
        ERROR,
        delivery.ref,
        "too_young",
        year=str(delivery.date.year),
        planted=str(plot.planted_year),
        age=thresholds.min_tapping_age_years,
    )


def peak_yield(deliveries: Iterable[Delivery]) -> tuple[Decimal, dt.date | None]:
    """The most dry kg delivered within any 365 days, and the first day of that window."""
    ordered = sorted({d.ref: d for d in deliveries}.values(), key=lambda d: (d.date, d.ref))
    best, start, running, tail = Decimal(0), None, Decimal(0), 0
    # Sliding window: it ends at each delivery in turn; the oldest ones leave once over 365 days before it.
    for delivery in ordered:
        running += dry_kg(delivery)
        while ordered[tail].date < delivery.date - YIELD_WINDOW:
            running -= dry_kg(ordered[tail])
            tail += 1
        if running > best:
            best, start = running, ordered[tail].date
    return best, start


def yield_check(
    plot_ref: str, area_ha: float | None, deliveries: Sequence[Delivery], thresholds: Thresholds
) -> Check | None:
    """YIELD_IMPLAUSIBLE: error above the error limit, warning above the warning limit (kg dry per ha, 365 days)."""
    if not area_ha or area_ha <= 0 or not deliveries:
        return None
    peak, start = peak_yield(deliveries)
    per_ha = peak / decimal(area_ha)
    if per_ha > decimal(thresholds.yield_error_kg_ha):
        severity, limit = ERROR, thresholds.yield_error_kg_ha
    elif per_ha > decimal(thresholds.yield_warning_kg_ha):
        severity, limit = WARNING, thresholds.yield_warning_kg_ha
    else:
        return None
    return make_check(
        "YIELD_IMPLAUSIBLE",
        severity,
        plot_ref,
        "yield_implausible",
        kg_ha=round(float(per_ha)),
        start=start.isoformat() if start else "",
        limit=round(float(limit)),
    )


def member_check(member: str, date: dt.date, reason: str, product: str = "") -> Check:
    """MEMBER_NOT_CERTIFIED (a warning: it lowers the claim), worded by the reason code (``out_of_scope``)."""
    if reason == "product_not_covered":
        return make_check("MEMBER_NOT_CERTIFIED", WARNING, member, reason, date=date.isoformat(), product=product)
    if reason == "no_group_certificate":
        return make_check("MEMBER_NOT_CERTIFIED", WARNING, member, reason)
    return make_check("MEMBER_NOT_CERTIFIED", WARNING, member, reason, date=date.isoformat())


def no_origin_check(ref: str, key: str, input_ref: str = "") -> Check:
    """NO_ORIGIN about a delivery (``no_origin``, ``unknown_origin``) or a lot input that is not on record."""
    if key in ("unknown_delivery", "unknown_lot"):
        return make_check("NO_ORIGIN", ERROR, ref, key, input=input_ref)
    return make_check("NO_ORIGIN", ERROR, ref, key)


def origin_check(delivery: Delivery, known_member: bool, known_plot: bool) -> Check | None:
    """NO_ORIGIN when a delivery lacks a member or a plot, or names one not on record."""
    if not delivery.member or not delivery.plot:
        return no_origin_check(delivery.ref, "no_origin")
    if not known_member or not known_plot:
        return no_origin_check(delivery.ref, "unknown_origin")
    return None


def mass_balance_check(lot: Lot, inputs_dry: Decimal) -> Check | None:
    """MASS_BALANCE when the lot's output dry kg exceed its inputs' dry kg."""
    output = decimal(lot.output_dry_kg)
    if output <= inputs_dry:
        return None
    return make_check(
        "MASS_BALANCE", ERROR, lot.ref, "mass_balance", output=float(output), inputs=float(round(inputs_dry, 3))
    )


def far_check(
    plot_ref: str,
    plot_position: tuple[float, float] | None,
    collector: str,
    collector_position: tuple[float, float] | None,
    thresholds: Thresholds,
) -> Check | None:
    """FAR_FROM_COLLECTOR (a warning) when the plot lies beyond the limit from the collector; positions (lat, lon)."""
    if plot_position is None or collector_position is None:
        return None
    km = haversine_km(plot_position[0], plot_position[1], collector_position[0], collector_position[1])
    if km <= thresholds.far_from_collector_km:
        return None
    return make_check(
        "FAR_FROM_COLLECTOR",
        WARNING,
        plot_ref,
        "far_from_collector",
        km=round(km),
        collector=collector,
        limit=round(thresholds.far_from_collector_km),
    )
