"""The yield check reads a plot's every delivery only where the database finds its 365-day peak near the warning
limit: the lot's answer is the same as when every delivery is read, on generated data and at the limit's edge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.imports.services import import_document
from app.traceability.graph import load_lot_graph
from app.traceability.services import derive, thresholds
from app.traceability.tables import Plot
from app.traceability.yields import peak_yields
from tests.integration.test_traceability_generated import DOC
from tests.integration.test_traceability_import import trace_doc


async def both(ref: str) -> tuple[Any, Any, int, int]:
    """The answer with the screen and without, and how many deliveries each graph read."""
    limit = thresholds().yield_warning_kg_ha
    screened, full = await load_lot_graph(ref, limit), await load_lot_graph(ref)
    return derive(screened), derive(full), len(screened.deliveries), len(full.deliveries)


async def test_every_generated_lot_has_the_same_answer_with_the_screen(clean_db: str) -> None:
    await import_document(DOC)
    read_less = 0
    for lot in DOC["lots"]:
        screened, full, n_screened, n_full = await both(lot["ref"])
        assert screened == full, lot["ref"]
        read_less += n_screened < n_full
    assert read_less > 0  # the screen did leave deliveries unread
    codes = {c.code for lot in DOC["lots"] for c in (await both(lot["ref"]))[0].checks}
    assert "YIELD_IMPLAUSIBLE" in codes  # the planted defect is still found


def with_other_deliveries(kg_per_ha: float) -> dict[str, Any]:
    """lot-1 (del-1 from p-1, del-2 from p-2) plus four deliveries from p-2 (2.5 ha) in no lot within the year
    before del-2, bringing p-2's 365-day peak to ``kg_per_ha``."""
    doc = trace_doc()
    del_2 = next(d for d in doc["deliveries"] if d["ref"] == "del-2")
    own = del_2.get("dry_kg") or del_2["wet_kg"] * del_2["drc_percent"] / 100
    rest = kg_per_ha * 2.5 - own
    day = dt.date.fromisoformat(del_2["date"])
    for k in range(4):
        doc["deliveries"].append(
            {"ref": f"other-{k}", "collector": "usina-rio", "member": "m-2", "plot": "p-2",
             "date": (day - dt.timedelta(days=30 * (k + 1))).isoformat(), "form": "cup_lump", "dry_kg": rest / 4}
        )  # fmt: skip
    return doc


@pytest.mark.parametrize(("kg_per_ha", "flagged"), [(1250.0, True), (1195.0, False), (1000.0, False)])
async def test_at_the_edge_of_the_warning_limit(clean_db: str, kg_per_ha: float, flagged: bool) -> None:
    await import_document(with_other_deliveries(kg_per_ha))
    p2 = (await Plot.select(Plot.id).where(Plot.ref == "p-2").first())["id"]
    assert (await peak_yields([p2]))[p2] == pytest.approx(kg_per_ha * 2.5)
    screened, full, _n, _m = await both("lot-1")
    assert screened == full
    yields = [(c.code, c.ref, c.severity) for c in screened.checks if c.code == "YIELD_IMPLAUSIBLE"]
    assert yields == ([("YIELD_IMPLAUSIBLE", "p-2", "warning")] if flagged else [])
