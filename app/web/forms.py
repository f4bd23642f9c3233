"""Reading HTML form posts into the plain dicts the services validate."""

from __future__ import annotations

from typing import Any

from litestar import Request

MAX_FORM_FIELDS = 200


async def read_form(request: Request[Any, Any, Any], multi: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form fields as a dict; fields in ``multi`` (checkbox groups, multi-selects) become lists."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in list(form.keys())[:MAX_FORM_FIELDS]:
        if key == "_csrf_token":
            continue
        if key in multi:
            data[key] = [v for v in form.getall(key) if isinstance(v, str) and v != ""]
        else:
            value = form.get(key)
            data[key] = value if isinstance(value, str) else ""
    for key in multi:
        data.setdefault(key, [])
    return data
