"""An OnCalendar schedule in a real headless Chromium against a real `tocsin serve`:
choosing the third kind of schedule, typing expressions, reading the live preview of
their next times and saving. Any console error fails the test."""

import re

from playwright.async_api import Browser, expect

from tests.conftest import Server
from tests.web.test_browser_checks import Console, browser, create_check, sign_in, users
from tocsin.store.database import Database

__all__ = ["browser"]  # the fixture, used by name


async def test_oncalendar_expressions_are_previewed_while_typed_and_saved(
    browser: Browser, server: Server, server_database: Database
) -> None:
    await users(server_database, "oncal")
    console = Console()
    context = await browser.new_context()
    page = await sign_in(context, console, server.url, "oncal-ops@example.com")
    await create_check(page, "weekday backup")
    await page.get_by_role("link", name="Edit").click()
    expressions = page.locator("#oncalendar")
    await expressions.fill("Mon..Fri *-*-* 02:00\nSat 04:00")  # typing chooses the kind
    await expect(page.get_by_label("OnCalendar expression", exact=True)).to_be_checked()
    await page.locator("#tz").fill("Europe/Paris")
    await expect(page.get_by_label("OnCalendar expression", exact=True)).to_be_checked()
    preview = page.locator("#cron-preview")
    await expect(preview.locator(".words")).to_have_text(
        "OnCalendar Mon..Fri *-*-* 02:00; Sat 04:00 (Europe/Paris)"
    )
    await expect(preview.locator("ol.times li")).to_have_count(5)
    await expect(preview.locator("ol.times li").first).to_contain_text(
        re.compile(r"0[24]:00 CES?T")
    )
    await expressions.fill("Funday 02:00")
    await expect(preview.locator(".error")).to_contain_text("Bad day-of-week")
    await expressions.fill("Mon..Fri *-*-* 02:00\nSat 04:00")
    await expect(preview.locator(".words")).to_contain_text("OnCalendar")
    await page.get_by_role("button", name="Save changes").click()
    await expect(
        page.get_by_text("OnCalendar Mon..Fri *-*-* 02:00; Sat 04:00 (Europe/Paris), grace 1h")
    ).to_be_visible()
    await page.get_by_role("link", name="Edit").click()
    await expect(page.get_by_label("OnCalendar expression", exact=True)).to_be_checked()
    await expect(expressions).to_have_value("Mon..Fri *-*-* 02:00\nSat 04:00")
    await context.close()
    assert console.errors == []
