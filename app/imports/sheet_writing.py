"""Spreadsheets written by ForestMatch: the export as a workbook (one sheet per section, field-name headers, imports
back unchanged) and the import templates (translated headers over the field names, a description row and an example
row, both marked as notes with ``#``). Workbooks are written with openpyxl's write-only mode, a row at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from app.i18n import gettext as _
from app.imports.sheet_columns import COLUMNS, Column
from app.imports.validation import SECTIONS

_NESTED = {"price": "price_", "delivery": "delivery_"}


def _cell(column: Column, value: Any) -> Any:
    """A record value as the cell that reads back as the same value (``app.imports.sheets.convert``)."""
    if value is None or value == [] or value == "":
        return None
    if column.kind == "list":
        return "; ".join(str(v) for v in value)
    if column.kind == "geometry":
        return json.dumps(value, separators=(",", ":"))
    if column.kind == "inputs":
        return "; ".join(
            str(i["delivery"]) if "delivery" in i else f"{i['lot']}={i['dry_kg']}" for i in value if isinstance(i, dict)
        )
    return value


def flat_record(section: str, record: dict[str, Any]) -> list[Any]:
    """A record of the format as the cells of its section's columns (nested price and delivery flattened)."""
    flat = dict(record)
    for key, prefix in _NESTED.items():
        nested = flat.pop(key, None)
        if isinstance(nested, dict):
            flat.update({f"{prefix}{k}": v for k, v in nested.items()})
    return [_cell(column, flat.get(column.field)) for column in COLUMNS[section]]


def export_workbook(doc: dict[str, Any], out: Path | BinaryIO) -> int:
    """Write the document as a workbook, one sheet per section with its field names as the header; the number of
    records written."""
    from openpyxl import Workbook  # imported here: only sheet exports need it

    book = Workbook(write_only=True)
    written = 0
    for section in SECTIONS:
        sheet = book.create_sheet(section)
        sheet.append([c.field for c in COLUMNS[section]])
        for record in doc.get(section) or []:
            sheet.append(flat_record(section, record))
            written += 1
    book.save(out)
    return written


def template_columns(section: str, short: bool) -> list[Column]:
    return [c for c in COLUMNS[section] if c.required or not short]


def template_rows(section: str, short: bool) -> Iterator[list[str]]:
    """The four rows of a template: headers in the reader's language, field names, description and example (the
    last two start with ``#``: notes the import skips)."""
    columns = template_columns(section, short)
    yield [_(c.label) for c in columns]
    yield [c.field for c in columns]
    descriptions = [_(c.help) + (" " + _("(required)") if c.required else "") for c in columns]
    descriptions[0] = "# " + descriptions[0]
    yield descriptions
    examples = [c.example for c in columns]
    examples[0] = "# " + examples[0]
    yield examples


def template_xlsx(sections: Iterable[str], short: bool) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for section in sections:
        sheet = book.create_sheet(section)
        for row in template_rows(section, short):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv(section: str, short: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in template_rows(section, short):
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")
