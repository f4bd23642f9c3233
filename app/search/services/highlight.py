"""Highlights: Markup only from verified, escaped backend output."""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from markupsafe import Markup, escape

_MARK_RE = re.compile(r"(<mark>|</mark>)")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def highlight_segments(highlight: Any, original: Any) -> list[tuple[str, bool]] | None:
    """(text, marked) pieces of a backend highlight, or None unless it is exactly the field's text, HTML-escaped,
    with balanced ``<mark>`` tags and nothing else."""
    if not isinstance(highlight, str) or not isinstance(original, str):
        return None
    segments: list[tuple[str, bool]] = []
    marked = False
    for part in _MARK_RE.split(highlight):
        if part in ("<mark>", "</mark>"):
            if marked == (part == "<mark>"):
                return None
            marked = not marked
        elif part:
            text = html.unescape(part)
            if html.escape(text) != part:  # not escaped output: never trust it as HTML
                return None
            segments.append((text, marked))
    if marked or _nfc("".join(t for t, _m in segments)) != _nfc(original):
        return None
    return segments


def _crop(segments: list[tuple[str, bool]], limit: int) -> list[tuple[str, bool]]:
    """At most ``limit`` characters, starting a little before the first match, with ellipses where cut."""
    total = sum(len(t) for t, _m in segments)
    if total <= limit:
        return segments
    first = 0
    for text, marked in segments:
        if marked:
            break
        first += len(text)
    else:
        first = 0
    start = max(0, min(first - 60, total - limit))
    end = start + limit
    out: list[tuple[str, bool]] = [("…", False)] if start else []
    pos = 0
    for text, marked in segments:
        piece = text[max(0, start - pos) : max(0, end - pos)]
        if piece:
            out.append((piece, marked))
        pos += len(text)
    if end < total:
        out.append(("…", False))
    return out


def _markup(segments: list[tuple[str, bool]]) -> Markup:
    return Markup("").join(Markup("<mark>%s</mark>") % t if m else escape(t) for t, m in segments)


def display_text(highlight: Any, original: Any, limit: int | None = None) -> Markup | str:
    """HTML for a highlighted field: Markup built here from verified pieces, else the plain text (autoescaped)."""
    text = original if isinstance(original, str) else ""
    segments = highlight_segments(highlight, text)
    if segments is None:
        return text if limit is None or len(text) <= limit else text[:limit].rstrip() + "…"
    return _markup(_crop(segments, limit) if limit else segments)
