"""A rubber group that also collects and processes its own members' latex (as many cooperatives do): a few
deliveries to the group itself, two collection lots and two processed TSR lots it holds, so the group can offer
lot-backed rubber under its own group certificate (FSC 100 % from in-scope members only, FSC Mix with a few
out-of-scope members' cup lumps).

Its own random source and explicit forms and DRCs leave the rest of the generated document as it was."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from app.demo.traceability import TraceGenerator, down

#: Plots of in-scope members that deliver to the group itself, and the out-of-scope ones in the mixed lot.
IN_SCOPE_PLOTS = 12
OUT_OF_SCOPE_PLOTS = 3
#: kg dry per hectare of each own delivery: far under the yield warning added to the season's.
KG_PER_HA = 40.0


def group_own_lots(gen: TraceGenerator) -> dict[str, dict[str, Any]]:
    """Deliveries to each group itself and the lots it holds; lot ref -> its expected claim and percentage."""
    rng = random.Random(len(gen.deliveries) * 31 + len(gen.groups))
    expected: dict[str, dict[str, Any]] = {}
    for group in gen.groups:
        certified = {m["ref"] for m in group.members if m.get("certified_from")}
        inside = [p for p in group.plots if p["member"] in certified][:IN_SCOPE_PLOTS]
        outside = [p for p in group.plots if p["member"] not in certified][:OUT_OF_SCOPE_PLOTS]
        if len(inside) < 2:
            continue
        by_form: dict[str, list[dict[str, Any]]] = {"field_latex": [], "cup_lump": []}
        for n, plot in enumerate(inside):
            form = "field_latex" if n % 2 == 0 else "cup_lump"
            drc = round(rng.uniform(30.0, 38.0), 1) if form == "field_latex" else round(rng.uniform(52.0, 62.0), 1)
            dry = max(5.0, float(plot["area_ha"]) * KG_PER_HA)
            by_form[form].append(gen.delivery(group, plot, plot["member"], 20 + n, dry, form=form, drc=drc))
        for n, plot in enumerate(outside):
            drc = round(rng.uniform(52.0, 62.0), 1)
            dry = max(5.0, float(plot["area_ha"]) * KG_PER_HA)
            by_form["cup_lump"].append(gen.delivery(group, plot, plot["member"], 20 + n, dry, form="cup_lump", drc=drc))
        for items in by_form.values():
            for item in items:
                item["collector"] = group.ref  # the group's own collection point
        key = group.ref[3:]
        field_ref, cup_ref = f"rl-{key}-own-field-latex", f"rl-{key}-own-cup-lump"
        expected[field_ref] = gen.lot_of_deliveries(
            field_ref, group.ref, by_form["field_latex"], "field_latex", certified
        )
        expected[cup_ref] = gen.lot_of_deliveries(cup_ref, group.ref, by_form["cup_lump"], "cup_lump", certified)
        by_ref = {lot["ref"]: lot for lot in gen.lots}
        for name, source in (("tsr", field_ref), ("tsr-mix", cup_ref)):
            drawn = down(Decimal(str(by_ref[source]["output_dry_kg"])) / 2)
            ref = f"rp-{key}-own-{name}"
            gen.lots.append(
                {"ref": ref, "holder": group.ref, "inputs": [{"lot": source, "dry_kg": drawn}], "process": "tsr",
                 "product_type": "tsr", "output_dry_kg": down(Decimal(str(drawn)) * Decimal("0.99")),
                 "date": by_ref[source]["date"]}
            )  # fmt: skip
            expected[ref] = dict(expected[source])
    return expected
