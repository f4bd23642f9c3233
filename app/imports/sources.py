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
from ijson.common import ObjectBuilder

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
        return Shape(format=self.doc.get("format"), sections={k: isinstance(v, list) for k, v in self.doc.items()})

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

    def _walk(self, wanted: frozenset[str] | None) -> Iterator[tuple[str, Any]]:
        """(key, value) for each top-level key with its scalar value or ``None`` for a container, and (section,
        Entry) for each entry of a wanted section; stops after the last wanted section's list when ``wanted`` is
        given (every section when it is None)."""
        with self.path.open("rb") as raw:
            reader = _CountingReader(raw)
            try:
                yield from self._events(reader, wanted)
            except ijson.JSONError as exc:
                raise self._unreadable(exc, reader) from None

    def _events(self, reader: _CountingReader, wanted: frozenset[str] | None) -> Iterator[tuple[str, Any]]:
        depth = 0  # after the event
        is_map = False  # the document is an object
        key: str | None = None  # the top-level key being read
        in_list = False  # the key's value is a list
        number = 0
        builder: Any = None
        left = set(wanted) if wanted is not None else None
        for event, value in ijson.basic_parse(reader, use_float=True, buf_size=READ_SIZE):
            if event in _OPEN:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep()
            elif event in _CLOSE:
                depth -= 1
            if builder is not None:  # inside one entry of a wanted section
                builder.event(event, value)
                if depth == 2:
                    yield ("entry", Entry(key or "", number, builder.value))
                    builder = None
                continue
            if depth == 0:
                if event not in _CLOSE:
                    yield ("top", "scalar")
            elif depth == 1:
                if event in _OPEN:  # the document opening
                    is_map = event == "start_map"
                    yield ("top", event)
                elif not is_map:
                    continue
                elif event == "map_key":
                    key, in_list, number = value, False, 0
                elif event in _CLOSE:  # the value of ``key`` closing
                    if left is not None and key in left:
                        left.discard(key)
                        if not left:
                            return
                else:
                    yield ("scalar", (key, value))
            elif not is_map:
                continue
            elif depth == 2 and event in _OPEN:  # the value of ``key`` opening (entries open at depth 3)
                in_list, number = event == "start_array", 0
                yield ("section", (key, in_list))
            elif in_list and depth == 2 and event not in _CLOSE:  # a scalar entry
                number += 1
                if wanted is None or key in wanted:
                    yield ("entry", Entry(key or "", number, value))
            elif in_list and depth == 3 and event in _OPEN:  # an entry that is an object or a list
                number += 1
                if wanted is None or key in wanted:
                    builder = ObjectBuilder()
                    builder.event(event, value)

    def shape(self) -> Shape:
        """Reads the whole file once (which also finds what cannot be read)."""
        if self._shape is None:
            shape = Shape()
            for kind, value in self._walk(frozenset()):
                if kind == "top":
                    shape.is_object = value == "start_map"
                elif kind == "scalar":
                    name, scalar = value
                    shape.sections[name] = False
                    if name == "format":
                        shape.format = scalar
                elif kind == "section":
                    name, is_list = value
                    shape.sections[name] = is_list
            self._shape = shape
        return self._shape

    def entries(self, sections: Iterable[str]) -> Iterator[Entry]:
        shape = self.shape()
        if not shape.is_object:
            return
        for section in sections:
            if not shape.sections.get(section):
                continue
            for kind, value in self._walk(frozenset({section})):
                if kind == "entry" and value.section == section:
                    yield value


def as_source(doc: Any) -> DocumentSource:
    """The source of an import: a DocumentSource as given, a path streamed, anything else a document in memory."""
    if isinstance(doc, DocumentSource):
        return doc
    if isinstance(doc, Path):
        return StreamedDocument(doc)
    return InMemoryDocument(doc)
