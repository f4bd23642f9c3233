"""Notification kinds: text in each language, channel defaults, fixed Message-IDs, back-off."""

from __future__ import annotations

import datetime as dt

import pytest

from app.i18n import SUPPORTED_LOCALES
from app.notifications.kinds import KINDS, kinds_for_role, render_in
from app.notifications.mail import backoff
from app.notifications.services import channels, message_id_for

PARAMS = {
    "message": {"org": "Ejido", "excerpt": "Hola"},
    "deal_recorded": {
        "org": "Ejido",
        "quantity": 40,
        "unit": "m3",
        "price": "350.00",
        "currency": "USD",
        "date": "2026-05-01",
    },
    "deal_confirmed": {"org": "Ejido"},
    "deal_declined": {"org": "Ejido", "reason": "price", "text": ""},
    "offer_match": {"request": "Pine", "offer": "Boards", "org": "Ejido", "score": 0.8123},
    "saved_search": {"search": "Pine", "offer": "Boards", "org": "Ejido"},
    "request_fit": {"offer": "Boards", "request": "Pine", "org": "Buyer"},
    "cert_expiring": {"code": "SCS-FM/COC-004512", "org": "Ejido", "date": "2026-05-01", "days": 30},
    "cert_lapsed": {"code": "SCS-FM/COC-004512", "org": "Ejido", "status": "terminated"},
    "lot_changed": {
        "lot": "lot-7",
        "claim": "FSC Mix",
        "percent": 72,
        "before_claim": "FSC 100%",
        "before_percent": 100,
        "eudr": "no",
        "errors": 2,
    },  # fmt: skip
    "program_update": {"program": "Bosques de Durango", "title": "Taller en mayo", "excerpt": "Les invitamos"},
    "program_comment": {"name": "Ana", "title": "Taller en mayo", "excerpt": "Gracias"},
    "partner_submitted": {"org": "Ejido", "title": "Viveros", "period": "2026-Q3", "program": "Hule"},
    "partner_approved": {"title": "Viveros", "period": "2026-Q3", "program": "Hule"},
    "partner_returned": {"title": "Viveros", "period": "2026-Q3", "program": "Hule", "comment": "Falta la foto"},
    "partner_reminder": {"program": "Hule", "missing": 2, "period": "2026-Q3", "date": "2026-09-30"},
}


def test_every_kind_has_test_parameters() -> None:
    assert set(PARAMS) == set(KINDS)


@pytest.mark.parametrize("locale", list(SUPPORTED_LOCALES))
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_renders_in_every_language(kind: str, locale: str) -> None:
    title, body = render_in(locale, kind, PARAMS[kind])
    assert title and "%(" not in title and "%(" not in body


def test_parameters_are_shown_in_the_readers_language() -> None:
    assert render_in("en", "cert_expiring", PARAMS["cert_expiring"])[0] == (
        "Certificate SCS-FM/COC-004512 expires on May 1, 2026"
    )
    assert render_in("pt_BR", "cert_expiring", PARAMS["cert_expiring"])[0].endswith("1 de mai. de 2026")
    assert (
        render_in("en", "offer_match", PARAMS["offer_match"])[1] == "Boards from Ejido fits your request (score 81 %)."
    )
    assert render_in("es_MX", "offer_match", PARAMS["offer_match"])[1] == (
        "Boards de Ejido se ajusta a su solicitud (puntuación 81 %)."
    )
    assert render_in("en", "deal_declined", PARAMS["deal_declined"])[1] == "Reason: Price."
    assert render_in("en", "lot_changed", PARAMS["lot_changed"]) == (
        "Lot lot-7 is now: FSC Mix 72 %",
        "Before: FSC 100%. Not EUDR-ready. 2 error checks.",
    )
    assert render_in("pt_BR", "lot_changed", PARAMS["lot_changed"]) == (
        "O lote lot-7 agora tem: FSC Mix 72 %",
        "Antes: FSC 100%. Não pronto para o EUDR. 2 verificações com erro.",
    )


def test_a_row_missing_a_parameter_still_renders_its_kind_name() -> None:
    assert render_in("en", "message", {}) == ("New messages in my conversations", "")
    assert render_in("en", "no-such-kind", {}) == ("", "")


def test_channels_default_and_chosen() -> None:
    assert channels(None, "message") == (True, True)
    assert channels(None, "offer_match") == (True, False)
    assert channels({"offer_match": {"in_app": False, "email": True}}, "offer_match") == (False, True)
    assert channels({"message": "garbage"}, "message") == (True, True)


def test_kinds_by_role() -> None:
    assert [k.key for k in kinds_for_role("staff")] == [
        "cert_expiring",
        "program_update",
        "program_comment",
        "partner_submitted",
    ]
    assert "request_fit" in [k.key for k in kinds_for_role("producer")]
    assert "request_fit" not in [k.key for k in kinds_for_role("buyer")]


def test_message_id_is_fixed_per_notification() -> None:
    assert message_id_for("7:message:1") == message_id_for("7:message:1")
    assert message_id_for("7:message:1") != message_id_for("8:message:1")
    assert message_id_for("7:message:1").endswith("@forestmatch.local>")


def test_backoff_grows_to_an_hour() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [dt.timedelta(seconds=s) for s in (30, 60, 120)]
    assert backoff(30) == dt.timedelta(hours=1)
