"""The seed's user, from a web page, in a real Chromium against a real `tocsin serve`:
sign up, create a heartbeat (period 2 s, grace 1 s), copy its URL, ping it and watch it
turn up live, stop pinging and watch it go down and open an incident, acknowledge it,
ping again and see it resolved, then invite a member who joins. No console errors."""

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.conftest import Server, start_server, stop_server
from tests.helpers import eventually
from tests.web.test_browser_checks import Console, browser

__all__ = ["browser"]  # the fixture, used by name

PASSWORD = "correct horse battery"


@pytest.fixture
def open_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own, with sign-up open."""
    server = start_server(database_url, tmp_path / "server.log", TOCSIN_REGISTRATION_OPEN="true")
    yield server
    stop_server(server)


async def sign_up(page: Page, url: str, email: str) -> None:
    await page.goto(f"{url}/signup")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password (at least 8 characters)").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url(re.compile(r"/projects/\d+/checks$"))


async def new_heartbeat(page: Page) -> str:
    await page.get_by_role("link", name="New check").click()
    await page.get_by_label("Name").fill("mastodon db backup")
    await page.get_by_label("Period (e.g. 15m, 1h, 1d)").fill("2s")
    await page.get_by_label("Grace: how late a ping may be (e.g. 1h)").fill("1s")
    await page.get_by_role("button", name="Create check").click()
    await expect(page.get_by_role("heading", name="mastodon db backup")).to_be_visible()
    await page.locator("button[data-copy='url-1']").click()
    copied: str = await page.evaluate("navigator.clipboard.readText()")
    return copied


async def test_a_heartbeat_from_sign_up_to_a_resolved_incident_and_a_new_member(
    browser: Browser, open_server: Server
) -> None:
    url = open_server.url
    console = Console()
    context = await browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = console.watch(await context.new_page())
    await sign_up(page, url, "owner@example.com")
    ping_url = await new_heartbeat(page)
    assert re.fullmatch(rf"{url}/ping/[0-9a-f-]{{36}}", ping_url)

    await page.get_by_role("link", name="← Checks").click()
    row = page.locator(f"tr[data-uuid='{ping_url.rsplit('/', 1)[1]}']")
    await expect(row).to_have_attribute("data-status", "new")
    async with httpx.AsyncClient() as client:
        assert (await client.get(ping_url)).status_code == 200
        await expect(row).to_have_attribute("data-status", "up", timeout=10_000)
        # No more pings: down about 3 s later, still without a reload.
        await expect(row).to_have_attribute("data-status", "down", timeout=15_000)

        nav = page.get_by_role("navigation", name="Project")
        await nav.get_by_role("link", name="Incidents").click()
        await page.locator("tr.incident a.status").first.click()
        await expect(page.locator("#incident-status")).to_have_text(re.compile("open"))
        await expect(page.locator("#timeline")).to_contain_text("no ping since")
        await page.get_by_role("button", name="Acknowledge").click()
        await expect(page.locator("#incident-status")).to_have_text(re.compile("acknowledged"))

        assert (await client.get(ping_url)).status_code == 200  # the job runs again

    async def resolved() -> bool:  # the incident page does not update itself: reload it
        await page.reload()
        return "resolved" in (await page.locator("#incident-status").text_content() or "")

    assert await eventually(resolved, limit=10)

    await page.get_by_role("navigation", name="Project").get_by_role("link", name="Members").click()
    await page.get_by_label("Email").fill("member@example.com")
    await page.get_by_label("Role").last.select_option("member")
    await page.get_by_role("button", name="Invite").click()
    invitation = (await page.locator("#invitation-link").text_content() or "").strip()
    await context.close()

    joining = await browser.new_context()
    newcomer = console.watch(await joining.new_page())
    await newcomer.goto(invitation)
    await newcomer.get_by_label("Choose a password (at least 8 characters)").fill(PASSWORD)
    await newcomer.get_by_role("button", name="Create account and join").click()
    await expect(newcomer).to_have_url(re.compile(r"/projects/\d+/checks$"))
    await expect(newcomer.get_by_text("mastodon db backup")).to_be_visible()
    await joining.close()
    assert console.errors == []
