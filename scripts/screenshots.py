"""Screenshots of the web app for the README: sign-in, the checks table, a check's page,
the new-check form, an on-call calendar's week, its rotation form and a person's profile
with their contact methods, in light and dark,
at desktop (1280x800) and phone (390x844) widths, saved as PNGs under docs/screenshots/.

Starts `tocsin serve` on a free port over a fresh SQLite database with demo checks
(up, late, down with its incident, started, paused, new; one with a history of timed
runs) and an on-call calendar (a weekly day rotation, a weeknight layer, an override,
weekend nights left uncovered and a member who left), signs in with headless Chromium
(Debian's, at /usr/bin/chromium) and fails on any console error.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as hour
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from playwright.async_api import Browser, Page, async_playwright, expect

from tocsin.domain.accounts import hash_password
from tocsin.domain.oncall import Override, Restriction, Rotation
from tocsin.domain.people import ActiveHours, ContactKind
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Cron, Period, Schedule
from tocsin.store import oncall as oncall_store
from tocsin.store import people as people_store
from tocsin.store.checks import new_check_values
from tocsin.store.projects import default_project
from tocsin.store.tables import checks, pings, projects
from tocsin.store.users import add_membership, insert_user

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
EMAIL = "ops@example.com"
PASSWORD = "correct horse battery"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
SCHEMES = ("light", "dark")
BACKUP = "nightly db backup"
CALENDAR = "Primary"
BERLIN = ZoneInfo("Europe/Berlin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def demo_checks(project_id: int, now: datetime) -> list[dict[str, Any]]:
    """One check of each status; the watcher turns the overdue one down (and opens its
    incident) as the server starts."""
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    berlin = Cron("0 2 * * *", "Europe/Berlin")
    made: list[tuple[str, str, Schedule, timedelta, str, datetime | None]] = [
        (BACKUP, "prod db", berlin, hour, "up", last_backup(now)),
        ("invoice export", "prod billing", Period(hour), 10 * minute, "up", now - 12 * minute),
        ("search reindex", "prod", Period(15 * minute), 10 * minute, "up", now - 19 * minute),
        ("certificate renewal", "ops", Period(24 * hour), hour, "up", now - 26 * hour),
        ("queue worker", "prod", Period(5 * minute), 5 * minute, "up", now - 3 * minute),
        ("log rotation", "ops", Period(24 * hour), hour, "paused", now - 30 * hour),
        ("staging smoke test", "staging", Period(hour), 5 * minute, "new", None),
    ]
    rows = []
    for name, tags, schedule, grace, status, last in made:
        values = new_check_values(project_id, NewCheck(schedule, grace, name=name, tags=tags), now)
        if last is not None:
            due = (last + schedule.period) if isinstance(schedule, Period) else now + 12 * hour
            alert_after = due + grace if status == "up" else None
            values |= {"status": status, "last_ping": last, "alert_after": alert_after}
        rows.append(values)
    return rows


def last_backup(now: datetime) -> datetime:
    """When last night's backup finished: 02:10 in Berlin, or about then."""
    berlin = now.astimezone(ZoneInfo("Europe/Berlin"))
    finished = berlin.replace(hour=2, minute=10, second=0, microsecond=0)
    return (finished if finished < berlin else finished - timedelta(days=1)).astimezone(UTC)


def backup_history(check_id: int, now: datetime) -> list[dict[str, Any]]:
    """Thirty nights of a backup: a start and a finish each, one failure, one slow night."""
    rows = []
    for night in range(30, 0, -1):
        seconds = 540 + (night * 37) % 180 + (900 if night == 9 else 0)
        started = last_backup(now) - timedelta(days=night - 1, seconds=seconds)
        failed = night == 4
        body = b"pg_dump: error: connection refused\n" if failed else b"dumped 42 tables, 3.1 GB\n"
        rid = uuid.uuid4()
        common = {"check_id": check_id, "rid": rid, "method": "POST", "remote_addr": "10.0.4.12"}
        # executemany takes its columns from the first row: every row names them all.
        common |= {"exit_status": None, "duration": None, "body": None, "body_size": 0}
        n = 2 * (31 - night)
        rows.append(common | {"n": n - 1, "created": started, "kind": "start"})
        rows.append(
            common
            | {
                "n": n,
                "created": started + timedelta(seconds=seconds),
                "kind": "fail" if failed else "success",
                "exit_status": 1 if failed else 0,
                "duration": float(seconds),
                "body": body,
                "body_size": len(body),
            }
        )
    return rows


def fill(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        project_id = default_project(connection, now)
        connection.execute(projects.update().values(name="Production"))
        connection.execute(checks.insert(), demo_checks(project_id, now))
        backup = connection.scalar(sa.select(checks.c.id).where(checks.c.name == BACKUP))
        assert backup is not None
        history = backup_history(backup, now)
        connection.execute(pings.insert(), history)
        connection.execute(checks.update().where(checks.c.id == backup).values(n_pings=60))
        user_id = insert_user(connection, EMAIL, hash_password(PASSWORD), True, now)
        add_membership(connection, user_id, project_id, "owner")
        demo_calendar(connection, project_id, now)
        demo_contacts(connection, user_id, now)
    engine.dispose()


def demo_contacts(connection: sa.Connection, user_id: int, now: datetime) -> None:
    """The account email (confirmed), Slack by day and a phone number for the nights."""
    day = ActiveHours(hour(8), hour(20), "Europe/Berlin")
    night = ActiveHours(hour(20), hour(8), "Europe/Berlin")
    methods = [
        (ContactKind.EMAIL, EMAIL, now, None),
        (ContactKind.SLACK, "U024BE7LH", now, day),
        (ContactKind.PHONE, "+4915112345678", now, night),
    ]
    for kind, address, verified, hours in methods:
        people_store.insert_contact(
            connection, user_id, kind, address, now, verified=verified, hours=hours
        )


def demo_calendar(connection: sa.Connection, project_id: int, now: datetime) -> None:
    """Alice and Bob take weeks by day (08:00 to 20:00), Nina the nights from Sunday to
    Thursday (so Friday and Saturday nights are gaps); Bob covers Wednesday afternoon."""
    people = {}
    for name in ("alice", "bob", "nina"):
        people[name] = insert_user(connection, f"{name}@example.com", "-", True, now)
        add_membership(connection, people[name], project_id, "member")
    calendar_id = oncall_store.insert_calendar(connection, project_id, CALENDAR, "demo", now)
    oncall_store.make_default(connection, project_id, calendar_id)
    local = now.astimezone(BERLIN)
    monday = (local - timedelta(days=local.weekday() + 14)).date()
    nine = datetime.combine(monday, hour(9), tzinfo=BERLIN)
    days = Restriction(hour(8), hour(20))
    weekly = Rotation((people["alice"], people["bob"]), nine, "Europe/Berlin", restriction=days)
    night_hours = Restriction(hour(20), hour(8), frozenset({6, 0, 1, 2, 3}))
    nights = Rotation((people["nina"],), nine, "Europe/Berlin", 1, "week", 1, night_hours)
    oncall_store.insert_rotation(connection, calendar_id, "Weekly", weekly, now)
    oncall_store.insert_rotation(connection, calendar_id, "Nights", nights, now)
    wednesday = nine + timedelta(days=16, hours=3)
    cover = Override(people["bob"], wednesday, wednesday + timedelta(hours=6))
    oncall_store.insert_override(connection, calendar_id, cover, now)
    message = "sam@example.com was removed from the project and taken out of rotation Weekly"
    oncall_store.add_warning(connection, calendar_id, message, now)


def start_server(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")},
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_PORT": str(port),
        "TOCSIN_LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "tocsin", "serve"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/v3/status/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def start_the_queue_worker(url: str, database_url: str) -> None:
    """A real /start ping, so one check is running while the pictures are taken."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        found = connection.scalar(sa.select(checks.c.uuid).where(checks.c.name == "queue worker"))
    engine.dispose()
    httpx.get(f"{url}/ping/{found}/start").raise_for_status()


async def sign_in(page: Page, url: str) -> None:
    await page.goto(f"{url}/login")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Production")).to_be_visible()


async def shoot(browser: Browser, url: str, out: Path, size: str, scheme: str) -> list[str]:
    width, height = SIZES[size]
    context = await browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme="dark" if scheme == "dark" else "light",
        is_mobile=size == "phone",
        has_touch=size == "phone",
    )
    errors: list[str] = []
    page = await context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    async def save(name: str) -> None:
        await page.screenshot(path=out / f"{name}-{size}-{scheme}.png", full_page=True)

    await page.goto(f"{url}/login")
    await save("sign-in")
    await sign_in(page, url)
    checks_page = page.url
    await save("checks")
    await page.get_by_role("link", name=BACKUP).click()
    await expect(page.locator("figure.chart svg")).to_be_visible()
    await save("check")
    nav = page.get_by_role("navigation", name="Project")
    await nav.get_by_role("link", name="Incidents").click()
    await expect(page.locator("tr.incident").first).to_be_visible()
    await save("incidents")
    await page.locator("tr.incident a.status").first.click()
    await expect(page.locator("#timeline li").first).to_be_visible()
    await save("incident")
    await page.goto(f"{checks_page}/new")
    await page.get_by_label("Name").fill("weekly report")
    await page.get_by_label("Cron expression", exact=True).check()
    await page.get_by_label("Cron expression (minute hour day month weekday)").fill("0 9 * * 1")
    await page.get_by_label("Time zone of the cron expression").fill("Europe/Berlin")
    await expect(page.locator("#cron-preview ol.times li")).to_have_count(5)
    await save("new-check")
    await page.goto(checks_page.replace("/checks", "/calendars"))
    await page.get_by_role("link", name=CALENDAR).click()
    await expect(page.locator(".week .block.override").first).to_be_visible()
    await save("oncall")
    await page.get_by_role("link", name="Edit").nth(1).click()
    await expect(page.get_by_label("Layer", exact=False)).to_have_value("1")
    await save("rotation")
    await page.goto(f"{url}/profile")
    await expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    await save("profile")
    await context.close()
    return errors


async def shoot_all(url: str, out: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        problems = []
        for size in SIZES:
            for scheme in SCHEMES:
                problems += await shoot(browser, url, out, size, scheme)
        await browser.close()
    if problems:
        raise SystemExit("console errors:\n" + "\n".join(problems))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    options = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"Chromium is not at {CHROMIUM} (apt-get install chromium)")
    options.out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-shots-"))
    database_url = f"sqlite:///{workdir / 'tocsin.db'}"
    migrate = [sys.executable, "-m", "tocsin", "migrate"]
    subprocess.run(migrate, check=True, env={**os.environ, "TOCSIN_DATABASE_URL": database_url})
    fill(database_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(database_url, port, workdir / "serve.log")
    try:
        wait_until_up(url)
        start_the_queue_worker(url, database_url)
        asyncio.run(shoot_all(url, options.out))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    print(f"saved {len(list(options.out.glob('*.png')))} screenshots in {options.out}")


if __name__ == "__main__":
    main()
