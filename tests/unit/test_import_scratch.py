"""The import's ref maps (app.imports.scratch): a dict while small, a scratch SQLite file past the spill size, the
same answers either way, and the file gone once the map is closed."""

from __future__ import annotations

import os
from typing import NamedTuple

import pytest

from app.imports.scratch import ScratchMap
from app.imports.validation import Context, Record, check_owner


class Facts(NamedTuple):
    organization: str | None
    product_types: frozenset[str] | None


@pytest.mark.parametrize("spill", [1_000_000, 3])
def test_the_same_answers_in_a_dict_and_in_the_scratch_file(spill: int) -> None:
    facts = ScratchMap(spill=spill, wrap=lambda value: Facts(*value))
    for n in range(12_000):  # past two write batches of the file
        facts[f"cert-{n}"] = Facts(f"org-{n % 7}", frozenset({"roundwood"}) if n % 2 else None)
    assert facts.spilled == (spill == 3)
    assert len(facts) == 12_000
    assert facts["cert-11999"] == Facts("org-1", frozenset({"roundwood"}))
    assert facts.get("cert-10") == Facts("org-3", None)
    assert facts.get("no-such-cert") is None
    assert ("cert-5" in facts, "no-such-cert" in facts) == (True, False)
    with pytest.raises(KeyError):
        facts["no-such-cert"]
    facts["cert-5"] = Facts("org-x", None)  # a later value replaces the earlier one
    assert facts["cert-5"] == Facts("org-x", None)
    assert sorted(facts)[:3] == ["cert-0", "cert-1", "cert-10"]

    first_use = ScratchMap(spill=spill)
    assert [first_use.setdefault(ref, n) for n, ref in enumerate(["a", "b", "c", "d", "b", "e", "a"], 1)] == [
        1,
        2,
        3,
        4,
        2,
        6,
        1,
    ]
    path = facts._path
    facts.close()
    assert len(facts) == 0
    if path is not None:
        assert not os.path.exists(path)


@pytest.mark.parametrize("spill", [1_000_000, 2])
def test_owner_check_reads_a_kind_once_whether_the_organisations_spilled_or_not(spill: int) -> None:
    """An organisation of no readable kind (None) is known; a ref in neither the document nor the database is not."""
    context = Context(organizations=ScratchMap(spill=spill))
    context.organizations.update({"prod": "producer", "buyer": "buyer", "unreadable": None, "both": "both"})
    assert isinstance(context.organizations, ScratchMap) and context.organizations.spilled == (spill == 2)
    problems = {}
    for number, org in enumerate(["prod", "buyer", "unreadable", "both", "nobody", " "], start=1):
        record = Record("offers", number, {"ref": f"o{number}", "organization": org}, ref=f"o{number}")
        check_owner(record, context)
        problems[org] = [p.message for p in record.problems]
    assert problems == {
        "prod": [],
        "buyer": ["Organisation buyer is not a producer."],
        "unreadable": [],
        "both": [],
        "nobody": ["Unknown organisation ref nobody."],
        " ": ["This field is required."],
    }
