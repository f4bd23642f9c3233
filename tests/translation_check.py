"""Checks that a page is in the reader's language, shared by the catalogue tests and the page walk.

* ``pseudo_locale``: a catalogue whose every translation is its English source wrapped in ⟦ ⟧. Text that never went
  through gettext shows unwrapped; ``untranslated_words`` finds the words of it that belong to the English source
  and to no translation.
* ``english_sources(locale).left_in(...)``: English source strings whose translation differs, found as page text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app import i18n
from app.i18n import LOCALE_DIR, SUPPORTED_LOCALES

OPEN = "\u27e6"
CLOSE = "\u27e7"
WORD = re.compile(r"[^\W\d_]{2,}")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
IDENTIFIER = re.compile(r"(?<![\w-])[a-z0-9]+(?:-[a-z0-9]+)+(?![\w-])")
#: Attributes whose text is shown or read out.
SHOWN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
#: The pseudo-locale borrows Spanish formatting and plural rules.
PSEUDO_AS = "es_MX"


# --- reading a page as a person would: its text and the attributes that are shown or read out ------------------------
class _Reader(HTMLParser):
    """Visible text (one string, so a translation split by markup stays whole) and shown attributes, leaving out
    scripts, styles and anything marked as another language (the language switch's native names)."""

    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang
        self.text: list[str] = []
        self.attributes: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def _foreign(self) -> bool:
        return any(foreign for _tag, foreign in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.page_lang = values.get("lang") or self.page_lang
        lang = values.get("lang")
        foreign = bool(lang) and tag != "html" and lang != self.page_lang
        if not self._foreign() and not foreign:
            self.attributes.extend(v for k, v in attrs if k in SHOWN_ATTRIBUTES and v)
            if tag == "input" and values.get("type") in {"submit", "button", "reset"} and values.get("value"):
                self.attributes.append(values["value"] or "")
        if tag not in {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}:
            self._stack.append((tag, foreign or tag in {"script", "style"}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self._foreign():
            self.text.append(data)


def read_page(body: str, content_type: str = "text/html") -> tuple[str, list[str]]:
    """(all visible text joined, shown attribute values)."""
    if not content_type.startswith("text/html"):
        return body, []
    reader = _Reader("")
    reader.feed(body)
    return " ".join(reader.text), reader.attributes


# --- catalogues ----------------------------------------------------------------------------------------------------
def catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def _ids(message: Any) -> list[str]:
    return [message.id] if isinstance(message.id, str) else list(message.id)


def _strings(message: Any) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


@contextmanager
def pseudo_locale(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """While inside, es_MX reads the pseudo catalogue (everything else is unchanged)."""
    pseudo = pseudo_translations()
    original = i18n.translations_for
    with monkeypatch.context() as patch:
        patch.setattr(i18n, "translations_for", lambda locale: pseudo if locale == PSEUDO_AS else original(locale))
        yield


def pseudo_translations() -> Translations:
    """Every source string wrapped in ⟦ ⟧ (plural forms too), with Spanish plural rules."""
    source = catalog(PSEUDO_AS)
    pseudo = Catalog(locale=PSEUDO_AS, domain="messages")
    for message in source:
        if not message.id:
            continue
        ids = _ids(message)
        if len(ids) == 1:
            pseudo.add(ids[0], OPEN + ids[0] + CLOSE)
        else:
            forms = [OPEN + ids[min(n, 1)] + CLOSE for n in range(pseudo.num_plurals)]
            pseudo.add(tuple(ids), tuple(forms))
    buffer = io.BytesIO()
    write_mo(buffer, pseudo)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def english_words() -> frozenset[str]:
    """Words of the English source that no translation uses, nor the locales' own calendar words, nor the
    languages' native names: any of them outside ⟦ ⟧ on a pseudo-translated page is untranslated text."""
    words = {w.lower() for m in catalog(PSEUDO_AS) if m.id for text in _ids(m) for w in WORD.findall(text)}
    for locale in ("es_MX", "pt_BR"):
        for message in catalog(locale):
            for text in _strings(message) if message.id else []:
                words -= {w.lower() for w in WORD.findall(text or "")}
        babel_locale = Locale.parse(locale)
        for table in (babel_locale.months, babel_locale.days):
            for context in table.values():
                for names in context.values():
                    for name in names.values():
                        words -= {w.lower() for w in WORD.findall(name)}
    for name in SUPPORTED_LOCALES.values():
        words -= {w.lower() for w in WORD.findall(name)}
    return frozenset(words)


def _unwrapped(text: str) -> str:
    """The text with every ⟦ ⟧ (innermost first, so a translation holding another one goes whole) taken out."""
    inner = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
    while True:
        shorter = inner.sub(" ", text)
        if shorter == text:
            return text
        text = shorter


def untranslated_words(text: str, attributes: list[str], english: frozenset[str]) -> list[str]:
    """English source words outside ⟦ ⟧, each with a little context. Identifiers are data, not words: all-capital
    codes (FSC, MXN) and lower-case references joined by hyphens (program-backbone, offer-3f2a)."""
    found = []
    for piece in [text, *attributes]:
        rest = IDENTIFIER.sub(" ", _unwrapped(piece))
        for match in WORD.finditer(rest):
            word = match.group()
            if word.lower() in english and not word.isupper():
                found.append(f"{word!r} in …{' '.join(rest[max(0, match.start() - 40) : match.end() + 40].split())}…")
    return found


@dataclass(frozen=True)
class EnglishSources:
    """The English sources whose translation differs: whole texts to compare a piece of page text with, and the
    longer ones (three words or more) to look for inside the page's text, split at their placeholders."""

    literal: frozenset[str]
    with_placeholders: re.Pattern[str]
    inside: tuple[tuple[str, ...], ...]

    def left_in(self, text: str, attributes: list[str]) -> list[str]:
        pieces = [" ".join(p.split()) for p in [*re.split(r"\s{2,}|\n", text), *attributes]]
        found = {p for p in pieces if p and (p in self.literal or self.with_placeholders.fullmatch(p))}
        flat = " ".join(text.split())
        for parts in self.inside:
            start = 0
            for part in parts:
                start = flat.find(part, start)
                if start < 0:
                    break
                start += len(part)
            else:
                found.add(" … ".join(parts))
        return sorted(found)


def english_sources(locale: str) -> EnglishSources:
    literal, patterns, inside = set(), [], []
    for message in catalog(locale):
        if not message.id:
            continue
        strings = _strings(message)
        for source in _ids(message):
            words = WORD.findall(PLACEHOLDER.sub("", source))
            if source in strings or not words:
                continue
            parts = tuple(p.replace("%%", "%") for p in PLACEHOLDER.split(source))
            if len(parts) == 1:
                literal.add(parts[0])
            else:
                patterns.append(".+?".join(re.escape(p) for p in parts))
            if len(words) >= 3:
                inside.append(tuple(p.strip() for p in parts if p.strip()))
    return EnglishSources(frozenset(literal), re.compile("|".join(patterns)), tuple(inside))
