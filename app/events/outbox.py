"""Recording events. Call inside the write's own transaction (``atomic()``): the event commits with the change or not
at all, and nothing else happens until a subscriber consumes it after commit."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from app.db import before_commit, insert_rows
from app.events.catalog import ENTITIES, subscribers_of
from app.events.tables import ChangeCount, EventOutbox

CHUNK = 500

#: Called, in this process, each time a change event is recorded. ``create_app`` registers the listing cache's
#: invalidation here, so the events layer need not know about the web layer.
_change_listeners: list[Callable[[], None]] = []
#: Called after an event is recorded, so this process's worker can wake up early (see ``app.events.consumer``).
_record_listeners: list[Callable[[], None]] = []
#: The ``change_count`` row that every recorded change bumps (``change_count()`` reads it).
CHANGES = "changes"
#: An upsert, so that no seed row is needed: the first change creates it.
_BUMP_SQL = (
    "INSERT INTO change_count (name, value) VALUES ({}, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = change_count.value + 1"
)
_muted: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("forestmatch_muted_events", default=frozenset())


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` every time this process records a change event (registering the same one twice is a no-op)."""
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def on_record(listener: Callable[[], None]) -> None:
    """Call ``listener`` every time this process records any event (registering the same one twice is a no-op)."""
    if listener not in _record_listeners:
        _record_listeners.append(listener)


def off_record(listener: Callable[[], None]) -> None:
    """Stop calling ``listener`` (a worker that ends)."""
    if listener in _record_listeners:
        _record_listeners.remove(listener)


@contextlib.contextmanager
def muted(*names: str) -> Iterator[None]:
    """These events are not recorded inside the block: loading past records (the demo's months of trade) must not
    tell anybody anything."""
    token = _muted.set(_muted.get() | frozenset(names))
    try:
        yield
    finally:
        _muted.reset(token)


def _recorded() -> None:
    for listener in _record_listeners:
        listener()


async def record(name: str, *, entity: str = "", ref: str = "", payload: dict[str, Any] | None = None) -> None:
    """Record that ``name`` happened, once per subscriber of it, in the caller's transaction."""
    targets = subscribers_of(name)
    if name in _muted.get():
        return
    await EventOutbox.insert(
        *[
            EventOutbox(subscriber=subscriber, name=name, entity=entity, ref=ref, payload=payload or {})
            for subscriber in targets
        ]
    )
    _recorded()


async def change_count() -> int:
    """How many changes were recorded so far (``record_change``), as committed: read it before the data it guards."""
    rows = await ChangeCount.raw("SELECT value FROM change_count WHERE name = {}", CHANGES)
    return int(rows[0]["value"]) if rows else 0


async def _bump_change_count() -> None:
    await ChangeCount.raw(_BUMP_SQL, CHANGES)


async def _count_change() -> None:
    """Bump the change count in the caller's transaction (muted or not: the data changed either way). Every other
    process then sees the change and the new count in the same commit. Inside ``atomic()`` the bump is its last
    statement (once per transaction), so the shared row is locked for the commit only, not while an import writes."""
    if not before_commit(CHANGES, _bump_change_count):
        await _bump_change_count()


async def record_change(entity: str, ref: str) -> None:
    """Note that a record changed (``<entity>_changed``); the search subscriber applies it after commit."""
    assert entity in ENTITIES
    for listener in _change_listeners:
        listener()
    await _count_change()
    await record(f"{entity}_changed", entity=entity, ref=ref)


async def record_changes(entity: str, refs: Iterable[str]) -> None:
    """Bulk form of ``record_change`` (imports, rebuilds)."""
    assert entity in ENTITIES
    refs = list(refs)
    for listener in _change_listeners:
        listener()
    if refs:
        await _count_change()
    name = f"{entity}_changed"
    targets = subscribers_of(name)
    rows = [{"subscriber": s, "name": name, "entity": entity, "ref": ref} for ref in refs for s in targets]
    for start in range(0, len(rows), CHUNK):  # one flat INSERT per chunk: an import records a row per record
        await insert_rows(EventOutbox, rows[start : start + CHUNK])
    if rows:
        _recorded()
