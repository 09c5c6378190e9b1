"""HTTP behaviour real clients depend on: errors, trailing slashes, CORS, body limits, rate limits."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Instance, bearer


async def test_unknown_path_and_method_answer_mastodon_errors(px: Instance) -> None:
    r = await px.client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"error": "Not Found"}  # no such route...
    r = await px.client.get("/api/v1/statuses/123456")
    assert r.status_code == 404
    assert r.json() == {"error": "Record not found"}  # ...and no such record: a client tells them apart
    r = await px.client.delete("/api/v1/instance")
    assert r.status_code == 405
    assert "error" in r.json()


async def test_trailing_slash_is_the_same_path(px: Instance) -> None:
    plain = await px.client.get("/api/v1/instance")
    slashed = await px.client.get("/api/v1/instance/")
    assert slashed.status_code == 200
    assert slashed.json()["version"] == plain.json()["version"]


async def test_blank_user_agent_is_served(px: Instance) -> None:
    r = await px.client.get("/api/v2/instance", headers={"User-Agent": ""})
    assert r.status_code == 200


async def test_timestamps_are_utc_with_milliseconds(px: Instance) -> None:
    account_id, _ = await px.user("alice")
    created = (await px.client.get(f"/api/v1/accounts/{account_id}")).json()["created_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created)


async def test_every_answer_has_a_request_id(px: Instance) -> None:
    a = await px.client.get("/api/v2/instance")
    b = await px.client.get("/api/v2/instance")
    assert re.fullmatch(r"[0-9a-f]{16}", a.headers["x-request-id"])
    assert a.headers["x-request-id"] != b.headers["x-request-id"]


async def test_cors_on_the_api_as_mastodon_serves_it(px: Instance) -> None:
    pre = await px.client.options(
        "/api/v1/accounts/verify_credentials",
        headers={
            "Origin": "https://elk.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()
    r = await px.client.get("/api/v2/instance", headers={"Origin": "https://elk.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "Link" in r.headers["access-control-expose-headers"]
    token = await px.client.post("/oauth/token", data={}, headers={"Origin": "https://elk.example"})
    assert token.headers["access-control-allow-origin"] == "*"
    page = await px.client.get("/auth/password/new", headers={"Origin": "https://elk.example"})
    assert "access-control-allow-origin" not in page.headers


async def test_oversize_bodies_are_refused_with_413(start: Any) -> None:
    async with start(max_json_body_bytes=1000, max_body_bytes=5000) as px:
        r = await px.client.post("/api/v1/apps", json={"client_name": "x" * 2000})
        assert r.status_code == 413
        assert "too large" in r.json()["error"]
        r = await px.client.post("/api/v1/apps", files={"client_name": (None, "x" * 8000)})
        assert r.status_code == 413

        async def chunks() -> Any:
            for _ in range(10):
                yield b"x" * 500

        # No Content-Length: counted while it streams in, whatever the encoding.
        for content_type in ("application/json", "application/x-www-form-urlencoded"):
            r = await px.client.post("/api/v1/apps", content=chunks(), headers={"content-type": content_type})
            assert r.status_code == 413, content_type
        from pixie.models.oauth import Application

        async with px.rt.db.read() as session:
            assert await session.get(Application, 1) is None


async def test_rate_limit_headers_and_429(start: Any) -> None:
    async with start(rate_limit_default="3/5minutes") as px:
        _, token = await px.user("alice")
        seen = []
        for _ in range(3):
            r = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
            seen.append(int(r.headers["x-ratelimit-remaining"]))
            assert r.headers["x-ratelimit-limit"] == "3"
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r.headers["x-ratelimit-reset"])
        assert seen == [2, 1, 0]
        r = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        assert r.status_code == 429
        assert r.json() == {"error": "Too many requests"}
        assert int(r.headers["retry-after"]) > 0
        # The limit is per account: anonymous requests from the same address still pass.
        assert (await px.client.get("/api/v2/instance")).status_code == 200


async def test_sign_up_limit_is_stricter(start: Any) -> None:
    async with start(registrations="open", rate_limit_sign_up="2/30minutes") as px:
        app_token = await px.app_token(await px.app_credentials())
        statuses = []
        for i in range(3):
            r = await px.client.post(
                "/api/v1/accounts",
                data={
                    "username": f"user{i}",
                    "email": f"user{i}@example.com",
                    "password": "long enough pw",
                    "agreement": "1",
                },
                headers=bearer(app_token),
            )
            statuses.append(r.status_code)
        assert statuses == [200, 200, 429]


async def test_rate_limits_can_be_turned_off(start: Any) -> None:
    async with start(rate_limits=False, rate_limit_default="1/5minutes") as px:
        for _ in range(3):
            r = await px.client.get("/api/v2/instance/")
            assert r.status_code == 200
            assert "x-ratelimit-limit" not in r.headers


async def test_forwarded_for_is_believed_only_from_trusted_proxies(start: Any) -> None:
    async with start(rate_limit_default="1/5minutes") as px:
        # Untrusted: X-Forwarded-For is ignored, so a spoofed address does not get a fresh limit.
        assert (
            await px.client.get("/api/v2/instance", headers={"X-Forwarded-For": "10.0.0.1"})
        ).status_code == 200
        assert (
            await px.client.get("/api/v2/instance", headers={"X-Forwarded-For": "10.0.0.2"})
        ).status_code == 429
    async with start(rate_limit_default="1/5minutes", trusted_proxies="127.0.0.1") as px:
        assert (
            await px.client.get("/api/v2/instance", headers={"X-Forwarded-For": "10.0.0.1"})
        ).status_code == 200
        assert (
            await px.client.get("/api/v2/instance", headers={"X-Forwarded-For": "10.0.0.2"})
        ).status_code == 200
        assert (
            await px.client.get("/api/v2/instance", headers={"X-Forwarded-For": "10.0.0.2"})
        ).status_code == 429


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_garbage_bodies_never_cause_a_server_error(px: Instance, content_type: str) -> None:
    _, token = await px.user("alice")
    for body in (b"\xff\xfe\x00", b"[1,2,3]", b"--x\r\nnonsense", b"a[b][c]=1&a[b]=2&a[]=3"):
        r = await px.client.patch(
            "/api/v1/accounts/update_credentials",
            content=body,
            headers=bearer(token) | {"content-type": content_type},
        )
        assert r.status_code in (200, 400, 422), (body, r.status_code, r.text)
        assert "error" in r.json() or r.status_code == 200


async def test_a_second_forwarded_for_line_cannot_spoof_the_client(start: Any) -> None:
    """A proxy that appends its own X-Forwarded-For line leaves the client's line first."""
    async with start(rate_limit_default="1/5minutes", trusted_proxies="127.0.0.1") as px:
        spoofed = [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.9")]
        assert (await px.client.get("/api/v2/instance", headers=spoofed)).status_code == 200
        other_lie = [("X-Forwarded-For", "7.7.7.7"), ("X-Forwarded-For", "203.0.113.9")]
        assert (await px.client.get("/api/v2/instance", headers=other_lie)).status_code == 429


async def test_app_tokens_are_limited_per_address_not_per_app(start: Any) -> None:
    async with start(rate_limit_default="2/5minutes", trusted_proxies="127.0.0.1") as px:
        app = await px.app_credentials()
        token = await px.app_token(app, "read")
        for address, expected in [("198.51.100.1", 200), ("198.51.100.1", 200), ("198.51.100.1", 429)]:
            r = await px.client.get(
                "/api/v1/apps/verify_credentials", headers=bearer(token) | {"X-Forwarded-For": address}
            )
            assert r.status_code == expected
        # Someone else using the same (public) app credentials is not locked out.
        r = await px.client.get(
            "/api/v1/apps/verify_credentials", headers=bearer(token) | {"X-Forwarded-For": "198.51.100.2"}
        )
        assert r.status_code == 200


def test_bad_trusted_proxies_are_refused_at_start(tmp_path: Any) -> None:
    from pydantic import ValidationError

    from pixie.config import Settings

    with pytest.raises(ValidationError, match="not an address"):
        Settings(_env_file=None, trusted_proxies="10.0.0.0/8,proxy.internal")
