"""Recording changes for the search index. Call inside the write's own transaction (``atomic()``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.indexing.tables import SearchOutbox

ENTITIES = ("offer", "certificate", "organization", "request")
CHUNK = 500

#: Called, in this process, each time a change is recorded. The web layer registers its listing cache's
#: invalidation here when the app is built, so indexing need not know about the web layer.
_change_listeners: list[Callable[[], None]] = []


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` every time this process records a change (registering the same one twice is a no-op)."""
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def _changed() -> None:
    for listener in _change_listeners:
        listener()


async def record_change(entity: str, ref: str) -> None:
    """Note that a record changed; the sync worker applies it to the index after commit."""
    assert entity in ENTITIES
    _changed()
    await SearchOutbox.insert(SearchOutbox(entity=entity, ref=ref))


async def record_changes(entity: str, refs: Iterable[str]) -> None:
    """Bulk form of ``record_change`` (imports)."""
    assert entity in ENTITIES
    _changed()
    rows = [SearchOutbox(entity=entity, ref=ref) for ref in refs]
    for start in range(0, len(rows), CHUNK):
        await SearchOutbox.insert(*rows[start : start + CHUNK])
