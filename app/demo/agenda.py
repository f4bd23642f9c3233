"""The demo's common agenda: the "Hule y caucho de Acre y Veracruz" program (the rubber regions) with three computed
and two reported indicators, a baseline, quarterly targets over the last four quarters and the current one, and
approved reported values for the closed quarters, so the results page has something to show.

Written through the agenda's services (the same rules as staff's forms); a handful of small writes."""

from __future__ import annotations

import datetime as dt

from app.accounts.services import CurrentUser
from app.agenda import periods, services
from app.analytics.tables import Program, ProgramRegion

NAME = "Hule y caucho de Acre y Veracruz"
#: Computed indicators: measure, breakdown, names (es, en, pt), baseline, a target per quarter (oldest first).
COMPUTED = (
    (
        "producers_reached",
        "country",
        ("Productores alcanzados", "Producers reached", "Produtores alcançados"),
        1.0,
        (2, 2, 2, 3, 3),
    ),
    (
        "certified_volume_offered_latex",
        "country",
        (
            "Volumen de hule certificado ofertado",
            "Certified latex volume offered",
            "Volume de borracha certificada ofertado",
        ),
        0.0,
        (2000, 5000, 40000, 50000, 40000),
    ),
    (
        "traceable_latex_share",
        "",
        ("Proporción de hule trazable", "Traceable latex share", "Proporção de borracha rastreável"),
        10.0,
        (20, 30, 40, 50, 60),
    ),
)
#: Reported indicators: unit, names, definition (en), baseline, targets, the values approved for closed quarters.
REPORTED = (
    (
        "ha",
        (
            "Hectáreas de bosque de hule con plan de manejo",
            "Hectares of rubber forest under a management plan",
            "Hectares de seringal com plano de manejo",
        ),
        "Area of the member groups' rubber forest covered by an approved management plan.",
        1200.0,
        (1300, 1400, 1500, 1600, 1700),
        (1320, 1390, 1540, 1580),
    ),
    (
        "families",
        (
            "Familias que reciben una prima por hule certificado",
            "Families receiving a premium for certified latex",
            "Famílias que recebem prêmio pela borracha certificada",
        ),
        "Tapper families paid a premium above the local price for certified latex in the quarter.",
        40.0,
        (50, 60, 70, 80, 90),
        (48, 63, 71, 77),
    ),
)


async def _program() -> int:
    """The demo program, created over the rubber groups' regions unless a program of that name exists."""
    found = await Program.select(Program.id).where(Program.name == NAME).first()
    if found:
        return int(found["id"])
    rows = await Program.insert(
        Program(name=NAME, description="Hule natural trazable de grupos comunitarios de Acre y Veracruz.")
    ).returning(Program.id)
    program_id = int(rows[0]["id"])
    await ProgramRegion.insert(
        ProgramRegion(program=program_id, country="BR", region="BR-AC"),
        ProgramRegion(program=program_id, country="MX", region="MX-VER"),
    )
    return program_id


def _targets(quarters: list[periods.Period], values: tuple[float, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, (p, v) in enumerate(zip(quarters, values, strict=True)):
        out[f"target_period_{i}"] = p.label
        out[f"target_value_{i}"] = str(v)
    return out


async def demo_agenda(staff: CurrentUser, today: dt.date) -> str:
    """Load the demo program's agenda; returns a line for the demo's summary."""
    program_id = await _program()
    quarters = periods.last_quarters(today, 5)
    baseline_date = (quarters[0].start - dt.timedelta(days=1)).isoformat()
    for measure, dimension, names, baseline, targets in COMPUTED:
        await services.create_indicator(
            staff,
            program_id,
            {
                "name_es": names[0],
                "name_en": names[1],
                "name_pt": names[2],
                "source": "computed",
                "measure": measure,
                "direction": "increase",
                "disaggregation": dimension,
                "baseline_value": str(baseline),
                "baseline_date": baseline_date,
                **_targets(quarters, targets),
            },
        )
    values = 0
    for unit, names, definition, baseline, targets, approved in REPORTED:
        indicator_id = await services.create_indicator(
            staff,
            program_id,
            {
                "name_es": names[0],
                "name_en": names[1],
                "name_pt": names[2],
                "definition_en": definition,
                "source": "reported",
                "unit": unit,
                "direction": "increase",
                "baseline_value": str(baseline),
                "baseline_date": baseline_date,
                **_targets(quarters, targets),
            },
        )
        for quarter, value in zip(quarters, approved, strict=False):
            value_id = await services.create_reported_value(
                staff, indicator_id, {"period": quarter.label, "value": str(value)}
            )
            await services.move_reported_value(staff, value_id, "submit")
            await services.move_reported_value(staff, value_id, "approve")
            values += 1
    return f"program agenda: {len(COMPUTED) + len(REPORTED)} indicators, {values} approved reported values"
