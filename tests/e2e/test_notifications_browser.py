"""Real browser: the header's unread count arrives by htmx and follows "mark as read" without a reload; "Save this
search" saves what the search box holds after an htmx search; with JavaScript off the same forms still work."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.notifications.services import Alert, deliver
from app.notifications.tables import Notification, SavedSearch
from tests.e2e.conftest import NewPage
from tests.e2e.pages import BasePage, LoginPage
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e


class NotificationsPage(BasePage):
    path = "/notifications"

    def badge(self) -> Any:
        return self.by_testid("notification-badge-count")

    def item(self, notification_id: int) -> Any:
        return self.page.locator(f'[data-testid="notification"][data-id="{notification_id}"]')

    async def mark_read(self, notification_id: int) -> None:
        await self.by_testid(f"mark-read-{notification_id}").click()


async def _two_notifications(user: Any) -> list[int]:
    for n in (1, 2):
        alert = Alert("message", f"message:{n}", {"org": "Ejido El Largo", "excerpt": f"Mensaje {n}"}, "/conversations")
        assert await deliver(alert, [user.id]) == [user.id]
    rows = await Notification.select(Notification.id).where(Notification.recipient == user.id).order_by(Notification.id)
    return [r["id"] for r in rows]


async def _read(ids: list[int]) -> list[bool]:
    rows = await Notification.select(Notification.id, Notification.read_at).where(Notification.id.is_in(ids))
    by_id = {r["id"]: r["read_at"] is not None for r in rows}
    return [by_id[i] for i in ids]


async def test_badge_counts_down_when_a_notification_is_marked_read(page: Any) -> None:
    producer = await make_user("producer")
    first, second = await _two_notifications(producer)
    await LoginPage(page).open()
    await LoginPage(page).sign_in(producer.email, PASSWORD)
    centre = NotificationsPage(page)
    await expect(centre.badge()).to_have_text("2")
    await centre.nav("nav-notifications")
    await centre.expect_at("/notifications")
    await expect(centre.item(second)).to_contain_text("Mensaje 2")
    await centre.mark_read(second)
    await expect(centre.badge()).to_have_text("1")  # refreshed by the htmx event, no reload
    await expect(centre.by_testid(f"mark-read-{second}")).to_have_count(0)
    assert await _read([first, second]) == [False, True]
    await centre.by_testid("read-all").click()
    await expect(centre.badge()).to_have_count(0)
    assert await _read([first, second]) == [True, True]


async def test_mark_read_works_with_javascript_off(new_page: NewPage) -> None:
    page = await new_page(java_script_enabled=False)
    buyer = await make_user("buyer")
    first, second = await _two_notifications(buyer)
    await LoginPage(page, js=False).open()
    await LoginPage(page, js=False).sign_in(buyer.email, PASSWORD)
    centre = NotificationsPage(page, js=False)
    await centre.open()
    await centre.mark_read(first)
    await centre.expect_at("/notifications")
    await expect(centre.by_testid(f"mark-read-{first}")).to_have_count(0)
    await expect(centre.by_testid("notification-unread")).to_have_text("1 unread notification")
    assert await _read([first, second]) == [True, False]


async def test_save_this_search_saves_the_search_typed_with_htmx(page: Any) -> None:
    buyer = await make_user("buyer")
    await LoginPage(page).open()
    await LoginPage(page).sign_in(buyer.email, PASSWORD)
    search = BasePage(page)
    search.path = "/search"
    await search.open("?q=pino")
    await search.field("q").fill("caoba")
    await search.expect_at(r"/search\?q=caoba&.*")  # the htmx search pushed the new address; no reload
    await search.by_testid("field-save-name").fill("Caoba")
    await search.by_testid("save-search").click()
    await expect(search.by_testid("notice-search-saved")).to_be_visible()
    rows = await SavedSearch.select(SavedSearch.user, SavedSearch.name, SavedSearch.query)
    assert rows == [{"user": buyer.id, "name": "Caoba", "query": "q=caoba"}]
