"""Exception handlers: JSON for /api, friendly pages (or a sign-in redirect) for the site. Never a bare 500."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect

from app.i18n import N_, reset_locale, set_locale
from app.i18n import gettext as _
from app.validation import MAX_ROW_ID, FieldErrors, NotFound, PermissionDenied
from app.web.middleware import choose_locale

log = logging.getLogger("forestmatch")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def _json(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> Response[Any]:
    body: dict[str, Any] = {"status_code": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(content=body, status_code=status, media_type=MediaType.JSON)


@contextmanager
def _readers_language(request: Request[Any, Any, Any]) -> Iterator[None]:
    """The reader's language while an error is worded and its page rendered. Errors raised before any route
    matched (an unknown address, a method an address does not take) never pass the route middleware that sets it."""

    token = set_locale(choose_locale(request.scope))
    try:
        yield
    finally:
        reset_locale(token)


#: What the page says for the errors Litestar raises itself, whose detail is the English status phrase.
_STATUS_TITLES = {
    405: N_("This address does not take that kind of request."),
    413: N_("What was sent is too large."),
}
_OTHER_STATUS = N_("The request could not be handled.")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _page(request: Request[Any, Any, Any], status: int, title: str, detail: str) -> Response[Any]:
    """The error page, rendered at once: inside ``_readers_language``, not after the handler has returned."""
    engine = request.app.template_engine
    assert engine is not None  # configured by create_app()
    template = engine.get_template("errors/page.html.jinja2")
    html = template.render(status_code=status, title=title, detail=detail, request=request)
    return Response(content=html, status_code=status, media_type=MediaType.HTML)


def field_errors_handler(request: Request[Any, Any, Any], exc: FieldErrors) -> Response[Any]:
    with _readers_language(request):
        errors = [{"field": k, "message": v} for k, v in exc.errors.items()]
        if _is_api(request):
            return _json(400, _("Some fields are not valid."), errors)
        return _page(request, 400, _("Some fields are not valid."), " ".join(exc.errors.values()))


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's own decoding errors (wrong JSON types, unknown enum values) in our field-list shape."""
    with _readers_language(request):
        errors = []
        for item in exc.extra if isinstance(exc.extra, list) else []:
            if isinstance(item, dict):
                key = str(item.get("key") or "body")
                message = str(item.get("message", ""))
                unknown = _UNKNOWN_FIELD.search(message)
                field = key.removeprefix("$.")
                if unknown:  # name the offending field (with its parent object), not the handler's parameter
                    field = unknown.group(1) if field in ("data", "body", "$") else f"{field}.{unknown.group(1)}"
                errors.append({"field": field, "message": message})
        if not errors:
            errors.append({"field": "body", "message": str(exc.detail)})
        if _is_api(request):
            return _json(400, _("Some fields are not valid."), errors)
        return _page(request, 400, _("Some fields are not valid."), "; ".join(e["message"] for e in errors))


def not_found_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    with _readers_language(request):
        if _is_api(request):
            return _json(404, _("Not found."))
        return _page(request, 404, _("Page not found"), _("The page or record does not exist, or is not yours to see."))


def forbidden_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    with _readers_language(request):
        if _is_api(request):
            return _json(403, _("Your account may not do this."))
        return _page(request, 403, _("Not allowed"), _("Your account may not do this."))


def unauthorized_handler(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    with _readers_language(request):
        if _is_api(request):
            return _json(401, _("Sign in or send a valid API token."))
        if request.method == "GET":
            return Redirect(path=f"/login?next={quote(request.url.path)}", status_code=303)
        return _page(request, 401, _("Sign in first"), _("Your session has ended. Sign in and try again."))


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    with _readers_language(request):
        status = exc.status_code
        detail = exc.detail if status < 500 else _("Something went wrong on our side.")
        if _is_api(request):
            return _json(status, detail)
        if status < 500 and detail == _phrase(status):  # no message of ours, only Litestar's English phrase
            detail = _(_STATUS_TITLES.get(status, _OTHER_STATUS))
        return _page(request, status, detail, "")


def server_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    with _readers_language(request):
        if _is_api(request):
            return _json(500, _("Something went wrong on our side."))
        return _page(request, 500, _("Something went wrong on our side."), _("Please try again in a moment."))


async def reject_impossible_ids(request: Request[Any, Any, Any]) -> None:
    """Before any handler: an integer path parameter no row can have (beyond 64 bits) is simply not found.

    The database drivers refuse such numbers (SQLite: OverflowError), which answered 500 for
    ``/api/v1/conversations/-693433554597791300967202816``; checked once here rather than in every handler."""
    for value in request.path_params.values():
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ROW_ID:
            raise NotFound()


EXCEPTION_HANDLERS: dict[Any, Any] = {
    FieldErrors: field_errors_handler,
    ValidationException: validation_handler,
    NotFound: not_found_handler,
    NotFoundException: not_found_handler,
    PermissionDenied: forbidden_handler,
    PermissionDeniedException: forbidden_handler,
    NotAuthorizedException: unauthorized_handler,
    HTTPException: http_exception_handler,
    500: server_error_handler,
}
