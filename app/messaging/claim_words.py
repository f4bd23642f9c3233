"""The FSC claim a deal carries (what FSC's Online Claims Platform records), in the reader's words. Reading only: no
queries, so a thread's history, a notification and the claims export can word it without the messaging services.

Stored in the deal event's details beside the quantity: ``certificate_code`` (the supplier's), ``claim`` (a key of
``app.vocab.CLAIMS``, '' for a trade without a claim), ``certified_percent`` (whole number, FSC Mix only),
``product_type``, ``species`` (list), ``countries`` (ISO 3166-1 alpha-2, of harvest) and ``invoice`` (the invoice or
transaction id)."""

from __future__ import annotations

from typing import Any

from app.i18n import gettext as _
from app.places import country_name
from app.vocab import ALL_PRODUCT_TYPES, CLAIMS, label

#: The claim fields of a deal, in the order the confirm step and the export show them.
CLAIM_FIELDS = ("invoice", "certificate_code", "claim", "certified_percent", "product_type", "species", "countries")
#: Claims that state a percentage of certified input.
PERCENT_CLAIMS = ("FSC Mix",)


def claim_values(details: dict[str, Any]) -> dict[str, Any]:
    """The claim fields of a deal event's details, absent ones empty (deals recorded before claims were kept)."""
    return {
        "invoice": details.get("invoice") or "",
        "certificate_code": details.get("certificate_code") or "",
        "claim": details.get("claim") or "",
        "certified_percent": details.get("certified_percent"),
        "product_type": details.get("product_type") or "",
        "species": list(details.get("species") or []),
        "countries": list(details.get("countries") or []),
    }


def claim_label(values: dict[str, Any]) -> str:
    """'FSC Mix 80 %', 'FSC 100%', or '' for a trade without a claim."""
    if not values["claim"]:
        return ""
    text = label(CLAIMS, values["claim"])
    if values["claim"] in PERCENT_CLAIMS and values["certified_percent"] is not None:
        text = f"{text} {values['certified_percent']} %"
    return text


def countries_words(codes: list[str]) -> str:
    """Country names in the reader's language, comma separated."""
    return ", ".join(country_name(code) or code for code in codes)


def claim_rows(details: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each claim field of a deal as (key, label, value in words), empty ones left out: what the confirm step lists."""
    v = claim_values(details)
    rows = [
        ("invoice", _("Invoice or transaction"), v["invoice"]),
        ("certificate_code", _("Supplier's certificate"), v["certificate_code"]),
        ("claim", _("Claim"), claim_label(v) or _("No FSC claim")),
        ("product_type", _("Product type"), label(ALL_PRODUCT_TYPES, v["product_type"]) if v["product_type"] else ""),
        ("species", _("Species"), ", ".join(v["species"])),
        ("countries", _("Countries of harvest"), countries_words(v["countries"])),
    ]
    return [row for row in rows if row[2]]


def claim_words(details: dict[str, Any]) -> str:
    """One line for a deal's claim: 'FSC Mix 80 % · Field latex · Hevea brasiliensis · Brazil · certificate
    SCS-COC-004512 · invoice F-1029' ('' when the deal records no claim fields)."""
    v = claim_values(details)
    if not any(v[k] for k in ("claim", "invoice", "certificate_code")):
        return ""
    parts = [claim_label(v) or _("No FSC claim")]
    if v["product_type"]:
        parts.append(label(ALL_PRODUCT_TYPES, v["product_type"]))
    if v["species"]:
        parts.append(", ".join(v["species"]))
    if v["countries"]:
        parts.append(countries_words(v["countries"]))
    if v["certificate_code"]:
        parts.append(_("certificate %(code)s", code=v["certificate_code"]))
    if v["invoice"]:
        parts.append(_("invoice %(invoice)s", invoice=v["invoice"]))
    return " · ".join(parts)
