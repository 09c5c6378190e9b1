"""Notifications (v1 and grouped v2), and the markers their unread counts rest on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from pixie.db.prepared import Prepared
from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer


async def notes(px: Instance, token: str, **params: Any) -> list[dict[str, Any]]:
    r = await px.client.get("/api/v1/notifications", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return list(r.json())


def kinds(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(n["type"], n["account"]["username"]) for n in found]


async def test_follows_favourites_and_mentions_notify(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    s = await px.post(alice, status="look")
    await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(bob))
    mention = await px.post(bob, status="hey @alice")
    reply = await px.post(bob, status="nice", in_reply_to_id=s["id"])  # a reply notifies as a mention
    found = await notes(px, alice)
    assert kinds(found) == [("mention", "bob"), ("mention", "bob"), ("favourite", "bob"), ("follow", "bob")]
    for n in found:
        assert check_shape("Notification", n) == []
        assert check_shape("Account", n["account"]) == []
    assert [n["status"]["id"] for n in found[:3]] == [reply["id"], mention["id"], s["id"]]
    assert "status" not in found[3]
    assert found[0]["group_key"] == f"ungrouped-{found[0]['id']}"
    assert found[2]["group_key"].startswith(f"favourite-{s['id']}-")
    one = await px.client.get(f"/api/v1/notifications/{found[2]['id']}", headers=bearer(alice))
    assert one.json() == found[2]
    assert await notes(px, bob) == []  # nothing about what bob did himself
    # Taking a favourite or a follow back takes its notification back.
    await px.client.post(f"/api/v1/statuses/{s['id']}/unfavourite", headers=bearer(bob))
    await px.client.post(f"/api/v1/accounts/{alice_id}/unfollow", headers=bearer(bob))
    assert kinds(await notes(px, alice)) == [("mention", "bob"), ("mention", "bob")]


async def test_no_notifications_to_oneself_or_from_blocked_or_muted_accounts(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    carol_id, carol = await px.user("carol")
    s = await px.post(alice, status="mine @alice")
    await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(alice))
    assert await notes(px, alice) == []
    await px.client.post(f"/api/v1/accounts/{bob_id}/block", headers=bearer(alice))
    await px.client.post(f"/api/v1/accounts/{carol_id}/mute", headers=bearer(alice))
    await px.post(bob, status="@alice hello")
    await px.post(carol, status="@alice hello")
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(carol))
    await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(carol))
    assert await notes(px, alice) == []
    # A mute that leaves notifications alone.
    await px.client.post(
        f"/api/v1/accounts/{carol_id}/mute", data={"notifications": "false"}, headers=bearer(alice)
    )
    await px.post(carol, status="@alice again")
    assert kinds(await notes(px, alice)) == [("mention", "carol")]
    # Muting notifications later hides earlier ones too; unmuting shows them again.
    await px.client.post(f"/api/v1/accounts/{carol_id}/mute", headers=bearer(alice))
    assert await notes(px, alice) == []
    await px.client.post(f"/api/v1/accounts/{carol_id}/unmute", headers=bearer(alice))
    assert kinds(await notes(px, alice)) == [("mention", "carol")]


async def test_notifications_about_posts_one_can_no_longer_see_are_not_shown(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    _, carol = await px.user("carol")
    s = await px.post(bob, status="hi @alice")
    await px.post(carol, status="hello @alice")
    assert len(await notes(px, alice)) == 2
    await px.client.delete(f"/api/v1/statuses/{s['id']}", headers=bearer(bob))
    assert kinds(await notes(px, alice)) == [("mention", "carol")]
    n = (await notes(px, alice))[0]
    await px.client.post(f"/api/v1/accounts/{alice_id}/block", headers=bearer(carol))
    assert await notes(px, alice) == []
    assert (await px.client.get(f"/api/v1/notifications/{n['id']}", headers=bearer(alice))).status_code == 404
    # A followers-only post that mentions someone who may not see it... they may: mentioned.
    private = await px.post(bob, status="@alice psst", visibility="private")
    assert [x["status"]["id"] for x in await notes(px, alice)] == [private["id"]]
    assert bob_id


async def test_filters_paging_dismiss_and_clear(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    _, carol = await px.user("carol")
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(carol))
    await px.post(bob, status="@alice one")
    await px.post(carol, status="@alice two")
    assert kinds(await notes(px, alice, **{"types[]": "follow"})) == [("follow", "carol"), ("follow", "bob")]
    assert kinds(await notes(px, alice, **{"exclude_types[]": ["follow"]})) == [
        ("mention", "carol"),
        ("mention", "bob"),
    ]
    assert kinds(await notes(px, alice, account_id=str(bob_id))) == [("mention", "bob"), ("follow", "bob")]
    assert await notes(px, alice, **{"types[]": "nonsense"}) == []
    assert await notes(px, alice, account_id="nobody") == []
    first = await px.client.get("/api/v1/notifications", params={"limit": 3}, headers=bearer(alice))
    assert len(first.json()) == 3
    rest = first.headers["link"].split(">;")[0][1:].removeprefix("https://pixie.test")
    assert kinds((await px.client.get(rest, headers=bearer(alice))).json()) == [("follow", "bob")]
    newest = first.json()[0]
    r = await px.client.post(f"/api/v1/notifications/{newest['id']}/dismiss", headers=bearer(alice))
    assert (r.status_code, r.json()) == (200, {})
    assert len(await notes(px, alice)) == 3
    assert (
        await px.client.post(f"/api/v1/notifications/{newest['id']}/dismiss", headers=bearer(alice))
    ).status_code == 404
    other = (await notes(px, alice))[0]["id"]
    assert (
        await px.client.post(f"/api/v1/notifications/{other}/dismiss", headers=bearer(bob))
    ).status_code == 404
    assert (await px.client.get(f"/api/v1/notifications/{other}", headers=bearer(bob))).status_code == 404
    r = await px.client.post("/api/v1/notifications/clear", headers=bearer(alice))
    assert (r.status_code, r.json()) == (200, {})
    assert await notes(px, alice) == []


async def test_follow_requests_notify_until_decided(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    await px.client.patch("/api/v1/accounts/update_credentials", data={"locked": "1"}, headers=bearer(alice))
    await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(bob))
    assert kinds(await notes(px, alice)) == [("follow_request", "bob")]
    await px.client.post(f"/api/v1/follow_requests/{bob_id}/authorize", headers=bearer(alice))
    assert await notes(px, alice) == []


async def test_grouped_notifications(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    fans = [await px.user(f"fan{n}") for n in range(3)]
    s = await px.post(alice, status="like this")
    other = await px.post(alice, status="and this")
    for _, token in fans:
        await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(token))
        await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(token))
    await px.client.post(f"/api/v1/statuses/{other['id']}/favourite", headers=bearer(fans[0][1]))
    await px.post(fans[1][1], status="@alice one")
    await px.post(fans[2][1], status="@alice two")
    r = await px.client.get("/api/v2/notifications", headers=bearer(alice))
    assert r.status_code == 200, r.text
    body = r.json()
    assert check_shape("GroupedNotificationsResults", body) == []
    groups = body["notification_groups"]
    assert [(g["type"], g["notifications_count"]) for g in groups] == [
        ("mention", 1),
        ("mention", 1),
        ("favourite", 1),
        ("follow", 3),
        ("favourite", 3),
    ]
    fan_ids = [str(f[0]) for f in fans]
    assert groups[3]["sample_account_ids"] == fan_ids[::-1]
    assert groups[4]["sample_account_ids"] == fan_ids[::-1]
    assert groups[4]["status_id"] == s["id"] and groups[2]["status_id"] == other["id"]
    assert "status_id" not in groups[3]
    assert groups[0]["group_key"].startswith("ungrouped-")
    assert sorted(a["id"] for a in body["accounts"]) == sorted(fan_ids)
    assert sorted(x["id"] for x in body["statuses"]) == sorted(
        [s["id"], other["id"], *[g["status_id"] for g in groups[:2]]]
    )
    for account in body["accounts"]:
        assert check_shape("Account", account) == []
    # Paging by group: two at a time, no group twice, nothing lost.
    seen: list[str] = []
    page = await px.client.get("/api/v2/notifications", params={"limit": 2}, headers=bearer(alice))
    while page.json()["notification_groups"]:
        seen += [g["group_key"] for g in page.json()["notification_groups"]]
        nxt = page.headers["link"].split(">;")[0][1:].removeprefix("https://pixie.test")
        page = await px.client.get(nxt, headers=bearer(alice))
    assert seen == [g["group_key"] for g in groups]
    # Without grouping for favourites, each favourite stands alone.
    r = await px.client.get(
        "/api/v2/notifications", params={"grouped_types[]": "follow"}, headers=bearer(alice)
    )
    assert [g["type"] for g in r.json()["notification_groups"]].count("favourite") == 4
    assert (
        await px.client.get(
            "/api/v2/notifications", params={"types[]": "favourite", "limit": 1}, headers=bearer(alice)
        )
    ).json()["notification_groups"][0]["group_key"] == groups[2]["group_key"]
    # One group, its accounts, dismissing it.
    key = groups[4]["group_key"]
    one = await px.client.get(f"/api/v2/notifications/{key}", headers=bearer(alice))
    assert one.status_code == 200
    assert check_shape("GroupedNotificationsResults", one.json()) == []
    assert one.json()["notification_groups"][0]["notifications_count"] == 3
    accounts = await px.client.get(f"/api/v2/notifications/{key}/accounts", headers=bearer(alice))
    assert [a["id"] for a in accounts.json()] == fan_ids[::-1]
    r = await px.client.post(f"/api/v2/notifications/{key}/dismiss", headers=bearer(alice))
    assert (r.status_code, r.json()) == (200, {})
    assert (await px.client.get(f"/api/v2/notifications/{key}", headers=bearer(alice))).status_code == 404
    assert (await px.client.get("/api/v2/notifications/nothing-1", headers=bearer(alice))).status_code == 404
    single = groups[0]["group_key"]
    assert (await px.client.get(f"/api/v2/notifications/{single}", headers=bearer(alice))).status_code == 200


async def test_markers_and_unread_counts(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    _, bob = await px.user("bob")
    _, carol = await px.user("carol")
    r = await px.client.get("/api/v1/markers", params={"timeline[]": "notifications"}, headers=bearer(alice))
    assert (r.status_code, r.json()) == (200, {})
    s = await px.post(alice, status="x")
    for token in (bob, carol):
        await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(token))
    await px.post(bob, status="@alice hi")
    unread = await px.client.get("/api/v1/notifications/unread_count", headers=bearer(alice))
    assert unread.json() == {"count": 3}
    grouped = await px.client.get("/api/v2/notifications/unread_count", headers=bearer(alice))
    assert grouped.json() == {"count": 2}
    capped = await px.client.get(
        "/api/v1/notifications/unread_count", params={"limit": 1}, headers=bearer(alice)
    )
    assert capped.json() == {"count": 1}
    newest = (await notes(px, alice))[1]["id"]  # the second favourite
    r = await px.client.post(
        "/api/v1/markers",
        data={"notifications[last_read_id]": newest, "home[last_read_id]": s["id"]},
        headers=bearer(alice),
    )
    assert r.status_code == 200, r.text
    assert r.json()["notifications"]["last_read_id"] == newest
    assert r.json()["notifications"]["version"] == 0
    assert r.json()["home"]["last_read_id"] == s["id"]
    assert (await px.client.get("/api/v1/notifications/unread_count", headers=bearer(alice))).json() == {
        "count": 1
    }
    assert (await px.client.get("/api/v2/notifications/unread_count", headers=bearer(alice))).json() == {
        "count": 1
    }
    again = await px.client.post(
        "/api/v1/markers", json={"notifications": {"last_read_id": newest}}, headers=bearer(alice)
    )
    assert again.json()["notifications"]["version"] == 1
    both = await px.client.get(
        "/api/v1/markers",
        params=[("timeline[]", "home"), ("timeline[]", "notifications")],
        headers=bearer(alice),
    )
    assert set(both.json()) == {"home", "notifications"}
    assert all(m["updated_at"].endswith("Z") for m in both.json().values())
    bad = await px.client.post("/api/v1/markers", data={"home[last_read_id]": "abc"}, headers=bearer(alice))
    assert bad.status_code == 422
    assert alice_id


async def test_notification_scopes(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, reader = await px.user("bob", scopes="read:notifications")
    assert (await px.client.get("/api/v1/notifications")).status_code == 401
    assert (await px.client.get("/api/v1/notifications", headers=bearer(reader))).status_code == 200
    assert (await px.client.get("/api/v2/notifications", headers=bearer(reader))).status_code == 200
    assert (await px.client.post("/api/v1/notifications/clear", headers=bearer(reader))).status_code == 403
    assert (await px.client.get("/api/v1/markers", headers=bearer(reader))).status_code == 403
    assert (await px.client.get("/api/v1/notifications/abc", headers=bearer(alice))).status_code == 404
    r = await px.client.get("/api/v1/notifications", params={"types[]": "a\x00"}, headers=bearer(alice))
    assert r.status_code == 400
    r = await px.client.get("/api/v1/notifications", params={"limit": "many"}, headers=bearer(alice))
    assert r.status_code == 422


@contextmanager
def counting(px: Instance) -> Iterator[list[str]]:
    """Every SQL statement the app runs meanwhile: through SQLAlchemy, and those of the hot
    read path that go to asyncpg directly (``Prepared``), which SQLAlchemy's events never see."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    run = Prepared.rows

    async def rows(self: Prepared, connection: Any, params: dict[str, Any]) -> Any:
        if self._compile(connection.dialect) is not None:  # not through SQLAlchemy: count it here
            seen.append(str(self.statement))
        return await run(self, connection, params)

    db = px.rt.db
    engines = {db.read_engine.sync_engine, db.write_engine.sync_engine, db.hot_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    Prepared.rows = rows  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Prepared.rows = run  # type: ignore[method-assign]
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


async def test_a_page_costs_the_same_number_of_queries_however_long(start: Any) -> None:
    # Without the background workers, whose polling would be counted too.
    async with start(background=False) as px:
        await _measure(px)


async def _measure(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    s = await px.post(alice, status="x")
    costs: dict[str, list[int]] = {}
    for n in range(4):
        _, fan = await px.user(f"fan{n}")
        await px.client.post(f"/api/v1/accounts/{alice_id}/follow", headers=bearer(fan))
        await px.client.post(f"/api/v1/statuses/{s['id']}/favourite", headers=bearer(fan))
        await px.post(fan, status=f"@alice {n}")
        if n in (0, 3):
            for path in ("/api/v1/notifications", "/api/v2/notifications"):
                await px.client.get(path, headers=bearer(alice))  # the token is cached from here on
                # Cold: every status and account rendered anew; warm: all of them kept.
                for read in ("cold", "warm"):
                    if read == "cold":
                        await px.rt.renders.clear()
                    with counting(px) as seen:
                        r = await px.client.get(path, headers=bearer(alice))
                    assert r.status_code == 200 and len(r.json()) > 0
                    costs.setdefault(f"{path} {read}", []).append(len(seen))
    for path in ("/api/v1/notifications", "/api/v2/notifications"):
        cold, warm = costs[f"{path} cold"], costs[f"{path} warm"]
        assert cold[0] == cold[1] > warm[0] == warm[1] > 0, (path, cold, warm)
