"""Pinned statuses on a profile, and muted conversations."""

from __future__ import annotations

from pixie.models.statuses import Status
from pixie.services import muted_conversations
from tests.conftest import Instance, bearer


async def test_pins_show_on_the_profile_and_to_their_author(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    first = await px.post(alice, status="first")
    second = await px.post(alice, status="second")
    await px.post(alice, status="not pinned")
    for s in (first, second, second):  # pinning twice changes nothing
        r = await px.client.post(f"/api/v1/statuses/{s['id']}/pin", headers=bearer(alice))
        assert r.status_code == 200, r.text
        assert r.json()["pinned"] is True
    path = f"/api/v1/accounts/{alice_id}/statuses"
    pinned = await px.client.get(path, params={"pinned": "true"})
    assert [s["id"] for s in pinned.json()] == [second["id"], first["id"]]
    assert (await px.client.get(f"/api/v1/statuses/{first['id']}", headers=bearer(alice))).json()[
        "pinned"
    ] is True
    assert (await px.client.get(f"/api/v1/statuses/{first['id']}", headers=bearer(bob))).json()[
        "pinned"
    ] is False
    r = await px.client.post(f"/api/v1/statuses/{first['id']}/unpin", headers=bearer(alice))
    assert r.json()["pinned"] is False
    assert [s["id"] for s in (await px.client.get(path, params={"pinned": "1"})).json()] == [second["id"]]
    # A deleted post leaves the pins.
    await px.client.delete(f"/api/v1/statuses/{second['id']}", headers=bearer(alice))
    assert (await px.client.get(path, params={"pinned": "1"})).json() == []


async def test_what_may_not_be_pinned(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    theirs = await px.post(bob, status="bob's")
    r = await px.client.post(f"/api/v1/statuses/{theirs['id']}/pin", headers=bearer(alice))
    assert (r.status_code, r.json()["error"]) == (
        422,
        "Validation failed: Someone else's post cannot be pinned",
    )
    direct = await px.post(alice, status="@bob psst", visibility="direct")
    assert (
        await px.client.post(f"/api/v1/statuses/{direct['id']}/pin", headers=bearer(alice))
    ).status_code == 422
    reblog = (await px.client.post(f"/api/v1/statuses/{theirs['id']}/reblog", headers=bearer(alice))).json()
    assert (
        await px.client.post(f"/api/v1/statuses/{reblog['id']}/pin", headers=bearer(alice))
    ).status_code == 422
    # Followers-only posts may be pinned (Mastodon 3.5+); the list shows them to followers only.
    private = await px.post(alice, status="followers", visibility="private")
    assert (
        await px.client.post(f"/api/v1/statuses/{private['id']}/pin", headers=bearer(alice))
    ).status_code == 200
    path = f"/api/v1/accounts/{alice_id}/statuses"
    assert (await px.client.get(path, params={"pinned": "1"}, headers=bearer(bob))).json() == []
    hidden = await px.post(bob, status="followers only", visibility="private")
    assert (
        await px.client.post(f"/api/v1/statuses/{hidden['id']}/pin", headers=bearer(alice))
    ).status_code == 404
    for n in range(4):
        s = await px.post(alice, status=f"pin {n}")
        assert (
            await px.client.post(f"/api/v1/statuses/{s['id']}/pin", headers=bearer(alice))
        ).status_code == 200
    one_more = await px.post(alice, status="sixth")
    r = await px.client.post(f"/api/v1/statuses/{one_more['id']}/pin", headers=bearer(alice))
    assert r.status_code == 422
    assert r.json()["error"] == "Validation failed: You have already pinned the maximum number of posts"
    _, reader = await px.user("carol", scopes="read")
    assert (
        await px.client.post(f"/api/v1/statuses/{one_more['id']}/pin", headers=bearer(reader))
    ).status_code == 403


async def test_muting_a_conversation_mutes_the_whole_thread(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    root = await px.post(alice, status="root")
    reply = await px.post(bob, status="reply", in_reply_to_id=root["id"])
    deeper = await px.post(alice, status="deeper", in_reply_to_id=reply["id"])
    other = await px.post(alice, status="another thread")
    r = await px.client.post(f"/api/v1/statuses/{deeper['id']}/mute", headers=bearer(bob))
    assert r.status_code == 200 and r.json()["muted"] is True
    for s, muted in ((root, True), (reply, True), (deeper, True), (other, False)):
        seen = await px.client.get(f"/api/v1/statuses/{s['id']}", headers=bearer(bob))
        assert seen.json()["muted"] is muted
    assert (await px.client.get(f"/api/v1/statuses/{root['id']}", headers=bearer(alice))).json()[
        "muted"
    ] is False
    # A reply Bob writes into the thread he muted is muted from the start, as reading it says.
    again = await px.post(bob, status="one more word", in_reply_to_id=root["id"])
    assert again["muted"] is True
    assert again == (await px.client.get(f"/api/v1/statuses/{again['id']}", headers=bearer(bob))).json()
    async with px.rt.db.read() as session:
        later = await session.get(Status, int(root["id"]))
        assert later is not None
        assert await muted_conversations.is_muted(session, bob_id, later) is True
    r = await px.client.post(f"/api/v1/statuses/{root['id']}/unmute", headers=bearer(bob))
    assert r.json()["muted"] is False
    async with px.rt.db.read() as session:
        later = await session.get(Status, int(deeper["id"]))
        assert later is not None
        assert await muted_conversations.is_muted(session, bob_id, later) is False
    secret = await px.post(alice, status="only followers", visibility="private")
    assert (
        await px.client.post(f"/api/v1/statuses/{secret['id']}/mute", headers=bearer(bob))
    ).status_code == 404
    assert (await px.client.post(f"/api/v1/statuses/{root['id']}/mute")).status_code == 401
