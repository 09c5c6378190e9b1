"""Favourites and bookmarks, with the viewer's own state on every status."""

from __future__ import annotations

from tests.conftest import Instance, bearer


async def test_favourite_counts_once_and_shows_in_the_viewers_state(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    s = await px.post(alice, status="like me")
    for _ in range(2):  # idempotent
        r = await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(bob))
        assert r.status_code == 200
        assert r.json()["favourited"] is True
        assert r.json()["favourites_count"] == 1
    assert (await px.client.get(f"/api/v1/statuses/{s['id']}", headers=bearer(alice))).json()[
        "favourited"
    ] is False
    assert (await px.client.get(f"/api/v1/statuses/{s['id']}", headers=bearer(bob))).json()[
        "favourited"
    ] is True
    by = await px.client.get(f"/api/v1/statuses/{s['id']}/favourited_by")
    assert [a["username"] for a in by.json()] == ["bob"]
    mine = await px.client.get("/api/v1/favourites", headers=bearer(bob))
    assert [x["id"] for x in mine.json()] == [s["id"]]
    r = await px.client.post(f"/api/v1/statuses/{s['id']}/unfavourite", headers=bearer(bob))
    assert (r.json()["favourited"], r.json()["favourites_count"]) == (False, 0)
    assert (await px.client.get("/api/v1/favourites", headers=bearer(bob))).json() == []


async def test_bookmarks_are_private_to_their_owner(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    first = await px.post(alice, status="one")
    second = await px.post(alice, status="two")
    for s in (first, second):
        r = await px.client.post(f"/api/v1/statuses/{s['id']}/bookmark", headers=bearer(bob))
        assert r.json()["bookmarked"] is True
    page = await px.client.get("/api/v1/bookmarks", params={"limit": 1}, headers=bearer(bob))
    assert [x["id"] for x in page.json()] == [second["id"]]
    rest = await px.client.get(
        page.headers["link"].split(">;")[0][1:].removeprefix("https://pixie.test"), headers=bearer(bob)
    )
    assert [x["id"] for x in rest.json()] == [first["id"]]
    assert (await px.client.get("/api/v1/bookmarks", headers=bearer(alice))).json() == []
    await px.client.post(f"/api/v1/statuses/{first['id']}/unbookmark", headers=bearer(bob))
    assert [x["id"] for x in (await px.client.get("/api/v1/bookmarks", headers=bearer(bob))).json()] == [
        second["id"]
    ]


async def test_no_reacting_to_what_one_may_not_see(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, carol = await px.user("carol")
    secret = await px.post(alice, status="followers only", visibility="private")
    for action in ("favourite", "bookmark", "unfavourite", "unbookmark"):
        r = await px.client.post(f"/api/v1/statuses/{secret['id']}/{action}", headers=bearer(carol))
        assert r.status_code == 404, action
    assert (
        await px.client.get(f"/api/v1/statuses/{secret['id']}/favourited_by", headers=bearer(carol))
    ).status_code == 404
    assert (await px.client.get(f"/api/v1/statuses/{secret['id']}/favourited_by")).status_code == 404


async def test_a_favourited_post_that_becomes_hidden_leaves_the_list(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    s = await px.post(alice, status="soon gone")
    await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(bob))
    await px.client.delete(f"/api/v1/statuses/{s['id']}", headers=bearer(alice))
    assert (await px.client.get("/api/v1/favourites", headers=bearer(bob))).json() == []


async def test_reactions_need_their_scopes(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, reader = await px.user("bob", scopes="read")
    s = await px.post(alice, status="x")
    assert (
        await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(reader))
    ).status_code == 403
    assert (await px.client.post(f"/api/v1/statuses/{s['id']}/favourite")).status_code == 401
    assert (await px.client.get("/api/v1/favourites")).status_code == 401
    assert (await px.client.post("/api/v1/statuses/123/bookmark", headers=bearer(alice))).status_code == 404
    assert (await px.client.post("/api/v1/statuses/x/bookmark", headers=bearer(alice))).status_code == 404


async def test_favouriting_a_reblog_notifies_the_originals_author_about_the_original(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    original = await px.post(alice, status="worth sharing")
    reblog = (await px.client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bearer(carol))).json()
    r = await px.client.post(f"/api/v1/statuses/{reblog['id']}/favourite", headers=bearer(bob))
    assert r.status_code == 200, r.text
    alices = (await px.client.get("/api/v1/notifications", headers=bearer(alice))).json()
    favourites = [n for n in alices if n["type"] == "favourite"]
    assert len(favourites) == 1
    assert favourites[0]["status"]["id"] == original["id"]
    carols = (await px.client.get("/api/v1/notifications", headers=bearer(carol))).json()
    assert [n for n in carols if n["type"] == "favourite"] == []
    # Taking it back through the reblog withdraws the same notification.
    await px.client.post(f"/api/v1/statuses/{reblog['id']}/unfavourite", headers=bearer(bob))
    alices = (await px.client.get("/api/v1/notifications", headers=bearer(alice))).json()
    assert [n for n in alices if n["type"] == "favourite"] == []
