"""The traceability sections of forestmatch/1 (members, plots, deliveries, lots): import, idempotent re-import,
references to stored records, every refusal with its exact message, nothing half-written, export round trip."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from app.accounts.tables import Organization
from app.imports.services import ImportRejected, export_document, import_document
from app.traceability.tables import Delivery, Lot, LotInput, Member, Plot
from tests.clock import today

SQUARE = [[-67.80, -9.97], [-67.79, -9.97], [-67.79, -9.96], [-67.80, -9.96], [-67.80, -9.97]]


def d(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


def trace_doc() -> dict[str, Any]:
    """A group with a group certificate and two members, their plots, a collector's three deliveries and two lots
    (lot-2 draws 300 kg of lot-1)."""
    return {
        "format": "forestmatch/1",
        "organizations": [
            {"ref": "coop-acre", "name": "Cooperativa Acre", "kind": "producer", "country": "BR", "lat": -9.97,
             "lon": -67.81},
            {"ref": "usina-rio", "name": "Usina Rio Branco", "kind": "collector", "country": "BR", "lat": -9.9,
             "lon": -67.7},
        ],
        "certificates": [
            {"ref": "cert-g", "organization": "coop-acre", "code": "IMA-FM/COC-000111", "scope": "FM/COC",
             "status": "valid", "issued_on": d(-800), "expires_on": d(800), "product_types": ["field_latex", "tsr"],
             "group": True},
        ],
        "members": [
            {"ref": "m-1", "group": "coop-acre", "name": "Maria Souza", "member_code": "A-001", "country": "BR",
             "region": "BR-AC", "locality": "Xapuri", "certified_from": d(-700), "consent_share_identity": True},
            {"ref": "m-2", "group": "coop-acre", "name": "João Lima", "member_code": "A-002", "country": "BR",
             "locality": "Xapuri"},
        ],
        "plots": [
            {"ref": "p-1", "member": "m-1", "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
             "area_ha": 121.3, "planted_year": 2001, "country": "BR"},
            {"ref": "p-2", "member": "m-2", "geometry": {"type": "Point", "coordinates": [-67.85, -10.01]},
             "area_ha": 2.5, "country": "BR"},
        ],
        "deliveries": [
            {"ref": "del-1", "collector": "usina-rio", "member": "m-1", "plot": "p-1", "date": d(-30),
             "form": "field_latex", "wet_kg": 1000, "drc_percent": 32},
            {"ref": "del-2", "collector": "usina-rio", "member": "m-2", "plot": "p-2", "date": d(-29),
             "form": "cup_lump", "dry_kg": 150},
            {"ref": "del-3", "collector": "usina-rio", "date": d(-28), "form": "cup_lump", "dry_kg": 90},
        ],
        "lots": [
            {"ref": "lot-1", "holder": "usina-rio", "inputs": [{"delivery": "del-1"}, {"delivery": "del-2"}],
             "process": "tsr", "product_type": "tsr", "output_dry_kg": 460, "date": d(-20)},
            {"ref": "lot-2", "holder": "usina-rio", "inputs": [{"lot": "lot-1", "dry_kg": 300},
                                                             {"delivery": "del-3"}],
             "process": "tsr", "product_type": "tsr", "output_dry_kg": 380, "date": d(-10)},
        ],
    }  # fmt: skip


async def counts() -> dict[str, int]:
    return {
        "members": await Member.count(),
        "plots": await Plot.count(),
        "deliveries": await Delivery.count(),
        "lots": await Lot.count(),
        "lot_inputs": await LotInput.count(),
    }


async def lot_inputs(ref: str) -> list[tuple[str | None, str | None, float | None]]:
    rows = (
        await LotInput.select(
            LotInput.delivery.ref.as_alias("delivery"), LotInput.source_lot.ref.as_alias("lot"), LotInput.dry_kg
        )
        .where(LotInput.lot.ref == ref)
        .order_by(LotInput.position)
    )
    return [(r["delivery"], r["lot"], r["dry_kg"]) for r in rows]


async def test_import_creates_the_traceability_records(clean_db: str) -> None:
    summary = await import_document(trace_doc())
    assert summary.created == {
        "organizations": 2,
        "certificates": 1,
        "offers": 0,
        "requests": 0,
        "members": 2,
        "plots": 2,
        "deliveries": 3,
        "lots": 2,
    }
    assert await counts() == {"members": 2, "plots": 2, "deliveries": 3, "lots": 2, "lot_inputs": 4}
    member = (
        await Member.select(Member.all_columns(), Member.group.ref.as_alias("g")).where(Member.ref == "m-1").first()
    )
    assert (member["g"], member["name"], member["member_code"], member["region"], member["locality"]) == (
        "coop-acre",
        "Maria Souza",
        "A-001",
        "BR-AC",
        "Xapuri",
    )
    assert (member["certified_from"], member["certified_to"], member["consent_share_identity"]) == (
        today() - dt.timedelta(days=700),
        None,
        True,
    )
    plot = await Plot.select(Plot.all_columns()).where(Plot.ref == "p-1").output(load_json=True).first()
    assert plot["geometry"] == {"type": "Polygon", "coordinates": [SQUARE]}
    assert (plot["area_ha"], plot["planted_year"], plot["country"]) == (121.3, 2001, "BR")
    delivery = (
        await Delivery.select(
            Delivery.all_columns(), Delivery.collector.ref.as_alias("c"), Delivery.plot.ref.as_alias("p")
        )
        .where(Delivery.ref == "del-1")
        .first()
    )
    assert (delivery["c"], delivery["p"], delivery["form"], delivery["wet_kg"], delivery["drc_percent"]) == (
        "usina-rio",
        "p-1",
        "field_latex",
        1000.0,
        32.0,
    )
    assert delivery["dry_kg"] is None
    orphan = await Delivery.select(Delivery.member, Delivery.plot).where(Delivery.ref == "del-3").first()
    assert orphan == {"member": None, "plot": None}
    assert await lot_inputs("lot-1") == [("del-1", None, None), ("del-2", None, None)]
    assert await lot_inputs("lot-2") == [(None, "lot-1", 300.0), ("del-3", None, None)]
    assert await Organization.select(Organization.kind).where(Organization.ref == "usina-rio").first() == {
        "kind": "collector"
    }


async def test_reimport_changes_nothing(clean_db: str) -> None:
    await import_document(trace_doc())
    before_stamps = await Lot.select(Lot.ref, Lot.updated_at).order_by(Lot.ref)
    before_inputs = await LotInput.select(LotInput.id).order_by(LotInput.id)
    again = await import_document(trace_doc())
    assert again.created == dict.fromkeys(again.sections, 0)
    assert again.updated == dict.fromkeys(again.sections, 0)
    assert again.unchanged == {
        "organizations": 2,
        "certificates": 1,
        "offers": 0,
        "requests": 0,
        "members": 2,
        "plots": 2,
        "deliveries": 3,
        "lots": 2,
    }
    assert not again.trace.any()
    assert await Lot.select(Lot.ref, Lot.updated_at).order_by(Lot.ref) == before_stamps
    assert await LotInput.select(LotInput.id).order_by(LotInput.id) == before_inputs


async def test_changed_records_are_updated_in_place(clean_db: str) -> None:
    await import_document(trace_doc())
    doc = trace_doc()
    doc["members"][1]["certified_from"] = d(-100)
    doc["lots"][1]["inputs"] = [{"lot": "lot-1", "dry_kg": 250}]  # the inputs alone change
    summary = await import_document(doc)
    assert (summary.updated["members"], summary.unchanged["members"]) == (1, 1)
    assert (summary.updated["lots"], summary.unchanged["lots"]) == (1, 1)
    assert summary.trace.members == ["m-2"]
    assert summary.trace.lots == ["lot-2"]
    assert await lot_inputs("lot-2") == [(None, "lot-1", 250.0)]
    assert await LotInput.count() == 3


async def test_records_may_name_stored_records(clean_db: str) -> None:
    first = trace_doc()
    first["deliveries"], first["lots"] = [], []
    await import_document(first)
    later = trace_doc()
    for section in ("organizations", "certificates", "members", "plots"):
        later[section] = []
    summary = await import_document(later)
    assert summary.sections == ("organizations", "certificates", "offers", "requests", "deliveries", "lots")
    assert (summary.created["deliveries"], summary.created["lots"]) == (3, 2)
    assert await lot_inputs("lot-2") == [(None, "lot-1", 300.0), ("del-3", None, None)]
    # A third document draws from a stored lot.
    third = {
        "format": "forestmatch/1",
        "lots": [
            {"ref": "lot-3", "holder": "coop-acre", "inputs": [{"lot": "lot-2", "dry_kg": 10}], "process": "none",
             "product_type": "tsr", "output_dry_kg": 10, "date": d(-1)},
        ],
    }  # fmt: skip
    assert (await import_document(third)).created["lots"] == 1


def _mutate(doc: dict[str, Any], section: str, index: int, **changes: Any) -> dict[str, Any]:
    for key, value in changes.items():
        if value is ...:
            doc[section][index].pop(key, None)
        else:
            doc[section][index][key] = value
    return doc


REFUSALS = [
    (
        "plots",
        1,
        {"geometry": {"type": "Point", "coordinates": [-10.01, -167.85]}},
        "p-2",
        "geometry",
        "Point: latitude -167.85 is outside -90 to 90. Positions are [lon, lat]: are the two numbers swapped?",
    ),
    (
        "plots",
        1,
        {"geometry": {"type": "Point", "coordinates": [-190, 10]}},
        "p-2",
        "geometry",
        "Point: longitude -190 is outside -180 to 180.",
    ),
    (
        "plots",
        0,
        {"geometry": {"type": "Polygon", "coordinates": [[[-67.8, -9.97], [-67.79, "x"], [-67.8, -9.97]]]}},
        "p-1",
        "geometry",
        "Ring 1, position 2: a position is [lon, lat], two numbers.",
    ),
    (
        "plots",
        0,
        {"geometry": {"type": "LineString", "coordinates": SQUARE}},
        "p-1",
        "geometry",
        "Give a GeoJSON Point or Polygon, with [lon, lat] coordinates.",
    ),
    ("plots", 1, {"area_ha": ...}, "p-2", "area_ha", "A plot given as a point needs area_ha (hectares)."),
    ("plots", 1, {"member": "m-9"}, "p-2", "member", "Unknown member ref m-9."),
    ("deliveries", 0, {"drc_percent": 120}, "del-1", "drc_percent", "The DRC is a percentage: a number from 0 to 100."),
    ("deliveries", 1, {"dry_kg": -5}, "del-2", "dry_kg", "Enter a number of at least 0."),
    ("deliveries", 0, {"drc_percent": ...}, "del-1", "dry_kg", "Give dry_kg, or wet_kg with drc_percent."),
    ("deliveries", 0, {"form": "slab"}, "del-1", "form", "Unknown value 'slab'. Choose one of: field_latex, cup_lump."),
    ("deliveries", 0, {"plot": "p-2"}, "del-1", "plot", "Plot p-2 belongs to member m-2, not to m-1."),
    ("deliveries", 2, {"plot": "p-9"}, "del-3", "plot", "Unknown plot ref p-9."),
    ("deliveries", 2, {"collector": "nobody"}, "del-3", "collector", "Unknown organisation ref nobody."),
    (
        "lots",
        0,
        {"process": "vulcanised"},
        "lot-1",
        "process",
        "Unknown value 'vulcanised'. Choose one of: none, concentrate, tsr, rss, crepe.",
    ),
    (
        "lots",
        0,
        {"product_type": "sawn_timber"},
        "lot-1",
        "product_type",
        "Unknown value 'sawn_timber'. Choose one of: field_latex, latex_concentrate, rss, tsr, cup_lump, crepe.",
    ),
    (
        "lots",
        0,
        {"inputs": [{"delivery": "del-1", "lot": "lot-2", "dry_kg": 1}]},
        "lot-1",
        "inputs[1]",
        "An input names a delivery or a lot, not both.",
    ),
    (
        "lots",
        0,
        {"inputs": [{"dry_kg": 1}]},
        "lot-1",
        "inputs[1]",
        'An input is {"delivery": ref} or {"lot": ref, "dry_kg": n}.',
    ),
    ("lots", 0, {"inputs": [{"delivery": "del-9"}]}, "lot-1", "inputs[1]", "Unknown delivery ref del-9."),
    ("lots", 1, {"inputs": [{"lot": "lot-9", "dry_kg": 3}]}, "lot-2", "inputs[1]", "Unknown lot ref lot-9."),
    (
        "lots",
        1,
        {"inputs": [{"lot": "lot-1"}]},
        "lot-2",
        "inputs[1]",
        "An input drawn from a lot needs dry_kg, a number of at least 0.",
    ),
    ("lots", 0, {"inputs": []}, "lot-1", "inputs", "A lot needs at least one input."),
    ("members", 1, {"member_code": "A-001"}, "m-2", "member_code",
     "Group coop-acre lists member code A-001 twice (refs m-1 and m-2)."),
    ("members", 0, {"group": "nowhere"}, "m-1", "group", "Unknown organisation ref nowhere."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("section", "index", "changes", "ref", "field", "message"), REFUSALS, ids=[r[-1][:40] for r in REFUSALS]
)
async def test_each_refusal_names_record_field_and_message(
    clean_db: str, section: str, index: int, changes: dict[str, Any], ref: str, field: str, message: str
) -> None:
    doc = _mutate(trace_doc(), section, index, **changes)
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    assert [p.as_dict() for p in caught.value.problems] == [
        {"section": section, "ref": ref, "field": field, "message": message}
    ]
    assert await counts() == {"members": 0, "plots": 0, "deliveries": 0, "lots": 0, "lot_inputs": 0}
    assert await Organization.count() == 0


async def test_every_problem_listed_and_nothing_half_written(clean_db: str) -> None:
    await import_document(trace_doc())
    doc = trace_doc()
    doc["members"][0]["name"] = "Maria Souza Lima"  # valid, must not be written
    doc["plots"][1]["geometry"] = {"type": "Point", "coordinates": [-10.0, 95.0]}
    doc["lots"][0]["inputs"] = [{"lot": "lot-2", "dry_kg": 5}]  # lot-1 <- lot-2 <- lot-1
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    assert [p.as_dict() for p in caught.value.problems] == [
        {
            "section": "plots",
            "ref": "p-2",
            "field": "geometry",
            "message": "Point: latitude 95.0 is outside -90 to 90. Positions are [lon, lat]: are the two numbers "
            "swapped?",
        },
        {
            "section": "lots",
            "ref": "lot-1",
            "field": "inputs",
            "message": "Lots draw from each other in a circle: lot-1 -> lot-2 -> lot-1.",
        },
        {
            "section": "lots",
            "ref": "lot-2",
            "field": "inputs",
            "message": "Lots draw from each other in a circle: lot-2 -> lot-1 -> lot-2.",
        },
    ]
    assert await Member.select(Member.name).where(Member.ref == "m-1").first() == {"name": "Maria Souza"}
    assert await lot_inputs("lot-1") == [("del-1", None, None), ("del-2", None, None)]


async def test_member_code_taken_in_the_database_and_buyer_as_collector(clean_db: str) -> None:
    await import_document(trace_doc())
    doc = {
        "format": "forestmatch/1",
        "organizations": [{"ref": "buyer-x", "name": "Pneus SA", "kind": "buyer", "country": "BR"}],
        "members": [{"ref": "m-3", "group": "coop-acre", "name": "Ana", "member_code": "A-002", "country": "BR"}],
        "deliveries": [
            {"ref": "del-9", "collector": "buyer-x", "date": d(-3), "form": "cup_lump", "dry_kg": 10},
        ],
    }
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    assert [(p.ref, p.field, p.message) for p in caught.value.problems] == [
        ("m-3", "member_code", "Group coop-acre already has member code A-002 under ref m-2."),
        ("del-9", "collector", "Organisation buyer-x does not receive latex: it is not a collector."),
    ]


async def test_polygon_over_fifty_thousand_positions_is_refused(clean_db: str) -> None:
    doc = trace_doc()
    ring = [[-67.8 + i * 1e-7, -9.97] for i in range(50_001)]
    doc["plots"][0]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    with pytest.raises(ImportRejected) as caught:
        await import_document(doc)
    assert [(p.ref, p.field, p.message) for p in caught.value.problems] == [
        ("p-1", "geometry", "The polygon has more than 50,000 positions: simplify it (a plot outline needs far fewer).")
    ]


async def test_a_polygon_that_parses_is_stored_for_the_checks(clean_db: str) -> None:
    """An unclosed ring of three positions parses: it is stored (GEOM_INVALID flags it later), not refused."""
    doc = trace_doc()
    open_ring = [[-67.80, -9.97], [-67.79, -9.97], [-67.79, -9.96]]
    doc["plots"][0]["geometry"] = {"type": "Polygon", "coordinates": [open_ring]}
    await import_document(doc)
    stored = await Plot.select(Plot.geometry).where(Plot.ref == "p-1").output(load_json=True).first()
    assert stored == {"geometry": {"type": "Polygon", "coordinates": [open_ring]}}


async def test_export_includes_the_sections_and_round_trips(clean_db: str) -> None:
    await import_document(trace_doc())
    exported = await export_document()
    assert [m["ref"] for m in exported["members"]] == ["m-1", "m-2"]
    assert exported["plots"][1] == {
        "ref": "p-2",
        "member": "m-2",
        "geometry": {"type": "Point", "coordinates": [-67.85, -10.01]},
        "area_ha": 2.5,
        "planted_year": None,
        "country": "BR",
    }
    assert exported["deliveries"][2] == {
        "ref": "del-3",
        "collector": "usina-rio",
        "member": None,
        "plot": None,
        "date": d(-28),
        "form": "cup_lump",
        "wet_kg": None,
        "drc_percent": None,
        "dry_kg": 90,
    }
    assert exported["lots"][1]["inputs"] == [{"lot": "lot-1", "dry_kg": 300}, {"delivery": "del-3"}]
    again = await import_document(copy.deepcopy(exported))
    assert again.created == dict.fromkeys(again.sections, 0)
    assert again.updated == dict.fromkeys(again.sections, 0)
