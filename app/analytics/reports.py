"""The summary as named tables: one definition for the page's table views and the CSV downloads."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.analytics.schemas import Summary
from app.i18n import N_
from app.i18n import gettext as _
from app.messaging.services import EVENT_STATES
from app.places import country_name, region_name
from app.vocab import ALL_PRODUCT_TYPES, CATEGORIES, LEGAL_FORMS, UNITS, label

_UNIT_LABELS = {k: v for units in UNITS.values() for k, v in units.items()}
FUNNEL_LABELS = {**EVENT_STATES, "recommended": N_("Recommended"), "deal_closed": N_("Deal recorded")}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    #: "text" | "int" | "number" | "money" | "share": how the page formats it (CSV keeps the plain value)
    kind: str = "text"


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]


def _cat(key: str) -> str:
    return label(CATEGORIES, key)


def _pt(key: str) -> str:
    return label(ALL_PRODUCT_TYPES, key)


def _unit(key: str) -> str:
    return label(_UNIT_LABELS, key)


def _c(key: str, title: str, kind: str = "text") -> Column:
    return Column(key, _(title), kind)


def _producers_by_country(s: Summary) -> Report:
    cols = [
        _c("country", N_("Country")),
        _c("reached", N_("Producers reached"), "int"),
        _c("active", N_("Active"), "int"),
    ]
    rows = [[country_name(g.key) or "—", g.reached, g.active] for g in s.producers.by_country]
    return Report("producers_by_country", _("Producers by country"), cols, rows)


def _producers_by_legal_form(s: Summary) -> Report:
    cols = [
        _c("legal_form", N_("Legal form")),
        _c("reached", N_("Producers reached"), "int"),
        _c("active", N_("Active"), "int"),
    ]
    rows = [[label(LEGAL_FORMS, g.key) if g.key else "—", g.reached, g.active] for g in s.producers.by_legal_form]
    return Report("producers_by_legal_form", _("Producers by legal form"), cols, rows)


def _by_product(s: Summary) -> Report:
    cols = [
        _c("category", N_("Category")),
        _c("product_type", N_("Product type")),
        _c("offers", N_("Certified offers"), "int"),
        _c("offered_quantity", N_("Volume offered"), "number"),
        _c("deals", N_("Deals"), "int"),
        _c("deal_quantity", N_("Volume traded"), "number"),
        _c("unit", N_("Unit")),
    ]
    rows = [
        [_cat(p.category), _pt(p.product_type), p.offers, p.offered_quantity, p.deals, p.deal_quantity, _unit(p.unit)]
        for p in s.by_product
    ]
    return Report("by_product", _("Offers and deals by product type"), cols, rows)


def _offered_by_country(s: Summary) -> Report:
    cols = [
        _c("country", N_("Country")),
        _c("category", N_("Category")),
        _c("offers", N_("Certified offers"), "int"),
        _c("quantity", N_("Volume offered"), "number"),
        _c("unit", N_("Unit")),
    ]
    rows = [
        [country_name(r.country) or "—", _cat(r.category), r.offers, r.offered_quantity, _unit(r.unit)]
        for r in s.offered_by_country
    ]
    return Report("offered_by_country", _("Certified volume offered by country"), cols, rows)


def _demand(s: Summary) -> Report:
    cols = [
        _c("category", N_("Category")),
        _c("requests", N_("Requests posted"), "int"),
        _c("quantity", N_("Volume asked for"), "number"),
        _c("unit", N_("Unit")),
    ]
    rows = [[_cat(v.category), v.count, v.quantity, _unit(v.unit)] for v in s.demand.by_family]
    return Report("demand", _("Demand posted"), cols, rows)


def _monthly(s: Summary) -> Report:
    cols = [_c("month", N_("Month")), _c("contacts", N_("Contacts"), "int"), _c("deals", N_("Deals"), "int")]
    return Report(
        "monthly", _("Contacts and deals per month"), cols, [[m.month, m.contacts, m.deals] for m in s.monthly]
    )


def _funnel(s: Summary) -> Report:
    cols = [_c("state", N_("Stage")), _c("count", N_("Matches or conversations"), "int")]
    rows = [[_(FUNNEL_LABELS.get(step.state, step.state)), step.count] for step in s.funnel]
    return Report("funnel", _("From recommendation to deal"), cols, rows)


def _deals_by_currency(s: Summary) -> Report:
    cols = [
        _c("currency", N_("Currency")),
        _c("deals", N_("Deals"), "int"),
        _c("value", N_("Value"), "money"),
        _c("confirmed_value", N_("Of which confirmed"), "money"),
    ]
    rows = [[m.currency, m.deals, m.value, m.confirmed_value] for m in s.deals.value]
    return Report("deals_by_currency", _("Value closed per currency"), cols, rows)


def _deal_volume(s: Summary) -> Report:
    cols = [
        _c("category", N_("Category")),
        _c("deals", N_("Deals"), "int"),
        _c("quantity", N_("Volume traded"), "number"),
        _c("confirmed_quantity", N_("Of which confirmed"), "number"),
        _c("unit", N_("Unit")),
    ]
    rows = [[_cat(v.category), v.deals, v.quantity, v.confirmed_quantity, _unit(v.unit)] for v in s.deals.volume]
    return Report("deal_volume", _("Volume closed"), cols, rows)


def _deals_by_country(s: Summary) -> Report:
    cols = [
        _c("country", N_("Producer country")),
        _c("deals", N_("Deals"), "int"),
        _c("confirmed", N_("Confirmed"), "int"),
    ]
    rows = [[country_name(c.country) or "—", c.deals, c.confirmed] for c in s.deals.by_country]
    return Report("deals_by_country", _("Deals by producer country"), cols, rows)


def _relationships(s: Summary) -> Report:
    cols = [_c("buyer", N_("Buyer")), _c("producer", N_("Producer")), _c("deals", N_("Deals"), "int")]
    rows = [[r.buyer_name, r.producer_name, r.deals] for r in s.repeat_relationships]
    return Report("repeat_relationships", _("Repeat buyer relationships (two deals or more)"), cols, rows)


def _unmet(s: Summary) -> Report:
    cols = [
        _c("product_type", N_("Product type")),
        _c("country", N_("Delivery country")),
        _c("region", N_("Delivery region")),
        _c("requests", N_("Requests"), "int"),
        _c("quantity", N_("Volume asked for"), "number"),
        _c("unit", N_("Unit")),
    ]
    rows = [
        [
            _pt(u.product_type),
            country_name(u.country) or "—",
            region_name(u.region) or "—",
            u.requests,
            u.quantity,
            _unit(u.unit),
        ]
        for u in s.unmet_demand
    ]
    return Report("unmet_demand", _("Unmet demand by product and region"), cols, rows)


def _expiring(s: Summary) -> Report:
    cols = [
        _c("code", N_("Certificate")),
        _c("organization", N_("Organisation")),
        _c("country", N_("Country")),
        _c("expires_on", N_("Expires on")),
        _c("days_left", N_("Days left"), "int"),
    ]
    rows = [
        [c.code, c.organization_name, country_name(c.country) or "—", c.expires_on.isoformat(), c.days_left]
        for c in s.expiring_certificates
    ]
    return Report(
        "expiring_certificates",
        _("Certificates expiring within %(days)s days", days=s.expiring_within_days),
        cols,
        rows,
    )


BUILDERS: dict[str, Callable[[Summary], Report]] = {
    "monthly": _monthly,
    "funnel": _funnel,
    "by_product": _by_product,
    "deals_by_country": _deals_by_country,
    "producers_by_country": _producers_by_country,
    "producers_by_legal_form": _producers_by_legal_form,
    "offered_by_country": _offered_by_country,
    "demand": _demand,
    "deals_by_currency": _deals_by_currency,
    "deal_volume": _deal_volume,
    "repeat_relationships": _relationships,
    "unmet_demand": _unmet,
    "expiring_certificates": _expiring,
}


def reports(s: Summary) -> dict[str, Report]:
    """Every table of the dashboard, by name (the CSV file name)."""
    return {name: build(s) for name, build in BUILDERS.items()}


def to_csv(report: Report) -> str:
    """A table as CSV: translated headers, plain values (dot decimals) any spreadsheet reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in report.columns])
    for row in report.rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
