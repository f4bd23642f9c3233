"""What the collectors' pages and API share: a delivery's and a lot's own fields read with the bulk import's rules
(``app.traceability.fields``), so typed records and imported ones are refused or stored alike."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.i18n import gettext as _
from app.imports.traceability import TRACE_CHECKS, TraceFacts, TraceGathering
from app.traceability.fields import check_delivery
from app.traceability.lots import new_lot_ref
from app.validation import Checker, FieldErrors

#: A client ref: what crypto.randomUUID() makes, or any short ref of the bulk format's characters.
CLIENT_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")
QUANTITIES = ("wet_kg", "drc_percent", "dry_kg")


def _float_or_raw(value: Any) -> Any:
    """A typed number as a float (``32,5`` too), else the value as given so the field check words the refusal."""
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            return value
    return value


def delivery_fields(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A delivery's own fields (ref, date, form, quantities) as clean values, and the field errors."""
    c = Checker(raw)
    ref = c.text("ref", max_len=100)
    if ref and not CLIENT_REF_RE.match(ref):
        c.fail("ref", _("A delivery ref is letters, digits, dots, dashes and colons, up to 100 characters."))
    typed = {name: _float_or_raw(raw.get(name)) for name in QUANTITIES}
    if typed["dry_kg"] is not None and (typed["wet_kg"] is None or typed["drc_percent"] is None):
        typed["wet_kg"] = typed["drc_percent"] = None  # dry kg typed wins; a lone wet weight or DRC is not kept
    clean: dict[str, Any] = {"ref": ref}
    try:
        clean.update(check_delivery({"date": raw.get("date"), "form": raw.get("form"), **typed}))
    except FieldErrors as exc:
        for name, message in exc.errors.items():
            c.fail(name, message)
    return clean, dict(c.errors)


# --- lots -------------------------------------------------------------------------------------------------------------
#: Rows of "part of another lot" the lot form offers.
SOURCE_SLOTS = 3


@dataclass
class _LotRecord:
    """The lot form as one record of the import (what its per-record checks read), its problems named after the
    form's fields: ``inputs[n]`` becomes the ticked deliveries or the n-th lot row."""

    raw: dict[str, Any]
    ref: str
    fields_of_inputs: list[str]
    clean: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        match = re.fullmatch(r"inputs\[(\d+)\]", name)
        if match and 0 < int(match.group(1)) <= len(self.fields_of_inputs):
            name = self.fields_of_inputs[int(match.group(1)) - 1]
        elif name == "inputs":
            name = "delivery"
        self.errors.setdefault(name, message)

    def text(self, name: str) -> str | None:
        value = self.raw.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass
class _LotContext:
    organizations: dict[str, str | None]
    trace: TraceFacts


async def lot_fields(holder_ref: str, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The lot form read through the import's per-record lot checks (fields, holder, inputs, no circle of lots):
    clean values (``inputs`` as (delivery, lot, dry kg) in form order) and the errors by form field."""
    c = Checker(raw)
    ref = c.text("ref", max_len=100)
    if ref and not CLIENT_REF_RE.match(ref):
        c.fail("ref", _("A lot ref is letters, digits, dots, dashes and colons, up to 100 characters."))
    ref = ref or new_lot_ref()
    deliveries = [d for d in raw.get("delivery") or [] if isinstance(d, str) and d.strip()]
    inputs: list[dict[str, Any]] = [{"delivery": d.strip()} for d in deliveries]
    fields_of_inputs = ["delivery"] * len(inputs)
    slots: list[str] = []
    for n in range(1, SOURCE_SLOTS + 1):
        source = c.text(f"source_lot_{n}", max_len=100)
        slots.append(source)
        kg = c.number(f"source_kg_{n}", minimum=0, required=bool(source))
        if source and kg is not None:
            inputs.append({"lot": source, "dry_kg": kg})
            fields_of_inputs.append(f"source_lot_{n}")
        elif kg is not None and not source:
            c.fail(f"source_lot_{n}", _("Give the ref of the lot the kilograms come from."))
    document = {
        "ref": ref,
        "holder": holder_ref,
        "inputs": inputs,
        **{k: raw.get(k) for k in ("process", "product_type", "output_dry_kg", "date")},
    }
    record = _LotRecord(raw=document, ref=ref, fields_of_inputs=fields_of_inputs)
    gathering = TraceGathering()
    gathering.add("lots", ref, document)
    facts = await gathering.load()
    context = _LotContext(organizations={holder_ref: None}, trace=facts)
    for check in TRACE_CHECKS["lots"]:
        check(record, context)
    for name, message in record.errors.items():
        c.fail(name, message)
    clean = {
        **(record.clean or {}),
        "ref": ref,
        "inputs": [(i.get("delivery"), i.get("lot"), i.get("dry_kg")) for i in inputs],
        "source_slots": slots,
    }
    return clean, dict(c.errors)
