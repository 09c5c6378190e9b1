"""Scheduled statuses: scheduling, listing, moving, cancelling, and publishing exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from pixie.db.types import utcnow
from pixie.models.polls import Poll
from pixie.models.scheduled import ScheduledStatus
from pixie.services import scheduled
from tests.conftest import Backend, Instance, bearer, running


def ahead(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat().replace("+00:00", "Z")


async def schedule(px: Instance, token: str, **data: Any) -> Any:
    return await px.client.post(
        "/api/v1/statuses", data={"scheduled_at": ahead(hours=1)} | data, headers=bearer(token)
    )


async def test_a_scheduled_post_waits_then_is_published_once(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    r = await schedule(
        px,
        alice,
        status="later #art",
        spoiler_text="cw",
        visibility="unlisted",
        **{"poll[options][]": ["a", "b"], "poll[expires_in]": "600"},
    )
    assert r.status_code == 200, r.text
    entity = r.json()
    assert entity["params"]["text"] == "later #art"
    assert entity["params"]["visibility"] == "unlisted"
    assert entity["params"]["poll"] == {
        "options": ["a", "b"],
        "expires_in": 600,
        "multiple": False,
        "hide_totals": False,
    }
    assert entity["params"]["scheduled_at"] is None
    assert (await px.client.get(f"/api/v1/accounts/{alice_id}/statuses")).json() == []
    assert (await px.client.get(f"/api/v1/accounts/{alice_id}")).json()["statuses_count"] == 0
    # Not yet due: nothing happens.
    assert await scheduled.publish_due(px.rt, utcnow() + timedelta(minutes=30)) == []
    # Two processes' schedulers at once: the post is published once.
    due = utcnow() + timedelta(hours=2)
    results = await asyncio.gather(scheduled.publish_due(px.rt, due), scheduled.publish_due(px.rt, due))
    published = [i for ids in results for i in ids]
    assert len(published) == 1
    page = (await px.client.get(f"/api/v1/accounts/{alice_id}/statuses", headers=bearer(alice))).json()
    assert [s["id"] for s in page] == [str(published[0])]
    assert (page[0]["spoiler_text"], page[0]["visibility"]) == ("cw", "unlisted")
    assert [o["title"] for o in page[0]["poll"]["options"]] == ["a", "b"]
    assert page[0]["tags"][0]["name"] == "art"
    assert (await px.client.get("/api/v1/scheduled_statuses", headers=bearer(alice))).json() == []
    gone = await px.client.get(f"/api/v1/scheduled_statuses/{entity['id']}", headers=bearer(alice))
    assert gone.status_code == 404
    assert await scheduled.publish_due(px.rt, due) == []


async def test_list_move_and_cancel(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    made = [(await schedule(px, alice, status=f"post {n}")).json()["id"] for n in range(3)]
    page = await px.client.get("/api/v1/scheduled_statuses", params={"limit": 2}, headers=bearer(alice))
    assert [s["id"] for s in page.json()] == [made[2], made[1]]
    assert 'rel="next"' in page.headers["link"]
    assert (await px.client.get("/api/v1/scheduled_statuses", headers=bearer(bob))).json() == []
    assert (
        await px.client.get(f"/api/v1/scheduled_statuses/{made[0]}", headers=bearer(bob))
    ).status_code == 404
    moved_to = ahead(days=2)
    r = await px.client.put(
        f"/api/v1/scheduled_statuses/{made[0]}", data={"scheduled_at": moved_to}, headers=bearer(alice)
    )
    assert r.status_code == 200, r.text
    assert r.json()["scheduled_at"][:16] == moved_to[:16]
    too_soon = await px.client.put(
        f"/api/v1/scheduled_statuses/{made[0]}",
        data={"scheduled_at": ahead(minutes=2)},
        headers=bearer(alice),
    )
    assert too_soon.status_code == 422
    assert (
        await px.client.put(
            f"/api/v1/scheduled_statuses/{made[0]}", data={"scheduled_at": ahead(days=3)}, headers=bearer(bob)
        )
    ).status_code == 404
    assert (
        await px.client.delete(f"/api/v1/scheduled_statuses/{made[1]}", headers=bearer(bob))
    ).status_code == 404
    r = await px.client.delete(f"/api/v1/scheduled_statuses/{made[1]}", headers=bearer(alice))
    assert (r.status_code, r.json()) == (200, {})
    left = (await px.client.get("/api/v1/scheduled_statuses", headers=bearer(alice))).json()
    assert [s["id"] for s in left] == [made[2], made[0]]
    assert (await px.client.get("/api/v1/scheduled_statuses")).status_code == 401


async def test_bad_schedules_are_refused(px: Instance) -> None:
    _, alice = await px.user("alice")
    for data in (
        {"status": "x", "scheduled_at": ahead(minutes=4)},
        {"status": "x", "scheduled_at": ahead(days=-1)},
        {"status": "x", "scheduled_at": "next tuesday"},
        {"status": "", "scheduled_at": ahead(hours=1)},
        {"status": "x" * 501, "scheduled_at": ahead(hours=1)},
        {"status": "x", "visibility": "everyone", "scheduled_at": ahead(hours=1)},
        {"status": "x", "poll[options][]": ["a"], "poll[expires_in]": "600", "scheduled_at": ahead(hours=1)},
    ):
        r = await px.client.post("/api/v1/statuses", data=data, headers=bearer(alice))
        assert r.status_code == 422 and "error" in r.json(), data
    r = await px.client.post(
        "/api/v1/statuses",
        data={"status": "x", "in_reply_to_id": "999", "scheduled_at": ahead(hours=1)},
        headers=bearer(alice),
    )
    assert r.status_code == 404
    assert (await px.client.get("/api/v1/scheduled_statuses", headers=bearer(alice))).json() == []
    far = await schedule(px, alice, status="far", scheduled_at="9999-12-31T23:59:59Z")
    assert far.status_code == 200 and far.json()["scheduled_at"] == "9999-12-31T23:59:59.000Z"


async def test_a_day_takes_at_most_25_scheduled_posts(px: Instance) -> None:
    _, alice = await px.user("alice")
    day = (datetime.now(UTC) + timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)
    for n in range(scheduled.DAILY_LIMIT):
        at = (day + timedelta(minutes=n)).isoformat()
        assert (await schedule(px, alice, status=f"n{n}", scheduled_at=at)).status_code == 200
    r = await schedule(px, alice, status="one too many", scheduled_at=(day + timedelta(hours=1)).isoformat())
    assert r.status_code == 422
    assert (
        await schedule(px, alice, status="next day", scheduled_at=(day + timedelta(days=1)).isoformat())
    ).status_code == 200


async def test_the_idempotency_key_covers_scheduled_posts(px: Instance) -> None:
    _, alice = await px.user("alice")
    headers = bearer(alice) | {"Idempotency-Key": "same-request"}
    data = {"status": "once", "scheduled_at": ahead(hours=1)}
    first = await px.client.post("/api/v1/statuses", data=data, headers=headers)
    second = await px.client.post("/api/v1/statuses", data=data, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["params"]["idempotency"] == "same-request"
    assert len((await px.client.get("/api/v1/scheduled_statuses", headers=bearer(alice))).json()) == 1


async def test_a_reply_whose_parent_is_gone_is_published_on_its_own(px: Instance) -> None:
    _, alice = await px.user("alice")
    parent = (
        await px.client.post("/api/v1/statuses", data={"status": "parent"}, headers=bearer(alice))
    ).json()
    r = await schedule(px, alice, status="answer", in_reply_to_id=parent["id"])
    assert r.json()["params"]["in_reply_to_id"] == int(parent["id"])
    await px.client.delete(f"/api/v1/statuses/{parent['id']}", headers=bearer(alice))
    [published] = await scheduled.publish_due(px.rt, utcnow() + timedelta(hours=2))
    status = (await px.client.get(f"/api/v1/statuses/{published}")).json()
    assert status["in_reply_to_id"] is None and status["content"] == "<p>answer</p>"


async def test_the_periodic_scheduler_publishes_due_posts_and_ends_polls(
    tmp_path: Path, backend: Backend
) -> None:
    async with running(tmp_path, backend, background=False) as px:
        alice_id, alice = await px.user("alice")
        later = (await schedule(px, alice, status="when due")).json()
        poll = (
            await px.client.post(
                "/api/v1/statuses",
                data={"status": "?", "poll[options][]": ["a", "b"], "poll[expires_in]": "300"},
                headers=bearer(alice),
            )
        ).json()["poll"]
        past = utcnow() - timedelta(seconds=1)
        async with px.rt.db.write() as session:
            await session.execute(
                update(ScheduledStatus)
                .where(ScheduledStatus.id == int(later["id"]))
                .values(scheduled_at=past)
            )
            await session.execute(update(Poll).where(Poll.id == int(poll["id"])).values(expires_at=past))
        ran = await px.rt.scheduler.tick()
        assert {"statuses.publish_scheduled", "polls.end_expired"} <= set(ran)
        page = (await px.client.get(f"/api/v1/accounts/{alice_id}/statuses")).json()
        assert page[0]["content"] == "<p>when due</p>"
        async with px.rt.db.read() as session:
            ended = await session.get(Poll, int(poll["id"]))
            assert ended is not None and ended.ended_at is not None
