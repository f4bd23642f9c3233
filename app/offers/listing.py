"""The public offer list's ids and counts from bitmaps kept per worker (issue 14: the list without SQL per filter set).

Every offer has a rank: its place in the list's order (newest first: ``created_at DESC, id DESC``). A worker keeps, as
pyroaring bitmaps of ranks, the offers that are publicly listed on one day (the rule of ``app.offers.visibility``,
evaluated by the database in its own SQL) and the offers of each filter value (category, product type, claim, the
organisation's country, EUDR-ready lots). A page of the list is then the 20 smallest ranks of an intersection from an
offset, its count the intersection's cardinality, and the filter's countries those whose bitmap meets the listed one;
only the page's own rows are read from the database (by id).

It is only used while it is current: the database's change count (``app.events.change_count``, bumped in the writer's
own transaction by every recorded change to offers, certificates, organisations and lots' answers, whichever process
or host made it) must be the one read before its data, the day the one it was made for (a certificate expires with
the date), its age under ``FORESTMATCH_LISTING_INDEX_SECONDS`` (writes made around the services), and no change
recorded in this process since (``forget``). Otherwise the request that finds it stale reads it again (one query over
every offer: about 0.4 s of CPU at 100,000 offers), unless the last reading is so recent that reading again at each
change would cost more than the list's SQL does (``REBUILD_SHARE``): then the page is read by SQL
(``app.offers.services``), as when the index is off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyroaring import BitMap

from app.events.outbox import CHANGES
from app.offers import reads, visibility
from app.offers.tables import Offer
from app.settings import get_settings
from app.traceability.offer_lots import EUDR_READY_SQL

#: The filters the bitmaps answer: the list's query name -> the column of the index query that holds its value.
FILTER_COLUMNS = ("category", "product_type", "claim", "country")
#: Rebuilding may take at most this share of a worker's time: after a build of ``t`` seconds, the next one waits
#: ``t / REBUILD_SHARE`` (pages read by SQL meanwhile), so a stream of writes cannot keep a worker rebuilding.
REBUILD_SHARE = 0.1


@dataclass(frozen=True)
class Listing:
    """The listed offers of one day under one change count, as bitmaps of ranks (0 = the newest offer)."""

    count: int
    day: dt.date
    made_at: float
    #: Offer id by rank.
    ids: tuple[int, ...]
    listed: BitMap
    #: (filter name, value) -> the ranks of the offers with that value, listed or not.
    values: dict[tuple[str, str], BitMap]
    eudr: BitMap

    def matching(self, chosen: dict[str, str], eudr: bool) -> BitMap:
        """The listed ranks that match the chosen filter values (empty when a value has no offer); not to be changed."""
        sets = [self.listed]
        for name, value in chosen.items():
            found = self.values.get((name, value))
            if found is None:
                return BitMap()
            sets.append(found)
        if eudr:
            sets.append(self.eudr)
        return BitMap.intersection(*sets) if len(sets) > 1 else self.listed  # read only: not copied

    def page_ids(self, ranks: BitMap, offset: int, limit: int) -> list[int]:
        """The offer ids of ``limit`` matches from the ``offset``-th, in the list's order."""
        end = min(offset + limit, len(ranks))
        return [self.ids[ranks[i]] for i in range(offset, end)]

    def countries(self) -> list[str]:
        """The countries with at least one listed offer, sorted."""
        return sorted(
            value
            for (name, value), ranks in self.values.items()
            if name == "country" and value and self.listed.intersect(ranks)
        )


_current: Listing | None = None
#: Bumped by ``forget``: a build that started before a change recorded in this process is not kept.
_generation = 0
#: When the next build may start (``REBUILD_SHARE``), by ``time.monotonic()``.
_next_build_at = 0.0
#: A build is under way (requests meanwhile read by SQL rather than build again beside it).
_building = False


def forget() -> None:
    """Drop the kept bitmaps (a change recorded in this process; tests that empty the database)."""
    global _current, _generation
    _current = None
    _generation += 1


def today() -> dt.date:
    """The day the listed offers are read for (the visibility rule's own default)."""
    return dt.date.today()


def _engine() -> str:
    return "postgres" if Offer._meta.db.engine_type == "postgres" else "sqlite"


def _index_sql(day: dt.date) -> tuple[str, list[Any]]:
    """Every offer, in the list's order, with its filter values and whether it is listed on ``day`` (the visibility
    rule and the EUDR filter as the list's own SQL states them, evaluated by the database)."""
    condition, args = visibility.sql(day)
    eudr = EUDR_READY_SQL[_engine()]
    sql = (
        "SELECT o.id AS id, o.category AS category, o.product_type AS product_type, o.claim AS claim, "
        f"g.country AS country, CASE WHEN {condition} THEN 1 ELSE 0 END AS listed, "
        f"CASE WHEN {eudr} THEN 1 ELSE 0 END AS eudr "
        f"FROM offer o {visibility.JOINS} ORDER BY o.created_at DESC, o.id DESC"
    )
    return sql, args


def _build(rows: Iterable[dict[str, Any]], count: int, day: dt.date) -> Listing:
    ids: list[int] = []
    listed: list[int] = []
    eudr: list[int] = []
    values: dict[tuple[str, str], list[int]] = {}
    for rank, row in enumerate(rows):
        ids.append(row["id"])
        if row["listed"]:
            listed.append(rank)
        if row["eudr"]:
            eudr.append(rank)
        for name in FILTER_COLUMNS:
            key = (name, row[name] or "")
            found = values.get(key)
            if found is None:
                values[key] = [rank]
            else:
                found.append(rank)
    return Listing(
        count=count,
        day=day,
        made_at=time.monotonic(),
        ids=tuple(ids),
        listed=BitMap(listed),
        values={key: BitMap(ranks) for key, ranks in values.items()},
        eudr=BitMap(eudr),
    )


def kept() -> Listing | None:
    """The kept bitmaps if they were read today and are young enough, without reading the change count: the caller
    reads it in the same statement as the rows it picks with them (``count_sql``) and compares."""
    seconds = get_settings().listing_index_seconds
    found = _current
    if found is None or seconds <= 0 or found.day != today() or time.monotonic() - found.made_at >= seconds:
        return None
    return found


#: The change count as a column of another query (``kept``): one statement reads it and the rows in one snapshot.
COUNT_SQL = f"(SELECT value FROM change_count WHERE name = '{CHANGES}')"


async def _change_count() -> int:
    """``app.events.change_count``, read as the page's rows are (``app.offers.reads``)."""
    rows = await reads.read(Offer, f"SELECT coalesce({COUNT_SQL}, 0) AS value")
    return int(rows[0]["value"])


async def current() -> Listing | None:
    """The bitmaps of the data as committed now, read again when stale; None when the index is off or was read again
    too recently (the caller then reads by SQL). One indexed read (the change count) when they are current."""
    global _current, _next_build_at, _building
    seconds = get_settings().listing_index_seconds
    if seconds <= 0:
        return None
    count = await _change_count()  # before any data is read
    day = today()
    kept = _current
    if kept is not None and kept.count == count and kept.day == day and time.monotonic() - kept.made_at < seconds:
        return kept
    started = time.monotonic()
    if _building or started < _next_build_at:
        return None
    generation = _generation
    sql, args = _index_sql(day)
    _building = True
    try:
        built = _build(await Offer.raw(sql, *args), count, day)
    finally:
        _building = False
    took = time.monotonic() - started
    if generation != _generation:  # a change was recorded here meanwhile: this reading may predate it
        return None
    _current = built
    _next_build_at = time.monotonic() + took / REBUILD_SHARE - took
    return built


async def warm() -> None:
    """At a worker's startup: read the bitmaps before the first visitor's page (about 0.4 s at 100,000 offers)."""
    with contextlib.suppress(Exception):  # a database not migrated yet is no reason to stop the worker
        await current()
