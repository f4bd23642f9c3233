"""Who belongs to a program: organisations named in it, or in one of its countries or regions (SQL-side)."""

from __future__ import annotations

from app.bulletins.membership import (
    member_user_ids,
    organization_ids_of_program,
    program_ids_of_user,
    readable_program_ids,
)
from tests.bulletins_data import allow_poster, make_program, user_in
from tests.factories import make_user, sign_in


async def test_members_by_organisation_by_country_and_by_region(clean_db) -> None:
    named = await user_in("GT")
    durango = await user_in("MX", "MX-DUR")
    oaxaca = await user_in("MX", "MX-OAX")
    peru = await user_in("PE", "PE-LOR")
    brazil = await user_in("BR", "BR-AC")
    by_region = await make_program("Durango", orgs=[named], places=[("MX", "MX-DUR")])
    by_country = await make_program("Perú", places=[("PE", "")])

    assert await organization_ids_of_program(by_region) == sorted([named.organization_id, durango.organization_id])
    assert await organization_ids_of_program(by_country) == [peru.organization_id]
    assert await member_user_ids(by_region) == sorted([named.id, durango.id])
    assert await program_ids_of_user(durango) == [by_region]
    assert await program_ids_of_user(named) == [by_region]
    assert await program_ids_of_user(peru) == [by_country]
    assert await program_ids_of_user(oaxaca) == []
    assert await program_ids_of_user(brazil) == []


async def test_an_organisation_named_and_in_a_place_counts_once(clean_db) -> None:
    both = await user_in("MX", "MX-DUR")
    program = await make_program("Both ways", orgs=[both], places=[("MX", ""), ("MX", "MX-DUR")])
    assert await organization_ids_of_program(program) == [both.organization_id]
    assert await program_ids_of_user(both) == [program]


async def test_posters_read_the_program_they_post_in_and_staff_read_all(clean_db) -> None:
    partner = await user_in("US")
    staff = await make_user("staff")
    program = await make_program("Partners", places=[("MX", "")])
    assert await readable_program_ids(partner) == []
    await allow_poster(program, partner)
    assert await readable_program_ids(partner) == [program]
    assert await readable_program_ids(staff) is None


async def test_the_navigation_links_updates_only_for_members(client) -> None:
    member = await user_in("MX", "MX-DUR")
    await make_program("Durango", places=[("MX", "MX-DUR")])
    outsider = await user_in("MX", "MX-OAX")
    await sign_in(client, outsider)
    page = await client.get("/dashboard")
    assert page.status_code == 200 and 'data-testid="nav-program-updates"' not in page.text
    await client.post("/logout", data={"_csrf_token": client.cookies.get("fm_csrf")})
    client.cookies.clear()
    await sign_in(client, member)
    page = await client.get("/dashboard")
    assert page.status_code == 200 and 'data-testid="nav-program-updates"' in page.text
