"""The event outbox: services record what happened in their own transaction, one row per subscriber; each subscriber
consumes its rows in order and once, and a failure keeps them queued for a retry without a half-applied batch."""

from __future__ import annotations

import time

import pytest

from app.events import ALERTS, muted, on_change, pending, record, record_change
from app.events.consumer import LEASE_S, consume, take_lease
from app.events.tables import EventLease, EventOutbox
from app.messaging import services as messaging
from app.notifications.subscriber import AlertsSubscriber
from app.notifications.tables import Notification
from tests.factories import make_certificate, make_offer, make_user


async def _conversation() -> tuple[object, object, int]:
    producer = await make_user("producer")
    buyer = await make_user("buyer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    conversation_id = await messaging.start_conversation(buyer, offer["ref"], message="¿Tienen 40 m3 en enero?")
    return producer, buyer, conversation_id


async def _events() -> list[tuple[str, str]]:
    rows = await EventOutbox.select(EventOutbox.subscriber, EventOutbox.name).order_by(EventOutbox.id)
    return [(r["subscriber"], r["name"]) for r in rows]


async def test_each_event_is_kept_once_for_each_of_its_subscribers(clean_db: str) -> None:
    await record_change("offer", "offer-1")
    await record("message_sent", payload={"conversation_id": 1})
    assert await _events() == [("search", "offer_changed"), ("alerts", "message_sent")]
    with pytest.raises(KeyError):
        await record("offer_sold_out")  # an event nobody declared is a programming error, not a silent row
    assert await pending() == 2


async def test_muted_events_are_not_recorded(clean_db: str) -> None:
    with muted("pairs_first_matched"):
        await record("pairs_first_matched", payload={"request_id": 1, "offer_ids": [2], "computed_before": None})
        await record_change("offer", "offer-1")
    assert await _events() == [("search", "offer_changed")]


async def test_a_message_is_told_to_the_other_side_once_when_the_alerts_subscriber_consumes_it(clean_db: str) -> None:
    producer, _buyer, conversation_id = await _conversation()
    # The message and its event commit together; nobody is told before the subscriber runs.
    assert await Notification.count() == 0
    assert ("alerts", "message_sent") in await _events()
    assert await consume(AlertsSubscriber()) == 1
    told = await Notification.select(Notification.recipient, Notification.kind, Notification.link)
    assert told == [{"recipient": producer.id, "kind": "message", "link": f"/conversations/{conversation_id}#latest"}]
    assert await consume(AlertsSubscriber()) == 0  # consumed: a second pass tells nobody again
    assert await Notification.count() == 1
    assert await pending(ALERTS) == 0


async def test_a_failing_event_rolls_its_batch_back_and_stays_queued(clean_db: str) -> None:
    producer, _buyer, conversation_id = await _conversation()
    await EventOutbox(subscriber=ALERTS, name="not_an_alert", payload={}).save()
    assert await consume(AlertsSubscriber()) == 0
    rows = await EventOutbox.select(EventOutbox.name, EventOutbox.attempts, EventOutbox.last_error).where(
        EventOutbox.subscriber == ALERTS
    )
    assert [(r["name"], r["attempts"]) for r in rows] == [("message_sent", 1), ("not_an_alert", 1)]
    assert rows[1]["last_error"] == "the alerts subscriber does not consume 'not_an_alert'"
    assert await Notification.count() == 0  # the message's notification was rolled back with the batch
    await EventOutbox.delete().where(EventOutbox.name == "not_an_alert")
    assert await consume(AlertsSubscriber()) == 0  # backing off: not due yet
    assert await consume(AlertsSubscriber(), ignore_backoff=True) == 1
    assert [r["recipient"] for r in await Notification.select(Notification.recipient)] == [producer.id]


async def test_a_subscriber_whose_lease_another_process_holds_waits(clean_db: str) -> None:
    await _conversation()
    other = await take_lease("events:alerts")
    assert other is not None
    assert await consume(AlertsSubscriber()) == 0
    assert await pending(ALERTS) == 1
    # A holder that died is replaced once its lease has run out.
    await EventLease.update({EventLease.expires_at: time.time() - 1}).where(EventLease.name == "events:alerts")
    assert await consume(AlertsSubscriber()) == 1
    assert LEASE_S == 60.0


async def test_a_recorded_change_forgets_the_cached_listings(clean_db: str) -> None:
    from app.web import microcache

    on_change(microcache.invalidate)
    microcache.put(("listing",), "cached")
    assert microcache.get(("listing",)) == "cached"
    await record_change("offer", "offer-1")
    assert microcache.get(("listing",)) is None
