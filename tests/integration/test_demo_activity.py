"""The demo's simulated trade: loaded with the demo set, deterministic, and following the messaging rules."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from app.accounts.tables import User
from app.analytics import services
from app.analytics.filters import parse_filters
from app.certificates.tables import Certificate
from app.cli.server import load_demo
from app.demo.activity import certificate_reviews, simulate
from app.messaging.tables import Conversation, MatchEvent, Message
from app.notifications.tables import EmailOutbox, Notification
from app.offers.tables import Offer
from app.traceability.services import dds_documents, stored_answer
from tests.factories import make_user


async def test_demo_load_adds_months_of_consistent_trade(clean_db: str) -> None:
    line = await load_demo(seed=42, offers=400, quiet=True)
    assert "simulated trade:" in line
    conversations = {c["id"]: c for c in await Conversation.select()}
    events = await MatchEvent.select().order_by(MatchEvent.id).output(load_json=True)
    messages = await Message.select().order_by(Message.id)
    assert len(conversations) >= 100
    now = dt.datetime.now(dt.UTC)
    assert all(e["at"] <= now for e in events) and all(m["created_at"] <= now for m in messages)
    by_conversation: dict[int, list[dict]] = defaultdict(list)
    for e in events:
        if e["conversation"] is not None:
            by_conversation[e["conversation"]].append(e)
    by_id = {e["id"]: e for e in events}
    first_message: dict[int, dict] = {}
    for m in messages:
        first_message.setdefault(m["conversation"], m)  # messages are ordered by id
    for cid, conversation in conversations.items():
        states = [e["state"] for e in by_conversation[cid]]
        assert states[0] == "contacted"
        assert by_conversation[cid][0]["actor_organization"] == conversation["buyer_organization"]
        # A contact is its first message: the buyer's, at the moment the conversation and 'contacted' are recorded.
        opening = first_message[cid]
        assert opening["sender_organization"] == conversation["buyer_organization"]
        assert opening["created_at"] == conversation["created_at"] == by_conversation[cid][0]["at"]
        assert states.count("replied") <= 1 and states.count("negotiating") <= 1
        if "replied" in states:
            replied = by_conversation[cid][states.index("replied")]
            assert replied["actor_organization"] == conversation["producer_organization"]
            first_producer_message = min(
                m["created_at"]
                for m in messages
                if m["conversation"] == cid and m["sender_organization"] == conversation["producer_organization"]
            )
            assert replied["at"] == first_producer_message
        if "negotiating" in states:
            assert states.index("negotiating") > states.index("replied")
    deals = [e for e in events if e["state"] == "deal_closed"]
    confirmations = [e for e in events if e["state"] == "deal_confirmed"]
    corrections = [e for e in events if e["state"] == "corrected"]
    assert len(deals) >= 20 and len(confirmations) >= 10 and len(corrections) == 2
    for d in (*deals, *corrections):  # as the deal form records them: a price per unit and the total it makes
        figures = d["details"]
        total = (Decimal(figures["unit_price"]) * Decimal(str(figures["quantity"]))).quantize(Decimal("0.01"))
        assert Decimal(figures["price"]) == total
        assert ("drc_percent" in figures) == (figures["unit"] == "kg_latex")
    for c in confirmations:
        deal = by_id[c["details"]["event_id"]]
        assert deal["state"] == "deal_closed" and deal["conversation"] == c["conversation"]
        assert deal["actor_organization"] != c["actor_organization"]
    for c in corrections:
        assert by_id[c["details"]["corrects"]]["state"] == "deal_closed"
        assert c["actor_organization"] is None
    # The dashboard is alive: contacts in at least six of the last twelve months, deals with values.
    staff = await make_user("staff")
    summary = await services.summary(staff, parse_filters({}, set()))
    assert sum(1 for m in summary.monthly if m.contacts) >= 6
    assert summary.deals.deals == len(
        [d for d in deals if d["details"]["date"] >= summary.filters.date_from.isoformat()]
    )
    assert summary.funnel[0].count > summary.funnel[2].count > summary.funnel[5].count > 0
    await _demo_inboxes_hold_what_the_trade_said(line, conversations, messages)
    await _certificates_reviewed_as_staff_would(now)
    await _the_program_is_alive(line)


async def _the_program_is_alive(line: str) -> None:
    """The demo program: a year of quarterly targets with actuals for its computed and reported indicators, and
    its partners' updates in on time but one (counted as the reporting page counts them)."""
    from app.agenda import periods
    from app.agenda.results import program_results
    from app.analytics.tables import Program
    from app.demo.agenda import NAME
    from app.partners import completeness

    assert (
        "program partners: 2 partners, 3 commitments, 9 approved progress updates (one returned first, 1 late)"
    ) in line
    program = await Program.select().where(Program.name == NAME).first()
    today = dt.date.today()
    quarters = periods.last_quarters(today, 5)
    indicators = (await program_results(program, today)).result[0].indicator
    assert [i.source for i in indicators] == ["computed"] * 3 + ["reported"] * 2
    for i in indicators:
        assert [(p.label, bool(p.target)) for p in i.period] == [(q.label, True) for q in quarters], i.title
        closed = [p for p in i.period if p.state == "closed"]
        assert len(closed) == 4 and all(p.actual for p in closed), i.title
    by_measure = {i.computed_measure: i for i in indicators if i.source == "computed"}
    for measure in ("producers_reached", "certified_volume_offered_latex"):
        assert any(p.actual[0].value for p in by_measure[measure].period if p.actual), measure
    _periods, partners = await completeness.completeness(int(program["id"]))
    cells = [c for partner in partners for c in partner.cells]
    assert (sum(c.on_time for c in cells), sum(c.received for c in cells)) == (15, 16)


async def _certificates_reviewed_as_staff_would(now: dt.datetime) -> None:
    """Most demo certificates verified by the staff account (who and when, as the queue records it), some still
    awaiting verification; the demo producer holds one of each, so its pages show both states."""
    staff = await User.select(User.id).where(User.email == "staff@demo.forestmatch.org").first()
    producer = await User.select(User.organization).where(User.email == "producer@demo.forestmatch.org").first()
    rows = await Certificate.select().order_by(Certificate.id)
    verified = [c for c in rows if c["verification"] == "verified"]
    pending = [c for c in rows if c["verification"] == "pending"]
    assert len(verified) + len(pending) == len(rows)
    assert 0.7 * len(rows) <= len(verified) < len(rows)
    for c in verified:
        assert c["verified_by"] == staff["id"]
        assert c["created_at"] < c["verified_at"] <= now
        assert c["updated_at"] == c["verified_at"]
        assert c["rejection_reason"] == ""
    for c in pending:
        assert (c["verified_by"], c["verified_at"]) == (None, None)
        assert c["created_at"] <= c["updated_at"] <= now
    mine = {c["verification"] for c in rows if c["organization"] == producer["organization"]}
    assert mine == {"verified", "pending"}


async def _demo_inboxes_hold_what_the_trade_said(line: str, conversations: dict, messages: list[dict]) -> None:
    """The demo producer and buyer find their notification centres filled as the live alerts would have: the
    latest message from the other side of each recent conversation, and their best matches; two unread each."""
    demo = {u["email"]: u for u in await User.select().where(User.email.like("%@demo.forestmatch.org"))}
    rows = await Notification.select().order_by(Notification.id).output(load_json=True)
    seeded = [n for n in rows if n["recipient"] in {u["id"] for u in demo.values()}]
    assert line.endswith(f", {len(seeded)} notifications for the demo accounts")
    # Loading months of past trade tells nobody else anything (no alert about matches computed at load time).
    assert len(rows) == len(seeded)
    latest: dict[int, dict] = {}
    for m in messages:
        latest[m["conversation"]] = m  # messages are ordered by id
    for email, role in (("producer@demo.forestmatch.org", "producer"), ("buyer@demo.forestmatch.org", "buyer")):
        user = demo[email]
        mine = [n for n in seeded if n["recipient"] == user["id"]]
        assert sum(1 for n in mine if n["read_at"] is None) == 2, email
        assert all(n["in_app"] for n in mine)
        kinds = {n["kind"] for n in mine}
        assert kinds <= {"message", "offer_match" if role == "buyer" else "request_fit"}
        for n in mine:
            assert n["dedupe_key"].startswith(f"{user['id']}:")
            if n["kind"] == "message":
                cid = int(n["link"].split("/")[2].split("#")[0])
                conversation = conversations[cid]
                assert user["organization"] in (
                    conversation["buyer_organization"],
                    conversation["producer_organization"],
                )
                message = latest[cid]
                assert n["dedupe_key"] == f"{user['id']}:message:{message['id']}"
                assert message["sender_organization"] != user["organization"]
                body = message["body"]
                assert n["params"]["excerpt"] == (body if len(body) <= 200 else body[:199] + "…")
                assert n["created_at"] == message["created_at"]
        assert sum(1 for n in mine if n["kind"] != "message") >= 1, email
    assert await EmailOutbox.count() == 0  # nothing is mailed to the demo addresses
    await _lot_backed_trade(line, conversations)


async def _lot_backed_trade(line: str, conversations: dict[int, dict]) -> None:
    """The groups offer the processed lots they hold (each claim as its lot derives it), and the demo buyer has a
    confirmed deal on one, whose lot's due-diligence file it can download."""
    offers = (
        await Offer.select(Offer.ref, Offer.claim, Offer.quantity, Offer.lots, Offer.organization.ref.as_alias("org"))
        .where(Offer.ref.like("offer-rp-%"))
        .order_by(Offer.ref)
        .output(load_json=True)
    )
    assert [o["ref"] for o in offers] == [
        "offer-rp-br-1-own-tsr", "offer-rp-br-1-own-tsr-mix", "offer-rp-mx-1-own-tsr", "offer-rp-mx-1-own-tsr-mix"
    ]  # fmt: skip
    for offer in offers:
        (lot,) = offer["lots"]
        answer = await stored_answer(lot)
        assert (offer["org"], offer["claim"]) == (answer["holder"], answer["claim"])
        assert answer["eudr_ready"] is True
        assert float(offer["quantity"]) <= answer["dry_kg"]
    assert [o["claim"] for o in offers] == ["FSC 100%", "FSC Mix", "FSC 100%", "FSC Mix"]
    buyer = await User.select(User.id, User.organization).where(User.email == "buyer@demo.forestmatch.org").first()
    deal = (
        await MatchEvent.select(MatchEvent.conversation, MatchEvent.state)
        .where(MatchEvent.conversation.offer.ref == "offer-rp-br-1-own-tsr")  # type: ignore[union-attr]
        .order_by(MatchEvent.id)
    )
    assert [e["state"] for e in deal] == ["contacted", "deal_closed", "deal_confirmed"]
    thread = deal[0]["conversation"]
    assert thread in conversations and conversations[thread]["buyer_organization"] == buyer["organization"]
    assert f"1 confirmed deal on lot-backed offer offer-rp-br-1-own-tsr (conversation {thread})" in line
    (dds,) = await dds_documents("rp-br-1-own-tsr")
    assert len(dds["features"]) == 6  # the six in-scope plots whose field latex went into the lot


def test_simulation_is_deterministic_by_seed() -> None:
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    past = now - dt.timedelta(days=300)
    offers = [
        {
            "id": i,
            "organization": 100 + i % 5,
            "category": "timber",
            "unit": "m3",
            "drc_percent": None,
            "quantity_canonical": 50.0 + i,
            "price_amount": 300,
            "price_currency": "USD",
            "created_at": past,
            "country": "MX",
        }
        for i in range(1, 41)
    ]
    requests = [
        {"id": i, "organization": 200 + i % 3, "quantity_canonical": 100.0, "created_at": past} for i in range(1, 9)
    ]
    matches = [{"id": i, "request": 1 + i % 8, "offer": 1 + i % 40, "created_at": past} for i in range(1, 30)]
    actors = {org: org * 10 for org in (*range(100, 105), *range(200, 203))}

    def run(seed: int) -> tuple[list, list, list]:
        a = simulate(
            seed,
            now=now,
            offers=offers,
            requests=requests,
            matches=matches,
            actors=actors,
            staff_user=1,
            conversations=30,
        )
        return a.conversations, a.messages, a.events

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_certificate_reviews_are_deterministic_and_set_who_and_when() -> None:
    now = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    joined = {org: now - dt.timedelta(days=400 + org) for org in range(1, 21)}
    certificates = [
        {"id": i, "organization": 1 + i % 20, "issued_on": (now - dt.timedelta(days=30 * i)).date()}
        for i in range(1, 41)
    ]
    certificates.append({"id": 41, "organization": 3, "issued_on": (now - dt.timedelta(days=5)).date()})
    reviews = certificate_reviews(7, certificates, now=now, joined=joined, staff_user=99, showcase_org=2)
    assert reviews == certificate_reviews(7, certificates, now=now, joined=joined, staff_user=99, showcase_org=2)
    assert reviews != certificate_reviews(8, certificates, now=now, joined=joined, staff_user=99, showcase_org=2)
    by_id = {r["id"]: r for r in reviews}
    assert sorted(by_id) == list(range(1, 42))
    verified = [r for r in reviews if r["verification"] == "verified"]
    assert 30 <= len(verified) < 41
    for r in reviews:
        cert = next(c for c in certificates if c["id"] == r["id"])
        issued = dt.datetime.combine(cert["issued_on"], dt.time(9), tzinfo=dt.UTC)
        assert max(issued, joined[cert["organization"]]) <= r["created_at"] < now
        if r["verification"] == "verified":
            assert r["verified_by"] == 99
            assert r["created_at"] < r["verified_at"] == r["updated_at"] < now
        else:
            assert (r["verification"], r["verified_by"], r["verified_at"]) == ("pending", None, None)
            assert r["created_at"] <= r["updated_at"] < now
    assert by_id[41]["verification"] == "pending"  # issued five days ago: still in the queue
    showcase = [by_id[c["id"]]["verification"] for c in certificates if c["organization"] == 2]
    assert showcase == ["verified", "pending"]
