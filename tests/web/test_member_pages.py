"""Members, invitations and password resets: signed, expiring links sent by email."""

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.receivers import SmtpReceiver
from tests.web.conftest import CSRF, PASSWORD, Person, Web, csrf_of, running_web
from tocsin.store import users as user_store

LINK = re.compile(r"https://tocsin\.example/(?:invite|password/reset)\?[^\s<\"]+")


@pytest.fixture
async def web(database_url: str, smtp: SmtpReceiver) -> AsyncIterator[Web]:
    options = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none"}
    async with running_web(database_url, **options) as running:
        yield running


def link_in(text: str) -> str:
    found = LINK.search(text.replace("&amp;", "&"))
    assert found, text
    return found.group(0).removeprefix("https://tocsin.example")


async def roles(web: Web) -> dict[str, str]:
    async with web.database.read() as connection:
        found = await connection.run_sync(user_store.project_members, web.project_id)
    return {user.email: role for user, role in found}


async def test_an_invited_person_sets_a_password_and_joins(web: Web, smtp: SmtpReceiver) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/members"
    page = await owner.post(f"{base}/invite", email="New@Example.com", role="viewer")
    link = link_in(page.text)
    await smtp.wait_for(1)
    assert smtp.mail[0].recipients == ["new@example.com"]
    assert link in smtp.mail[0].part("text/plain")
    guest = web.client()
    form = await guest.get(link)
    assert "Create account and join" in form.text
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.text))
    short = await guest.post("/invite", data={**fields, "password": "short"})
    assert short.status_code == 400
    assert 'id="password-error"' in short.text
    joined = await guest.post("/invite", data={**fields, "password": PASSWORD})
    assert joined.headers["location"] == f"/projects/{web.project_id}/checks"
    assert (await guest.get(joined.headers["location"])).status_code == 200
    assert (await roles(web))["new@example.com"] == "viewer"


async def test_someone_with_an_account_signs_in_then_joins(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    await web.user("ana@example.com", "owner", web.other_project_id)
    page = await owner.post(
        f"/projects/{web.project_id}/members/invite", email="ana@example.com", role="member"
    )
    link = link_in(page.text)
    assert "sign in as ana@example.com" in (await web.client().get(link)).text
    ana = await web.sign_in("ana@example.com")
    form = await ana.client.get(link)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.text))
    assert (await ana.client.post("/invite", data=fields)).status_code == 303
    assert (await roles(web))["ana@example.com"] == "member"


async def test_a_changed_or_expired_invitation_does_not_work(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    page = await owner.post(
        f"/projects/{web.project_id}/members/invite", email="x@example.com", role="member"
    )
    link = link_in(page.text)
    assert (await web.client().get(link.replace("role=member", "role=owner"))).status_code == 403
    web.clock.advance(timedelta(days=8))
    assert (await web.client().get(link)).status_code == 403


async def invite(person: Person, web: Web, email: str, role: str = "member") -> str:
    page = await person.post(f"/projects/{web.project_id}/members/invite", email=email, role=role)
    assert page.status_code == 200, page.text
    return link_in(page.text)


async def accept_as_newcomer(web: Web, link: str) -> int:
    """Opens the link as somebody without an account and joins; the POST's status."""
    guest = web.client()
    form = await guest.get(link)
    if form.status_code != 200:
        return form.status_code
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.text))
    return (await guest.post("/invite", data={**fields, "password": PASSWORD})).status_code


async def test_pending_invitations_are_listed_to_managers_and_can_be_revoked(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    link = await invite(owner, web, "x@example.com")
    await invite(owner, web, "y@example.com", "viewer")
    base = f"/projects/{web.project_id}/members"
    page = await owner.client.get(base)
    assert "Pending invitations" in page.text
    pending = dict(re.findall(r'<tr data-invitation="(\d+)">\s*<td>([^<]+)</td>', page.text))
    assert sorted(pending.values()) == ["x@example.com", "y@example.com"]
    assert "ops@example.com" in page.text.split("Pending invitations")[1]
    viewer = await web.signed_in("look@example.com", "viewer")
    assert "Pending invitations" not in (await viewer.client.get(base)).text

    x_id = next(key for key, email in pending.items() if email == "x@example.com")
    refused = await viewer.post(f"{base}/invitations/{x_id}/revoke")
    assert refused.status_code == 403
    revoked = await owner.post(f"{base}/invitations/{x_id}/revoke")
    assert revoked.status_code == 303
    assert "x@example.com" not in (await owner.client.get(base)).text
    assert (await web.client().get(link)).status_code == 403
    assert "revoked" in (await web.client().get(link)).text
    assert (await owner.post(f"{base}/invitations/{x_id}/revoke")).status_code == 404
    assert (await owner.post(f"{base}/invitations/nope/revoke")).status_code == 404


async def test_an_invitation_works_once(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    link = await invite(owner, web, "once@example.com")
    assert await accept_as_newcomer(web, link) == 303
    assert (await web.client().get(link)).status_code == 403
    assert await accept_as_newcomer(web, link) == 403
    page = await owner.client.get(f"/projects/{web.project_id}/members")
    assert "Pending invitations" not in page.text
    assert (await roles(web))["once@example.com"] == "member"


async def test_a_removed_member_cannot_come_back_through_the_old_link(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    link = await invite(owner, web, "gone@example.com")
    assert await accept_as_newcomer(web, link) == 303
    async with web.database.read() as connection:
        found = await connection.run_sync(user_store.user_by_email, "gone@example.com")
    assert found is not None
    base = f"/projects/{web.project_id}/members"
    assert (await owner.post(f"{base}/{found[0].id}/remove", confirm="yes")).status_code == 303
    gone = await web.sign_in("gone@example.com")
    form = await gone.client.get(link)
    assert form.status_code == 403
    assert "gone@example.com" not in await roles(web)


async def test_another_projects_invitation_cannot_be_revoked_from_here(web: Web) -> None:
    other_owner = await web.signed_in("other@example.com", "owner", web.other_project_id)
    page = await other_owner.post(
        f"/projects/{web.other_project_id}/members/invite", email="q@example.com", role="member"
    )
    link = link_in(page.text)
    (invitation_id,) = re.findall(r"invitation=(\d+)", link)
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/members"
    assert (await owner.post(f"{base}/invitations/{invitation_id}/revoke")).status_code == 404
    assert (await web.client().get(link)).status_code == 200


async def test_roles_change_and_members_leave_but_an_owner_stays(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    admin = await web.signed_in("adm@example.com", "admin")
    ana_id = await web.user("ana@example.com", "member")
    base = f"/projects/{web.project_id}/members"
    assert (await admin.post(f"{base}/{ana_id}/role", role="viewer")).status_code == 303
    assert (await admin.post(f"{base}/{ana_id}/role", role="owner")).status_code == 403
    bad = await admin.post(f"{base}/invite", email="not an email", role="owner")
    assert bad.status_code == 400
    assert 'id="email-error"' in bad.text
    assert 'id="role-error"' in bad.text
    async with web.database.read() as connection:
        found = await connection.run_sync(user_store.user_by_email, "ops@example.com")
    assert found is not None
    owner_id = found[0].id
    assert (await admin.post(f"{base}/{owner_id}/remove", confirm="yes")).status_code == 403
    assert (await owner.post(f"{base}/{owner_id}/role", role="admin")).status_code == 409
    assert (await owner.post(f"{base}/{ana_id}/remove", confirm="yes")).status_code == 303
    assert await roles(web) == {"ops@example.com": "owner", "adm@example.com": "admin"}
    member = await web.signed_in("mem@example.com", "member")
    page = await member.client.get(base)
    assert "adm@example.com" in page.text
    assert "Invite someone" not in page.text
    assert (
        await member.post(f"{base}/invite", email="z@example.com", role="viewer")
    ).status_code == 403


async def test_a_password_is_reset_by_a_link_that_works_once(web: Web, smtp: SmtpReceiver) -> None:
    await web.user("ana@example.com")
    guest = web.client()
    form = await guest.get("/password/forgot")
    token = csrf_of(form)
    unknown = await guest.post(
        "/password/forgot", data={"csrf_token": token, "email": "who@example.com"}
    )
    known = await guest.post(
        "/password/forgot", data={"csrf_token": token, "email": "ana@example.com"}
    )
    assert unknown.text.replace("who@", "ana@") == known.text
    assert LINK.search(known.text) is None
    await smtp.wait_for(1)
    assert smtp.mail[0].recipients == ["ana@example.com"]
    link = link_in(smtp.mail[0].part("text/plain"))
    reset = await guest.get(link)
    fields = {
        "csrf_token": csrf_of(reset),
        **dict(re.findall(r'name="(user|token)" value="([^"]*)"', reset.text)),
    }
    short = await guest.post("/password/reset", data={**fields, "password": "short"})
    assert short.status_code == 400
    done = await guest.post("/password/reset", data={**fields, "password": "a new long password"})
    assert done.status_code == 303
    assert (await guest.get(link)).status_code == 403
    await web.sign_in("ana@example.com", "a new long password")
    assert CSRF.search(reset.text)
