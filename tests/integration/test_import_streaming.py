"""`forestmatch import FILE` streams the file (app.imports.sources.StreamedDocument) instead of parsing it whole: the
same records written, the same problems listed and the same refusals as a parsed document, whatever the order of
the sections, and a file that cannot be read refused before anything is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.accounts.tables import Organization
from app.imports import sources
from app.imports.reading import UnreadableDocument
from app.imports.services import ImportRejected, StreamedDocument, export_document, import_document, validate_document
from app.offers.tables import Offer
from app.traceability.tables import LotInput
from tests.integration.test_import import sample_doc
from tests.integration.test_traceability_import import lot_inputs, trace_doc

SECTIONS = ("organizations", "certificates", "offers", "requests", "members", "plots", "deliveries", "lots")


def both_docs() -> dict[str, Any]:
    """The format's example and the traceability example in one document."""
    core, trace = sample_doc(), trace_doc()
    return {"format": "forestmatch/1", **{s: core.get(s, []) + trace.get(s, []) for s in SECTIONS}}


def write(tmp_path: Path, doc: Any, name: str = "doc.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


async def test_a_streamed_file_writes_what_the_parsed_document_writes(clean_db: str, tmp_path: Path) -> None:
    doc = both_docs()
    # Sections in the reverse of the order they are written in, and a lot listed before the lot it draws from.
    doc["lots"].reverse()
    reordered = {"format": doc["format"], **{s: doc[s] for s in reversed(SECTIONS)}}
    path = write(tmp_path, reordered)

    checked = await validate_document(StreamedDocument(path))
    assert checked.counts == {
        "organizations": 4,
        "certificates": 2,
        "offers": 1,
        "requests": 1,
        "members": 2,
        "plots": 2,
        "deliveries": 3,
        "lots": 2,
    }
    assert await Organization.count() == 0  # a dry run writes nothing

    summary = await import_document(StreamedDocument(path))
    assert summary.as_dict() == {
        "created": checked.counts,
        "updated": dict.fromkeys(SECTIONS, 0),
        "unchanged": dict.fromkeys(SECTIONS, 0),
    }
    assert await lot_inputs("lot-2") == [(None, "lot-1", 300.0), ("del-3", None, None)]
    assert await LotInput.count() == 4
    # The parsed document finds every record exactly as the stream wrote it.
    again = await import_document(both_docs())
    assert again.as_dict()["unchanged"] == checked.counts
    assert again.as_dict()["created"] == dict.fromkeys(SECTIONS, 0)
    exported = await export_document()
    assert sorted(o["ref"] for o in exported["organizations"]) == [
        "buyer-ref",
        "coop-acre",
        "ejido-san-pedro",
        "usina-rio",
    ]


async def test_a_streamed_file_lists_the_problems_the_parsed_document_lists(clean_db: str, tmp_path: Path) -> None:
    doc = both_docs()
    doc["requests"] = {"ref": "not-a-list"}
    doc["offers"].append(3)
    doc["members"].append(dict(doc["members"][0]))  # the same ref twice
    doc["plots"][1]["member"] = "m-404"
    doc["lots"][0]["inputs"].append({"lot": "lot-2", "dry_kg": 10})  # lot-1 and lot-2 draw from each other
    with pytest.raises(ImportRejected) as parsed:
        await validate_document(doc)
    with pytest.raises(ImportRejected) as streamed:
        await import_document(StreamedDocument(write(tmp_path, doc)))
    assert streamed.value.problems == parsed.value.problems
    assert [p.as_dict() for p in streamed.value.problems] == [
        {"section": "offers", "ref": "#2", "field": "", "message": "Expected a JSON object."},
        {"section": "requests", "ref": "", "field": "requests", "message": "Expected a list of records."},
        {
            "section": "members",
            "ref": "m-1",
            "field": "ref",
            "message": "This ref appears more than once in the document (records 1 and 3 of the section).",
        },
        {"section": "plots", "ref": "p-2", "field": "member", "message": "Unknown member ref m-404."},
        {
            "section": "lots",
            "ref": "lot-1",
            "field": "inputs",
            "message": "Lots draw from each other in a circle: lot-1 -> lot-2 -> lot-1.",
        },
        {
            "section": "lots",
            "ref": "lot-2",
            "field": "inputs",
            "message": "Lots draw from each other in a circle: lot-2 -> lot-1 -> lot-2.",
        },
    ]
    assert (await Organization.count(), await Offer.count()) == (0, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2]", None),
        (b'"text"', None),
        (
            b'{"format": "forestmatch/1", "offers": [1, {"ref": "x"}]',
            "The document is not valid JSON (line 1, column 56).",
        ),
        (b'{"format": "caf\xe9"}', "The document is not UTF-8 text: save it as UTF-8 JSON."),
    ],
)
async def test_a_streamed_file_is_refused_as_a_parsed_one(
    clean_db: str, tmp_path: Path, content: bytes, message: str | None
) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(content)
    if message is None:
        with pytest.raises(ImportRejected) as rejected:
            await import_document(StreamedDocument(path))
        assert [p.message for p in rejected.value.problems] == ["The document must be a JSON object."]
    else:
        with pytest.raises(UnreadableDocument) as unreadable:
            await import_document(StreamedDocument(path))
        assert unreadable.value.message == message
    assert await Organization.count() == 0


async def test_a_large_file_that_is_not_json_is_placed_between_lines(
    clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Files over EXACT_ERROR_BYTES are not read whole again for the exact column: the lines around the error are given.
    monkeypatch.setattr(sources, "EXACT_ERROR_BYTES", 0)
    monkeypatch.setattr(sources, "READ_SIZE", 64)
    lines = ['{"format": "forestmatch/1",', '"organizations": ['] + [f'{{"ref": "o-{n}"}},' for n in range(20)]
    lines += ['{"ref": "last",, }', "]}"]
    path = tmp_path / "broken.json"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UnreadableDocument) as unreadable:
        await validate_document(StreamedDocument(path))
    assert unreadable.value.message == "The document is not valid JSON (between lines 23 and 24)."

    path.write_bytes(b'{"format": "forestmatch/1", "organizations": [{"ref": "\xff"}]}')
    with pytest.raises(UnreadableDocument) as unreadable:
        await validate_document(StreamedDocument(path))
    assert unreadable.value.message == "The document is not UTF-8 text: save it as UTF-8 JSON."
    assert await Organization.count() == 0


async def test_new_organisations_and_certificates_queue_no_reindexing(clean_db: str) -> None:
    # A new organisation or certificate has no offer in the index yet: only the offers and requests written with them
    # are queued for the search index; a changed certificate re-indexes its offers (and its lots are derived again).
    from app.events.tables import EventOutbox

    await import_document(sample_doc())
    rows = await EventOutbox.select(EventOutbox.subscriber, EventOutbox.name, EventOutbox.ref).order_by(EventOutbox.id)
    assert [(r["subscriber"], r["name"], r["ref"]) for r in rows] == [
        ("search", "offer_changed", "offer-1"),
        ("search", "request_changed", "req-1"),
    ]
    await EventOutbox.delete(force=True)
    changed = sample_doc()
    changed["certificates"][0]["license_code"] = "FSC-C999999"
    summary = await import_document(changed)
    assert summary.updated["certificates"] == 1
    rows = await EventOutbox.select(EventOutbox.subscriber, EventOutbox.name, EventOutbox.ref).order_by(EventOutbox.id)
    assert [(r["subscriber"], r["name"], r["ref"]) for r in rows] == [
        ("search", "certificate_changed", "cert-1"),
        ("lots", "certificate_changed", "cert-1"),
    ]


async def test_the_cli_shows_the_import_and_the_indexing_as_progress_lines(db_url: str, tmp_path: Path) -> None:
    """Written and then indexed, each with its own progress line; afterwards nothing waits for the index and the
    imported offer is found by a search."""
    from app.indexing.sync import pending
    from tests.integration.test_import import _cli

    path = write(tmp_path, sample_doc())
    result = _cli(db_url, "import", str(path))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    # Two changes: the offer (its search document) and the request (its matches are due again).
    assert lines[-1] == "indexing [##############################] 100% 2/2"
    assert lines[-2].startswith("importing [##############################] 100% ")
    assert await pending() == 0
    es = _cli(db_url, "import", str(path), "--lang", "es_MX")  # unchanged records: nothing to index
    assert es.returncode == 0, es.stderr
    assert [line.split(" [")[0] for line in es.stderr.splitlines()] == ["leyendo", "importando"]


async def test_past_the_spill_size_the_refs_live_in_a_scratch_file_with_the_same_answers(
    clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million refs are not held in dicts: past ``scratch.SPILL`` entries each map moves to a scratch SQLite file.
    With a spill size of 1 every map of the checks lives there: the same problems, the same records written."""
    from app.imports import scratch

    doc = both_docs()
    bad = json.loads(json.dumps(doc))
    bad["organizations"].append(dict(bad["organizations"][0]))  # the same ref twice
    bad["offers"].append({**bad["offers"][0], "ref": "offer-2", "certificate": "cert-404"})
    bad["offers"].append({**bad["offers"][0], "ref": "offer-3", "organization": "buyer-ref"})
    with pytest.raises(ImportRejected) as in_dicts:
        await import_document(StreamedDocument(write(tmp_path, bad, "bad.json")))
    monkeypatch.setattr(scratch, "SPILL", 1)
    with pytest.raises(ImportRejected) as in_files:
        await import_document(StreamedDocument(write(tmp_path, bad, "bad.json")))
    assert [p.as_dict() for p in in_files.value.problems] == [p.as_dict() for p in in_dicts.value.problems]
    assert [(p.section, p.ref, p.field) for p in in_files.value.problems] == [
        ("organizations", "ejido-san-pedro", "ref"),
        ("offers", "offer-2", "certificate"),
        ("offers", "offer-3", "organization"),
        ("offers", "offer-3", "certificate"),
    ]
    assert await Organization.count() == 0

    summary = await import_document(StreamedDocument(write(tmp_path, doc)))
    assert summary.created == {
        "organizations": 4,
        "certificates": 2,
        "offers": 1,
        "requests": 1,
        "members": 2,
        "plots": 2,
        "deliveries": 3,
        "lots": 2,
    }
    assert await lot_inputs("lot-2") == [(None, "lot-1", 300.0), ("del-3", None, None)]


async def _offer_indexes() -> list[tuple[str, str]]:
    """The offer table's secondary indexes as the database defines them (name, SQL)."""
    from piccolo.engine.sqlite import SQLiteEngine

    from app.db import engine

    if isinstance(engine(), SQLiteEngine):
        rows = await Offer.raw(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'offer' AND sql IS NOT NULL "
            "ORDER BY name"
        )
        return [(r["name"], r["sql"]) for r in rows]
    rows = await Offer.raw("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'offer' ORDER BY indexname")
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def test_a_bulk_import_drops_the_offer_indexes_and_builds_them_again_as_they_were(
    clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document that at least doubles the offers (past DEFER_INDEXES_AT) is written without the offer table's
    secondary indexes (SQLite), which are built again in the same transaction: the same indexes afterwards, and after a
    refused document too (the rollback brings them back)."""
    from piccolo.engine.sqlite import SQLiteEngine

    from app.db import atomic, engine
    from app.imports import services

    on_sqlite = isinstance(engine(), SQLiteEngine)
    before = await _offer_indexes()
    assert len(before) >= 10
    async with atomic() as txn:
        dropped = await services.defer_indexes(txn, "offer", services.DEFER_INDEXES_AT)
        assert (len(dropped), await _offer_indexes()) == ((len(before), []) if on_sqlite else (0, before))
        await services.restore_indexes(txn, dropped)
    assert await _offer_indexes() == before
    async with atomic() as txn:  # fewer offers than the threshold: nothing dropped
        assert await services.defer_indexes(txn, "offer", services.DEFER_INDEXES_AT - 1) == []

    monkeypatch.setattr(services, "DEFER_INDEXES_AT", 1)
    bad = both_docs()
    bad["offers"].append({**bad["offers"][0], "ref": "offer-2", "certificate": "cert-404"})
    with pytest.raises(ImportRejected):
        await import_document(StreamedDocument(write(tmp_path, bad, "bad.json")))
    assert (await Offer.count(), await _offer_indexes()) == (0, before)
    summary = await import_document(StreamedDocument(write(tmp_path, both_docs())))
    assert summary.created["offers"] == 1
    assert await _offer_indexes() == before
    # The rebuilt indexes serve queries: the offer is found through its organisation's index.
    found = await Offer.select(Offer.ref).where(Offer.organization.ref == "ejido-san-pedro")
    assert found == [{"ref": "offer-1"}]
