"""Bulk data in the public format ``forestmatch/1`` (../shared/IMPORT_FORMAT.md): validate, import, export.

The whole document is validated before anything is written; a document with any problem is rejected with
every problem listed (section, ref, field, message). A valid document is written in one transaction,
matched by ``ref``: new records are created, changed ones updated in place, identical ones left alone.
A file is streamed (``StreamedDocument``): read once for the refs its records define and name, then once to be checked
and written (and once more for the lots' inputs), so memory holds refs and one chunk of records, never the document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from piccolo.engine.sqlite import SQLiteTransaction

from app.db import atomic
from app.imports.export import export_document
from app.imports.reading import MAX_DOCUMENT_BYTES, UnreadableDocument, parse_document
from app.imports.sources import StreamedDocument, as_source
from app.imports.trace_writing import check_offers_lots, derive_again
from app.imports.traceability import TRACE_SECTIONS
from app.imports.validation import (
    CHUNK,
    CORE_SECTIONS,
    FORMAT,
    SECTIONS,
    Checked,
    ImportRejected,
    Problem,
    checked_records,
    clean_records,
    prepare,
    validate_document,
    writable,
)
from app.imports.writing import ImportSummary, Progress, Writer
from app.traceability.tables import Delivery
from app.validation import messages_name_codes

__all__ = [
    "FORMAT",
    "MAX_DOCUMENT_BYTES",
    "SECTIONS",
    "Checked",
    "ImportRejected",
    "ImportSummary",
    "Problem",
    "StreamedDocument",
    "UnreadableDocument",
    "export_document",
    "import_document",
    "parse_document",
    "validate_document",
]


async def import_document(doc: Any, progress: Progress | None = None, reading: Progress | None = None) -> ImportSummary:
    """Check the whole document and write it in one transaction (all or nothing), a chunk of records at a time.

    ``doc`` is a parsed document or a ``DocumentSource``; a file source (``StreamedDocument``) is read again for
    each pass and never held whole. The first pass gathers what the records define and name; the second checks
    each record and, while no problem has been found, writes it. Any problem stops the writing (the rest is still
    checked, so every problem is listed, as ``validate_document`` lists them) and rolls the transaction back.
    After commit, the plot checks and lots the import touched are derived again. ``reading`` follows the first
    pass, ``progress`` the second (records done, total)."""
    source = as_source(doc)
    del doc
    with messages_name_codes():  # a document is written in vocabulary keys: its problems name the keys to use
        prepared = await prepare(source, reading)
    summary = ImportSummary(sections=(*CORE_SECTIONS, *(s for s in TRACE_SECTIONS if prepared.counts[s])))
    writer = Writer(summary, progress, prepared.total())
    async with atomic() as txn:
        await bulk_load(txn)
        deferred = await defer_indexes(txn, "offer", prepared.counts["offers"])
        # A created or changed organisation or certificate can only change the answer of a lot drawing from
        # deliveries stored before (the document's own deliveries are derived again anyway): without any, their
        # refs are not kept (a million of them would be).
        writer.track_groups = await Delivery.exists()
        writing = not prepared.problems()
        section, chunk = "", {}
        with messages_name_codes():
            for record in checked_records(source, prepared):
                if not writing:
                    continue
                if record.problems:
                    writing = False
                    continue
                if record.section != section or len(chunk) >= CHUNK:
                    if chunk:
                        await writer.write(section, chunk)
                    section, chunk = record.section, {}
                chunk[record.ref] = writable(record)
        if problems := prepared.problems():
            raise ImportRejected(problems)  # rolls back what was written
        if chunk:
            await writer.write(section, chunk)
        del chunk
        if prepared.counts["lots"]:
            async for lots in _chunks(clean_records(source, "lots")):
                await writer.write_inputs(lots)
        await restore_indexes(txn, deferred)
        # Lots are derived from what was just written; raising rolls the whole import back.
        await check_offers_lots(writer.offers_with_lots)
    del writer.offers_with_lots
    await derive_again(summary.trace, writer.changed_certs, writer.changed_orgs)  # after commit: see derive_again
    return summary


#: The SQLite page cache of an import's connection (KiB): a bulk load touches every page of the tables' ref indexes.
IMPORT_CACHE_KIB = 16 * 1024


async def bulk_load(txn: Any) -> None:
    """Set up the import's transaction for a bulk load (on SQLite, a larger page cache for this connection only)."""
    if isinstance(txn, SQLiteTransaction):
        await txn.connection.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")


#: A document adding at least this many offers, and more than the table holds, is written with the offer table's
#: secondary indexes dropped, and they are built again (in the same transaction) once its records are in: a row
#: inserted into 16 indexes, several of them in random order (organisation, certificate, quantity), costs more the
#: larger they grow, while building an index sorts once (300,000 offers added to 100,000: 21 s of CPU with the
#: indexes kept, 11 s dropped and built again).
DEFER_INDEXES_AT = 50_000


async def defer_indexes(txn: Any, table: str, adding: int) -> list[str]:
    """On SQLite, when ``adding`` rows at least double ``table`` (and are at least DEFER_INDEXES_AT), drop its
    secondary indexes inside the transaction ``txn`` and return their SQL for ``restore_indexes`` (a rollback brings
    them back as they were); otherwise nothing. The unique indexes of constraints (``ref``) stay: the writing looks
    records up by ref."""
    if not isinstance(txn, SQLiteTransaction) or adding < DEFER_INDEXES_AT:
        return []
    # Piccolo's connections give rows as dicts.
    (counted,) = await txn.connection.execute_fetchall(f'SELECT count(*) AS stored FROM "{table}"')
    if adding < counted["stored"]:
        return []
    indexes = await txn.connection.execute_fetchall(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
        (table,),
    )
    for index in indexes:
        await txn.connection.execute_fetchall(f'DROP INDEX "{index["name"]}"')
    return [index["sql"] for index in indexes]


async def restore_indexes(txn: Any, indexes: list[str]) -> None:
    """Build again the indexes ``defer_indexes`` dropped, as they were defined."""
    for sql in indexes:
        await txn.connection.execute_fetchall(sql)


async def _chunks(records: Iterator[tuple[str, dict[str, Any]]]) -> AsyncIterator[dict[str, dict[str, Any]]]:
    """Clean records by ref, CHUNK at a time."""
    chunk: dict[str, dict[str, Any]] = {}
    for ref, clean in records:
        chunk[ref] = clean
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = {}
    if chunk:
        yield chunk
