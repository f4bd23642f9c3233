"""Lists that follow another field, for htmx to swap in when that field changes: the regions of the chosen country
(every place picker) and the product types of the chosen category (filter forms: the offer list, the dashboard)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from app.places import is_country
from app.vocab import CATEGORIES, PRODUCT_TYPES

#: Field names a form may give its country and region pickers (they become element ids and input names).
FIELD_NAME = re.compile(r"[a-z][a-z_]{0,39}")


@get("/places/regions", include_in_schema=False, name="region_choices")
async def region_choices(
    request: Request[Any, Any, Any], field: FromQuery[str] = "region", source: FromQuery[str] = "country"
) -> Template:
    """The region block of a form for the country now chosen (its own field named ``source``)."""
    field = field if FIELD_NAME.fullmatch(field) else "region"
    source = source if FIELD_NAME.fullmatch(source) else "country"
    raw = request.query_params.get(source) or ""
    country = raw.strip().upper() if is_country(raw.strip().upper()) else ""
    context = {"field": field, "source": source, "country": country, "value": ""}
    return Template(template_name="places/_region_choices.html.jinja2", context=context)


@get("/choices/product-types", include_in_schema=False, name="product_type_choices")
async def product_type_choices(category: FromQuery[str] = "", product_type: FromQuery[str] = "") -> Template:
    """A filter form's product type list for the category now chosen (every type when none is); a chosen type
    that belongs to it stays chosen."""
    category = category if category in CATEGORIES else ""
    fits = product_type in PRODUCT_TYPES.get(category, {}) or (not category and bool(product_type))
    context = {"category": category, "value": product_type if fits else "", "errors": {}}
    return Template(template_name="places/_product_type_filter.html.jinja2", context=context)


ROUTES = [region_choices, product_type_choices]
