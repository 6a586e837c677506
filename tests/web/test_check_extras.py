"""A check's page beyond its status: snippets for every way a job can report, the ping
log with each body readable as plain text (within the project only), and the chart of
run durations drawn on the server."""

from datetime import timedelta

from tests.web.conftest import Web
from tocsin.domain.records import CheckRecord
from tocsin.store.tables import pings


async def add_pings(web: Web, check: CheckRecord, runs: list[tuple[str, float, bytes]]) -> None:
    now = web.clock.now()
    rows = [
        {
            "check_id": check.id,
            "n": n,
            "created": now - timedelta(hours=len(runs) - n),
            "kind": kind,
            "duration": seconds,
            "body": body,
            "body_size": len(body),
            "exit_status": 0 if kind == "success" else 3,
        }
        for n, (kind, seconds, body) in enumerate(runs, start=1)
    ]
    async with web.database.write() as connection:
        await connection.execute(pings.insert(), rows)


async def test_the_page_offers_a_snippet_for_every_way_to_report(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    page = (await person.client.get(f"/projects/{web.project_id}/checks/{check.uuid}")).text
    url = f"https://tocsin.example/ping/{check.uuid}"
    for expected in (
        f"0 2 * * * /path/to/job.sh &amp;&amp; curl -fsS -m 10 --retry 5 -o /dev/null {url}",
        f"url={url}\ncurl -fsS -m 10 --retry 5 -o /dev/null &#34;$url/start&#34;",
        f"with tocsin.monitor(&#34;{check.uuid}&#34;, &#34;https://tocsin.example&#34;):",
        "Invoke-RestMethod -Uri &#34;$url/$LASTEXITCODE&#34; -Method Post -Body $output",
        f"tocsin run --server https://tocsin.example --check {check.uuid} -- /path/to/job.sh",
    ):
        assert expected in page


async def test_each_ping_body_reads_as_plain_text_within_its_project(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    await add_pings(web, check, [("success", 1.5, b"<b>dumped</b> 3 tables\n"), ("log", 0, b"")])
    base = f"/projects/{web.project_id}/checks/{check.uuid}"
    page = (await person.client.get(base)).text
    assert f'href="{base}/pings/1/body">23 bytes</a>' in page
    assert f"{base}/pings/2/body" not in page
    body = await person.client.get(f"{base}/pings/1/body")
    assert body.status_code == 200
    assert body.headers["content-type"] == "text/plain; charset=utf-8"
    assert body.headers["x-content-type-options"] == "nosniff"
    assert body.text == "<b>dumped</b> 3 tables\n"
    for missing in ("2", "3", "0", "x"):
        assert (await person.client.get(f"{base}/pings/{missing}/body")).status_code == 404
    outsider = await web.signed_in("out@example.com", project_id=web.other_project_id)
    elsewhere = f"/projects/{web.other_project_id}/checks/{check.uuid}/pings/1/body"
    assert (await outsider.client.get(elsewhere)).status_code == 404
    assert (await outsider.client.get(f"{base}/pings/1/body")).status_code == 404


async def test_run_durations_are_drawn_as_inline_svg(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    page = f"/projects/{web.project_id}/checks/{check.uuid}"
    assert "<svg" not in (await person.client.get(page)).text
    runs = [("success", 30.0, b""), ("fail", 120.0, b""), ("success", 60.0, b"")]
    await add_pings(web, check, [*runs, ("start", None, b"")])  # type: ignore[list-item]
    text = (await person.client.get(page)).text
    assert 'aria-label="Run durations, oldest first: 3 runs, median 1m, longest 2m"' in text
    assert text.count("<rect ") == 3
    assert '<rect class="failed" x="200.0" y="0.0" width="198.0" height="120.0">' in text
    assert '<rect class="ok" x="0.0" y="90.0" width="198.0" height="30.0">' in text
    assert "https://" not in text.split("<svg", 1)[1].split("</svg>", 1)[0]
