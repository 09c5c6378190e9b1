"""The streaming API as Mastodon serves it: server-sent events and one multiplexed WebSocket, with
what each subscriber may see through REST and nothing else."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets

from pixie.db.idlist import split_ids
from pixie.realtime import publisher
from tests.conftest import PASSWORD, Backend, Instance, bearer, running
from tests.streaming import served, sse, websocket


async def test_health_answers_ok(px: Instance) -> None:
    r = await px.client.get("/api/v1/streaming/health")
    assert r.status_code == 200
    assert r.text == "OK"


async def test_instance_points_clients_at_the_streaming_api(px: Instance) -> None:
    v1 = (await px.client.get("/api/v1/instance")).json()
    v2 = (await px.client.get("/api/v2/instance")).json()
    assert v1["urls"]["streaming_api"] == "wss://pixie.test"
    assert v2["configuration"]["urls"]["streaming"] == "wss://pixie.test"


async def test_user_stream_carries_followed_posts_as_rest_renders_them(px: Instance) -> None:
    _alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.follow(alice, bob_id)
    async with served(px) as url, sse(url, "/api/v1/streaming/user", alice) as stream:
        assert stream.lines[0] == ":)"
        posted = await px.post(bob, status="hello #Pixie")
        event = await stream.wait_for("update")
        rest = (await px.client.get(f"/api/v1/statuses/{posted['id']}", headers=bearer(alice))).json()
        assert event.json() == rest
        mine = await px.post(alice, status="my own")
        await stream.wait_for("update", lambda e: e.json()["id"] == mine["id"])


async def test_streams_never_carry_what_the_reader_may_not_see(px: Instance) -> None:
    _alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    carol_id, carol = await px.user("carol")
    dave_id, dave = await px.user("dave")
    _eve_id, eve = await px.user("eve")
    for target in (bob_id, carol_id, dave_id):
        await px.follow(alice, target)
    await px.client.post(f"/api/v1/accounts/{carol_id}/block", headers=bearer(alice))
    await px.client.post(f"/api/v1/accounts/{dave_id}/mute", headers=bearer(alice))
    async with (
        served(px) as url,
        sse(url, "/api/v1/streaming/user", alice) as home,
        sse(url, "/api/v1/streaming/public", alice) as public,
        sse(url, "/api/v1/streaming/public", eve) as stranger,
        sse(url, "/api/v1/streaming/public") as anonymous,
    ):
        blocked = await px.post(carol, status="from a blocked account")
        muted = await px.post(dave, status="from a muted account")
        private = await px.post(bob, status="followers only", visibility="private")
        unlisted = await px.post(bob, status="unlisted", visibility="unlisted")
        allowed = await px.post(bob, status="public, last")
        for reader in (home, public, stranger, anonymous):
            await reader.wait_for("update", lambda e: e.json()["id"] == allowed["id"])
        assert home.updates() == [private["id"], unlisted["id"], allowed["id"]]
        assert public.updates() == [allowed["id"]]
        assert stranger.updates() == [blocked["id"], muted["id"], allowed["id"]]
        assert anonymous.updates() == [blocked["id"], muted["id"], allowed["id"]]


async def test_hashtag_media_and_list_streams(px: Instance) -> None:
    _alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    carol_id, carol = await px.user("carol")
    await px.follow(alice, bob_id)
    await px.follow(alice, carol_id)
    made = (await px.client.post("/api/v1/lists", data={"title": "friends"}, headers=bearer(alice))).json()
    r = await px.client.post(
        f"/api/v1/lists/{made['id']}/accounts", data={"account_ids[]": [str(bob_id)]}, headers=bearer(alice)
    )
    assert r.status_code == 200, r.text
    async with (
        served(px) as url,
        sse(url, "/api/v1/streaming/hashtag", params={"tag": "Cats"}) as cats,
        sse(url, "/api/v1/streaming/hashtag/local", params={"tag": "cats"}) as local_cats,
        sse(url, "/api/v1/streaming/list", alice, params={"list": made["id"]}) as friends,
        sse(url, "/api/v1/streaming/public/local", params={"only_media": "true"}) as media,
    ):
        other = await px.post(carol, status="#dogs only")
        tagged = await px.post(carol, status="I like #CATS")
        from_bob = await px.post(bob, status="bob, in the list")
        for reader in (cats, local_cats):
            await reader.wait_for("update")
        await friends.wait_for("update")
        assert cats.updates() == local_cats.updates() == [tagged["id"]]
        assert friends.updates() == [from_bob["id"]]
        assert media.updates() == []  # nothing with an image was posted; the page says the same
        assert other["id"] not in cats.updates()


async def test_stream_errors_are_mastodons(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    made = (await px.client.post("/api/v1/lists", data={"title": "mine"}, headers=bearer(alice))).json()
    async with served(px) as url, httpx.AsyncClient(base_url=url) as client:
        cases = [
            ("/api/v1/streaming/user", None, {}, 401),
            ("/api/v1/streaming/user", "not-a-token", {}, 401),
            ("/api/v1/streaming/public", "not-a-token", {}, 401),
            ("/api/v1/streaming/hashtag", None, {}, 400),
            ("/api/v1/streaming/list", alice, {"list": "abc"}, 400),
            ("/api/v1/streaming/list", bob, {"list": made["id"]}, 404),
            ("/api/v1/streaming/nonsense", None, {}, 404),
            ("/api/v1/streaming", None, {"stream": "nonsense"}, 400),
        ]
        for path, token, params, status in cases:
            headers = bearer(token) if token else {}
            r = await client.get(path, headers=headers, params=params)
            assert r.status_code == status, (path, r.status_code, r.text)
            assert isinstance(r.json()["error"], str), r.text
        _, reader = await px.user("reader", scopes="read:accounts")
        r = await client.get("/api/v1/streaming/user", headers=bearer(reader))
        assert r.status_code == 403


async def test_notifications_and_deletes_reach_the_user_streams(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _bob_id, bob = await px.user("bob")
    await px.follow(bob, alice_id)
    async with (
        served(px) as url,
        sse(url, "/api/v1/streaming/user", alice) as alice_home,
        sse(url, "/api/v1/streaming/user/notification", alice) as alice_notes,
        sse(url, "/api/v1/streaming/user", bob) as bob_home,
    ):
        mine = await px.post(alice, status="favourite me")
        await bob_home.wait_for("update", lambda e: e.json()["id"] == mine["id"])
        await px.client.post(f"/api/v1/statuses/{mine['id']}/favourite", headers=bearer(bob))
        note = await alice_notes.wait_for("notification")
        assert note.json()["type"] == "favourite"
        assert note.json()["status"]["id"] == mine["id"]
        rest = (await px.client.get("/api/v1/notifications", headers=bearer(alice))).json()
        assert note.json() == rest[0]
        await alice_home.wait_for("notification")
        assert alice_notes.named("update") == []  # the notification stream carries notifications only
        await px.client.delete(f"/api/v1/statuses/{mine['id']}", headers=bearer(alice))
        deleted = await bob_home.wait_for("delete")
        assert deleted.data == mine["id"]


async def test_edits_arrive_as_status_update(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _bob_id, bob = await px.user("bob")
    await px.follow(bob, alice_id)
    async with served(px) as url, sse(url, "/api/v1/streaming/user", bob) as stream:
        posted = await px.post(alice, status="first")
        await stream.wait_for("update")
        r = await px.client.put(
            f"/api/v1/statuses/{posted['id']}", data={"status": "second"}, headers=bearer(alice)
        )
        assert r.status_code == 200, r.text
        edited = await stream.wait_for("status.update")
        assert edited.json()["content"] == r.json()["content"]
        assert edited.json()["edited_at"] is not None


async def test_a_revoked_token_closes_its_streams_within_a_second(px: Instance) -> None:
    await px.user("alice")
    app = await px.app_credentials()
    r = await px.client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "username": "alice@example.com",
            "password": PASSWORD,
            "scope": "read",
        },
    )
    token = r.json()["access_token"]
    async with (
        served(px) as url,
        sse(url, "/api/v1/streaming/user", token) as stream,
        websocket(url, token=token, query="?stream=user") as ws,
    ):
        r = await px.client.post(
            "/oauth/revoke",
            data={"token": token, "client_id": app["client_id"], "client_secret": app["client_secret"]},
        )
        assert r.status_code == 200, r.text
        await asyncio.wait_for(stream.closed.wait(), 1.0)
        await asyncio.wait_for(ws.received.closed.wait(), 1.0)
        assert ws.received.close_code == 1008


async def test_websocket_multiplexes_streams_with_the_token_as_subprotocol(px: Instance) -> None:
    _alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.follow(alice, bob_id)
    async with served(px) as url, websocket(url, protocol_token=alice) as ws:
        assert ws.connection.subprotocol == alice  # echoed, or browsers drop the connection
        await ws.send({"type": "subscribe", "stream": "user"})
        await ws.send({"type": "subscribe", "stream": "hashtag", "tag": "Cats"})
        await asyncio.sleep(0.2)
        posted = await px.post(bob, status="a #cats picture")
        home = await ws.received.wait_for("update", lambda e: e.stream == ["user"])
        tagged = await ws.received.wait_for("update", lambda e: e.stream == ["hashtag", "Cats"])
        # The payload is the entity as a string, parsed a second time.
        assert isinstance(home.data, str)
        assert json.loads(home.data)["id"] == json.loads(tagged.data or "")["id"] == posted["id"]
        await ws.send({"type": "unsubscribe", "stream": "hashtag", "tag": "Cats"})
        await asyncio.sleep(0.2)
        second = await px.post(bob, status="more #cats")
        await ws.received.wait_for("update", lambda e: e.json()["id"] == second["id"])
        assert [e.json()["id"] for e in ws.received.named("update") if e.stream == ["hashtag", "Cats"]] == [
            posted["id"]
        ]
        await ws.send({"type": "subscribe", "stream": "nonsense"})
        error = await ws.received.wait_for("error")
        assert json.loads(error.data or "")["status"] == 400


async def test_websocket_query_stream_and_header_token(px: Instance) -> None:
    _, alice = await px.user("alice")
    async with served(px) as url, websocket(url, token=alice, query="?stream=user") as ws:
        mine = await px.post(alice, status="to myself")
        event = await ws.received.wait_for("update")
        assert event.json()["id"] == mine["id"]


async def test_websocket_refuses_bad_tokens_and_closes_on_binary(px: Instance) -> None:
    _, alice = await px.user("alice")
    async with served(px) as url:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websocket(url, token="nope"):
                pass
        assert refused.value.response.status_code == 401
        async with websocket(url, token=alice) as ws:
            await ws.connection.send(b"\x00\x01")
            await asyncio.wait_for(ws.received.closed.wait(), 2)
            assert ws.received.close_code == 1003


async def test_generation_progress_reaches_its_owner_only(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    async with (
        served(px) as url,
        sse(url, "/api/v1/streaming/user", alice) as owner,
        sse(url, "/api/v1/streaming/user", bob) as other,
    ):
        r = await px.client.post(
            "/api/v1/pixie/generations",
            data={"prompt": "a red sun over blue mountains", "n": "2", "size": "512x512"},
            headers=bearer(alice),
        )
        assert r.status_code == 202, r.text
        done = await owner.wait_for(
            "pixie.generation", lambda e: e.json()["state"] == "succeeded", timeout=60
        )
        assert done.json()["id"] == r.json()["id"]
        assert len(done.json()["candidates"]) == 2
        progress = [e.json()["progress"] for e in owner.named("pixie.generation")]
        assert progress == sorted(progress) and progress[-1] == 1
        rest = (
            await px.client.get(f"/api/v1/pixie/generations/{r.json()['id']}", headers=bearer(alice))
        ).json()
        assert done.json() == rest
        mine = await px.post(bob, status="bob's own post")
        await other.wait_for("update", lambda e: e.json()["id"] == mine["id"])
        assert other.named("pixie.generation") == []


async def test_a_post_by_an_account_with_many_followers_reaches_those_streaming(
    tmp_path: Path, production: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MANY_FOLLOWERS`` a post is published to the followers with a user stream open
    (found among the accounts marked present), not to every follower's channel: those
    streaming get it, followers-only posts included, and nobody else does."""
    monkeypatch.setattr(publisher, "MANY_FOLLOWERS", 1)
    async with running(tmp_path, production) as px:
        star_id, star = await px.user("star")
        fan_id, fan = await px.user("fan")
        _quiet_id, quiet = await px.user("quiet")
        stranger_id, stranger = await px.user("stranger")
        for follower in (fan, quiet):
            await px.follow(follower, star_id)
        async with (
            served(px) as url,
            sse(url, "/api/v1/streaming/user", fan) as fan_home,
            sse(url, "/api/v1/streaming/user", stranger) as stranger_home,
        ):
            present = await px.rt.presence.present()
            assert present is not None and {fan_id, stranger_id} <= present
            async with px.rt.db.read() as session:
                streaming = await publisher._followers_streaming(px.rt, session, star_id)
            assert split_ids(streaming) == [fan_id]  # not the quiet follower, nor the stranger
            private = await px.post(star, status="for my followers", visibility="private")
            public = await px.post(star, status="for everyone")
            await fan_home.wait_for("update", lambda e: e.json()["id"] == public["id"])
            assert fan_home.updates() == [private["id"], public["id"]]
            own = await px.post(stranger, status="my own")  # the stranger's stream works
            await stranger_home.wait_for("update", lambda e: e.json()["id"] == own["id"])
            assert stranger_home.updates() == [own["id"]]
