"""Small stumbles in daily use (issue 10): who wrote a message, and what the home page says about who is here."""

from __future__ import annotations

from app.accounts import services as accounts
from app.messaging import services as messaging
from tests.factories import PASSWORD, make_certificate, make_offer, make_user, sign_in


async def test_a_message_names_its_author_once(client) -> None:
    """A user without a name is shown by the organisation alone ("Org · Org" before); a named one as "Name · Org"."""
    producer = await make_user("producer", org_name="Ejido San Pedro")
    offer = await make_offer(producer, (await make_certificate(producer))["ref"])
    buyer = await accounts.create_user(
        email="ana@example.org",
        password=PASSWORD,
        role="buyer",
        name="Ana Pérez",
        organization_name="Muebles Tapatíos",
        country="MX",
    )
    conversation_id = await messaging.start_conversation(buyer, offer["ref"], message="¿Tienen 40 m³?")
    await messaging.send_message(producer, conversation_id, "Sí, en enero.")
    await sign_in(client, buyer)
    page = await client.get(f"/conversations/{conversation_id}")
    authors = [part.split(" · <time", 1)[0] for part in page.text.split('data-testid="message-author">')[1:]]
    assert authors == ["Ana Pérez · Muebles Tapatíos", "Ejido San Pedro"]


async def test_the_home_page_names_no_region_the_producers_are_not_all_from(client) -> None:
    """Rubber smallholders in Thailand, Sri Lanka and Viet Nam publish here too: the home page does not say
    "in Latin America"."""
    page = await client.get("/")
    assert page.status_code == 200
    intro = page.text.split('<p data-testid="home-intro">', 1)[1].split("</p>", 1)[0]
    assert intro.split("\n", 1)[0] == (
        "ForestMatch connects FSC-certified community and family forests and rubber smallholder groups with buyers of "
        "timber and natural rubber latex."
    )
    assert "Latin America" not in page.text
