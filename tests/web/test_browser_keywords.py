"""Keyword rules in a real headless Chromium: under "More rules", said in plain words
while they are typed, a pattern RE2 refuses explained at once, and saved."""

from playwright.async_api import Browser, expect

from tests.conftest import Server
from tests.web.test_browser_checks import Console, browser, create_check, sign_in, users
from tocsin.store.database import Database

__all__ = ["browser"]  # the fixture, shared with the other browser tests


async def test_keyword_rules_are_explained_while_they_are_typed(
    browser: Browser, server: Server, server_database: Database
) -> None:
    await users(server_database, "kw")
    console = Console()
    context = await browser.new_context()
    page = await sign_in(context, console, server.url, "kw-ops@example.com")
    await create_check(page, "nightly dump")
    await page.get_by_role("link", name="Edit").click()
    await page.get_by_text("More rules").click()
    preview = page.locator("#keywords-preview")
    await expect(preview.locator(".words")).to_contain_text("Keyword rules are off")
    await page.get_by_label("Read the body of HTTP pings", exact=False).check()
    await page.get_by_label("Failure keywords (e.g. ERROR, FAIL)").fill("ERROR, FAIL")
    await page.get_by_label("Success keywords (e.g. backup OK)").fill("dump OK")
    await expect(preview.locator(".words")).to_have_text(
        "A body containing ERROR or FAIL is a failure; one containing dump OK is a success; "
        "any other body is ignored."
    )
    await page.get_by_label("Each is one regular expression instead", exact=False).check()
    await page.get_by_label("Failure keywords (e.g. ERROR, FAIL)").fill(r"(E)\1")
    await expect(preview.locator(".error")).to_contain_text("not a regular expression")
    await page.get_by_label("Failure keywords (e.g. ERROR, FAIL)").fill("ERROR|FAIL")
    await expect(preview.locator(".words")).to_contain_text("matching /ERROR|FAIL/")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("heading", name="nightly dump")).to_be_visible()
    await page.get_by_role("link", name="Edit").click()
    await expect(page.locator("#more-rules")).to_have_attribute("open", "")
    await expect(page.get_by_label("Failure keywords (e.g. ERROR, FAIL)")).to_have_value(
        "ERROR|FAIL"
    )
    await context.close()
    assert console.errors == []
