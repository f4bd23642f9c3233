"""A group's sheet of members (CSV or XLSX) or GeoJSON of plots, turned into the bulk document's ``members`` /
``plots`` sections for this group and run through the import's own validation and writing (all or nothing).

Rows become records with refs that do not change between the preview and the import: a member code already in the
group keeps its member's ref, a new one gets a ref derived from the group and the code."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.i18n import gettext as _
from app.imports.services import ImportSummary, import_document
from app.imports.validation import ImportRejected, validate_document
from app.traceability.members import GroupScope
from app.traceability.tables import Member, Plot

FORMAT = "forestmatch/1"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20_000
MEMBER_COLUMNS = (
    "member_code",
    "name",
    "country",
    "region",
    "locality",
    "certified_from",
    "certified_to",
    "consent_share_identity",
)
REQUIRED_COLUMNS = ("member_code", "name", "country")
PLOT_PROPERTIES = ("ref", "member_code", "area_ha", "planted_year", "country")


class UploadRefused(Exception):
    """The file cannot be read as a member sheet or a plot collection; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Upload:
    """What a file holds: ``members`` rows or ``plots`` features, each with its row or feature number."""

    kind: str
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class RowProblem:
    where: str
    field: str
    message: str


def too_large() -> UploadRefused:
    return UploadRefused(_("The file is larger than 20 MB: split it into smaller files."))


def _too_many() -> UploadRefused:
    return UploadRefused(_("The file has more than %(n)s rows: split it into smaller files.", n="20,000"))


def _header(names: list[Any]) -> list[str]:
    columns = [str(n or "").strip().lower() for n in names]
    unknown = [c for c in columns if c and c not in MEMBER_COLUMNS]
    if unknown:
        raise UploadRefused(
            _(
                "Unknown columns: %(columns)s. The columns are: %(known)s.",
                columns=", ".join(unknown[:10]),
                known=", ".join(MEMBER_COLUMNS),
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise UploadRefused(_("The sheet has no column %(columns)s.", columns=", ".join(missing)))
    return columns


def _rows(columns: list[str], values: Any) -> list[tuple[int, dict[str, Any]]]:
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, cells in enumerate(values, start=2):  # row 1 is the header
        row = {c: v for c, v in zip(columns, cells, strict=False) if c and v not in (None, "")}
        if row:
            if len(rows) >= MAX_ROWS:
                raise _too_many()
            rows.append((number, row))
    return rows


def read_csv(data: bytes) -> Upload:
    """A CSV sheet of members (UTF-8, comma or semicolon separated)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRefused(_("The CSV file is not UTF-8 text: save it as CSV UTF-8 and upload it again.")) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        first = next(reader, None)
        if first is None:
            raise UploadRefused(_("The file is empty."))
        return Upload("members", _rows(_header(first), ([c.strip() for c in r] for r in reader)))
    except csv.Error as exc:
        raise UploadRefused(_("The CSV file cannot be read: %(error)s", error=str(exc)[:200])) from None


def _cell(cell: Any) -> Any:
    """A spreadsheet cell as the text the import reads; a formula is refused (its value is not in the file)."""
    value = cell.value
    if getattr(cell, "data_type", "") == "f" or (isinstance(value, str) and value.startswith("=")):
        raise UploadRefused(
            _(
                "Cell %(cell)s holds a formula: copy the sheet and paste values only, then upload it again.",
                cell=getattr(cell, "coordinate", "?"),
            )
        )
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a member code typed as 1001 is read back as 1001.0
    return value.strip() if isinstance(value, str) else value if value is None else str(value)


#: A merged range in a worksheet's XML (``<mergeCell ref="C2:C3"/>``, with or without a namespace prefix).
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]{1,3}[0-9]{1,7}(?::[A-Za-z]{1,3}[0-9]{1,7})?)"')


def merged_ranges(data: bytes | Path, sheet_path: str, most: int = 5) -> list[str]:
    """The first merged ranges of a worksheet. A read-only workbook skips them (a merged value would be read in its
    first cell only and the others silently empty), so the sheet's XML is scanned in chunks for them."""
    found: list[str] = []
    package = data if isinstance(data, Path) else io.BytesIO(data)
    with zipfile.ZipFile(package) as archive, archive.open(sheet_path.lstrip("/")) as xml:
        tail = b""
        while len(found) < most and (chunk := xml.read(1024 * 1024)):
            text = tail + chunk
            for match in _MERGE.finditer(text):
                if match.end() > len(tail) and match.group(1).decode() not in found:
                    found.append(match.group(1).decode())
            tail = text[-512:]  # a tag cut between two chunks is found whole in the next
    return found[:most]


def read_xlsx(data: bytes) -> Upload:
    """The first worksheet of an XLSX workbook, read-only (streamed), refusing merged cells and formulas."""
    from openpyxl import load_workbook  # imported here: only this upload needs it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UploadRefused(_("The file is not an XLSX workbook: save it as .xlsx or as CSV UTF-8.")) from None
    try:
        sheet = book.worksheets[0]
        # openpyxl keeps where the sheet's XML is in the package (no public name for it).
        merged = merged_ranges(data, sheet._worksheet_path)  # type: ignore[attr-defined]
        if merged:
            raise UploadRefused(
                _(
                    "The sheet %(sheet)s has merged cells (%(cells)s): unmerge them, fill in every cell and upload "
                    "the file again.",
                    sheet=sheet.title,
                    cells=", ".join(merged),
                )
            )
        rows = sheet.iter_rows()
        first = next(rows, None)
        if first is None:
            raise UploadRefused(_("The file is empty."))
        columns = _header([_cell(c) for c in first])
        return Upload("members", _rows(columns, ([_cell(c) for c in r] for r in rows)))
    except UploadRefused:
        raise
    except Exception:  # noqa: BLE001 - a damaged workbook is the user's file to fix, never a server error
        raise UploadRefused(_("The XLSX workbook cannot be read: save it again as .xlsx or as CSV UTF-8.")) from None
    finally:
        book.close()


def read_geojson(data: bytes) -> Upload:
    """A GeoJSON FeatureCollection of plots, one feature per plot."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise UploadRefused(_("The file is not valid GeoJSON.")) from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise UploadRefused(_("The file must be a GeoJSON FeatureCollection with one feature per plot."))
    if len(doc["features"]) > MAX_ROWS:
        raise _too_many()
    items = []
    for number, feature in enumerate(doc["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        items.append(
            (number, {"geometry": feature.get("geometry") if isinstance(feature, dict) else None,
                      **(props if isinstance(props, dict) else {})})
        )  # fmt: skip
    return Upload("plots", items)


def read_upload(filename: str, data: bytes) -> Upload:
    """The upload by its file name's ending: .csv, .xlsx, or .geojson/.json."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_large()
    name = filename.lower().strip()
    if name.endswith(".csv"):
        return read_csv(data)
    if name.endswith(".xlsx"):
        return read_xlsx(data)
    if name.endswith((".geojson", ".json")):
        return read_geojson(data)
    raise UploadRefused(_("Upload a .csv or .xlsx sheet of members, or a .geojson file of plots."))


# --- the bulk document for this group -----------------------------------------------------------------------------
def _member_ref(group: str, code: str) -> str:
    return "m-" + hashlib.sha256(f"{group}\x00{code}".encode()).hexdigest()[:16]


async def _codes(scope: GroupScope) -> dict[str, str]:
    rows = await Member.select(Member.member_code, Member.ref).where(Member.group == scope.id)
    return {r["member_code"]: r["ref"] for r in rows}


async def build_document(scope: GroupScope, upload: Upload) -> tuple[dict[str, Any], dict[str, str], list[RowProblem]]:
    """The document, the record label -> "Row n" / "Feature n" map, and problems found before validation."""
    codes = await _codes(scope)
    labels: dict[str, str] = {}
    problems: list[RowProblem] = []
    records: list[dict[str, Any]] = []
    if upload.kind == "members":
        seen: set[str] = set()
        for number, row in upload.items:
            code = str(row.get("member_code") or "").strip()
            ref = codes.get(code) or _member_ref(scope.ref, code or f"row {number}")
            if code in seen:
                ref = f"{ref}-{number}"  # the import names the duplicated code
            seen.add(code)
            labels[ref] = _("Row %(n)s", n=number)
            records.append({**row, "ref": ref, "group": scope.ref})
        taken = await Member.select(Member.ref).where(
            Member.ref.is_in([r["ref"] for r in records] or [""]) & (Member.group != scope.id)
        )
        for row in taken:
            problems.append(RowProblem(labels[row["ref"]], "member_code", _("Choose another member code.")))
        return {"format": FORMAT, "members": records}, labels, problems
    for number, item in upload.items:
        ref = str(item.get("ref") or "").strip()
        label = _("Feature %(n)s", n=number)
        unknown = [k for k in item if k not in (*PLOT_PROPERTIES, "geometry")]
        if unknown:
            problems.append(RowProblem(label, unknown[0], _("Unknown property: %(names)s.", names=", ".join(unknown))))
        code = str(item.get("member_code") or "").strip()
        member = codes.get(code)
        if not code:
            problems.append(RowProblem(label, "member_code", _("This field is required.")))
        elif member is None:
            problems.append(
                RowProblem(label, "member_code", _("No member of this group has code %(code)s.", code=code))
            )
        record = {k: v for k, v in item.items() if k in ("ref", "geometry", "area_ha", "planted_year", "country")}
        record["member"] = member or ""
        labels[ref or f"#{number}"] = label
        records.append(record)
    refs = [str(r.get("ref") or "") for r in records]
    taken = await Plot.select(Plot.ref).where(
        Plot.ref.is_in([r for r in refs if r] or [""]) & (Plot.member.group != scope.id)
    )
    for row in taken:
        problems.append(
            RowProblem(
                labels[row["ref"]], "ref", _("Plot ref %(ref)s is already used: choose another.", ref=row["ref"])
            )
        )
    return {"format": FORMAT, "plots": records}, labels, problems


def _row_problems(rejected: ImportRejected, labels: dict[str, str], skip: set[tuple[str, str]]) -> list[RowProblem]:
    found = []
    for p in rejected.problems:
        where = labels.get(p.ref, p.ref)
        if (where, p.field) not in skip:
            found.append(RowProblem(where, p.field, p.message))
    return found


async def check_upload(scope: GroupScope, upload: Upload) -> tuple[dict[str, Any], dict[str, str], list[RowProblem]]:
    """The document, its records' row labels and every problem of every row (none: it may be imported)."""
    doc, labels, problems = await build_document(scope, upload)
    # Our own member-code message replaces the import's "member is required" for the same feature.
    skip = {(p.where, "member") for p in problems if p.field == "member_code"}
    try:
        await validate_document(doc)
    except ImportRejected as exc:
        problems += _row_problems(exc, labels, skip)
    return doc, labels, problems


async def import_upload(scope: GroupScope, upload: Upload) -> tuple[ImportSummary | None, list[RowProblem]]:
    """Write the upload if it has no problem (all or nothing): the summary, or the problems and nothing written."""
    doc, labels, problems = await check_upload(scope, upload)
    if problems:
        return None, problems
    try:
        return await import_document(doc), []
    except ImportRejected as exc:  # the records changed since the check: nothing was written
        return None, _row_problems(exc, labels, set())
