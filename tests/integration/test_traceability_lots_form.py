"""Collectors' lots: the form lists deliveries not yet in a lot, writes a lot and its inputs all or nothing through
the import's checks, derives its claim, and refuses anyone but the holder."""

from __future__ import annotations

from typing import Any

from app.traceability.services import lot_answer
from app.traceability.tables import Lot, LotInput
from tests.clock import today
from tests.factories import api_token, make_user, post_form, sign_in
from tests.integration.test_traceability_deliveries import collector


async def two_deliveries(client: Any, user: Any) -> None:
    headers = await api_token(user)
    for ref, member, plot, kg in (("d-new-1", "m-1", "p-1", 40), ("d-new-2", "m-2", "p-2", 25.5)):
        body = {"ref": ref, "member": member, "plot": plot, "date": today().isoformat(), "form": "field_latex",
                "dry_kg": kg}  # fmt: skip
        assert (await client.post("/api/v1/deliveries", json=body, headers=headers)).status_code == 201


def lot_form(**overrides: Any) -> dict[str, Any]:
    data = {"ref": "lot-new", "delivery": ["d-new-1", "d-new-2"], "process": "none", "product_type": "field_latex",
            "output_dry_kg": "65.5", "date": today().isoformat()}  # fmt: skip
    return {**data, **overrides}


async def lot_counts() -> tuple[int, int]:
    return await Lot.count(), await LotInput.count()


async def test_the_form_ticks_the_deliveries_chosen_in_the_days_list(client) -> None:
    user = await collector()
    await two_deliveries(client, user)
    await sign_in(client, user)
    page = await client.get("/traceability/lots/new?delivery=d-new-1&delivery=d-new-2")
    assert page.status_code == 200
    assert 'value="d-new-1" data-testid="lot-delivery-d-new-1" checked>' in page.text
    assert 'value="d-new-2" data-testid="lot-delivery-d-new-2" checked>' in page.text
    assert 'data-testid="lot-delivery-del-1"' not in page.text  # already in lot-1
    assert 'id="f-output_dry_kg" name="output_dry_kg" type="text" value="65.5"' in page.text


async def test_saving_a_lot_writes_its_inputs_and_derives_its_claim(client) -> None:
    user = await collector()
    await two_deliveries(client, user)
    await sign_in(client, user)
    before = await lot_counts()
    response = await post_form(client, "/traceability/lots/new", lot_form(source_lot_1="lot-2", source_kg_1="10"))
    assert response.status_code == 303
    assert response.headers["location"] == "/traceability/lots/lot-new/saved"
    assert await lot_counts() == (before[0] + 1, before[1] + 3)
    again = await post_form(client, "/traceability/lots/new", lot_form(source_lot_1="lot-2", source_kg_1="10"))
    assert again.headers["location"] == "/traceability/lots/lot-new/saved"
    assert await lot_counts() == (before[0] + 1, before[1] + 3)
    answer = await lot_answer("lot-new")
    page = await client.get("/traceability/lots/lot-new/saved")
    assert f'<dd data-testid="lot-claim">{answer.claim or "No FSC claim"}</dd>' in page.text
    errors = sum(1 for c in answer.checks if c.severity == "error")
    assert f'<dd data-testid="lot-errors">{errors}</dd>' in page.text
    assert answer.deliveries == 5  # its own two, and through lot-2 del-3 and (through lot-1) del-1 and del-2
    listing = await client.get("/traceability/lots")
    assert listing.text.count('data-testid="lot-row"') == 3
    assert '<a href="/traceability/lots/lot-new">lot-new</a>' in listing.text


async def test_a_lot_is_written_all_or_nothing(client) -> None:
    user = await collector()
    await two_deliveries(client, user)
    await sign_in(client, user)
    before = await lot_counts()
    used = await post_form(client, "/traceability/lots/new", lot_form(delivery=["d-new-1", "del-1"]))
    assert used.status_code == 422
    assert "Deliveries del-1 are already in a lot." in used.text
    unknown = await post_form(
        client, "/traceability/lots/new", lot_form(source_lot_1="lot-nope", source_kg_1="5", output_dry_kg="abc")
    )
    assert unknown.status_code == 422
    assert '<p class="field-error" id="f-source_lot_1-error" aria-live="polite">Unknown lot ref lot-nope.</p>' in (
        unknown.text
    )
    assert '<p class="field-error" id="f-output_dry_kg-error" aria-live="polite">Enter a number.</p>' in unknown.text
    assert 'value="abc"' in unknown.text
    empty = await post_form(client, "/traceability/lots/new", lot_form(delivery=[]))
    assert empty.status_code == 422
    assert "A lot needs at least one input." in empty.text
    no_kg = await post_form(client, "/traceability/lots/new", lot_form(source_lot_1="lot-1"))
    assert no_kg.status_code == 422
    assert '<p class="field-error" id="f-source_kg_1-error" aria-live="polite">This field is required.</p>' in (
        no_kg.text
    )
    assert await lot_counts() == before


async def test_only_the_holder_uses_its_lots(client) -> None:
    await collector()
    group = await collector("gestor@coop-acre.example.org", "coop-acre")
    await sign_in(client, group)
    assert (await client.get("/traceability/lots/lot-1/saved")).status_code == 404
    taken = await post_form(
        client, "/traceability/lots/new", lot_form(delivery=[], source_lot_1="lot-1", source_kg_1="5")
    )
    assert taken.status_code == 422
    assert "Lot lot-1 is not held by your organisation." in taken.text
    other = await post_form(client, "/traceability/lots/new", lot_form(delivery=["del-3"]))
    assert other.status_code == 422
    assert "Deliveries del-3 were not recorded by your organisation." in other.text
    before = await lot_counts()
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    for path in ("/traceability/lots", "/traceability/lots/new", "/traceability/lots/lot-1/saved"):
        assert (await client.get(path)).status_code == 404, path
    assert (await post_form(client, "/traceability/lots/new", lot_form())).status_code == 404
    assert await lot_counts() == before
