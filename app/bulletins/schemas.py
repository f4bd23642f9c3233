"""JSON shapes of the program updates API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class LinkOut(msgspec.Struct):
    url: str
    label: str


class ProgramUpdateOut(msgspec.Struct):
    """One update of a program: plain text (paragraphs separated by blank lines), never HTML."""

    id: int
    program_id: int
    program: str
    title: str
    body: str
    links: list[LinkOut]
    author: str
    created_at: dt.datetime
    updated_at: dt.datetime | None
    comment_count: int


class ProgramUpdatePageOut(msgspec.Struct):
    items: list[ProgramUpdateOut]
    total: int
    page: int
    per_page: int


def update_out(row: dict[str, Any]) -> ProgramUpdateOut:
    return ProgramUpdateOut(
        id=row["id"],
        program_id=row["program"],
        program=row["program_name"],
        title=row["title"],
        body=row["body"],
        links=[LinkOut(url=x["url"], label=x["label"]) for x in row["links"] or []],
        author=row["author_label"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        comment_count=row["comment_count"],
    )
