"""The human sentences about a search: filter names and what removing a filter would show."""

from __future__ import annotations

from app.i18n import gettext as _
from app.i18n import ngettext


def group_name(group: str) -> str:
    """The filter's name in a sentence ("Without the claim filter ...")."""
    return {
        "category": _("category"),
        "product_type": _("product type"),
        "species": _("species"),
        "claim": _("claim"),
        "country": _("country"),
        "region": _("region"),
        "verified": _("verified certificate"),
        "quantity": _("quantity"),
        "distance": _("distance"),
    }.get(group, group)


def suggestion_text(group: str, count: int) -> str:
    if group == "q":
        return ngettext(
            "Without the search words there is %(num)d offer.",
            "Without the search words there are %(num)d offers.",
            count,
        )
    return ngettext(
        "Without the %(filter)s filter there is %(num)d offer.",
        "Without the %(filter)s filter there are %(num)d offers.",
        count,
        filter=group_name(group),
    )
