"""When a lot's derived claim, EUDR readiness or checks change, its holder and the buyers in an open conversation
about an offer backed by it are told (in-app and by e-mail), once per change; nobody else, and never on a read that
changes nothing."""

from __future__ import annotations

from app.i18n import reset_locale, set_locale
from app.imports.services import import_document
from app.messaging import services as messaging
from app.notifications.kinds import render
from app.offers import services as offers
from app.traceability.services import lot_answer
from tests.factories import make_user
from tests.integration.test_lot_backed_offers import d, group_user, latex_offer, lots_doc
from tests.notify_helpers import all_notes, mails, notes


async def test_a_lot_that_loses_its_claim_tells_its_holder_and_the_buyers_talking_about_it(clean_db: str) -> None:
    await import_document(lots_doc())
    holder = await group_user()
    offer = await offers.create_offer(holder, latex_offer(claim="FSC 100%", lots=["lot-3"], quantity="200"))
    buyer, quiet, leaving = await make_user("buyer"), await make_user("buyer"), await make_user("buyer")
    thread = await messaging.start_conversation(buyer, offer["ref"], message="Temos interesse no lote.")
    gone = await messaging.start_conversation(leaving, offer["ref"], message="Talvez.")
    await messaging.decline(leaving, gone, {"reason": "price", "text": ""})
    before = await all_notes()

    doc = lots_doc()
    doc["members"][0]["certified_from"] = d(-10)  # m-1 entered the scope after del-4: lot-3 loses its claim
    await import_document(doc)

    told = [n for n in await all_notes() if n not in before]
    # m-1's latex is in every lot: the holder hears of each; the buyer only of the lot behind the offer it asked about.
    assert sorted((recipient, key.split(":")[2]) for recipient, _kind, key in told) == sorted(
        [(holder.id, "lot-1"), (holder.id, "lot-2"), (holder.id, "lot-3"), (buyer.id, "lot-3")]
    )
    mine = {n["params"]["lot"]: n["link"] for n in await notes(holder, "lot_changed")}
    assert mine["lot-3"] == "/traceability/lots/lot-3"
    (theirs,) = await notes(buyer, "lot_changed")
    assert theirs["link"] == f"/conversations/{thread}"
    assert await notes(quiet, "lot_changed") == []
    assert await notes(leaving, "lot_changed") == []
    assert render("lot_changed", theirs["params"]) == (
        "Lot lot-3 is now: No FSC claim",
        "Before: FSC 100%. EUDR-ready. No error check.",
    )
    token = set_locale("es_MX")
    try:
        assert render("lot_changed", theirs["params"]) == (
            "El lote lot-3 ahora tiene: Sin declaración FSC",
            "Antes: FSC 100%. Listo para EUDR. Ninguna verificación con error.",
        )
    finally:
        reset_locale(token)
    assert [m["subject"] for m in await mails(buyer.email)][-1] == "Lot lot-3 is now: No FSC claim"

    # Reading the lot derives the same answer: nobody is told again. Importing the same document changes nothing.
    await lot_answer("lot-3")
    await import_document(doc)
    assert len(await all_notes()) == len(before) + 4


async def test_a_lot_whose_checks_gain_an_error_says_how_many(clean_db: str) -> None:
    await import_document(lots_doc())
    holder = await group_user()
    doc = lots_doc()
    doc["deliveries"][0]["drc_percent"] = 60  # outside 20-45 %: an error on lot-1
    doc["lots"][0]["output_dry_kg"] = 700
    await import_document(doc)
    changed = {n["params"]["lot"]: n for n in await notes(holder, "lot_changed")}
    assert sorted(changed) == ["lot-1", "lot-2"]  # lot-2 draws from lot-1
    title, body = render("lot_changed", changed["lot-1"]["params"])
    assert body.endswith("Not EUDR-ready. 1 error check.")
