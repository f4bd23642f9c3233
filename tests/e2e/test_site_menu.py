"""Real browser: the header for every role, in Spanish and Portuguese.

At 360 px the links sit in a closed ``<details>`` menu whose button shows the unread count; opened, every link is
a full-width row inside the screen, and it opens with JavaScript off too. At 1280 px the same links are rows: the
brand, account links and language on one, the main links on the next, none wrapped or overlapping.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.notifications.services import Alert, deliver
from app.notifications.tables import Notification
from tests.e2e.conftest import NewPage
from tests.e2e.pages import BasePage, LoginPage
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 900}}
MAIN = ["nav-home", "nav-offers", "nav-search"]
ACCOUNT = ["nav-notifications", "nav-account", "logout"]
#: role -> (main navigation, account navigation), by data-testid, in the order shown.
LINKS: dict[str, tuple[list[str], list[str]]] = {
    "visitor": (MAIN, ["nav-login", "nav-signup"]),
    "producer": (
        [
            *MAIN,
            "nav-dashboard",
            "nav-conversations",
            "nav-my-offers",
            "nav-my-certificates",
            "nav-my-organization",
        ],
        ACCOUNT,
    ),
    "buyer": ([*MAIN, "nav-dashboard", "nav-conversations", "nav-my-requests", "nav-my-organization"], ACCOUNT),
    "staff": (
        [
            *MAIN,
            "nav-staff-certificates",
            "nav-staff-reported",
            "nav-staff-organizations",
            "nav-staff-users",
            "nav-staff-import",
            "nav-staff-analytics",
            "nav-staff-programs",
        ],
        ACCOUNT,
    ),
}


async def _unread(user: Any, count: int) -> None:
    for n in range(count):
        alert = Alert("message", f"message:menu:{user.id}:{n}", {"org": "Ejido El Largo", "excerpt": "¿Caoba?"}, "/")
        assert await deliver(alert, [user.id]) == [user.id]


async def _open_as(new_page: NewPage, role: str, locale: str, *, unread: int = 0, **options: Any) -> tuple[Any, Any]:
    """(page, user): a page in ``locale`` at the home page, signed in as a new user of ``role`` (user None: visitor)."""
    page = await new_page(**options)
    user = None
    js = options.get("java_script_enabled", True)
    await page.goto(f"/lang/{locale}?next=/")
    if role != "visitor":
        user = await make_user(role)
        await _unread(user, unread)
        login = LoginPage(page, js=js)
        await login.open()
        await login.sign_in(user.email, PASSWORD)
        await page.goto("/")
    await expect(page.locator("html")).to_have_attribute("lang", locale.replace("_", "-"))
    return page, user


async def _overflow(page: Any) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


async def _boxes(page: Any, testids: list[str]) -> dict[str, dict[str, float]]:
    boxes = {}
    for testid in testids:
        box = await page.get_by_test_id(testid).bounding_box()
        assert box is not None, f"{testid} is not rendered"
        boxes[testid] = box
    return boxes


@pytest.mark.parametrize("role", list(LINKS))
async def test_phone_menu_opens_and_reaches_every_link(new_page: NewPage, role: str) -> None:
    main, account = LINKS[role]
    page, _user = await _open_as(new_page, role, "es_MX", unread=2, **PHONE)
    button = page.get_by_test_id("site-menu-button")
    await expect(button).to_be_visible()
    await expect(button).to_contain_text("Menú")
    for testid in main + account:
        await expect(page.get_by_test_id(testid)).to_be_hidden()
    if role != "visitor":  # the unread count shows on the closed menu's button
        await expect(page.get_by_test_id("menu-badge-count")).to_have_text("2")
        await expect(button).to_contain_text("2 notificaciones sin leer")
    assert await _overflow(page) == 0

    await button.click()
    await expect(page.get_by_test_id("site-menu")).to_have_attribute("open", "")
    boxes = await _boxes(page, main + account)
    for testid, box in boxes.items():
        await expect(page.get_by_test_id(testid)).to_be_visible()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (testid, box)
        assert box["height"] >= 44, (testid, box)  # touch target
    tops = [boxes[t]["y"] for t in main + account]
    assert tops == sorted(tops) and len(set(tops)) == len(tops), "one link per row, in order"
    assert await _overflow(page) == 0

    last = (main + account)[-1] if role == "visitor" else main[-1]
    await page.get_by_test_id(last).click()
    target = await page.get_by_test_id(last).get_attribute("href")
    await BasePage(page).expect_at(target)
    await expect(page.get_by_test_id("site-menu")).not_to_have_attribute("open", "")


async def test_phone_menu_count_follows_reading(new_page: NewPage) -> None:
    """Closed menu shows 2; through the menu to the notifications, "mark all read" clears it without a reload."""
    page, user = await _open_as(new_page, "producer", "es_MX", unread=2, **PHONE)
    await expect(page.get_by_test_id("menu-badge-count")).to_have_text("2")
    await BasePage(page).nav("nav-notifications")
    await BasePage(page).expect_at("/notifications")
    # Each page fills the badge by a request of its own after loading: until it answers the badge is empty, so
    # wait for this page's "2" before marking (an empty badge is not yet a cleared one).
    await expect(page.get_by_test_id("menu-badge-count")).to_have_text("2")
    await page.get_by_test_id("read-all").click()
    await expect(page.get_by_test_id("menu-badge-count")).to_have_count(0)
    await expect(page.get_by_test_id("site-menu-button")).to_have_text("Menú")
    unread = await Notification.count().where((Notification.recipient == user.id) & Notification.read_at.is_null())
    assert unread == 0


@pytest.mark.parametrize("role", ["visitor", "producer"])
async def test_phone_menu_opens_without_javascript(new_page: NewPage, role: str) -> None:
    main, account = LINKS[role]
    page, _user = await _open_as(new_page, role, "pt_BR", java_script_enabled=False, **PHONE)
    await expect(page.get_by_test_id("nav-offers")).to_be_hidden()
    await page.get_by_test_id("site-menu-button").click()
    for testid in main + account:
        await expect(page.get_by_test_id(testid)).to_be_visible()
    await page.get_by_test_id("nav-offers").click()
    await BasePage(page).expect_at("/offers")
    await expect(page.get_by_test_id("offer-results")).to_be_visible()


@pytest.mark.parametrize("locale", ["es_MX", "pt_BR"])
@pytest.mark.parametrize("role", list(LINKS))
async def test_desk_header_is_rows_without_wrapping_or_overlap(new_page: NewPage, role: str, locale: str) -> None:
    main, account = LINKS[role]
    page, _user = await _open_as(new_page, role, locale, unread=3, **DESK)
    await expect(page.get_by_test_id("site-menu-button")).to_be_hidden()
    if role != "visitor":
        await expect(page.get_by_test_id("notification-badge-count")).to_have_text("3")
    langs = ["lang-es_MX", "lang-en", "lang-pt_BR"]
    boxes = await _boxes(page, ["site-name", *main, *account, *langs])
    for testid, box in boxes.items():
        await expect(page.get_by_test_id(testid)).to_be_visible()
        assert box["height"] == 44, (testid, box)  # one line of text: nothing wrapped inside a link
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, (testid, box)
    # Each group is one row: every link of it at the same height.
    assert {boxes[t]["y"] for t in main} == {boxes["nav-home"]["y"]}
    assert {boxes[t]["y"] for t in account + langs + ["site-name"]} == {boxes["site-name"]["y"]}
    # Signed in: the main links on the row under the brand; visitors: everything on one row.
    rows = 1 if role == "visitor" else 2
    assert len({boxes["site-name"]["y"], boxes["nav-home"]["y"]}) == rows
    items = list(boxes.items())
    overlapping = [
        (a, b)
        for i, (a, p) in enumerate(items)
        for b, q in items[i + 1 :]
        if p["x"] < q["x"] + q["width"]
        and q["x"] < p["x"] + p["width"]
        and p["y"] < q["y"] + q["height"]
        and q["y"] < p["y"] + p["height"]
    ]
    assert overlapping == []
    header = await page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] <= rows * 50 + 2
    assert await _overflow(page) == 0
