"""Direct messages: Mastodon's conversations, per participant, with unread state, images, live
delivery, and the recipient's choice of who may write to them."""

from __future__ import annotations

from typing import Any

from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer
from tests.media import images
from tests.streaming import served, sse


async def conversations(px: Instance, token: str) -> list[dict[str, Any]]:
    r = await px.client.get("/api/v1/conversations", headers=bearer(token))
    assert r.status_code == 200, r.text
    return list(r.json())


async def dm(px: Instance, token: str, text: str, **data: Any) -> dict[str, Any]:
    return await px.post(token, status=text, visibility="direct", **data)


async def test_a_direct_message_makes_a_conversation_for_each_participant(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    _, carol = await px.user("carol")
    r = await px.client.post(
        "/api/v2/media", files={"file": ("a.jpg", images.jpeg(), "image/jpeg")}, headers=bearer(alice)
    )
    assert r.status_code == 200, r.text
    first = await dm(px, alice, "@bob look at this", **{"media_ids[]": [r.json()["id"]]})
    [bobs] = await conversations(px, bob)
    assert check_shape("Conversation", bobs) == []
    assert bobs["unread"] is True
    assert [a["id"] for a in bobs["accounts"]] == [str(alice_id)]
    assert bobs["last_status"]["id"] == first["id"]
    assert len(bobs["last_status"]["media_attachments"]) == 1
    [alices] = await conversations(px, alice)
    assert alices["unread"] is False  # one's own message is read
    assert [a["id"] for a in alices["accounts"]] == [str(bob_id)]
    # Nobody else sees any of it.
    assert await conversations(px, carol) == []
    r = await px.client.get(f"/api/v1/statuses/{first['id']}", headers=bearer(carol))
    assert r.status_code == 404

    # A reply continues the same conversation and makes it unread for the other side.
    r = await px.client.post(f"/api/v1/conversations/{alices['id']}/read", headers=bearer(alice))
    reply = await dm(px, bob, "@alice lovely", in_reply_to_id=first["id"])
    [alices_now] = await conversations(px, alice)
    assert alices_now["id"] == alices["id"]
    assert alices_now["unread"] is True
    assert alices_now["last_status"]["id"] == reply["id"]
    r = await px.client.post(f"/api/v1/conversations/{alices['id']}/read", headers=bearer(alice))
    assert r.status_code == 200, r.text
    assert r.json()["unread"] is False
    assert (await conversations(px, alice))[0]["unread"] is False

    # Deleting the newest message points the conversation at the one before.
    await px.client.delete(f"/api/v1/statuses/{reply['id']}", headers=bearer(bob))
    assert (await conversations(px, alice))[0]["last_status"]["id"] == first["id"]

    # Removing it takes it off the list; the messages stay, and a new one brings it back.
    r = await px.client.delete(f"/api/v1/conversations/{bobs['id']}", headers=bearer(bob))
    assert r.status_code == 200 and r.json() == {}
    assert await conversations(px, bob) == []
    assert (await px.client.get(f"/api/v1/statuses/{first['id']}", headers=bearer(bob))).status_code == 200
    await dm(px, alice, "@bob still there?", in_reply_to_id=first["id"])
    assert len(await conversations(px, bob)) == 1

    # Someone else's conversation cannot be read or removed.
    for method, path in (
        ("POST", f"/api/v1/conversations/{alices['id']}/read"),
        ("DELETE", f"/api/v1/conversations/{alices['id']}"),
    ):
        r = await px.client.request(method, path, headers=bearer(carol))
        assert r.status_code == 404, r.text
        assert r.json() == {"error": "Record not found"}


async def test_group_messages_keep_each_set_of_participants_apart(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _bob_id, bob = await px.user("bob")
    carol_id, carol = await px.user("carol")
    await dm(px, alice, "@bob just you")
    group = await dm(px, alice, "@bob @carol both of you")
    bobs = await conversations(px, bob)
    assert next(c["last_status"]["id"] for c in bobs) == group["id"]
    assert sorted(a["id"] for a in bobs[0]["accounts"]) == sorted([str(alice_id), str(carol_id)])
    assert [a["id"] for a in bobs[1]["accounts"]] == [str(alice_id)]
    assert len(await conversations(px, carol)) == 1


async def test_who_may_send_direct_messages_is_the_recipients_choice(px: Instance) -> None:
    _, alice = await px.user("alice")
    _bob_id, bob = await px.user("bob")
    carol_id, carol = await px.user("carol")
    me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(bob))).json()
    assert me["source"]["pixie"]["direct_messages"] == "everyone"
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        data={"source[pixie][direct_messages]": "following"},
        headers=bearer(bob),
    )
    assert r.status_code == 200, r.text
    assert r.json()["source"]["pixie"]["direct_messages"] == "following"
    await px.follow(bob, carol_id)
    before = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))).json()
    r = await px.client.post(
        "/api/v1/statuses", data={"status": "@bob hello", "visibility": "direct"}, headers=bearer(alice)
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "@bob accepts direct messages only from people they follow"
    # Nothing was stored or delivered.
    after = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))).json()
    assert after["statuses_count"] == before["statuses_count"]
    assert await conversations(px, bob) == []
    r = await px.client.get("/api/v1/notifications", headers=bearer(bob))
    assert r.json() == []
    # Someone bob follows may write; a public mention is no direct message and is not refused.
    await dm(px, carol, "@bob hi, it's carol")
    await px.post(alice, status="@bob a public hello")
    assert len(await conversations(px, bob)) == 1
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        data={"source[pixie][direct_messages]": "nobody"},
        headers=bearer(bob),
    )
    assert r.status_code == 200, r.text
    r = await px.client.post(
        "/api/v1/statuses", data={"status": "@bob again", "visibility": "direct"}, headers=bearer(carol)
    )
    assert r.status_code == 422
    assert r.json()["error"] == "@bob does not accept direct messages"
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        data={"source[pixie][direct_messages]": "friends"},
        headers=bearer(bob),
    )
    assert r.status_code == 422
    assert "direct_messages" in str(r.json())


async def test_direct_messages_arrive_live_on_the_recipients_streams_only(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    await px.follow(bob, alice_id)
    async with (
        served(px) as url,
        sse(url, "/api/v1/streaming/direct", bob) as bobs_direct,
        sse(url, "/api/v1/streaming/user", bob) as bobs_home,
        sse(url, "/api/v1/streaming/direct", carol) as carols_direct,
        sse(url, "/api/v1/streaming/user", carol) as carols_home,
    ):
        message = await dm(px, alice, "@bob a secret")
        live = await bobs_direct.wait_for("conversation")
        assert live.json()["last_status"]["id"] == message["id"]
        assert live.json() == (await conversations(px, bob))[0]
        await bobs_home.wait_for("conversation")
        # bob follows alice: the message is in his home timeline too, as on Mastodon.
        await bobs_home.wait_for("update", lambda e: e.json()["id"] == message["id"])
        assert bobs_direct.named("update") == []  # the direct stream carries conversations only
        public = await px.post(carol, status="carol's public post")
        await carols_home.wait_for("update", lambda e: e.json()["id"] == public["id"])
        assert carols_home.named("conversation") == carols_direct.named("conversation") == []
        assert message["id"] not in carols_home.updates()
