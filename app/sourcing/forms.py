"""The sourcing request form as the checker reads it (shared by the pages and inline validation)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from app.web.forms import category_choices, read_form, region_choices

MULTI = ("product_types", "accepted_claims")
#: Choices that follow another field: product types and unit the category, the region the country.
REQUEST_CHOICES = (
    category_choices(("product_types", "unit"), required=("product_types", "unit")),
    region_choices("delivery_country", "delivery_region"),
)


async def read_request_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The request form as the checker wants it (also used by inline validation)."""
    data = await read_form(request, multi=MULTI)
    # An unticked checkbox sends nothing; on this form that means "no partial deliveries".
    data["partial_ok"] = "1" if data.get("partial_ok") in ("1", "on", "true") else "0"
    data["require_eudr_ready"] = "1" if data.get("require_eudr_ready") in ("1", "on", "true") else "0"
    data.pop("status", None)  # status changes go through their own form
    return data
