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
    orgs = [list(ORG_HEADER)] + [[f"p-{i}", f"Producer {i}", "producer", "MX"] for i in range(start, start + n)]
    certs = [list(CERT_HEADER)] + [
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
        s: [[c.field for c in COLUMNS[s]]] + [flat_record(s, r) for r in doc[s]]
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
    ).first() == {"product_types": ["roundwood", "sawn_timber"]}
    again = await import_document(SheetSource(certs, section="certificates"))
    assert (again.created["certificates"], again.unchanged["certificates"]) == (0, 3)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


# --- bad sheets: each one clear message ------------------------------------------------------------------------------
async def test_formula_cells_are_reported_on_their_row_and_column(clean_db: str) -> None:
    sheets = producers(2)
    sheets["organizations"][2][1] = '=UPPER("x")'
    assert await problems(SheetSource(xlsx(sheets), filename="p.xlsx")) == [
        ("organizations", "p-2", "name", 'The cell holds a formula (=UPPER("x")): paste values only.')
    ]
    assert await Organization.count() == 0


async def test_merged_cells_refuse_the_workbook(clean_db: str) -> None:
    message = await unreadable(lambda: SheetSource(xlsx(producers(2), merge="B2:B3"), filename="p.xlsx"))
    assert message == (
        "The sheet organizations (B2:B3); certificates (B2:B3) has merged cells: unmerge them, fill in every cell "
        "and upload the file again."
    )


async def test_dates_iso_text_and_date_cells_pass_day_month_text_is_ambiguous(clean_db: str) -> None:
    sheets = producers(4)
    cert_rows = sheets["certificates"]
    cert_rows[1][5] = (dt.date.today() + dt.timedelta(days=300)).isoformat()  # ISO text
    cert_rows[2][5] = "14/03/2030"  # dd/mm/yyyy
    cert_rows[3][5] = "03/14/2030"  # mm/dd/yyyy
    # cert_rows[4] keeps a date cell
    assert await problems(SheetSource(xlsx(sheets), filename="p.xlsx")) == [
        (
            "certificates",
            "c-2",
            "expires_on",
            "14/03/2030 could be read day first or month first: write the date as YYYY-MM-DD (e.g. 2026-03-04) or "
            "make the cell a date cell.",
        ),
        (
            "certificates",
            "c-3",
            "expires_on",
            "03/14/2030 could be read day first or month first: write the date as YYYY-MM-DD (e.g. 2026-03-04) or "
            "make the cell a date cell.",
        ),
    ]


async def test_decimal_comma_is_read_when_it_cannot_be_a_thousands_separator(clean_db: str) -> None:
    header = ["ref", "name", "kind", "lat", "lon"]
    rows = [header, ["o-1", "Uno", "producer", "25,5", "-105,42"], ["o-2", "Dos", "producer", "1,250", "-105.4"]]
    rows.append(["o-3", "Tres", "producer", "1.025,5", "-105.4"])
    assert await problems(SheetSource(csv_bytes(rows, ";"), filename="x.csv", section="organizations")) == [
        (
            "organizations",
            "o-2",
            "lat",
            "1,250 could be a thousands separator or a decimal comma: write the number without separators and with "
            "a decimal point, e.g. 1250 or 1.25.",
        ),
        (
            "organizations",
            "o-3",
            "lat",
            "Write 1.025,5 without thousands separators and with a decimal point, e.g. 1250.5.",
        ),
    ]
    await import_document(SheetSource(csv_bytes(rows[:2], ";"), filename="x.csv", section="organizations"))
    assert await Organization.select(Organization.lat, Organization.lon).where(Organization.ref == "o-1").first() == {
        "lat": 25.5,
        "lon": -105.42,
    }


async def test_what_is_not_a_sheet_is_refused_in_one_message(clean_db: str) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    assert await unreadable(lambda: SheetSource(png, filename="orgs.csv", section="organizations")) == (
        "The file is not a CSV text file: save the sheet as CSV UTF-8 or as .xlsx."
    )
    assert await unreadable(lambda: SheetSource(png, filename="orgs.xlsx")) == (
        "The file is not an XLSX workbook: save it as .xlsx or as CSV UTF-8."
    )
    assert await unreadable(lambda: SheetSource(b"PK\x03\x04broken", filename="orgs.xlsx")) == (
        "The file is not an XLSX workbook: save it as .xlsx or as CSV UTF-8."
    )
    assert await unreadable(
        lambda: SheetSource("ref;name\nä;ö".encode("latin-1"), filename="o.csv", section="organizations")
    ) == ("The CSV file is not UTF-8 text: save it as CSV UTF-8 and upload it again.")
    assert await unreadable(lambda: SheetSource(b"ref,name\n", filename="data.csv")) == (
        "Say which section the CSV file holds (organizations, certificates, offers, requests, members, plots, "
        "deliveries, lots): choose it, or name the file after it."
    )
    assert await unreadable(lambda: SheetSource(xlsx({"Sheet1": [["ref"]]}), filename="book.xlsx")) == (
        "No sheet of the workbook is named like a section: name each sheet organizations, certificates, offers, "
        "requests, members, plots, deliveries, lots."
    )


async def test_unknown_column_is_named(clean_db: str) -> None:
    sheets = producers(1)
    sheets["organizations"][0].append("telefono")
    sheets["organizations"][1].append("555")
    assert await problems(SheetSource(xlsx(sheets), filename="p.xlsx")) == [
        (
            "organizations",
            "",
            "telefono",
            "Unknown column telefono in sheet organizations: rename it to one of the fields (ref, name, kind, "
            "legal_form, country, region, locality, contact_email, description, lat, lon, languages) or map it to "
            "one.",
        )
    ]


async def test_empty_sheets_and_files(clean_db: str) -> None:
    assert await unreadable(lambda: SheetSource(b"", filename="organizations.csv", section="organizations")) == (
        "The file is empty: it has no header row and no records."
    )
    assert await unreadable(lambda: SheetSource(xlsx({"organizations": [ORG_HEADER]}), filename="o.xlsx")) == (
        "The file holds no records: fill in at least one row under the header."
    )
    sheets = {"organizations": [], **{k: v for k, v in producers(1).items() if k == "certificates"}}
    assert await problems(SheetSource(xlsx(sheets), filename="o.xlsx")) == [
        ("organizations", "", "", "The sheet organizations is empty: it has no header row.")
    ]


async def test_row_without_ref_is_named_by_its_row_number(clean_db: str) -> None:
    sheets = producers(2)
    sheets["organizations"][2][0] = None
    assert await problems(SheetSource(xlsx(sheets), filename="p.xlsx")) == [
        ("organizations", "#3", "ref", "Every record needs a ref of 1 to 100 characters."),
        ("certificates", "c-2", "organization", "Unknown organisation ref p-2."),
    ]


async def test_problems_equal_the_json_imports_for_the_same_records(clean_db: str) -> None:
    doc = sample_doc()
    doc["offers"][0]["quantity"] = 0
    doc["offers"][0]["price"]["currency"] = "XXX"
    doc["certificates"][0]["scope"] = "XX"
    doc["requests"][0]["delivery"]["country"] = "ZZ"
    doc["organizations"][1]["kind"] = "seller"
    sheets = {
        s: [[c.field for c in COLUMNS[s]]] + [flat_record(s, r) for r in doc[s]]
        for s in ("organizations", "certificates", "offers", "requests")
    }
    from_json = await problems(copy.deepcopy(doc))
    assert len(from_json) == 5
    assert await problems(SheetSource(xlsx(sheets), filename="sample.xlsx")) == from_json


async def test_all_or_nothing(clean_db: str) -> None:
    sheets = producers(50)
    sheets["certificates"][50][4] = "valid-ish"
    assert await problems(SheetSource(xlsx(sheets), filename="p.xlsx")) == [
        (
            "certificates",
            "c-50",
            "status",
            "Unknown value 'valid-ish'. Choose one of: valid, suspended, terminated, expired.",
        )
    ]
    with pytest.raises(ImportRejected):
        await import_document(SheetSource(xlsx(sheets), filename="p.xlsx"))
    assert (await Organization.count(), await Certificate.count()) == (0, 0)


async def test_template_headers_and_mapping(clean_db: str) -> None:
    from app.imports.sheet_writing import template_xlsx

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(template_xlsx(["organizations"], short=True)))
    rows = [list(r) for r in book["organizations"].iter_rows(values_only=True)]
    assert rows[1] == ["ref", "name", "kind"]
    assert rows[2][0].startswith("# ") and rows[3][0] == "# ejido-san-pedro"
    rows.append(["p-1", "Producer 1", "producer"])
    source = SheetSource(xlsx({"organizations": rows}), filename="t.xlsx")
    assert (await import_document(source)).created["organizations"] == 1
    # Translated headers are read without a field-name row; any other header needs a mapping.
    own = [["Ref", "Nombre", "Clase", "Teléfono"], ["p-2", "Producer 2", "producer", "555"]]
    data = csv_bytes(own)
    assert [h.unknown() for h in SheetSource(data, filename="o.csv", section="organizations").headers()] == [
        ["Clase", "Teléfono"]
    ]
    mapping = {"organizations": {"Clase": "kind", "Teléfono": ""}}
    source = SheetSource(data, filename="o.csv", section="organizations", mapping=mapping)
    assert (await import_document(source)).created["organizations"] == 1
    assert await Organization.select(Organization.name).where(Organization.ref == "p-2").first() == {
        "name": "Producer 2"
    }
