"""Following, follow requests, relationships and the follower lists."""

from __future__ import annotations

from typing import Any

from tests.conftest import Instance, bearer


async def rel(px: Instance, token: str, *ids: int) -> list[dict[str, Any]]:
    r = await px.client.get(
        "/api/v1/accounts/relationships", params=[("id[]", str(i)) for i in ids], headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    return list(r.json())


async def test_follow_and_unfollow(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    r = await px.client.post(
        f"/api/v1/accounts/{bob_id}/follow", json={"reblogs": False, "notify": True}, headers=bearer(alice)
    )
    assert r.status_code == 200
    assert r.json()["following"] is True
    assert (r.json()["showing_reblogs"], r.json()["notifying"]) == (False, True)
    [seen_by_bob] = await rel(px, bob, alice_id)
    assert seen_by_bob["followed_by"] is True and seen_by_bob["following"] is False
    assert (await px.client.get(f"/api/v1/accounts/{bob_id}")).json()["followers_count"] == 1
    assert (await px.client.get(f"/api/v1/accounts/{alice_id}")).json()["following_count"] == 1
    again = await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))
    assert again.json()["following"] is True
    assert (await px.client.get(f"/api/v1/accounts/{bob_id}")).json()["followers_count"] == 1  # not twice
    r = await px.client.post(f"/api/v1/accounts/{bob_id}/unfollow", headers=bearer(alice))
    assert r.json()["following"] is False
    assert (await px.client.get(f"/api/v1/accounts/{bob_id}")).json()["followers_count"] == 0


async def test_locked_accounts_decide_on_requests(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.client.patch("/api/v1/accounts/update_credentials", data={"locked": "true"}, headers=bearer(bob))
    r = await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))
    assert (r.json()["following"], r.json()["requested"]) == (False, True)
    pending = await px.client.get("/api/v1/follow_requests", headers=bearer(bob))
    assert [a["username"] for a in pending.json()] == ["alice"]
    r = await px.client.post(f"/api/v1/follow_requests/{alice_id}/authorize", headers=bearer(bob))
    assert r.status_code == 200
    assert r.json()["followed_by"] is True
    assert (await rel(px, alice, bob_id))[0]["following"] is True
    assert (await px.client.get("/api/v1/follow_requests", headers=bearer(bob))).json() == []
    assert (
        await px.client.post(f"/api/v1/follow_requests/{alice_id}/reject", headers=bearer(bob))
    ).status_code == 404


async def test_a_rejected_request_leaves_no_follow(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.client.patch("/api/v1/accounts/update_credentials", data={"locked": "1"}, headers=bearer(bob))
    await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))
    r = await px.client.post(f"/api/v1/follow_requests/{alice_id}/reject", headers=bearer(bob))
    assert r.json()["followed_by"] is False and r.json()["requested_by"] is False
    [after] = await rel(px, alice, bob_id)
    assert (after["following"], after["requested"]) == (False, False)


async def test_followers_see_followers_only_posts(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    s = (
        await px.client.post(
            "/api/v1/statuses",
            data={"status": "friends only", "visibility": "private"},
            headers=bearer(alice),
        )
    ).json()
    path = f"/api/v1/statuses/{s['id']}"
    assert (await px.client.get(path, headers=bearer(bob))).status_code == 404
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    assert (await px.client.get(path, headers=bearer(bob))).status_code == 200
    direct = (
        await px.client.post(
            "/api/v1/statuses", data={"status": "just me", "visibility": "direct"}, headers=bearer(alice)
        )
    ).json()
    assert (
        await px.client.get(f"/api/v1/statuses/{direct['id']}", headers=bearer(bob))
    ).status_code == 404  # following is not enough
    await px.client.post(f"/api/v1/accounts/{alice_id}/unfollow", headers=bearer(bob))
    assert (await px.client.get(path, headers=bearer(bob))).status_code == 404


async def test_follower_lists_page_with_link_headers(px: Instance) -> None:
    target_id, _ = await px.user("star")
    for n in range(5):
        _, token = await px.user(f"fan{n}")
        await px.client.post(f"/api/v1/accounts/{target_id}/follow", headers=bearer(token))
    first = await px.client.get(f"/api/v1/accounts/{target_id}/followers", params={"limit": 2})
    assert [a["username"] for a in first.json()] == ["fan4", "fan3"]  # newest first
    link = first.headers["link"]
    assert (
        link.startswith("<https://pixie.test/api/v1/accounts/")
        and 'rel="next"' in link
        and 'rel="prev"' in link
    )
    next_url = link.split(">;")[0][1:].removeprefix("https://pixie.test")
    second = await px.client.get(next_url)
    assert [a["username"] for a in second.json()] == ["fan2", "fan1"]
    prev_url = second.headers["link"].split(", ")[1].split(">;")[0][1:].removeprefix("https://pixie.test")
    back = await px.client.get(prev_url)
    assert [a["username"] for a in back.json()] == ["fan4", "fan3"]
    fan_id = first.json()[0]["id"]
    following = await px.client.get(f"/api/v1/accounts/{fan_id}/following")
    assert [a["username"] for a in following.json()] == ["star"]


async def test_bad_follow_requests(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, reader = await px.user("bob", scopes="read")
    assert (
        await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(alice))
    ).status_code == 403
    assert (await px.client.post("/api/v1/accounts/999/follow", headers=bearer(alice))).status_code == 404
    assert (await px.client.post("/api/v1/accounts/abc/follow", headers=bearer(alice))).status_code == 404
    assert (
        await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(reader))
    ).status_code == 403
    assert (await px.client.post(f"/api/v1/accounts/{alice_id}/follow")).status_code == 401
    bad = await px.client.post(
        f"/api/v1/accounts/{alice_id}/follow", data={"reblogs": "maybe"}, headers=bearer(reader)
    )
    assert bad.status_code in (403, 422)
    assert (await px.client.get("/api/v1/accounts/999/followers")).status_code == 404
    assert (
        await px.client.get(f"/api/v1/accounts/{alice_id}/followers", params={"limit": "0"})
    ).status_code == 422
    weird = await rel(px, alice, alice_id)
    assert weird[0]["following"] is False
    r = await px.client.get("/api/v1/accounts/relationships", params={"id[]": "abc"}, headers=bearer(alice))
    assert r.status_code == 200 and r.json() == []
