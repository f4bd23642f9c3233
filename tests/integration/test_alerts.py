"""Alerts: matches (buyers and producers), saved searches, certificate expiry and lapses. Exact recipients, no
duplicates on a second pass, nothing for users who opted out, e-mails in the recipient's language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from app.certificates import services as certificates
from app.i18n import format_date, reset_locale, set_locale
from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.matching.services import compute_matches, recompute_stale
from app.matching.tables import Match
from app.messaging import services as messaging
from app.notifications import alerts
from app.notifications.certificate_alerts import certificate_alerts
from app.notifications.services import save_search
from app.notifications.tables import AlertOfferChange
from app.offers import services as offers
from app.worker import register_subscribers
from tests.clock import today
from tests.factories import certificate_data, make_certificate, make_offer, make_request, make_user, offer_data
from tests.notify_helpers import OFF, all_notes, colleague, mails, notes, set_language
from tests.search_backends import own_backend


@pytest.fixture(name="backend")
async def fx_backend(clean_db: str, tmp_path: Path) -> Any:
    register_subscribers()  # the sync hooks: stale matches, offer changes for the alerts
    backend = own_backend(tmp_path)
    await backend.ensure_index(OFFERS_INDEX)
    yield backend
    await backend.close()


async def _sync(backend: Any) -> None:
    """What the worker does after a change: apply the outbox, recompute stale matches."""
    await drain(backend)
    await recompute_stale(backend)


class _SearchDown:
    async def search(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("search engine down")


def _in(locale: str, value: dt.date) -> str:
    token = set_locale(locale)
    try:
        return format_date(value)
    finally:
        reset_locale(token)


async def test_new_offer_matching_an_open_request_alerts_the_buyer_once(backend) -> None:
    buyer = await make_user("buyer")
    opted_out = await colleague(buyer, prefs={"offer_match": OFF})
    by_mail = await colleague(buyer, locale="pt_BR", prefs={"offer_match": {"in_app": True, "email": True}})
    request = await make_request(buyer)
    await _sync(backend)
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    await _sync(backend)  # the matcher tells the buyer as it stores the new pair
    match = await Match.select(Match.request, Match.offer, Match.score).first()
    assert match is not None and match["score"] >= alerts.OFFER_ALERT_MIN_SCORE

    key = f"offer-match:{match['request']}:{match['offer']}"
    assert await all_notes() == sorted(
        [(buyer.id, "offer_match", f"{buyer.id}:{key}"), (by_mail.id, "offer_match", f"{by_mail.id}:{key}")]
    )
    assert await notes(opted_out) == [] and await notes(producer) == []
    note = (await notes(buyer))[0]
    assert note["params"]["offer"] == offer["title"] and note["params"]["request"] == request["title"]
    assert note["link"] == f"/requests/{request['ref']}"
    assert [(m["to_address"], m["locale"]) for m in await mails()] == [(by_mail.email, "pt_BR")]

    # Recomputing again (a later change to the offer, a page view) never repeats the alert.
    await offers.update_offer(producer, offer["ref"], offer_data(cert["ref"], price_amount="340.00"))
    await _sync(backend)
    await compute_matches(request["ref"], backend)
    assert len(await all_notes()) == 2


async def test_offer_below_threshold_does_not_alert(backend, monkeypatch) -> None:
    buyer = await make_user("buyer")
    request = await make_request(buyer)
    await _sync(backend)
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"])
    await drain(backend)
    answer = await compute_matches(request["ref"], backend, store=False)
    monkeypatch.setattr(alerts, "OFFER_ALERT_MIN_SCORE", answer.matches[0].score + 0.01)
    await recompute_stale(backend)
    assert await Match.count() == 1
    assert await all_notes() == []


async def test_new_request_fitting_an_offer_alerts_the_producer_once(backend) -> None:
    producer = await make_user("producer")
    colleague_off = await colleague(producer, prefs={"request_fit": OFF})
    by_mail = await colleague(producer, locale="pt_BR", prefs={"request_fit": {"in_app": False, "email": True}})
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"])
    await make_offer(producer, cert["ref"], title="Second pine lot")
    await _sync(backend)
    buyer = await make_user("buyer")
    request = await make_request(buyer)
    await _sync(backend)
    assert await Match.count() == 2
    rows = await all_notes()  # one per user and request, however many of their offers fit
    assert [(r, k) for r, k, _ in rows] == sorted([(producer.id, "request_fit"), (by_mail.id, "request_fit")])
    assert all(key.endswith(f":request-fit:{request['id']}") for _r, _k, key in rows)
    assert await notes(colleague_off) == [] and await notes(buyer) == []
    assert (await notes(by_mail))[0]["in_app"] is False
    # In-app only unless chosen: the colleague who chose e-mail gets one, in Portuguese.
    assert [(m["to_address"], m["locale"]) for m in await mails()] == [(by_mail.email, "pt_BR")]
    await compute_matches(request["ref"], backend)
    assert len(await all_notes()) == 2


async def test_saved_search_alerts_on_new_matching_offers_only(backend) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    before = await make_offer(producer, cert["ref"])
    await _sync(backend)
    buyer = await make_user("buyer")
    other = await make_user("buyer")
    await set_language(other, "es_MX")
    from app.notifications.tables import NotificationPreference

    await NotificationPreference(user=other.id, choices={"saved_search": {"in_app": True, "email": True}}).save()
    opted_out = await colleague(buyer, prefs={"saved_search": OFF})
    await save_search(opted_out, {"query": "category=timber", "name": "Timber"})
    sawn = await save_search(buyer, {"query": "category=timber&product_type=sawn_timber", "name": "Sawn"})
    await save_search(other, {"query": "q=caoba", "name": "Mahogany"})
    await save_search(other, {"query": "q=pino&claim=FSC+100%25", "name": "Pino"})
    assert await alerts.saved_search_alerts(backend) == 0  # the earlier offer changed before the searches existed

    matching = await make_offer(producer, cert["ref"], title="Pine boards, second lot")
    await make_offer(producer, cert["ref"], product_type="roundwood", title="Pine logs")
    await drain(backend)
    assert await AlertOfferChange.count() == 2
    assert await alerts.saved_search_alerts(backend) == 3  # buyer: sawn lot; other: "pino" both lots
    got = {(r, k, key.split(":", 1)[1]) for r, k, key in await all_notes()}
    assert (buyer.id, "saved_search", f"saved-search:{sawn}:{matching['id']}") in got
    assert sorted(k for r, _kind, k in got if r == buyer.id) == [f"saved-search:{sawn}:{matching['id']}"]
    assert len([1 for r, _kind, _k in got if r == other.id]) == 2
    assert before["ref"] not in str(await notes(buyer))
    assert await AlertOfferChange.count() == 0
    assert await notes(opted_out) == []
    # Saved-search alerts are in-app by default; "other" chose e-mail too: one per alert, in Spanish.
    assert sorted((m["to_address"], m["locale"]) for m in await mails()) == [(other.email, "es_MX")] * 2
    # A certificate edit re-indexes all three offers: none of them changed, so nobody hears of them again (the
    # earlier one was posted before the searches were saved: it is not new to them).
    await certificates.update_certificate(producer, cert["ref"], certificate_data(code=cert["code"], license_code=""))
    await drain(backend)
    assert await alerts.saved_search_alerts(backend) == 0
    # The earlier offer itself changes: now it is news to the searches it fits, once.
    await offers.update_offer(producer, before["ref"], offer_data(cert["ref"], price_amount="330.00"))
    await drain(backend)
    assert await alerts.saved_search_alerts(backend) == 2
    new = {(r, key.split(":", 1)[1]) for r, _kind, key in await all_notes()} - {(r, k) for r, _kind, k in got}
    assert {k.rsplit(":", 1)[1] for _r, k in new} == {str(before["id"])}
    assert {r for r, _k in new} == {buyer.id, other.id}
    await drain(backend)
    assert await alerts.saved_search_alerts(backend) == 0
    assert len(await all_notes()) == 5


async def test_saved_search_changes_wait_while_the_search_engine_is_down(backend) -> None:
    buyer = await make_user("buyer")
    await save_search(buyer, {"query": "category=timber", "name": "Timber"})
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"])
    await drain(backend)
    assert await AlertOfferChange.count() == 1
    with pytest.raises(RuntimeError):
        await alerts.saved_search_alerts(_SearchDown())
    assert await AlertOfferChange.count() == 1 and await all_notes() == []
    assert await alerts.saved_search_alerts(backend) == 1
    assert [n["kind"] for n in await notes(buyer)] == ["saved_search"]


async def test_certificate_expiry_warns_producer_and_staff_at_60_and_30_days(clean_db) -> None:
    producer = await make_user("producer")
    off = await colleague(producer, prefs={"cert_expiring": OFF})
    staff = await make_user("staff")
    await set_language(staff, "pt_BR")
    expires = today() + dt.timedelta(days=45)
    cert = await make_certificate(producer, expires_on=expires.isoformat())
    await make_certificate(producer, expires_on=(today() + dt.timedelta(days=90)).isoformat())  # not yet
    buyer = await make_user("buyer")

    assert await certificate_alerts(today()) == 2
    key60 = f"cert-expiry:{cert['id']}:60:{expires.isoformat()}"
    assert await all_notes() == sorted(
        [(producer.id, "cert_expiring", f"{producer.id}:{key60}"), (staff.id, "cert_expiring", f"{staff.id}:{key60}")]
    )
    assert await certificate_alerts(today()) == 0  # the daily check ran twice: nothing new
    staff_mail = (await mails(staff.email))[0]
    assert staff_mail["locale"] == "pt_BR"
    assert _in("pt_BR", expires) in staff_mail["subject"] and _in("pt_BR", expires) != _in("en", expires)
    assert (await notes(producer))[0]["link"] == "/my/certificates"
    assert (await notes(staff))[0]["link"] == f"/producers/{producer.organization_ref}"

    later = today() + dt.timedelta(days=20)  # 25 days left
    assert await certificate_alerts(later) == 2
    assert [n["params"]["days"] for n in await notes(producer)] == [45, 25]
    assert await certificate_alerts(later) == 0
    assert await notes(off) == [] and await notes(buyer) == []
    assert sorted(m["to_address"] for m in await mails()) == sorted([producer.email, staff.email] * 2)


async def _conversations(producer: Any, offer: dict[str, Any]) -> tuple[Any, Any, Any]:
    talking = await make_user("buyer")
    declined = await make_user("buyer")
    unrelated = await make_user("buyer")
    await messaging.start_conversation(talking, offer["ref"], message="Hola")
    ended = await messaging.start_conversation(declined, offer["ref"], message="Hola")
    await messaging.decline(declined, ended, {"reason": "price"})
    return talking, declined, unrelated


async def test_suspended_certificate_warns_buyers_in_open_conversations(clean_db) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    talking, declined, unrelated = await _conversations(producer, offer)
    talking_colleague = await colleague(talking, locale="es_MX")
    await colleague(talking, prefs={"cert_lapsed": OFF})
    before = await all_notes()

    raw = certificate_data(code=cert["code"], status="suspended", expires_on=cert["expires_on"].isoformat())
    await certificates.update_certificate(producer, cert["ref"], raw)
    new = sorted(set(await all_notes()) - set(before))
    key = f"cert-lapse:{cert['id']}:suspended:{cert['expires_on'].isoformat()}"
    assert new == sorted(
        [
            (talking.id, "cert_lapsed", f"{talking.id}:{key}"),
            (talking_colleague.id, "cert_lapsed", f"{talking_colleague.id}:{key}"),
        ]
    )
    assert await notes(unrelated) == []
    assert [n["kind"] for n in await notes(declined)] == []
    assert (await notes(talking, "cert_lapsed"))[0]["params"] == {
        "code": cert["code"],
        "org": producer.organization_name,
        "status": "suspended",
    }
    # Rendered in each recipient's language (the status word comes from the translated vocabulary).
    lapse_mails = [(m["to_address"], m["locale"], m["subject"]) for m in await mails() if cert["code"] in m["subject"]]
    english = f"Certificate {cert['code']} of {producer.organization_name} is suspended"
    spanish = f"El certificado {cert['code']} de {producer.organization_name} está suspendido"
    assert sorted(lapse_mails) == sorted([(talking.email, "en", english), (talking_colleague.email, "es_MX", spanish)])
    # The daily check sees the same lapse: no second alert.
    assert await certificate_alerts(today()) == 0


async def test_certificate_lapsing_by_date_warns_buyers_once(clean_db) -> None:
    producer = await make_user("producer")
    expires = today() + dt.timedelta(days=10)
    cert = await make_certificate(producer, expires_on=expires.isoformat())
    offer = await make_offer(producer, cert["ref"], available_to=(today() + dt.timedelta(days=9)).isoformat())
    talking, declined, unrelated = await _conversations(producer, offer)
    before = set(await all_notes())
    after_expiry = expires + dt.timedelta(days=1)
    assert await certificate_alerts(after_expiry) == 1
    new = sorted(set(await all_notes()) - before)
    key = f"cert-lapse:{cert['id']}:expired:{expires.isoformat()}"
    assert new == [(talking.id, "cert_lapsed", f"{talking.id}:{key}")]
    assert await certificate_alerts(after_expiry) == 0
    assert await notes(unrelated) == [] and await notes(declined, "cert_lapsed") == []
