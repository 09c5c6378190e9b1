"""Posting, reading and deleting statuses, and who may see them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Instance, bearer
from tests.media import images


async def post(px: Instance, token: str, **data: Any) -> Any:
    return await px.client.post("/api/v1/statuses", data=data, headers=bearer(token))


async def test_a_post_with_mentions_tags_and_links(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, _ = await px.user("bob")
    r = await post(
        px, alice, status="Hi @bob, look: https://example.com/x #FoxArt <script>x</script>", language="en"
    )
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["visibility"] == "public"
    assert s["account"]["username"] == "alice"
    assert s["mentions"] == [
        {"id": str(bob_id), "username": "bob", "url": "https://pixie.test/@bob", "acct": "bob"}
    ]
    assert s["tags"] == [{"name": "foxart", "url": "https://pixie.test/tags/foxart"}]
    assert '<a href="https://example.com/x"' in s["content"]
    assert "<script>" not in s["content"] and "&lt;script&gt;" in s["content"]
    assert s["pixie"] == {"generation": None, "remix_of": None, "remixes_count": 0, "allow_remix": None}
    assert s["text"] is None
    again = await px.client.get(f"/api/v1/statuses/{s['id']}")
    assert again.status_code == 200
    assert again.json()["content"] == s["content"]
    me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))).json()
    assert me["statuses_count"] == 1
    assert me["last_status_at"] is not None


async def test_character_limit_counts_links_as_23_and_the_content_warning(px: Instance) -> None:
    _, alice = await px.user("alice")
    link = "https://example.com/" + "x" * 200
    assert (await post(px, alice, status="a" * 476 + " " + link)).status_code == 200  # 476 + 1 + 23
    assert (await post(px, alice, status="a" * 477 + " " + link)).status_code == 422
    r = await post(px, alice, status="a" * 490, spoiler_text="b" * 11)
    assert r.status_code == 422
    assert "character limit of 500" in r.json()["error"]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"status": "   "},
        {"status": "x", "visibility": "everyone"},
        {"status": "x", "in_reply_to_id": "999999"},
        {"status": "x", "in_reply_to_id": "not-an-id"},
        {"status": "x", "media_ids[]": "123"},
        {"status": "x", "sensitive": "perhaps"},
    ],
)
async def test_bad_posts_are_refused_and_nothing_is_written(px: Instance, data: dict[str, str]) -> None:
    _, alice = await px.user("alice")
    r = await post(px, alice, **data)
    assert r.status_code in (404, 422), r.text
    assert "error" in r.json()
    me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))).json()
    assert me["statuses_count"] == 0


async def test_posting_needs_a_user_with_the_write_scope(px: Instance) -> None:
    _, reader = await px.user("alice", scopes="read")
    assert (await post(px, reader, status="x")).status_code == 403
    assert (await px.client.post("/api/v1/statuses", data={"status": "x"})).status_code == 401
    app_token = await px.app_token(await px.app_credentials(), "read write")
    assert (await post(px, app_token, status="x")).status_code == 422


async def test_idempotency_key_makes_a_retry_the_same_post(px: Instance) -> None:
    _, alice = await px.user("alice")
    headers = bearer(alice) | {"Idempotency-Key": "retry-1"}
    first = await px.client.post("/api/v1/statuses", data={"status": "once"}, headers=headers)
    second = await px.client.post("/api/v1/statuses", data={"status": "once"}, headers=headers)
    assert first.json()["id"] == second.json()["id"]
    other = await px.client.post("/api/v1/statuses", data={"status": "once"}, headers=bearer(alice))
    assert other.json()["id"] != first.json()["id"]


async def test_replies_count_and_point_to_their_parent(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    parent = (await post(px, alice, status="first")).json()
    reply = (await post(px, bob, status="@alice yes", in_reply_to_id=parent["id"])).json()
    assert reply["in_reply_to_id"] == parent["id"]
    assert reply["in_reply_to_account_id"] == parent["account"]["id"]
    assert (await px.client.get(f"/api/v1/statuses/{parent['id']}")).json()["replies_count"] == 1


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private", "direct"])
async def test_who_may_see_a_post(px: Instance, visibility: str) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")  # mentioned
    _, carol = await px.user("carol")  # a stranger
    s = (await post(px, alice, status="for @bob", visibility=visibility)).json()
    path = f"/api/v1/statuses/{s['id']}"
    public = visibility in ("public", "unlisted")
    expected = {
        "author": 200,
        "mentioned": 200,
        "stranger": 200 if public else 404,
        "anonymous": 200 if public else 404,
    }
    seen = {
        "author": (await px.client.get(path, headers=bearer(alice))).status_code,
        "mentioned": (await px.client.get(path, headers=bearer(bob))).status_code,
        "stranger": (await px.client.get(path, headers=bearer(carol))).status_code,
        "anonymous": (await px.client.get(path)).status_code,
    }
    assert seen == expected
    # Nobody can reply to what they may not see.
    reply = await post(px, carol, status="hm", in_reply_to_id=s["id"])
    assert reply.status_code == (200 if public else 404)


async def test_the_answer_to_posting_is_the_post_as_its_author_reads_it(px: Instance) -> None:
    _, alice = await px.user("alice")
    await px.user("bob")
    r = await px.client.post(
        "/api/v2/media", files={"file": ("a.jpg", images.jpeg(), "image/jpeg")}, headers=bearer(alice)
    )
    assert r.status_code == 200, r.text
    r = await post(
        px,
        alice,
        status="For @bob: which #Fox is best?",
        spoiler_text="foxes",
        **{"media_ids[]": [r.json()["id"]], "poll[options][]": ["red", "arctic"], "poll[expires_in]": "600"},
    )
    assert r.status_code == 200, r.text
    posted = r.json()
    assert posted["mentions"] and posted["tags"] and posted["media_attachments"] and posted["poll"]
    assert posted["account"]["statuses_count"] == 1
    read = await px.client.get(f"/api/v1/statuses/{posted['id']}", headers=bearer(alice))
    assert posted == read.json()


async def test_delete_keeps_a_tombstone_and_answers_the_source(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    s = (await post(px, alice, status="oops #typo", spoiler_text="cw")).json()
    assert (await px.client.delete(f"/api/v1/statuses/{s['id']}", headers=bearer(bob))).status_code == 404
    r = await px.client.delete(f"/api/v1/statuses/{s['id']}", headers=bearer(alice))
    assert r.status_code == 200
    assert r.json()["text"] == "oops #typo"  # for redrafting
    assert r.json()["spoiler_text"] == "cw"
    assert (await px.client.get(f"/api/v1/statuses/{s['id']}", headers=bearer(alice))).status_code == 404
    assert (await px.client.delete(f"/api/v1/statuses/{s['id']}", headers=bearer(alice))).status_code == 404
    from sqlalchemy import select

    from pixie.models.statuses import Status

    async with px.rt.db.read() as session:
        tombstone = await session.get(Status, int(s["id"]))
        assert tombstone is not None and tombstone.deleted_at is not None
        assert (await session.scalar(select(Status.text).where(Status.id == int(s["id"])))) == "oops #typo"
    me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(alice))).json()
    assert me["statuses_count"] == 0


async def test_a_suspended_authors_posts_disappear(px: Instance) -> None:
    _, alice = await px.user("alice")
    s = (await post(px, alice, status="hello")).json()
    from pixie.services import accounts

    await accounts.set_suspended(px.rt, "alice", True)
    assert (await px.client.get(f"/api/v1/statuses/{s['id']}")).status_code == 404


async def test_unknown_status_ids(px: Instance) -> None:
    for raw in ("0", "12345", "abc", "9" * 30):
        assert (await px.client.get(f"/api/v1/statuses/{raw}")).status_code == 404


async def test_context_shows_the_thread_the_viewer_may_see(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    root = (await post(px, alice, status="root")).json()
    reply = (await post(px, bob, status="@alice reply", in_reply_to_id=root["id"])).json()
    deeper = (await post(px, alice, status="@bob deeper", in_reply_to_id=reply["id"])).json()
    secret = (
        await post(px, alice, status="@bob secret", in_reply_to_id=reply["id"], visibility="direct")
    ).json()
    second = (await post(px, carol, status="@alice another", in_reply_to_id=root["id"])).json()
    ctx = (await px.client.get(f"/api/v1/statuses/{root['id']}/context", headers=bearer(bob))).json()
    assert ctx["ancestors"] == []
    assert [s["id"] for s in ctx["descendants"]] == [reply["id"], deeper["id"], secret["id"], second["id"]]
    as_carol = (await px.client.get(f"/api/v1/statuses/{root['id']}/context", headers=bearer(carol))).json()
    assert secret["id"] not in [s["id"] for s in as_carol["descendants"]]
    up = (await px.client.get(f"/api/v1/statuses/{deeper['id']}/context")).json()
    assert [s["id"] for s in up["ancestors"]] == [root["id"], reply["id"]]
    assert (
        await px.client.get(f"/api/v1/statuses/{secret['id']}/context", headers=bearer(carol))
    ).status_code == 404


async def test_several_statuses_at_once_and_the_source(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    a = (await post(px, alice, status="a *b*", spoiler_text="cw")).json()
    hidden = (await post(px, alice, status="hidden", visibility="private")).json()
    r = await px.client.get(
        "/api/v1/statuses",
        params=[("id[]", a["id"]), ("id[]", hidden["id"]), ("id[]", "nope")],
        headers=bearer(bob),
    )
    assert [s["id"] for s in r.json()] == [a["id"]]
    source = await px.client.get(f"/api/v1/statuses/{a['id']}/source", headers=bearer(alice))
    assert source.json() == {"id": a["id"], "text": "a *b*", "spoiler_text": "cw"}
    assert (
        await px.client.get(f"/api/v1/statuses/{hidden['id']}/source", headers=bearer(bob))
    ).status_code == 404
    assert (await px.client.get(f"/api/v1/statuses/{a['id']}/source")).status_code == 401
