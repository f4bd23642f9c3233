"""A computed indicator's actual in each period equals an independent count of generated records.

Conversations and deals are made through the messaging services at seeded-random moments over three quarters,
between producers and buyers inside and outside a program (by region, by name, neither); the expected figures are
counted here, in Python, from what the test itself made, never from the app's queries.
"""

from __future__ import annotations

import datetime as dt
import random

from app.agenda import measures, periods
from app.analytics.tables import ProgramOrganization, ProgramRegion
from app.messaging import services as messaging
from tests.clock import now, utc_today
from tests.factories import make_certificate, make_offer, make_user
from tests.integration.agenda_data import make_program, set_org
from tests.integration.analytics_data import _conversation, _deal, _reply

CURRENT = periods.quarter_of(utc_today())
PREVIOUS = periods.quarter_of(CURRENT.start - dt.timedelta(days=1))
EARLIER = periods.quarter_of(PREVIOUS.start - dt.timedelta(days=1))
SHOWN = sorted({EARLIER, PREVIOUS, CURRENT, periods.year(utc_today().year), periods.year(EARLIER.start.year)})


def _moment(rng: random.Random) -> dt.datetime:
    """A seeded moment between the start of EARLIER and an hour before now()."""
    start = dt.datetime.combine(EARLIER.start, dt.time(), tzinfo=dt.UTC)
    span = (now() - dt.timedelta(hours=1) - start).total_seconds()
    return start + dt.timedelta(seconds=int(rng.random() * span))


def _within(p: periods.Period, day: dt.date) -> bool:
    return p.start <= day <= min(p.end, utc_today())


async def test_computed_actuals_equal_an_independent_count_of_generated_records(clean_db: str) -> None:
    rng = random.Random(20261207)
    inside = await make_user("producer", country="MX")  # MX-DUR: in the program's region
    named = await make_user("producer", country="GT")  # named by the program
    outside = await make_user("producer", country="MX")  # MX-OAX: not a member
    member_buyer = await make_user("buyer", country="MX")  # MX-DUR: a member buyer
    other_buyer = await make_user("buyer", country="DE")
    await set_org(inside, region="MX-DUR")
    await set_org(named, region="GT-17")
    await set_org(outside, region="MX-OAX")
    await set_org(member_buyer, region="MX-DUR")
    program_id = await make_program("Generated")
    await ProgramRegion.insert(ProgramRegion(program=program_id, country="MX", region="MX-DUR"))
    await ProgramOrganization.insert(ProgramOrganization(program=program_id, organization=named.organization_id))
    certificates = {p.id: (await make_certificate(p))["ref"] for p in (inside, named, outside)}

    made: list[dict[str, object]] = []
    for _ in range(18):
        producer = rng.choice([inside, named, outside])
        buyer = rng.choice([member_buyer, other_buyer])
        offer = await make_offer(producer, certificates[producer.id])  # one conversation per buyer and offer
        opened = _moment(rng)
        conversation = await _conversation(buyer, offer["ref"], opened)
        replied = rng.random() < 0.6
        if replied:
            await _reply(producer, conversation, min(opened + dt.timedelta(hours=rng.randint(1, 72)), now()))
        member = producer is not outside or buyer is member_buyer
        record = {"opened": opened.date(), "replied": replied, "member": member, "deal": None}
        if rng.random() < 0.6:
            day = _moment(rng).date()
            quantity = rng.randint(1, 90)
            deal = await messaging.record_deal(buyer, conversation, _deal(str(quantity), "m3", "300", "USD", day))
            confirmed = rng.random() < 0.7
            if confirmed:
                await messaging.confirm_deal(producer, deal)
            record["deal"] = (day, quantity, confirmed)
        made.append(record)
    ours = [r for r in made if r["member"]]
    assert 0 < len(ours) < len(made)  # the seed gives members and outsiders both

    expected: dict[str, dict[periods.Period, dict[str, float | None]]] = {}
    for key in ("contacts", "reply_rate", "deals_confirmed", "volume_confirmed_timber"):
        expected[key] = {}
    for p in SHOWN:
        opened = [r for r in ours if _within(p, r["opened"])]  # type: ignore[arg-type]
        answered = sum(1 for r in opened if r["replied"])
        deals = [r["deal"] for r in ours if r["deal"] and r["deal"][2] and _within(p, r["deal"][0])]  # type: ignore[index]
        expected["contacts"][p] = {"": float(len(opened))}
        expected["reply_rate"][p] = {"": round(100.0 * answered / len(opened), 2) if opened else None}
        expected["deals_confirmed"][p] = {"": float(len(deals))}
        expected["volume_confirmed_timber"][p] = {"": float(sum(d[1] for d in deals))}  # type: ignore[index]

    for key, want in expected.items():
        together = await measures.compute_periods(key, program_id, SHOWN, utc_today(), "")
        assert together == want, key
        for p in SHOWN:  # one period at a time (the report's path) gives the same
            alone = await measures.compute(key, program_id, p.start, min(p.end, utc_today()), utc_today(), "")
            assert alone == want[p], (key, p.label)
