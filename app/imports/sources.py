"""Where an import reads its records from: a document already in memory (a web upload, the API, the demo) or a file
read as a stream (``forestmatch import FILE``), so a document of a million records is never held whole.

Both give the same thing: the records of one section in document order, and the problems of the document's shape
(not an object, no ``"format"``, a section that is not a list, an entry that is not an object). A file is read again
for each pass of the import (facts, checks, writing), with an incremental parser (ijson over the yajl C library)
that keeps one record at a time; what cannot be read at all (not UTF-8, not JSON, nested too deeply) raises
``UnreadableDocument`` from whichever pass meets it first, which is the first one, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from app.i18n import gettext as _
from app.imports.reading import MAX_DEPTH, UnreadableDocument, parse_document

#: A stream of JSON parse events is read this many bytes at a time; a parse error is placed between the lines of the
#: chunk it was found in.
READ_SIZE = 64 * 1024
#: A file this small that turns out not to be JSON is read once more whole, for the exact line and column.
EXACT_ERROR_BYTES = 16 * 1024 * 1024
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


@dataclass(frozen=True)
class Entry:
    """One entry of a section: ``value`` is a record when it is a JSON object (anything else is reported)."""

    section: str
    number: int
    value: Any
    #: (field, message) for each value a spreadsheet cell could not give (app.imports.sheets); the record fails on
    #: that field with this message instead of the field check's own
    notes: tuple[tuple[str, str], ...] = ()


@dataclass
class Shape:
    """What the document's outline says: whether it is an object, its ``format``, and each section's kind."""

    is_object: bool = True
    format: Any = None
    #: section key -> True when its value is a list
    sections: dict[str, bool] = field(default_factory=dict)
    #: section key -> entries of its list, when the source knows them before reading the records (for a progress bar)
    counts: dict[str, int] = field(default_factory=dict)


class DocumentSource:
    """The records of a ``forestmatch/1`` document, section by section."""

    def shape(self) -> Shape:
        raise NotImplementedError

    def entries(self, sections: Iterable[str]) -> Iterator[Entry]:
        """Every entry of the named sections, one section after the other in the order given."""
        raise NotImplementedError


class InMemoryDocument(DocumentSource):
    """A document parsed whole (uploads and the API have a size limit; the demo and tests build dicts)."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc

    def shape(self) -> Shape:
        if not isinstance(self.doc, dict):
            return Shape(is_object=False)
        return Shape(
            format=self.doc.get("format"),
            sections={k: isinstance(v, list) for k, v in self.doc.items()},
            counts={k: len(v) for k, v in self.doc.items() if isinstance(v, list)},
        )

    def entries(self, sections: Iterable[str]) -> Iterator[Entry]:
        if not isinstance(self.doc, dict):
            return
        for section in sections:
            items = self.doc.get(section)
            if isinstance(items, list):
                for number, item in enumerate(items, start=1):
                    yield Entry(section, number, item)


class _CountingReader:
    """A file read in chunks, counting the lines handed to the parser (to say where a parse error lies)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.lines_before = 1  # the line the latest chunk starts on
        self.lines_after = 1
        self.last_line = 1  # the last line the chunk reaches
        self.first = True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(READ_SIZE if size is None or size < 0 else min(size, READ_SIZE))
        if self.first and data:
            self.first = False
            if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as Windows editors write it
                data = data[3:]
        self.lines_before = self.lines_after  # the line the chunk starts on
        self.lines_after += data.count(b"\n")  # the line the next chunk starts on
        self.last_line = self.lines_after - 1 if data.endswith(b"\n") else self.lines_after
        return data


def _too_deep() -> UnreadableDocument:
    return UnreadableDocument(
        _(
            "The document nests arrays and objects more than %(n)s levels deep; a forestmatch/1 document needs five.",
            n=MAX_DEPTH,
        )
    )


class StreamedDocument(DocumentSource):
    """A document file read as a stream of parse events, one record built at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._shape: Shape | None = None

    def _unreadable(self, exc: Exception, reader: _CountingReader) -> UnreadableDocument:
        """The plain reason a file cannot be read: the exact position for a small file, else the lines around it."""
        if self.path.stat().st_size <= EXACT_ERROR_BYTES:
            try:
                parse_document(self.path.read_bytes(), max_bytes=EXACT_ERROR_BYTES)
            except UnreadableDocument as exact:
                return exact
        text = str(exc)
        if "UTF8" in text or "UTF-8" in text:
            return UnreadableDocument(_("The document is not UTF-8 text: save it as UTF-8 JSON."))
        return UnreadableDocument(
            _(
                "The document is not valid JSON (between lines %(first)s and %(last)s).",
                first=reader.lines_before,
                last=max(reader.last_line, reader.lines_before),
            )
        )

    def _parse(self, events: Any) -> Iterator[Any]:
        """``events`` (a callable taking the counting reader) over the file; a parse error becomes the plain
        reason."""
        with self.path.open("rb") as raw:
            reader = _CountingReader(raw)
            try:
                yield from events(reader)
            except ijson.JSONError as exc:
                raise self._unreadable(exc, reader) from None

    def _outline(self, reader: _CountingReader) -> Iterator[Shape]:
        """One pass over every parse event (yajl's C parser; this loop only counts depth and notes the top level):
        the whole file is read, so what cannot be read is found here, before any record is looked at."""
        shape = Shape()
        depth = 0  # after the event
        key: str | None = None  # the top-level key being read
        opening, closing = _OPEN, _CLOSE
        entries = 0  # of the list being read at depth 2
        for event, value in ijson.basic_parse(reader, use_float=True, buf_size=READ_SIZE):
            if event in opening:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep()
                if depth == 3:  # an entry of a section's list (or a value inside a section's object)
                    entries += 1
                elif depth == 1:
                    shape.is_object = event == "start_map"
                elif depth == 2 and shape.is_object:  # the value of ``key`` opening
                    shape.sections[key or ""] = event == "start_array"
                    entries = 0
            elif event in closing:
                depth -= 1
                if depth == 1 and shape.is_object and shape.sections.get(key or ""):
                    # a key given twice has the entries of both lists (``ijson.items`` yields both)
                    shape.counts[key or ""] = shape.counts.get(key or "", 0) + entries
            elif depth > 2:  # inside a record: most events
                continue
            elif depth == 2:  # a scalar entry (or a key or scalar of a section's object)
                if event != "map_key":
                    entries += 1
            elif depth == 1:
                if event == "map_key":
                    key = value
                elif shape.is_object:  # a scalar value of ``key``
                    shape.sections[key or ""] = False
                    if key == "format":
                        shape.format = value
            elif depth == 0:  # the document is a scalar
                shape.is_object = False
        yield shape

    def shape(self) -> Shape:
        """Reads the whole file once (which also finds what cannot be read)."""
        if self._shape is None:
            (self._shape,) = tuple(self._parse(self._outline))
        return self._shape

    def entries(self, sections: Iterable[str]) -> Iterator[Entry]:
        """Each wanted section's entries, built one at a time by the C parser (``ijson.items``): the outline pass
        has already checked the whole file, depth included, and counted each section's entries, so the reading of a
        section stops at its last entry instead of parsing the rest of the file."""
        shape = self.shape()
        if not shape.is_object:
            return
        for section in sections:
            if not shape.sections.get(section):
                continue

            def items(reader: _CountingReader, section: str = section) -> Iterator[Any]:
                return ijson.items(reader, f"{section}.item", use_float=True, buf_size=READ_SIZE)

            last = shape.counts.get(section)
            if last == 0:
                continue
            for number, value in enumerate(self._parse(items), start=1):
                yield Entry(section, number, value)
                if number == last:
                    break


def as_source(doc: Any) -> DocumentSource:
    """The source of an import: a DocumentSource as given, a path streamed, anything else a document in memory."""
    if isinstance(doc, DocumentSource):
        return doc
    if isinstance(doc, Path):
        return StreamedDocument(doc)
    return InMemoryDocument(doc)
