"""OAuth 2 as Mastodon clients use it: apps, the four grants, PKCE, revocation, status codes."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PASSWORD, Instance, bearer
from tests.oauth_helpers import form_of, pkce_pair


def code_of(redirect: Any) -> str:
    """The authorization code in the redirect back to the app."""
    return str(parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0])


async def authorize(
    px: Instance,
    app: dict[str, Any],
    *,
    redirect_uri: str,
    challenge: str | None = None,
    email: str = "alice@example.com",
    password: str = PASSWORD,
    decision: str = "approve",
    scope: str = "read write",
) -> Any:
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "xyz",
    }
    if challenge:
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    page = await px.client.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    fields = form_of(page.text)
    fields |= {"email": email, "password": password, "decision": decision}
    return await px.client.post("/oauth/authorize", data=fields)


async def test_app_registration_returns_credentials_once(px: Instance) -> None:
    r = await px.client.post(
        "/api/v1/apps",
        json={
            "client_name": "Phanpy",
            "redirect_uris": ["https://app.example/cb"],
            "scopes": "read write:statuses",
            "website": "https://app.example",
        },
    )
    assert r.status_code == 200
    app = r.json()
    assert app["name"] == "Phanpy"
    assert app["scopes"] == ["read", "write:statuses"]
    assert app["redirect_uris"] == ["https://app.example/cb"]
    assert app["client_id"] and app["client_secret"]
    token = await px.app_token(app, "read")
    r = await px.client.get("/api/v1/apps/verify_credentials", headers=bearer(token))
    assert r.status_code == 200
    assert r.json()["name"] == "Phanpy"
    assert "client_secret" not in r.json()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({}, 422),
        ({"client_name": "x", "scopes": "read destroy"}, 422),
        ({"client_name": "x", "redirect_uris": "not a uri"}, 422),
        ({"client_name": "x", "redirect_uris": "https://a.example/cb#frag"}, 422),
        ({"client_name": "x" * 201}, 422),
        ({"client_name": "x", "website": "javascript:alert(1)"}, 422),
    ],
)
async def test_app_registration_refuses_bad_input(px: Instance, data: dict[str, str], status: int) -> None:
    r = await px.client.post("/api/v1/apps", data=data)
    assert r.status_code == status
    assert isinstance(r.json()["error"], str)


async def test_malformed_json_is_a_400(px: Instance) -> None:
    r = await px.client.post(
        "/api/v1/apps", content=b'{"client_name": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert "JSON" in r.json()["error"]


async def test_password_grant_takes_the_email_and_answers_a_mastodon_token(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials()
    r = await px.client.post(
        "/oauth/token",
        json={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": "ALICE@example.com",
            "password": PASSWORD,
            "scope": "read",
        },
    )
    assert r.status_code == 200
    token = r.json()
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "read"
    assert isinstance(token["created_at"], int)
    assert "expires_in" not in token  # tokens live until revoked
    assert r.headers["cache-control"] == "no-store"


async def test_wrong_password_and_unknown_email_get_the_same_answer(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials()
    base = {"grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"]}
    wrong = await px.client.post(
        "/oauth/token", data=base | {"username": "alice@example.com", "password": "nope nope nope"}
    )
    unknown = await px.client.post(
        "/oauth/token", data=base | {"username": "bob@example.com", "password": "nope nope nope"}
    )
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "invalid_grant"


async def test_client_authentication_is_required_and_checked(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials()
    base = {"grant_type": "password", "username": "alice@example.com", "password": PASSWORD}
    r = await px.client.post(
        "/oauth/token", data=base | {"client_id": app["client_id"], "client_secret": "wrong"}
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    r = await px.client.post("/oauth/token", data=base)
    assert r.status_code == 401
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    r = await px.client.post("/oauth/token", data=base, headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200
    r = await px.client.post("/oauth/token", data=base, headers={"Authorization": "Basic !!!"})
    assert r.status_code == 401


async def test_unsupported_grant_and_scope_beyond_the_app(px: Instance) -> None:
    app = await px.app_credentials(scopes="read")
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    r = await px.client.post("/oauth/token", data=creds | {"grant_type": "implicit"})
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"
    r = await px.client.post(
        "/oauth/token", data=creds | {"grant_type": "client_credentials", "scope": "write"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


async def test_authorization_code_flow_with_pkce(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials(redirect_uris="https://app.example/cb")
    verifier, challenge = pkce_pair()
    r = await authorize(px, app, redirect_uri="https://app.example/cb", challenge=challenge)
    assert r.status_code == 302
    location = urlsplit(r.headers["location"])
    assert location.netloc == "app.example"
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    code = query["code"][0]
    creds = {
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "redirect_uri": "https://app.example/cb",
    }
    bad = await px.client.post(
        "/oauth/token",
        data=creds | {"grant_type": "authorization_code", "code": code, "code_verifier": "x" * 50},
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"
    ok = await px.client.post(
        "/oauth/token",
        data=creds | {"grant_type": "authorization_code", "code": code, "code_verifier": verifier},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["scope"] == "read write"
    me = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(ok.json()["access_token"]))
    assert me.json()["username"] == "alice"
    again = await px.client.post(
        "/oauth/token",
        data=creds | {"grant_type": "authorization_code", "code": code, "code_verifier": verifier},
    )
    assert again.status_code == 400  # a code works once
    # ...and a replay revokes what the first use got: the code may have been stolen.
    me = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(ok.json()["access_token"]))
    assert me.status_code == 401


async def test_public_client_may_use_pkce_without_a_secret_but_not_without_a_verifier(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials(redirect_uris="https://app.example/cb")
    verifier, challenge = pkce_pair()
    code = code_of(await authorize(px, app, redirect_uri="https://app.example/cb", challenge=challenge))
    r = await px.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": "https://app.example/cb",
        },
    )
    assert r.status_code == 200
    code2 = code_of(await authorize(px, app, redirect_uri="https://app.example/cb", challenge=challenge))
    r = await px.client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "code": code2,
            "redirect_uri": "https://app.example/cb",
        },
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_out_of_band_redirect_shows_the_code(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials()
    r = await authorize(px, app, redirect_uri="urn:ietf:wg:oauth:2.0:oob")
    assert r.status_code == 200
    code = form_of(r.text) or None
    assert code is None  # a page with the code, not a form
    assert 'id="authorization-code"' in r.text


async def test_consent_page_refuses_framing_and_unregistered_redirects(px: Instance) -> None:
    app = await px.app_credentials(redirect_uris="https://app.example/cb")
    ok = await px.client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": "https://app.example/cb",
            "response_type": "code",
        },
    )
    assert ok.status_code == 200
    assert ok.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in ok.headers["content-security-policy"]
    assert "<form" in ok.text and 'name="csrf_token"' in ok.text
    bad = await px.client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": "https://evil.example/cb",
            "response_type": "code",
        },
    )
    assert bad.status_code == 400
    assert "location" not in bad.headers  # never redirect to an unregistered URI
    unknown = await px.client.get(
        "/oauth/authorize", params={"client_id": "nope", "redirect_uri": "https://app.example/cb"}
    )
    assert unknown.status_code == 400


async def test_consent_form_needs_its_csrf_token_and_the_right_password(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials(redirect_uris="https://app.example/cb")
    page = await px.client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": "https://app.example/cb",
            "response_type": "code",
        },
    )
    fields = form_of(page.text) | {"email": "alice@example.com", "password": PASSWORD, "decision": "approve"}
    forged = await px.client.post("/oauth/authorize", data=fields | {"csrf_token": "forged"})
    assert forged.status_code == 403
    wrong = await px.client.post("/oauth/authorize", data=fields | {"password": "wrong password"})
    assert wrong.status_code == 401
    assert "Invalid e-mail or password" in wrong.text
    denied = await px.client.post("/oauth/authorize", data=fields | {"decision": "deny"})
    assert denied.status_code == 302
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]


async def test_revoked_token_stops_working_at_once(px: Instance) -> None:
    _, token = await px.user("alice")
    assert (
        await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    ).status_code == 200
    # The token came from the app made inside px.user; revoke needs that app's credentials.
    from pixie.services import oauth
    from pixie.services.tokens import digest

    async with px.rt.db.read() as session:
        from sqlalchemy import select

        from pixie.models.oauth import AccessToken, Application

        app = await session.scalar(
            select(Application)
            .join(AccessToken, AccessToken.application_id == Application.id)
            .where(AccessToken.token_hash == digest(token))
        )
    assert app is not None
    await oauth.revoke_token(px.rt, app, token)
    r = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert r.status_code == 401


async def test_revoke_endpoint(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials()
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    token = (
        await px.client.post(
            "/oauth/token",
            data=creds | {"grant_type": "password", "username": "alice@example.com", "password": PASSWORD},
        )
    ).json()["access_token"]
    other_app = await px.app_credentials()
    # Another app cannot revoke it.
    r = await px.client.post(
        "/oauth/revoke",
        data={
            "client_id": other_app["client_id"],
            "client_secret": other_app["client_secret"],
            "token": token,
        },
    )
    assert r.status_code == 200
    assert (
        await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    ).status_code == 200
    r = await px.client.post("/oauth/revoke", data=creds | {"token": token})
    assert r.status_code == 200
    assert r.json() == {}
    assert (
        await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    ).status_code == 401
    bad = await px.client.post(
        "/oauth/revoke", data={"client_id": app["client_id"], "client_secret": "nope", "token": token}
    )
    assert bad.status_code == 401


async def test_refresh_tokens_for_apps_that_register_the_grant(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials(**{"grant_types[]": ["password", "refresh_token"]})  # type: ignore[arg-type]
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    first = (
        await px.client.post(
            "/oauth/token",
            data=creds | {"grant_type": "password", "username": "alice@example.com", "password": PASSWORD},
        )
    ).json()
    assert first["expires_in"] > 0
    assert first["refresh_token"]
    second = await px.client.post(
        "/oauth/token", data=creds | {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    assert second.json()["access_token"] != first["access_token"]
    # The old pair is spent: its access token no longer works and its refresh token is refused.
    assert (
        await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(first["access_token"]))
    ).status_code == 401
    reused = await px.client.post(
        "/oauth/token", data=creds | {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    )
    assert reused.status_code == 400
    # A refresh token used twice was copied: the whole chain ends, the new token too.
    assert (
        await px.client.get(
            "/api/v1/accounts/verify_credentials", headers=bearer(second.json()["access_token"])
        )
    ).status_code == 401


async def test_refresh_needs_the_grant_registered(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials()
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    r = await px.client.post(
        "/oauth/token", data=creds | {"grant_type": "refresh_token", "refresh_token": "x"}
    )
    assert r.status_code == 400
    assert r.json()["error"] == "unauthorized_client"


async def test_scopes_default_to_read_and_unknown_ones_are_refused(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials(scopes="read write")
    base = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "password"}
    base |= {"username": "alice@example.com", "password": PASSWORD}
    plain = await px.client.post("/oauth/token", data=base)
    assert plain.json()["scope"] == "read"  # as on Mastodon
    unknown = await px.client.post("/oauth/token", data=base | {"scope": "read everything"})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "data",
    [
        {"redirect_uris": "http://[::1"},
        {"website": "http://[::1"},
        {"website": "https://a.example/" + "x" * 2100},
        {"redirect_uris": "javascript:alert(1)"},
        {"client_name": "nul\x00byte"},
    ],
)
async def test_malformed_app_registrations_are_client_errors(px: Instance, data: dict[str, str]) -> None:
    r = await px.client.post("/api/v1/apps", data={"client_name": "x"} | data)
    assert r.status_code in (400, 422)
    assert "error" in r.json()


async def test_nul_bytes_never_reach_the_database(px: Instance) -> None:
    _, token = await px.user("alice")
    app = await px.app_credentials()
    creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    r = await px.client.post(
        "/oauth/token", data=creds | {"grant_type": "password", "username": "a\x00@x.com", "password": "x"}
    )
    assert r.status_code == 400
    r = await px.client.post("/oauth/token", json={"grant_type": "client_credentials", "client_id": "a\x00"})
    assert r.status_code == 400
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", json={"display_name": "a\x00"}, headers=bearer(token)
    )
    assert r.status_code == 400
    page = await px.client.get("/oauth/authorize", params={"client_id": "a\x00", "redirect_uri": "x"})
    assert page.status_code == 400
    reset = await px.client.post("/auth/password/reset", data={"email": "a\x00@x.com"})
    assert reset.status_code == 403


async def test_pkce_challenges_must_look_like_s256_digests(px: Instance) -> None:
    app = await px.app_credentials(redirect_uris="https://app.example/cb")
    base = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": "https://app.example/cb"}
    too_long = base | {"code_challenge": "a" * 200, "code_challenge_method": "S256"}
    assert (await px.client.get("/oauth/authorize", params=too_long)).status_code == 400
    method_only = base | {"code_challenge_method": "x" * 40}
    assert (await px.client.get("/oauth/authorize", params=method_only)).status_code == 400


async def test_status_codes_for_token_problems(px: Instance) -> None:
    _, token = await px.user("alice", scopes="read")
    app = await px.app_credentials()
    app_token = await px.app_token(app, "read write")
    assert (await px.client.get("/api/v1/accounts/verify_credentials")).status_code == 401
    assert (
        await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer("nonsense"))
    ).status_code == 401
    # Missing scope: 403.
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", data={"display_name": "A"}, headers=bearer(token)
    )
    assert r.status_code == 403
    # An app token where a user is needed: 422.
    r = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(app_token))
    assert r.status_code == 422
    assert r.json()["error"] == "This method requires an authenticated user"


async def test_discovery_document_lists_the_password_grant(px: Instance) -> None:
    r = await px.client.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200
    doc = r.json()
    assert "password" in doc["grant_types_supported"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["token_endpoint"] == "https://pixie.test/oauth/token"
    assert "read:statuses" in doc["scopes_supported"]


async def test_a_code_without_pkce_needs_the_client_secret(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials(redirect_uris="https://app.example/cb")
    code = code_of(await authorize(px, app, redirect_uri="https://app.example/cb"))
    base = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "code": code,
        "redirect_uri": "https://app.example/cb",
    }
    stolen = await px.client.post(
        "/oauth/token", data=base | {"code_verifier": "made-up-verifier-made-up-verifier-made-up"}
    )
    assert stolen.status_code == 401
    with_verifier = await px.client.post(
        "/oauth/token", data=base | {"client_secret": app["client_secret"], "code_verifier": "x" * 43}
    )
    assert with_verifier.status_code == 400
    wrong_redirect = await px.client.post(
        "/oauth/token",
        data=base | {"client_secret": app["client_secret"], "redirect_uri": "https://app.example/other"},
    )
    assert wrong_redirect.status_code == 400
    ok = await px.client.post("/oauth/token", data=base | {"client_secret": app["client_secret"]})
    assert ok.status_code == 200


async def test_plain_pkce_is_refused(px: Instance) -> None:
    app = await px.app_credentials(redirect_uris="https://app.example/cb")
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": "https://app.example/cb",
        "code_challenge": "abc",
    }
    assert (await px.client.get("/oauth/authorize", params=query)).status_code == 400
    assert (
        await px.client.get("/oauth/authorize", params=query | {"code_challenge_method": "plain"})
    ).status_code == 400
