"""Spreadsheet imports (CSV and XLSX) through the same checks and writing as the forestmatch/1 JSON import."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import zipfile
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
from tests.integration.test_import import _cli, sample_doc

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


def damaged_xlsx() -> bytes:
    """A workbook whose sheet's XML is cut in half."""
    whole = zipfile.ZipFile(io.BytesIO(xlsx(producers(2))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        for info in whole.infolist():
            data = whole.read(info.filename)
            damaged.writestr(info, data[: len(data) // 2] if info.filename.endswith("sheet1.xml") else data)
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
    assert await unreadable(lambda: SheetSource(damaged_xlsx(), filename="orgs.xlsx")) == (
        "The XLSX workbook cannot be read: save it again as .xlsx or as CSV UTF-8."
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
    from openpyxl import load_workbook

    from app.imports.sheet_writing import template_xlsx

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


# --- the staff page ---------------------------------------------------------------------------------------------------
async def _staff(client: Any) -> None:
    await sign_in(client, await make_user("staff"))
    await client.get("/staff/import/sheet")


async def _post(client: Any, data: dict[str, str], file: tuple[str, bytes, str] | None = None) -> Any:
    files = {"sheet": file} if file else None
    return await client.post("/staff/import/sheet", data={**data, "_csrf_token": csrf_token(client)}, files=files)


def _hidden(page: str, name: str) -> str:
    import html
    import re

    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return html.unescape(match.group(1))


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_page_previews_every_problem_then_imports_all_or_nothing(client: Any) -> None:
    await _staff(client)
    sheets = producers(3)
    sheets["organizations"][2][2] = "farmer"
    sheets["certificates"][3][5] = "3/4/2030"
    page = await _post(client, {"action": "check"}, ("producers.xlsx", xlsx(sheets), XLSX_TYPE))
    assert page.status_code == 422
    assert "2 problems: nothing was imported. Fix the file and upload it again." in page.text
    assert (
        "<tr><td>organizations</td><td>3</td><td><code>p-2</code></td><td><code>kind</code></td><td>Unknown value "
        "&#39;farmer&#39;. Choose one of: producer, buyer, both, collector.</td></tr>"
    ) in page.text
    assert "<td>certificates</td><td>4</td><td><code>c-3</code></td><td><code>expires_on</code></td>" in page.text
    assert '<tr data-testid="org-p-2"><th scope="row"><code>p-2</code> </th><td>1</td></tr>' in page.text
    assert 'data-testid="sheet-import"' not in page.text
    # The Import button is refused on the server while the sheet has problems.
    refused = await _post(client, {"action": "import"}, ("producers.xlsx", xlsx(sheets), XLSX_TYPE))
    assert refused.status_code == 422
    assert "2 problems: nothing was imported." in refused.text
    assert await Organization.count() == 1  # the staff user's own

    sheets = producers(3)
    page = await _post(client, {"action": "check"}, ("producers.xlsx", xlsx(sheets), XLSX_TYPE))
    assert page.status_code == 200
    assert "No problems found. Ready to import:" in page.text
    done = await _post(client, {"action": "import", "token": _hidden(page.text, "token"), "mapping": "{}"})
    assert done.status_code == 200
    assert (
        '<tr data-testid="summary-organizations"><th scope="row">organizations</th><td>3</td><td>0</td><td>0</td></tr>'
    ) in done.text
    assert (
        '<tr data-testid="org-p-1"><th scope="row"><code>p-1</code> Producer 1</th><td>2</td><td>0</td><td>0</td>'
        "<td>0</td></tr>"
    ) in done.text
    assert await Certificate.count() == 3
    # The kept file is gone once imported.
    again = await _post(client, {"action": "import", "token": _hidden(page.text, "token"), "mapping": "{}"})
    assert again.status_code == 422
    assert "The uploaded file is no longer here: upload it again." in again.text


async def test_page_maps_unknown_headers_through_a_hidden_field(client: Any) -> None:
    await _staff(client)
    rows = [["Código", "Razón social", "Clase"], ["p-9", "Producer 9", "producer"]]
    page = await _post(
        client, {"action": "check", "section": "organizations"}, ("prod.csv", csv_bytes(rows), "text/csv")
    )
    assert page.status_code == 200
    assert 'data-testid="map-organizations-1"' in page.text
    token = _hidden(page.text, "token")
    mapped = await _post(
        client,
        {
            "action": "map",
            "token": token,
            "section": "organizations",
            "mapping": "{}",
            "map-organizations-0": "ref",
            "map-organizations-1": "name",
            "map-organizations-2": "kind",
        },
    )
    assert mapped.status_code == 200
    assert "No problems found. Ready to import:" in mapped.text
    mapping = _hidden(mapped.text, "mapping")
    assert json_loads(mapping) == {"organizations": {"Código": "ref", "Razón social": "name", "Clase": "kind"}}
    done = await _post(client, {"action": "import", "token": token, "section": "organizations", "mapping": mapping})
    assert done.status_code == 200
    assert await Organization.select(Organization.name).where(Organization.ref == "p-9").first() == {
        "name": "Producer 9"
    }


async def test_page_refuses_what_is_not_a_sheet(client: Any) -> None:
    await _staff(client)
    page = await _post(client, {"action": "check"}, ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(300), XLSX_TYPE))
    assert page.status_code == 422
    assert (
        '<div class="notice notice--error" role="alert" data-testid="sheet-error">The file is not an XLSX workbook: '
        "save it as .xlsx or as CSV UTF-8.</div>"
    ) in page.text


async def test_templates_download_and_import_as_given(client: Any) -> None:
    await _staff(client)
    response = await client.get("/staff/import/template/organizations.csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="forestmatch-organizations.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1] == "ref,name,kind,legal_form,country,region,locality,contact_email,description,lat,lon,languages"
    assert lines[3].startswith("# ejido-san-pedro,Ejido San Pedro,producer,ejido,MX,MX-DUR")
    short = await client.get("/staff/import/template/all.xlsx?short=1")
    assert short.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(short.content))
    assert book.sheetnames == [
        "organizations",
        "certificates",
        "offers",
        "requests",
        "members",
        "plots",
        "deliveries",
        "lots",
    ]
    assert [c.value for c in book["certificates"][2]] == [
        "ref", "organization", "code", "scope", "status", "expires_on", "product_types"
    ]  # fmt: skip
    assert (await client.get("/staff/import/template/users.csv")).status_code == 404
    # The template with one row filled in imports as it is.
    filled = response.content + b"p-5,Producer 5,producer,,MX\r\n"
    page = await _post(client, {"action": "check"}, ("organizations.csv", filled, "text/csv"))
    assert page.status_code == 200
    assert "No problems found. Ready to import:" in page.text


@pytest.mark.parametrize("role", ["producer", "buyer"])
async def test_sheet_pages_are_staff_only(client: Any, role: str) -> None:
    await sign_in(client, await make_user(role))
    await client.get("/")
    assert (await client.get("/staff/import/sheet")).status_code == 403
    assert (await client.get("/staff/import/template/organizations.xlsx")).status_code == 403
    response = await _post(client, {"action": "check"}, ("producers.xlsx", xlsx(producers(2)), XLSX_TYPE))
    assert response.status_code == 403
    assert await Certificate.count() == 0


def json_loads(text: str) -> Any:
    import json

    return json.loads(text)


# --- the command line -------------------------------------------------------------------------------------------------
async def test_cli_imports_sheets_and_exports_a_workbook_that_imports_back_unchanged(
    db_url: str, tmp_path: Path
) -> None:
    book = tmp_path / "producers.xlsx"
    book.write_bytes(xlsx(producers(2)))
    result = _cli(db_url, "import", str(book), "--dry-run")
    assert (result.returncode, result.stdout.strip()) == (0, "valid: 4 record(s), nothing written (dry run)")
    result = _cli(db_url, "import", str(book))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "imported: organizations: 2 created, 0 updated, 0 unchanged; certificates: 2 created, 0 updated, "
        "0 unchanged; offers: 0 created, 0 updated, 0 unchanged; requests: 0 created, 0 updated, 0 unchanged"
    )
    more = tmp_path / "export-2.csv"
    more.write_bytes(csv_bytes([ORG_HEADER, ["p-7", "Producer 7", "producer", "MX"], ["p-8", "P", "seller", "MX"]]))
    result = _cli(db_url, "import", str(more))
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "import rejected: Say which section the CSV file holds (organizations, certificates, offers, requests, "
        "members, plots, deliveries, lots): choose it, or name the file after it. Nothing was written.",
    )
    result = _cli(db_url, "import", str(more), "--section", "organizations")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "organizations\tp-8\tname\tWrite at least 2 letters.",
        "organizations\tp-8\tkind\tUnknown value 'seller'. Choose one of: producer, buyer, both, collector.",
        "import rejected: 2 problems; nothing was written",
    ]
    out = tmp_path / "everything.xlsx"
    result = _cli(db_url, "export", "--format", "xlsx", "-o", str(out))
    assert (result.returncode, result.stderr.strip()) == (0, f"exported 4 record(s) to {out}")
    result = _cli(db_url, "import", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "imported: organizations: 0 created, 0 updated, 2 unchanged; certificates: 0 created, 0 updated, "
        "2 unchanged; offers: 0 created, 0 updated, 0 unchanged; requests: 0 created, 0 updated, 0 unchanged"
    )


async def test_a_value_outside_the_header_is_reported(clean_db: str) -> None:
    sheets = producers(1)
    sheets["organizations"][1] += [None, None, "stray"]
    assert await problems(SheetSource(xlsx(sheets), filename="p.xlsx")) == [
        ("organizations", "p-1", "G", "Cell G2 has a value but its column has no header.")
    ]


async def test_traceability_sections_round_trip_through_a_workbook(clean_db: str, tmp_path: Path) -> None:
    from tests.integration.test_traceability_import import lot_inputs, trace_doc

    doc = trace_doc()
    await import_document(doc)
    path = tmp_path / "trace.xlsx"
    export_workbook(await export_document(), path)
    summary = await import_document(SheetSource(path))
    sections = ("members", "plots", "deliveries", "lots")
    assert {s: summary.created[s] + summary.updated[s] for s in sections} == dict.fromkeys(sections, 0)
    assert {s: summary.unchanged[s] for s in sections} == {s: len(doc[s]) for s in sections}
    lot = next(r for r in doc["lots"] if len(r["inputs"]) > 1 or any("lot" in i for i in r["inputs"]))
    before = await lot_inputs(lot["ref"])
    await import_document(SheetSource(path))
    assert await lot_inputs(lot["ref"]) == before


async def test_a_plot_point_from_lat_and_lon_columns(clean_db: str) -> None:
    from tests.integration.test_traceability_import import trace_doc

    await import_document(trace_doc())
    rows = [["ref", "member", "lat", "lon", "area_ha", "country"], ["p-2", "m-2", "-10.01", "-67.85", "2,5", "BR"]]
    summary = await import_document(SheetSource(csv_bytes(rows), filename="plots.csv", section="plots"))
    assert (summary.created["plots"], summary.updated["plots"], summary.unchanged["plots"]) == (0, 0, 1)
    rows[1][2] = "95"  # a latitude out of range is the import's own problem, on the lat column
    source = SheetSource(csv_bytes(rows), filename="plots.csv", section="plots")
    found = await problems(source)
    assert [(s, r, f) for s, r, f, _m in found] == [("plots", "p-2", "geometry")]
    assert source.column_name("plots", "geometry") == "lat / lon"


async def test_page_lists_the_first_thousand_problems(client: Any) -> None:
    await _staff(client)
    rows = [ORG_HEADER] + [[f"o-{i}", f"Org {i}", "farmer", "MX"] for i in range(1001)]
    page = await _post(client, {"action": "check"}, ("organizations.csv", csv_bytes(rows), "text/csv"))
    assert page.status_code == 422
    assert "1001 problems: nothing was imported." in page.text
    assert page.text.count("Unknown value &#39;farmer&#39;") == 1000
    assert "The first 1000 problems are listed; fix them and check the file again for the others." in page.text
