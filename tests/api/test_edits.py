"""Editing statuses, and their history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pixie.models.system import OutboxEvent
from tests.conftest import Instance, bearer


async def edit(px: Instance, token: str, status_id: str, **data: Any) -> Any:
    return await px.client.put(f"/api/v1/statuses/{status_id}", data=data, headers=bearer(token))


async def test_an_edit_changes_the_post_and_keeps_every_version(px: Instance) -> None:
    _, alice = await px.user("alice")
    await px.user("bob")
    s = await px.post(alice, status="first #draft")
    history = await px.client.get(f"/api/v1/statuses/{s['id']}/history")
    assert history.status_code == 200
    assert [v["content"] for v in history.json()] == [s["content"]]  # never edited: one version
    r = await edit(px, alice, s["id"], status="second @bob #final", spoiler_text="cw", language="de")
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["id"] == s["id"] and edited["edited_at"] is not None
    assert [m["username"] for m in edited["mentions"]] == ["bob"]
    assert [t["name"] for t in edited["tags"]] == ["final"]
    assert (edited["spoiler_text"], edited["sensitive"], edited["language"]) == ("cw", True, "de")
    await edit(px, alice, s["id"], status="third")
    versions = (await px.client.get(f"/api/v1/statuses/{s['id']}/history")).json()
    assert [v["content"] for v in versions] == [
        s["content"],
        edited["content"],
        "<p>third</p>",
    ]
    assert [v["spoiler_text"] for v in versions] == ["", "cw", "cw"]
    assert versions[0]["created_at"] == s["created_at"]
    source = (await px.client.get(f"/api/v1/statuses/{s['id']}/source", headers=bearer(alice))).json()
    assert source["text"] == "third"
    # The same text again records nothing.
    await edit(px, alice, s["id"], status="third")
    assert len((await px.client.get(f"/api/v1/statuses/{s['id']}/history")).json()) == 3
    tagged = await px.client.get("/api/v1/timelines/tag/final")
    assert tagged.json() == []
    async with px.rt.db.read() as session:
        types = list(await session.scalars(select(OutboxEvent.type)))
    assert types.count("status.updated") == 2


async def test_a_mention_taken_out_still_lets_its_account_see_the_post(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    s = await px.post(alice, status="@bob between us", visibility="direct")
    r = await edit(px, alice, s["id"], status="no one named")
    assert r.json()["mentions"] == []
    seen = await px.client.get(f"/api/v1/statuses/{s['id']}", headers=bearer(bob))
    assert seen.status_code == 200 and seen.json()["mentions"] == []
    r = await edit(px, alice, s["id"], status="@bob again")
    assert [m["username"] for m in r.json()["mentions"]] == ["bob"]


async def test_only_the_author_edits(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    public = await px.post(alice, status="mine")
    secret = await px.post(alice, status="followers", visibility="private")
    assert (await edit(px, bob, public["id"], status="yours now")).status_code == 403
    assert (await edit(px, bob, secret["id"], status="yours now")).status_code == 404
    assert (await edit(px, alice, "12345", status="x")).status_code == 404
    assert (await px.client.put(f"/api/v1/statuses/{public['id']}", data={"status": "x"})).status_code == 401
    for data in ({"status": "  "}, {"status": "x" * 501}, {"status": "x", "media_ids[]": "1"}):
        r = await edit(px, alice, public["id"], **data)
        assert r.status_code == 422 and "error" in r.json()
    unchanged = (await px.client.get(f"/api/v1/statuses/{public['id']}")).json()
    assert unchanged["content"] == "<p>mine</p>" and unchanged["edited_at"] is None
    assert (
        await px.client.get(f"/api/v1/statuses/{secret['id']}/history", headers=bearer(bob))
    ).status_code == 404
