"""Rules on runs in a real headless Chromium against a real `tocsin serve`: "More rules"
is closed on a new check, the preview says the rules in words as they are typed, a
saved check shows them, and the form opens on them next time."""

from playwright.async_api import Browser, expect

from tests.conftest import Server
from tests.web.test_browser_checks import Console, browser, sign_in, users  # noqa: F401
from tocsin.store.database import Database


async def test_rules_are_previewed_while_typed_and_shown_once_saved(
    browser: Browser,  # noqa: F811
    server: Server,
    server_database: Database,
) -> None:
    await users(server_database, "runs")
    console = Console()
    context = await browser.new_context()
    page = await sign_in(context, console, server.url, "runs-ops@example.com")
    await page.get_by_role("link", name="New check").click()
    await expect(page.locator("#more-rules")).not_to_have_attribute("open", "")
    await page.get_by_label("Name").fill("nightly dump")
    await page.locator("#more-rules summary").click()
    await page.get_by_label("Alert after this many failures in a row").fill("3")
    await page.get_by_label("Too fast").fill("5m")
    preview = page.locator("#run-rules-preview")
    words = "Alert after 3 failures in a row; a run shorter than 5m counts as a failure."
    await expect(preview).to_have_text(words)
    await page.get_by_label("Too fast").fill("5")
    await expect(preview).to_contain_text("a unit is required")
    await page.get_by_label("Too fast").fill("5m")
    await page.get_by_role("button", name="Create check").click()
    await expect(page.locator("#run-rules")).to_have_text(words)
    await page.get_by_role("link", name="Edit").click()
    await expect(page.locator("#more-rules")).to_have_attribute("open", "")
    await context.close()
    assert console.errors == []
