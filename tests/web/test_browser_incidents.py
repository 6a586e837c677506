"""In a real Chromium against a real `tocsin serve`: a member opens an incident from
the incidents page, acknowledges it and sees the timeline grow. No console errors."""

import re

import httpx
from playwright.async_api import Browser, expect

from tests.conftest import Server
from tests.web.conftest import add_user
from tests.web.test_browser_checks import Console, browser, create_check, sign_in, users
from tocsin.store.database import Database

__all__ = ["browser"]  # the fixture, used by name


async def test_a_member_acknowledges_an_incident_and_sees_the_timeline_grow(
    browser: Browser, server: Server, server_database: Database
) -> None:
    project_id = await users(server_database, "incident")
    await add_user(server_database, "incident-member@example.com", "member", project_id)
    console = Console()
    owner = await browser.new_context()
    page = await sign_in(owner, console, server.url, "incident-ops@example.com")
    ping_url = await create_check(page, "nightly backup")
    await owner.close()
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{ping_url}/fail")).status_code == 200

    context = await browser.new_context()
    page = await sign_in(context, console, server.url, "incident-member@example.com")
    await (
        page.get_by_role("navigation", name="Project").get_by_role("link", name="Incidents").click()
    )
    await page.locator("tr.incident a.status").first.click()
    await expect(page.locator("#incident-status")).to_have_text(re.compile("open"))
    events = page.locator("#timeline li")
    before = await events.count()
    await page.get_by_role("button", name="Acknowledge").click()
    await expect(page.locator("#incident-status")).to_have_text(re.compile("acknowledged"))
    await expect(events).to_have_count(before + 1)
    await expect(events.last).to_contain_text("acknowledged by incident-member@example.com")
    await expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    await context.close()
    assert console.errors == []


async def test_the_incidents_page_shows_an_incident_open_and_resolve_without_a_reload(
    browser: Browser, server: Server, server_database: Database
) -> None:
    await users(server_database, "live")
    console = Console()
    context = await browser.new_context()
    page = await sign_in(context, console, server.url, "live-ops@example.com")
    ping_url = await create_check(page, "billing run")
    await (
        page.get_by_role("navigation", name="Project").get_by_role("link", name="Incidents").click()
    )
    row = page.locator("tr.incident", has_text="billing run")
    await expect(row).to_have_count(0)
    # The page will be told of changes, not reloaded: a marker on the window survives.
    await page.evaluate("window.stillTheSamePage = true")

    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{ping_url}/fail")).status_code == 200
    await expect(row).to_have_attribute("data-status", "open", timeout=10_000)
    async with httpx.AsyncClient() as client:
        assert (await client.get(ping_url)).status_code == 200
    await expect(row).to_have_attribute("data-status", "resolved", timeout=10_000)
    assert await page.evaluate("window.stillTheSamePage") is True
    await context.close()
    assert console.errors == []
