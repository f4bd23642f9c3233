"""Spreadsheet imports (CSV and XLSX) through the same checks and writing as the forestmatch/1 JSON import."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.imports.reading import UnreadableDocument
from app.imports.services import ImportRejected, export_document, import_document, validate_document
from app.imports.sheet_columns import COLUMNS
from app.imports.sheet_writing import export_workbook, flat_record
from app.imports.sheets import SheetSource
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from tests.factories import csrf_token, make_user, sign_in
from tests.integration.test_import import _cli, d, sample_doc

ORG_HEADER = ["ref", "name", "kind", "country"]
CERT_HEADER = ["ref", "organization", "code", "scope", "status", "expires_on", "product_types"]


def xlsx(sheets: dict[str, list[list[Any]]], merge: str | None = None) -> bytes:
    """A workbook with one sheet per entry, rows as given (formulas as strings starting with =)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge:
            sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8")


def producers(n: int, start: int = 1) -> dict[str, list[list[Any]]]:
    """Organisations and certificates of n producers, field-name headers."""
    expires = dt.date.today() + dt.timedelta(days=400)
    orgs = [ORG_HEADER] + [[f"p-{i}", f"Producer {i}", "producer", "MX"] for i in range(start, start + n)]
    certs = [CERT_HEADER] + [
        [f"c-{i}", f"p-{i}", f"NC-COC-{i:06d}", "COC", "valid", expires, "roundwood; sawn_timber"]
        for i in range(start, start + n)
    ]
    return {"organizations": orgs, "certificates": certs}


async def problems(source: Any) -> list[tuple[str, str, str, str]]:
    with pytest.raises(ImportRejected) as rejected:
        await validate_document(source)
    return [(p.section, p.ref, p.field, p.message) for p in rejected.value.problems]


async def unreadable(source_factory: Any) -> str:
    with pytest.raises(UnreadableDocument) as exc:
        await validate_document(source_factory())
    return exc.value.message


# --- round trips ------------------------------------------------------------------------------------------------------
async def test_xlsx_export_imports_back_unchanged(clean_db: str, tmp_path: Path) -> None:
    await import_document(sample_doc())
    path = tmp_path / "export.xlsx"
    assert export_workbook(await export_document(), path) == 5
    summary = await import_document(SheetSource(path))
    assert summary.as_dict() == {
        "created": {"organizations": 0, "certificates": 0, "offers": 0, "requests": 0},
        "updated": {"organizations": 0, "certificates": 0, "offers": 0, "requests": 0},
        "unchanged": {"organizations": 2, "certificates": 1, "offers": 1, "requests": 1},
    }


async def test_xlsx_creates_what_the_json_import_creates(clean_db: str, tmp_path: Path) -> None:
    doc = sample_doc()
    sheets = {
        s: [[c.field for c in COLUMNS[s]]]
        + [flat_record(s, r) for r in doc[s]]
        for s in ("organizations", "certificates", "offers", "requests")
    }
    path = tmp_path / "sample.xlsx"
    path.write_bytes(xlsx(sheets))
    summary = await import_document(SheetSource(path))
    assert summary.created == {"organizations": 2, "certificates": 1, "offers": 1, "requests": 1}
    offer = await Offer.select(Offer.price_amount, Offer.price_currency, Offer.species).output(load_json=True).first()
    assert (Decimal(str(offer["price_amount"])), offer["price_currency"], offer["species"]) == (
        Decimal("350.00"),
        "USD",
        ["Pinus durangensis"],
    )
    request = (
        await SourcingRequest.select(SourcingRequest.delivery_region, SourcingRequest.accepted_claims)
        .output(load_json=True)
        .first()
    )
    assert request == {"delivery_region": "MX-JAL", "accepted_claims": ["FSC 100%", "FSC Mix"]}
    # The JSON document of the same records changes nothing: one rule for both.
    again = await import_document(doc)
    assert again.unchanged == {"organizations": 2, "certificates": 1, "offers": 1, "requests": 1}


async def test_csv_round_trip_and_idempotent_reimport(clean_db: str, tmp_path: Path) -> None:
    rows = producers(3)
    orgs = tmp_path / "organizations.csv"
    orgs.write_bytes(csv_bytes(rows["organizations"], delimiter=";"))
    certs = tmp_path / "my-certificates.csv"
    certs.write_bytes(csv_bytes([[_iso(c) for c in r] for r in rows["certificates"]]))
    assert (await import_document(SheetSource(orgs, section="organizations"))).created["organizations"] == 3
    assert (await import_document(SheetSource(certs, section="certificates"))).created["certificates"] == 3
    assert await Certificate.select(Certificate.product_types).where(Certificate.ref == "c-2").output(
        load_json=True
    ).first() == {
        "product_types": ["roundwood", "sawn_timber"]
    }
    again = await import_document(SheetSource(certs, section="certificates"))
    assert (again.created["certificates"], again.unchanged["certificates"]) == (0, 3)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
