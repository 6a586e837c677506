"""Signing in and out, the throttle on wrong passwords, CSRF, password changes, the
setup link and sign-up."""

from datetime import timedelta

import sqlalchemy as sa

from tests.web.conftest import PASSWORD, Web, csrf_of, running_web
from tocsin.domain.accounts import setup_token
from tocsin.services.accounts import create_first_admin
from tocsin.store import users as user_store
from tocsin.store.tables import memberships, users


async def test_signing_in_sets_a_secure_http_only_lax_session_cookie(web: Web) -> None:
    await web.user("ops@example.com")
    client = web.client()
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": "OPS@example.com", "password": PASSWORD, "csrf_token": csrf_of(form)},
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "tocsin_session=" in cookie
    assert all(part in cookie for part in ("httponly", "samesite=lax", "secure"))
    home = await client.get("/")
    assert home.headers["location"] == f"/projects/{web.project_id}/checks"


async def test_a_visitor_who_is_not_signed_in_is_sent_to_the_sign_in_page(web: Web) -> None:
    response = await web.client().get(f"/projects/{web.project_id}/checks?tag=a")
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == f"/login?next=%2Fprojects%2F{web.project_id}%2Fchecks%3Ftag%3Da"
    )


async def test_a_wrong_password_is_refused_and_the_sixth_try_is_throttled(web: Web) -> None:
    await web.user("ops@example.com")
    client = web.client()
    token = csrf_of(await client.get("/login"))
    for _ in range(5):
        wrong = await client.post(
            "/login", data={"email": "ops@example.com", "password": "guess", "csrf_token": token}
        )
        assert wrong.status_code == 400
        assert "Wrong email or password." in wrong.text
    right = await client.post(
        "/login", data={"email": "ops@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 429
    assert "Too many failed sign-ins for ops@example.com. Try again in 15 minutes." in right.text
    web.clock.advance(timedelta(minutes=15, seconds=1))
    later = await client.post(
        "/login", data={"email": "ops@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert later.status_code == 303


async def test_an_unknown_email_reads_like_a_wrong_password(web: Web) -> None:
    client = web.client()
    token = csrf_of(await client.get("/login"))
    response = await client.post(
        "/login", data={"email": "nobody@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400
    assert "Wrong email or password." in response.text


async def test_a_form_without_its_csrf_token_is_refused(web: Web) -> None:
    await web.user("ops@example.com")
    client = web.client()
    await client.get("/login")
    response = await client.post("/login", data={"email": "ops@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    person = await web.sign_in("ops@example.com")
    forged = await person.client.post("/logout", data={"csrf_token": "x" * 43})
    assert forged.status_code == 403


async def test_a_planted_csrf_cookie_does_not_sign_anyone_in(web: Web) -> None:
    """Login CSRF: a cookie set by a neighbouring subdomain, and the same value in the
    form, is not a token this deployment made."""
    await web.user("attacker@example.com")
    victim = web.client()
    victim.cookies.set("tocsin_csrf", "planted", domain="tocsin.example")
    form = {"email": "attacker@example.com", "password": PASSWORD, "csrf_token": "planted"}
    response = await victim.post("/login", data=form)
    assert response.status_code == 403
    assert "tocsin_session" not in victim.cookies


async def test_a_form_sent_from_another_site_is_refused_whatever_it_carries(web: Web) -> None:
    await web.user("attacker@example.com")
    client = web.client()
    token = csrf_of(await client.get("/login"))
    form = {"email": "attacker@example.com", "password": PASSWORD, "csrf_token": token}
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ):
        response = await client.post("/login", data=form, headers=headers)
        assert response.status_code == 403, headers
        assert "Sent from another site" in response.text
    assert "tocsin_session" not in client.cookies
    own = {"Sec-Fetch-Site": "same-origin", "Origin": "https://tocsin.example"}
    assert (await client.post("/login", data=form, headers=own)).status_code == 303


async def test_signing_out_ends_the_session_on_the_server(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    cookie = person.client.cookies["tocsin_session"]
    assert (await person.post("/logout")).status_code == 303
    replay = web.client()
    replay.cookies.set("tocsin_session", cookie, domain="tocsin.example")
    response = await replay.get(f"/projects/{web.project_id}/checks")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_a_password_change_needs_the_current_password_and_signs_out_elsewhere(
    web: Web,
) -> None:
    person = await web.signed_in("ops@example.com")
    elsewhere = await web.sign_in("ops@example.com")
    wrong = await person.post(
        "/account/password",
        current_password="nope",
        new_password="a new secret",
        confirm_password="a new secret",
    )
    assert wrong.status_code == 400
    assert "This is not your current password." in wrong.text
    short = await person.post(
        "/account/password", current_password=PASSWORD, new_password="x", confirm_password="x"
    )
    assert "a password needs at least 8 characters" in short.text
    changed = await person.post(
        "/account/password",
        current_password=PASSWORD,
        new_password="a new secret",
        confirm_password="a new secret",
    )
    assert changed.status_code == 200
    assert "Password changed." in changed.text
    assert (await elsewhere.client.get("/")).status_code == 303  # back to the sign-in page
    assert (await person.client.get("/")).status_code == 303  # to the project: still in
    assert (await person.client.get("/")).headers["location"].startswith("/projects/")
    await web.sign_in("ops@example.com", "a new secret")


async def test_the_setup_link_makes_the_first_admin_once(web: Web) -> None:
    token = setup_token(web.app.web.state.services.secret, web.clock.now(), timedelta(days=1))
    client = web.client()
    form = await client.get(f"/setup?token={token}")
    assert form.status_code == 200
    data = {"email": "root@example.com", "password": PASSWORD, "csrf_token": csrf_of(form)}
    bad = await client.post("/setup", data={**data, "token": token, "email": "root"})
    assert bad.status_code == 400
    assert "enter an email address such as ops@example.com" in bad.text
    made = await client.post("/setup", data={**data, "token": token})
    assert made.status_code == 303
    assert (await client.get("/")).headers["location"] == f"/projects/{web.project_id}/checks"
    again = await web.client().get(f"/setup?token={token}")
    assert again.status_code == 403
    async with web.database.read() as connection:
        admin = await connection.scalar(sa.select(users.c.is_admin))
        role = await connection.scalar(sa.select(memberships.c.role))
    assert (admin, role) == (True, "owner")


async def test_an_expired_or_forged_setup_link_does_not_work(web: Web) -> None:
    secret = web.app.web.state.services.secret
    expired = setup_token(secret, web.clock.now() - timedelta(days=2), timedelta(days=1))
    for token in (expired, "", "123.abc", "x" * 500):
        response = await web.client().get("/setup", params={"token": token})
        assert response.status_code == 403


async def test_sign_up_is_closed_unless_registration_is_open(web: Web) -> None:
    assert (await web.client().get("/signup")).status_code == 404


async def test_open_registration_gives_each_new_user_a_project(database_url: str) -> None:
    async with running_web(database_url, registration_open=True) as web:
        client = web.client()
        form = await client.get("/signup")
        data = {"email": "new@example.com", "password": PASSWORD, "csrf_token": csrf_of(form)}
        assert (await client.post("/signup", data=data)).status_code == 303
        home = await client.get("/")
        assert home.headers["location"] not in (
            f"/projects/{web.project_id}/checks",
            f"/projects/{web.other_project_id}/checks",
        )
        other = web.client()
        data["csrf_token"] = csrf_of(await other.get("/signup"))
        again = await other.post("/signup", data=data)
        assert "an account with this email exists already" in again.text


async def test_the_first_admin_is_made_only_while_nobody_has_an_account(web: Web) -> None:
    services = web.app.web.state.services
    first = await create_first_admin(services, "a@example.com", PASSWORD)
    second = await create_first_admin(services, "b@example.com", PASSWORD)
    async with web.database.read() as connection:
        count = await connection.run_sync(user_store.count_users)
    assert (first, second, count) == (True, False, 1)


async def test_failed_sign_ins_are_counted_across_processes(database_url: str) -> None:
    """Two web apps on one database, as two `tocsin serve` processes would be."""
    async with running_web(database_url) as first, running_web(database_url) as second:
        await first.user("ops@example.com")
        second.clock.now = first.clock.now  # type: ignore[method-assign]
        clients = [first.client(), second.client()]
        tokens = [csrf_of(await client.get("/login")) for client in clients]
        for attempt in range(5):
            client, token = clients[attempt % 2], tokens[attempt % 2]
            wrong = await client.post(
                "/login",
                data={"email": "ops@example.com", "password": "guess", "csrf_token": token},
            )
            assert wrong.status_code == 400
        for client, token in zip(clients, tokens, strict=True):
            refused = await client.post(
                "/login",
                data={"email": "ops@example.com", "password": PASSWORD, "csrf_token": token},
            )
            assert refused.status_code == 429


async def test_a_very_long_email_is_refused_like_any_wrong_one(web: Web) -> None:
    client = web.client()
    token = csrf_of(await client.get("/login"))
    for _ in range(6):
        response = await client.post(
            "/login",
            data={"email": "x" * 400 + "@example.com", "password": "p", "csrf_token": token},
        )
    assert response.status_code == 429


async def test_a_form_whose_length_only_looks_like_digits_is_no_crash(web: Web) -> None:
    # '²' (read as Latin-1) passes str.isdigit() but not int(). No HTTP parser lets it
    # through; the app must not crash on it all the same.
    client = web.client()
    for declared in (b"\xb2", b"9" * 5000, b"soon"):
        response = await client.post(
            "/login",
            content=b"email=a%40b.example&password=x",
            headers={
                b"content-type": b"application/x-www-form-urlencoded",
                b"content-length": declared,
            },
        )
        assert response.status_code == 403, declared


async def test_while_nobody_has_an_account_sign_in_says_where_the_setup_link_is(
    web: Web,
) -> None:
    client = web.client()
    page = await client.get("/login")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Nobody has an account yet." in text
    assert "<code>tocsin serve</code> prints when it starts" in text
    assert "Make the first administrator at" in text
    assert "<code>TOCSIN_ADMIN_EMAIL</code>" in text
    assert "/setup" not in text  # never the link itself
    wrong = await client.post(
        "/login", data={"email": "a@example.com", "password": "x", "csrf_token": csrf_of(page)}
    )
    assert "Nobody has an account yet." in wrong.text
    await web.user("ops@example.com")
    assert "Nobody has an account yet." not in (await client.get("/login")).text
