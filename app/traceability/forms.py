"""What the collectors' pages and API share: a delivery's and a lot's own fields read with the bulk import's rules
(``app.imports.trace_fields``), so typed records and imported ones are refused or stored alike."""

from __future__ import annotations

import re
from typing import Any

from app.i18n import gettext as _
from app.imports.trace_fields import check_delivery
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
