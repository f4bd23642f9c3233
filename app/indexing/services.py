"""Recording changes for the search index. Call inside the write's own transaction (``atomic()``)."""

from __future__ import annotations

from collections.abc import Iterable

from app.indexing.tables import SearchOutbox
from app.web import microcache

ENTITIES = ("offer", "certificate", "organization", "request")
CHUNK = 500


async def record_change(entity: str, ref: str) -> None:
    """Note that a record changed; the sync worker applies it to the index after commit."""
    assert entity in ENTITIES
    microcache.invalidate()
    await SearchOutbox.insert(SearchOutbox(entity=entity, ref=ref))


async def record_changes(entity: str, refs: Iterable[str]) -> None:
    """Bulk form of ``record_change`` (imports)."""
    assert entity in ENTITIES
    microcache.invalidate()
    rows = [SearchOutbox(entity=entity, ref=ref) for ref in refs]
    for start in range(0, len(rows), CHUNK):
        await SearchOutbox.insert(*rows[start : start + CHUNK])
