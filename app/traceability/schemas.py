"""JSON shapes of the traceability API: a lot's answer exactly as TRACEABILITY.md fixes it."""

from __future__ import annotations

import msgspec


class CheckOut(msgspec.Struct):
    code: str
    #: error | warning
    severity: str
    #: the record the check is about (plot, delivery, lot, member)
    ref: str
    message: str


class LotOut(msgspec.Struct):
    """A lot's derived claim, counts and checks (``forestmatch lot REF --json`` answers the same)."""

    lot: str
    holder: str
    product_type: str
    dry_kg: float
    #: "FSC 100%", "FSC Mix", or null (no FSC claim)
    claim: str | None
    certified_percent: int | None
    eudr_ready: bool
    members: int
    plots: int
    deliveries: int
    checks: list[CheckOut]
