"""Loading the graph of one lot from the database into the plain values of ``app.traceability.model``: the lot and
every lot it draws from, their deliveries, the members and plots behind them, the groups' certificates and the
collectors' coordinates. The engine derives answers from exactly this; nothing here decides a claim."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.traceability import model
from app.traceability.tables import Delivery, Lot, LotInput, Member, Plot
from app.traceability.yields import plots_to_read
from app.validation import NotFound

CHUNK = 500


@dataclass
class LotGraph:
    """Everything ``derive_lot`` reads for one lot, keyed by ref."""

    lot: str
    lots: dict[str, model.Lot] = field(default_factory=dict)
    #: the lot tree's deliveries, and every other delivery from the same plots (a plot's yield counts them all)
    deliveries: dict[str, model.Delivery] = field(default_factory=dict)
    #: refs of the deliveries the lot tree draws on
    drawn: set[str] = field(default_factory=set)
    members: dict[str, model.Member] = field(default_factory=dict)
    plots: dict[str, model.Plot] = field(default_factory=dict)
    #: group organisation ref -> its group certificates
    certificates: dict[str, list[model.GroupCertificate]] = field(default_factory=dict)
    #: collector organisation ref -> (lat, lon), or None when the organisation has no coordinates
    collectors: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    #: plot ref -> the checks last derived for it (stored on the plot)
    plot_checks: dict[str, list[model.Check]] = field(default_factory=dict)
    #: refs of the lot's plots whose checks were never derived
    unchecked: set[str] = field(default_factory=set)
    #: database id of the lot (where its result is stored)
    lot_id: int = 0


async def _rows(query: Callable[[], Any], column: Any, values: Iterable[Any]) -> list[dict[str, Any]]:
    """A fresh ``query()`` restricted to ``column`` in ``values`` per chunk (Piccolo's ``where`` adds to a query)."""
    wanted = sorted(set(values))
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), CHUNK):
        found += await query().where(column.is_in(wanted[start : start + CHUNK])).output(load_json=True)
    return found


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def check_to_json(check: model.Check) -> dict[str, Any]:
    """A check as stored: the answer's four keys, plus its template and values so a reader's language can word it."""
    stored: dict[str, Any] = {
        "code": check.code,
        "severity": check.severity,
        "ref": check.ref,
        "message": check.message,
    }
    if check.msgid:
        stored["msgid"] = check.msgid
        stored["params"] = [[name, value] for name, value in check.params]
    return stored


def check_from_json(item: dict[str, Any]) -> model.Check:
    """A stored check as a value."""
    return model.Check(
        code=item["code"],
        severity=item["severity"],
        ref=item["ref"],
        message=item["message"],
        msgid=item.get("msgid", ""),
        params=tuple((name, value) for name, value in item.get("params", [])),
    )


def member_value(row: dict[str, Any]) -> model.Member:
    return model.Member(
        ref=row["ref"],
        group=row["group_ref"],
        name=row["name"],
        member_code=row["member_code"],
        country=row["country"],
        region=row["region"],
        locality=row["locality"],
        certified_from=row["certified_from"],
        certified_to=row["certified_to"],
        consent_share_identity=bool(row["consent_share_identity"]),
    )


def plot_value(row: dict[str, Any]) -> model.Plot:
    return model.Plot(
        ref=row["ref"],
        member=row["member_ref"],
        geometry=row["geometry"],
        area_ha=_float(row["area_ha"]),
        planted_year=row["planted_year"],
        country=row["country"],
    )


def delivery_query() -> Any:
    return Delivery.select(
        Delivery.all_columns(),
        Delivery.collector.ref.as_alias("collector_ref"),
        Delivery.member.ref.as_alias("member_ref"),
        Delivery.plot.ref.as_alias("plot_ref"),
    )


def delivery_value(row: dict[str, Any]) -> model.Delivery:
    return model.Delivery(
        ref=row["ref"],
        collector=row["collector_ref"],
        member=row["member_ref"],
        plot=row["plot_ref"],
        date=row["date"],
        form=row["form"],
        wet_kg=_float(row["wet_kg"]),
        drc_percent=_float(row["drc_percent"]),
        dry_kg=_float(row["dry_kg"]),
    )


def member_query() -> Any:
    return Member.select(Member.all_columns(), Member.group.ref.as_alias("group_ref"))


def plot_query() -> Any:
    return Plot.select(Plot.all_columns(), Plot.member.ref.as_alias("member_ref"))


async def _lot_tree(ref: str, graph: LotGraph) -> None:
    """The lot and every lot it draws from, with their inputs in order."""
    pending = {ref}
    while pending:
        rows = await _rows(
            lambda: Lot.select(Lot.all_columns(), Lot.holder.ref.as_alias("holder_ref")), Lot.ref, pending
        )
        if ref in pending and not rows:
            raise NotFound()
        by_id = {row["id"]: row for row in rows}
        inputs: dict[int, list[model.LotInput]] = {}
        for item in await _rows(
            lambda: LotInput.select(
                LotInput.lot,
                LotInput.dry_kg,
                LotInput.delivery.ref.as_alias("delivery_ref"),
                LotInput.source_lot.ref.as_alias("lot_ref"),
            ).order_by(LotInput.position),
            LotInput.lot,
            by_id,
        ):
            inputs.setdefault(item["lot"], []).append(
                model.LotInput(delivery=item["delivery_ref"], lot=item["lot_ref"], dry_kg=_float(item["dry_kg"]))
            )
        for lot_id, row in by_id.items():
            graph.lots[row["ref"]] = model.Lot(
                ref=row["ref"],
                holder=row["holder_ref"],
                inputs=tuple(inputs.get(lot_id, [])),
                process=row["process"],
                product_type=row["product_type"],
                output_dry_kg=float(row["output_dry_kg"]),
                date=row["date"],
            )
            if row["ref"] == ref:
                graph.lot_id = lot_id
        pending = {i.lot for lot in graph.lots.values() for i in lot.inputs if i.lot} - set(graph.lots)


async def _deliveries(graph: LotGraph) -> None:
    refs = {i.delivery for lot in graph.lots.values() for i in lot.inputs if i.delivery}
    graph.drawn = refs
    for row in await _rows(delivery_query, Delivery.ref, refs):
        graph.deliveries[row["ref"]] = delivery_value(row)


async def _members_and_plots(graph: LotGraph, yield_warning_kg_ha: float | None) -> None:
    plot_refs = {d.plot for d in graph.deliveries.values() if d.plot}
    plot_refs_by_id: dict[int, str] = {}
    for row in await _rows(plot_query, Plot.ref, plot_refs):
        graph.plots[row["ref"]] = plot_value(row)
        plot_refs_by_id[row["id"]] = row["ref"]
        if row["checks"] is None:
            graph.unchecked.add(row["ref"])
        else:
            graph.plot_checks[row["ref"]] = [check_from_json(c) for c in row["checks"]]
    # A plot's yield counts every delivery from it on record, not only the ones in this lot. A busy plot has
    # thousands: read only what the yield check uses (plot, date, dry kg), without joins, and, given the warning
    # limit, only for the plots whose peak the database finds near it (app.traceability.yields).
    if yield_warning_kg_ha is not None:
        near = await plots_to_read({pid: graph.plots[ref] for pid, ref in plot_refs_by_id.items()}, yield_warning_kg_ha)
        plot_refs_by_id = {pid: plot_refs_by_id[pid] for pid in near}

    def lean() -> Any:
        return Delivery.select(
            Delivery.ref,
            Delivery.plot,
            Delivery.date,
            Delivery.form,
            Delivery.wet_kg,
            Delivery.drc_percent,
            Delivery.dry_kg,
        )

    for row in await _rows(lean, Delivery.plot, plot_refs_by_id):
        if row["ref"] not in graph.deliveries:
            graph.deliveries[row["ref"]] = model.Delivery(
                ref=row["ref"],
                collector="",  # not one of the lot's: only its weight on its plot counts
                member=None,
                plot=plot_refs_by_id[row["plot"]],
                date=row["date"],
                form=row["form"],
                wet_kg=_float(row["wet_kg"]),
                drc_percent=_float(row["drc_percent"]),
                dry_kg=_float(row["dry_kg"]),
            )
    member_refs = {d.member for d in graph.deliveries.values() if d.member} | {p.member for p in graph.plots.values()}
    for row in await _rows(member_query, Member.ref, member_refs):
        graph.members[row["ref"]] = member_value(row)


async def group_certificates(groups: Iterable[str]) -> dict[str, list[model.GroupCertificate]]:
    """The group certificates of these organisations (rejected at verification: left out, they carry no claim).

    ``invalid_since`` is the day a certificate that is no longer valid changed status, when ForestMatch saw the change
    (``status_since``); unknown (recorded so from the start) means never valid as far as a claim goes."""

    def query() -> Any:
        return (
            Certificate.select(Certificate.all_columns(), Certificate.organization.ref.as_alias("group_ref"))
            .where((Certificate.is_group == True) & (Certificate.verification != "rejected"))  # noqa: E712
            .order_by(Certificate.id)
        )

    found: dict[str, list[model.GroupCertificate]] = {}
    for row in await _rows(query, Certificate.organization.ref, groups):
        found.setdefault(row["group_ref"], []).append(
            model.GroupCertificate(
                ref=row["ref"],
                group=row["group_ref"],
                status=row["status"],
                # A certificate registered without an issue date is read as in force since it was recorded.
                issued_on=row["issued_on"] or dt.date.min,
                expires_on=row["expires_on"],
                product_types=frozenset(row["product_types"] or []),
                invalid_since=row["status_since"] if row["status"] != "valid" else None,
            )
        )
    return found


async def collector_places(refs: Iterable[str]) -> dict[str, tuple[float, float] | None]:
    """Organisation ref -> (lat, lon) from its profile, or None without coordinates."""

    def query() -> Any:
        return Organization.select(Organization.ref, Organization.lat, Organization.lon)

    return {
        row["ref"]: (float(row["lat"]), float(row["lon"]))
        if row["lat"] is not None and row["lon"] is not None
        else None
        for row in await _rows(query, Organization.ref, refs)
    }


async def load_lot_graph(ref: str, yield_warning_kg_ha: float | None = None) -> LotGraph:
    """The graph of lot ``ref`` as model values (NotFound for an unknown lot). With the yield warning limit, the other
    deliveries of the lot's plots are read only where the yield check could flag the plot (the answer is the same)."""
    graph = LotGraph(lot=ref)
    await _lot_tree(ref, graph)
    await _deliveries(graph)
    await _members_and_plots(graph, yield_warning_kg_ha)
    graph.certificates = await group_certificates({m.group for m in graph.members.values()})
    graph.collectors = await collector_places({d.collector for d in graph.deliveries.values() if d.collector})
    return graph
