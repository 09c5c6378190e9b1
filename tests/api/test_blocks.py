"""Blocks, mutes and removing followers: what each side sees afterwards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from pixie.db.types import utcnow
from pixie.models.blocks import Mute
from pixie.services import maintenance
from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer


async def rel(px: Instance, token: str, account_id: int) -> dict[str, Any]:
    r = await px.client.get(
        "/api/v1/accounts/relationships", params={"id[]": str(account_id)}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    return dict(r.json()[0])


async def ids(px: Instance, path: str, token: str | None = None, **params: Any) -> list[str]:
    r = await px.client.get(path, params=params, headers=bearer(token) if token else {})
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()]


async def test_a_block_ends_follows_both_ways_and_forbids_new_ones(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    r = await px.client.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(alice))
    assert r.status_code == 200
    assert check_shape("Relationship", r.json()) == []
    assert (r.json()["blocking"], r.json()["following"], r.json()["followed_by"]) == (True, False, False)
    assert (await rel(px, bob, alice_id))["blocked_by"] is True
    for who in (alice_id, bob_id):
        account = (await px.client.get(f"/api/v1/accounts/{who}")).json()
        assert (account["followers_count"], account["following_count"]) == (0, 0)
    for token, target in ((bob, alice_id), (alice, bob_id)):
        refused = await px.client.post(f"/api/v1/accounts/{target}/follow", headers=bearer(token))
        assert refused.status_code == 403
        assert refused.json() == {"error": "This action is not allowed"}
    again = await px.client.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(alice))
    assert again.json()["blocking"] is True
    assert await ids(px, "/api/v1/blocks", alice) == [str(bob_id)]
    r = await px.client.post(f"/api/v1/accounts/{bob_id}/unblock", headers=bearer(alice))
    assert r.json()["blocking"] is False
    assert await ids(px, "/api/v1/blocks", alice) == []
    followed = await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    assert followed.json()["following"] is True


async def test_a_block_removes_pending_follow_requests(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.client.patch("/api/v1/accounts/update_credentials", data={"locked": "1"}, headers=bearer(alice))
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    assert len((await px.client.get("/api/v1/follow_requests", headers=bearer(alice))).json()) == 1
    await px.client.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(alice))
    assert (await px.client.get("/api/v1/follow_requests", headers=bearer(alice))).json() == []
    assert (await rel(px, bob, alice_id))["requested"] is False


async def test_a_block_hides_each_sides_posts_from_the_other_everywhere(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    _, carol = await px.user("carol")
    root = await px.post(carol, status="a thread")
    by_alice = await px.post(alice, status="alice here #art", in_reply_to_id=root["id"])
    by_bob = await px.post(bob, status="bob here #art", in_reply_to_id=root["id"])
    for token, other in ((alice, by_bob), (bob, by_alice)):
        await px.client.post(f"/api/v1/statuses/{other['id']}/favourite", headers=bearer(token))
        await px.client.post(f"/api/v1/statuses/{other['id']}/bookmark", headers=bearer(token))
    await px.client.post(f"/api/v1/statuses/{root['id']}/favourite", headers=bearer(alice))
    await px.client.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(alice))
    for token, mine, other, other_id in (
        (alice, by_alice, by_bob, bob_id),
        (bob, by_bob, by_alice, alice_id),
    ):
        assert (
            await px.client.get(f"/api/v1/statuses/{other['id']}", headers=bearer(token))
        ).status_code == 404
        assert (
            await px.client.get(f"/api/v1/statuses/{other['id']}/context", headers=bearer(token))
        ).status_code == 404
        assert (
            await px.client.get(f"/api/v1/statuses/{other['id']}/favourited_by", headers=bearer(token))
        ).status_code == 404
        thread = (await px.client.get(f"/api/v1/statuses/{root['id']}/context", headers=bearer(token))).json()
        assert [s["id"] for s in thread["descendants"]] == [mine["id"]]
        assert await ids(px, "/api/v1/timelines/public", token) == [mine["id"], root["id"]]
        assert await ids(px, "/api/v1/timelines/tag/art", token) == [mine["id"]]
        assert await ids(px, f"/api/v1/accounts/{other_id}/statuses", token) == []
        assert await ids(px, "/api/v1/statuses", token, **{"id[]": [other["id"], mine["id"]]}) == [mine["id"]]
        assert await ids(px, "/api/v1/favourites", token) == ([root["id"]] if token == alice else [])
        assert await ids(px, "/api/v1/bookmarks", token) == []
        reacted = await px.client.post(f"/api/v1/statuses/{other['id']}/favourite", headers=bearer(token))
        assert reacted.status_code == 404
        replied = await post_reply(px, token, other["id"])
        assert replied == 404
    # Who favourited carol's post: alice, but not for bob.
    by_bob_view = await px.client.get(f"/api/v1/statuses/{root['id']}/favourited_by", headers=bearer(bob))
    assert by_bob_view.json() == []
    by_carol = await px.client.get(f"/api/v1/statuses/{root['id']}/favourited_by", headers=bearer(carol))
    assert [a["username"] for a in by_carol.json()] == ["alice"]
    # Others still see both.
    assert len(await ids(px, "/api/v1/timelines/public", carol)) == 3


async def post_reply(px: Instance, token: str, to: str) -> int:
    r = await px.client.post(
        "/api/v1/statuses", data={"status": "re", "in_reply_to_id": to}, headers=bearer(token)
    )
    return r.status_code


async def test_mutes_hide_posts_from_timelines_but_not_from_the_profile(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    s = await px.post(bob, status="loud #art")
    r = await px.client.post(f"/api/v1/accounts/{bob_id}/mute", headers=bearer(alice))
    assert r.status_code == 200
    assert check_shape("Relationship", r.json()) == []
    assert (r.json()["muting"], r.json()["muting_notifications"]) == (True, True)
    assert r.json()["muting_expires_at"] is None
    assert await ids(px, "/api/v1/timelines/public", alice) == []
    assert await ids(px, "/api/v1/timelines/tag/art", alice) == []
    assert await ids(px, f"/api/v1/accounts/{bob_id}/statuses", alice) == [s["id"]]
    assert (await px.client.get(f"/api/v1/statuses/{s['id']}", headers=bearer(alice))).status_code == 200
    assert await ids(px, "/api/v1/timelines/public") == [s["id"]]  # only for the one who muted
    assert await ids(px, "/api/v1/mutes", alice) == [str(bob_id)]
    changed = await px.client.post(
        f"/api/v1/accounts/{bob_id}/mute", json={"notifications": False}, headers=bearer(alice)
    )
    assert (changed.json()["muting"], changed.json()["muting_notifications"]) == (True, False)
    r = await px.client.post(f"/api/v1/accounts/{bob_id}/unmute", headers=bearer(alice))
    assert r.json()["muting"] is False
    assert await ids(px, "/api/v1/timelines/public", alice) == [s["id"]]
    assert await ids(px, "/api/v1/mutes", alice) == []


async def test_a_mute_with_a_duration_ends_by_itself(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    s = await px.post(bob, status="hello")
    r = await px.client.post(
        f"/api/v1/accounts/{bob_id}/mute", data={"duration": "3600"}, headers=bearer(alice)
    )
    assert r.json()["muting"] is True and r.json()["muting_expires_at"].endswith("Z")
    assert await ids(px, "/api/v1/timelines/public", alice) == []
    async with px.rt.write() as session:  # an hour and a bit later
        await session.execute(update(Mute).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await ids(px, "/api/v1/timelines/public", alice) == [s["id"]]
    assert (await rel(px, alice, bob_id))["muting"] is False
    assert await ids(px, "/api/v1/mutes", alice) == []
    removed = await maintenance.cleanup(px.rt)
    assert removed["mutes"] == 1


async def test_remove_from_followers(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    r = await px.client.post(f"/api/v1/accounts/{bob_id}/remove_from_followers", headers=bearer(alice))
    assert r.status_code == 200
    assert r.json()["followed_by"] is False
    assert (await rel(px, bob, alice_id))["following"] is False
    assert (await px.client.get(f"/api/v1/accounts/{alice_id}")).json()["followers_count"] == 0
    again = await px.client.post(f"/api/v1/accounts/{bob_id}/remove_from_followers", headers=bearer(alice))
    assert again.status_code == 200


async def test_bad_block_and_mute_requests(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, _ = await px.user("bob")
    _, reader = await px.user("carol", scopes="read")
    assert (
        await px.client.post(f"/api/v1/accounts/{alice_id}/block", headers=bearer(alice))
    ).status_code == 403
    assert (
        await px.client.post(f"/api/v1/accounts/{alice_id}/mute", headers=bearer(alice))
    ).status_code == 403
    assert (await px.client.post("/api/v1/accounts/999/block", headers=bearer(alice))).status_code == 404
    assert (await px.client.post("/api/v1/accounts/x/mute", headers=bearer(alice))).status_code == 404
    assert (await px.client.post(f"/api/v1/accounts/{bob_id}/block")).status_code == 401
    assert (
        await px.client.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(reader))
    ).status_code == 403
    assert (await px.client.get("/api/v1/blocks", headers=bearer(reader))).status_code == 200
    for duration in ("-5", "soon"):
        r = await px.client.post(
            f"/api/v1/accounts/{bob_id}/mute", data={"duration": duration}, headers=bearer(alice)
        )
        assert r.status_code == 422, duration
        assert "error" in r.json()
    r = await px.client.get("/api/v1/mutes", params={"max_id": "x\x00"}, headers=bearer(alice))
    assert r.status_code == 400
