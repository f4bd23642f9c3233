"""The answer about a lot (``derive_lot``) and the checks of a group's plots (``check_plots``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from app.traceability.engine.checks import (
    drc_check,
    far_check,
    mass_balance_check,
    member_check,
    no_origin_check,
    origin_check,
    too_young_check,
    yield_check,
)
from app.traceability.engine.claims import FORM_PRODUCT, derive_claims
from app.traceability.engine.geometry import (
    ParsedPlot,
    area_ha,
    country_checks,
    group_checks,
    location,
    parse_plot,
)
from app.traceability.engine.geometry import plot_checks as single_plot_checks
from app.traceability.model import Check, Delivery, GroupCertificate, Lot, LotAnswer, Member, Plot, Thresholds

#: The documented default limits (one instance: a default argument is built once anyway).
DEFAULT_THRESHOLDS = Thresholds()
_INPUT_KEYS = {"delivery": "unknown_delivery", "lot": "unknown_lot", "empty": "empty_input"}


def sort_checks(checks: Iterable[Check]) -> tuple[Check, ...]:
    """Checks without repeats, errors first, then by code, ref and message."""
    unique = dict.fromkeys(checks)
    return tuple(sorted(unique, key=lambda c: (c.severity != "error", c.code, c.ref, c.message)))


def check_plots(
    plots: Mapping[str, Plot],
    members: Mapping[str, Member],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *,
    subjects: Collection[str] | None = None,
    parsed_cache: dict[str, ParsedPlot] | None = None,
) -> dict[str, list[Check]]:
    """Checks of plots (a whole group's): ref -> its geometry checks, overlaps and duplicates among all ``plots``.

    ``subjects`` limits which plots are checked (every plot in ``plots`` still counts as a neighbour). A plot's
    country is its own, else its member's. ``parsed_cache`` (ref -> parsed plot) lets calls over overlapping sets of
    plots parse each one once."""
    cache: dict[str, ParsedPlot] = {} if parsed_cache is None else parsed_cache
    for ref, plot in plots.items():
        if ref not in cache:
            cache[ref] = parse_plot(plot)
    parsed = {ref: cache[ref] for ref in plots}
    chosen = None if subjects is None else set(subjects)
    wanted = [ref for ref in plots if chosen is None or ref in chosen]
    found: dict[str, list[Check]] = {ref: [] for ref in wanted}
    by_country: dict[str, list[tuple[Plot, ParsedPlot]]] = {}
    for ref in wanted:
        plot = plots[ref]
        found[ref].extend(single_plot_checks(plot, parsed[ref], thresholds))
        member = members.get(plot.member)
        country = (plot.country or (member.country if member else "")).upper()
        if parsed[ref].problem is None:
            by_country.setdefault(country, []).append((plot, parsed[ref]))
    for country, items in by_country.items():
        for check in country_checks(items, country):
            found[check.ref].append(check)
    for check in group_checks(parsed.values(), thresholds, subjects=set(wanted)):
        found[check.ref].append(check)
    return {ref: list(sort_checks(checks)) for ref, checks in found.items()}


def derive_lot(
    ref: str,
    *,
    lots: Mapping[str, Lot],
    deliveries: Mapping[str, Delivery],
    members: Mapping[str, Member],
    plots: Mapping[str, Plot],
    certificates: Mapping[str, Sequence[GroupCertificate]],
    collectors: Mapping[str, tuple[float, float] | None],
    plot_checks: Mapping[str, Sequence[Check]] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> LotAnswer:
    """Derive a lot's claim, counts and checks (raises KeyError for an unknown lot, LotCycleError for a cycle).

    ``deliveries`` should hold every delivery of the lot's plots, not only the lot's: a plot's yield counts them
    all. ``collectors`` maps a collector's ref to its (latitude, longitude), None when unknown. ``plot_checks``
    passes the plots' checks computed beforehand (``check_plots`` over the group); when None they are computed
    here for the plots behind the lot, with every plot in ``plots`` as a neighbour for overlaps."""
    lot = lots[ref]
    derived = derive_claims(
        ref, lots=lots, deliveries=deliveries, members=members, plots=plots, certificates=certificates
    )
    top = derived[ref]
    behind = [deliveries[r] for r in sorted(top.deliveries)]
    member_refs = {d.member for d in behind if d.member}
    plot_refs = {d.plot for d in behind if d.plot}
    known_plots = sorted(r for r in plot_refs if r in plots)

    checks: list[Check] = []
    for lot_ref in sorted(top.lots):
        found = mass_balance_check(lots[lot_ref], derived[lot_ref].inputs_dry)
        checks.extend([found] if found else [])
    for lot_ref, kind, input_ref in top.unknown_inputs:
        checks.append(no_origin_check(lot_ref, _INPUT_KEYS[kind], input_ref))
    for delivery in behind:
        plot = plots.get(delivery.plot) if delivery.plot else None
        for found in (
            origin_check(delivery, delivery.member in members, plot is not None),
            drc_check(delivery, thresholds),
            too_young_check(delivery, plot, thresholds),
        ):
            checks.extend([found] if found else [])
    for member_ref, (date, delivery_ref, reason) in sorted(top.out_of_scope.items()):
        product = FORM_PRODUCT.get(deliveries[delivery_ref].form, deliveries[delivery_ref].form)
        checks.append(member_check(member_ref, date, reason, product))

    if plot_checks is None:
        plot_checks = check_plots(plots, members, thresholds, subjects=known_plots)
    for plot_ref in known_plots:
        checks.extend(plot_checks.get(plot_ref, ()))
    checks.extend(_plot_delivery_checks(known_plots, behind, deliveries, plots, collectors, thresholds))

    ordered = sort_checks(checks)
    return LotAnswer(
        lot=lot.ref,
        holder=lot.holder,
        product_type=lot.product_type,
        dry_kg=float(lot.output_dry_kg),
        claim=top.claim,
        certified_percent=top.percent,
        eudr_ready=not any(c.severity == "error" for c in ordered),
        members=len(member_refs),
        plots=len(plot_refs),
        deliveries=len(top.deliveries),
        checks=ordered,
        certified_dry_kg=float(top.certified),
        uncertified_dry_kg=float(top.uncertified),
        unidentified_dry_kg=float(top.unidentified),
        out_of_scope={member: entry[2] for member, entry in sorted(top.out_of_scope.items())},
    )


def _plot_delivery_checks(
    plot_refs: Sequence[str],
    behind: Sequence[Delivery],
    deliveries: Mapping[str, Delivery],
    plots: Mapping[str, Plot],
    collectors: Mapping[str, tuple[float, float] | None],
    thresholds: Thresholds,
) -> list[Check]:
    """YIELD_IMPLAUSIBLE (over every delivery of the plot on record) and FAR_FROM_COLLECTOR of the lot's plots."""
    wanted = set(plot_refs)
    by_plot: dict[str, list[Delivery]] = {ref: [] for ref in plot_refs}
    for delivery in deliveries.values():
        if delivery.plot in wanted:
            by_plot[delivery.plot].append(delivery)
    found: list[Check] = []
    for ref in plot_refs:
        check = yield_check(ref, area_ha(plots[ref]), by_plot[ref], thresholds)
        found.extend([check] if check else [])
    pairs = sorted({(d.plot, d.collector) for d in behind if d.plot in wanted})
    positions = {ref: location(plots[ref]) for ref in {plot for plot, _ in pairs}}
    for plot_ref, collector in pairs:
        check = far_check(plot_ref, positions[plot_ref], collector, collectors.get(collector), thresholds)
        found.extend([check] if check else [])
    return found
