"""Trends (posts and hashtags) and follow suggestions, as Mastodon clients read them."""

from __future__ import annotations

from tests.conftest import Instance, bearer


async def _like(px: Instance, token: str, status_id: str) -> None:
    r = await px.client.post(f"/api/v1/statuses/{status_id}/favourite", headers=bearer(token))
    assert r.status_code == 200, r.text


async def test_posts_trend_by_distinct_people_and_an_author_cannot_push_their_own(px: Instance) -> None:
    _, ada = await px.user("ada")
    _, bo = await px.user("bo")
    _, cy = await px.user("cy")
    _, di = await px.user("di")
    liked_by_three = await px.post(ada, status="many like this #sunset")
    liked_by_one = await px.post(bo, status="one likes this")
    self_liked = await px.post(cy, status="I like my own post")
    private = await px.post(di, status="followers only", visibility="private")
    for token in (bo, cy, di):
        await _like(px, token, liked_by_three["id"])
    await _like(px, ada, liked_by_one["id"])
    await _like(px, cy, self_liked["id"])  # the author's own: counts for nothing
    r = await px.client.post(f"/api/v1/statuses/{liked_by_one['id']}/reblog", headers=bearer(ada))
    assert r.status_code == 200  # ada's repost and like are one person: still one
    # A followers-only post never trends, whoever likes it (di likes her own, which counts nothing).
    await _like(px, di, private["id"])

    r = await px.client.get("/api/v1/trends/statuses")
    assert r.status_code == 200
    assert [s["id"] for s in r.json()] == [liked_by_three["id"], liked_by_one["id"]]
    page = await px.client.get("/api/v1/trends/statuses", params={"limit": 1, "offset": 1})
    assert [s["id"] for s in page.json()] == [liked_by_one["id"]]
    # Blocking an author takes their posts out of one's trends.
    ada_id = liked_by_three["account"]["id"]
    assert (await px.client.post(f"/api/v1/accounts/{ada_id}/block", headers=bearer(di))).status_code == 200
    seen = await px.client.get("/api/v1/trends/statuses", headers=bearer(di))
    assert [s["id"] for s in seen.json()] == [liked_by_one["id"]]
    assert (await px.client.get("/api/v1/trends/links")).json() == []


async def test_an_undiscoverable_author_does_not_trend(px: Instance) -> None:
    _, ada = await px.user("ada")
    _, bo = await px.user("bo")
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", data={"discoverable": "false"}, headers=bearer(ada)
    )
    assert r.status_code == 200
    quiet = await px.post(ada, status="hidden from trends #quiet")
    loud = await px.post(bo, status="open to trends #loud")
    _, cy = await px.user("cy")
    await _like(px, cy, quiet["id"])
    await _like(px, ada, loud["id"])
    assert [s["id"] for s in (await px.client.get("/api/v1/trends/statuses")).json()] == [loud["id"]]
    tags = (await px.client.get("/api/v1/trends/tags")).json()
    assert [t["name"] for t in tags] == ["loud"]
    assert tags[0]["history"][0]["accounts"] == "1"


async def test_hashtags_trend_by_how_many_people_use_them(px: Instance) -> None:
    tokens = [(await px.user(name))[1] for name in ("ada", "bo", "cy")]
    for token in tokens:
        await px.post(token, status="#Cats are great")
    for _ in range(5):  # one person, many posts: one person
        await px.post(tokens[0], status="#dogs again")
    await px.post(tokens[1], status="#dogs too")
    await px.post(tokens[0], status="#secret", visibility="private")
    r = await px.client.get("/api/v1/trends/tags", params={"limit": 5})
    assert r.status_code == 200
    assert [t["name"] for t in r.json()] == ["Cats", "dogs"]


async def test_suggestions_put_friends_of_friends_first_and_leave_out_who_one_follows(px: Instance) -> None:
    _, ada = await px.user("ada")
    bo_id, bo = await px.user("bo")
    cy_id, cy = await px.user("cy")
    _, di = await px.user("di")
    eve_id, eve = await px.user("eve")
    for token in (bo, cy, di, eve):
        await px.post(token, status="hello")
    await px.follow(ada, bo_id)
    await px.follow(bo, cy_id)  # ada follows bo, who follows cy: cy is a friend of a friend
    await px.follow(di, eve_id)
    await px.follow(cy, eve_id)  # eve has two followers: the most followed otherwise
    r = await px.client.get("/api/v2/suggestions", headers=bearer(ada))
    assert r.status_code == 200
    found = [(s["account"]["username"], s["sources"]) for s in r.json()]
    assert found[0] == ("cy", ["friends_of_friends"])
    assert [name for name, _ in found] == ["cy", "eve", "di"]  # never ada herself, nor bo she follows
    r = await px.client.post(f"/api/v1/accounts/{eve_id}/block", headers=bearer(ada))
    assert r.status_code == 200
    names = [
        s["account"]["username"]
        for s in (await px.client.get("/api/v2/suggestions", headers=bearer(ada))).json()
    ]
    assert names == ["cy", "di"]
    assert (await px.client.get("/api/v2/suggestions")).status_code == 401
