"""The staff verification queue: certificates awaiting (or past) verification, oldest submission first, paged and
filtered in SQL by state, country, expiry and a search of code, licence or organisation, with exact counts."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from app.accounts.services import CurrentUser
from app.certificates.tables import Certificate
from app.db import Row
from app.validation import MAX_PAGE, PermissionDenied, page_number
from app.vocab import VERIFICATION_STATES

QUEUE_PER_PAGE = 25
#: "expiring within N days" choices offered by the filter form (any whole number up to MAX_EXPIRY_DAYS is read)
QUEUE_EXPIRY_DAYS = (30, 60, 90, 180)
MAX_EXPIRY_DAYS = 3650
MAX_QUEUE_SEARCH = 100
_COUNTRY = re.compile(r"[A-Z]{2}")
_DAYS = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True)
class QueueFilters:
    """What the verification queue shows: a tab (verification state), filters, a search and a page."""

    state: str = "pending"
    country: str = ""
    #: "" (any), "expired" (expiry date passed) or a number of days ("30": expiring within 30 days)
    expiry: str = ""
    q: str = ""
    page: int = 1

    @classmethod
    def read(cls, params: Mapping[str, Any]) -> QueueFilters:
        """Filters from a query string or form; unusable values fall back to "any" (a filter never errs)."""

        def text(name: str) -> str:
            value = params.get(name)
            return value.strip() if isinstance(value, str) else ""

        state = text("state")
        country = text("country").upper()
        expiry = text("expiry").lower()
        if _DAYS.fullmatch(expiry):
            expiry = str(int(expiry)) if 1 <= int(expiry) <= MAX_EXPIRY_DAYS else ""
        elif expiry != "expired":
            expiry = ""
        return cls(
            state=state if state in VERIFICATION_STATES else "pending",
            country=country if _COUNTRY.fullmatch(country) else "",
            expiry=expiry,
            q=" ".join(text("q").split())[:MAX_QUEUE_SEARCH],
            page=page_number(params.get("page"), MAX_PAGE) or 1,
        )

    def query(self, *, state: str | None = None, page: int | None = None) -> str:
        """These filters as a query string (defaults left out), for links, pagination and redirects."""
        pairs = [("state", state or self.state)]
        pairs += [(k, v) for k, v in (("country", self.country), ("expiry", self.expiry), ("q", self.q)) if v]
        if page and page > 1:
            pairs.append(("page", str(page)))
        return urlencode(pairs)

    @property
    def narrowed(self) -> bool:
        return bool(self.country or self.expiry or self.q)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue with the exact count of its tab and of every tab under the same filters."""

    filters: QueueFilters
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    per_page: int
    counts: dict[str, int]

    @property
    def first_position(self) -> int:
        return (self.page - 1) * self.per_page + 1


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own % and _ taken literally (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _queue_where(filters: QueueFilters, today: dt.date) -> tuple[str, list[Any], bool]:
    """WHERE conditions of every filter but the tab, their arguments, and whether the organisation is joined."""
    conditions: list[str] = []
    args: list[Any] = []
    if filters.country:
        conditions.append("g.country = {}")
        args.append(filters.country)
    if filters.expiry == "expired":
        conditions.append("c.expires_on < {}")
        args.append(today)
    elif filters.expiry:
        conditions.append("c.expires_on >= {} AND c.expires_on <= {}")
        args += [today, today + dt.timedelta(days=int(filters.expiry))]
    if filters.q:
        # Codes and licences are stored upper case; organisation names are compared in lower case.
        conditions.append(
            "(c.code LIKE {} ESCAPE '\\' OR c.license_code LIKE {} ESCAPE '\\' OR lower(g.name) LIKE {} ESCAPE '\\')"
        )
        args += [_like(filters.q.upper()), _like(filters.q.upper()), _like(filters.q.lower())]
    joined = bool(filters.country or filters.q)
    return "".join(f" AND {c}" for c in conditions), args, joined


_QUEUE_COLUMNS = """
SELECT c.id, c.ref, c.code, c.license_code, c.scope, c.status, c.issued_on, c.expires_on, c.product_types,
       c.is_group, c.verification, c.verified_at, c.rejection_reason, c.submitted_at,
       g.name AS organization_name, g.ref AS organization_ref, g.country AS organization_country,
       u.email AS verified_by_email
FROM certificate c
JOIN organization g ON g.id = c.organization
LEFT JOIN account_user u ON u.id = c.verified_by
WHERE c.verification = {}"""
#: Pending: the oldest submission first. Verified and rejected: the latest decision first.
_QUEUE_ORDER = {
    "pending": " ORDER BY c.submitted_at, c.id",
    "verified": " ORDER BY c.verified_at DESC, c.id DESC",
    "rejected": " ORDER BY c.verified_at DESC, c.id DESC",
}


def _queue_row(raw: dict[str, Any], today: dt.date) -> Row:
    row = Row(raw)
    if isinstance(row["product_types"], str):
        row["product_types"] = json.loads(row["product_types"])
    for key in ("issued_on", "expires_on"):
        if isinstance(row[key], str):
            row[key] = dt.date.fromisoformat(row[key])
    row["is_group"] = bool(row["is_group"])
    row["expires_in_days"] = (row["expires_on"] - today).days
    submitted = row["submitted_at"]
    row["waiting_days"] = (today - submitted.date()).days if isinstance(submitted, dt.datetime) else None
    return row


async def verification_queue(staff: CurrentUser, filters: QueueFilters, per_page: int = QUEUE_PER_PAGE) -> QueuePage:
    """One page of certificates in a verification state, filtered in SQL, with exact counts per state.

    Pending certificates come oldest submission first, so the next one to check heads page 1 and a new
    registration joins at the end.
    """
    if not staff.is_staff:
        raise PermissionDenied()
    today = dt.date.today()
    where, args, joined = _queue_where(filters, today)
    join = " JOIN organization g ON g.id = c.organization" if joined else ""
    counted = await Certificate.raw(
        f"SELECT c.verification AS state, COUNT(*) AS n FROM certificate c{join} WHERE 1 = 1{where}"
        " GROUP BY c.verification",
        *args,
    )
    counts = dict.fromkeys(VERIFICATION_STATES, 0) | {r["state"]: int(r["n"]) for r in counted}
    total = counts.get(filters.state, 0)
    pages = max(1, math.ceil(total / per_page))
    page = min(filters.page, pages)  # after the last item of the last page is checked, show the new last page
    rows: list[dict[str, Any]] = []
    if total:
        raw_rows = await Certificate.raw(
            _QUEUE_COLUMNS + where + _QUEUE_ORDER[filters.state] + " LIMIT {} OFFSET {}",
            filters.state,
            *args,
            per_page,
            (page - 1) * per_page,
        )
        rows = [_queue_row(r, today) for r in raw_rows]
    return QueuePage(filters=filters, rows=rows, total=total, page=page, pages=pages, per_page=per_page, counts=counts)


async def queue_countries() -> list[str]:
    """Countries of organisations holding a certificate, for the queue's country filter."""
    rows = await Certificate.raw(
        "SELECT DISTINCT g.country AS country FROM organization g"
        " WHERE g.country <> '' AND EXISTS (SELECT 1 FROM certificate c WHERE c.organization = g.id)"
    )
    return sorted(r["country"] for r in rows)
