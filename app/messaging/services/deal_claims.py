"""The FSC claim fields of a deal: their defaults from the conversation's offer and their checks.

Fields a request leaves out take the default (the offer's certificate, claim, product type, species and the
producer's country; for a staff correction, the corrected deal's values); a field sent blank is blank, so a trade
without a claim can be recorded. See ``app.messaging.claim_words`` for how they are stored and read."""

from __future__ import annotations

from typing import Any

from app.i18n import gettext as _
from app.messaging.claim_words import CLAIM_FIELDS, PERCENT_CLAIMS, claim_values
from app.places import is_country
from app.validation import Checker
from app.vocab import ALL_PRODUCT_TYPES, CERT_CODE_RE, CLAIMS, PRODUCT_TYPES

MAX_INVOICE = 60


def offer_claim_defaults(row: dict[str, Any] | None) -> dict[str, Any]:
    """The claim fields an offer row suggests (columns claim, product_type, species, certificate_code, country)."""
    if row is None:
        return claim_values({})
    country = (row.get("country") or "").upper()
    return claim_values(
        {
            "certificate_code": row.get("certificate_code") or "",
            "claim": row.get("claim") if row.get("claim") in CLAIMS else "",
            "product_type": row.get("product_type") or "",
            "species": row.get("species") or [],
            "countries": [country] if is_country(country) else [],
        }
    )


def _countries(c: Checker) -> list[str]:
    value = c.raw.get("countries")
    if value is None or value == "" or value == []:
        return []
    items = [p.strip() for p in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        c.fail("countries", _("Choose the countries of harvest."))
        return []
    codes = [i.strip().upper() for i in items if i.strip()]
    unknown = [code for code in codes if not is_country(code)]
    if unknown:
        c.fail(
            "countries",
            _("%(codes)s is not a country code. Use two letters as in ISO 3166, such as BR.", codes=", ".join(unknown)),
        )
        return []
    return list(dict.fromkeys(codes))


def check_claim(checker: Checker, defaults: dict[str, Any], category: str | None) -> dict[str, Any]:
    """The claim fields of a deal form, checked (problems go to ``checker``): what the deal event stores."""
    given = {k: checker.raw[k] for k in CLAIM_FIELDS if k in checker.raw}
    c = Checker({**defaults, **given})
    invoice = c.text("invoice", max_len=MAX_INVOICE)
    claim = c.choice("claim", list(CLAIMS), vocabulary=CLAIMS)
    code = c.pattern(
        "certificate_code",
        CERT_CODE_RE,
        _("Use the certificate code as issued, e.g. SCS-COC-004512."),
        required=bool(claim),
    )
    percent = None
    if claim in PERCENT_CLAIMS:
        number = c.number("certified_percent", required=True, minimum=0, maximum=100)
        if number is not None and number != int(number):
            c.fail("certified_percent", _("Enter a whole number from 0 to 100."))
        elif number is not None:
            percent = int(number)
    types = PRODUCT_TYPES.get(category or "", ALL_PRODUCT_TYPES)
    product_type = c.choice(
        "product_type", list(types), required=bool(claim), vocabulary=ALL_PRODUCT_TYPES, context=category or ""
    )
    species = c.text_list("species")
    countries = _countries(c)
    for name, message in c.errors.items():
        checker.fail(name, message)
    return {
        "invoice": invoice,
        "certificate_code": code,
        "claim": claim,
        "certified_percent": percent,
        "product_type": product_type,
        "species": species,
        "countries": countries,
    }
