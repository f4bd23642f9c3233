"""The traceability figures as named tables (the page's table views and the CSV downloads) and as bar charts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.analytics import charts
from app.analytics.reports import Column, Report
from app.analytics.trace_schemas import TraceabilitySummary, TraceRow, TraceVolume
from app.i18n import N_, format_number, ngettext
from app.i18n import gettext as _
from app.places import country_name
from app.vocab import ALL_PRODUCT_TYPES, CLAIMS, label


def _c(key: str, title: str, kind: str = "text") -> Column:
    return Column(key, _(title), kind)


def _volume_columns(prefix: str, volume: str) -> list[Column]:
    return [
        _c(f"{prefix}_count", N_("Offers") if prefix == "offered" else N_("Confirmed deals"), "int"),
        _c(f"{prefix}_kg", volume, "number"),
        _c(f"{prefix}_traceable_share", N_("Traceable"), "share"),
        _c(f"{prefix}_eudr_ready_share", N_("EUDR-ready"), "share"),
    ]


def _volume_cells(v: TraceVolume) -> list[Any]:
    return [v.count, v.quantity, v.traceable_share, v.eudr_ready_share]


def _rows(rows: list[TraceRow], name: str, title: str, first: Column) -> Report:
    cols = [
        first,
        *_volume_columns("offered", N_("Offered, kg dry rubber")),
        *_volume_columns("traded", N_("Traded, kg dry rubber")),
    ]
    return Report(name, title, cols, [[r.name, *_volume_cells(r.offered), *_volume_cells(r.traded)] for r in rows])


def _by_country(s: TraceabilitySummary) -> Report:
    return _rows(
        s.by_country,
        "trace_by_country",
        _("Latex offered and traded by producer country"),
        _c("country", N_("Producer country")),
    )


def _by_group(s: TraceabilitySummary) -> Report:
    return _rows(
        s.by_group,
        "trace_by_group",
        _("Latex offered and traded by group behind the lots"),
        _c("group", N_("Group")),
    )


def _lots(s: TraceabilitySummary) -> Report:
    cols = [
        _c("lot", N_("Lot")),
        _c("holder", N_("Holder")),
        _c("date", N_("Date")),
        _c("product_type", N_("Product type")),
        _c("dry_kg", N_("Dry kg"), "number"),
        _c("claim", N_("Claim")),
        _c("errors", N_("Errors"), "int"),
        _c("codes", N_("Checks")),
    ]
    rows = [
        [
            lot.ref,
            lot.holder_name,
            lot.date.isoformat() if hasattr(lot.date, "isoformat") else str(lot.date),
            label(ALL_PRODUCT_TYPES, lot.product_type),
            lot.dry_kg,
            label(CLAIMS, lot.claim) if lot.claim else _("No FSC claim"),
            lot.errors,
            ", ".join(f"{code} ({n})" if n > 1 else code for code, n in lot.codes.items()),
        ]
        for lot in s.lots_with_errors
    ]
    return Report("trace_lots_with_errors", _("Lots with errors"), cols, rows)


def _members(s: TraceabilitySummary) -> Report:
    cols = [
        _c("group", N_("Group")),
        _c("country", N_("Country")),
        _c("members", N_("Members"), "int"),
        _c("in_scope", N_("In the certificate's scope today"), "int"),
        _c("with_plots", N_("With plots"), "int"),
        _c("with_plot_errors", N_("With plot errors"), "int"),
    ]
    rows = [
        [g.name, country_name(g.country) or "—", g.members, g.in_scope, g.with_plots, g.with_plot_errors]
        for g in s.members
    ]
    return Report("trace_members", _("Members per group"), cols, rows)


BUILDERS: dict[str, Callable[[TraceabilitySummary], Report]] = {
    "trace_by_country": _by_country,
    "trace_by_group": _by_group,
    "trace_lots_with_errors": _lots,
    "trace_members": _members,
}


def reports(s: TraceabilitySummary) -> dict[str, Report]:
    """Every traceability table, by name (the CSV file name)."""
    return {name: build(s) for name, build in BUILDERS.items()}


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{format_number(share * 100, 0)} %"


def _other(count: int, total: float) -> tuple[str, str]:
    return ngettext("Other (%(num)d)", "Other (%(num)d)", count), format_number(total, 0)


def _bars(rows: list[TraceRow], pick: Callable[[TraceRow], TraceVolume]) -> charts.BarChart:
    """Bars as long as the volume, each value saying how much of it is EUDR-ready."""
    return charts.bar_chart(
        [
            (
                row.name,
                pick(row).quantity,
                f"{format_number(pick(row).quantity, 0)} · {_pct(pick(row).eudr_ready_share)}",
            )
            for row in rows
            if pick(row).quantity
        ],
        other=_other,
    )


def trace_charts(s: TraceabilitySummary) -> dict[str, charts.BarChart]:
    return {
        "offered_by_country": _bars(s.by_country, lambda r: r.offered),
        "traded_by_country": _bars(s.by_country, lambda r: r.traded),
        "offered_by_group": _bars(s.by_group, lambda r: r.offered),
    }
