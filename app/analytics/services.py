"""The shared-measurement summary: every indicator computed at query time from recorded events and records.

Nothing here reads a stored counter: each figure is an aggregation over offers, requests, matches,
conversations, messages and match events, so it can always be recomputed and never drifts.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from decimal import Decimal
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.analytics import cache
from app.analytics import conditions as where_for
from app.analytics.conditions import Sql
from app.analytics.filters import EXPIRY_DAYS, Filters
from app.analytics.queries import supply, trade
from app.analytics.schemas import (
    ContactsOut,
    CountryDeals,
    CountryVolume,
    DealsOut,
    DealVolume,
    DemandOut,
    FiltersOut,
    FunnelStep,
    MapOut,
    MoneyRow,
    MonthRow,
    ProducerGroup,
    ProducersOut,
    ProductVolume,
    Relationship,
    Summary,
    UnmetRow,
    Volume,
)
from app.validation import PermissionDenied
from app.vocab import CANONICAL_UNIT

FUNNEL_ORDER = ("recommended", "viewed", "contacted", "replied", "negotiating", "deal_closed")
CENT = Decimal("0.01")


def _int(value: Any) -> int:
    return int(value or 0)


def _float(value: Any) -> float:
    return round(float(value or 0.0), 3)


def _money(value: Any) -> Decimal:
    """Sums of decimal strings come back as REAL on SQLite: round to cents, exact for any realistic total."""
    if isinstance(value, float):
        return Decimal(f"{value:.2f}")
    return Decimal(value or 0).quantize(CENT)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _unit(category: str) -> str:
    return CANONICAL_UNIT.get(category, "")


def _producers(rows: list[dict[str, Any]]) -> ProducersOut:
    by_country: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_form: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        for bucket, key in ((by_country, r["country"] or ""), (by_form, r["legal_form"] or "")):
            bucket[key][0] += _int(r["reached"])
            bucket[key][1] += _int(r["active"])

    def groups(bucket: dict[str, list[int]]) -> list[ProducerGroup]:
        items = sorted(bucket.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [ProducerGroup(key=k, reached=v[0], active=v[1]) for k, v in items]

    return ProducersOut(
        reached=sum(v[0] for v in by_country.values()),
        active=sum(v[1] for v in by_country.values()),
        by_country=groups(by_country),
        by_legal_form=groups(by_form),
    )


def _offered(rows: list[dict[str, Any]]) -> tuple[list[Volume], dict[tuple[str, str], list[Any]], list[CountryVolume]]:
    families: dict[str, list[Any]] = defaultdict(lambda: [0, 0.0])
    products: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0.0])
    countries: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0.0])
    for r in rows:
        n, q = _int(r["offers"]), float(r["quantity"] or 0.0)
        for bucket, key in (
            (families, r["category"]),
            (products, (r["category"], r["product_type"])),
            (countries, (r["country"] or "", r["category"])),
        ):
            bucket[key][0] += n  # type: ignore[index]
            bucket[key][1] += q  # type: ignore[index]
    offered = [
        Volume(category=c, unit=_unit(c), count=v[0], quantity=_float(v[1])) for c, v in sorted(families.items())
    ]
    by_country = [
        CountryVolume(country=k[0], category=k[1], unit=_unit(k[1]), offers=v[0], offered_quantity=_float(v[1]))
        for k, v in sorted(countries.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    return offered, products, by_country


def _deals(rows: list[dict[str, Any]]) -> tuple[DealsOut, dict[str, int], dict[tuple[str, str], list[Any]]]:
    volume: dict[str, list[Any]] = defaultdict(lambda: [0, 0.0, 0.0])
    money: dict[str, list[Any]] = defaultdict(lambda: [0, 0, 0])
    countries: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    months: dict[str, int] = defaultdict(int)
    products: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0.0])
    total = confirmed = 0
    for r in rows:
        n, ok = _int(r["deals"]), bool(_int(r["confirmed"]))
        q, value = float(r["quantity"] or 0.0), r["value"] or 0
        total += n
        confirmed += n if ok else 0
        v = volume[r["category"]]
        v[0], v[1], v[2] = v[0] + n, v[1] + q, v[2] + (q if ok else 0.0)
        m = money[r["currency"]]
        m[0], m[1], m[2] = m[0] + n, m[1] + value, m[2] + (value if ok else 0)
        c = countries[r["country"] or ""]
        c[0], c[1] = c[0] + n, c[1] + (n if ok else 0)
        months[r["month"]] += n
        p = products[(r["category"], r["product_type"])]
        p[0], p[1] = p[0] + n, p[1] + q
    out = DealsOut(
        deals=total,
        confirmed=confirmed,
        unconfirmed=total - confirmed,
        volume=[
            DealVolume(category=k, unit=_unit(k), deals=v[0], quantity=_float(v[1]), confirmed_quantity=_float(v[2]))
            for k, v in sorted(volume.items())
        ],
        value=[
            MoneyRow(currency=k, deals=v[0], value=_money(v[1]), confirmed_value=_money(v[2]))
            for k, v in sorted(money.items())
        ],
        by_country=[
            CountryDeals(country=k, deals=v[0], confirmed=v[1])
            for k, v in sorted(countries.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ],
    )
    return out, months, products


async def organization_countries() -> list[str]:
    """The countries organisations are in: the dashboard's country filter lists only these."""
    rows = await Organization.select(Organization.country).distinct()
    return sorted({r["country"] for r in rows if r["country"]})


async def summary(user: CurrentUser, f: Filters) -> Summary:
    """Every indicator for the filters (staff only); reused while the underlying records are unchanged."""
    if not user.is_staff:
        raise PermissionDenied()
    print_ = await cache.fingerprint()
    cached = cache.get(f, print_)
    if cached is None:
        cached = await compute(f)
        cache.put(f, print_, cached)
    return cached


async def compute(f: Filters) -> Summary:
    """Every indicator for the filters, computed now from the records."""
    sql = Sql(where_for.is_postgres())
    # The queries are independent: run them side by side (SQLite: one pooled connection each; PostgreSQL: the pool).
    async with asyncio.TaskGroup() as tg:
        producer_task = tg.create_task(supply.producers(f))
        offered_task = tg.create_task(supply.offered(f, sql))
        demand_task = tg.create_task(supply.demand(f, sql))
        contact_task = tg.create_task(trade.conversations(f, sql))
        deal_task = tg.create_task(trade.deals(f, sql))
        funnel_task = tg.create_task(trade.funnel(f, sql))
        unmet_task = tg.create_task(supply.unmet(f, sql))
        expiring_task = tg.create_task(supply.expiring(f, EXPIRY_DAYS))
        producer_points_task = tg.create_task(supply.producer_points(f, sql))
        unmet_points_task = tg.create_task(supply.unmet_points(f, sql))
    producer_rows, offered_rows, demand_rows = producer_task.result(), offered_task.result(), demand_task.result()
    (contact_rows, median), (deal_rows, pairs) = contact_task.result(), deal_task.result()
    funnel, unmet_rows = funnel_task.result(), unmet_task.result()
    expiring, producer_points, unmet_points = (
        expiring_task.result(),
        producer_points_task.result(),
        unmet_points_task.result(),
    )
    offered, offered_products, offered_by_country = _offered(offered_rows)
    deals, deal_months, deal_products = _deals(deal_rows)
    by_product = [
        ProductVolume(
            category=k[0],
            product_type=k[1],
            unit=_unit(k[0]),
            offers=offered_products.get(k, [0, 0.0])[0],
            offered_quantity=_float(offered_products.get(k, [0, 0.0])[1]),
            deals=deal_products.get(k, [0, 0.0])[0],
            deal_quantity=_float(deal_products.get(k, [0, 0.0])[1]),
        )
        for k in sorted(set(offered_products) | set(deal_products))
    ]
    requests = sum(_int(r["requests"]) for r in demand_rows)
    viable = sum(_int(r["viable"]) for r in demand_rows)
    conversations = sum(_int(r["contacts"]) for r in contact_rows)
    replied = sum(_int(r["replied"]) for r in contact_rows)
    contacts_by_month = {r["month"]: _int(r["contacts"]) for r in contact_rows}
    return Summary(
        filters=FiltersOut(
            date_from=f.date_from,
            date_to=f.date_to,
            country=f.country,
            region=f.region,
            category=f.category,
            product_type=f.product_type,
            claim=f.claim,
            legal_form=f.legal_form,
            program=f.program,
        ),
        producers=_producers(producer_rows),
        offered=offered,
        by_product=by_product,
        offered_by_country=offered_by_country,
        demand=DemandOut(
            requests=requests,
            with_viable_match=viable,
            viable_share=_share(viable, requests),
            by_family=[
                Volume(
                    category=r["category"],
                    unit=_unit(r["category"]),
                    count=_int(r["requests"]),
                    quantity=_float(r["quantity"]),
                )
                for r in sorted(demand_rows, key=lambda r: r["category"])
            ],
        ),
        contacts=ContactsOut(
            conversations=conversations,
            replied=replied,
            reply_rate=_share(replied, conversations),
            median_reply_hours=None if median is None else round(median / 3600.0, 2),
        ),
        deals=deals,
        repeat_relationships=[
            Relationship(
                buyer_ref=r["buyer_ref"],
                buyer_name=r["buyer_name"],
                producer_ref=r["producer_ref"],
                producer_name=r["producer_name"],
                deals=_int(r["deals"]),
            )
            for r in pairs
        ],
        funnel=[FunnelStep(state=s, count=funnel.get(s, 0)) for s in FUNNEL_ORDER],
        monthly=[
            MonthRow(month=m, contacts=contacts_by_month.get(m, 0), deals=deal_months.get(m, 0)) for m in f.months()
        ],
        unmet_demand=[
            UnmetRow(
                category=r["category"],
                product_type=r["product_type"],
                unit=_unit(r["category"]),
                country=r["country"] or "",
                region=r["region"] or "",
                requests=_int(r["requests"]),
                quantity=_float(r["quantity"]),
            )
            for r in unmet_rows
        ],
        expiring_certificates=expiring,
        expiring_within_days=EXPIRY_DAYS,
        map=MapOut(producers=producer_points, unmet_demand=unmet_points),
    )
