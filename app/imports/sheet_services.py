"""The staff sheet import: an uploaded sheet kept under a token between the steps (mapping, preview, import), its
problems per row and column, and the import's result per section and per organisation.

The checks and the writing are the import's own (``validate_document`` / ``import_document`` on a ``SheetSource``);
this module only keeps the file between requests and says per organisation what happened."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.imports.services import ImportSummary, import_document, validate_document
from app.imports.sheet_columns import COLUMNS
from app.imports.sheets import SheetSource, section_from_name
from app.imports.validation import CHUNK, CORE_SECTIONS, SECTIONS, ImportRejected, Problem
from app.offers.tables import Offer
from app.settings import get_settings
from app.sourcing.tables import SourcingRequest
from app.traceability.tables import Delivery, Lot, Member, Plot

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
#: Uploads left behind (never imported) are removed after a day.
KEEP_SECONDS = 24 * 3600
TABLES: dict[str, Any] = {
    "organizations": Organization,
    "certificates": Certificate,
    "offers": Offer,
    "requests": SourcingRequest,
    "members": Member,
    "plots": Plot,
    "deliveries": Delivery,
    "lots": Lot,
}
#: The field naming the organisation a record belongs to (plots belong to their member's group).
OWNER_FIELD = {
    "organizations": "ref",
    "certificates": "organization",
    "offers": "organization",
    "requests": "organization",
    "members": "group",
    "deliveries": "collector",
    "lots": "holder",
}


class UploadMissing(Exception):
    """The token names no kept upload (expired, imported already, or made up)."""


def _dir() -> Path:
    path = get_settings().var_dir / "sheet-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_upload(filename: str, data: bytes) -> str:
    """Keep an uploaded sheet for the next steps; its token."""
    folder = _dir()
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.sheet").write_bytes(data)
    (folder / f"{token}.name").write_text(Path(filename).name[:200] or "upload", encoding="utf-8")
    return token


def kept_upload(token: str) -> tuple[Path, str]:
    """The kept file and its original name."""
    if not _TOKEN.match(token or ""):
        raise UploadMissing()
    path = _dir() / f"{token}.sheet"
    if not path.is_file():
        raise UploadMissing()
    return path, (_dir() / f"{token}.name").read_text(encoding="utf-8")


def drop_upload(token: str) -> None:
    if _TOKEN.match(token or ""):
        for suffix in (".sheet", ".name"):
            (_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def read_mapping(text: str | None) -> dict[str, dict[str, str]]:
    """The mapping kept in the form's hidden field (section -> header -> field); anything else reads as none."""
    try:
        raw = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    mapping: dict[str, dict[str, str]] = {}
    for section, pairs in raw.items():
        if section in SECTIONS and isinstance(pairs, dict):
            fields = {c.field for c in COLUMNS[section]}
            mapping[section] = {str(h): f for h, f in pairs.items() if isinstance(f, str) and (f in fields or f == "")}
    return mapping


def open_source(token: str, section: str | None, mapping: dict[str, dict[str, str]]) -> SheetSource:
    path, name = kept_upload(token)
    return SheetSource(path, filename=name, section=section or section_from_name(name), mapping=mapping)


# --- what the preview and the result show ----------------------------------------------------------------------------
@dataclass
class RowProblem:
    section: str
    row: int | None
    ref: str
    column: str
    message: str


@dataclass
class OrgLine:
    ref: str
    name: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0


@dataclass
class SheetOutcome:
    """A preview (``problems`` or ``counts``) or an import (``summary`` and ``by_org``)."""

    problems: list[RowProblem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    summary: ImportSummary | None = None
    by_org: list[OrgLine] = field(default_factory=list)


@dataclass
class _Rows:
    """Per record of the sheet: its row, and the organisation it belongs to."""

    row: dict[tuple[str, str], int] = field(default_factory=dict)
    owner: dict[tuple[str, str], str] = field(default_factory=dict)
    refs: dict[str, list[str]] = field(default_factory=dict)


def _rows(source: SheetSource) -> _Rows:
    found = _Rows()
    groups: dict[str, str] = {}
    sections = [h.section for h in source.headers() if h.headers]
    for entry in source.entries([s for s in SECTIONS if s in sections]):
        record = entry.value
        ref = record.get("ref") if isinstance(record.get("ref"), str) and record["ref"].strip() else ""
        label = ref.strip() if ref else f"#{entry.number}"
        key = (entry.section, label)
        found.row.setdefault(key, entry.number)
        if entry.section == "plots":
            owner = groups.get(str(record.get("member") or ""), "")
        else:
            owner = str(record.get(OWNER_FIELD[entry.section]) or "")
        if entry.section == "members" and ref:
            groups[ref.strip()] = owner
        found.owner[key] = owner
        if ref:
            found.refs.setdefault(entry.section, []).append(ref.strip())
    return found


def _row_problems(source: SheetSource, problems: list[Problem], rows: _Rows) -> list[RowProblem]:
    return [
        RowProblem(
            p.section,
            rows.row.get((p.section, p.ref)),
            "" if p.ref.startswith("#") else p.ref,
            source.column_name(p.section, p.field) if p.field else "",
            p.message,
        )
        for p in problems
    ]


async def preview_sheet(source: SheetSource) -> SheetOutcome:
    """Every problem of every row and column, or the records ready to import; nothing is written."""
    try:
        checked = await validate_document(source)
    except ImportRejected as exc:
        rows = _rows(source) if any(p.ref for p in exc.problems) else _Rows()
        outcome = SheetOutcome(problems=_row_problems(source, exc.problems, rows))
        errors = Counter(rows.owner.get((p.section, p.ref), "") for p in exc.problems if p.ref)
        outcome.by_org = [OrgLine(ref, errors=n) for ref, n in sorted(errors.items()) if ref]
        await _names(outcome.by_org)
        return outcome
    return SheetOutcome(counts={s: n for s, n in checked.counts.items() if s in CORE_SECTIONS or n})


async def _stamps(section: str, refs: list[str]) -> dict[str, Any]:
    table = TABLES[section]
    stamps: dict[str, Any] = {}
    for start in range(0, len(refs), CHUNK):
        rows = await table.select(table.ref, table.updated_at).where(table.ref.is_in(refs[start : start + CHUNK]))
        stamps.update({r["ref"]: r["updated_at"] for r in rows})
    return stamps


async def import_sheet(source: SheetSource) -> SheetOutcome:
    """Write the sheet if it has no problem (all or nothing; ImportRejected otherwise): the summary per section, and
    per organisation what was created, updated and left unchanged."""
    rows = _rows(source)
    before = {s: await _stamps(s, refs) for s, refs in rows.refs.items()}
    summary = await import_document(source)
    lines: dict[str, OrgLine] = {}
    for section, refs in rows.refs.items():
        after = await _stamps(section, refs)
        for ref in refs:
            owner = rows.owner.get((section, ref), "")
            line = lines.setdefault(owner, OrgLine(owner))
            if ref not in before[section]:
                line.created += 1
            elif before[section][ref] != after.get(ref):
                line.updated += 1
            else:
                line.unchanged += 1
    outcome = SheetOutcome(summary=summary, by_org=[lines[k] for k in sorted(lines)])
    await _names(outcome.by_org)
    return outcome


async def _names(lines: list[OrgLine]) -> None:
    refs = [line.ref for line in lines if line.ref]
    names: dict[str, str] = {}
    for start in range(0, len(refs), CHUNK):
        rows = await Organization.select(Organization.ref, Organization.name).where(
            Organization.ref.is_in(refs[start : start + CHUNK])
        )
        names.update({r["ref"]: r["name"] for r in rows})
    for line in lines:
        line.name = names.get(line.ref, "")
