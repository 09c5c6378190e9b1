"""Hashtags: tag pages with their week of use, following them, and hashtag timelines with
any[], all[] and none[]."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pixie.services import tags
from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer


def next_link(response: Any) -> str:
    return str(response.headers["link"].split(">;")[0][1:].removeprefix("https://pixie.test"))


async def test_a_tag_page_counts_todays_posts_and_writers(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    await px.post(alice, status="#Sunset one")
    await px.post(alice, status="#sunset two")
    await px.post(bob, status="#SUNSET three", visibility="unlisted")
    await px.post(bob, status="#sunset hidden", visibility="private")  # not counted
    gone = await px.post(bob, status="#sunset gone")
    await px.client.delete(f"/api/v1/statuses/{gone['id']}", headers=bearer(bob))
    r = await px.client.get("/api/v1/tags/sunset")
    assert r.status_code == 200
    tag = r.json()
    assert check_shape("Tag", tag) == []
    assert tag["name"] == "Sunset" and tag["url"] == "https://pixie.test/tags/sunset"
    assert "following" not in tag  # anonymous
    history = tag["history"]
    assert len(history) == 7
    today = int(datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
    assert [int(day["day"]) for day in history] == [today - n * 86400 for n in range(7)]
    assert (history[0]["uses"], history[0]["accounts"]) == ("3", "2")
    assert all((d["uses"], d["accounts"]) == ("0", "0") for d in history[1:])
    as_alice = (await px.client.get("/api/v1/tags/%23SUNSET", headers=bearer(alice))).json()
    assert as_alice["following"] is False and as_alice["id"] == tag["id"]


async def test_unknown_and_invalid_tags(px: Instance) -> None:
    _, alice = await px.user("alice")
    fresh = await px.client.get("/api/v1/tags/neverused", headers=bearer(alice))
    assert fresh.status_code == 200  # as Mastodon: an unused name is a tag with an empty week
    assert fresh.json()["name"] == "neverused" and fresh.json()["following"] is False
    assert {d["uses"] for d in fresh.json()["history"]} == {"0"}
    for bad in ("123", "no-dashes", "two%20words", "%F0%9F%98%80", "x" * 201):
        assert (await px.client.get(f"/api/v1/tags/{bad}")).status_code in (404, 422), bad
        r = await px.client.post(f"/api/v1/tags/{bad}/follow", headers=bearer(alice))
        assert r.status_code in (404, 422), bad
    assert (await px.client.get("/api/v1/tags/a%00b")).status_code == 400


async def test_following_tags(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    # Following a tag nobody used makes it.
    r = await px.client.post("/api/v1/tags/Brandnew/follow", headers=bearer(alice))
    assert r.status_code == 200
    assert r.json()["following"] is True and r.json()["name"] == "Brandnew" and r.json()["id"]
    assert check_shape("Tag", r.json()) == []
    again = await px.client.post("/api/v1/tags/brandnew/follow", headers=bearer(alice))
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]  # idempotent
    # A post using it later uses the same tag.
    status = await px.post(bob, status="#BRANDNEW is here")
    assert status["tags"][0]["name"] == "brandnew"
    assert (await px.client.get("/api/v1/tags/brandnew", headers=bearer(bob))).json()["following"] is False
    for name in ("one", "two", "three"):
        await px.client.post(f"/api/v1/tags/{name}/follow", headers=bearer(alice))
    async with px.rt.db.read() as session:
        followed_ids = await tags.followed_tag_ids(session, alice_id)
    assert len(followed_ids) == 4 and followed_ids[0] == int(r.json()["id"])
    # Most recently followed first, paged with Link headers.
    page = await px.client.get("/api/v1/followed_tags", params={"limit": 3}, headers=bearer(alice))
    assert [t["name"] for t in page.json()] == ["three", "two", "one"]
    assert all(t["following"] is True for t in page.json())
    rest = await px.client.get(next_link(page), headers=bearer(alice))
    assert [t["name"] for t in rest.json()] == ["Brandnew"]
    unfollowed = await px.client.post("/api/v1/tags/two/unfollow", headers=bearer(alice))
    assert unfollowed.status_code == 200 and unfollowed.json()["following"] is False
    again = await px.client.post("/api/v1/tags/two/unfollow", headers=bearer(alice))
    assert again.status_code == 200
    never = await px.client.post("/api/v1/tags/nobodyfollows/unfollow", headers=bearer(alice))
    assert never.status_code == 200 and never.json()["following"] is False
    names = [t["name"] for t in (await px.client.get("/api/v1/followed_tags", headers=bearer(alice))).json()]
    assert names == ["three", "one", "Brandnew"]
    assert (await px.client.get("/api/v1/followed_tags", headers=bearer(bob))).json() == []


async def test_tag_follow_scopes(px: Instance) -> None:
    _, reader = await px.user("reader", scopes="read")
    _, writer = await px.user("writer", scopes="write:follows")
    assert (await px.client.post("/api/v1/tags/art/follow")).status_code == 401
    assert (await px.client.post("/api/v1/tags/art/follow", headers=bearer(reader))).status_code == 403
    assert (await px.client.post("/api/v1/tags/art/follow", headers=bearer(writer))).status_code == 200
    assert (await px.client.get("/api/v1/followed_tags")).status_code == 401
    assert (await px.client.get("/api/v1/followed_tags", headers=bearer(writer))).status_code == 403
    assert (await px.client.get("/api/v1/followed_tags", headers=bearer(reader))).status_code == 200


async def test_hashtag_timeline_with_any_all_and_none(px: Instance) -> None:
    _, alice = await px.user("alice")
    cats = await px.post(alice, status="#cats")
    cats_dogs = await px.post(alice, status="#cats #dogs")
    dogs = await px.post(alice, status="#dogs")
    cats_birds = await px.post(alice, status="#cats #birds")
    everything = await px.post(alice, status="#cats #dogs #birds")
    fish = await px.post(alice, status="#fish")

    async def timeline(tag: str, **params: Any) -> list[str]:
        r = await px.client.get(f"/api/v1/timelines/tag/{tag}", params=params)
        assert r.status_code == 200, r.text
        return [s["id"] for s in r.json()]

    assert await timeline("cats") == [everything["id"], cats_birds["id"], cats_dogs["id"], cats["id"]]
    assert await timeline("cats", **{"any[]": ["dogs"]}) == [
        everything["id"],
        cats_birds["id"],
        dogs["id"],
        cats_dogs["id"],
        cats["id"],
    ]
    assert await timeline("cats", **{"all[]": ["dogs"]}) == [everything["id"], cats_dogs["id"]]
    assert await timeline("cats", **{"all[]": ["dogs", "birds"]}) == [everything["id"]]
    assert await timeline("cats", **{"none[]": ["dogs"]}) == [cats_birds["id"], cats["id"]]
    assert await timeline("cats", **{"none[]": ["dogs", "BIRDS"]}) == [cats["id"]]
    assert await timeline("CATS", **{"any[]": ["dogs"], "none[]": ["birds"]}) == [
        dogs["id"],
        cats_dogs["id"],
        cats["id"],
    ]
    # A single any= (without brackets) works too; local is accepted (every post is local).
    with_fish = await timeline("cats", any="fish", local="true")
    assert with_fish[1:] == [everything["id"], cats_birds["id"], cats_dogs["id"], cats["id"]]
    assert with_fish[0] == fish["id"]
    # Paging keeps the filters.
    r = await px.client.get("/api/v1/timelines/tag/cats", params={"none[]": "dogs", "limit": 1})
    assert [s["id"] for s in r.json()] == [cats_birds["id"]]
    rest = await px.client.get(next_link(r))
    assert [s["id"] for s in rest.json()] == [cats["id"]]


async def test_hashtags_fold_case_in_every_script(px: Instance) -> None:
    """One tag for every spelling, whichever capital came first, on both databases."""
    _, alice = await px.user("alice")
    spellings = [
        ("Äpfel", "äpfel", "ÄPFEL"),  # Latin with a diaeresis
        ("Σοφία", "σοφία", "ΣΟΦΊΑ"),  # Greek
        ("Привет", "привет", "ПРИВЕТ"),  # Cyrillic
        ("Straße", "STRASSE", "strasse"),  # German sharp s
        ("Ýy", "ýY", "ÝY"),
    ]
    for words in spellings:
        r = await px.client.post(f"/api/v1/tags/{words[0]}/follow", headers=bearer(alice))
        assert r.status_code == 200, r.text
        r = await px.client.post(f"/api/v1/tags/{words[1]}/follow", headers=bearer(alice))
        assert r.status_code == 200, r.text
        posted = [await px.post(alice, status=f"#{w} {i}") for i, w in enumerate(words)]
        for w in words:
            r = await px.client.get(f"/api/v1/timelines/tag/{w}", headers=bearer(alice))
            assert r.status_code == 200, r.text
            assert [s["id"] for s in r.json()] == [p["id"] for p in reversed(posted)], w
            page = (await px.client.get(f"/api/v1/tags/{w}", headers=bearer(alice))).json()
            assert page["following"] is True
            assert page["name"] == words[0]  # as first written
    followed = (await px.client.get("/api/v1/followed_tags", headers=bearer(alice))).json()
    assert sorted(t["name"] for t in followed) == sorted(w[0] for w in spellings)
