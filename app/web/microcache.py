"""A small in-process cache for public, user-independent HTML fragments (the offer list's results and countries).

Callers put the ``stamp()`` in each key: the database's change count (``app.events.change_count``), read before the
data the entry is made from, and the day. Every write to offers, certificates or organisations bumps that count in its
own transaction, whichever process or host made it, so an entry is only found while nothing has changed since it was
made; the day is there because offers and certificates leave the list when their dates pass. The count is one indexed
read per request. A change recorded in this process also drops every entry at once (``invalidate``, which
``create_app`` registers with ``app.events.on_change``). ``FORESTMATCH_LIST_CACHE_SECONDS`` bounds an entry's age,
for writes made around the services (by hand in SQL); 0 turns the cache off (and the count is not read).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from app.events import change_count
from app.settings import get_settings

MAX_ENTRIES = 512

_entries: OrderedDict[Any, tuple[float, int, Any]] = OrderedDict()
_generation = 0
#: The highest change count seen: entries made under a lower one can no longer be found, so they are dropped.
_seen_count = -1
#: Other kept renderings to drop with the entries (kept by content, they never go stale, but a test that changes the
#: translations in between must not find them).
_also: list[Callable[[], None]] = []


def also_forget(forget: Callable[[], None]) -> None:
    """Call ``forget`` whenever ``invalidate`` runs (registering it twice is a no-op)."""
    if forget not in _also:
        _also.append(forget)


def invalidate() -> None:
    """Forget every entry (called when offers, certificates or organisations change)."""
    global _generation
    _generation += 1
    _entries.clear()
    for forget in _also:
        forget()


async def stamp() -> tuple[int, dt.date] | None:
    """What an entry made now depends on: the change count and the day; None when the cache is off.

    Read it before the data: a change committed in between then shows as a new count on the next request."""
    if get_settings().list_cache_seconds <= 0:
        return None
    global _seen_count
    count = await change_count()
    if count > _seen_count:
        _seen_count = count
        _entries.clear()
    return count, dt.date.today()


def get(key: Any) -> Any | None:
    entry = _entries.get(key)
    if entry is None:
        return None
    expires, generation, value = entry
    if generation != _generation or expires < time.monotonic():
        _entries.pop(key, None)
        return None
    _entries.move_to_end(key)
    return value


def put(key: Any, value: Any) -> None:
    ttl = get_settings().list_cache_seconds
    if ttl <= 0:
        return
    _entries[key] = (time.monotonic() + ttl, _generation, value)
    _entries.move_to_end(key)
    while len(_entries) > MAX_ENTRIES:
        _entries.popitem(last=False)
