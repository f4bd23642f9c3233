"""Traceability services over a real database and the engine: a lot's stored answer, deriving again after an import
changes what a lot depends on, who reads what, and the due-diligence files."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.accounts.services import CurrentUser
from app.imports.services import import_document
from app.traceability.engine import localized_message
from app.traceability.graph import check_from_json, load_lot_graph
from app.traceability.services import (
    LotHasErrors,
    dds_documents,
    lot_answer,
    lot_detail,
    lot_for_user,
    may_see_detail,
    public_summary,
    recompute_for,
    stored_answer,
)
from app.traceability.tables import LotResult, Plot
from app.validation import NotFound
from tests.clock import today
from tests.integration.test_traceability_import import trace_doc


def d(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


def not_yet(days: int) -> dict[str, Any]:
    return {
        "code": "MEMBER_NOT_CERTIFIED",
        "severity": "warning",
        "ref": "m-2",
        "message": f"The member was not in the group certificate's scope yet on {d(days)}.",
    }


LOT_1 = {
    "lot": "lot-1",
    "holder": "usina-rio",
    "product_type": "tsr",
    "dry_kg": 460.0,
    "claim": "FSC Mix",
    "certified_percent": 68,  # 320 kg certified of 470 kg
    "eudr_ready": True,
    "members": 2,
    "plots": 2,
    "deliveries": 2,
    "checks": [not_yet(-29)],
}


def user(org_ref: str, role: str = "producer") -> CurrentUser:
    return CurrentUser(
        id=1,
        email="someone@example.org",
        name="Someone",
        role=role,
        organization_id=1,
        organization_name=org_ref,
        organization_ref=org_ref,
        organization_kind="producer",
        locale="en",
    )


async def test_import_derives_and_stores_each_lot(clean_db: str) -> None:
    await import_document(trace_doc())
    assert await LotResult.count() == 2
    assert await stored_answer("lot-1") == LOT_1
    row = await LotResult.select().where(LotResult.lot.ref == "lot-1").first()
    assert (row["claim"], row["certified_percent"], row["eudr_ready"]) == ("FSC Mix", 68, True)
    assert (row["members"], row["plots"], row["deliveries"]) == (2, 2, 2)
    lot_2 = await stored_answer("lot-2")
    assert (lot_2["claim"], lot_2["certified_percent"], lot_2["eudr_ready"]) == (None, None, False)
    assert [(c["code"], c["ref"]) for c in lot_2["checks"]] == [("NO_ORIGIN", "del-3"), ("MEMBER_NOT_CERTIFIED", "m-2")]
    # Deriving again the same records leaves the stored row as it was.
    answer = await lot_answer("lot-1")
    assert answer.as_json() == LOT_1
    assert await LotResult.select(LotResult.computed_at).where(LotResult.lot.ref == "lot-1").first() == {
        "computed_at": row["computed_at"]
    }


async def test_reimport_with_a_member_in_scope_derives_the_lots_again(clean_db: str) -> None:
    await import_document(trace_doc())
    doc = trace_doc()
    doc["members"][1]["certified_from"] = d(-100)
    doc["certificates"][0]["product_types"].append("cup_lump")  # m-2 delivered cup lump
    await import_document(doc)
    assert await stored_answer("lot-1") == {**LOT_1, "claim": "FSC 100%", "certified_percent": 100, "checks": []}
    lot_2 = await stored_answer("lot-2")  # draws from lot-1: derived again too
    assert [(c["code"], c["ref"]) for c in lot_2["checks"]] == [("NO_ORIGIN", "del-3")]


async def test_a_plot_fixed_by_import_clears_its_check_on_the_lots(clean_db: str) -> None:
    doc = trace_doc()
    doc["plots"][0]["area_ha"] = 12.1  # the outline is about 121 ha
    await import_document(doc)
    checks = (await Plot.select(Plot.checks).where(Plot.ref == "p-1").output(load_json=True).first())["checks"]
    assert [(c["code"], c["severity"]) for c in checks] == [("AREA_MISMATCH", "error")]
    # Stored with its template, so a reader's language can word it again.
    assert localized_message(check_from_json(checks[0])) == checks[0]["message"]
    assert check_from_json(checks[0]).params != ()
    assert (await stored_answer("lot-1"))["eudr_ready"] is False
    await import_document(trace_doc())
    assert await Plot.select(Plot.checks).where(Plot.ref == "p-1").output(load_json=True).first() == {"checks": []}
    assert await stored_answer("lot-1") == LOT_1


async def test_recompute_for_a_group_reaches_lots_of_lots(clean_db: str) -> None:
    await import_document(trace_doc())
    assert await recompute_for(organizations=["coop-acre"]) == ["lot-1", "lot-2"]
    assert await recompute_for(deliveries=["del-3"]) == ["lot-2"]
    assert await recompute_for(certificates=["cert-g"]) == ["lot-1", "lot-2"]
    assert await recompute_for(members=["nobody"]) == []


async def test_plots_never_checked_are_checked_before_deriving(clean_db: str) -> None:
    doc = trace_doc()
    doc["plots"][0]["area_ha"] = 12.1
    await import_document(doc)
    await Plot.update({Plot.checks: None}).where(Plot.ref == "p-1")
    answer = await lot_answer("lot-1")
    assert [(c.code, c.ref) for c in answer.checks] == [("AREA_MISMATCH", "p-1"), ("MEMBER_NOT_CERTIFIED", "m-2")]
    stored = await Plot.select(Plot.checks).where(Plot.ref == "p-1").output(load_json=True).first()
    assert [c["code"] for c in stored["checks"]] == ["AREA_MISMATCH"]


async def test_who_reads_the_detail(clean_db: str) -> None:
    await import_document(trace_doc())
    graph = await load_lot_graph("lot-1")
    assert may_see_detail(user("usina-rio"), graph) is True  # holder and collector
    assert may_see_detail(user("coop-acre"), graph) is True  # the members' group
    assert may_see_detail(user("program-backbone", role="staff"), graph) is True
    assert may_see_detail(user("tyre-maker", role="buyer"), graph) is False
    assert may_see_detail(None, graph) is False
    assert await lot_for_user(user("tyre-maker", role="buyer"), "lot-1") == LOT_1
    with pytest.raises(NotFound):
        await lot_for_user(user("usina-rio"), "no-such-lot")


async def test_public_summary_names_no_smallholder(clean_db: str) -> None:
    await import_document(trace_doc())
    graph = await load_lot_graph("lot-1")
    doc = {
        **LOT_1,
        "checks": [{"code": "X", "severity": "warning", "ref": "m-1", "message": "Maria Souza and João Lima overlap."}],
    }
    assert public_summary(doc, graph)["checks"] == [
        {"code": "X", "severity": "warning", "ref": "m-1", "message": "A-001 and A-002 overlap."}
    ]
    assert public_summary(doc, graph)["claim"] == "FSC Mix"


async def test_dds_files_of_a_lot(clean_db: str) -> None:
    await import_document(trace_doc())
    files = await dds_documents("lot-1")
    assert len(files) == 1
    features = files[0]["features"]
    assert files[0]["type"] == "FeatureCollection"
    assert [f["properties"] for f in features] == [
        {"ProducerName": "Maria Souza", "ProducerCountry": "BR", "ProductionPlace": "Xapuri", "Area": 121.3},
        {"ProducerName": "A-002", "ProducerCountry": "BR", "ProductionPlace": "Xapuri", "Area": 2.5},
    ]
    assert features[1]["geometry"] == {"type": "Point", "coordinates": [-67.85, -10.01]}


async def test_dds_refused_while_the_lot_has_an_error(clean_db: str) -> None:
    await import_document(trace_doc())
    with pytest.raises(LotHasErrors) as caught:
        await dds_documents("lot-2")
    assert [(c.code, c.severity, c.ref) for c in caught.value.checks] == [("NO_ORIGIN", "error", "del-3")]
    with pytest.raises(NotFound):
        await dds_documents("lot-1", user("tyre-maker", role="buyer"))


async def test_detail_shows_each_reader_the_records_it_may_see(clean_db: str) -> None:
    doc = trace_doc()
    # A second group whose member delivers to the same collector, and a collector of its own for that group.
    doc["organizations"] += [
        {"ref": "coop-xapuri", "name": "Cooperativa Xapuri", "kind": "producer", "country": "BR"},
        {"ref": "posto-2", "name": "Posto de compra 2", "kind": "collector", "country": "BR"},
    ]
    doc["members"].append(
        {"ref": "m-3", "group": "coop-xapuri", "name": "Ana Alves", "member_code": "X-1", "country": "BR"}
    )
    doc["plots"].append(
        {"ref": "p-3", "member": "m-3", "geometry": {"type": "Point", "coordinates": [-68.5, -10.6]}, "area_ha": 3,
         "country": "BR"}
    )  # fmt: skip
    doc["deliveries"].append(
        {"ref": "del-4", "collector": "posto-2", "member": "m-3", "plot": "p-3", "date": d(-27), "form": "cup_lump",
         "dry_kg": 40}
    )  # fmt: skip
    doc["lots"][0]["inputs"].append({"delivery": "del-4"})
    await import_document(doc)

    def refs(detail: Any) -> tuple[list[str], list[str], list[str]]:
        return (
            [m.ref for m in detail.members],
            [p.ref for p in detail.plots],
            [x.ref for x in detail.deliveries],
        )

    everything = (["m-1", "m-2", "m-3"], ["p-1", "p-2", "p-3"], ["del-1", "del-2", "del-4"])
    assert refs(await lot_detail(user("usina-rio"), "lot-1")) == everything  # the holder
    assert refs(await lot_detail(user("program-backbone", role="staff"), "lot-1")) == everything
    assert refs(await lot_detail(user("coop-xapuri"), "lot-1")) == (["m-3"], ["p-3"], ["del-4"])
    assert refs(await lot_detail(user("posto-2"), "lot-1")) == (["m-3"], ["p-3"], ["del-4"])
    assert refs(await lot_detail(user("coop-acre"), "lot-1")) == (["m-1", "m-2"], ["p-1", "p-2"], ["del-1", "del-2"])
    detail = await lot_detail(user("coop-acre"), "lot-1")
    assert detail.answer.lot == "lot-1"
    assert detail.members[0].name == "Maria Souza"
    with pytest.raises(NotFound):
        await lot_detail(user("tyre-maker", role="buyer"), "lot-1")
    with pytest.raises(NotFound):
        await lot_detail(None, "lot-1")
