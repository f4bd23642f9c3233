"""JSON API of collectors: recording a delivery, idempotent on its ref (what the offline page sends later)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, Router, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.types import ControllerRouterHandler

from app.i18n import gettext as _
from app.traceability.deliveries import DeliveryConflict, dry_of, record_delivery
from app.traceability.forms import delivery_fields
from app.validation import FieldErrors
from app.web import guards
from app.web.api_support import SIGNED_IN, ApiError, FieldMessage, api_errors


class DeliveryIn(msgspec.Struct):
    """A delivery at the scale; numbers may be sent as typed (``"32,5"``): the server parses them."""

    #: The client's own id of this delivery (``crypto.randomUUID()``): sending it again never makes a second one.
    ref: str = ""
    #: member ref, member code, or name
    member: str = ""
    plot: str | None = None
    #: YYYY-MM-DD
    date: str | None = None
    #: field_latex | cup_lump
    form: str | None = None
    wet_kg: float | str | None = None
    drc_percent: float | str | None = None
    dry_kg: float | str | None = None


class DeliveryOut(msgspec.Struct):
    ref: str
    collector: str
    member: str | None
    plot: str | None
    date: str
    form: str
    wet_kg: float | None
    drc_percent: float | None
    #: as recorded, or wet kg x DRC %
    dry_kg: float
    #: unusual values that were stored all the same (the lot's checks flag them)
    warnings: list[FieldMessage]


def delivery_out(row: dict[str, Any], warnings: dict[str, str]) -> DeliveryOut:
    return DeliveryOut(
        ref=row["ref"],
        collector=row["collector_ref"],
        member=row["member_ref"],
        plot=row["plot_ref"],
        date=row["date"].isoformat(),
        form=row["form"],
        wet_kg=row["wet_kg"],
        drc_percent=row["drc_percent"],
        dry_kg=round(dry_of(row), 3),
        warnings=[FieldMessage(field=k, message=v) for k, v in warnings.items()],
    )


@post(
    "/api/v1/deliveries",
    tags=["traceability"],
    summary="Record a delivery (idempotent on ref)",
    security=SIGNED_IN,
    responses={
        **api_errors(401, 403, 404, 409),
        422: ResponseSpec(data_container=ApiError, description="Some fields are not valid: one message per field."),
    },
    status_code=201,
)
async def api_delivery_create(
    request: Request[Any, Any, Any], data: JSONBody[DeliveryIn]
) -> Response[DeliveryOut | ApiError]:
    """Record latex received from a member's plot, for the caller's organisation (a collector, or a group collecting
    for its members; anyone else: 404). 201 with the delivery; the same ``ref`` with the same content again: 200 with
    the stored delivery; the same ``ref`` with other content: 409, nothing changed; bad input: 422 with one message
    per field. ``dry_kg``, or ``wet_kg`` with ``drc_percent``."""
    try:
        raw = msgspec.to_builtins(data)
        recorded = await record_delivery(request.user, raw, *delivery_fields(raw))
    except FieldErrors as exc:
        errors = [FieldMessage(field=k, message=v) for k, v in exc.errors.items()]
        body = ApiError(status_code=422, detail=_("Some fields are not valid."), errors=errors)
        return Response(content=body, status_code=422)
    except DeliveryConflict as exc:
        return Response(content=ApiError(status_code=409, detail=exc.message), status_code=409)
    return Response(
        content=delivery_out(recorded.delivery, recorded.warnings), status_code=201 if recorded.created else 200
    )


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_delivery_create]),
]
