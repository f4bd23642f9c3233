"""A generated traceability document (``app.demo.traceability``) through ``forestmatch import``, ``lot`` and ``dds``:
every planted defect shows as its check on its ref, clean lots are EUDR-ready with the claim the generator expects,
a clean lot's due-diligence file holds exactly its plots, and importing the document again changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from app.accounts.tables import User
from app.cli import main
from app.cli.server import DEMO_PASSWORD, load_demo
from app.demo.traceability import DEMO_SIZE, document_only, generate_traceability
from app.imports.services import export_document, import_document
from app.traceability.services import stored_answer
from app.traceability.tables import Delivery, Lot, LotInput, Member, Plot
from tests.clock import today

#: The day this module's data set is generated for, kept: the same call later must give the same set.
GENERATED_ON = today()
GENERATED = generate_traceability(
    11, groups=2, members_per_group=12, plots_per_member=1.5, deliveries=240, today=GENERATED_ON
)
DOC = document_only(GENERATED)
CODES = {
    "GEOM_INVALID", "POINT_OVER_4HA", "AREA_MISMATCH", "OUTSIDE_COUNTRY", "PLOT_OVERLAP", "DUPLICATE_GEOMETRY",
    "DRC_OUT_OF_RANGE", "YIELD_IMPLAUSIBLE", "TOO_YOUNG", "MEMBER_NOT_CERTIFIED", "NO_ORIGIN", "MASS_BALANCE",
    "FAR_FROM_COLLECTOR",
}  # fmt: skip


async def _main(*args: str) -> int:
    # main() runs its own event loop (asyncio.run): give it a thread of its own.
    return await anyio.to_thread.run_sync(main, list(args))


async def _imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "generated.json"
    path.write_text(json.dumps(DOC), encoding="utf-8")
    assert await _main("import", str(path), "--lang", "en") == 0
    capsys.readouterr()


async def _answer(ref: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert await _main("lot", ref, "--json", "--lang", "en") == 0
    return json.loads(capsys.readouterr().out)


def test_the_generator_plants_every_defect_once_and_is_deterministic() -> None:
    assert {d["code"] for d in GENERATED["defects"]} == CODES
    whats = {d["what"] for d in GENERATED["defects"]}
    assert {"unclosed ring", "self-intersection", "delivery without plot", "lot output above its inputs"} <= whats
    assert len(whats) == 14
    again = generate_traceability(
        11, groups=2, members_per_group=12, plots_per_member=1.5, deliveries=240, today=GENERATED_ON
    )
    assert again == GENERATED
    assert {o["kind"] for o in DOC["organizations"]} == {"producer", "collector"}
    assert sum(o["kind"] == "collector" for o in DOC["organizations"]) == 2
    shapes = [p["geometry"]["type"] for p in DOC["plots"]]
    assert 0.3 < shapes.count("Point") / len(shapes) < 0.7
    claims = {v["claim"] for v in GENERATED["clean_lots"].values()}
    assert claims == {"FSC 100%", "FSC Mix"}
    assert {lot["process"] for lot in DOC["lots"]} == {"none", "tsr"}


async def test_every_planted_defect_shows_on_its_ref(
    clean_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _imported(tmp_path, capsys)
    by_lot: dict[str, set[tuple[str, str, str]]] = {}
    for defect in GENERATED["defects"]:
        by_lot.setdefault(defect["lot"], set()).add((defect["code"], defect["severity"], defect["ref"]))
    for lot, planted in sorted(by_lot.items()):
        answer = await _answer(lot, capsys)
        found = {(c["code"], c["severity"], c["ref"]) for c in answer["checks"]}
        assert found == planted, lot  # exactly the planted checks: nothing missing, nothing else
        assert answer["eudr_ready"] is not any(severity == "error" for _code, severity, _ref in planted)


async def test_clean_lots_are_ready_with_the_expected_claim(
    clean_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _imported(tmp_path, capsys)
    uncertified = {m["ref"] for m in DOC["members"] if "certified_from" not in m}
    for ref, expected in sorted(GENERATED["clean_lots"].items()):
        answer = await _answer(ref, capsys)
        assert (answer["claim"], answer["certified_percent"], answer["eudr_ready"]) == (
            expected["claim"],
            expected["certified_percent"],
            True,
        ), ref
        # The only checks of a clean lot: the out-of-scope members that make it FSC Mix (warnings).
        warned = {c["ref"] for c in answer["checks"]}
        assert {c["code"] for c in answer["checks"]} <= {"MEMBER_NOT_CERTIFIED"}, ref
        assert warned <= uncertified
        assert bool(warned) is (expected["claim"] == "FSC Mix"), ref


def _lot_plots(ref: str) -> list[dict[str, Any]]:
    lots = {lot["ref"]: lot for lot in DOC["lots"]}
    deliveries = {d["ref"]: d for d in DOC["deliveries"]}
    plot_refs: set[str] = set()
    todo = [ref]
    while todo:
        for item in lots[todo.pop()]["inputs"]:
            if "lot" in item:
                todo.append(item["lot"])
            else:
                plot_refs.add(deliveries[item["delivery"]]["plot"])
    return [p for p in DOC["plots"] if p["ref"] in plot_refs]


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        return [walk(v) for v in value] if isinstance(value, list) else round(value, 6)

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


async def test_dds_holds_the_plots_of_a_clean_lot_and_is_refused_with_an_error(
    clean_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _imported(tmp_path, capsys)
    clean = next(
        ref for ref, v in GENERATED["clean_lots"].items() if ref.startswith("rp-") and v["claim"] == "FSC 100%"
    )
    out = tmp_path / "clean.geojson"
    assert await _main("dds", clean, "-o", str(out), "--lang", "en") == 0
    assert capsys.readouterr().out == f"{out}\n"
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    got = sorted(json.dumps(f["geometry"], sort_keys=True) for f in doc["features"])
    plots = _lot_plots(clean)
    assert got == sorted(json.dumps(_rounded(p["geometry"]), sort_keys=True) for p in plots)
    assert sorted(f["properties"]["Area"] for f in doc["features"]) == sorted(p["area_ha"] for p in plots)

    broken = next(d["lot"] for d in GENERATED["defects"] if d["code"] == "MASS_BALANCE")
    refused = tmp_path / "broken.geojson"
    assert await _main("dds", broken, "-o", str(refused), "--lang", "en") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1] == (
        f"dds refused: lot {broken} has 1 error check; fix it and try again. Nothing was written."
    )
    assert not refused.exists()


async def _counts() -> dict[str, int]:
    return {
        "members": await Member.count(),
        "plots": await Plot.count(),
        "deliveries": await Delivery.count(),
        "lots": await Lot.count(),
        "lot_inputs": await LotInput.count(),
    }


async def test_importing_the_same_document_twice_changes_nothing(
    clean_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _imported(tmp_path, capsys)
    counts, exported = await _counts(), await export_document()
    assert counts == {
        "members": len(DOC["members"]),
        "plots": len(DOC["plots"]),
        "deliveries": len(DOC["deliveries"]),
        "lots": len(DOC["lots"]),
        "lot_inputs": sum(len(lot["inputs"]) for lot in DOC["lots"]),
    }
    before = await _answer("rl-defect-07", capsys)
    summary = await import_document(DOC)
    assert sum(summary.created.values()) == 0
    assert sum(summary.updated.values()) == 0
    assert await _counts() == counts
    assert await export_document() == exported
    assert await _answer("rl-defect-07", capsys) == before


async def test_the_demo_loads_the_rubber_groups_and_their_accounts(clean_db: str) -> None:
    line = await load_demo(seed=42, offers=400, quiet=True)
    generated = generate_traceability(42, today=dt.date.today(), **DEMO_SIZE)
    assert await Member.count() == len(generated["members"]) == 2 * 40 + 15  # 15 members carry the planted defects
    assert await Delivery.count() == len(generated["deliveries"]) >= 1200
    assert "traceability: " in line
    users = await User.select(User.email, User.role, User.organization.ref.as_alias("org")).where(
        User.email.is_in(["group@demo.forestmatch.org", "collector@demo.forestmatch.org"])
    )
    assert sorted((u["email"], u["role"], u["org"]) for u in users) == [
        ("collector@demo.forestmatch.org", "producer", "rc-br"),
        ("group@demo.forestmatch.org", "producer", "rg-br-1"),
    ]
    assert DEMO_PASSWORD == "forestmatch-demo"
    # The checks show: every planted defect is in its lot's stored answer, every clean lot has its claim.
    for defect in generated["defects"]:
        answer = await stored_answer(defect["lot"])
        assert answer is not None
        assert (defect["code"], defect["ref"]) in {(c["code"], c["ref"]) for c in answer["checks"]}, defect
    for ref, expected in generated["clean_lots"].items():
        answer = await stored_answer(ref)
        assert answer is not None
        assert (answer["claim"], answer["certified_percent"], answer["eudr_ready"]) == (
            expected["claim"],
            expected["certified_percent"],
            True,
        )
