"""The region list that follows a country picker: htmx asks for it when the country changes."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from app.places import is_country

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


ROUTES = [region_choices]
