"""Check messages: English templates marked for extraction, filled without I/O, worded again in a reader's language.

The engine is pure, so it cannot read the reader's locale: each ``Check`` carries its English ``message`` (what the
JSON answer shows) plus the ``N_``-marked template and its values, and ``localized_message`` words it again where
the reader's locale is known (pages, the CLI). Templates with no values hold no ``%%``: ``app.i18n.gettext`` only
applies ``%`` when given values, and ``make_check`` does the same.
"""

from __future__ import annotations

from app.i18n import N_, format_number, gettext
from app.traceability.model import Check
from app.vocab import ALL_PRODUCT_TYPES, label

ERROR = "error"
WARNING = "warning"

#: Message key -> English template (the msgid).
TEMPLATES: dict[str, str] = {
    # GEOM_INVALID
    "geom_type": N_("The plot's geometry must be a GeoJSON Point or Polygon."),
    "geom_coordinates": N_("The plot's geometry has positions that are not longitude/latitude numbers."),
    "geom_few_positions": N_("The plot's outline has fewer than 4 positions."),
    "geom_unclosed": N_("The plot's outline is not closed: its last position must repeat the first."),
    "geom_self_intersection": N_("The plot's outline crosses itself."),
    "geom_hole": N_("The plot's outline has a hole: give its outer ring only."),
    "geom_invalid": N_("The plot's outline is not a valid polygon."),
    "point_no_area": N_("A plot given as a point needs its area in hectares."),
    # Plot checks
    "point_over_limit": N_("The plot is a point but covers %(area)s ha: plots over %(limit)s ha need a polygon."),
    "area_mismatch": N_(
        "The declared area (%(declared)s ha) differs from the outline's area (%(measured)s ha) by more than "
        "%(tolerance)s %%."
    ),
    "outside_country": N_("The plot lies outside its declared country (%(country)s)."),
    "plot_overlap": N_("The plot overlaps plot %(other)s of another member by %(share)s %% of the smaller plot."),
    "duplicate_geometry": N_("The plot has the same geometry as plot %(other)s."),
    "yield_implausible": N_(
        "The plot delivered %(kg_ha)s kg of dry rubber per hectare in the 365 days from %(start)s "
        "(plausible: up to %(limit)s)."
    ),
    "far_from_collector": N_("The plot is %(km)s km from collector %(collector)s (more than %(limit)s km)."),
    # Delivery checks
    "drc_field_latex": N_("Field latex DRC of %(drc)s %% is outside %(low)s-%(high)s %%."),
    "drc_cup_lump": N_("Cup lump DRC of %(drc)s %% is outside %(low)s-%(high)s %%."),
    "too_young": N_("Delivered in %(year)s from a plot planted in %(planted)s: trees are tapped from %(age)s years."),
    "no_origin": N_("The delivery names no member or no plot."),
    "unknown_origin": N_("The delivery's member or plot is not on record."),
    "unknown_delivery": N_("Input delivery %(input)s is not on record."),
    "unknown_lot": N_("Input lot %(input)s is not on record."),
    "empty_input": N_("An input names neither a delivery nor a lot."),
    # MEMBER_NOT_CERTIFIED, by reason (the codes of LotAnswer.out_of_scope)
    "not_in_scope_yet": N_("The member was not in the group certificate's scope yet on %(date)s."),
    "left_scope": N_("The member had left the group certificate's scope by %(date)s."),
    "certificate_not_valid": N_("No certificate of the member's group was valid on %(date)s."),
    "product_not_covered": N_("The group's certificate valid on %(date)s does not cover %(product)s."),
    "no_group_certificate": N_("The member's group holds no certificate."),
    # Lot checks
    "mass_balance": N_("The lot's output (%(output)s kg dry) is more than its inputs (%(inputs)s kg dry)."),
}

Value = str | int | float


def _english(name: str, value: Value) -> str:
    if name == "product" and isinstance(value, str):
        return ALL_PRODUCT_TYPES.get(value, value)  # the vocabulary's msgids are the English labels
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _localized(name: str, value: Value) -> str:
    if name == "product" and isinstance(value, str):
        return label(ALL_PRODUCT_TYPES, value)
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    return format_number(value, 0 if isinstance(value, int) else 2)


def make_check(code: str, severity: str, ref: str, key: str, **params: Value) -> Check:
    """A check whose English message is the template ``key`` filled with ``params``."""
    template = TEMPLATES[key]
    message = template % {k: _english(k, v) for k, v in params.items()} if params else template
    return Check(code, severity, ref, message, msgid=template, params=tuple(sorted(params.items())))


def localized_message(check: Check) -> str:
    """The check's message in the current locale (its stored English text when it carries no template)."""
    if not check.msgid:
        return check.message
    return gettext(check.msgid, **{k: _localized(k, v) for k, v in check.params})
