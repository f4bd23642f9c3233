"""The lot page: the claim and how it was derived for everyone who may read the lot; members, plots and deliveries
only for those allowed the detail; buyers and visitors read counts per village and per 0.1° square."""

from __future__ import annotations

import html as htmllib
import re

from app.accounts import services as accounts
from app.imports.services import import_document
from app.traceability.lot_view import Cell, _cell_floor, paged
from tests.factories import PASSWORD, make_user, sign_in
from tests.integration.test_traceability_import import trace_doc

PRIVATE = ("Maria Souza", "João Lima", "p-1", "p-2", "m-1", "m-2", "del-1", "del-2", "A-001", "A-002")


def _visible_text(html: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


async def test_a_buyer_reads_claim_checks_and_coarse_origin_but_no_smallholder(client) -> None:
    await import_document(trace_doc())
    await sign_in(client, await make_user("buyer"))
    page = await client.get("/traceability/lots/lot-1")
    assert page.status_code == 200
    html = page.text
    assert 'data-view="public"' in html
    for private in PRIVATE:
        assert private not in html, private
    text = _visible_text(html)
    assert "FSC Mix" in text
    assert "68 %" in text
    assert "An FSC Mix product may carry the FSC label only with at least 70 % certified input." in text
    assert "This lot does not meet it." in text
    assert "EUDR-ready" in text and "Not EUDR-ready" not in text
    assert "2 smallholders" in text and "2 plots" in text and "2 deliveries" in text
    # The member out of scope is counted with the reason in words, never named.
    assert "1 member: not yet inside the group certificate's scope on the delivery date" in text
    assert 'data-code="MEMBER_NOT_CERTIFIED"' in html
    assert "Member outside the certificate's scope (1 record)" in text
    # Both members live in Xapuri: one village row, and squares of 0.1° with no plot outline or point.
    assert re.search(r"<td>Xapuri</td><td>[^<]+</td><td>2</td><td>2</td>", html)
    assert '"cells": [' in html or '"cells":[' in html
    assert '"geometry"' not in html and '"plots": [' not in html
    assert 'data-testid="lot-members"' not in html and 'data-testid="lot-plots"' not in html


async def test_the_holder_and_the_group_read_the_detail(client) -> None:
    await import_document(trace_doc())
    holder = await accounts.create_user(
        email="usina@example.org", password=PASSWORD, role="producer", organization_ref="usina-rio"
    )
    await sign_in(client, holder)
    page = await client.get("/traceability/lots/lot-1")
    assert page.status_code == 200
    html = page.text
    assert 'data-view="detail"' in html
    text = _visible_text(html)
    for seen in ("Maria Souza", "João Lima", "p-1", "p-2", "del-1", "del-2"):
        assert seen in html, seen
    # The check is worded with the record it is about, and the member out of scope is named with the reason.
    assert "m-2 : The member was not in the group certificate's scope yet on" in text
    assert "João Lima: not yet inside the group certificate's scope on the delivery date" in text
    assert '"geometry"' in html  # the plots go onto the map
    assert "Xapuri" in text


async def test_a_group_reads_only_its_members_records(client) -> None:
    doc = trace_doc()
    doc["organizations"].append({"ref": "coop-2", "name": "Outra", "kind": "producer", "country": "BR"})
    doc["members"][1]["group"] = "coop-2"
    await import_document(doc)
    manager = await accounts.create_user(
        email="gestor@coop-2.example.org", password=PASSWORD, role="producer", organization_ref="coop-2"
    )
    await sign_in(client, manager)
    html = (await client.get("/traceability/lots/lot-1")).text
    assert 'data-view="detail"' in html
    assert "João Lima" in html and "p-2" in html
    assert "Maria Souza" not in html and "p-1" not in html and "del-1" not in html


async def test_visitors_and_unknown_lots(client) -> None:
    await import_document(trace_doc())
    # A visitor may read only a lot that backs a listed offer; none does here.
    assert (await client.get("/traceability/lots/lot-1")).status_code == 404
    await sign_in(client, await make_user("buyer"))
    assert (await client.get("/traceability/lots/no-such-lot")).status_code == 404


async def test_detail_tables_are_paged(client) -> None:
    items = list(range(120))
    assert paged(items, 1).items == list(range(50)) and paged(items, 1).pages == 3
    assert paged(items, 3).items == list(range(100, 120))
    assert paged(items, 9).number == 3  # clamped to the last page
    assert paged([], 1).pages == 1 and paged([], 1).items == []
    await import_document(trace_doc())
    staff = await make_user("staff")
    await sign_in(client, staff)
    page = await client.get("/traceability/lots/lot-1?plots_page=abc&members_page=5")
    assert page.status_code == 200
    assert 'data-view="detail"' in page.text and "Maria Souza" in page.text


def test_cells_are_squares_of_a_tenth_of_a_degree() -> None:
    assert _cell_floor(-9.97) == -10.0
    assert abs(_cell_floor(0.3) - 0.3) < 1e-9  # not 0.2: 0.3 / 0.1 is 2.9999… in floating point
    assert _cell_floor(-67.81) == -67.9
    assert Cell(-10.0, -67.9, 3).bounds == [[-10.0, -67.9], [-9.9, -67.8]]
