"""Polls: creating one with a status, voting, hidden totals, and their end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from pixie.db.types import utcnow
from pixie.models.polls import Poll
from pixie.models.system import OutboxEvent
from pixie.services import polls
from tests.conftest import Instance, bearer


async def poll_post(px: Instance, token: str, *options: str, **data: Any) -> dict[str, Any]:
    form: dict[str, Any] = {"status": "which?", "poll[options][]": list(options), "poll[expires_in]": "3600"}
    r = await px.client.post("/api/v1/statuses", data=form | data, headers=bearer(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def vote(px: Instance, token: str, poll_id: str, *choices: int) -> Any:
    return await px.client.post(
        f"/api/v1/polls/{poll_id}/votes", data={"choices[]": [str(c) for c in choices]}, headers=bearer(token)
    )


async def test_a_poll_is_created_with_its_status_and_counts_votes(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    s = await poll_post(px, alice, "cats", "dogs", " ", "birds")
    poll = s["poll"]
    assert [o["title"] for o in poll["options"]] == ["cats", "dogs", "birds"]  # blank choices dropped
    assert (poll["expired"], poll["multiple"], poll["votes_count"], poll["voted"]) == (False, False, 0, True)
    r = await vote(px, bob, poll["id"], 1)
    assert r.status_code == 200, r.text
    assert (r.json()["voted"], r.json()["own_votes"], r.json()["votes_count"]) == (True, [1], 1)
    # A single choice may come without brackets, as some clients send it.
    single = await px.client.post(
        f"/api/v1/polls/{poll['id']}/votes", data={"choices": "1"}, headers=bearer(carol)
    )
    assert single.status_code == 200, single.text
    seen = (await px.client.get(f"/api/v1/polls/{poll['id']}")).json()
    assert [o["votes_count"] for o in seen["options"]] == [0, 2, 0]
    assert (seen["votes_count"], seen["voters_count"]) == (2, 2)
    assert "voted" not in seen and "own_votes" not in seen  # anonymous
    via_status = (await px.client.get(f"/api/v1/statuses/{s['id']}", headers=bearer(carol))).json()["poll"]
    assert via_status["own_votes"] == [1]
    async with px.rt.db.read() as session:
        assert (await session.scalars(select(OutboxEvent.type))).all().count("poll.voted") == 2


async def test_voting_rules(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    single = (await poll_post(px, alice, "a", "b"))["poll"]
    for choices, message in (
        ((), "The chosen vote option does not exist"),
        ((2,), "The chosen vote option does not exist"),
        ((-1,), "The chosen vote option does not exist"),
        ((0, 1), "You have already voted on this poll"),
    ):
        r = await vote(px, bob, single["id"], *choices)
        assert (r.status_code, r.json()["error"]) == (422, f"Validation failed: {message}"), choices
    assert (await vote(px, alice, single["id"], 0)).json()["error"] == (
        "Validation failed: You cannot vote in your own poll"
    )
    assert (await vote(px, bob, single["id"], 0)).status_code == 200
    assert (await vote(px, bob, single["id"], 1)).status_code == 422
    multiple = (await poll_post(px, alice, "a", "b", "c", **{"poll[multiple]": "true"}))["poll"]
    r = await vote(px, bob, multiple["id"], 0, 2)
    assert r.status_code == 200 and r.json()["own_votes"] == [0, 2]
    assert (await vote(px, bob, multiple["id"], 2)).status_code == 422
    assert (await vote(px, bob, multiple["id"], 1)).json()["voters_count"] == 1
    # Nothing half-written: a refused request leaves no vote behind.
    assert (await vote(px, carol, multiple["id"], 1, 1)).status_code == 422
    assert (await px.client.get(f"/api/v1/polls/{multiple['id']}", headers=bearer(carol))).json()[
        "voted"
    ] is False
    # An ended poll takes no votes.
    async with px.rt.db.write() as session:
        await session.execute(update(Poll).where(Poll.id == int(single["id"])).values(expires_at=utcnow()))
    r = await vote(px, carol, single["id"], 0)
    assert (r.status_code, r.json()["error"]) == (422, "Validation failed: The poll has already ended")
    assert (await px.client.get(f"/api/v1/polls/{single['id']}")).json()["expired"] is True
    # The poll of a post the caller may not see does not exist for it.
    secret = (await poll_post(px, alice, "x", "y", visibility="private"))["poll"]
    assert (await vote(px, carol, secret["id"], 0)).status_code == 404
    assert (await px.client.get(f"/api/v1/polls/{secret['id']}")).status_code == 404
    assert (await px.client.get("/api/v1/polls/nope")).status_code == 404
    assert (
        await px.client.post(f"/api/v1/polls/{multiple['id']}/votes", data={"choices[]": "0"})
    ).status_code == 401


async def test_hidden_totals_show_to_the_author_and_after_the_end(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    poll = (await poll_post(px, alice, "a", "b", **{"poll[hide_totals]": "1"}))["poll"]
    r = await vote(px, bob, poll["id"], 0)
    assert [o["votes_count"] for o in r.json()["options"]] == [None, None]
    assert r.json()["votes_count"] == 1
    mine = (await px.client.get(f"/api/v1/polls/{poll['id']}", headers=bearer(alice))).json()
    assert [o["votes_count"] for o in mine["options"]] == [1, 0]
    async with px.rt.db.write() as session:
        await session.execute(update(Poll).where(Poll.id == int(poll["id"])).values(expires_at=utcnow()))
    ended = (await px.client.get(f"/api/v1/polls/{poll['id']}")).json()
    assert [o["votes_count"] for o in ended["options"]] == [1, 0]


async def test_bad_polls_are_refused_and_nothing_is_written(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    base = {"status": "?", "poll[expires_in]": "3600"}
    for data in (
        {"poll[options][]": ["only one"]},
        {"poll[options][]": ["a", "a"]},
        {"poll[options][]": ["a", "b", "c", "d", "e"]},
        {"poll[options][]": ["a", "x" * 51]},
        {"poll[options][]": ["a", "b"], "poll[expires_in]": "299"},
        {"poll[options][]": ["a", "b"], "poll[expires_in]": str(40 * 86400)},
        {"poll[options][]": ["a", "b"], "poll[expires_in]": "soon"},
        {"status": "?", "poll[options][]": ["a", "b"]},
    ):
        r = await px.client.post(
            "/api/v1/statuses", data=base | data if "status" not in data else data, headers=bearer(alice)
        )
        assert r.status_code == 422 and "error" in r.json(), data
    assert (await px.client.get(f"/api/v1/accounts/{alice_id}")).json()["statuses_count"] == 0
    json_poll = await px.client.post(
        "/api/v1/statuses",
        json={"status": "json", "poll": {"options": ["a", "b"], "expires_in": 300, "multiple": True}},
        headers=bearer(alice),
    )
    assert json_poll.status_code == 200 and json_poll.json()["poll"]["multiple"] is True


async def test_the_limits_are_settings_shown_in_the_instance(start: Any) -> None:
    async with start(poll_max_options=6, poll_min_expiration=60) as px:
        limits = (await px.client.get("/api/v2/instance")).json()["configuration"]["polls"]
        assert (limits["max_options"], limits["min_expiration"]) == (6, 60)
        _, alice = await px.user("alice")
        r = await px.client.post(
            "/api/v1/statuses",
            data={"status": "?", "poll[options][]": list("abcdef"), "poll[expires_in]": "60"},
            headers=bearer(alice),
        )
        assert r.status_code == 200, r.text


async def test_the_expiry_job_ends_each_poll_once(px: Instance) -> None:
    _, alice = await px.user("alice")
    soon = (await poll_post(px, alice, "a", "b", **{"poll[expires_in]": "300"}))["poll"]
    later = (await poll_post(px, alice, "a", "b", **{"poll[expires_in]": "7200"}))["poll"]
    gone = await poll_post(px, alice, "a", "b", **{"poll[expires_in]": "300"})
    await px.client.delete(f"/api/v1/statuses/{gone['id']}", headers=bearer(alice))
    now = utcnow()
    assert await polls.end_expired(px.rt, now) == []
    ended = await polls.end_expired(px.rt, now + timedelta(seconds=301))
    assert sorted(ended) == sorted([int(soon["id"]), int(gone["poll"]["id"])])
    assert await polls.end_expired(px.rt, now + timedelta(seconds=302)) == []
    assert await polls.end_expired(px.rt, now + timedelta(hours=3)) == [int(later["id"])]
    async with px.rt.db.read() as session:
        payloads = list(
            await session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "poll.ended"))
        )
    # A deleted post's poll ends without an event.
    assert sorted(p["poll_id"] for p in payloads) == sorted([int(soon["id"]), int(later["id"])])
