"""The home timeline: one rule, read as a query (embedded) or through Redis feeds (production),
with the same pages either way."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from pixie.services import timelines
from pixie.services.paging import Paging
from tests.conftest import Backend, Instance, bearer, running


async def home(px: Instance, token: str, **params: Any) -> list[dict[str, Any]]:
    r = await px.client.get("/api/v1/timelines/home", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return list(r.json())


async def ids(px: Instance, token: str, **params: Any) -> list[str]:
    return [s["id"] for s in await home(px, token, **params)]


async def eventually(check: Any, timeout: float = 10.0) -> None:
    """Fan-out runs after the write's answer (through the outbox): wait for it, briefly."""
    for _ in range(int(timeout / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    assert await check(), check


async def test_home_holds_followed_accounts_own_posts_and_followed_hashtags(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    _, carol = await px.user("carol")
    _, dave = await px.user("dave")
    await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))
    await px.client.post("/api/v1/tags/cats/follow", headers=bearer(alice))
    mine = await px.post(alice, status="my own")
    public = await px.post(bob, status="from bob")
    private = await px.post(bob, status="for followers", visibility="private")
    stranger = await px.post(carol, status="carol, not followed")
    to_stranger = await px.post(bob, status="@carol hi", in_reply_to_id=stranger["id"])
    to_me = await px.post(bob, status="@alice hi", in_reply_to_id=mine["id"])
    tagged = await px.post(dave, status="look #cats")
    unlisted_tagged = await px.post(dave, status="quiet #cats", visibility="unlisted")
    reblog = (await px.client.post(f"/api/v1/statuses/{stranger['id']}/reblog", headers=bearer(bob))).json()

    async def expected_now() -> bool:
        return await ids(px, alice) == [
            reblog["id"],
            tagged["id"],
            to_me["id"],
            private["id"],
            public["id"],
            mine["id"],
        ]

    await eventually(expected_now)
    page = await home(px, alice)
    assert page[0]["reblog"]["id"] == stranger["id"]
    for absent in (stranger, to_stranger, unlisted_tagged):
        assert absent["id"] not in [s["id"] for s in page]
    # Not wanting bob's reblogs, muting dave, and an exclusive list holding bob each take posts out.
    await px.client.post(
        f"/api/v1/accounts/{bob_id}/follow", data={"reblogs": "false"}, headers=bearer(alice)
    )
    dave_id = (await px.client.get("/api/v1/accounts/lookup", params={"acct": "dave"})).json()["id"]
    r = await px.client.post(f"/api/v1/accounts/{dave_id}/mute", headers=bearer(alice))
    assert r.status_code == 200
    await eventually(lambda: _equal(px, alice, [to_me["id"], private["id"], public["id"], mine["id"]]))
    lst = (
        await px.client.post(
            "/api/v1/lists", data={"title": "bob", "exclusive": "true"}, headers=bearer(alice)
        )
    ).json()
    await px.client.post(
        f"/api/v1/lists/{lst['id']}/accounts", data={"account_ids[]": bob_id}, headers=bearer(alice)
    )
    await eventually(lambda: _equal(px, alice, [mine["id"]]))
    # Nobody else's home shows alice's posts unless they follow her; the anonymous get 401.
    assert await ids(px, carol) == [stranger["id"]]
    assert (await px.client.get("/api/v1/timelines/home")).status_code == 401
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(carol))
    await eventually(lambda: _equal(px, carol, [stranger["id"], mine["id"]]))


async def _equal(px: Instance, token: str, expected: list[str]) -> bool:
    return await ids(px, token) == expected


async def _pages(px: Instance, token: str, limit: int) -> list[list[str]]:
    """Every page, newest first, following max_id as a client does."""
    pages: list[list[str]] = []
    params: dict[str, Any] = {"limit": limit}
    while page := await ids(px, token, **params):
        pages.append(page)
        params = {"limit": limit, "max_id": page[-1]}
    return pages


async def _database_pages(px: Instance, viewer_id: int, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    paging = Paging(limit=limit)
    while views := await timelines.home_from_database(px.rt, viewer_id, paging):
        pages.append([str(v.status.id) for v in views])
        paging = Paging(limit=limit, max_id=views[-1].status.id)
    return pages


@pytest.mark.parametrize("pull_over", [10_000, 0], ids=["pushed", "pulled"])
async def test_feeds_give_the_same_pages_as_the_query(
    tmp_path: Path, production: Backend, pull_over: int
) -> None:
    """Whether authors' posts are pushed into each follower's feed or pulled from the author's
    own list at read time (an author with more followers than ``fan_out_pull_followers``), the
    pages are the query's, including past the oldest post a full feed or list holds."""
    async with running(tmp_path, production, home_feed_size=20, fan_out_pull_followers=pull_over) as px:
        assert px.rt.feeds.kept
        reader_id, reader = await px.user("reader")
        authors = [await px.user(name) for name in ("ann", "ben", "cid", "dot")]
        for account_id, _ in authors[:3]:
            await px.client.post(f"/api/v1/accounts/{account_id}/follow", headers=bearer(reader))
        await px.client.post("/api/v1/tags/blue/follow", headers=bearer(reader))
        assert await ids(px, reader) == []  # builds the (empty) feed; later posts fan out into it
        made: list[str] = []
        for i in range(90):
            account_id, token = authors[i % 4]
            extra = {"visibility": "private"} if i % 5 == 0 else {}
            text = f"post {i}" + (" #blue" if i % 7 == 0 else "")
            made.append((await px.post(token, status=text, **extra))["id"])
        expected = await _database_pages(px, reader_id, 7)
        flat = [i for page in expected for i in page]
        assert len(flat) > 60  # more than a feed or list holds: older pages come from the database
        if pull_over == 0:
            assert await px.rt.feeds.pulled() == {a for a, _ in authors[:3]}  # dot has no followers

        async def settled() -> bool:
            # Fan-out handlers may finish a little out of order; once all have run, the feed's
            # pages are the query's, exactly.
            return await _pages(px, reader, 7) == expected

        await eventually(settled, timeout=20)
        # min_id pages (the page right after a post) and since_id agree with the query too.
        for cursor in (flat[3], flat[25], flat[-1]):
            for key in ("min_id", "since_id"):
                got = await ids(px, reader, limit=5, **{key: cursor})
                want = await timelines.home_from_database(
                    px.rt, reader_id, Paging(limit=5, **{key: int(cursor)})
                )
                assert got == [str(v.status.id) for v in want], (key, cursor)
        # A feed that is gone (expired, or dropped after a change) is rebuilt, with the same pages.
        await px.rt.feeds.drop([reader_id])
        assert await _pages(px, reader, 7) == expected


async def test_an_account_that_passes_the_threshold_is_pulled_by_the_feeds_already_made(
    tmp_path: Path, production: Backend
) -> None:
    """An author whose followers pass ``fan_out_pull_followers`` after its followers' feeds were
    made is pulled by those feeds from its next post on, with nothing rebuilt; a private post of
    it still reaches its followers only, and the stranger's home stays without it."""
    async with running(tmp_path, production, fan_out_pull_followers=1) as px:
        ann_id, ann = await px.user("ann")
        reader_id, reader = await px.user("reader")
        _, stranger = await px.user("stranger")
        await px.follow(reader, ann_id)
        before = (await px.post(ann, status="while pushed"))["id"]
        await eventually(lambda: _equal(px, reader, [before]))  # the reader's feed is made
        assert await px.rt.feeds.pulled() == set()
        _, fan = await px.user("fan")
        await px.follow(fan, ann_id)  # two followers: over the threshold
        after = (await px.post(ann, status="now pulled"))["id"]
        hidden = (await px.post(ann, status="followers only", visibility="private"))["id"]
        await eventually(lambda: _equal(px, reader, [hidden, after, before]))
        assert await px.rt.feeds.pulled() == {ann_id}
        window = await px.rt.feeds.window(reader_id, max_id=None, since_id=None, min_id=None, count=10)
        assert window is not None and [str(i) for i in window.ids] == [hidden, after, before]
        assert await ids(px, stranger) == []
        assert await _pages(px, reader, 2) == await _database_pages(px, reader_id, 2)


async def test_a_burst_of_posts_from_several_authors_reaches_each_feed_it_should(
    tmp_path: Path, production: Backend
) -> None:
    """Posts that wait for fan-out together (the dispatcher was busy) are fanned out together:
    each still reaches exactly the feeds of its own author's followers and hashtags'."""
    async with running(tmp_path, production) as px:
        ann_id, ann = await px.user("ann")
        ben_id, ben = await px.user("ben")
        cid_id, cid = await px.user("cid")
        await px.follow(ann, ben_id)
        await px.client.post("/api/v1/tags/blue/follow", headers=bearer(cid))
        for token in (ann, ben, cid):
            assert await ids(px, token) == []  # their feeds exist: fan-out writes into them
        await px.rt.dispatcher.stop()
        by_ben = [(await px.post(ben, status=f"ben {i}"))["id"] for i in range(3)]
        by_cid = [(await px.post(cid, status=f"cid {i}"))["id"] for i in range(2)]
        blue = (await px.post(ann, status="a #blue one"))["id"]
        quiet_blue = (await px.post(ann, status="an unlisted #blue one", visibility="unlisted"))["id"]
        await px.rt.dispatcher.start()
        await px.rt.dispatcher.drain()

        async def feed(account_id: int) -> set[str]:
            window = await px.rt.feeds.window(account_id, max_id=None, since_id=None, min_id=None, count=40)
            assert window is not None
            return {str(i) for i in window.ids}

        assert await feed(ann_id) == {*by_ben, blue, quiet_blue}
        assert await feed(ben_id) == set(by_ben)
        assert await feed(cid_id) == {*by_cid, blue}  # a hashtag brings public posts only


async def test_reblogs_of_a_muted_account_stay_out_of_timelines(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    dave_id, dave = await px.user("dave")
    await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))
    loud = await px.post(dave, status="very loud")
    reblog = (await px.client.post(f"/api/v1/statuses/{loud['id']}/reblog", headers=bearer(bob))).json()
    await eventually(lambda: _equal(px, alice, [reblog["id"]]))
    await px.client.post(f"/api/v1/accounts/{dave_id}/mute", headers=bearer(alice))
    await eventually(lambda: _equal(px, alice, []))
    # Bob's own page still shows what bob did: a mute hides from gathered timelines, not profiles.
    r = await px.client.get(f"/api/v1/accounts/{bob_id}/statuses", headers=bearer(alice))
    assert [s["id"] for s in r.json()] == [reblog["id"]]


async def test_pages_built_from_kept_renderings_stay_current_and_keep_each_readers_marks_apart(
    px: Instance,
) -> None:
    """Timeline pages reuse each post's rendering across requests and readers; what changes (counts,
    the author's profile, an edit, the reader's own marks, poll votes) shows at once, and a page's
    entity is exactly what GET /api/v1/statuses/:id gives the same reader."""
    bob_id, bob = await px.user("bob")
    _, alice = await px.user("alice")
    _, carol = await px.user("carol")
    for reader in (alice, carol):
        await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(reader))
    first = await px.post(bob, status="hello @alice #cats")
    polled = await px.post(
        bob, status="which?", **{"poll[options][]": ["red", "blue"], "poll[expires_in]": "3600"}
    )
    await eventually(lambda: _equal(px, alice, [polled["id"], first["id"]]))
    await home(px, alice)  # renders and keeps both posts

    await px.client.post(f"/api/v1/statuses/{first['id']}/favourite", headers=bearer(carol))
    await px.client.post(f"/api/v1/statuses/{first['id']}/bookmark", headers=bearer(alice))
    r = await px.client.post(
        f"/api/v1/polls/{polled['poll']['id']}/votes", data={"choices[]": ["1"]}, headers=bearer(carol)
    )
    assert r.status_code == 200, r.text
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", data={"display_name": "Bob Renamed"}, headers=bearer(bob)
    )
    assert r.status_code == 200, r.text
    r = await px.client.put(
        f"/api/v1/statuses/{first['id']}", data={"status": "edited #cats"}, headers=bearer(bob)
    )
    assert r.status_code == 200, r.text

    for reader, favourited, bookmarked, voted in ((alice, False, True, False), (carol, True, False, True)):
        page = await home(px, reader)
        by_id = {s["id"]: s for s in page}
        entry = by_id[first["id"]]
        assert entry["favourites_count"] == 1
        assert (entry["favourited"], entry["bookmarked"]) == (favourited, bookmarked)
        assert entry["account"]["display_name"] == "Bob Renamed"
        assert "edited" in entry["content"] and entry["edited_at"] is not None
        assert by_id[polled["id"]]["poll"]["voted"] is voted
        assert by_id[polled["id"]]["poll"]["votes_count"] == 1
        for status_id, entity in by_id.items():
            single = await px.client.get(f"/api/v1/statuses/{status_id}", headers=bearer(reader))
            assert entity == single.json()
