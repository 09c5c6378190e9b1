"""Account, public and hashtag timelines: paging, filters and visibility."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from tests.conftest import Backend, Instance, bearer, running


def next_link(response: Any) -> str:
    return str(response.headers["link"].split(">;")[0][1:].removeprefix("https://pixie.test"))


async def test_account_statuses_page_newest_first_without_gaps(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    made = [(await px.post(alice, status=f"post {n}"))["id"] for n in range(7)]
    seen: list[str] = []
    r = await px.client.get(f"/api/v1/accounts/{alice_id}/statuses", params={"limit": 3})
    while r.json():
        seen += [s["id"] for s in r.json()]
        r = await px.client.get(next_link(r))
    assert seen == made[::-1]
    newer = await px.client.get(
        f"/api/v1/accounts/{alice_id}/statuses", params={"min_id": made[2], "limit": 2}
    )
    assert [s["id"] for s in newer.json()] == [made[4], made[3]]
    since = await px.client.get(
        f"/api/v1/accounts/{alice_id}/statuses", params={"since_id": made[2], "limit": 2}
    )
    assert [s["id"] for s in since.json()] == [made[6], made[5]]


async def test_account_statuses_hide_what_the_viewer_may_not_see(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    await px.post(alice, status="for all")
    await px.post(alice, status="followers", visibility="private")
    await px.post(alice, status="@bob just you", visibility="direct")
    anon = await px.client.get(f"/api/v1/accounts/{alice_id}/statuses")
    assert [s["content"] for s in anon.json()] == ["<p>for all</p>"]
    as_bob = await px.client.get(f"/api/v1/accounts/{alice_id}/statuses", headers=bearer(bob))
    assert len(as_bob.json()) == 2  # mentioned in the direct post
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    assert (
        len((await px.client.get(f"/api/v1/accounts/{alice_id}/statuses", headers=bearer(bob))).json()) == 3
    )


async def test_account_statuses_filters(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    parent = await px.post(bob, status="question")
    await px.post(alice, status="@bob answer", in_reply_to_id=parent["id"])
    own = await px.post(alice, status="thread start #art")
    await px.post(alice, status="thread more", in_reply_to_id=own["id"])
    path = f"/api/v1/accounts/{alice_id}/statuses"
    no_replies = await px.client.get(path, params={"exclude_replies": "true"})
    assert [s["content"] for s in no_replies.json()] == ["<p>thread more</p>", own["content"]]
    tagged = await px.client.get(path, params={"tagged": "ART"})
    assert [s["id"] for s in tagged.json()] == [own["id"]]
    assert (await px.client.get(path, params={"pinned": "1"})).json() == []
    assert (await px.client.get("/api/v1/accounts/999/statuses")).status_code == 404
    assert (await px.client.get("/api/v1/accounts/x/statuses")).status_code == 404
    assert (await px.client.get(path, params={"limit": "many"})).status_code == 422


async def test_public_and_hashtag_timelines(px: Instance) -> None:
    _, alice = await px.user("alice")
    public = await px.post(alice, status="hello #Foxes")
    await px.post(alice, status="quiet #foxes", visibility="unlisted")
    await px.post(alice, status="friends #foxes", visibility="private")
    timeline = await px.client.get("/api/v1/timelines/public")
    assert [s["id"] for s in timeline.json()] == [public["id"]]
    assert [
        s["id"] for s in (await px.client.get("/api/v1/timelines/public", params={"local": "true"})).json()
    ] == [public["id"]]
    assert (await px.client.get("/api/v1/timelines/public", params={"remote": "true"})).json() == []
    tag = await px.client.get("/api/v1/timelines/tag/foxes")
    assert [s["id"] for s in tag.json()] == [public["id"]]
    assert (await px.client.get("/api/v1/timelines/tag/nothing")).json() == []
    assert (await px.client.get("/api/v1/timelines/tag/a%00b")).status_code == 400


async def test_a_page_costs_the_same_queries_however_many_posts_it_has(
    tmp_path: Path, backend: Backend
) -> None:
    # No background work (event dispatch, scheduler), so every query counted is the request's own.
    async with running(tmp_path, backend, background=False) as px:
        await _count_page_queries(px)


async def _count_page_queries(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    poll = {"poll[options][]": ["a", "b"], "poll[expires_in]": "600"}
    cold: list[int] = []  # no post or author rendered before
    warm: list[int] = []  # every rendering kept from the read before

    engine = px.rt.db.read_engine.sync_engine

    async def queries_of_one_page() -> int:
        count = 0

        def counter(*_: Any) -> None:
            nonlocal count
            count += 1

        event.listen(engine, "before_cursor_execute", counter)
        try:
            r = await px.client.get(
                f"/api/v1/accounts/{bob_id}/statuses", params={"limit": 40}, headers=bearer(bob)
            )
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        assert r.status_code == 200 and all(s["reblog"]["poll"] for s in r.json())
        assert all(s["reblog"]["favourited"] and s["reblog"]["muted"] for s in r.json())
        return count

    for size in (1, 6):
        for n in range(size):
            s = await px.post(alice, status=f"post {n} @bob #art", **poll)
            await px.client.post(f"/api/v1/statuses/{s['id']}/reblog", headers=bearer(bob))
            await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(bob))
            await px.client.post(f"/api/v1/statuses/{s['id']}/mute", headers=bearer(bob))
        await px.rt.renders.clear()
        cold.append(await queries_of_one_page())
        warm.append(await queries_of_one_page())
    assert cold[0] == cold[1] > warm[0] == warm[1], (cold, warm)
