"""The fields of one traceability record (members, plots, deliveries, lots) as ``Checker`` functions: what parses and
is in range becomes clean column values, the rest a field error. Pure: no database, no other records."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from app.i18n import gettext as _
from app.places import check_place
from app.traceability.model import FORMS, PROCESSES
from app.validation import Checker
from app.vocab import ALL_PRODUCT_TYPES, CATEGORIES, PRODUCT_TYPES

#: Positions one polygon may have: a plot outline needs far fewer, and the bound keeps memory and time in check.
MAX_VERTICES = 50_000
FIRST_PLANTED_YEAR = 1900


def is_number(value: Any) -> bool:
    """A JSON number that is finite (true and false are not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- geometry ---------------------------------------------------------------------------------------------------------
def _position_problem(position: Any, where: str) -> str | None:
    """Why one ``[lon, lat]`` position is refused, or None."""
    if not isinstance(position, list) or len(position) not in (2, 3) or not all(is_number(v) for v in position):
        return _("%(where)s: a position is [lon, lat], two numbers.", where=where)
    lon, lat = position[0], position[1]
    if abs(lon) > 180:
        return _("%(where)s: longitude %(lon)s is outside -180 to 180.", where=where, lon=lon)
    if abs(lat) > 90:
        if abs(lon) <= 90:
            return _(
                "%(where)s: latitude %(lat)s is outside -90 to 90. Positions are [lon, lat]: are the two numbers "
                "swapped?",
                where=where,
                lat=lat,
            )
        return _("%(where)s: latitude %(lat)s is outside -90 to 90.", where=where, lat=lat)
    return None


def check_geometry(value: Any) -> tuple[dict[str, Any] | None, str | None]:
    """A GeoJSON Point or Polygon of numbers within ±180 / ±90, as ``(clean geometry, None)`` or ``(None, message)``.

    Ring shape (closed, at least 4 positions, no self-intersection) is not checked here: a ring that parses is
    stored and flagged by the engine's GEOM_INVALID check."""
    if not isinstance(value, dict) or value.get("type") not in ("Point", "Polygon"):
        return None, _("Give a GeoJSON Point or Polygon, with [lon, lat] coordinates.")
    coordinates = value.get("coordinates")
    if value["type"] == "Point":
        problem = _position_problem(coordinates, _("Point"))
        return (None, problem) if problem else ({"type": "Point", "coordinates": coordinates}, None)
    if not isinstance(coordinates, list) or not coordinates or not all(isinstance(r, list) for r in coordinates):
        return None, _("A Polygon's coordinates are a list of rings, each a list of [lon, lat] positions.")
    if sum(len(ring) for ring in coordinates) > MAX_VERTICES:
        return None, _(
            "The polygon has more than %(n)s positions: simplify it (a plot outline needs far fewer).", n="50,000"
        )
    for r, ring in enumerate(coordinates, start=1):
        for p, position in enumerate(ring, start=1):
            problem = _position_problem(position, _("Ring %(ring)s, position %(n)s", ring=r, n=p))
            if problem:
                return None, problem
    return {"type": "Polygon", "coordinates": coordinates}, None


# --- fields of one record ---------------------------------------------------------------------------------------------
def check_member(raw: dict[str, Any]) -> dict[str, Any]:
    """A member's own fields (the group is checked against the document and the database)."""
    c = Checker(raw)
    clean: dict[str, Any] = {
        "name": c.text("name", required=True, max_len=200),
        "member_code": c.text("member_code", required=True, max_len=60),
        "locality": c.text("locality", max_len=120),
        "consent_share_identity": c.boolean("consent_share_identity"),
    }
    clean["country"], clean["region"] = check_place(c, "country", "region", required=True)
    clean["certified_from"], clean["certified_to"] = c.date_window("certified_from", "certified_to", required=False)
    c.raise_if_errors()
    return clean


def check_plot(raw: dict[str, Any]) -> dict[str, Any]:
    """A plot's own fields: a parseable geometry in range, an area for a point, a plausible planting year."""
    c = Checker(raw)
    geometry, problem = check_geometry(raw.get("geometry"))
    if problem:
        c.fail("geometry", problem)
    area = c.number("area_ha", positive=True, maximum=1_000_000)
    if geometry and geometry["type"] == "Point" and area is None and "area_ha" not in c.errors:
        c.fail("area_ha", _("A plot given as a point needs area_ha (hectares)."))
    year = raw.get("planted_year")
    this_year = dt.date.today().year
    if year is not None and (not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= this_year):
        c.fail(
            "planted_year", _("Enter a year between %(first)s and %(last)s.", first=FIRST_PLANTED_YEAR, last=this_year)
        )
    country, _region = check_place(c, "country", "region", required=True)
    c.raise_if_errors()
    return {
        "geometry": geometry,
        "area_ha": area,
        "planted_year": year,
        "country": country,
    }


def check_delivery(raw: dict[str, Any]) -> dict[str, Any]:
    """A delivery's own fields: a date, a form, and dry kg or wet kg with a DRC between 0 and 100 %."""
    c = Checker(raw)
    clean: dict[str, Any] = {
        "date": c.date("date", required=True),
        "form": c.choice("form", FORMS, required=True),
        "wet_kg": c.number("wet_kg", minimum=0),
        "dry_kg": c.number("dry_kg", minimum=0),
        "drc_percent": None,
    }
    drc = raw.get("drc_percent")
    if drc is not None:
        if is_number(drc) and 0 <= drc <= 100:
            clean["drc_percent"] = float(drc)
        else:
            c.fail("drc_percent", _("The DRC is a percentage: a number from 0 to 100."))
    quantities = ("wet_kg", "dry_kg", "drc_percent")
    if not any(name in c.errors for name in quantities) and clean["dry_kg"] is None:
        if clean["wet_kg"] is None or clean["drc_percent"] is None:
            c.fail("dry_kg", _("Give dry_kg, or wet_kg with drc_percent."))
    c.raise_if_errors()
    return clean


def check_lot(raw: dict[str, Any]) -> dict[str, Any]:
    """A lot's own fields (its holder and inputs are checked against the document and the database)."""
    c = Checker(raw)
    clean: dict[str, Any] = {
        "process": c.choice("process", PROCESSES, required=True),
        "product_type": c.choice(
            "product_type",
            PRODUCT_TYPES["latex"],
            required=True,
            vocabulary=ALL_PRODUCT_TYPES,
            context=_(CATEGORIES["latex"]),
        ),
        "output_dry_kg": c.number("output_dry_kg", required=True, minimum=0),
        "date": c.date("date", required=True),
    }
    c.raise_if_errors()
    return clean
