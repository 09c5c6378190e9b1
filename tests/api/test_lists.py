"""Lists: their owner's alone, of followed accounts only, each with its own timeline."""

from __future__ import annotations

from typing import Any

from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer


async def make_list(px: Instance, token: str, **data: Any) -> dict[str, Any]:
    r = await px.client.post("/api/v1/lists", data={"title": "Friends", **data}, headers=bearer(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def timeline(px: Instance, token: str, list_id: str, **params: Any) -> list[str]:
    r = await px.client.get(f"/api/v1/timelines/list/{list_id}", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()]


async def follow(px: Instance, token: str, account_id: int) -> None:
    r = await px.client.post(f"/api/v1/accounts/{account_id}/follow", headers=bearer(token))
    assert r.status_code == 200, r.text


async def test_list_crud(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    made = await make_list(px, alice, replies_policy="followed", exclusive="true")
    assert check_shape("List", made) == []
    assert (made["title"], made["replies_policy"], made["exclusive"]) == ("Friends", "followed", True)
    default = await make_list(px, alice, title="Art")
    assert (default["replies_policy"], default["exclusive"]) == ("list", False)
    mine = (await px.client.get("/api/v1/lists", headers=bearer(alice))).json()
    assert [x["title"] for x in mine] == ["Friends", "Art"]
    path = f"/api/v1/lists/{made['id']}"
    r = await px.client.put(
        path, json={"title": "Close friends", "replies_policy": "none"}, headers=bearer(alice)
    )
    assert (r.json()["title"], r.json()["replies_policy"], r.json()["exclusive"]) == (
        "Close friends",
        "none",
        True,
    )
    assert (await px.client.get(path, headers=bearer(alice))).json()["title"] == "Close friends"
    # Someone else's list does not exist for them.
    assert (await px.client.get(path, headers=bearer(bob))).status_code == 404
    assert (await px.client.put(path, data={"title": "mine"}, headers=bearer(bob))).status_code == 404
    assert (await px.client.delete(path, headers=bearer(bob))).status_code == 404
    assert (
        await px.client.get(f"/api/v1/timelines/list/{made['id']}", headers=bearer(bob))
    ).status_code == 404
    assert (await px.client.get("/api/v1/lists", headers=bearer(bob))).json() == []
    r = await px.client.delete(path, headers=bearer(alice))
    assert (r.status_code, r.json()) == (200, {})
    assert (await px.client.get(path, headers=bearer(alice))).status_code == 404


async def test_bad_list_requests(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, reader = await px.user("bob", scopes="read")
    r = await px.client.post("/api/v1/lists", data={"title": " "}, headers=bearer(alice))
    assert (r.status_code, r.json()) == (422, {"error": "Validation failed: Title can't be blank"})
    r = await px.client.post(
        "/api/v1/lists", data={"title": "x", "replies_policy": "all"}, headers=bearer(alice)
    )
    assert r.status_code == 422
    assert (
        await px.client.post("/api/v1/lists", data={"title": "x"}, headers=bearer(reader))
    ).status_code == 403
    assert (await px.client.get("/api/v1/lists")).status_code == 401
    assert (await px.client.get("/api/v1/lists/abc", headers=bearer(alice))).status_code == 404
    assert (await px.client.get("/api/v1/lists/123", headers=bearer(alice))).status_code == 404


async def test_only_followed_accounts_join_and_leave_when_unfollowed(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, _ = await px.user("bob")
    carol_id, _ = await px.user("carol")
    made = await make_list(px, alice)
    members = f"/api/v1/lists/{made['id']}/accounts"
    r = await px.client.post(members, data={"account_ids[]": str(bob_id)}, headers=bearer(alice))
    assert r.status_code == 404  # not followed: as Mastodon answers
    await follow(px, alice, bob_id)
    await follow(px, alice, carol_id)
    r = await px.client.post(
        members, data={"account_ids[]": [str(bob_id), str(carol_id)]}, headers=bearer(alice)
    )
    assert (r.status_code, r.json()) == (200, {})
    again = await px.client.post(members, data={"account_ids[]": str(bob_id)}, headers=bearer(alice))
    assert again.status_code == 422
    assert again.json() == {"error": "Validation failed: Account has already been taken"}
    listed = (await px.client.get(members, headers=bearer(alice))).json()
    assert sorted(a["username"] for a in listed) == ["bob", "carol"]
    page = await px.client.get(members, params={"limit": 1}, headers=bearer(alice))
    assert len(page.json()) == 1 and 'rel="next"' in page.headers["link"]
    everyone = await px.client.get(members, params={"limit": 0}, headers=bearer(alice))
    assert len(everyone.json()) == 2
    having = await px.client.get(f"/api/v1/accounts/{bob_id}/lists", headers=bearer(alice))
    assert [x["id"] for x in having.json()] == [made["id"]]
    await px.client.post(f"/api/v1/accounts/{bob_id}/unfollow", headers=bearer(alice))
    listed = (await px.client.get(members, headers=bearer(alice))).json()
    assert [a["username"] for a in listed] == ["carol"]
    assert (await px.client.get(f"/api/v1/accounts/{bob_id}/lists", headers=bearer(alice))).json() == []
    r = await px.client.request(
        "DELETE", members, params={"account_ids[]": str(carol_id)}, headers=bearer(alice)
    )
    assert (r.status_code, r.json()) == (200, {})
    assert (await px.client.get(members, headers=bearer(alice))).json() == []


async def test_the_list_timeline(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    carol_id, carol = await px.user("carol")
    dave_id, dave = await px.user("dave")
    for target in (bob_id, carol_id, dave_id):
        await follow(px, alice, target)
    await follow(px, bob, carol_id)
    made = await make_list(px, alice)
    await px.client.post(
        f"/api/v1/lists/{made['id']}/accounts",
        data={"account_ids[]": [str(bob_id), str(carol_id)]},
        headers=bearer(alice),
    )
    by_dave = await px.post(dave, status="not a member")
    first = await px.post(bob, status="one")
    private = await px.post(carol, status="followers only", visibility="private")
    to_member = await px.post(bob, status="@carol yes", in_reply_to_id=private["id"])
    to_self = await px.post(bob, status="more", in_reply_to_id=first["id"])
    to_owner = await px.post(
        carol, status="hi alice", in_reply_to_id=(await px.post(alice, status="q"))["id"]
    )
    to_dave = await px.post(carol, status="hey dave", in_reply_to_id=by_dave["id"])
    deleted = await px.post(bob, status="gone soon")
    await px.client.delete(f"/api/v1/statuses/{deleted['id']}", headers=bearer(bob))
    direct = await px.post(bob, status="@dave secret", visibility="direct")
    # "list": replies to members, to oneself and to the owner.
    expected = [to_owner["id"], to_self["id"], to_member["id"], private["id"], first["id"]]
    assert await timeline(px, alice, made["id"]) == expected
    assert direct["id"] not in expected
    # "followed": replies to anyone the owner follows (dave too).
    await px.client.put(
        f"/api/v1/lists/{made['id']}", data={"replies_policy": "followed"}, headers=bearer(alice)
    )
    assert await timeline(px, alice, made["id"]) == [to_dave["id"], *expected]
    # "none": only replies to oneself and to the owner.
    await px.client.put(f"/api/v1/lists/{made['id']}", data={"replies_policy": "none"}, headers=bearer(alice))
    assert await timeline(px, alice, made["id"]) == [
        to_owner["id"],
        to_self["id"],
        private["id"],
        first["id"],
    ]
    # Paging.
    page = await px.client.get(
        f"/api/v1/timelines/list/{made['id']}", params={"limit": 2}, headers=bearer(alice)
    )
    assert [s["id"] for s in page.json()] == [to_owner["id"], to_self["id"]]
    assert "max_id=" in page.headers["link"]
    # Mutes leave the list timeline.
    await px.client.post(f"/api/v1/accounts/{carol_id}/mute", headers=bearer(alice))
    assert await timeline(px, alice, made["id"]) == [to_self["id"], first["id"]]
    await px.client.post(f"/api/v1/accounts/{carol_id}/unmute", headers=bearer(alice))
    # A block removes the member (the follow ends), and hides the posts.
    await px.client.post(f"/api/v1/accounts/{alice_id}/block", headers=bearer(bob))
    assert await timeline(px, alice, made["id"]) == [to_owner["id"], private["id"]]


async def test_list_scopes(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, reader = await px.user("bob", scopes="read:lists")
    made = await make_list(px, alice)
    assert (await px.client.get("/api/v1/lists", headers=bearer(reader))).status_code == 200
    assert (
        await px.client.post("/api/v1/lists", data={"title": "x"}, headers=bearer(reader))
    ).status_code == 403
    assert (await px.client.delete(f"/api/v1/lists/{made['id']}", headers=bearer(reader))).status_code == 403
