"""A tiny in-process cache for public, user-independent HTML fragments (the offer list's results).

Entries live a couple of seconds and are dropped at once when this process records a change that affects
listings (``create_app`` registers ``invalidate`` with ``app.events.on_change``). Other workers' entries
expire by age, so a change shows everywhere within ``FORESTMATCH_LIST_CACHE_SECONDS``: the usual trade of a public
listing for a several-fold cheaper busiest page.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from app.settings import get_settings

MAX_ENTRIES = 512

_entries: OrderedDict[Any, tuple[float, int, Any]] = OrderedDict()
_generation = 0


def invalidate() -> None:
    """Forget every entry (called when offers, certificates or organisations change)."""
    global _generation
    _generation += 1
    _entries.clear()


def get(key: Any) -> Any | None:
    entry = _entries.get(key)
    if entry is None:
        return None
    expires, generation, value = entry
    if generation != _generation or expires < time.monotonic():
        _entries.pop(key, None)
        return None
    return value


def put(key: Any, value: Any) -> None:
    ttl = get_settings().list_cache_seconds
    if ttl <= 0:
        return
    _entries[key] = (time.monotonic() + ttl, _generation, value)
    _entries.move_to_end(key)
    while len(_entries) > MAX_ENTRIES:
        _entries.popitem(last=False)
