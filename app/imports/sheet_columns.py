"""The columns of a spreadsheet of ``forestmatch/1`` records, per section: the field name (the machine key a header
may be), the header people read (translated), what the column holds, whether the section needs it, a description
and an example. The kinds say how a cell becomes a record value (``app.imports.sheets.convert``)."""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import N_


@dataclass(frozen=True)
class Column:
    field: str
    #: text, number, integer, date, list, bool, geometry (GeoJSON text), inputs (a lot's inputs)
    kind: str
    required: bool
    label: str
    help: str
    example: str = ""


TEXT, NUMBER, INTEGER, DATE, LIST, BOOL = "text", "number", "integer", "date", "list", "bool"


def _ref(example: str) -> Column:
    return Column("ref", TEXT, True, N_("Ref"), N_("Your stable identifier (1 to 100 characters)."), example)


def _lat(example: str = "") -> Column:
    return Column("lat", NUMBER, False, N_("Latitude"), N_("Decimal degrees with a point, e.g. 25.04."), example)


def _lon(example: str = "") -> Column:
    return Column("lon", NUMBER, False, N_("Longitude"), N_("Decimal degrees with a point, e.g. -105.42."), example)


_COUNTRY = Column("country", TEXT, False, N_("Country"), N_("ISO 3166-1 alpha-2 code, e.g. MX."), "MX")
_REGION = Column("region", TEXT, False, N_("Region"), N_("ISO 3166-2 code, e.g. MX-DUR."), "MX-DUR")
_ORG = Column("organization", TEXT, True, N_("Organisation"), N_("The ref of the organisation."), "ejido-san-pedro")
_DRC = Column("drc_percent", NUMBER, False, N_("DRC %"), N_("Dry rubber content for kg_latex, 0 to 100."))
_SPECIES = Column("species", LIST, False, N_("Species"), N_("Names separated by ;"), "Pinus durangensis")
_DESCRIPTION = Column("description", TEXT, False, N_("Description"), N_("Free text."))

COLUMNS: dict[str, tuple[Column, ...]] = {
    "organizations": (
        _ref("ejido-san-pedro"),
        Column("name", TEXT, True, N_("Name"), N_("Display name."), "Ejido San Pedro"),
        Column("kind", TEXT, True, N_("Kind"), N_("producer, buyer, both or collector."), "producer"),
        Column("legal_form", TEXT, False, N_("Legal form"), N_("e.g. ejido, cooperative, company."), "ejido"),
        _COUNTRY,
        _REGION,
        Column("locality", TEXT, False, N_("Locality"), N_("Town or place name."), "Santiago Papasquiaro"),
        Column("contact_email", TEXT, False, N_("Contact e-mail"), N_("An e-mail address."), "ventas@example.org"),
        _DESCRIPTION,
        _lat("25.04"),
        _lon("-105.42"),
        Column("languages", LIST, False, N_("Languages"), N_("Language codes separated by ;"), "es"),
    ),
    "certificates": (
        _ref("cert-1"),
        _ORG,
        Column(
            "code", TEXT, True, N_("Certificate code"), N_("As issued, e.g. SCS-FM/COC-004512."), "SCS-FM/COC-004512"
        ),
        Column("license_code", TEXT, False, N_("Licence code"), N_("FSC-C and six digits."), "FSC-C012345"),
        Column("scope", TEXT, True, N_("Scope"), N_("FM, COC, FM/COC or CW/FM."), "FM/COC"),
        Column("status", TEXT, True, N_("Status"), N_("valid, suspended, terminated or expired."), "valid"),
        Column("issued_on", DATE, False, N_("Issued on"), N_("A date cell or YYYY-MM-DD."), "2024-01-15"),
        Column("expires_on", DATE, True, N_("Expires on"), N_("A date cell or YYYY-MM-DD."), "2029-01-14"),
        Column(
            "product_types",
            LIST,
            True,
            N_("Product types"),
            N_("Product type keys separated by ;"),
            "roundwood; sawn_timber",
        ),
        Column("group", BOOL, False, N_("Group certificate"), N_("true or false."), "false"),
    ),
    "offers": (
        _ref("offer-1"),
        _ORG,
        Column("certificate", TEXT, True, N_("Certificate"), N_("The ref of the certificate."), "cert-1"),
        Column("category", TEXT, True, N_("Category"), N_("timber or latex."), "timber"),
        Column("product_type", TEXT, True, N_("Product type"), N_("A product type key."), "sawn_timber"),
        _SPECIES,
        Column("title", TEXT, True, N_("Title"), N_("Up to 200 characters."), "Kiln-dried pine boards"),
        _DESCRIPTION,
        Column("claim", TEXT, True, N_("Claim"), N_("e.g. FSC 100%, FSC Mix."), "FSC 100%"),
        Column("quantity", NUMBER, True, N_("Quantity"), N_("A number greater than zero."), "120"),
        Column("unit", TEXT, True, N_("Unit"), N_("m3, bf, kg_drc, t_drc or kg_latex."), "m3"),
        _DRC,
        Column("min_order", NUMBER, False, N_("Minimum order"), N_("Same unit, not above the quantity."), "10"),
        Column("available_from", DATE, True, N_("Available from"), N_("A date cell or YYYY-MM-DD."), "2026-01-01"),
        Column("available_to", DATE, True, N_("Available to"), N_("A date cell or YYYY-MM-DD."), "2026-12-31"),
        _lat(),
        _lon(),
        Column("price_amount", NUMBER, False, N_("Price"), N_("Amount per unit, with a point: 350.00."), "350.00"),
        Column("price_currency", TEXT, False, N_("Currency"), N_("ISO 4217 code, e.g. USD."), "USD"),
        Column("incoterm", TEXT, False, N_("Incoterm"), N_("Incoterms 2020 code, e.g. FCA."), "FCA"),
        Column("status", TEXT, False, N_("Status"), N_("active, paused or closed."), "active"),
        Column("lots", LIST, False, N_("Lots"), N_("Latex only: lot refs separated by ;")),
    ),
    "requests": (
        _ref("request-1"),
        Column("organization", TEXT, True, N_("Organisation"), N_("The ref of the buyer."), "buyer-ref"),
        Column("title", TEXT, False, N_("Title"), N_("Free text."), "Pine boards for furniture"),
        _DESCRIPTION,
        Column("category", TEXT, True, N_("Category"), N_("timber or latex."), "timber"),
        Column("product_types", LIST, True, N_("Product types"), N_("Product type keys separated by ;"), "sawn_timber"),
        _SPECIES,
        Column("accepted_claims", LIST, True, N_("Accepted claims"), N_("Claims separated by ;"), "FSC 100%; FSC Mix"),
        Column("quantity", NUMBER, True, N_("Quantity"), N_("A number greater than zero."), "80"),
        Column("unit", TEXT, True, N_("Unit"), N_("m3, bf, kg_drc, t_drc or kg_latex."), "m3"),
        _DRC,
        Column("min_per_supplier", NUMBER, False, N_("Minimum per supplier"), N_("Same unit.")),
        Column("partial_ok", BOOL, False, N_("Partial delivery"), N_("true or false."), "true"),
        Column("require_eudr_ready", BOOL, False, N_("EUDR-ready only"), N_("true or false.")),
        Column("delivery_country", TEXT, True, N_("Delivery country"), N_("ISO 3166-1 alpha-2 code."), "MX"),
        Column("delivery_region", TEXT, False, N_("Delivery region"), N_("ISO 3166-2 code."), "MX-JAL"),
        Column("delivery_lat", NUMBER, False, N_("Delivery latitude"), N_("Decimal degrees with a point.")),
        Column("delivery_lon", NUMBER, False, N_("Delivery longitude"), N_("Decimal degrees with a point.")),
        Column("delivery_place", TEXT, False, N_("Delivery place"), N_("Free-text place name."), "Guadalajara"),
        Column("max_distance_km", NUMBER, False, N_("Maximum distance (km)"), N_("Needs the delivery latitude.")),
        Column("needed_from", DATE, True, N_("Needed from"), N_("A date cell or YYYY-MM-DD."), "2026-02-01"),
        Column("needed_by", DATE, True, N_("Needed by"), N_("A date cell or YYYY-MM-DD."), "2026-06-30"),
        Column("status", TEXT, False, N_("Status"), N_("open or closed."), "open"),
    ),
    "members": (
        _ref("member-1"),
        Column("group", TEXT, True, N_("Group"), N_("The ref of the group's organisation."), "coop-ref"),
        Column("name", TEXT, True, N_("Name"), N_("The smallholder's name."), "Ana Souza"),
        Column("member_code", TEXT, True, N_("Member code"), N_("The group's id for the member."), "M-001"),
        Column("country", TEXT, True, N_("Country"), N_("ISO 3166-1 alpha-2 code, e.g. MX."), "BR"),
        Column("region", TEXT, False, N_("Region"), N_("ISO 3166-2 code.")),
        Column("locality", TEXT, False, N_("Locality"), N_("Town or place name.")),
        Column("certified_from", DATE, False, N_("Certified from"), N_("A date cell or YYYY-MM-DD."), "2024-01-01"),
        Column("certified_to", DATE, False, N_("Certified to"), N_("A date cell or YYYY-MM-DD.")),
        Column("consent_share_identity", BOOL, False, N_("Consent to share name"), N_("true or false."), "false"),
    ),
    "plots": (
        _ref("plot-1"),
        Column("member", TEXT, True, N_("Member"), N_("The ref of the member."), "member-1"),
        Column(
            "geometry", "geometry", False, N_("Geometry"), N_("GeoJSON Point or Polygon text, or fill lat and lon.")
        ),
        _lat("-10.2"),
        _lon("-67.8"),
        Column("area_ha", NUMBER, False, N_("Area (ha)"), N_("Hectares; needed for a point."), "2.5"),
        Column("planted_year", INTEGER, False, N_("Planted year"), N_("A year, e.g. 1998."), "1998"),
        Column("country", TEXT, True, N_("Country"), N_("ISO 3166-1 alpha-2 code, e.g. MX."), "BR"),
    ),
    "deliveries": (
        _ref("delivery-1"),
        Column("collector", TEXT, True, N_("Collector"), N_("The ref of the receiving organisation."), "coop-ref"),
        Column("member", TEXT, False, N_("Member"), N_("The ref of the member."), "member-1"),
        Column("plot", TEXT, False, N_("Plot"), N_("The ref of the plot."), "plot-1"),
        Column("date", DATE, True, N_("Date"), N_("A date cell or YYYY-MM-DD."), "2026-03-02"),
        Column("form", TEXT, True, N_("Form"), N_("field_latex or cup_lump."), "cup_lump"),
        Column("dry_kg", NUMBER, False, N_("Dry kg"), N_("Dry rubber kg, or wet kg with DRC %."), "40"),
        Column("wet_kg", NUMBER, False, N_("Wet kg"), N_("Wet kg, with DRC %.")),
        _DRC,
    ),
    "lots": (
        _ref("lot-1"),
        Column("holder", TEXT, True, N_("Holder"), N_("The ref of the organisation holding the lot."), "coop-ref"),
        Column(
            "inputs",
            "inputs",
            True,
            N_("Inputs"),
            N_("Delivery refs, or lot ref=dry kg, separated by ;"),
            "delivery-1; lot-0=12.5",
        ),
        Column("process", TEXT, True, N_("Process"), N_("none, concentrate, tsr, rss or crepe."), "tsr"),
        Column("product_type", TEXT, True, N_("Product type"), N_("A latex product type key."), "tsr"),
        Column("output_dry_kg", NUMBER, True, N_("Output dry kg"), N_("Dry kg of the lot."), "40"),
        Column("date", DATE, True, N_("Date"), N_("A date cell or YYYY-MM-DD."), "2026-03-05"),
    ),
}

#: Sheet columns that are not fields of the format: a plot's point is built from them.
POINT_COLUMNS = ("lat", "lon")
