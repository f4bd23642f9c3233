"""Deals in the reader's words: the figures a deal event stores, and the lines a thread's history, a notification
and the deal form show ('40 m³ at $350.00 per m³, $14,000.00 in all (deal of May 12, 2026)'). Reading only: no
queries, so notifications can word a deal without importing the messaging services."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel import numbers as babel_numbers

from app.i18n import N_, babel_locale, format_date, format_money, format_number
from app.i18n import gettext as _
from app.vocab import UNITS, label

CENT = Decimal("0.01")
UNIT_PRICE_DECIMALS = 6
ALL_UNITS = {k: v for units in UNITS.values() for k, v in units.items()}
#: "per <unit>" in words (a price is per one unit: "per board foot", not "per board feet").
PER_UNIT: dict[str, str] = {
    "m3": N_("per m³"),
    "bf": N_("per board foot"),
    "kg_drc": N_("per kg DRC"),
    "t_drc": N_("per t DRC"),
    "kg_latex": N_("per kg of wet latex"),
}


def decimal_or_none(value: Any) -> Decimal | None:
    """A finite Decimal from a stored or typed value; None for anything else."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def deal_figures(details: dict[str, Any]) -> dict[str, Any]:
    """A deal's figures as stored, with the unit price derived for deals recorded before it was kept."""
    quantity = decimal_or_none(details.get("quantity"))
    total = decimal_or_none(details.get("price"))
    unit_price = decimal_or_none(details.get("unit_price"))
    if unit_price is None and total is not None and quantity:
        derived = (total / quantity).quantize(Decimal(1).scaleb(-UNIT_PRICE_DECIMALS), rounding=ROUND_HALF_UP)
        unit_price = derived.normalize()
        if unit_price.as_tuple().exponent > -2:  # type: ignore[operator]
            unit_price = unit_price.quantize(CENT)
    return {
        "quantity": quantity,
        "unit": details.get("unit") or "",
        "drc_percent": details.get("drc_percent"),
        "unit_price": unit_price,
        "total": total,
        "currency": details.get("currency") or "",
        "date": details.get("date") or "",
    }


def unit_money(amount: Decimal, currency: str) -> str:
    """A price per unit in the reader's locale, keeping fractions of a cent ('US$0.90025')."""
    if -amount.as_tuple().exponent <= 2:  # type: ignore[operator]
        return format_money(amount, currency)
    return babel_numbers.format_currency(amount, currency, locale=babel_locale(), decimal_quantization=False)


def _date_words(value: str) -> str:
    try:
        return format_date(dt.date.fromisoformat(value))
    except (TypeError, ValueError):
        return value


def quantity_words(figures: dict[str, Any]) -> str:
    """'40 m³', '1,200 kg wet latex (35 % DRC)' in the reader's language."""
    unit = label(ALL_UNITS, figures["unit"])
    text = f"{format_number(figures['quantity'], 3)} {unit}" if figures["quantity"] is not None else unit
    if figures["unit"] == "kg_latex" and figures["drc_percent"]:
        text = _("%(quantity)s (%(drc)s DRC)", quantity=text, drc=f"{format_number(figures['drc_percent'], 1)} %")
    return text


def deal_words(details: dict[str, Any]) -> str:
    """One line for a deal in the reader's language: '40 m³ at $350.00 per m³, $14,000.00 in all (deal of May 12,
    2026)'."""
    f = deal_figures(details)
    currency = f["currency"]
    if f["unit_price"] is None or f["total"] is None or not currency:
        return quantity_words(f)
    return _(
        "%(quantity)s at %(unit_price)s %(per_unit)s, %(total)s in all (deal of %(date)s)",
        quantity=quantity_words(f),
        unit_price=unit_money(f["unit_price"], currency),
        per_unit=label(PER_UNIT, f["unit"]),
        total=format_money(f["total"], currency),
        date=_date_words(f["date"]),
    )


def history_lines(events: list[dict[str, Any]]) -> dict[int, str]:
    """What each deal event of a thread says, in the reader's words, by event id: the terms of a recorded or
    corrected deal, and which deal a confirmation or a correction is about (by its date and figures, never an id)."""
    by_id = {e["id"]: e for e in events}
    lines: dict[int, str] = {}
    for e in events:
        details = e.get("details") or {}
        if e["state"] == "deal_closed":
            lines[e["id"]] = deal_words(details)
        elif e["state"] == "corrected":
            target = by_id.get(details.get("corrects"))
            about = (
                _("corrects the deal of %(date)s", date=_date_words((target.get("details") or {}).get("date", "")))
                if target
                else _("corrects an earlier deal")
            )
            lines[e["id"]] = f"{deal_words(details)} · {about}"
        elif e["state"] == "deal_confirmed":
            target = by_id.get(details.get("event_id"))
            if target:
                terms = target.get("details") or {}
                lines[e["id"]] = _(
                    "confirms the deal of %(date)s (%(quantity)s)",
                    date=_date_words(terms.get("date", "")),
                    quantity=quantity_words(deal_figures(terms)),
                )
            else:
                lines[e["id"]] = _("confirms an earlier deal")
    return lines
