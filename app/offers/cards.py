"""The offer list's cards, rendered once per offer content and language (issue 14).

A list page is twenty cards, and rendering one (the ``offer_card`` macro of ``offers/_card.html.jinja2``: a macro
call and a dozen values formatted for the reader) is most of what rendering the page costs. A card shows only the row
the list read and the reader's language, so those are its key: an offer, certificate or organisation that changes
reads as another row, hence another key, and a stale card is never found. Kept per process, the least recently used
dropped first; the key holds the row's values only, so it is cheap next to rendering.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from app.i18n import get_locale

#: About 100 pages of 20 cards in each of three languages; a card is about 1.5 KB.
MAX_CARDS = 6000
CARD_TEMPLATE = "offers/_card.html.jinja2"

_cards: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    # A row of the public list carries its content as read (``ListedRow.content``): hashing it is a fraction of hashing
    # the converted values (dates, Decimals) a card is rendered from.
    content = getattr(row, "content", None)
    if content is not None:
        return (get_locale(), content)
    return (get_locale(), *((k, tuple(v) if isinstance(v, list) else v) for k, v in row.items()))


def card_html(env: Environment, row: dict[str, Any]) -> Markup:
    """The card of one row of the public list, as ``offer_card(row)`` renders it in the reader's language."""
    key = _key(row)
    html = _cards.get(key)
    if html is not None:
        _cards.move_to_end(key)
        return html
    html = Markup(env.get_template(CARD_TEMPLATE).module.offer_card(row))  # type: ignore[attr-defined]
    _cards[key] = html
    if len(_cards) > MAX_CARDS:
        _cards.popitem(last=False)
    return html


def forget() -> None:
    """Drop every card (tests that change templates or translations)."""
    _cards.clear()
