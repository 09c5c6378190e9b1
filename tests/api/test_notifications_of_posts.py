"""Notifications that follow from what happens to posts: reblogs, new posts of accounts one asked
to hear from, edits of reblogged posts, ended polls, and muted threads."""

from __future__ import annotations

from datetime import timedelta

from pixie.db.types import utcnow
from pixie.services import polls
from tests.api.test_golden import check_shape
from tests.api.test_notifications import kinds, notes
from tests.conftest import Instance, bearer


async def test_a_reblog_notifies_the_author_until_it_is_taken_back(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    s = await px.post(alice, status="share me")
    await px.client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bearer(bob))
    found = await notes(px, alice)
    assert kinds(found) == [("reblog", "bob")]
    assert found[0]["status"]["id"] == s["id"] and check_shape("Notification", found[0]) == []
    await px.client.post(f"/api/v1/statuses/{s['id']}/unreblog", headers=bearer(bob))
    assert await notes(px, alice) == []


async def test_followers_who_asked_hear_of_new_posts_but_not_replies_to_others(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", data={"notify": "true"}, headers=bearer(bob))
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(carol))
    fresh = await px.post(alice, status="new work")
    other = await px.post(carol, status="carol's")
    await px.post(alice, status="reply to carol", in_reply_to_id=other["id"])
    assert [(n["type"], n["status"]["id"]) for n in await notes(px, bob, **{"types[]": "status"})] == [
        ("status", fresh["id"])
    ]
    assert await notes(px, carol, **{"types[]": "status"}) == []


async def test_editing_a_reblogged_post_tells_those_who_reblogged_it(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    s = await px.post(alice, status="first take")
    await px.client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bearer(bob))
    r = await px.client.put(
        f"/api/v1/statuses/{s['id']}", data={"status": "second take"}, headers=bearer(bob)
    )
    assert r.status_code == 403
    r = await px.client.put(
        f"/api/v1/statuses/{s['id']}", data={"status": "second take, thanks @carol"}, headers=bearer(alice)
    )
    assert r.status_code == 200
    found = await notes(px, bob)
    assert kinds(found) == [("update", "alice")]
    assert found[0]["status"]["content"].startswith("<p>second take")


async def test_an_ended_poll_notifies_its_voters_and_its_author(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    r = await px.client.post(
        "/api/v1/statuses",
        data={"status": "tea or coffee?", "poll[options][]": ["tea", "coffee"], "poll[expires_in]": "300"},
        headers=bearer(alice),
    )
    poll_id = r.json()["poll"]["id"]
    await px.client.post(f"/api/v1/polls/{poll_id}/votes", data={"choices[]": "0"}, headers=bearer(bob))
    await polls.end_expired(px.rt, utcnow() + timedelta(seconds=301))
    for token in (alice, bob):
        found = await notes(px, token)
        assert kinds(found) == [("poll", "alice")]
        assert found[0]["status"]["poll"]["expired"] is True
    assert await notes(px, carol) == []  # did not vote


async def test_a_muted_thread_notifies_of_nothing(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    s = await px.post(alice, status="a long thread")
    await px.client.post(f"/api/v1/statuses/{s['id']}/mute", headers=bearer(alice))
    await px.post(bob, status="@alice replying", in_reply_to_id=s["id"])
    await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(bob))
    assert await notes(px, alice) == []
    await px.client.post(f"/api/v1/statuses/{s['id']}/unmute", headers=bearer(alice))
    await px.client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bearer(bob))
    assert kinds(await notes(px, alice)) == [("reblog", "bob")]
