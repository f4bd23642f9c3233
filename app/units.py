"""Quantity conversion to the canonical unit of each product family (m³ for timber, kg DRC for latex)."""

from __future__ import annotations

from decimal import Decimal

from app.vocab import BOARD_FEET_PER_M3, CANONICAL_UNIT, UNITS


class UnitError(ValueError):
    """A unit that does not belong to the category, or a wet-latex quantity without DRC %."""


def to_canonical(category: str, quantity: float | Decimal, unit: str, drc_percent: float | None = None) -> float:
    """Convert an entered quantity into the category's canonical unit."""
    if category not in UNITS or unit not in UNITS[category]:
        raise UnitError(f"unit {unit!r} is not valid for {category!r}")
    q = float(quantity)
    if unit in ("m3", "kg_drc"):
        return q
    if unit == "bf":
        return q / BOARD_FEET_PER_M3
    if unit == "t_drc":
        return q * 1000.0
    if unit == "kg_latex":
        if drc_percent is None or not (0 < drc_percent <= 100):
            raise UnitError("wet latex needs a dry rubber content between 0 and 100 %")
        return q * drc_percent / 100.0
    raise UnitError(f"no conversion for {unit!r}")  # pragma: no cover - guarded above


def canonical_unit(category: str) -> str:
    return CANONICAL_UNIT[category]
