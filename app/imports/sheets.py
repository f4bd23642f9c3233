"""Spreadsheets as a ``forestmatch/1`` source: a CSV file (one section) or an XLSX workbook (one sheet per section,
named like the section), read row by row and never held whole, each row turned into a record that goes through the
very checks of the JSON import (``validate_document`` on this source).

Cells become record values in one place, ``convert``: lists are split on ``;``, dates are date cells or ISO text
(``dd/mm/yyyy`` and ``mm/dd/yyyy`` cannot be told apart and are refused with a message), numbers are number cells or
text with a decimal point (a lone decimal comma such as ``12,5`` is read as 12.5; ``1,250`` could be a thousands
separator and is refused), a plot's point may be given as ``lat``/``lon`` columns. What a cell cannot say is reported
on its row (``#12`` or its ref) and column, through the import's own problem list.

The header is the first row; when the second row holds the field names (as the templates do, under headers in the
reader's language), the second row is the header. A header is a field name, or a field's translated header in any of
ForestMatch's languages; any other header needs a mapping (``mapping``: header -> field, or "" to leave the column
out). Rows whose first cell starts with ``#`` are notes (the templates' description and example rows)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from app.i18n import SUPPORTED_LOCALES, translations_for
from app.i18n import gettext as _
from app.imports.member_sheets import merged_ranges
from app.imports.reading import UnreadableDocument
from app.imports.sheet_columns import COLUMNS, POINT_COLUMNS, Column
from app.imports.sources import DocumentSource, Entry, Shape
from app.imports.validation import FORMAT, SECTIONS, ImportRejected, Problem

CSV, XLSX = "csv", "xlsx"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_MONTH = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$")
_POINT_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_COMMA_NUMBER = re.compile(r"^[+-]?\d+,\d+$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


@dataclass
class SheetHeader:
    """One sheet's header: the header texts, the field each column holds (None: unknown, "": left out)."""

    section: str
    title: str
    headers: list[str]
    fields: list[str | None]
    #: the sheet row of the header (1, or 2 under a row of translated headers)
    row: int
    #: field -> the header text of its column, for messages
    names: dict[str, str] = field(default_factory=dict)

    def unknown(self) -> list[str]:
        return [h for h, f in zip(self.headers, self.fields, strict=True) if f is None and h]


def kind_of(filename: str, head: bytes) -> str:
    """CSV or XLSX, from the file's first bytes and name; UnreadableDocument for anything else."""
    name = filename.lower().strip()
    if head.startswith(b"PK\x03\x04"):
        return XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableDocument(_("This is an old Excel .xls file: save it as .xlsx (Excel workbook) and try again."))
    if name.endswith(".xlsx"):
        raise UnreadableDocument(_("The file is not an XLSX workbook: save it as .xlsx or as CSV UTF-8."))
    if name.endswith((".csv", ".txt")) or not name:
        if b"\x00" in head:
            raise UnreadableDocument(_("The file is not a CSV text file: save the sheet as CSV UTF-8 or as .xlsx."))
        return CSV
    raise UnreadableDocument(_("Upload a .csv or .xlsx file."))


def section_from_name(filename: str) -> str | None:
    """The section a CSV file's name says (``certificates.csv``, ``2026-offers.csv``), if exactly one."""
    stem = Path(filename).stem.lower()
    found = [s for s in SECTIONS if re.search(rf"(^|[^a-z]){s}($|[^a-z])", stem)]
    return found[0] if len(found) == 1 else None


def _header_lookup(section: str) -> dict[str, str]:
    """Normalised header -> field: field names, and each field's header in every language."""
    lookup: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        translations = translations_for(locale)
        for column in COLUMNS[section]:
            lookup.setdefault(_norm(translations.gettext(column.label)), column.field)
    for column in COLUMNS[section]:
        lookup[_norm(column.field)] = column.field
    return lookup


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _text(value: Any) -> str:
    """A cell as text (a whole number typed in a text column reads back without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# --- cells to record values: the one place --------------------------------------------------------------------------
class CellProblem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return _text(value)
    if isinstance(value, (int, float)):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    text = _text(value).replace("\u00a0", "").replace(" ", "")
    if _POINT_NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if _THOUSANDS.match(text):
        raise CellProblem(
            _(
                "%(value)s could be a thousands separator or a decimal comma: write the number without separators "
                "and with a decimal point, e.g. 1250 or 1.25.",
                value=text,
            )
        )
    if _COMMA_NUMBER.match(text):
        return float(text.replace(",", "."))
    if "," in text and "." in text:
        raise CellProblem(
            _("Write %(value)s without thousands separators and with a decimal point, e.g. 1250.5.", value=text)
        )
    return text  # the import's check says what is wrong with it


def _date(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    text = _text(value)
    if _DAY_MONTH.match(text):
        raise CellProblem(
            _(
                "%(value)s could be read day first or month first: write the date as YYYY-MM-DD (e.g. 2026-03-04) "
                "or make the cell a date cell.",
                value=text,
            )
        )
    return text


def _list(value: Any) -> list[str]:
    return [item.strip() for item in _text(value).split(";") if item.strip()]


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    return _text(value)


def _geometry(value: Any) -> Any:
    text = _text(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        raise CellProblem(
            _(
                'Write the geometry as GeoJSON, e.g. {"type": "Point", "coordinates": [-67.8, -10.2]}, '
                "or fill lat and lon."
            )
        ) from None
    return parsed


def _inputs(value: Any) -> Any:
    text = _text(value)
    if text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            raise CellProblem(_("Write the inputs as delivery refs, or lot ref=dry kg, separated by ;")) from None
    inputs: list[dict[str, Any]] = []
    for item in _list(text):
        if "=" in item:
            lot, kg = (part.strip() for part in item.split("=", 1))
            inputs.append({"lot": lot, "dry_kg": _number(kg)})
        else:
            inputs.append({"delivery": item})
    return inputs


def _integer(value: Any) -> Any:
    number = _number(value)
    return int(number) if isinstance(number, float) and number.is_integer() else number


_CONVERT = {
    "text": _text,
    "number": _number,
    "integer": _integer,
    "date": _date,
    "list": _list,
    "bool": _bool,
    "geometry": _geometry,
    "inputs": _inputs,
}


def convert(column: Column, value: Any) -> Any:
    """A cell's value as the record value of its column; CellProblem when the cell cannot say it."""
    if isinstance(value, str) and value.startswith("="):
        raise CellProblem(_("The cell holds a formula (%(formula)s): paste values only.", formula=value[:40]))
    return _CONVERT[column.kind](value)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- the source -------------------------------------------------------------------------------------------------------
class SheetSource(DocumentSource):
    """A CSV file (one section) or an XLSX workbook (a sheet per section) read as ``forestmatch/1`` records.

    ``data`` is the file's path (read again for each pass of the import) or its bytes (a web upload)."""

    def __init__(
        self,
        data: Path | bytes,
        *,
        filename: str = "",
        section: str | None = None,
        mapping: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.data = data
        self.filename = filename or (data.name if isinstance(data, Path) else "")
        if isinstance(data, Path):
            with data.open("rb") as raw:
                head = raw.read(4096)
        else:
            head = data[:4096]
        self.kind = kind_of(self.filename, head)
        self.section = section
        #: section -> header -> field ("" leaves the column out)
        self.mapping = mapping or {}
        self._headers: list[SheetHeader] | None = None

    # raw rows
    def _open(self) -> BinaryIO:
        return self.data.open("rb") if isinstance(self.data, Path) else io.BytesIO(self.data)

    @contextmanager
    def _workbook(self) -> Iterator[Any]:
        """The workbook, read-only (streamed), closed with its file when done."""
        from openpyxl import load_workbook  # imported here: only sheet imports need it

        with self._open() as raw:
            try:
                book = load_workbook(raw, read_only=True, data_only=False)
            except Exception:  # noqa: BLE001 - not a workbook, or a damaged one: the user's file, never a 500
                raise UnreadableDocument(
                    _("The file is not an XLSX workbook: save it as .xlsx or as CSV UTF-8.")
                ) from None
            try:
                yield book
            finally:
                book.close()

    def _csv_rows(self) -> Iterator[list[Any]]:
        raw = self._open()
        try:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            sample = text.read(8192)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
            except csv.Error:
                dialect = csv.excel
            text.seek(0)
            reader = csv.reader(text, dialect)
            yield from reader
        except UnicodeDecodeError:
            raise UnreadableDocument(
                _("The CSV file is not UTF-8 text: save it as CSV UTF-8 and upload it again.")
            ) from None
        except csv.Error as exc:
            raise UnreadableDocument(_("The CSV file cannot be read: %(error)s", error=str(exc)[:200])) from None
        finally:
            raw.close()

    def _sheets(self) -> Iterator[tuple[str, str, Iterator[tuple[Any, ...]]]]:
        """(section, sheet title, rows) of each sheet that holds a section."""
        if self.kind == CSV:
            if self.section not in SECTIONS:
                raise UnreadableDocument(
                    _(
                        "Say which section the CSV file holds (%(sections)s): choose it, or name the file after it.",
                        sections=", ".join(SECTIONS),
                    )
                )
            yield self.section, Path(self.filename).name or "CSV", (tuple(r) for r in self._csv_rows())
            return
        with self._workbook() as book:
            try:
                for sheet in book.worksheets:
                    section = _norm(sheet.title)
                    if section in SECTIONS:
                        yield section, sheet.title, sheet.iter_rows(values_only=True)
            except UnreadableDocument:
                raise
            except Exception:  # noqa: BLE001 - a damaged workbook is the user's file to fix, never a server error
                raise UnreadableDocument(
                    _("The XLSX workbook cannot be read: save it again as .xlsx or as CSV UTF-8.")
                ) from None

    def _rows(self, section: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        for name, _title, rows in self._sheets():
            if name == section:
                try:
                    yield from enumerate(rows, start=1)
                except UnreadableDocument:
                    raise
                except Exception:  # noqa: BLE001 - as above
                    raise UnreadableDocument(
                        _("The XLSX workbook cannot be read: save it again as .xlsx or as CSV UTF-8.")
                    ) from None
                return

    # headers
    def headers(self) -> list[SheetHeader]:
        """Each sheet's header (read once); UnreadableDocument for a file that is not a sheet, has merged cells,
        or holds no section."""
        if self._headers is not None:
            return self._headers
        found: list[SheetHeader] = []
        merged: list[str] = []
        if self.kind == XLSX:
            with self._workbook() as book:
                for sheet in book.worksheets:
                    if _norm(sheet.title) in SECTIONS:
                        cells = merged_ranges(self.data, sheet._worksheet_path)
                        if cells:
                            merged.append(f"{sheet.title} ({', '.join(cells)})")
            if merged:
                raise UnreadableDocument(
                    _(
                        "The sheet %(sheet)s has merged cells: unmerge them, fill in every cell and upload the "
                        "file again.",
                        sheet="; ".join(merged),
                    )
                )
        try:
            for section, title, rows in self._sheets():
                first = next(rows, None)
                second = next(rows, None)
                found.append(self._header(section, title, first, second))
        except UnreadableDocument:
            raise
        except Exception:  # noqa: BLE001 - a damaged workbook is the user's file to fix, never a server error
            raise UnreadableDocument(
                _("The XLSX workbook cannot be read: save it again as .xlsx or as CSV UTF-8.")
            ) from None
        if self.kind == XLSX and not found:
            raise UnreadableDocument(
                _(
                    "No sheet of the workbook is named like a section: name each sheet %(sections)s.",
                    sections=", ".join(SECTIONS),
                )
            )
        self._headers = found
        return found

    def _header(self, section: str, title: str, first: Any, second: Any) -> SheetHeader:
        lookup = _header_lookup(section)
        mapping = self.mapping.get(section, {})
        names = {c.field for c in COLUMNS[section]}
        row, cells = 1, [_text(c) for c in (first or ())]
        below = [_text(c) for c in (second or ())]
        if any(below) and all(not c or c in names for c in below):
            row, cells = 2, below  # the templates' field names under the translated headers
        while cells and not cells[-1]:
            cells.pop()
        fields: list[str | None] = []
        for text in cells:
            if text in mapping:
                fields.append(mapping[text] if mapping[text] in names else "")
            else:
                fields.append(lookup.get(_norm(text)) if text else "")
        header = SheetHeader(section, title, cells, fields, row)
        if row == 2:
            labels = [_text(c) for c in (first or ())]
            header.names = {f: (labels[i] if i < len(labels) and labels[i] else f) for i, f in enumerate(cells) if f}
        else:
            header.names = {f: cells[i] for i, f in enumerate(fields) if f}
        if section == "plots" and "geometry" not in header.names and {"lat", "lon"} & set(header.names):
            # A point given as two columns: the geometry's problems are theirs.
            header.names["geometry"] = f"{header.names.get('lat', 'lat')} / {header.names.get('lon', 'lon')}"
        return header

    def header_problems(self) -> list[Problem]:
        """Empty sheets, unknown and repeated columns: each one problem naming the sheet and the column."""
        problems: list[Problem] = []
        for header in self.headers():
            if not header.headers:
                problems.append(
                    Problem(
                        header.section,
                        "",
                        "",
                        _("The sheet %(sheet)s is empty: it has no header row.", sheet=header.title),
                    )
                )
                continue
            for text in header.unknown():
                problems.append(
                    Problem(
                        header.section,
                        "",
                        text,
                        _(
                            "Unknown column %(column)s in sheet %(sheet)s: rename it to one of the fields (%(fields)s) "
                            "or map it to one.",
                            column=text,
                            sheet=header.title,
                            fields=", ".join(c.field for c in COLUMNS[header.section]),
                        ),
                    )
                )
            seen: dict[str, str] = {}
            for text, name in zip(header.headers, header.fields, strict=True):
                if name and name in seen:
                    problems.append(
                        Problem(
                            header.section,
                            "",
                            text,
                            _(
                                "Columns %(first)s and %(second)s both hold %(field)s: keep one.",
                                first=seen[name],
                                second=text,
                                field=name,
                            ),
                        )
                    )
                elif name:
                    seen[name] = text
        return problems

    # DocumentSource
    def shape(self) -> Shape:
        headers = self.headers()
        if not any(h.headers for h in headers):
            raise UnreadableDocument(_("The file is empty: it has no header row and no records."))
        problems = self.header_problems()
        if problems:
            raise ImportRejected(problems)
        if not any(True for _entry in self.entries([h.section for h in headers])):
            raise UnreadableDocument(_("The file holds no records: fill in at least one row under the header."))
        return Shape(format=FORMAT, sections={h.section: True for h in headers})

    def entries(self, sections: Iterable[str]) -> Iterator[Entry]:
        headers = {h.section: h for h in self.headers()}
        for section in sections:
            header = headers.get(section)
            if header is None or not header.headers:
                continue
            columns = {c.field: c for c in COLUMNS[section]}
            for number, cells in self._rows(section):
                if number <= header.row:
                    continue
                entry = self._entry(header, columns, number, cells)
                if entry is not None:
                    yield entry

    def _entry(
        self, header: SheetHeader, columns: dict[str, Column], number: int, cells: tuple[Any, ...]
    ) -> Entry | None:
        if not any(c is not None and _text(c) != "" for c in cells):
            return None
        first = cells[0] if cells else None
        if isinstance(first, str) and first.strip().startswith("#"):
            return None  # a note row (the templates' description and example)
        record: dict[str, Any] = {}
        notes: list[tuple[str, str]] = []
        point: dict[str, Any] = {}
        for index, value in enumerate(cells):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            name = header.fields[index] if index < len(header.fields) else None
            if not name:
                if index >= len(header.fields):
                    letter = _column_letter(index)
                    cell = letter + str(number)
                    notes.append((letter, _("Cell %(cell)s has a value but its column has no header.", cell=cell)))
                continue
            try:
                converted = convert(columns[name], value)
            except CellProblem as problem:
                notes.append((name, problem.message))
                converted = _text(value)
            if header.section == "plots" and name in POINT_COLUMNS:
                point[name] = converted
            else:
                record[name] = converted
        if point and "geometry" not in record:
            record["geometry"] = {"type": "Point", "coordinates": [point.get("lon"), point.get("lat")]}
        return Entry(header.section, number, record, tuple(notes))

    def column_name(self, section: str, name: str) -> str:
        """The header of the column holding field ``name`` (the field name when the sheet has no such column)."""
        for header in self.headers():
            if header.section == section:
                return header.names.get(name, name)
        return name
