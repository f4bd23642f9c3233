"""Real browser at 360 px: a group manager adds a member (place pickers, scope dates, consent), adds a point plot of
6.5 ha by typing its coordinates, and sees the POINT_OVER_4HA check on the plot and on the member's page. Ends by
checking the rows."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.accounts import services as accounts
from app.imports.services import import_document
from app.traceability.tables import Member, Plot
from tests.e2e.pages import LoginPage
from tests.e2e.pages_group import MemberDetailPage, MemberFormPage, MembersPage, PlotDetailPage, PlotFormPage
from tests.factories import PASSWORD
from tests.integration.test_traceability_import import d, trace_doc

pytestmark = pytest.mark.e2e


async def test_group_manager_adds_a_member_and_a_point_plot_over_4_ha(new_page: Any, live: Any, shots: Any) -> None:
    await import_document(trace_doc())
    manager = await accounts.create_user(
        email="e2e-gestor@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
    )
    page = await new_page(viewport={"width": 360, "height": 780})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(manager.email, PASSWORD)

    await page.goto("/traceability")
    await page.get_by_test_id("hub-members").click()
    members = MembersPage(page)
    await members.expect_at(r"/traceability/members")
    await expect(members.row("A-001")).to_be_visible()
    await members.add_member()

    form = MemberFormPage(page)
    await form.fill(name="Ana Pereira", member_code="A-003", locality="Brasiléia", certified_from=d(-100))
    await form.choose_country_named("Brazil")
    await form.choose_region_named("Acre")
    await form.tick(form.field("consent_share_identity"))
    await page.screenshot(path=str(shots / "group-member-form-360.png"), full_page=True)
    await form.save()

    detail = MemberDetailPage(page)
    await expect(detail.by_testid("member-name")).to_contain_text("Ana Pereira")
    await expect(detail.by_testid("member-consent")).to_have_text("Yes")
    await detail.add_plot()

    plot_form = PlotFormPage(page)
    await plot_form.fill(lat="-10.95", lon="-68.74", area_ha="6.5", planted_year="2012")
    await plot_form.save()
    plot = PlotDetailPage(page)
    await expect(plot.check("POINT_OVER_4HA")).to_be_visible()
    await plot.back_to_member("Ana Pereira")
    await expect(detail.check("POINT_OVER_4HA")).to_be_visible()
    await expect(detail.check("POINT_OVER_4HA")).to_contain_text("plots over 4 ha need a polygon")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    await page.screenshot(path=str(shots / "group-member-plot-check-360.png"), full_page=True)

    await page.goto("/traceability/plots/map")
    plots_map = page.get_by_test_id("plots-map")
    await expect(plots_map).to_have_attribute("data-ready", "true")
    await expect(plots_map.locator("path.leaflet-interactive")).to_have_count(3)  # p-1's outline, p-2 and the new point
    await expect(page.get_by_test_id("plots-table").locator("tbody tr")).to_have_count(3)
    await page.screenshot(path=str(shots / "group-plots-map-360.png"), full_page=True)

    member = await Member.select().where(Member.member_code == "A-003").first()
    assert (member["name"], member["region"], member["consent_share_identity"]) == ("Ana Pereira", "BR-AC", True)
    assert member["certified_from"].isoformat() == d(-100)
    plots = await Plot.select().where(Plot.member == member["id"]).output(load_json=True)
    assert len(plots) == 1
    assert plots[0]["geometry"] == {"type": "Point", "coordinates": [-68.74, -10.95]}
    assert plots[0]["area_ha"] == 6.5
    assert [c["code"] for c in plots[0]["checks"]] == ["POINT_OVER_4HA"]
