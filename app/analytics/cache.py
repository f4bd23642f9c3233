"""Summaries kept per filter set for as long as the records they were computed from are unchanged.

The figures are always computed from the recorded events and records; this only avoids computing the same
figures twice. A summary is reused when the data's fingerprint is the same as when it was computed: the newest id
of each append-only table (match events, messages, conversations) and the row count and newest ``updated_at`` of
each table whose rows change (every service bumps ``updated_at`` on a change). Any new event, message, offer
edit, match recomputation or program change therefore gives the next page view freshly computed figures.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from app.analytics.filters import Filters
from app.db import engine
from app.offers.tables import Offer

MAX_ENTRIES = 64
MAX_AGE_S = 600.0

_APPEND_ONLY = ("match_event", "message", "conversation")
_CHANGING = ("offer", "sourcing_request", "match", "organization", "certificate", "program")
_MEMBERSHIP = ("program_region", "program_organization")

_FINGERPRINT_SQL = "SELECT " + ", ".join(
    [f"(SELECT MAX(id) FROM {t}) AS {t}_id" for t in (*_APPEND_ONLY, *_MEMBERSHIP)]
    + [f"(SELECT COUNT(*) FROM {t}) AS {t}_n" for t in (*_CHANGING, *_MEMBERSHIP)]
    + [f"(SELECT MAX(updated_at) FROM {t}) AS {t}_at" for t in _CHANGING]
)

#: The traceability figures read these too (a lot's inputs only change with its lot's ``updated_at``).
_TRACE_CHANGING = ("lot", "lot_result", "member", "plot", "delivery")
_TRACE_FINGERPRINT_SQL = (
    _FINGERPRINT_SQL
    + ", "
    + ", ".join(
        [f"(SELECT COUNT(*) FROM {t}) AS {t}_n" for t in _TRACE_CHANGING]
        + [f"(SELECT MAX(updated_at) FROM {t}) AS {t}_at" for t in ("lot", "member", "plot", "delivery")]
        + ["(SELECT MAX(computed_at) FROM lot_result) AS lot_result_at", "(SELECT MAX(id) FROM lot_input) AS input_id"]
    )
)

_entries: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()


async def fingerprint() -> tuple[Any, ...]:
    """What the figures depend on, read in one statement (a few milliseconds at a million events)."""
    row = (await Offer.raw(_FINGERPRINT_SQL))[0]
    return (id(engine()), *(str(v) for v in row.values()))


async def trace_fingerprint() -> tuple[Any, ...]:
    """What the traceability figures depend on: the dashboard's records and the traceability tables."""
    row = (await Offer.raw(_TRACE_FINGERPRINT_SQL))[0]
    return ("traceability", id(engine()), *(str(v) for v in row.values()))


def get(filters: Filters, print_: tuple[Any, ...]) -> Any | None:
    key = (filters, print_)
    entry = _entries.get(key)
    if entry is None or time.monotonic() - entry[0] > MAX_AGE_S:
        return None
    _entries.move_to_end(key)
    return entry[1]


def put(filters: Filters, print_: tuple[Any, ...], value: Any) -> None:
    _entries[(filters, print_)] = (time.monotonic(), value)
    _entries.move_to_end((filters, print_))
    while len(_entries) > MAX_ENTRIES:
        _entries.popitem(last=False)


def clear() -> None:
    _entries.clear()
