"""Bulk data in the public format ``forestmatch/1`` (../shared/IMPORT_FORMAT.md): validate, import, export.

The whole document is validated before anything is written; a document with any problem is rejected with
every problem listed (section, ref, field, message). A valid document is written in one transaction,
matched by ``ref``: new records are created, changed ones updated in place, identical ones left alone.
A file is streamed (``StreamedDocument``): read once for the refs its records define and name, once for the checks,
and once more to be written, so memory holds refs and one chunk of records, never the document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

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
    clean_records,
    validate_document,
)
from app.imports.writing import ImportSummary, Progress, Writer

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


async def import_document(doc: Any, progress: Progress | None = None) -> ImportSummary:
    """Check the whole document, then write it in one transaction (all or nothing), a chunk of records at a time.

    ``doc`` is a parsed document or a ``DocumentSource``; a file source (``StreamedDocument``) is read again for
    each pass and never held whole. After commit, the plot checks and lots the import touched are derived again."""
    source = as_source(doc)
    del doc
    checked = await validate_document(source)
    summary = ImportSummary(sections=(*CORE_SECTIONS, *(s for s in TRACE_SECTIONS if checked.counts[s])))
    writer = Writer(summary, progress, checked.total())
    async with atomic():
        for section in SECTIONS:
            if not checked.counts[section]:
                continue
            async for chunk in _chunks(clean_records(source, section)):
                await writer.write(section, chunk)
        if checked.counts["lots"]:
            async for chunk in _chunks(clean_records(source, "lots")):
                await writer.write_inputs(chunk)
        # Lots are derived from what was just written; raising rolls the whole import back.
        await check_offers_lots(writer.offers_with_lots)
    del writer.offers_with_lots
    await derive_again(summary.trace, writer.changed_certs, writer.changed_orgs)  # after commit: see derive_again
    return summary


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
