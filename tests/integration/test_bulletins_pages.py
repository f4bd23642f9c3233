"""Program updates pages and API: who reads, posts, edits, withdraws and comments; every refusal proven."""

from __future__ import annotations

from app.bulletins.tables import ProgramPoster, ProgramUpdate, UpdateComment
from app.notifications.tables import Notification
from tests.bulletins_data import allow_poster, make_program, post, user_in
from tests.factories import api_token, make_user, post_form, sign_in

UPDATE = {"title": "Taller en mayo", "body": "Primer párrafo\ncon dos líneas.\n\n<script>alert(1)</script>"}


async def _setup() -> tuple:
    staff = await make_user("staff")
    member = await user_in("MX", "MX-DUR")
    other = await user_in("PE")
    program = await make_program("Durango", places=[("MX", "MX-DUR")])
    other_program = await make_program("Perú", places=[("PE", "")])
    return staff, member, other, program, other_program


async def test_staff_post_and_a_member_reads_the_update_escaped(client) -> None:
    staff, member, other, program, _other_program = await _setup()
    await sign_in(client, staff)
    response = await post_form(
        client, "/programs/updates", {"program": program, **UPDATE, "links": "Programa https://example.org/taller"}
    )
    assert response.status_code == 303
    update_id = int(response.headers["location"].split("?")[0].rsplit("/", 1)[1])
    row = await ProgramUpdate.select().where(ProgramUpdate.id == update_id).first().output(load_json=True)
    assert (row["author"], row["title"], row["links"]) == (
        staff.id,
        "Taller en mayo",
        [{"url": "https://example.org/taller", "label": "Programa"}],
    )
    assert [n["recipient"] for n in await Notification.select(Notification.recipient)] == [member.id]

    client.cookies.clear()
    await sign_in(client, member)
    page = await client.get(f"/programs/updates/{update_id}")
    assert page.status_code == 200
    assert "Primer párrafo<br>con dos líneas.</p>" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert(1)" not in page.text
    assert 'href="https://example.org/taller"' in page.text
    listing = await client.get("/programs/updates")
    assert listing.status_code == 200 and f'data-testid="update-link-{update_id}"' in listing.text
    # opening the update marked its notification read
    assert (await Notification.select(Notification.read_at).first())["read_at"] is not None


async def test_a_member_of_another_program_gets_404_and_no_listing(client) -> None:
    staff, _member, other, program, _other_program = await _setup()
    update_id = await post(staff, program)
    await sign_in(client, other)
    assert (await client.get(f"/programs/updates/{update_id}")).status_code == 404
    assert f"update-link-{update_id}" not in (await client.get("/programs/updates")).text
    response = await post_form(client, f"/programs/updates/{update_id}/comments", {"body": "Hola"})
    assert response.status_code == 404
    assert await UpdateComment.count() == 0


async def test_only_staff_and_allowed_posters_post(client) -> None:
    _staff, member, _other, program, other_program = await _setup()
    await sign_in(client, member)
    assert (await client.get("/programs/updates/new")).status_code == 403
    response = await post_form(client, "/programs/updates", {"program": program, **UPDATE})
    assert response.status_code == 403
    assert await ProgramUpdate.count() == 0

    await allow_poster(program, member)
    assert (await client.get("/programs/updates/new")).status_code == 200
    response = await post_form(client, "/programs/updates", {"program": other_program, **UPDATE})
    assert response.status_code == 403  # allowed in one program, not in the other
    response = await post_form(client, "/programs/updates", {"program": program, **UPDATE})
    assert response.status_code == 303
    assert await ProgramUpdate.count() == 1


async def test_bad_input_comes_back_inline_and_writes_nothing(client) -> None:
    staff, _member, _other, program, _other_program = await _setup()
    await sign_in(client, staff)
    response = await post_form(
        client, "/programs/updates", {"program": program, "title": "", "body": "Texto", "links": "javascript:alert(1)"}
    )
    assert response.status_code == 422
    assert 'id="f-title-error"' in response.text and 'id="f-links-error"' in response.text
    assert 'value=""' in response.text and "Texto</textarea>" in response.text
    assert await ProgramUpdate.count() == 0
    response = await post_form(client, "/programs/updates", {"program": "999999", **UPDATE})
    assert response.status_code == 422 and 'id="f-program-error"' in response.text


async def test_author_and_staff_edit_and_withdraw_others_are_refused(client) -> None:
    staff, member, _other, program, _other_program = await _setup()
    poster = await user_in("MX", "MX-DUR")
    await allow_poster(program, poster)
    update_id = await post(poster, program)

    await sign_in(client, member)
    response = await post_form(client, f"/programs/updates/{update_id}/edit", UPDATE)
    assert response.status_code == 403
    assert (await post_form(client, f"/programs/updates/{update_id}/withdraw", {})).status_code == 403
    assert (await client.get(f"/programs/updates/{update_id}/edit")).status_code == 403

    client.cookies.clear()
    await sign_in(client, poster)
    assert (await post_form(client, f"/programs/updates/{update_id}/edit", UPDATE)).status_code == 303
    row = await ProgramUpdate.select().where(ProgramUpdate.id == update_id).first()
    assert (row["title"], row["edited_by"]) == ("Taller en mayo", poster.id) and row["updated_at"] is not None

    client.cookies.clear()
    await sign_in(client, staff)
    assert (await post_form(client, f"/programs/updates/{update_id}/withdraw", {})).status_code == 303
    row = await ProgramUpdate.select().where(ProgramUpdate.id == update_id).first()
    assert row["withdrawn_by"] == staff.id and row["withdrawn_at"] is not None

    client.cookies.clear()
    await sign_in(client, member)
    assert (await client.get(f"/programs/updates/{update_id}")).status_code == 404  # withdrawn: gone for members


async def test_comments_authors_delete_their_own_staff_hide_any(client) -> None:
    staff, member, _other, program, _other_program = await _setup()
    neighbour = await user_in("MX", "MX-DUR")
    update_id = await post(staff, program)

    await sign_in(client, member)
    response = await post_form(client, f"/programs/updates/{update_id}/comments", {"body": ""})
    assert response.status_code == 422 and 'id="f-body-error"' in response.text
    response = await post_form(client, f"/programs/updates/{update_id}/comments", {"body": "¿Dónde será?"})
    assert response.status_code == 303
    comment_id = (await UpdateComment.select(UpdateComment.id).first())["id"]
    # the update's author is told in-app
    note = await Notification.select().where(Notification.kind == "program_comment").first()
    assert (note["recipient"], note["link"]) == (staff.id, f"/programs/updates/{update_id}#comment-{comment_id}")
    listing = await client.get("/programs/updates")
    assert f'data-testid="update-comments-{update_id}">1 comment' in listing.text

    client.cookies.clear()
    await sign_in(client, neighbour)
    assert (await post_form(client, f"/programs/comments/{comment_id}/delete", {})).status_code == 403
    assert (await post_form(client, f"/programs/comments/{comment_id}/hide", {})).status_code == 403
    assert (await UpdateComment.select().first())["deleted_at"] is None

    client.cookies.clear()
    await sign_in(client, staff)
    assert (await post_form(client, f"/programs/comments/{comment_id}/hide", {})).status_code == 303
    row = await UpdateComment.select().first()
    assert row["hidden_by"] == staff.id and row["deleted_at"] is None

    client.cookies.clear()
    await sign_in(client, member)
    page = await client.get(f"/programs/updates/{update_id}")
    assert "¿Dónde será?" not in page.text
    second = await post_form(client, f"/programs/updates/{update_id}/comments", {"body": "Gracias"})
    assert second.status_code == 303
    second_id = (await UpdateComment.select(UpdateComment.id).order_by(UpdateComment.id, ascending=False).first())["id"]
    assert (await post_form(client, f"/programs/comments/{second_id}/delete", {})).status_code == 303
    assert (await UpdateComment.select().where(UpdateComment.id == second_id).first())["deleted_at"] is not None


async def test_only_staff_manage_posters(client) -> None:
    staff, member, _other, program, _other_program = await _setup()
    partner = await user_in("US")
    await sign_in(client, member)
    assert (await client.get(f"/staff/programs/{program}/posters")).status_code == 403
    response = await post_form(client, f"/staff/programs/{program}/posters", {"email": partner.email})
    assert response.status_code == 403
    assert await ProgramPoster.count() == 0

    client.cookies.clear()
    await sign_in(client, staff)
    response = await post_form(client, f"/staff/programs/{program}/posters", {"email": "nobody@example.org"})
    assert response.status_code == 422 and 'id="f-email-error"' in response.text
    response = await post_form(client, f"/staff/programs/{program}/posters", {"email": partner.email})
    assert response.status_code == 303
    assert [(r["program"], r["user"]) for r in await ProgramPoster.select()] == [(program, partner.id)]
    response = await post_form(client, f"/staff/programs/{program}/posters/{partner.id}/delete", {})
    assert response.status_code == 303
    assert await ProgramPoster.count() == 0


async def test_api_lists_a_programs_updates_for_members_only(client) -> None:
    staff, member, other, program, _other_program = await _setup()
    update_id = await post(staff, program)
    response = await client.get(f"/api/v1/programs/{program}/updates", headers=await api_token(member))
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], [i["id"] for i in body["items"]], body["items"][0]["comment_count"]) == (1, [update_id], 0)
    assert body["items"][0]["body"] == "Les invitamos.\n\nHabrá café."
    response = await client.get(f"/api/v1/programs/{program}/updates", headers=await api_token(other))
    assert response.status_code == 404
    assert (await client.get(f"/api/v1/programs/{program}/updates")).status_code == 401
    response = await client.get(f"/api/v1/programs/{program}/updates", headers=await api_token(staff))
    assert response.status_code == 200 and response.json()["total"] == 1
    response = await client.get("/api/v1/programs/999999/updates", headers=await api_token(staff))
    assert response.status_code == 404
