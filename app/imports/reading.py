"""Reading a forestmatch/1 document: bytes or text to a JSON value, or one plain message saying why not (too large,
not UTF-8, not JSON, nested too deeply). Nothing here knows the format's sections; ``app.imports.validation`` does."""

from __future__ import annotations

import json
from typing import Any

from app.i18n import gettext as _

#: A forestmatch/1 document nests five levels at most (document, section, record, price or delivery, a list);
#: anything deeper is not this format, and refusing it up front keeps recursion out of every later step.
MAX_DEPTH = 32
MEGABYTE = 1024 * 1024
#: Largest document parsed whole (the command line streams its file instead; the web upload has its own limit).
MAX_DOCUMENT_BYTES = 512 * MEGABYTE


class UnreadableDocument(Exception):
    """The input cannot be read as a JSON document at all (too large, not UTF-8, not JSON, nested too deeply)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def too_large(size: int, max_bytes: int) -> str:
    """The message for a document over the size limit."""
    return _(
        "The document is larger than %(size)s MB: split it into smaller documents (a record may refer to refs "
        "imported before).",
        size=max_bytes // MEGABYTE,
    )


def _deeper_than(doc: Any, limit: int) -> bool:
    """True when arrays and objects nest more than ``limit`` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def parse_document(data: bytes | str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """The JSON value in ``data``, or UnreadableDocument saying in plain words why there is none."""
    if len(data) > max_bytes:
        raise UnreadableDocument(too_large(len(data), max_bytes))
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnreadableDocument(_("The document is not UTF-8 text: save it as UTF-8 JSON.")) from None
    else:
        text = data
    too_deep = _(
        "The document nests arrays and objects more than %(n)s levels deep; a forestmatch/1 document needs five.",
        n=MAX_DEPTH,
    )
    try:
        doc = json.loads(text)
    except RecursionError:
        raise UnreadableDocument(too_deep) from None
    except json.JSONDecodeError as exc:
        raise UnreadableDocument(
            _("The document is not valid JSON (line %(line)s, column %(column)s).", line=exc.lineno, column=exc.colno)
        ) from None
    except ValueError:  # e.g. an integer with more digits than Python converts
        raise UnreadableDocument(_("The document is not valid JSON.")) from None
    if isinstance(doc, (dict, list)) and _deeper_than(doc, MAX_DEPTH):
        raise UnreadableDocument(too_deep)
    return doc
