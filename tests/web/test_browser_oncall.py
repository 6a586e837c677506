"""On-call calendars in a real headless Chromium against a real `tocsin serve`: an owner
makes a calendar, a weekly day rotation and a night layer, and an override, all through
the forms; the week shows seven columns side by side on a desktop and stacks by day on a
375 px phone with nothing wider than the screen; a mistake is shown beside its field. Any
console error fails the test."""

import re

from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.conftest import Server
from tests.web.conftest import add_user
from tests.web.test_browser_checks import Console, browser, sign_in, users
from tocsin.store.database import Database

__all__ = ["browser"]  # the fixture, used by name

DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=375, height=812)


async def add_rotation(page: Page, name: str, turns: dict[str, str], **extra: str) -> None:
    await page.get_by_role("link", name="Add a rotation").click()
    await page.get_by_label("Name").fill(name)
    for email, turn in turns.items():
        await page.get_by_label(f"Turn of {email}").select_option(turn)
    await page.get_by_label("Time zone (e.g. Europe/Berlin)").fill("Europe/Berlin")
    if "unit" in extra:
        await page.get_by_label("Unit").select_option(extra["unit"])
    if "layer" in extra:
        await page.get_by_label(
            "Layer (a higher layer wins where it covers, e.g. nights over the week)"
        ).fill(extra["layer"])
    if "hours" in extra:
        opens, closes = extra["hours"].split("-")
        await page.get_by_label("From", exact=True).fill(opens)
        await page.get_by_label("to", exact=True).fill(closes)
    await page.get_by_role("button", name="Save rotation").click()


async def test_a_calendar_is_built_in_the_browser_and_its_week_fits_desktop_and_phone(
    browser: Browser, server: Server, server_database: Database
) -> None:
    project_id = await users(server_database, "cal")
    for who in ("day", "night"):
        await add_user(server_database, f"cal-{who}@example.com", "member", project_id)
    console = Console()
    context = await browser.new_context(viewport=DESKTOP)
    page = await sign_in(context, console, server.url, "cal-ops@example.com")
    await page.get_by_role("navigation", name="Project").get_by_role("link", name="On call").click()
    await page.get_by_label("Name of a new calendar").fill("Primary")
    await page.get_by_role("button", name="Create calendar").click()
    await expect(page.get_by_role("heading", name="Primary")).to_be_visible()
    await expect(page.get_by_text("Nobody is on call", exact=True)).to_be_visible()

    await page.get_by_role("link", name="Add a rotation").click()
    await page.get_by_label("Name").fill("Weekly")
    await page.get_by_role("button", name="Save rotation").click()  # nobody has a turn
    await expect(page.locator("#members-error")).to_have_text("give at least one member a turn")
    # The form comes back as a 400, which Chromium reports; that one is expected.
    assert [e for e in console.errors if "400 (Bad Request)" not in e] == []
    console.errors.clear()
    await page.get_by_role("link", name="← Calendar").click()

    await add_rotation(page, "Weekly", {"cal-day@example.com": "1", "cal-ops@example.com": "2"})
    await add_rotation(
        page, "Nights", {"cal-night@example.com": "1"}, unit="days", layer="1", hours="20:00-08:00"
    )
    await expect(page.locator("table.rotations tbody tr")).to_have_count(2)
    await expect(page.locator(".week .block.person-2").first).to_be_visible()  # cal-night

    await page.get_by_role("link", name="Add an override").click()
    await page.get_by_label("Who covers").select_option(label="cal-ops@example.com")
    await page.get_by_role("button", name="Add override").click()
    await expect(page.locator(".week .block.override").first).to_be_visible()
    await expect(page.locator("ul.overrides li")).to_have_count(1)

    days = page.locator(".week section.day")
    await expect(days).to_have_count(7)
    boxes = [await days.nth(n).bounding_box() for n in range(7)]
    assert all(box is not None for box in boxes)
    lefts = [box["x"] for box in boxes if box]
    tops = {round(box["y"]) for box in boxes if box}
    assert lefts == sorted(lefts)
    assert len(tops) == 1
    calendar_url = page.url

    await page.get_by_role("link", name="Next week →").click()
    await expect(page.get_by_role("heading", name=re.compile("^Week of"))).to_be_visible()
    await page.get_by_role("link", name="← Previous week").click()
    await expect(page.locator(".week .block.override").first).to_be_visible()
    await context.close()

    phone = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await sign_in(phone, console, server.url, "cal-look@example.com")
    await page.goto(calendar_url)
    await expect(page.get_by_role("heading", name="Primary")).to_be_visible()
    await expect(page.get_by_role("link", name="Add a rotation")).to_have_count(0)
    days = page.locator(".week section.day")
    boxes = [await days.nth(n).bounding_box() for n in range(7)]
    stacked = [box["y"] for box in boxes if box]
    aligned = {round(box["x"]) for box in boxes if box}
    assert len(stacked) == 7
    assert stacked == sorted(stacked)
    assert len(aligned) == 1
    assert all(box and box["width"] <= PHONE["width"] for box in boxes)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await phone.close()
    assert console.errors == []
