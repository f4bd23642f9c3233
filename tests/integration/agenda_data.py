"""A program with members, records in two quarters, and the helpers the agenda tests share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.agenda import periods
from app.analytics.tables import Program, ProgramOrganization, ProgramRegion
from app.messaging.tables import Conversation, MatchEvent, Message
from tests.clock import now, utc_today
from tests.factories import make_certificate, make_offer, make_user
from tests.integration.analytics_data import _conversation, _reply

CURRENT = periods.quarter_of(utc_today())
PREVIOUS = periods.quarter_of(CURRENT.start - dt.timedelta(days=1))
NEXT = periods.quarter_of(CURRENT.end + dt.timedelta(days=1))


@dataclass
class Agenda:
    staff: CurrentUser
    producer: CurrentUser  # MX-DUR, inside the program's region
    named: CurrentUser  # GT, named by the program
    buyer: CurrentUser  # MX-JAL, outside the program's region (MX-DUR only)
    outsider: CurrentUser  # DE, not a member
    program_id: int


async def set_org(user: CurrentUser, **values: Any) -> None:
    await Organization.update({getattr(Organization, k): v for k, v in values.items()}).where(
        Organization.id == user.organization_id
    )


async def make_program(name: str = "Acre and Durango") -> int:
    rows = await Program.insert(Program(name=name)).returning(Program.id)
    return int(rows[0]["id"])


async def agenda_world() -> Agenda:
    """Staff; a producer in MX-DUR with an offer now; a named GT producer; a buyer in MX-JAL; an outsider in DE.

    Conversations about the MX-DUR producer's offer: two opened last quarter (one answered), three opened this
    quarter (two answered)."""
    staff = await make_user("staff")
    producer = await make_user("producer", country="MX")
    named = await make_user("producer", country="GT")
    buyer = await make_user("buyer", country="MX")
    outsider = await make_user("producer", country="DE")
    await set_org(producer, region="MX-DUR", legal_form="ejido")
    await set_org(named, region="GT-17", legal_form="community_concession")
    await set_org(buyer, region="MX-JAL")
    program_id = await make_program()
    await ProgramRegion.insert(ProgramRegion(program=program_id, country="MX", region="MX-DUR"))
    await ProgramOrganization.insert(ProgramOrganization(program=program_id, organization=named.organization_id))
    cert = await make_certificate(producer)
    moments = [
        (dt.datetime.combine(PREVIOUS.start + dt.timedelta(days=3), dt.time(10), tzinfo=dt.UTC), True),
        (dt.datetime.combine(PREVIOUS.start + dt.timedelta(days=4), dt.time(10), tzinfo=dt.UTC), False),
        (now() - dt.timedelta(minutes=30), True),
        (now() - dt.timedelta(minutes=20), True),
        (now() - dt.timedelta(minutes=10), False),
    ]
    for opened, answered in moments:
        offer = await make_offer(producer, cert["ref"])  # one conversation per buyer and offer
        conversation = await _conversation(buyer, offer["ref"], opened)
        if answered:
            await _reply(producer, conversation, opened + dt.timedelta(minutes=5))
    return Agenda(staff, producer, named, buyer, outsider, program_id)


async def event_counts() -> tuple[int, int, int]:
    """Conversations, messages and match events (a check that the records were made)."""
    return await Conversation.count(), await Message.count(), await MatchEvent.count()
