"""The results' one-query-per-measure path (months of a whole range added up per period) answers exactly what one
query per period answers."""

from __future__ import annotations

import datetime as dt

from app.agenda import measures, periods
from app.messaging import services as messaging
from app.messaging.tables import Conversation
from tests.clock import utc_today
from tests.integration.agenda_data import CURRENT, PREVIOUS, agenda_world
from tests.integration.analytics_data import _deal


async def test_monthly_parts_add_up_to_each_periods_own_query(clean_db: str) -> None:
    w = await agenda_world()
    conversations = [r["id"] for r in await Conversation.select(Conversation.id).order_by(Conversation.id)]
    before = PREVIOUS.start + dt.timedelta(days=20)
    first = await messaging.record_deal(w.buyer, conversations[0], _deal("40", "m3", "350", "USD", before))
    await messaging.confirm_deal(w.producer, first)
    await messaging.record_deal(w.buyer, conversations[1], _deal("7", "m3", "300", "USD", before))  # not confirmed
    second = await messaging.record_deal(w.buyer, conversations[2], _deal("12.5", "m3", "320", "USD", utc_today()))
    await messaging.confirm_deal(w.producer, second)
    shown = [PREVIOUS, CURRENT, periods.year(utc_today().year), periods.year(PREVIOUS.start.year)]
    shown = sorted(set(shown))
    for key in ("contacts", "reply_rate", "deals_confirmed", "volume_confirmed_timber"):
        together = await measures.compute_periods(key, w.program_id, shown, utc_today(), "")
        alone = {
            p: await measures.compute(key, w.program_id, p.start, min(p.end, utc_today()), utc_today(), "")
            for p in shown
        }
        assert together == alone, key
    together = await measures.compute_periods(
        "volume_confirmed_timber", w.program_id, [PREVIOUS, CURRENT], utc_today(), ""
    )
    assert together == {PREVIOUS: {"": 40.0}, CURRENT: {"": 12.5}}
    contacts = await measures.compute_periods("contacts", w.program_id, [PREVIOUS, CURRENT], utc_today(), "")
    assert contacts == {PREVIOUS: {"": 2.0}, CURRENT: {"": 3.0}}
