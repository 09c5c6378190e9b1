"""Sign-up, profiles and preferences through the Mastodon account API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, Instance, bearer


async def register(px: Instance, app_token: str, **fields: Any) -> Any:
    data = {
        "username": "carol",
        "email": "carol@example.com",
        "password": PASSWORD,
        "agreement": "true",
        "locale": "en",
    } | fields
    return await px.client.post("/api/v1/accounts", data=data, headers=bearer(app_token))


async def test_invite_only_sign_up_needs_a_usable_code(px: Instance) -> None:
    app = await px.app_credentials()
    app_token = await px.app_token(app, "read write")
    r = await register(px, app_token)
    assert r.status_code == 403
    assert "invite" in r.json()["error"]
    r = await register(px, app_token, invite_code="not-a-code")
    assert r.status_code == 422
    assert r.json()["details"]["invite_code"][0]["error"] == "ERR_INVALID"
    code = await px.invite(max_uses=1)
    r = await register(px, app_token, invite_code=code)
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["scope"] == "read write"
    me = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token["access_token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "carol"
    used_up = await register(px, app_token, invite_code=code, username="dave", email="dave@example.com")
    assert used_up.status_code == 422


async def test_expired_invite_is_refused(px: Instance) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from pixie.db.types import utcnow
    from pixie.models.invites import Invite

    code = await px.invite(expires_in=timedelta(days=1))
    async with px.rt.db.write() as session:
        await session.execute(
            update(Invite).where(Invite.code == code).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    app_token = await px.app_token(await px.app_credentials())
    r = await register(px, app_token, invite_code=code)
    assert r.status_code == 422


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"username": "bad name"}, "username", "ERR_INVALID"),
        ({"username": "x" * 31}, "username", "ERR_TOO_LONG"),
        ({"username": ""}, "username", "ERR_BLANK"),
        ({"username": "Admin"}, "username", "ERR_RESERVED"),
        ({"email": "not-an-address"}, "email", "ERR_INVALID"),
        ({"password": "short"}, "password", "ERR_TOO_SHORT"),
        ({"agreement": "false"}, "agreement", "ERR_ACCEPTED"),
        ({"locale": "not a locale!"}, "locale", "ERR_INCLUSION"),
    ],
)
async def test_sign_up_validation_names_the_field(
    start: Any, fields: dict[str, str], field: str, code: str
) -> None:
    async with start(registrations="open") as px:
        app_token = await px.app_token(await px.app_credentials())
        r = await register(px, app_token, **fields)
        assert r.status_code == 422
        body = r.json()
        assert body["error"].startswith("Validation failed")
        assert body["details"][field][0]["error"] == code
        # Nothing half-written.
        from pixie.services.accounts import count_users

        assert await count_users(px.rt) == 0


async def test_usernames_are_unique_regardless_of_case(start: Any) -> None:
    async with start(registrations="open") as px:
        app_token = await px.app_token(await px.app_credentials())
        assert (await register(px, app_token, username="Carol")).status_code == 200
        r = await register(px, app_token, username="cAROL", email="other@example.com")
        assert r.status_code == 422
        assert r.json()["details"]["username"][0]["error"] == "ERR_TAKEN"
        r = await register(px, app_token, username="carol2", email="CAROL@example.com")
        assert r.json()["details"]["email"][0]["error"] == "ERR_TAKEN"


async def test_closed_registrations(start: Any) -> None:
    async with start(registrations="closed") as px:
        app_token = await px.app_token(await px.app_credentials())
        r = await register(px, app_token, invite_code=await px.invite())
        assert r.status_code == 403


async def test_approval_mode_keeps_the_token_unusable_until_approved(start: Any) -> None:
    async with start(registrations="approval") as px:
        app_token = await px.app_token(await px.app_credentials())
        r = await register(px, app_token, reason="I draw foxes")
        assert r.status_code == 200
        token = r.json()["access_token"]
        pending = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        assert pending.status_code == 403
        assert "pending approval" in pending.json()["error"]
        from pixie.services import accounts

        await accounts.approve(px.rt, "carol")
        assert (
            await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        ).status_code == 200


async def test_email_confirmation_when_required(start: Any) -> None:
    async with start(registrations="open", require_email_confirmation=True) as px:
        app_token = await px.app_token(await px.app_credentials())
        token = (await register(px, app_token)).json()["access_token"]
        r = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        assert r.status_code == 403
        assert "confirmed e-mail" in r.json()["error"]
        await px.rt.dispatcher.drain()
        from pixie.infra.mail import FileOutbox

        [mail] = FileOutbox(px.settings.mail_dir).messages()
        assert mail["To"] == "carol@example.com"
        body = mail.get_content()
        link = next(word for word in body.split() if word.startswith("https://pixie.test/auth/confirmation"))
        page = await px.client.get(link.removeprefix("https://pixie.test"))
        assert page.status_code == 200
        assert "confirmed" in page.text
        assert (
            await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        ).status_code == 200
        again = await px.client.get(link.removeprefix("https://pixie.test"))
        assert again.status_code == 422  # a link works once


async def test_registration_needs_an_app_token_with_write_accounts(start: Any) -> None:
    async with start(registrations="open") as px:
        assert (await register(px, "no-token")).status_code == 401
        read_only = await px.app_token(await px.app_credentials(), "read")
        assert (await register(px, read_only)).status_code == 403


async def test_consent_is_asked_at_sign_up_and_changeable(start: Any) -> None:
    async with start(registrations="open") as px:
        app_token = await px.app_token(await px.app_credentials())
        token = (await register(px, app_token, **{"pixie[ai_training_consent]": "1"})).json()["access_token"]
        me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).json()
        consent = me["pixie"]["ai_training_consent"]
        assert consent["granted"] is True
        assert consent["version"] == consent["current_version"] == 1
        r = await px.client.patch(
            "/api/v1/accounts/update_credentials",
            json={"pixie": {"ai_training_consent": False}},
            headers=bearer(token),
        )
        assert r.json()["pixie"]["ai_training_consent"]["granted"] is False
        from sqlalchemy import select

        from pixie.models.accounts import AiTrainingConsent

        async with px.rt.db.read() as session:
            history = list(
                await session.scalars(select(AiTrainingConsent.granted).order_by(AiTrainingConsent.id))
            )
        assert history == [True, False]


async def test_consent_defaults_to_off(px: Instance) -> None:
    _, token = await px.user("alice")
    me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).json()
    assert me["pixie"]["ai_training_consent"]["granted"] is False


async def test_update_credentials_with_rails_style_form_keys(px: Instance) -> None:
    _, token = await px.user("alice")
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        data={
            "display_name": "Alice ✨",
            "note": "I make <b>foxes</b>.\n\nAnd owls.",
            "locked": "1",
            "bot": "false",
            "fields_attributes[0][name]": "Site",
            "fields_attributes[0][value]": "https://alice.example",
            "fields_attributes[1][name]": "Pronouns",
            "fields_attributes[1][value]": "she/her",
            "source[privacy]": "unlisted",
            "source[sensitive]": "true",
            "source[language]": "fr",
            "unknown_parameter": "ignored",
        },
        headers=bearer(token),
    )
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["display_name"] == "Alice ✨"
    assert me["note"] == "<p>I make &lt;b&gt;foxes&lt;/b&gt;.</p><p>And owls.</p>"
    assert me["source"]["note"] == "I make <b>foxes</b>.\n\nAnd owls."
    assert me["locked"] is True and me["bot"] is False
    assert [(f["name"], f["value"]) for f in me["fields"]] == [
        ("Site", "https://alice.example"),
        ("Pronouns", "she/her"),
    ]
    assert me["source"]["privacy"] == "unlisted"
    assert me["source"]["sensitive"] is True
    prefs = (await px.client.get("/api/v1/preferences", headers=bearer(token))).json()
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:sensitive"] is True
    assert prefs["posting:default:language"] == "fr"


async def test_update_credentials_as_json_and_multipart(px: Instance) -> None:
    _, token = await px.user("alice")
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        json={"display_name": "J", "source": {"privacy": "private"}},
        headers=bearer(token),
    )
    assert r.json()["source"]["privacy"] == "private"
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", files={"display_name": (None, "M")}, headers=bearer(token)
    )
    assert r.status_code == 200
    assert r.json()["display_name"] == "M"


@pytest.mark.parametrize(
    "data",
    [
        {"display_name": "x" * 31},
        {"note": "x" * 501},
        {"source[privacy]": "everyone"},
        {"locked": "perhaps"},
        {f"fields_attributes[{i}][name]": f"f{i}" for i in range(5)},
    ],
)
async def test_update_credentials_refuses_bad_input(px: Instance, data: dict[str, str]) -> None:
    _, token = await px.user("alice")
    r = await px.client.patch("/api/v1/accounts/update_credentials", data=data, headers=bearer(token))
    assert r.status_code == 422
    me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).json()
    assert me["display_name"] == "" and me["note"] == ""  # nothing half-written


async def test_public_profile_lookup_and_webfinger(px: Instance) -> None:
    account_id, _ = await px.user("alice")
    r = await px.client.get(f"/api/v1/accounts/{account_id}")
    assert r.status_code == 200
    profile = r.json()
    assert profile["acct"] == "alice"
    assert profile["url"] == "https://pixie.test/@alice"
    assert profile["avatar"].startswith("https://pixie.test/") and profile["header_static"].startswith(
        "https://"
    )
    assert "source" not in profile and "pixie" not in profile  # private fields stay private
    for acct in ("alice", "ALICE", "@alice", "alice@pixie.test"):
        found = await px.client.get("/api/v1/accounts/lookup", params={"acct": acct})
        assert found.status_code == 200, acct
        assert found.json()["id"] == str(account_id)
    assert (
        await px.client.get("/api/v1/accounts/lookup", params={"acct": "alice@elsewhere.example"})
    ).status_code == 404
    assert (await px.client.get("/api/v1/accounts/lookup")).status_code == 422
    assert (await px.client.get("/api/v1/accounts/999")).status_code == 404
    assert (await px.client.get("/api/v1/accounts/not-an-id")).status_code == 404
    wf = await px.client.get("/.well-known/webfinger", params={"resource": "acct:alice@pixie.test"})
    assert wf.status_code == 200
    assert wf.headers["content-type"].startswith("application/jrd+json")
    assert wf.json()["subject"] == "acct:alice@pixie.test"
    assert (
        await px.client.get("/.well-known/webfinger", params={"resource": "acct:nobody@pixie.test"})
    ).status_code == 404


async def test_suspension_hides_the_account_and_stops_its_tokens(px: Instance) -> None:
    account_id, token = await px.user("alice")
    from pixie.services import accounts

    await accounts.set_suspended(px.rt, "alice", True)
    r = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert r.status_code == 403
    assert r.json()["error"] == "Your login is currently disabled"
    assert (await px.client.get(f"/api/v1/accounts/{account_id}")).status_code == 404
    assert (await px.client.get("/api/v1/accounts/lookup", params={"acct": "alice"})).status_code == 404
    login = await px.password_login("alice@example.com", PASSWORD)
    assert login.status_code == 403
    await accounts.set_suspended(px.rt, "alice", False)
    assert (
        await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    ).status_code == 200


async def test_password_reset_by_mail(px: Instance) -> None:
    _, token = await px.user("alice")
    page = await px.client.get("/auth/password/new")
    from tests.oauth_helpers import form_of

    csrf = form_of(page.text)["csrf_token"]
    r = await px.client.post("/auth/password/reset", data={"csrf_token": csrf, "email": "alice@example.com"})
    assert r.status_code == 200
    unknown = await px.client.post(
        "/auth/password/reset", data={"csrf_token": csrf, "email": "nobody@example.com"}
    )
    assert unknown.status_code == 200 and "on its way" in unknown.text  # no account probing
    await px.rt.dispatcher.drain()
    from pixie.infra.mail import FileOutbox

    mails = [m for m in FileOutbox(px.settings.mail_dir).messages() if "Reset" in m["Subject"]]
    assert len(mails) == 1
    link = next(w for w in mails[0].get_content().split() if "/auth/password/edit?token=" in w)
    reset_token = link.split("token=")[1]
    edit = await px.client.get("/auth/password/edit", params={"token": reset_token})
    fields = form_of(edit.text)
    short = await px.client.post("/auth/password", data=fields | {"password": "short"})
    assert short.status_code == 422
    done = await px.client.post("/auth/password", data=fields | {"password": "a brand new password"})
    assert done.status_code == 200
    # Every old session ends; the new password works.
    assert (
        await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    ).status_code == 401
    login = await px.password_login("alice@example.com", "a brand new password")
    assert login.status_code == 200
    reused = await px.client.post("/auth/password", data=fields | {"password": "another new password"})
    assert reused.status_code == 422


async def test_endpoints_that_need_a_token_say_so(px: Instance) -> None:
    for method, path in [
        ("GET", "/api/v1/apps/verify_credentials"),
        ("GET", "/api/v1/accounts/verify_credentials"),
        ("PATCH", "/api/v1/accounts/update_credentials"),
        ("GET", "/api/v1/preferences"),
        ("POST", "/api/v1/accounts"),
    ]:
        r = await px.client.request(method, path)
        assert r.status_code == 401, path
        assert r.json() == {"error": "The access token is invalid"}


async def test_bad_links_from_mail_are_refused_plainly(px: Instance) -> None:
    r = await px.client.get("/auth/confirmation", params={"token": "forged"})
    assert r.status_code == 422
    assert "invalid or has expired" in r.text
    from tests.oauth_helpers import form_of

    edit = await px.client.get("/auth/password/edit", params={"token": "forged"})
    r = await px.client.post("/auth/password", data=form_of(edit.text) | {"password": "a long new password"})
    assert r.status_code == 422
    no_csrf = await px.client.post(
        "/auth/password", data={"token": "forged", "password": "a long new password"}
    )
    assert no_csrf.status_code == 403


async def test_webfinger_refuses_what_it_does_not_know(px: Instance) -> None:
    await px.user("alice")
    assert (await px.client.get("/.well-known/webfinger")).status_code == 422
    assert (
        await px.client.get("/.well-known/webfinger", params={"resource": "mailto:alice@pixie.test"})
    ).status_code == 404
    assert (
        await px.client.get("/.well-known/webfinger", params={"resource": "acct:alice@other.example"})
    ).status_code == 404
    by_url = await px.client.get("/.well-known/webfinger", params={"resource": "https://pixie.test/@alice"})
    assert by_url.status_code == 200


async def test_a_suspension_from_another_process_reaches_an_embedded_server(start: Any) -> None:
    """`pixie suspend` runs in its own process and shares only the database with the server."""
    import asyncio

    from pixie.infra.runtime import build_runtime
    from pixie.services import accounts

    async with start() as px:
        _, token = await px.user("alice")
        assert (
            await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        ).status_code == 200
        cli = build_runtime(px.settings, background=False, schema=px.backend.schema)
        await cli.id_node.acquire()
        try:
            await accounts.set_suspended(cli, "alice", True)
        finally:
            await cli.stop()
        for _ in range(60):
            r = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
            if r.status_code == 403:
                break
            await asyncio.sleep(0.05)
        assert r.status_code == 403


async def test_a_password_reset_closes_every_other_way_in(px: Instance) -> None:
    from sqlalchemy import select

    from pixie.models.email_tokens import EmailToken
    from pixie.models.oauth import AuthorizationCode
    from pixie.services import accounts
    from tests.api.test_oauth import authorize

    account_id, _ = await px.user("alice")
    _, user = await accounts.get_user(px.rt, account_id)
    first_link = await accounts.make_email_token(px.rt, user.id, accounts.RESET)
    second_link = await accounts.make_email_token(px.rt, user.id, accounts.RESET)
    # Someone with the old password starts the code flow and keeps the code for later.
    app = await px.app_credentials(redirect_uris="https://app.example/cb")
    assert (await authorize(px, app, redirect_uri="https://app.example/cb")).status_code == 302
    await accounts.reset_password(px.rt, first_link, "a brand new password")
    with pytest.raises(Exception, match="invalid or has expired"):
        await accounts.reset_password(px.rt, second_link, "yet another password")
    async with px.rt.db.read() as session:
        assert (
            list(await session.scalars(select(AuthorizationCode).where(AuthorizationCode.used_at.is_(None))))
            == []
        )
        assert all(t.used_at is not None for t in await session.scalars(select(EmailToken)))


async def test_credential_account_keeps_the_email_private(px: Instance) -> None:
    _, token = await px.user("alice")
    me = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert "alice@example.com" not in me.text


async def test_a_revoked_invite_no_longer_lets_anyone_in(px: Instance) -> None:
    from pixie.services import invites

    code = await px.invite()
    await invites.revoke_invite(px.rt, code)
    app_token = await px.app_token(await px.app_credentials())
    r = await register(px, app_token, invite_code=code)
    assert r.status_code == 422


async def test_account_search_finds_by_name_for_mention_autocomplete(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, _ = await px.user("bobby")
    await px.user("robert")
    r = await px.client.get("/api/v1/accounts/search", params={"q": "bob", "limit": 5}, headers=bearer(alice))
    assert r.status_code == 200, r.text
    assert [a["id"] for a in r.json()] == [str(bob_id)]
    assert r.json()[0]["acct"] == "bobby"
    r = await px.client.get(
        "/api/v1/accounts/search", params={"q": "bob", "following": "true"}, headers=bearer(alice)
    )
    assert r.json() == []
    await px.follow(alice, bob_id)
    r = await px.client.get(
        "/api/v1/accounts/search", params={"q": "@bob", "following": "true"}, headers=bearer(alice)
    )
    assert [a["id"] for a in r.json()] == [str(bob_id)]
    r = await px.client.get("/api/v1/accounts/search", headers=bearer(alice))
    assert r.status_code == 400
    assert "error" in r.json()
