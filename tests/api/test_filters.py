"""Filters v2 (and v1 for old clients): keywords and posts, per context, applied to every timeline,
thread, notification list and live stream."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from pixie.db.types import utcnow
from pixie.models.filters import Filter
from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer
from tests.streaming import served, sse


async def make_filter(px: Instance, token: str, **data: Any) -> dict[str, Any]:
    r = await px.client.post("/api/v2/filters", data=data, headers=bearer(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def ids(page: list[dict[str, Any]]) -> list[str]:
    return [s["id"] for s in page]


async def get(px: Instance, token: str, path: str, **params: Any) -> Any:
    r = await px.client.get(path, params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


async def test_filters_are_made_changed_and_removed_with_their_keywords_and_posts(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    made = await make_filter(
        px,
        alice,
        **{
            "title": "No spoilers",
            "context[]": ["home", "public"],
            "filter_action": "hide",
            "expires_in": "3600",
            "keywords_attributes[][keyword]": "finale",
            "keywords_attributes[][whole_word]": "false",
        },
    )
    assert check_shape("Filter", made) == []
    assert made["title"] == "No spoilers"
    assert made["context"] == ["home", "public"]
    assert made["filter_action"] == "hide"
    assert made["expires_at"] is not None
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [("finale", False)]
    # JSON works the same, with arrays of objects.
    r = await px.client.put(
        f"/api/v2/filters/{made['id']}",
        json={
            "title": "Spoilers",
            "filter_action": "blur",
            "expires_in": "",
            "keywords_attributes": [
                {"id": made["keywords"][0]["id"], "_destroy": True},
                {"keyword": "season 3", "whole_word": True},
            ],
        },
        headers=bearer(alice),
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["title"], changed["filter_action"], changed["expires_at"]) == ("Spoilers", "blur", None)
    assert [k["keyword"] for k in changed["keywords"]] == ["season 3"]
    keyword = (
        await px.client.post(
            f"/api/v2/filters/{made['id']}/keywords", data={"keyword": "episode"}, headers=bearer(alice)
        )
    ).json()
    assert keyword["whole_word"] is True
    r = await px.client.put(
        f"/api/v2/filters/keywords/{keyword['id']}", data={"whole_word": "false"}, headers=bearer(alice)
    )
    assert r.json()["whole_word"] is False
    assert [k["keyword"] for k in await get(px, alice, f"/api/v2/filters/{made['id']}/keywords")] == [
        "season 3",
        "episode",
    ]
    post = await px.post(bob, status="a post to hide")
    named = (
        await px.client.post(
            f"/api/v2/filters/{made['id']}/statuses", data={"status_id": post["id"]}, headers=bearer(alice)
        )
    ).json()
    assert named["status_id"] == post["id"]
    assert (await get(px, alice, f"/api/v2/filters/statuses/{named['id']}"))["status_id"] == post["id"]
    assert [f["id"] for f in await get(px, alice, "/api/v2/filters")] == [made["id"]]
    # Nobody else reads or changes them.
    for method, path in (
        ("GET", f"/api/v2/filters/{made['id']}"),
        ("PUT", f"/api/v2/filters/{made['id']}"),
        ("DELETE", f"/api/v2/filters/keywords/{keyword['id']}"),
        ("GET", f"/api/v2/filters/statuses/{named['id']}"),
    ):
        r = await px.client.request(method, path, headers=bearer(bob))
        assert r.status_code == 404, (method, path, r.text)
    r = await px.client.delete(f"/api/v2/filters/statuses/{named['id']}", headers=bearer(alice))
    assert r.status_code == 200 and r.json() == {}
    r = await px.client.delete(f"/api/v2/filters/{made['id']}", headers=bearer(alice))
    assert r.status_code == 200
    assert await get(px, alice, "/api/v2/filters") == []


async def test_bad_filters_are_refused(px: Instance) -> None:
    _, alice = await px.user("alice")
    for data in (
        {"title": "", "context[]": "home"},
        {"title": "x"},
        {"title": "x", "context[]": "everywhere"},
        {"title": "x", "context[]": "home", "filter_action": "explode"},
        {"title": "x", "context[]": "home", "expires_in": "soon"},
        {"title": "x", "context[]": "home", "keywords_attributes[][keyword]": " "},
    ):
        r = await px.client.post("/api/v2/filters", data=data, headers=bearer(alice))
        assert r.status_code == 422, (data, r.text)
        assert r.json()["error"].startswith("Validation failed"), r.text
    assert await get(px, alice, "/api/v2/filters") == []


async def test_filters_apply_to_every_timeline_in_their_context(px: Instance) -> None:
    _alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.follow(alice, bob_id)
    await make_filter(
        px,
        alice,
        **{"title": "cats", "context[]": ["home", "thread"], "keywords_attributes[][keyword]": "cats"},
    )
    await make_filter(
        px,
        alice,
        **{
            "title": "dogs",
            "context[]": ["public", "account", "notifications"],
            "filter_action": "hide",
            "keywords_attributes[][keyword]": "dogs",
        },
    )
    cats = await px.post(bob, status="I love cats")
    catsup = await px.post(bob, status="catsup on everything")  # not the whole word
    tagged = await px.post(bob, status="more #cats")
    dogs = await px.post(bob, status="dogs are fine too")
    plain = await px.post(bob, status="nothing to see")
    home = await get(px, alice, "/api/v1/timelines/home")
    assert ids(home) == [plain["id"], dogs["id"], tagged["id"], catsup["id"], cats["id"]]
    marked = {s["id"]: s["filtered"] for s in home}
    assert [m["keyword_matches"] for m in marked[cats["id"]]] == [["cats"]]
    assert marked[cats["id"]][0]["filter"]["title"] == "cats"
    assert marked[tagged["id"]][0]["keyword_matches"] == ["cats"]
    assert marked[catsup["id"]] == marked[plain["id"]] == marked[dogs["id"]] == []
    # hide removes; in other contexts the same post stays, unmarked.
    public = await get(px, alice, "/api/v1/timelines/public")
    assert dogs["id"] not in ids(public) and plain["id"] in ids(public)
    assert all(s["filtered"] == [] for s in public)
    account = await get(px, alice, f"/api/v1/accounts/{bob_id}/statuses")
    assert dogs["id"] not in ids(account)
    # On its own a post carries every filter it matches, and is not dropped.
    single = await get(px, alice, f"/api/v1/statuses/{dogs['id']}")
    assert [m["filter"]["title"] for m in single["filtered"]] == ["dogs"]
    # Someone else's view is their own.
    _, carol = await px.user("carol")
    assert all(s["filtered"] == [] for s in await get(px, carol, "/api/v1/timelines/public"))
    # The thread context marks replies in a thread.
    reply = await px.post(bob, status="cats again", in_reply_to_id=plain["id"])
    context = await get(px, alice, f"/api/v1/statuses/{plain['id']}/context")
    assert [m["keyword_matches"] for m in context["descendants"][0]["filtered"]] == [["cats"]]
    assert context["descendants"][0]["id"] == reply["id"]
    # Notifications: a mention about dogs is hidden, another one stays.
    await px.post(bob, status="@alice look at these dogs")
    kept = await px.post(bob, status="@alice hello")
    notes = await get(px, alice, "/api/v1/notifications")
    assert [n["status"]["id"] for n in notes if n["type"] == "mention"] == [kept["id"]]


async def test_filters_by_post_and_expiry(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.follow(alice, bob_id)
    target = await px.post(bob, status="this one in particular")
    other = await px.post(bob, status="something else")
    made = await make_filter(
        px, alice, **{"title": "that post", "context[]": "home", "filter_action": "hide"}
    )
    await px.client.post(
        f"/api/v2/filters/{made['id']}/statuses", data={"status_id": target["id"]}, headers=bearer(alice)
    )
    reblog = (await px.client.post(f"/api/v1/statuses/{target['id']}/reblog", headers=bearer(bob))).json()
    home = ids(await get(px, alice, "/api/v1/timelines/home"))
    assert home == [other["id"]]  # the post and its reblog are hidden
    assert reblog["id"] not in home
    async with px.rt.write() as session:
        await session.execute(update(Filter).values(expires_at=utcnow()))
    assert target["id"] in ids(
        await get(px, alice, "/api/v1/timelines/home")
    )  # an expired filter is no filter


async def test_v1_filters_for_old_clients(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.follow(alice, bob_id)
    r = await px.client.post(
        "/api/v1/filters",
        data={"phrase": "rain", "context[]": ["home"], "irreversible": "true", "whole_word": "true"},
        headers=bearer(alice),
    )
    assert r.status_code == 200, r.text
    v1 = r.json()
    assert (v1["phrase"], v1["context"], v1["irreversible"], v1["whole_word"]) == (
        "rain",
        ["home"],
        True,
        True,
    )
    [v2] = await get(px, alice, "/api/v2/filters")
    assert v2["filter_action"] == "hide" and v2["keywords"][0]["id"] == v1["id"]
    wet = await px.post(bob, status="rain all day")
    assert wet["id"] not in ids(await get(px, alice, "/api/v1/timelines/home"))
    r = await px.client.put(
        f"/api/v1/filters/{v1['id']}", data={"irreversible": "false"}, headers=bearer(alice)
    )
    assert r.json()["irreversible"] is False
    assert (await get(px, alice, f"/api/v1/filters/{v1['id']}"))["phrase"] == "rain"
    home = await get(px, alice, "/api/v1/timelines/home")
    assert [m["keyword_matches"] for m in home[0]["filtered"]] == [["rain"]]
    assert [f["id"] for f in await get(px, alice, "/api/v1/filters")] == [v1["id"]]
    r = await px.client.delete(f"/api/v1/filters/{v1['id']}", headers=bearer(alice))
    assert r.status_code == 200
    assert await get(px, alice, "/api/v1/filters") == await get(px, alice, "/api/v2/filters") == []


async def test_streams_apply_filters_and_tell_of_changes(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.follow(alice, bob_id)
    await make_filter(
        px,
        alice,
        **{
            "title": "hidden",
            "context[]": ["home"],
            "filter_action": "hide",
            "keywords_attributes[][keyword]": "secret",
        },
    )
    await make_filter(
        px, alice, **{"title": "warned", "context[]": ["home"], "keywords_attributes[][keyword]": "spoiler"}
    )
    async with (
        served(px) as url,
        sse(url, "/api/v1/streaming/user", alice) as home,
        sse(url, "/api/v1/streaming/public", alice) as public,
    ):
        hidden = await px.post(bob, status="a secret")
        warned = await px.post(bob, status="a spoiler")
        plain = await px.post(bob, status="plain")
        await home.wait_for("update", lambda e: e.json()["id"] == plain["id"])
        assert home.updates() == [warned["id"], plain["id"]]
        marked = home.named("update")[0].json()
        assert [m["filter"]["title"] for m in marked["filtered"]] == ["warned"]
        rest = {s["id"]: s for s in await get(px, alice, "/api/v1/timelines/home")}
        assert marked == rest[warned["id"]]  # as REST renders it, filter result included
        # The public stream is another context: everything arrives there, unmarked.
        await public.wait_for("update", lambda e: e.json()["id"] == plain["id"])
        assert public.updates() == [hidden["id"], warned["id"], plain["id"]]
        assert all(e.json()["filtered"] == [] for e in public.named("update"))
        await make_filter(px, alice, **{"title": "more", "context[]": "home"})
        changed = await home.wait_for("filters_changed")
        assert changed.data == "undefined"
