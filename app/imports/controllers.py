"""Bulk import and export (format forestmatch/1): staff API endpoints and the staff import page."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from app.i18n import gettext as _
from app.imports.services import (
    ImportRejected,
    UnreadableDocument,
    export_document,
    import_document,
    parse_document,
    validate_document,
)
from app.imports.sheet_controllers import SHEET_ROUTES
from app.imports.validation import CORE_SECTIONS
from app.web import guards
from app.web.api_support import SIGNED_IN, api_errors
from app.web.render import render

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _rejected(exc: ImportRejected) -> Response[Any]:
    return Response(
        content={
            "status_code": 400,
            "detail": _("The document was not imported: fix every problem listed."),
            "errors": [p.as_dict() for p in exc.problems],
        },
        status_code=400,
        media_type=MediaType.JSON,
    )


@post(
    "/api/v1/import",
    tags=["bulk data"],
    status_code=200,
    request_max_body_size=MAX_UPLOAD_BYTES,
    summary="Import a forestmatch/1 document",
    security=SIGNED_IN,
    responses=api_errors(403, 413),
)
async def api_import(request: Request[Any, Any, Any]) -> Response[Any]:
    """Import a forestmatch/1 document (staff). All or nothing: a 400 lists every problem and writes nothing."""
    try:
        doc = parse_document(await request.body(), max_bytes=MAX_UPLOAD_BYTES)
    except UnreadableDocument as exc:
        return Response(
            content={
                "status_code": 400,
                "detail": exc.message,
                "errors": [{"section": "document", "ref": "", "field": "body", "message": exc.message}],
            },
            status_code=400,
            media_type=MediaType.JSON,
        )
    try:
        summary = await import_document(doc)
    except ImportRejected as exc:
        return _rejected(exc)
    return Response(content={"status": "imported", **summary.as_dict()}, media_type=MediaType.JSON)


@get(
    "/api/v1/export",
    tags=["bulk data"],
    summary="Export everything as a forestmatch/1 document",
    security=SIGNED_IN,
    responses=api_errors(403),
)
async def api_export() -> dict[str, Any]:
    """Everything as one forestmatch/1 document (staff)."""
    return await export_document()


@get("/staff/import", include_in_schema=False)
async def import_page(request: Request[Any, Any, Any]) -> Template:
    return render(request, "staff/import.html.jinja2", {"problems": None, "summary": None, "error": None})


@post("/staff/import", include_in_schema=False, request_max_body_size=MAX_UPLOAD_BYTES)
async def import_submit(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template:
    """Upload a document: 'preview' lists problems without writing; 'import' writes it if it has none."""
    upload = data.get("document")
    action = data.get("action", "preview")
    context: dict[str, Any] = {"problems": None, "summary": None, "error": None, "counts": None}
    if not isinstance(upload, UploadFile):
        context["error"] = _("Choose a JSON file to upload.")
        return render(request, "staff/import.html.jinja2", context, status_code=422)
    try:
        doc = parse_document(await upload.read(), max_bytes=MAX_UPLOAD_BYTES)
    except UnreadableDocument as exc:
        context["error"] = exc.message
        return render(request, "staff/import.html.jinja2", context, status_code=422)
    try:
        if action == "import":
            context["summary"] = await import_document(doc)
        else:
            checked = await validate_document(doc)
            # The four sections of IMPORT_FORMAT.md always, a traceability section when the document has it.
            context["counts"] = {s: n for s, n in checked.counts.items() if s in CORE_SECTIONS or n}
    except ImportRejected as exc:
        context["problems"] = exc.problems
        return render(request, "staff/import.html.jinja2", context, status_code=422)
    return render(request, "staff/import.html.jinja2", context)


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.staff],
        route_handlers=[api_import, api_export, import_page, import_submit, *SHEET_ROUTES],
    ),
]
