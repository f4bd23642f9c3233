"""Loading one lot's graph from the database into the model values the engine reads (no engine involved)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.certificates.tables import Certificate
from app.imports.services import import_document
from app.traceability import model
from app.traceability.graph import load_lot_graph
from app.traceability.tables import Plot
from app.validation import NotFound
from tests.clock import today
from tests.integration.test_traceability_import import SQUARE, trace_doc


def day(days: int) -> dt.date:
    return today() + dt.timedelta(days=days)


async def test_graph_of_a_lot_of_lots(clean_db: str) -> None:
    await import_document(trace_doc())
    await Plot.update(
        {Plot.checks: [{"code": "AREA_MISMATCH", "severity": "error", "ref": "p-1", "message": "m"}]}
    ).where(Plot.ref == "p-1")
    graph = await load_lot_graph("lot-2")
    assert graph.lot == "lot-2"
    assert graph.lot_id > 0
    assert graph.lots == {
        "lot-2": model.Lot(
            ref="lot-2",
            holder="usina-rio",
            inputs=(model.LotInput(lot="lot-1", dry_kg=300.0), model.LotInput(delivery="del-3")),
            process="tsr",
            product_type="tsr",
            output_dry_kg=380.0,
            date=day(-10),
        ),
        "lot-1": model.Lot(
            ref="lot-1",
            holder="usina-rio",
            inputs=(model.LotInput(delivery="del-1"), model.LotInput(delivery="del-2")),
            process="tsr",
            product_type="tsr",
            output_dry_kg=460.0,
            date=day(-20),
        ),
    }
    assert graph.deliveries == {
        "del-1": model.Delivery(
            ref="del-1",
            collector="usina-rio",
            member="m-1",
            plot="p-1",
            date=day(-30),
            form="field_latex",
            wet_kg=1000.0,
            drc_percent=32.0,
        ),
        "del-2": model.Delivery(
            ref="del-2", collector="usina-rio", member="m-2", plot="p-2", date=day(-29), form="cup_lump", dry_kg=150.0
        ),
        "del-3": model.Delivery(
            ref="del-3", collector="usina-rio", member=None, plot=None, date=day(-28), form="cup_lump", dry_kg=90.0
        ),
    }
    assert graph.deliveries["del-1"].dry == 320.0
    assert graph.members["m-1"] == model.Member(
        ref="m-1",
        group="coop-acre",
        name="Maria Souza",
        member_code="A-001",
        country="BR",
        region="BR-AC",
        locality="Xapuri",
        certified_from=day(-700),
        certified_to=None,
        consent_share_identity=True,
    )
    assert sorted(graph.members) == ["m-1", "m-2"]
    assert graph.plots == {
        "p-1": model.Plot(
            ref="p-1",
            member="m-1",
            geometry={"type": "Polygon", "coordinates": [SQUARE]},
            area_ha=121.3,
            planted_year=2001,
            country="BR",
        ),
        "p-2": model.Plot(
            ref="p-2",
            member="m-2",
            geometry={"type": "Point", "coordinates": [-67.85, -10.01]},
            area_ha=2.5,
            planted_year=None,
            country="BR",
        ),
    }
    assert graph.plot_checks == {
        "p-1": [model.Check(code="AREA_MISMATCH", severity="error", ref="p-1", message="m")],
        "p-2": [],
    }
    assert graph.certificates == {
        "coop-acre": [
            model.GroupCertificate(
                ref="cert-g",
                group="coop-acre",
                status="valid",
                issued_on=day(-800),
                expires_on=day(800),
                product_types=frozenset({"field_latex", "tsr"}),
                invalid_since=None,
            )
        ]
    }
    assert graph.collectors == {"usina-rio": (-9.9, -67.7)}


async def test_graph_leaves_out_rejected_and_single_certificates(clean_db: str) -> None:
    doc = trace_doc()
    doc["certificates"].append(
        {**doc["certificates"][0], "ref": "cert-single", "code": "IMA-FM/COC-000222", "group": False}
    )
    await import_document(doc)
    await Certificate.update({Certificate.verification: "rejected"}).where(Certificate.ref == "cert-g")
    graph = await load_lot_graph("lot-1")
    assert graph.certificates == {}
    assert sorted(graph.lots) == ["lot-1"]


async def test_unknown_lot_is_not_found(clean_db: str) -> None:
    with pytest.raises(NotFound):
        await load_lot_graph("no-such-lot")
