"""Who may see an offer: the public visibility rule, defined once.

An offer is listed for buyers and visitors when every requirement in ``REQUIREMENTS`` holds: the offer is active,
its organisation is active, and its certificate is valid, unexpired and covers the offer's product type (DOMAIN.md:
only a valid certificate covering the product supports a certified sale). Each requirement is one entry carrying
the same condition in every form the site needs it:

- ``sql``: a condition over ``offer o``, ``certificate c`` and ``organization g`` (the offer list, its count, the
  home page figures; ``where()`` wraps it for ORM queries such as the search and matching fallbacks);
- ``holds``: the check of one offer already read (its page, the API, the producer's own list, the matcher);
- ``index``: the filter on the offer's search document (search, saved-search alerts, the matcher's candidates),
  whose fields ``document_fields()`` fills in with ``holds`` itself;
- ``reason``: what the offer's producer and staff read when it fails (they still see the offer).

Everything that decides whether an offer is public goes through this module, so a page, the API, the search
index and the matcher cannot disagree. The matcher asks for the certificate to hold through the delivery window:
the same requirements, checked on a later date (``on``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.i18n import gettext as _
from app.offers.tables import Offer
from app.vocab import CERTIFICATE_STATUSES, OFFER_STATUSES, label
from search_index.query import Eq, Filter, Range


class OfferFacts(Protocol):
    """What the rule reads of an offer (``RowFacts`` over a database row, or the matcher's ``OfferSpec``)."""

    @property
    def status(self) -> str: ...
    @property
    def organization_active(self) -> bool: ...
    @property
    def certificate_status(self) -> str: ...
    @property
    def certificate_expires_on(self) -> dt.date | None: ...
    @property
    def certificate_product_types(self) -> Iterable[str]: ...
    @property
    def product_type(self) -> str: ...


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


class RowFacts:
    """``OfferFacts`` of a row read with the offer columns of the services (aliases as in ``FACT_KEYS``)."""

    __slots__ = (
        "certificate_expires_on",
        "certificate_product_types",
        "certificate_status",
        "code",
        "organization_active",
        "product_type",
        "status",
    )

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.status = row["status"]
        self.organization_active = bool(row["organization_active"])
        self.certificate_status = row["certificate_status"]
        self.certificate_expires_on = _date(row["certificate_expires_on"])
        types = row["certificate_product_types"]
        self.certificate_product_types = tuple(json.loads(types) if isinstance(types, str) else types or ())
        self.product_type = row["product_type"]
        self.code = row.get("certificate_code") or ""


#: The row keys ``RowFacts`` reads (every offer query that decides visibility in Python selects them).
FACT_KEYS = (
    "status",
    "organization_active",
    "certificate_status",
    "certificate_expires_on",
    "certificate_product_types",
    "product_type",
)


def _certificate_code(facts: OfferFacts) -> str:
    return getattr(facts, "code", "") or ""


def _offer_status_reason(facts: OfferFacts) -> str:
    status = _(label(OFFER_STATUSES, facts.status)).lower()
    return _("The offer is %(status)s; only active offers are listed.", status=status)


def _organization_reason(facts: OfferFacts) -> str:
    return _("The organisation's account is deactivated, so none of its offers are listed.")


def _certificate_status_reason(facts: OfferFacts) -> str:
    return _(
        "Certificate %(code)s is %(status)s; only a valid certificate supports a certified sale.",
        code=_certificate_code(facts),
        status=_(CERTIFICATE_STATUSES.get(facts.certificate_status, facts.certificate_status)).lower(),
    )


def _expiry_reason(facts: OfferFacts) -> str:
    expires = facts.certificate_expires_on
    return _(
        "Certificate %(code)s expired on %(date)s.",
        code=_certificate_code(facts),
        date=expires.isoformat() if expires else "",
    )


def _scope_reason(facts: OfferFacts) -> str:
    return _("Certificate %(code)s does not cover this product type.", code=_certificate_code(facts))


def _date_int(value: dt.date) -> int:
    # The search documents' date encoding (app.indexing.documents.date_int), repeated to keep this module light.
    return value.year * 10000 + value.month * 100 + value.day


#: The SQL of "the certificate lists the offer's product type", per database engine (JSON list membership).
_COVERS_SQL = {
    "sqlite": "EXISTS (SELECT 1 FROM json_each(c.product_types) AS pt WHERE pt.value = o.product_type)",
    "postgres": "EXISTS (SELECT 1 FROM json_array_elements_text(c.product_types) AS pt(v) WHERE pt.v = o.product_type)",
}


@dataclass(frozen=True)
class Requirement:
    """One condition of the public visibility rule, in each form the site needs (see the module docstring)."""

    #: Stable machine code (also the matcher's hard-constraint code).
    code: str
    #: SQL over ``o``, ``c``, ``g``: ``{on}`` is the date placeholder, ``{covers}`` the engine's JSON membership.
    sql: str
    holds: Callable[[OfferFacts, dt.date], bool]
    index: Callable[[dt.date], Filter]
    reason: Callable[[OfferFacts], str]
    #: Part of the certificate's own fitness for a sale (``certificate_problem``), not of the offer.
    about_certificate: bool = False


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        "offer_status",
        "o.status = 'active'",
        lambda f, on: f.status == "active",
        lambda on: Eq("status", "active"),
        _offer_status_reason,
    ),
    Requirement(
        "organization_inactive",
        "g.is_active = TRUE",
        lambda f, on: bool(f.organization_active),
        # Documents carry no organisation flag: ``document_fields`` writes such offers' status as "closed".
        lambda on: Eq("status", "active"),
        _organization_reason,
    ),
    Requirement(
        "certificate_status",
        "c.status = 'valid'",
        lambda f, on: f.certificate_status == "valid",
        lambda on: Eq("certificate_status", "valid"),
        _certificate_status_reason,
        about_certificate=True,
    ),
    Requirement(
        "certificate_expiry",
        "c.expires_on >= {on}",
        lambda f, on: f.certificate_expires_on is not None and f.certificate_expires_on >= on,
        lambda on: Range("certificate_expires_on", gte=_date_int(on)),
        _expiry_reason,
        about_certificate=True,
    ),
    Requirement(
        "certificate_scope",
        "{covers}",
        lambda f, on: f.product_type in f.certificate_product_types,
        lambda on: Eq("certificate_covers", True),
        _scope_reason,
        about_certificate=True,
    ),
)


def _today(on: dt.date | None) -> dt.date:
    return on or dt.date.today()


# --- one offer ---------------------------------------------------------------------------------------------------
def unmet(facts: OfferFacts, on: dt.date | None = None) -> list[Requirement]:
    """The requirements this offer fails on ``on`` (today by default); [] means it is listed."""
    day = _today(on)
    return [r for r in REQUIREMENTS if not r.holds(facts, day)]


def is_listed(row: Mapping[str, Any], on: dt.date | None = None) -> bool:
    """Whether an offer row (read with ``FACT_KEYS``) is public on ``on`` (today by default)."""
    return not unmet(RowFacts(row), on)


def hidden_reasons(row: Mapping[str, Any], on: dt.date | None = None) -> list[str]:
    """Why an offer row is not public, one translated sentence per failed requirement ([] when it is listed)."""
    facts = RowFacts(row)
    return [r.reason(facts) for r in unmet(facts, on)]


def certificate_unmet(facts: OfferFacts, on: dt.date | None = None, *, check_product: bool = True) -> list[Requirement]:
    """The certificate's own requirements this offer fails (``check_product=False``: ignore the product type)."""
    day = _today(on)
    return [
        r
        for r in REQUIREMENTS
        if r.about_certificate and (check_product or r.code != "certificate_scope") and not r.holds(facts, day)
    ]


# --- SQL ---------------------------------------------------------------------------------------------------------
def _engine_type() -> str:

    return str(Offer._meta.db.engine_type)


def sql(on: dt.date | None = None, engine_type: str | None = None) -> tuple[str, list[Any]]:
    """The rule as one SQL condition over ``offer o JOIN certificate c JOIN organization g``, with its arguments
    (Piccolo ``{}`` placeholders, in order)."""
    covers = _COVERS_SQL["postgres" if (engine_type or _engine_type()) == "postgres" else "sqlite"]
    parts: list[str] = []
    args: list[Any] = []
    for requirement in REQUIREMENTS:
        text = requirement.sql.replace("{covers}", covers)
        if "{on}" in text:
            text = text.replace("{on}", "{}")
            args.append(_today(on))
        parts.append(text)
    return "(" + " AND ".join(parts) + ")", args


#: The joins ``sql()`` expects, after ``FROM offer o``.
JOINS = "JOIN certificate c ON c.id = o.certificate JOIN organization g ON g.id = o.organization"


def where(on: dt.date | None = None) -> Any:
    """The rule as a condition for ORM queries on ``Offer`` (the ids ``sql()`` selects)."""
    from piccolo.columns.combination import WhereRaw

    condition, args = sql(on)
    return WhereRaw(f'"offer"."id" IN (SELECT o.id FROM offer o {JOINS} WHERE {condition})', *args)


# --- the search index --------------------------------------------------------------------------------------------
def search_filters(on: dt.date | None = None) -> list[Filter]:
    """The rule as filters on the offers index (documents carry the fields ``document_fields`` writes)."""
    day = _today(on)
    return [r.index(day) for r in REQUIREMENTS]


_BY_CODE = {r.code: r for r in REQUIREMENTS}


def document_fields(row: Mapping[str, Any], on: dt.date | None = None) -> dict[str, Any]:
    """The fields of an offer's search document that ``search_filters`` reads, from its database row, on ``on``
    (today by default: a batch of documents passes the day it read once, ``date.today()`` costing about 13 us).

    Stored as facts (not as one "listed" flag) because the certificate's expiry is compared with the day of each
    search. The organisation's requirement is folded into ``status`` (an offer of a deactivated organisation is
    indexed as closed) and the coverage is decided with the requirement's own check: both with ``holds``.
    """
    facts = RowFacts(row)
    day = _today(on)
    expires = facts.certificate_expires_on
    organization_active = _BY_CODE["organization_inactive"].holds(facts, day)
    return {
        "status": facts.status if organization_active else "closed",
        "certificate_status": facts.certificate_status,
        "certificate_expires_on": _date_int(expires) if expires else None,
        "certificate_covers": _BY_CODE["certificate_scope"].holds(facts, day),
    }


def certificate_problem(cert: dict[str, Any], product_type: str | None, on: dt.date | None = None) -> str | None:
    """Why this certificate cannot support a certified sale of ``product_type`` (None when it can): the certificate
    requirements of the offer visibility rule, on ``on`` (today by default)."""
    facts = RowFacts(
        {
            "status": "active",
            "organization_active": True,
            "certificate_status": cert["status"],
            "certificate_expires_on": cert["expires_on"],
            "certificate_product_types": cert.get("product_types") or [],
            "product_type": product_type or "",
            "certificate_code": cert["code"],
        }
    )
    failed = certificate_unmet(facts, on, check_product=bool(product_type))
    return failed[0].reason(facts) if failed else None
