"""Reblogs: the reblog as a status of its own, who may reblog what, and where reblogs show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pixie.models.system import OutboxEvent
from tests.conftest import Instance, bearer


async def status_of(px: Instance, status_id: str, token: str | None = None) -> Any:
    return await px.client.get(f"/api/v1/statuses/{status_id}", headers=bearer(token) if token else {})


async def test_a_reblog_wraps_the_original_and_counts_once(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    original = await px.post(alice, status="look at this #art")
    first = await px.client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bearer(bob))
    assert first.status_code == 200, first.text
    reblog = first.json()
    assert reblog["id"] != original["id"]
    assert reblog["account"]["id"] == str(bob_id)
    assert reblog["reblog"]["id"] == original["id"]
    assert reblog["reblog"]["account"]["id"] == str(alice_id)
    assert (reblog["reblogged"], reblog["reblog"]["reblogged"]) == (True, True)
    assert reblog["reblog"]["reblogs_count"] == 1
    assert reblog["content"] == "" and reblog["visibility"] == "public"
    # Twice is the same reblog; reblogging the reblog reblogs the original.
    again = await px.client.post(f"/api/v1/statuses/{reblog['id']}/reblog", headers=bearer(bob))
    assert again.json()["id"] == reblog["id"]
    seen_by_alice = (await status_of(px, original["id"], alice)).json()
    assert (seen_by_alice["reblogs_count"], seen_by_alice["reblogged"]) == (1, False)
    assert (await status_of(px, original["id"], bob)).json()["reblogged"] is True
    by = await px.client.get(f"/api/v1/statuses/{original['id']}/reblogged_by")
    assert [a["username"] for a in by.json()] == ["bob"]
    bob_now = (await px.client.get(f"/api/v1/accounts/{bob_id}")).json()
    assert bob_now["statuses_count"] == 1
    async with px.rt.db.read() as session:
        types = list(await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))
    assert types.count("status.reblogged") == 1


async def test_unreblog_answers_the_original_and_is_idempotent(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    original = await px.post(alice, status="hello")
    reblog = (await px.client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bearer(bob))).json()
    for _ in range(2):
        r = await px.client.post(f"/api/v1/statuses/{original['id']}/unreblog", headers=bearer(bob))
        assert r.status_code == 200, r.text
        assert (r.json()["id"], r.json()["reblogged"], r.json()["reblogs_count"]) == (
            original["id"],
            False,
            0,
        )
    assert (await status_of(px, reblog["id"])).status_code == 404
    assert (await px.client.get(f"/api/v1/accounts/{bob_id}")).json()["statuses_count"] == 0
    assert (await px.client.get(f"/api/v1/statuses/{original['id']}/reblogged_by")).json() == []


async def test_who_may_reblog_what(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    private = await px.post(alice, status="followers only", visibility="private")
    direct = await px.post(alice, status="@bob secret", visibility="direct")
    # Seen but not rebloggable: 403; not seen: 404.
    assert (
        await px.client.post(f"/api/v1/statuses/{private['id']}/reblog", headers=bearer(bob))
    ).status_code == 403
    assert (
        await px.client.post(f"/api/v1/statuses/{direct['id']}/reblog", headers=bearer(bob))
    ).status_code == 403
    assert (
        await px.client.post(f"/api/v1/statuses/{private['id']}/reblog", headers=bearer(carol))
    ).status_code == 404
    assert (
        await px.client.post(f"/api/v1/statuses/{direct['id']}/reblog", headers=bearer(alice))
    ).status_code == 403
    # One's own followers-only post may be reblogged, and the reblog stays followers-only.
    own = await px.client.post(
        f"/api/v1/statuses/{private['id']}/reblog", data={"visibility": "public"}, headers=bearer(alice)
    )
    assert own.status_code == 200 and own.json()["visibility"] == "private"
    public = await px.post(alice, status="for all")
    bad = await px.client.post(
        f"/api/v1/statuses/{public['id']}/reblog", data={"visibility": "direct"}, headers=bearer(bob)
    )
    assert bad.status_code == 422 and "error" in bad.json()
    r = await px.client.post(
        f"/api/v1/statuses/{public['id']}/reblog", json={"visibility": "unlisted"}, headers=bearer(bob)
    )
    assert r.json()["visibility"] == "unlisted"
    assert (await px.client.post(f"/api/v1/statuses/{public['id']}/reblog")).status_code == 401
    _, reader = await px.user("dave", scopes="read")
    assert (
        await px.client.post(f"/api/v1/statuses/{public['id']}/reblog", headers=bearer(reader))
    ).status_code == 403


async def test_a_reblog_is_seen_only_by_who_may_see_it_and_its_original(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    _, carol = await px.user("carol")
    original = await px.post(alice, status="for all")
    # A followers-only reblog: Bob's followers (Carol) see it, others do not.
    reblog = (
        await px.client.post(
            f"/api/v1/statuses/{original['id']}/reblog", data={"visibility": "private"}, headers=bearer(bob)
        )
    ).json()
    assert (await status_of(px, reblog["id"])).status_code == 404
    assert (await status_of(px, reblog["id"], carol)).status_code == 404
    await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(carol))
    assert (await status_of(px, reblog["id"], carol)).status_code == 200
    # A reblog of one's own followers-only post is seen by the author's followers only.
    private = await px.post(alice, status="close friends", visibility="private")
    own = (await px.client.post(f"/api/v1/statuses/{private['id']}/reblog", headers=bearer(alice))).json()
    assert (await status_of(px, own["id"], carol)).status_code == 404
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(carol))
    assert (await status_of(px, own["id"], carol)).status_code == 200
    # Deleting the original takes its reblogs with it.
    await px.client.delete(f"/api/v1/statuses/{original['id']}", headers=bearer(alice))
    assert (await status_of(px, reblog["id"], carol)).status_code == 404
    assert (await px.client.get(f"/api/v1/accounts/{bob_id}")).json()["statuses_count"] == 0
    page = await px.client.get(f"/api/v1/accounts/{bob_id}/statuses", headers=bearer(carol))
    assert page.json() == []


async def test_reblogs_in_timelines(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    original = await px.post(alice, status="original")
    own = await px.post(bob, status="bob's own")
    reblog = (await px.client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bearer(bob))).json()
    path = f"/api/v1/accounts/{bob_id}/statuses"
    assert [s["id"] for s in (await px.client.get(path)).json()] == [reblog["id"], own["id"]]
    without = await px.client.get(path, params={"exclude_reblogs": "true"})
    assert [s["id"] for s in without.json()] == [own["id"]]
    # The public timeline leaves reblogs out, as Mastodon's does.
    public = await px.client.get("/api/v1/timelines/public")
    assert [s["id"] for s in public.json()] == [own["id"], original["id"]]


async def test_favouriting_a_reblog_favourites_the_original(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    original = await px.post(alice, status="original")
    reblog = (await px.client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bearer(bob))).json()
    r = await px.client.post(f"/api/v1/statuses/{reblog['id']}/favourite", headers=bearer(carol))
    assert r.status_code == 200
    assert r.json()["favourited"] is True and r.json()["reblog"]["favourites_count"] == 1
    assert (await status_of(px, original["id"], carol)).json()["favourited"] is True
    # Replying to a reblog answers the original.
    reply = await px.post(carol, status="nice", in_reply_to_id=reblog["id"])
    assert reply["in_reply_to_id"] == original["id"]


async def test_deleting_a_reblog_takes_it_back(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    original = await px.post(alice, status="original")
    reblog = (await px.client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bearer(bob))).json()
    r = await px.client.delete(f"/api/v1/statuses/{reblog['id']}", headers=bearer(bob))
    assert r.status_code == 200 and r.json()["reblog"]["id"] == original["id"]
    assert (await status_of(px, original["id"], bob)).json()["reblogs_count"] == 0
    again = await px.client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bearer(bob))
    assert again.status_code == 200 and again.json()["id"] != reblog["id"]
