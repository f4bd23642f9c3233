"""A group manager's pages (members, plots, map): who may (the group's users and staff; everyone else 404), forms
that keep what was typed and say what is wrong, and what saving writes and derives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.accounts import services as accounts
from app.accounts.services import CurrentUser
from app.imports.services import import_document
from app.traceability.tables import Member, Plot
from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.integration.test_traceability_import import SQUARE, d, trace_doc

GROUP_PAGES = (
    "/traceability/members",
    "/traceability/members/new",
    "/traceability/members/m-1",
    "/traceability/members/m-1/edit",
    "/traceability/plots/new?member=m-1",
    "/traceability/plots/p-1",
    "/traceability/plots/p-1/edit",
    "/traceability/plots/map",
    "/traceability/members/upload",
)


async def _manager() -> CurrentUser:
    await import_document(trace_doc())
    return await accounts.create_user(
        email="gestor@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
    )


def _with_group(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "group=coop-acre"


def member_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Ana Pereira",
        "member_code": "A-003",
        "country": "BR",
        "region_choices_for": "BR",
        "region": "BR-AC",
        "locality": "Brasiléia",
        "certified_from": d(-100),
        "certified_to": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("url", GROUP_PAGES)
async def test_each_page_opens_for_the_group_and_for_staff_naming_it(client, url: str) -> None:
    manager = await _manager()
    await sign_in(client, manager)
    assert (await client.get(url)).status_code == 200
    await client.get("/logout")
    client.cookies.clear()
    await sign_in(client, await make_user("staff"))
    assert (await client.get(_with_group(url))).status_code == 200
    unnamed = await client.get(url)
    if url == "/traceability/members":
        assert unnamed.status_code == 200  # staff first choose the group
        assert '<a href="/traceability/members?group=coop-acre">Cooperativa Acre</a>' in unnamed.text
    else:
        assert unnamed.status_code == 404  # staff must say which group


@pytest.mark.parametrize("url", GROUP_PAGES)
async def test_everyone_else_gets_404_and_anonymous_is_sent_to_sign_in(client, url: str) -> None:
    await _manager()
    anonymous = await client.get(url)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")
    other = await make_user("producer")
    await sign_in(client, other)
    assert (await client.get(url)).status_code == 404
    assert (await client.get(_with_group(url))).status_code == 404
    client.cookies.clear()
    await sign_in(client, await make_user("buyer"))
    assert (await client.get(_with_group(url))).status_code == 404


async def test_writes_are_refused_to_another_producer(client) -> None:
    await _manager()
    await sign_in(client, await make_user("producer"))
    response = await post_form(client, "/traceability/members/new?group=coop-acre", member_form())
    assert response.status_code == 404
    response = await post_form(client, "/traceability/members/m-1/edit", member_form(name="Taken over"))
    assert response.status_code == 404
    response = await post_form(
        client, "/traceability/plots/p-2/edit", {"lat": "-10", "lon": "-67", "area_ha": "1", "country": "BR"}
    )
    assert response.status_code == 404
    assert await Member.count().where(Member.member_code == "A-003") == 0
    assert (await Member.select(Member.name).where(Member.ref == "m-1").first())["name"] == "Maria Souza"


async def test_a_manager_in_another_group_cannot_see_this_group(client) -> None:
    manager = await _manager()
    other = await make_user("producer")
    from tests.factories import make_certificate

    await make_certificate(other, is_group=True)
    await sign_in(client, other)
    assert (await client.get("/traceability/members")).status_code == 200
    assert (await client.get("/traceability/members/m-1")).status_code == 404
    assert (await client.get("/traceability/plots/p-1")).status_code == 404
    assert (await client.get("/traceability/members?group=coop-acre")).status_code == 404
    assert manager.organization_ref == "coop-acre"


async def test_members_list_searches_filters_and_shows_rows(client) -> None:
    await sign_in(client, await _manager())
    page = await client.get("/traceability/members")
    assert page.status_code == 200
    assert 'data-testid="member-row-A-001"' in page.text
    assert 'data-testid="member-row-A-002"' in page.text
    found = await client.get("/traceability/members?q=jo%C3%A3o")
    assert 'data-testid="member-row-A-002"' in found.text
    assert 'data-testid="member-row-A-001"' not in found.text
    by_code = await client.get("/traceability/members?q=A-001")
    assert 'data-testid="member-row-A-001"' in by_code.text
    assert 'data-testid="member-row-A-002"' not in by_code.text
    in_scope = await client.get("/traceability/members?scope=in")
    assert 'data-testid="member-row-A-001"' in in_scope.text
    assert 'data-testid="member-row-A-002"' not in in_scope.text
    out = await client.get("/traceability/members?scope=out")
    assert 'data-testid="member-row-A-002"' in out.text
    assert 'data-testid="member-row-A-001"' not in out.text


async def test_search_as_you_type_answers_the_results_fragment(client) -> None:
    await sign_in(client, await _manager())
    response = await client.get("/traceability/members?q=A-002", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="members-results" data-testid="members-results">')
    assert 'data-testid="member-row-A-002"' in response.text
    assert 'data-testid="member-row-A-001"' not in response.text


async def test_members_list_pages_by_25(client) -> None:
    doc = trace_doc()
    doc["members"] += [
        {"ref": f"x-{n}", "group": "coop-acre", "name": f"Socio {n}", "member_code": f"B-{n:03d}", "country": "BR"}
        for n in range(30)
    ]
    await import_document(doc)
    manager = await accounts.create_user(
        email="g2@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
    )
    await sign_in(client, manager)
    first = await client.get("/traceability/members")
    assert first.text.count('data-testid="member-row-') == 25
    assert 'href="?page=2"' in first.text
    second = await client.get("/traceability/members?page=2")
    assert second.text.count('data-testid="member-row-') == 7


async def test_adding_a_member_saves_it_with_consent(client) -> None:
    await sign_in(client, await _manager())
    response = await post_form(client, "/traceability/members/new", member_form(consent_share_identity="1"))
    assert response.status_code == 303
    row = await Member.select().where(Member.member_code == "A-003").first()
    assert response.headers["location"] == f"/traceability/members/{row['ref']}?saved=1"
    assert row["name"] == "Ana Pereira"
    assert row["consent_share_identity"] is True
    assert row["region"] == "BR-AC"
    assert row["certified_from"].isoformat() == d(-100)
    page = await client.get(response.headers["location"])
    assert 'data-testid="notice-saved"' in page.text
    assert 'data-testid="member-no-plots"' in page.text


async def test_staff_add_a_member_to_the_group_named_in_the_url(client) -> None:
    await _manager()
    await sign_in(client, await make_user("staff"))
    response = await post_form(client, "/traceability/members/new?group=coop-acre", member_form())
    assert response.status_code == 303
    assert response.headers["location"].endswith("?group=coop-acre&saved=1")
    row = (
        await Member.select(Member.group.ref.as_alias("group"), Member.consent_share_identity)
        .where(Member.member_code == "A-003")
        .first()
    )
    assert row == {"group": "coop-acre", "consent_share_identity": False}


async def test_member_code_is_unique_in_the_group_and_values_are_kept(client) -> None:
    await sign_in(client, await _manager())
    response = await post_form(client, "/traceability/members/new", member_form(member_code="A-001"))
    assert response.status_code == 422
    assert "Member code A-001 is already used by another member of this group." in response.text
    assert 'value="Ana Pereira"' in response.text
    assert 'value="Brasiléia"' in response.text
    assert await Member.count() == 2
    # Its own code is not a clash when a member is edited.
    edit = await post_form(
        client, "/traceability/members/m-1/edit", member_form(name="Maria Souza Lima", member_code="A-001")
    )
    assert edit.status_code == 303
    assert (await Member.select(Member.name).where(Member.ref == "m-1").first())["name"] == "Maria Souza Lima"


async def test_dates_must_be_in_order_and_required_fields_are_named(client) -> None:
    await sign_in(client, await _manager())
    response = await post_form(
        client, "/traceability/members/new", member_form(name="", certified_from=d(-10), certified_to=d(-20))
    )
    assert response.status_code == 422
    assert 'id="f-name-error" aria-live="polite">This field is required.</p>' in response.text
    assert 'id="f-certified_to-error"' in response.text
    assert 'aria-invalid="true" data-testid="field-certified_to"' in response.text
    assert f'value="{d(-20)}"' in response.text
    assert await Member.count() == 2


async def test_member_page_shows_plots_with_their_checks(client) -> None:
    await sign_in(client, await _manager())
    page = await client.get("/traceability/members/m-1")
    assert page.status_code == 200
    assert 'data-testid="plot-p-1"' in page.text
    assert 'data-testid="plot-p-2"' not in page.text  # m-2's plot
    assert "/traceability/plots/new?member=m-1" in page.text


async def test_point_plot_without_area_is_refused_inline(client) -> None:
    await sign_in(client, await _manager())
    response = await post_form(
        client, "/traceability/plots/new?member=m-2", {"lat": "-10.02", "lon": "-67.84", "area_ha": "", "country": "BR"}
    )
    assert response.status_code == 422
    assert 'id="f-area_ha-error" aria-live="polite">A plot given as a point needs its area in hectares.</p>' in (
        response.text
    )
    assert 'value="-10.02"' in response.text
    assert await Plot.count() == 2


async def test_point_over_4_ha_is_stored_and_flagged(client) -> None:
    await sign_in(client, await _manager())
    response = await post_form(
        client,
        "/traceability/plots/new?member=m-2",
        {"lat": "-10.02", "lon": "-67.84", "area_ha": "6.5", "planted_year": "2010", "country": "BR"},
    )
    assert response.status_code == 303
    plot = (
        await Plot.select()
        .where(Plot.member.ref == "m-2")
        .order_by(Plot.id, ascending=False)
        .output(load_json=True)
        .first()
    )
    assert plot["geometry"] == {"type": "Point", "coordinates": [-67.84, -10.02]}
    assert plot["area_ha"] == 6.5
    assert plot["planted_year"] == 2010
    assert [c["code"] for c in plot["checks"]] == ["POINT_OVER_4HA"]
    page = await client.get(response.headers["location"])
    assert 'data-testid="check-POINT_OVER_4HA"' in page.text
    member = await client.get("/traceability/members/m-2")
    assert 'data-testid="check-POINT_OVER_4HA"' in member.text


async def test_polygon_is_stored_and_its_check_shown(client) -> None:
    await sign_in(client, await _manager())
    unclosed = {"type": "Polygon", "coordinates": [SQUARE[:-1]]}
    response = await post_form(
        client,
        "/traceability/plots/new?member=m-2",
        {"geometry": json.dumps(unclosed), "area_ha": "", "country": "BR"},
    )
    assert response.status_code == 303
    plot = (
        await Plot.select()
        .where(Plot.member.ref == "m-2")
        .order_by(Plot.id, ascending=False)
        .output(load_json=True)
        .first()
    )
    assert plot["geometry"] == unclosed
    assert "GEOM_INVALID" in [c["code"] for c in plot["checks"]]
    page = await client.get(response.headers["location"])
    assert 'data-testid="check-GEOM_INVALID"' in page.text
    assert "The plot&#39;s outline is not closed" in page.text


async def test_outline_that_does_not_parse_or_is_out_of_range_is_refused(client) -> None:
    await sign_in(client, await _manager())
    bad = await post_form(client, "/traceability/plots/new?member=m-2", {"geometry": "{not json", "country": "BR"})
    assert bad.status_code == 422
    assert "The outline is not valid GeoJSON" in bad.text
    assert "{not json</textarea>" in bad.text
    far = {"type": "Polygon", "coordinates": [[[-67.8, -99.0], [-67.7, -9.9], [-67.7, -9.8], [-67.8, -99.0]]]}
    out = await post_form(client, "/traceability/plots/new?member=m-2", {"geometry": json.dumps(far), "country": "BR"})
    assert out.status_code == 422
    assert 'id="f-geometry-error"' in out.text
    assert "latitude -99.0 is outside -90 to 90" in out.text
    both = await post_form(
        client,
        "/traceability/plots/new?member=m-2",
        {"geometry": json.dumps({"type": "Polygon", "coordinates": [SQUARE]}), "lat": "-10", "lon": "-67",
         "area_ha": "1", "country": "BR"},
    )  # fmt: skip
    assert both.status_code == 422
    assert "Give a map point or an outline, not both" in both.text
    assert await Plot.count() == 2


async def test_editing_a_plot_keeps_its_ref_and_checks_it_again(client) -> None:
    await sign_in(client, await _manager())
    form = await client.get("/traceability/plots/p-2/edit")
    assert 'value="-10.01"' in form.text
    assert 'value="2.5"' in form.text
    response = await post_form(
        client, "/traceability/plots/p-2/edit", {"lat": "-10.01", "lon": "-67.85", "area_ha": "9", "country": "BR"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/traceability/plots/p-2?saved=1"
    plot = await Plot.select(Plot.area_ha, Plot.checks).where(Plot.ref == "p-2").output(load_json=True).first()
    assert plot["area_ha"] == 9
    assert [c["code"] for c in plot["checks"]] == ["POINT_OVER_4HA"]


async def test_map_lists_every_plot_with_its_features(client) -> None:
    await sign_in(client, await _manager())
    page = await client.get("/traceability/plots/map")
    assert page.status_code == 200
    assert 'data-testid="plot-row-p-1"' in page.text
    assert 'data-testid="plot-row-p-2"' in page.text
    assert "/traceability/plots/p-1" in page.text
    features = json.loads(page.text.split("data-features='", 1)[1].split("'", 1)[0])
    assert sorted(f["properties"]["ref"] for f in features["features"]) == ["p-1", "p-2"]
    assert {f["properties"]["url"] for f in features["features"]} == {
        "/traceability/plots/p-1",
        "/traceability/plots/p-2",
    }


# --- upload --------------------------------------------------------------------------------------------------------
CSV_HEADER = "member_code,name,country,region,locality,certified_from,certified_to,consent_share_identity\n"


async def upload(client, name: str, content: bytes, action: str = "preview", url: str = "/traceability/members/upload"):
    if client.cookies.get("fm_csrf") is None:
        await client.get("/")
    return await client.post(
        url,
        files={"file": (name, content, "application/octet-stream")},
        data={"action": action, "_csrf_token": client.cookies.get("fm_csrf")},
    )


def problem_rows(html: str) -> list[tuple[str, str, str]]:
    """The problems table as (row, field, message) triples."""
    body = html.split('data-testid="upload-problems"', 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in body.split("<tr>")[2:]:
        cells = [c.split("</td>", 1)[0] for c in tr.split("<td>")[1:]]
        rows.append((cells[0], cells[1].removeprefix("<code>").removesuffix("</code>"), cells[2]))
    return rows


async def test_sheet_preview_lists_every_problem_and_writes_nothing(client) -> None:
    await sign_in(client, await _manager())
    sheet = (
        CSV_HEADER
        + f"A-001,Maria Souza Lima,BR,BR-AC,Xapuri,{d(-700)},,true\n"
        + f"A-010,,BR,,Xapuri,{d(-10)},{d(-20)},no\n"
        + "A-011,Rosa Dias,ZZ,,,,,maybe\n"
    ).encode()
    for action in ("preview", "import"):
        response = await upload(client, "members.csv", sheet, action)
        assert response.status_code == 422
        assert problem_rows(response.text) == [
            ("Row 3", "name", "This field is required."),
            ("Row 3", "certified_to", "The end date must be on or after the start date."),
            ("Row 4", "consent_share_identity", "Choose yes or no."),
            ("Row 4", "country", "ZZ is not a country we know: choose one from the list (ISO 3166-1, e.g. MX)."),
        ]
    assert await Member.count() == 2
    assert (await Member.select(Member.name).where(Member.ref == "m-1").first())["name"] == "Maria Souza"


async def test_sheet_imports_all_rows_and_counts_them(client) -> None:
    await sign_in(client, await _manager())
    sheet = (
        CSV_HEADER
        + f"A-001,Maria Souza Lima,BR,BR-AC,Xapuri,{d(-700)},,true\n"
        + f"A-010,Rosa Dias,BR,,Brasiléia,{d(-10)},,yes\n"
        + "A-011,Pedro Alves,BR,,,,,\n"
    ).encode()
    preview = await upload(client, "members.csv", sheet)
    assert preview.status_code == 200
    assert "No problems found: 3 rows are ready." in preview.text
    assert await Member.count() == 2
    done = await upload(client, "members.csv", sheet, "import")
    assert done.status_code == 200
    assert "Imported: 2 created, 1 updated, 0 unchanged." in done.text
    rows = (
        await Member.select(Member.member_code, Member.name, Member.consent_share_identity)
        .where(Member.group.ref == "coop-acre")
        .order_by(Member.member_code)
    )
    assert [(r["member_code"], r["name"], r["consent_share_identity"]) for r in rows] == [
        ("A-001", "Maria Souza Lima", True),
        ("A-002", "João Lima", False),
        ("A-010", "Rosa Dias", True),
        ("A-011", "Pedro Alves", False),
    ]
    assert (await Member.select(Member.ref).where(Member.member_code == "A-001").first())["ref"] == "m-1"
    again = await upload(client, "members.csv", sheet, "import")
    assert "Imported: 0 created, 0 updated, 3 unchanged." in again.text


async def test_sheet_with_unknown_columns_or_not_a_sheet_is_refused_by_name(client) -> None:
    await sign_in(client, await _manager())
    unknown = await upload(client, "members.csv", b"member_code,name,country,phone,group\nA-9,Ana,BR,555,x\n")
    assert unknown.status_code == 422
    assert "Unknown columns: phone, group. The columns are: member_code, name, country, region, locality" in (
        unknown.text
    )
    other = await upload(client, "members.txt", b"hello")
    assert other.status_code == 422
    assert "Upload a .csv or .xlsx sheet of members, or a .geojson file of plots." in other.text
    broken = await upload(client, "members.xlsx", b"not a zip")
    assert broken.status_code == 422
    assert "The file is not an XLSX workbook" in broken.text
    big = await upload(client, "members.csv", CSV_HEADER.encode() + b"x" * (20 * 1024 * 1024))
    assert big.status_code == 422
    assert "The file is larger than 20 MB: split it into smaller files." in big.text
    many = CSV_HEADER + "".join(f"C-{n},Socio {n},BR,,,,,\n" for n in range(20_001))
    too_many = await upload(client, "members.csv", many.encode())
    assert too_many.status_code == 422
    assert "The file has more than 20,000 rows: split it into smaller files." in too_many.text
    assert await Member.count() == 2


def _xlsx(rows: list[list[Any]]) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_xlsx_sheet_imports_and_formulas_are_refused(client) -> None:
    import datetime as dt

    await sign_in(client, await _manager())
    header = ["member_code", "name", "country", "certified_from", "consent_share_identity"]
    formula = _xlsx([header, ["A-020", "Rosa Dias", "BR", dt.date(2024, 3, 1), True], ["A-021", "=A2", "BR"]])
    refused = await upload(client, "members.xlsx", formula)
    assert refused.status_code == 422
    assert "Cell B3 holds a formula: copy the sheet and paste values only" in refused.text
    clean = _xlsx([header, [1001, "Rosa Dias", "BR", dt.datetime(2024, 3, 1), True]])
    done = await upload(client, "members.xlsx", clean, "import")
    assert done.status_code == 200
    assert "Imported: 1 created, 0 updated, 0 unchanged." in done.text
    row = await Member.select().where(Member.member_code == "1001").first()
    assert (row["name"], row["certified_from"].isoformat(), row["consent_share_identity"]) == (
        "Rosa Dias",
        "2024-03-01",
        True,
    )


def _feature(ref: str, code: str, geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": {"ref": ref, "member_code": code, **props}}


async def test_geojson_plots_preview_problems_then_import(client) -> None:
    await sign_in(client, await _manager())
    bad = {
        "type": "FeatureCollection",
        "features": [
            _feature("p-10", "A-001", {"type": "Point", "coordinates": [-67.8, -10.0]}, country="BR"),
            _feature("p-11", "Z-9", {"type": "Point", "coordinates": [-67.8, -10.0]}, area_ha=1, country="BR"),
        ],
    }
    response = await upload(client, "plots.geojson", json.dumps(bad).encode())
    assert response.status_code == 422
    assert problem_rows(response.text) == [
        ("Feature 2", "member_code", "No member of this group has code Z-9."),
        ("Feature 1", "area_ha", "A plot given as a point needs area_ha (hectares)."),
    ]
    assert await Plot.count() == 2
    good = {
        "type": "FeatureCollection",
        "features": [
            _feature("p-10", "A-001", {"type": "Point", "coordinates": [-67.8, -10.0]}, area_ha=6, country="BR"),
            _feature("p-11", "A-002", {"type": "Polygon", "coordinates": [SQUARE]}, area_ha=121, planted_year=2005,
                     country="BR"),
        ],
    }  # fmt: skip
    done = await upload(client, "plots.geojson", json.dumps(good).encode(), "import")
    assert done.status_code == 200
    assert "Imported: 2 created, 0 updated, 0 unchanged." in done.text
    rows = (
        await Plot.select(Plot.ref, Plot.member.ref.as_alias("member"), Plot.area_ha)
        .where(Plot.ref.is_in(["p-10", "p-11"]))
        .order_by(Plot.ref)
    )
    assert rows == [
        {"ref": "p-10", "member": "m-1", "area_ha": 6.0},
        {"ref": "p-11", "member": "m-2", "area_ha": 121.0},
    ]
    checks = await Plot.select(Plot.checks).where(Plot.ref == "p-10").output(load_json=True).first()
    assert "POINT_OVER_4HA" in [c["code"] for c in checks["checks"]]


async def test_geojson_polygon_over_50000_vertices_and_foreign_plot_refs_are_refused(client) -> None:
    await _manager()
    other = await make_user("producer")
    from tests.factories import make_certificate

    await make_certificate(other, is_group=True)
    await sign_in(client, other)
    ring = [[-67.8 + i * 1e-6, -10.0] for i in range(50_001)]
    doc = {
        "type": "FeatureCollection",
        "features": [_feature("p-1", "X", {"type": "Polygon", "coordinates": [ring]}, country="BR")],
    }
    response = await upload(client, "plots.geojson", json.dumps(doc).encode(), "import")
    assert response.status_code == 422
    rows = problem_rows(response.text)
    assert ("Feature 1", "ref", "Plot ref p-1 is already used: choose another.") in rows
    assert (
        "Feature 1",
        "geometry",
        "The polygon has more than 50,000 positions: simplify it (a plot outline needs far fewer).",
    ) in rows
    plot = await Plot.select(Plot.member.ref.as_alias("member")).where(Plot.ref == "p-1").first()
    assert plot == {"member": "m-1"}


async def test_upload_is_refused_to_another_producer(client) -> None:
    await _manager()
    await sign_in(client, await make_user("producer"))
    assert (await client.get("/traceability/members/upload")).status_code == 404
    response = await upload(client, "members.csv", (CSV_HEADER + "A-050,Ana,BR,,,,,\n").encode(), "import")
    assert response.status_code == 404
    assert await Member.count() == 2


async def test_the_hub_links_a_group_to_its_pages_and_staff_to_the_group_choice(client) -> None:
    await sign_in(client, await _manager())
    hub = await client.get("/traceability")
    assert '<a href="/traceability/members/upload" data-testid="hub-upload">' in hub.text
    assert '<a href="/traceability/plots/map" data-testid="hub-plots-map">' in hub.text
    client.cookies.clear()
    await sign_in(client, await make_user("staff"))
    hub = await client.get("/traceability")
    assert 'data-testid="hub-members">Groups: choose one to see its members and plots</a>' in hub.text
    assert 'data-testid="hub-upload"' not in hub.text
    members = await client.get("/traceability/members?group=coop-acre")
    assert 'href="/traceability/members/upload?group=coop-acre" data-testid="upload-link"' in members.text
