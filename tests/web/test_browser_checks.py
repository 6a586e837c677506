"""The web app in a real headless Chromium against a real `tocsin serve`: sign in, create
a check, read its ping URL, ping it and watch its row turn up without a reload; a viewer
sees no buttons and a forged POST is refused. Any console error fails the test."""

import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.conftest import IN_CI, Server
from tests.web.conftest import PASSWORD, add_user
from tocsin.store.database import Database
from tocsin.store.projects import default_project

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def browser_problem() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not at {CHROMIUM} (make test installs Debian's chromium package)"
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    problem = browser_problem()
    if problem and IN_CI:
        pytest.fail(f"{problem} (CI=true requires the browser tests)")
    if problem:
        pytest.skip(problem)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


class Console:
    """Every console error and uncaught exception of the pages it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page


async def users(database: Database, team: str) -> int:
    """An owner (`<team>-ops@…`) and a viewer (`<team>-look@…`) of the first project; the
    module's server keeps its SQLite database from test to test, so each test has a team."""
    async with database.write() as connection:
        project_id = await connection.run_sync(default_project, datetime.now(UTC))
    await add_user(database, f"{team}-ops@example.com", "owner", project_id)
    await add_user(database, f"{team}-look@example.com", "viewer", project_id)
    return project_id


async def sign_in(context: BrowserContext, console: Console, url: str, email: str) -> Page:
    page = console.watch(await context.new_page())
    await page.goto(f"{url}/")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/projects/\d+/checks$"))
    return page


async def create_check(page: Page, name: str) -> str:
    """Create a check through the form; its ping URL, as the page shows it."""
    await page.get_by_role("link", name="New check").click()
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Period (e.g. 15m, 1h, 1d)").fill("1d")
    await page.get_by_label("Grace: how late a ping may be (e.g. 1h)").fill("1h")
    await page.get_by_role("button", name="Create check").click()
    await expect(page.get_by_role("heading", name=name)).to_be_visible()
    await page.locator("button[data-copy='url-1']").click()
    await expect(page.locator("button[data-copy='url-1']")).to_have_text("Copied")
    return (await page.locator("#url-1").text_content() or "").strip()


async def test_a_check_made_in_the_browser_turns_up_live_when_pinged(
    browser: Browser, server: Server, server_database: Database
) -> None:
    await users(server_database, "live")
    console = Console()
    context = await browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = await sign_in(context, console, server.url, "live-ops@example.com")
    ping_url = await create_check(page, "nightly backup")
    assert re.fullmatch(rf"{server.url}/ping/[0-9a-f-]{{36}}", ping_url)
    assert await page.evaluate("navigator.clipboard.readText()") == ping_url

    await page.get_by_role("link", name="← Checks").click()
    row = page.locator(f"tr[data-uuid='{ping_url.rsplit('/', 1)[1]}']")
    await expect(row).to_have_attribute("data-status", "new")
    await page.evaluate("window.notReloaded = true")
    async with httpx.AsyncClient() as client:
        assert (await client.get(ping_url)).status_code == 200
    await expect(row).to_have_attribute("data-status", "up", timeout=10_000)
    await expect(row.locator(".status")).to_have_text(re.compile(r"up$"))
    assert await page.evaluate("window.notReloaded") is True
    await context.close()
    assert console.errors == []


async def test_a_viewer_sees_no_buttons_and_a_forged_post_is_refused(
    browser: Browser, server: Server, server_database: Database
) -> None:
    project_id = await users(server_database, "viewer")
    console = Console()
    owner = await browser.new_context()
    owner_page = await sign_in(owner, console, server.url, "viewer-ops@example.com")
    await create_check(owner_page, "db backup")
    detail = owner_page.url
    await owner.close()

    viewer = await browser.new_context()
    page = await sign_in(viewer, console, server.url, "viewer-look@example.com")
    await expect(page.get_by_role("link", name="New check")).to_have_count(0)
    await page.goto(detail)
    await expect(page.get_by_role("heading", name="db backup")).to_be_visible()
    for button in ("Pause", "Resume", "Delete"):
        await expect(page.get_by_role("button", name=button)).to_have_count(0)
    csrf = await page.locator("input[name=csrf_token]").first.input_value()
    forms: list[dict[str, str | float | bool]] = [{"csrf_token": csrf}, {}]
    for form in forms:
        forged = await viewer.request.post(f"{detail}/pause", form=form)
        assert forged.status == 403
    await page.reload()
    await expect(page.locator("#check-status")).to_have_text("new")
    assert f"/projects/{project_id}/checks/" in detail
    await viewer.close()
    assert console.errors == []


async def test_a_cron_expression_is_explained_with_its_next_times_while_it_is_typed(
    browser: Browser, server: Server, server_database: Database
) -> None:
    await users(server_database, "cron")
    console = Console()
    context = await browser.new_context()
    page = await sign_in(context, console, server.url, "cron-ops@example.com")
    await create_check(page, "weekday report")
    await page.get_by_role("link", name="Edit").click()
    await page.get_by_label("Cron expression", exact=True).check()
    await page.get_by_label("Cron expression (minute hour day month weekday)").fill("0 9 * * 1-5")
    await page.get_by_label("Time zone of the cron expression").fill("Europe/Paris")
    preview = page.locator("#cron-preview")
    await expect(preview.locator(".words")).to_have_text("At 09:00, Monday through Friday")
    await expect(preview.locator("ol.times li")).to_have_count(5)
    await expect(preview.locator("ol.times li").first).to_contain_text(re.compile(r"09:00 CES?T"))
    await page.get_by_label("Time zone of the cron expression").fill("Europe/Pari")
    await expect(preview.locator(".error")).to_contain_text("unknown time zone")
    await page.get_by_label("Time zone of the cron expression").fill("Europe/Paris")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_text("cron 0 9 * * 1-5 (Europe/Paris), grace 1h")).to_be_visible()
    await context.close()
    assert console.errors == []


async def test_a_new_check_starts_on_a_daily_schedule_and_typing_a_period_chooses_one(
    browser: Browser, server: Server, server_database: Database
) -> None:
    await users(server_database, "first")
    console = Console()
    context = await browser.new_context()
    page = await sign_in(context, console, server.url, "first-ops@example.com")
    await page.get_by_role("link", name="New check").click()
    await expect(page.get_by_label("Cron expression", exact=True)).to_be_checked()
    await expect(page.locator("#cron-preview .words")).to_have_text("At 02:00")
    await page.get_by_label("Name").fill("db backup")
    await page.get_by_role("button", name="Create check").click()
    await expect(page.get_by_text("cron 0 2 * * * (UTC), grace 1h")).to_be_visible()
    await expect(page.locator("#schedule-hint")).to_have_count(0)

    await page.get_by_role("link", name="← Checks").click()
    await create_check(page, "weekly report")  # types a period of 1d
    await expect(page.get_by_text("every 1d, grace 1h")).to_be_visible()
    await expect(page.locator("#schedule-hint")).to_contain_text("better watched with a schedule")
    await context.close()
    assert console.errors == []
