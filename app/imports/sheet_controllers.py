"""The staff sheet import page (/staff/import/sheet): upload a CSV or XLSX, map unknown headers, preview every
problem per row and column, import all or nothing; and the templates to fill in. Works without JavaScript: the
upload is kept on the server under a token and the mapping rides in a hidden form field."""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Template

from app.i18n import gettext as _
from app.imports.reading import MEGABYTE, UnreadableDocument
from app.imports.sheet_columns import COLUMNS
from app.imports.sheet_services import (
    UploadMissing,
    drop_upload,
    import_sheet,
    keep_upload,
    open_source,
    preview_sheet,
    read_mapping,
)
from app.imports.sheet_writing import template_csv, template_xlsx
from app.imports.sheets import SheetSource
from app.imports.validation import SECTIONS, ImportRejected
from app.validation import NotFound
from app.web.render import render

MAX_SHEET_BYTES = 50 * MEGABYTE
PAGE = "staff/import_sheet.html.jinja2"
#: The preview lists this many problems at most (a sheet of 50,000 wrong rows would make a page nobody reads).
SHOWN_PROBLEMS = 1000


def _context(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sections": SECTIONS,
        "columns": COLUMNS,
        "error": None,
        "token": "",
        "section": "",
        "mapping": "{}",
        "unknown": [],
        "outcome": None,
        "imported": False,
        "filename": "",
        "shown": SHOWN_PROBLEMS,
    }
    return {**base, **values}


@get("/staff/import/sheet", include_in_schema=False)
async def sheet_page(request: Request[Any, Any, Any]) -> Template:
    return render(request, PAGE, _context())


@post("/staff/import/sheet", include_in_schema=False, request_max_body_size=MAX_SHEET_BYTES + MEGABYTE)
async def sheet_submit(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template:
    """``check`` (upload or re-check), ``map`` (apply the column mapping) or ``import`` (write, all or nothing)."""
    action = str(data.get("action") or "check")
    section = str(data.get("section") or "")
    section = section if section in SECTIONS else ""
    mapping = read_mapping(str(data.get("mapping") or ""))
    token = str(data.get("token") or "")
    upload = data.get("sheet")
    context = _context(section=section)
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read()
        if len(content) > MAX_SHEET_BYTES:
            context["error"] = _("The file is larger than 50 MB: split it into smaller files.")
            return render(request, PAGE, context, status_code=422)
        try:
            SheetSource(content, filename=upload.filename, section=section or None)  # a sheet at all?
        except UnreadableDocument as exc:
            context["error"] = exc.message
            return render(request, PAGE, context, status_code=422)
        token, mapping = keep_upload(upload.filename, content), {}
    elif not token:
        context["error"] = _("Choose a CSV or XLSX file to upload.")
        return render(request, PAGE, context, status_code=422)
    try:
        source = open_source(token, section or None, mapping)
        if action == "map":
            for header in source.headers():
                chosen = mapping.setdefault(header.section, {})
                for index, text in enumerate(header.headers):
                    value = data.get(f"map-{header.section}-{index}")
                    if isinstance(value, str) and text:
                        chosen[text] = value if value in {c.field for c in COLUMNS[header.section]} else ""
            source = open_source(token, section or None, mapping)
        context.update(token=token, mapping=json.dumps(mapping, ensure_ascii=False), filename=source.filename)
        unknown = [
            (header.section, index, text, header.title)
            for header in source.headers()
            for index, (text, name) in enumerate(zip(header.headers, header.fields, strict=True))
            if name is None and text
        ]
        if unknown:
            context["unknown"] = unknown
            return render(request, PAGE, context)
        if action == "import":
            try:
                context["outcome"] = await import_sheet(source)
            except ImportRejected:
                # Changed since the preview, or the button was sent anyway: nothing was written; say why.
                context["outcome"] = await preview_sheet(source)
                return render(request, PAGE, context, status_code=422)
            context["imported"] = True
            drop_upload(token)
            return render(request, PAGE, context)
        context["outcome"] = outcome = await preview_sheet(source)
        return render(request, PAGE, context, status_code=422 if outcome.problems else 200)
    except UploadMissing:
        context.update(token="", error=_("The uploaded file is no longer here: upload it again."))
        return render(request, PAGE, context, status_code=422)
    except UnreadableDocument as exc:
        context.update(token="", error=exc.message)
        return render(request, PAGE, context, status_code=422)


@get("/staff/import/template/{name:str}", include_in_schema=False)
async def sheet_template(name: FromPath[str], short: FromQuery[bool] = False) -> Response[bytes]:
    """``organizations.csv``, ``offers.xlsx``, ..., or ``all.xlsx`` (every section); ``?short=1``: required columns
    only. Headers in the reader's language over the field names, a description row and an example row."""
    section, _dot, ext = name.rpartition(".")
    if ext not in ("csv", "xlsx") or not (section in SECTIONS or (section == "all" and ext == "xlsx")):
        raise NotFound()
    suffix = "-short" if short else ""
    if ext == "csv":
        content, media = template_csv(section, short), "text/csv; charset=utf-8"
    else:
        sections = SECTIONS if section == "all" else (section,)
        content = template_xlsx(sections, short)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="forestmatch-{section}{suffix}.{ext}"'},
    )


SHEET_ROUTES = [sheet_page, sheet_submit, sheet_template]
