"""The JSON shapes of program partners' commitments."""

from __future__ import annotations

import datetime as dt

import msgspec


class CommitmentOut(msgspec.Struct, rename="kebab"):
    """A partner's commitment: an activity serving some of the program's indicators."""

    id: int
    program: int
    #: the partner organisation's id and name
    organization: int
    organization_name: str
    title: str
    description: str
    #: the responsible person's name (a user of the partner, or a name typed)
    responsible: str
    start_date: dt.date
    end_date: dt.date
    #: planned | under_way | done | dropped
    status: str
    #: ids of the program's indicators the commitment serves
    indicators: list[int]
