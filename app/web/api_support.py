"""What every ``/api/v1`` operation shares: who may call it, the page parameter, and the documented error shape.

Each domain's JSON API (``<domain>/api.py`` or its controllers) imports these; the error bodies themselves are
built by ``app/web/errors.py``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from app.validation import MAX_PAGE

#: Who may call an operation: signed-in (session cookie + x-csrftoken, or Bearer token), or also anonymous.
SIGNED_IN: list[dict[str, list[str]]] = [{"token": []}]
#: A page number in list endpoints (pages beyond the last are empty; the bound keeps offsets sane).
Page = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PUBLIC: list[dict[str, list[str]]] = [{}, {"token": []}]


# --- the error shape every /api/v1 operation answers with (built by app/web/errors.py) ---------------------------
class FieldMessage(msgspec.Struct):
    field: str
    message: str


class ApiError(msgspec.Struct):
    status_code: int
    detail: str
    #: One entry per invalid field (400 only); nested objects are named like ``price.amount``.
    errors: list[FieldMessage] | None = None


_ERROR_TEXT = {
    400: "Some fields are not valid: one message per field in errors.",
    401: "An API token was sent that is unknown or revoked, or the operation needs a signed-in account.",
    403: "The account's role or organisation may not do this (or, with a session cookie, the CSRF header is missing).",
    404: "No such record, or not visible to this account.",
    409: "The record changed meanwhile or the action does not fit its current state.",
    413: "The request body is too large.",
    429: "Too many requests of this kind from this account: wait and try again.",
}


def api_errors(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the error answers an operation can give, all in the ``ApiError`` shape.

    400 (malformed input) and 401 (an unknown or revoked token is refused before any handler, even on public
    operations) are always listed; pass the others the operation can answer."""
    return {
        code: ResponseSpec(data_container=ApiError, description=_ERROR_TEXT[code])
        for code in sorted({400, 401, *codes})
    }
