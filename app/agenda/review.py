"""The review workflow that reported values (``app.agenda``) and progress updates (``app.partners``) both follow:
draft -> submitted -> approved, or submitted -> returned (with a comment) -> corrected -> submitted.

One implementation of the rule: which moves exist and where each may start (``TRANSITIONS``), what a move needs (a
comment to return, at most 2,000 characters), who and when it records, and that a record changed by someone else
meanwhile is not moved (the update is guarded by the statuses the move may start from, and writes its step in the
same transaction).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.table import Table

from app.db import atomic
from app.i18n import N_
from app.i18n import gettext as _
from app.validation import FieldErrors

STATUSES = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "returned": N_("Returned"),
}
#: action -> (statuses it may start from, status it leads to)
TRANSITIONS = {
    "submit": (("draft", "returned"), "submitted"),
    "approve": (("submitted",), "approved"),
    "return": (("submitted",), "returned"),
}
MAX_COMMENT = 2000


def check_move(action: str, status: str, comment: str, wrong_status: str) -> tuple[tuple[str, ...], str, str]:
    """(statuses the move may start from, status it leads to, the comment stripped) for a record in ``status``;
    FieldErrors when the action is unknown, a return has no comment, the comment is too long, or the record is in a
    status the move cannot start from (``wrong_status``: a msgid with ``%(status)s``)."""
    if action not in TRANSITIONS:
        raise FieldErrors({"action": _("Choose submit, approve or return.")})
    sources, target = TRANSITIONS[action]
    comment = (comment or "").strip()
    if action == "return" and not comment:
        raise FieldErrors({"comment": _("Say what should be corrected.")})
    if len(comment) > MAX_COMMENT:
        raise FieldErrors({"comment": _("Use at most %(n)s characters.", n=MAX_COMMENT)})
    if status not in sources:
        raise FieldErrors({"action": _(wrong_status, status=_(STATUSES[status]))})
    return sources, target, comment


def who_and_when(table: type[Table], action: str, user_id: int, moment: dt.datetime) -> dict[Any, Any]:
    """The columns a move sets besides the status: who submitted and when, or who reviewed and when."""
    if action == "submit":
        return {table.submitted_by: user_id, table.submitted_at: moment}  # type: ignore[attr-defined]
    return {table.reviewed_by: user_id, table.reviewed_at: moment}  # type: ignore[attr-defined]


async def record_move(
    table: type[Table],
    steps: type[Table],
    step_of: str,
    row_id: int,
    sources: tuple[str, ...],
    changes: dict[Any, Any],
    step: dict[str, Any],
    changed_meanwhile: str,
) -> int:
    """Apply ``changes`` to the record if it is still in one of ``sources`` and write its step (``step``'s values,
    the record in column ``step_of``), all or nothing; FieldErrors (``changed_meanwhile``, a msgid) when someone
    moved it meanwhile. Returns the step's id."""
    async with atomic():
        moved = (
            await table.update(changes)
            .where((table.id == row_id) & table.status.is_in(list(sources)))  # type: ignore[attr-defined]
            .returning(table.id)
        )
        if not moved:
            raise FieldErrors({"action": _(changed_meanwhile)})
        rows = await steps.insert(steps(**{step_of: row_id}, **step)).returning(steps.id)
    return int(rows[0]["id"])


async def steps_of(steps: type[Table], step_of: str, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each record's steps (``step_of``: the steps' column naming the record), oldest first, with who moved it by
    name and e-mail: the history the pages show beside a value or an update."""
    if not ids:
        return {}
    by_user = steps.by_user  # type: ignore[attr-defined]
    rows = await steps.select(
        *steps.all_columns(), by_user.name.as_alias("by_name"), by_user.email.as_alias("by_email")
    ).where(getattr(steps, step_of).is_in(ids))
    out: dict[int, list[dict[str, Any]]] = {}
    for s in sorted(rows, key=lambda s: (s["at"], s["id"])):
        out.setdefault(int(s[step_of]), []).append(s)
    return out
