"""GET /api/v2/search: accounts, hashtags and statuses, and who may find what."""

from __future__ import annotations

from typing import Any

import pytest

from pixie.services import accounts
from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer


async def indexable(px: Instance, token: str) -> None:
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials", data={"indexable": "true"}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text


async def search(px: Instance, token: str | None = None, **params: Any) -> dict[str, Any]:
    await px.rt.dispatcher.drain()  # the index follows posts through their events
    r = await px.client.get("/api/v2/search", params=params, headers=bearer(token) if token else {})
    assert r.status_code == 200, r.text
    return dict(r.json())


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in found]


async def test_statuses_are_found_by_their_words_best_match_first(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    await indexable(px, alice)
    once = await px.post(alice, status="A cat on the mat")
    twice = await px.post(alice, status="cat cat cat, a cat everywhere")
    await px.post(alice, status="Dogs only")
    warned = await px.post(alice, status="behind a warning", spoiler_text="Cat pictures")
    found = await search(px, bob, q="CAT", type="statuses")
    assert set(ids(found["statuses"])) == {once["id"], twice["id"], warned["id"]}
    assert ids(found["statuses"])[0] == twice["id"]  # the best match first
    assert found["accounts"] == [] and found["hashtags"] == []
    # Every word must be there; a leading '-' excludes one; "quotes" keep a phrase together.
    assert ids((await search(px, bob, q="cat mat", type="statuses"))["statuses"]) == [once["id"]]
    assert set(ids((await search(px, bob, q="cat -mat", type="statuses"))["statuses"])) == {
        twice["id"],
        warned["id"],
    }
    phrase = await search(px, bob, q='"cat everywhere"', type="statuses")
    assert ids(phrase["statuses"]) == [twice["id"]]
    assert (await search(px, bob, q='"everywhere cat"', type="statuses"))["statuses"] == []
    for status in found["statuses"]:
        assert check_shape("Status", status) == []


async def test_what_a_stranger_may_not_see_is_never_found(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    await indexable(px, alice)
    public = await px.post(alice, status="secret garden in public")
    private = await px.post(alice, status="secret garden for followers", visibility="private")
    direct = await px.post(alice, status="@carol secret garden for carol", visibility="direct")
    assert ids((await search(px, bob, q="secret garden"))["statuses"]) == [public["id"]]
    # Carol is mentioned in the direct post; alice finds all of her own.
    assert set(ids((await search(px, carol, q="secret garden"))["statuses"])) == {public["id"], direct["id"]}
    assert set(ids((await search(px, alice, q="secret garden"))["statuses"])) == {
        public["id"],
        private["id"],
        direct["id"],
    }
    # A follower may see the followers-only post, but finds it only once it has favourited it.
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    assert ids((await search(px, bob, q="garden"))["statuses"]) == [public["id"]]
    await px.client.post(f"/api/v1/statuses/{private['id']}/favourite", headers=bearer(bob))
    assert set(ids((await search(px, bob, q="garden"))["statuses"])) == {public["id"], private["id"]}


async def test_only_authors_who_opted_in_are_found_by_others(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    quiet = await px.post(alice, status="unsearchable thoughts")
    assert (await search(px, bob, q="unsearchable"))["statuses"] == []
    assert ids((await search(px, alice, q="unsearchable"))["statuses"]) == [quiet["id"]]
    await px.client.post(f"/api/v1/statuses/{quiet['id']}/bookmark", headers=bearer(bob))
    assert ids((await search(px, bob, q="unsearchable"))["statuses"]) == [quiet["id"]]
    await indexable(px, alice)
    unlisted = await px.post(alice, status="unsearchable but unlisted", visibility="unlisted")
    found = ids((await search(px, bob, q="unsearchable"))["statuses"])
    assert found == [quiet["id"]] and unlisted["id"] not in found  # only public posts, as Mastodon


async def test_deleted_posts_and_suspended_authors_disappear(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    await indexable(px, alice)
    await indexable(px, carol)
    gone = await px.post(alice, status="ephemeral butterflies")
    kept = await px.post(carol, status="lasting butterflies")
    assert set(ids((await search(px, bob, q="butterflies"))["statuses"])) == {gone["id"], kept["id"]}
    deleted = await px.client.delete(f"/api/v1/statuses/{gone['id']}", headers=bearer(alice))
    assert deleted.status_code == 200
    assert ids((await search(px, bob, q="butterflies"))["statuses"]) == [kept["id"]]
    assert ids((await search(px, alice, q="ephemeral"))["statuses"]) == []
    await accounts.set_suspended(px.rt, "carol", True)
    found = await search(px, bob, q="butterflies")
    assert found["statuses"] == []
    assert (await search(px, bob, q="carol"))["accounts"] == []


async def test_image_descriptions_are_searched(px: Instance) -> None:
    from tests.media.images import jpeg

    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    await indexable(px, alice)
    r = await px.client.post(
        "/api/v2/media",
        files={"file": ("a.jpg", jpeg(64, 48), "image/jpeg")},
        data={"description": "a lighthouse at dusk"},
        headers=bearer(alice),
    )
    assert r.status_code == 200, r.text
    status = await px.post(alice, status="look", **{"media_ids[]": r.json()["id"]})
    assert ids((await search(px, bob, q="lighthouse", type="statuses"))["statuses"]) == [status["id"]]


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"cat',
        '"unclosed phrase',
        "cat*",
        "(cat",
        "cat NEAR dog",
        "cat OR dog",
        "NOT cat",
        "cat AND",
        "cat &",
        "-",
        "***",
        "title:cat",
        "^cat",
        "cat & dog | !x <-> y",
        "'; DROP TABLE statuses; --",
        "\\",
        "ünïcödé 猫",
    ],
)
async def test_search_syntax_in_the_query_is_only_text(px: Instance, q: str) -> None:
    _, alice = await px.user("alice")
    await indexable(px, alice)
    cat = await px.post(alice, status="cat and dog")
    found = await search(px, alice, q=q)
    if q in ("cat*", "(cat", "^cat", '"cat', "cat &"):
        assert ids(found["statuses"]) == [cat["id"]]


async def test_status_search_filters_and_pages(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    await indexable(px, alice)
    await indexable(px, bob)
    mine = [await px.post(alice, status=f"river {n}") for n in range(5)]
    theirs = await px.post(bob, status="river too")
    by_alice = await search(px, bob, q="river", type="statuses", account_id=alice_id)
    assert set(ids(by_alice["statuses"])) == set(ids(mine))
    first = ids((await search(px, bob, q="river", type="statuses", limit=2))["statuses"])
    second = ids((await search(px, bob, q="river", type="statuses", limit=2, offset=2))["statuses"])
    assert len(first) == 2 and len(second) == 2 and not set(first) & set(second)
    older = await search(px, bob, q="river", type="statuses", max_id=mine[2]["id"])
    assert set(ids(older["statuses"])) == {mine[0]["id"], mine[1]["id"]}
    newer = await search(px, bob, q="river", type="statuses", min_id=mine[3]["id"])
    assert set(ids(newer["statuses"])) == {mine[4]["id"], theirs["id"]}
    r = await px.client.get(
        "/api/v2/search", params={"q": "river", "account_id": "nope"}, headers=bearer(bob)
    )
    assert r.status_code == 404


async def test_accounts_are_found_by_name_prefix(px: Instance) -> None:
    _, alice = await px.user("alice")
    alicia_id, _ = await px.user("alicia")
    bob_id, bob = await px.user("bob")
    await px.client.patch(
        "/api/v1/accounts/update_credentials", data={"display_name": "Wonder Ali"}, headers=bearer(bob)
    )
    found = await search(px, alice, q="ali", type="accounts")
    # Username matches before display-name matches.
    assert [a["username"] for a in found["accounts"]] == ["alice", "alicia", "bob"]
    # An exact username first; then accounts the caller follows.
    assert [a["username"] for a in (await search(px, bob, q="ALICIA"))["accounts"]] == ["alicia"]
    await px.client.post(f"/api/v1/accounts/{alicia_id}/follow", headers=bearer(alice))
    assert (await search(px, alice, q="ali", type="accounts"))["accounts"][0]["username"] == "alicia"
    exact = await search(px, bob, q="alice", type="accounts")
    assert [a["username"] for a in exact["accounts"]] == ["alice"]
    for q in ("@alice", "alice@pixie.test", "@ALICE@pixie.test"):
        assert [a["username"] for a in (await search(px, bob, q=q))["accounts"]] == ["alice"], q
    assert (await search(px, bob, q="alice@elsewhere.example"))["accounts"] == []
    assert (await search(px, bob, q="a_%", type="accounts"))["accounts"] == []  # LIKE is escaped
    following = await search(px, alice, q="ali", type="accounts", following="true")
    assert [a["username"] for a in following["accounts"]] == ["alicia"]
    words = await search(px, alice, q="wonder", type="accounts")
    assert [a["id"] for a in words["accounts"]] == [str(bob_id)]
    for account in found["accounts"]:
        assert check_shape("Account", account) == []
    paged = await search(px, alice, q="ali", type="accounts", limit=1, offset=1)
    assert len(paged["accounts"]) == 1


async def test_hashtags_are_found_by_prefix_exact_first(px: Instance) -> None:
    _, alice = await px.user("alice")
    await px.post(alice, status="#catsofpixie #Cat #cats and #dogs")
    found = await search(px, alice, q="#cat")
    assert [t["name"] for t in found["hashtags"]] == ["Cat", "cats", "catsofpixie"]
    assert found["hashtags"][0]["url"] == "https://pixie.test/tags/cat"
    assert found["hashtags"][0]["history"][0]["uses"] == "1"
    assert found["hashtags"][0]["following"] is False
    assert found["accounts"] == [] and found["statuses"] == []  # a '#' asks for hashtags
    for tag in found["hashtags"]:
        assert check_shape("Tag", tag) == []
    assert [t["name"] for t in (await search(px, alice, q="CATS", type="hashtags"))["hashtags"]] == [
        "cats",
        "catsofpixie",
    ]
    assert (await search(px, alice, q="ca%", type="hashtags"))["hashtags"] == []
    anonymous = await search(px, None, q="dog")
    assert [t["name"] for t in anonymous["hashtags"]] == ["dogs"]
    assert "following" not in anonymous["hashtags"][0]
    assert check_shape("Search", anonymous) == []


async def test_anonymous_search_is_what_mastodon_allows(px: Instance) -> None:
    _, alice = await px.user("alice")
    await indexable(px, alice)
    await px.post(alice, status="public words")
    found = await search(px, None, q="words")
    assert found["statuses"] == []  # statuses are searched for signed-in callers only
    assert [a["username"] for a in (await search(px, None, q="alice"))["accounts"]] == ["alice"]
    # Short queries find only the exact account when anonymous.
    assert (await search(px, None, q="al"))["accounts"] == []
    r = await px.client.get("/api/v2/search", params={"q": "alice", "type": "accounts", "offset": 1})
    assert r.status_code == 401
    assert "pagination" in r.json()["error"]
    r = await px.client.get("/api/v2/search", params={"q": "alice", "resolve": "true"})
    assert r.status_code == 401
    _, token = await px.user("bob")
    resolved = await px.client.get(
        "/api/v2/search", params={"q": "alice", "resolve": "true"}, headers=bearer(token)
    )
    assert resolved.status_code == 200


async def test_bad_search_requests(px: Instance) -> None:
    _, alice = await px.user("alice", scopes="read:accounts")
    assert (await px.client.get("/api/v2/search")).status_code == 400
    assert (await px.client.get("/api/v2/search", params={"q": ""})).status_code == 400
    assert (await px.client.get("/api/v2/search", params={"q": "a\x00"})).status_code == 400
    assert (await px.client.get("/api/v2/search", params={"q": "a", "limit": "x"})).status_code == 422
    nothing = await px.client.get("/api/v2/search", params={"q": "alice", "type": "other"})
    assert nothing.json() == {"accounts": [], "statuses": [], "hashtags": []}
    # The read:search scope (or read) is needed.
    r = await px.client.get("/api/v2/search", params={"q": "alice"}, headers=bearer(alice))
    assert r.status_code == 403
    _, searcher = await px.user("bob", scopes="read:search")
    r = await px.client.get("/api/v2/search", params={"q": "alice"}, headers=bearer(searcher))
    assert r.status_code == 200
    assert [a["username"] for a in r.json()["accounts"]] == ["alice"]
    big = await px.client.get("/api/v2/search", params={"q": "a", "limit": 500}, headers=bearer(searcher))
    assert big.status_code == 200
