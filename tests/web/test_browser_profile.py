"""The profile page in a real headless Chromium against a real `tocsin serve`: a person
adds a contact method with hours, is told why its test cannot go yet, asks to use their
account email, and removes the method. Any console error fails the test."""

import re

from playwright.async_api import Browser, ViewportSize, expect

from tests.conftest import Server
from tests.web.test_browser_checks import Console, browser, sign_in, users
from tocsin.store.database import Database

__all__ = ["browser"]

PHONE = ViewportSize(width=375, height=812)


async def test_a_person_manages_their_contact_methods_in_the_browser(
    browser: Browser, server: Server, server_database: Database
) -> None:
    await users(server_database, "profile")
    console = Console()
    context = await browser.new_context()
    page = await sign_in(context, console, server.url, "profile-ops@example.com")
    await page.get_by_role("link", name="Profile").click()
    await expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    await expect(page.get_by_text("No contact methods yet")).to_be_visible()

    await page.get_by_label("Method").select_option("telegram")
    await page.get_by_label("Address, number, key, topic or id").fill("123456789")
    await page.get_by_label("From").fill("08:00")
    await page.get_by_label("Until").fill("20:00")
    await page.get_by_label("Time zone").fill("Europe/Berlin")
    await page.get_by_role("button", name="Add").click()
    row = page.locator("tr[data-contact]")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Telegram chat id")
    await expect(row).to_contain_text("08:00-20:00 Europe/Berlin")

    await row.get_by_role("button", name="Send a test").click()
    await expect(page.get_by_role("alert")).to_have_text("TOCSIN_TELEGRAM_BOT_TOKEN is not set")

    await page.get_by_role("button", name=re.compile(r"Use my account email")).click()
    await expect(page.locator("tr[data-contact]")).to_have_count(2)
    await expect(page.get_by_text("not confirmed yet")).to_be_visible()

    await (
        page.locator("tr[data-contact]", has_text="Telegram")
        .get_by_role("button", name="Remove")
        .click()
    )
    await expect(page.locator("tr[data-contact]")).to_have_count(1)
    await context.close()
    assert console.errors == []


async def test_the_profile_page_fits_a_phone(
    browser: Browser, server: Server, server_database: Database
) -> None:
    await users(server_database, "phoneprofile")
    console = Console()
    phone = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await sign_in(phone, console, server.url, "phoneprofile-ops@example.com")
    await page.goto(f"{server.url}/profile")
    await page.get_by_label("Method").select_option("ntfy")
    await page.get_by_label("Address, number, key, topic or id").fill(
        "alerts-for-a-long-topic-name"
    )
    await page.get_by_role("button", name="Add").click()
    await expect(page.locator("tr[data-contact]")).to_have_count(1)
    add = await page.get_by_role("button", name="Add").bounding_box()
    assert add is not None
    assert add["x"] + add["width"] <= PHONE["width"]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await phone.close()
    assert console.errors == []
