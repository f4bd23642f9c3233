"""The traceability hub: signed-in users only; it says what the organisation's part is."""

from __future__ import annotations

from app.accounts import services as accounts
from app.imports.services import import_document
from tests.factories import PASSWORD, make_user, sign_in
from tests.integration.test_traceability_import import trace_doc


async def test_the_hub_is_for_signed_in_users_and_says_what_an_organisation_does(client) -> None:
    anonymous = await client.get("/traceability")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")

    await sign_in(client, await make_user("buyer"))
    page = await client.get("/traceability")
    assert page.status_code == 200
    assert 'data-testid="trace-hub-empty"' in page.text

    await import_document(trace_doc())
    manager = await accounts.create_user(
        email="gestor@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
    )
    await sign_in(client, manager)
    page = await client.get("/traceability")
    assert page.status_code == 200
    assert 'data-testid="trace-hub-empty"' not in page.text
    assert '<a class="navlink" href="/traceability" data-testid="nav-traceability" aria-current="page">' in page.text
