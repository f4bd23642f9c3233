"""A program with a computed and a reported indicator (targets in 2025-Q3 and 2025-Q4), two partner organisations,
a producer that is not a partner, staff, and helpers the partners' tests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.agenda import services as agenda
from app.partners import services
from tests.factories import make_user
from tests.integration.agenda_data import make_program


@dataclass
class World:
    staff: CurrentUser
    ngo: CurrentUser  # partner A (role ngo)
    ngo_colleague: CurrentUser  # a second user of partner A
    buyer: CurrentUser  # partner B (role buyer)
    outsider: CurrentUser  # not a partner
    program_id: int
    computed_id: int
    reported_id: int


async def org_ref(user: CurrentUser) -> str:
    row = await Organization.select(Organization.ref).where(Organization.id == user.organization_id).first()
    assert row is not None
    return str(row["ref"])


async def _indicator(staff: CurrentUser, program_id: int, **fields: Any) -> int:
    return await agenda.create_indicator(
        staff,
        program_id,
        {
            "direction": "increase",
            "target_period_0": "2025-Q3",
            "target_value_0": "10",
            "target_period_1": "2025-Q4",
            "target_value_1": "20",
            **fields,
        },
    )


async def partners_world(add_partners: bool = True) -> World:
    staff = await make_user("staff")
    ngo = await make_user("producer", org_name="Selva Viva NGO")
    buyer = await make_user("buyer", org_name="Hule Buyers GmbH", country="DE")
    outsider = await make_user("producer", org_name="Not a partner")
    from app.accounts import services as accounts

    colleague = await accounts.create_user(
        email="colleague@selva.example.org",
        password="correct horse battery",
        role="producer",
        organization_ref=ngo.organization_ref,
    )
    program_id = await make_program("Rubber partners")
    computed_id = await _indicator(
        staff, program_id, name_en="Producers reached", source="computed", measure="producers_reached"
    )
    reported_id = await _indicator(staff, program_id, name_en="Hectares under a plan", source="reported", unit="ha")
    if add_partners:
        await services.add_partner(staff, program_id, {"organization": await org_ref(ngo), "role": "ngo"})
        await services.add_partner(staff, program_id, {"organization": await org_ref(buyer), "role": "buyer"})
    return World(staff, ngo, colleague, buyer, outsider, program_id, computed_id, reported_id)


def commitment_form(w: World, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "Nurseries for rubber seedlings",
        "description": "Two community nurseries.",
        "responsible_name": "Ana Souza",
        "start_date": "2025-07-01",
        "end_date": "2025-12-31",
        "status": "under_way",
        "indicators": [str(w.computed_id), str(w.reported_id)],
        **overrides,
    }
