"""Program updates: who reads, posts, edits and withdraws them; comments; the users staff allow to post.

Every rule is checked here on the server: an update of a program the reader does not belong to is not found (404);
posting without the right, or editing someone else's update, is refused (403).
"""

from __future__ import annotations

import re
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import User
from app.analytics.tables import Program
from app.bulletins.membership import member_user_ids, readable_program_ids
from app.bulletins.tables import DigestItem, ProgramPoster, ProgramUpdate, UpdateComment
from app.clock import now
from app.db import Row, atomic
from app.i18n import gettext as _
from app.notifications.services import Alert, deliver, email_modes
from app.validation import MAX_PAGE, Checker, NotFound, PermissionDenied

PAGE_SIZE = 20
MAX_TITLE = 200
MAX_BODY = 10_000
MAX_COMMENT = 2_000
MAX_LINKS = 5
MAX_URL = 500
EXCERPT = 280
_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


# --- reading rules ---------------------------------------------------------------------------------------------
async def can_read(user: CurrentUser, program_id: int) -> bool:
    readable = await readable_program_ids(user)
    return readable is None or program_id in readable


async def readable_program(user: CurrentUser, program_id: int) -> None:
    """A program that exists and that the user reads; otherwise not found."""
    if not await Program.exists().where(Program.id == program_id) or not await can_read(user, program_id):
        raise NotFound()


async def can_post(user: CurrentUser, program_id: int) -> bool:
    """Staff post in every program; other users only where staff allowed them."""
    if user.is_staff:
        return True
    return await ProgramPoster.exists().where((ProgramPoster.program == program_id) & (ProgramPoster.user == user.id))


async def postable_programs(user: CurrentUser) -> list[tuple[int, str]]:
    """(id, name) of the programs the user may post in, by name."""
    query = Program.select(Program.id, Program.name).order_by(Program.name)
    if not user.is_staff:
        allowed = await ProgramPoster.select(ProgramPoster.program).where(ProgramPoster.user == user.id)
        query = query.where(Program.id.is_in([int(r["program"]) for r in allowed] or [-1]))
    return [(int(r["id"]), r["name"]) for r in await query]


def paragraphs(body: str) -> list[list[str]]:
    """A plain-text body as paragraphs (split on blank lines), each a list of lines; shown escaped, never as HTML."""
    blocks = re.split(r"\n\s*\n", (body or "").replace("\r\n", "\n").strip())
    return [[line.strip() for line in block.split("\n") if line.strip()] for block in blocks if block.strip()]


def excerpt(body: str, limit: int = EXCERPT) -> str:
    text = " ".join((body or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _person(row: dict[str, Any], prefix: str) -> str:
    return row.get(f"{prefix}_name") or row.get(f"{prefix}_org") or ""


_UPDATE_COLUMNS = (
    ProgramUpdate.id,
    ProgramUpdate.program,
    ProgramUpdate.program.name.as_alias("program_name"),
    ProgramUpdate.author,
    ProgramUpdate.author.name.as_alias("author_name"),
    ProgramUpdate.author.organization.name.as_alias("author_org"),
    ProgramUpdate.title,
    ProgramUpdate.body,
    ProgramUpdate.links,
    ProgramUpdate.created_at,
    ProgramUpdate.updated_at,
    ProgramUpdate.edited_by.name.as_alias("editor_name"),
    ProgramUpdate.withdrawn_at,
    ProgramUpdate.withdrawn_by.name.as_alias("withdrawer_name"),
)


def _view(row: dict[str, Any], user: CurrentUser) -> Row:
    return Row(
        row,
        author_label=_person(row, "author"),
        paragraphs=paragraphs(row["body"]),
        excerpt=excerpt(row["body"]),
        can_edit=user.is_staff or row["author"] == user.id,
    )


async def list_updates(
    user: CurrentUser, *, page: int = 1, program_id: int | None = None, per_page: int = PAGE_SIZE
) -> tuple[list[Row], int]:
    """The updates of the reader's programs (staff: all), newest first, with their visible comment counts; and the
    total. Withdrawn updates are left out."""
    readable = await readable_program_ids(user)
    where: Any = ProgramUpdate.withdrawn_at.is_null()
    if readable is not None:
        where = where & ProgramUpdate.program.is_in(readable or [-1])
    if program_id is not None:
        where = where & (ProgramUpdate.program == program_id)
    total = await ProgramUpdate.count().where(where)
    page = min(max(page, 1), MAX_PAGE)
    rows = (
        await ProgramUpdate.select(*_UPDATE_COLUMNS)
        .where(where)
        .order_by(ProgramUpdate.created_at, ascending=False)
        .order_by(ProgramUpdate.id, ascending=False)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .output(load_json=True)
    )
    counts = await comment_counts([r["id"] for r in rows])
    return [Row(_view(r, user), comment_count=counts.get(r["id"], 0)) for r in rows], total


async def comment_counts(update_ids: list[int]) -> dict[int, int]:
    """Visible comments per update, counted in the database."""
    if not update_ids:
        return {}
    marks = ", ".join("{}" for _id in update_ids)
    rows = await UpdateComment.raw(
        "SELECT program_update AS id, COUNT(*) AS n FROM program_update_comment "
        f"WHERE program_update IN ({marks}) AND deleted_at IS NULL AND hidden_at IS NULL GROUP BY program_update",
        *update_ids,
    )
    return {int(r["id"]): int(r["n"]) for r in rows}


async def get_update(user: CurrentUser, update_id: int) -> Row:
    """One update the reader may see (a withdrawn one only for its author and staff); otherwise not found."""
    row = (
        await ProgramUpdate.select(*_UPDATE_COLUMNS).where(ProgramUpdate.id == update_id).output(load_json=True).first()
    )
    if not row or not await can_read(user, row["program"]):
        raise NotFound()
    if row["withdrawn_at"] is not None and not (user.is_staff or row["author"] == user.id):
        raise NotFound()
    return _view(row, user)


async def list_comments(user: CurrentUser, update: Row) -> list[Row]:
    """The update's comments, oldest first: deleted ones left out, hidden ones shown only to staff (marked)."""
    where: Any = (UpdateComment.program_update == update["id"]) & UpdateComment.deleted_at.is_null()
    if not user.is_staff:
        where = where & UpdateComment.hidden_at.is_null()
    rows = await (
        UpdateComment.select(
            UpdateComment.id,
            UpdateComment.author,
            UpdateComment.author.name.as_alias("author_name"),
            UpdateComment.author.organization.name.as_alias("author_org"),
            UpdateComment.body,
            UpdateComment.created_at,
            UpdateComment.hidden_at,
        )
        .where(where)
        .order_by(UpdateComment.id)
    )
    return [
        Row(
            r,
            author_label=_person(r, "author"),
            paragraphs=paragraphs(r["body"]),
            can_delete=r["author"] == user.id,
            can_hide=user.is_staff and r["hidden_at"] is None,
        )
        for r in rows
    ]


# --- writing updates -------------------------------------------------------------------------------------------
def _links(c: Checker, raw: Any) -> list[dict[str, str]]:
    """Links, one a line: 'https://…' or 'Label https://…'."""
    lines = [line.strip() for line in str(raw or "").replace("\r\n", "\n").split("\n") if line.strip()]
    if len(lines) > MAX_LINKS:
        c.fail("links", _("Add at most %(n)s links.", n=MAX_LINKS))
        return []
    links = []
    for line in lines:
        label, _sep, url = line.rpartition(" ")
        if not _URL.match(url) or len(url) > MAX_URL:
            c.fail("links", _("Each line needs a web address starting with https:// (a label before it is optional)."))
            return []
        links.append({"url": url, "label": label.strip()[:120] or url})
    return links


def _clean(raw: dict[str, Any]) -> tuple[Checker, dict[str, Any]]:
    c = Checker(raw)
    values = {
        "title": c.text("title", required=True, max_len=MAX_TITLE),
        "body": c.text("body", required=True, max_len=MAX_BODY),
        "links": _links(c, raw.get("links")),
    }
    return c, values


def form_values(row: dict[str, Any] | None = None, raw: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the update form shows: the entered values, or the stored update's."""
    if raw is not None:
        return {k: raw.get(k, "") for k in ("program", "title", "body", "links")}
    if row is None:
        return {"program": "", "title": "", "body": "", "links": ""}
    links = "\n".join(f"{x['label']} {x['url']}" if x["label"] != x["url"] else x["url"] for x in row["links"] or [])
    return {"program": str(row["program"]), "title": row["title"], "body": row["body"], "links": links}


async def post_update(user: CurrentUser, raw: dict[str, Any]) -> int:
    """Post an update to a program (staff or an allowed poster) and tell its members: in-app at once, by e-mail at
    once or in their weekly digest, per each member's choice."""
    c, values = _clean(raw)
    raw_program = str(raw.get("program") or "").strip()
    program_id = int(raw_program) if raw_program.isdigit() and len(raw_program) < 12 else 0
    program = await Program.select(Program.id, Program.name).where(Program.id == program_id).first()
    if program and not await can_post(user, program["id"]):
        raise PermissionDenied()  # before the fields: the right to post is not a form problem
    if not program:
        c.fail("program", _("Choose a program."))
    c.raise_if_errors()
    assert program is not None
    moment = now()
    async with atomic():
        update = ProgramUpdate(program=program["id"], author=user.id, created_at=moment, **values)
        await update.save()
        update_id = int(update.id)
        await _tell_members(update_id, program, values, user)
    return update_id


async def _tell_members(update_id: int, program: dict[str, Any], values: dict[str, Any], author: CurrentUser) -> None:
    posters = await ProgramPoster.select(ProgramPoster.user).where(ProgramPoster.program == program["id"])
    recipients = sorted((set(await member_user_ids(program["id"])) | {int(p["user"]) for p in posters}) - {author.id})
    alert = Alert(
        "program_update",
        f"program-update:{update_id}",
        {"program": program["name"], "title": values["title"], "excerpt": excerpt(values["body"])},
        f"/programs/updates/{update_id}",
    )
    await deliver(alert, recipients)
    modes = await email_modes(recipients, "program_update")
    weekly = [uid for uid in recipients if modes[uid] == "weekly"]
    if weekly:
        moment = now()
        await DigestItem.insert(*(DigestItem(user=uid, program_update=update_id, created_at=moment) for uid in weekly))


async def editable_update(user: CurrentUser, update_id: int) -> Row:
    """An update the user may change: its author or staff (a reader who may not: refused; a stranger: not found)."""
    update = await get_update(user, update_id)
    if not update["can_edit"]:
        raise PermissionDenied()
    return update


async def edit_update(user: CurrentUser, update_id: int, raw: dict[str, Any]) -> None:
    """Change an update's title, text or links (its author or staff); who and when are recorded."""
    update = await editable_update(user, update_id)
    if update["withdrawn_at"] is not None:
        raise NotFound()
    c, values = _clean(raw)
    c.raise_if_errors()
    async with atomic():
        await ProgramUpdate.update(
            {
                ProgramUpdate.title: values["title"],
                ProgramUpdate.body: values["body"],
                ProgramUpdate.links: values["links"],
                ProgramUpdate.updated_at: now(),
                ProgramUpdate.edited_by: user.id,
            }
        ).where(ProgramUpdate.id == update_id)


async def withdraw_update(user: CurrentUser, update_id: int) -> None:
    """Withdraw an update (its author or staff): members no longer see it; who and when are recorded."""
    update = await editable_update(user, update_id)
    if update["withdrawn_at"] is not None:
        return
    async with atomic():
        await ProgramUpdate.update({ProgramUpdate.withdrawn_at: now(), ProgramUpdate.withdrawn_by: user.id}).where(
            ProgramUpdate.id == update_id
        )


# --- comments --------------------------------------------------------------------------------------------------
async def add_comment(user: CurrentUser, update_id: int, raw: dict[str, Any]) -> int:
    """A member's or staff's comment on an update they can read; its author is told in-app."""
    update = await get_update(user, update_id)
    if update["withdrawn_at"] is not None:
        raise NotFound()
    c = Checker(raw)
    body = c.text("body", required=True, max_len=MAX_COMMENT)
    c.raise_if_errors()
    async with atomic():
        comment = UpdateComment(program_update=update_id, author=user.id, body=body, created_at=now())
        await comment.save()
        comment_id = int(comment.id)
        if update["author"] and update["author"] != user.id:
            alert = Alert(
                "program_comment",
                f"program-comment:{comment_id}",
                {"name": user.name or user.organization_name, "title": update["title"], "excerpt": excerpt(body)},
                f"/programs/updates/{update_id}#comment-{comment_id}",
            )
            await deliver(alert, [update["author"]])
    return comment_id


async def _comment(comment_id: int) -> dict[str, Any]:
    row = (
        await UpdateComment.select(UpdateComment.id, UpdateComment.program_update, UpdateComment.author)
        .where((UpdateComment.id == comment_id) & UpdateComment.deleted_at.is_null())
        .first()
    )
    if not row:
        raise NotFound()
    return row


async def delete_comment(user: CurrentUser, comment_id: int) -> int:
    """Its author deletes their own comment; returns the update's id."""
    row = await _comment(comment_id)
    await get_update(user, row["program_update"])  # a reader of the update, or not found
    if row["author"] != user.id:
        raise PermissionDenied()
    async with atomic():
        await UpdateComment.update({UpdateComment.deleted_at: now()}).where(UpdateComment.id == comment_id)
    return int(row["program_update"])


async def hide_comment(user: CurrentUser, comment_id: int) -> int:
    """Staff hide any comment (kept, no longer shown to members); returns the update's id."""
    if not user.is_staff:
        raise PermissionDenied()
    row = await _comment(comment_id)
    async with atomic():
        await UpdateComment.update({UpdateComment.hidden_at: now(), UpdateComment.hidden_by: user.id}).where(
            UpdateComment.id == comment_id
        )
    return int(row["program_update"])


# --- posters (staff) -------------------------------------------------------------------------------------------
def _staff(user: CurrentUser) -> None:
    if not user.is_staff:
        raise PermissionDenied()


async def program_with_posters(user: CurrentUser, program_id: int) -> Row:
    """A program with the users allowed to post in it (staff only)."""
    _staff(user)
    program = await Program.select(Program.id, Program.name).where(Program.id == program_id).first()
    if not program:
        raise NotFound()
    posters = await (
        ProgramPoster.select(
            ProgramPoster.user,
            ProgramPoster.user.email.as_alias("email"),
            ProgramPoster.user.name.as_alias("name"),
            ProgramPoster.user.organization.name.as_alias("org"),
            ProgramPoster.created_at,
        )
        .where(ProgramPoster.program == program_id)
        .order_by(ProgramPoster.id)
    )
    return Row(program, posters=posters)


async def add_poster(user: CurrentUser, program_id: int, raw: dict[str, Any]) -> None:
    """Allow a user (by e-mail) to post in a program (staff only); adding them twice changes nothing."""
    await program_with_posters(user, program_id)
    c = Checker(raw)
    email = c.email("email", required=True)
    c.raise_if_errors()
    found = await User.select(User.id).where(User.email == email).first()
    if not found:
        c.fail("email", _("No user with this e-mail address."))
        c.raise_if_errors()
    assert found is not None
    async with atomic():
        if not await ProgramPoster.exists().where(
            (ProgramPoster.program == program_id) & (ProgramPoster.user == found["id"])
        ):
            await ProgramPoster(program=program_id, user=found["id"], added_by=user.id, created_at=now()).save()


async def remove_poster(user: CurrentUser, program_id: int, poster_id: int) -> None:
    """Take back a user's right to post in a program (staff only)."""
    await program_with_posters(user, program_id)
    async with atomic():
        await ProgramPoster.delete().where((ProgramPoster.program == program_id) & (ProgramPoster.user == poster_id))
