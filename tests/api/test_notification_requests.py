"""The notification policy and its requests (Mastodon 4.3): what it holds back stays out of the
notifications, the unread count and the stream until the recipient accepts it."""

from __future__ import annotations

from typing import Any

from tests.conftest import Instance, bearer
from tests.streaming import served, sse


async def get(px: Instance, token: str, path: str, **params: Any) -> Any:
    r = await px.client.get(path, params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


async def set_policy(px: Instance, token: str, **rules: str) -> dict[str, Any]:
    r = await px.client.patch("/api/v2/notifications/policy", data=rules, headers=bearer(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def favourite(px: Instance, token: str, status_id: str) -> None:
    r = await px.client.post(f"/api/v1/statuses/{status_id}/favourite", headers=bearer(token))
    assert r.status_code == 200, r.text


async def test_unsolicited_private_mentions_wait_in_a_request_by_default(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    policy = await get(px, alice, "/api/v2/notifications/policy")
    assert {k: v for k, v in policy.items() if k != "summary"} == {
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "filter",
        "for_limited_accounts": "filter",
    }
    async with served(px) as url, sse(url, "/api/v1/streaming/user/notification", alice) as stream:
        secret = await px.post(bob, status="@alice psst", visibility="direct")
        public = await px.post(bob, status="@alice hello in public")
        shown = await stream.wait_for("notification")
        assert shown.json()["status"]["id"] == public["id"]
        assert len(stream.named("notification")) == 1  # the held-back one never came
    notes = await get(px, alice, "/api/v1/notifications")
    assert [n["status"]["id"] for n in notes] == [public["id"]]
    assert (await get(px, alice, "/api/v1/notifications/unread_count"))["count"] == 1
    assert [g["type"] for g in (await get(px, alice, "/api/v2/notifications"))["notification_groups"]] == [
        "mention"
    ]
    [request] = await get(px, alice, "/api/v1/notifications/requests")
    assert request["account"]["id"] == str(bob_id)
    assert request["notifications_count"] == "1"
    assert request["last_status"]["id"] == secret["id"]
    summary = (await get(px, alice, "/api/v2/notifications/policy"))["summary"]
    assert summary == {"pending_requests_count": 1, "pending_notifications_count": 1}
    held = await get(px, alice, "/api/v1/notifications", include_filtered="true", account_id=str(bob_id))
    assert sorted(n["status"]["id"] for n in held) == sorted([secret["id"], public["id"]])
    # A private answer to alice's own post is no unsolicited mention.
    mine = await px.post(alice, status="@bob what do you think?", visibility="direct")
    answer = await px.post(bob, status="@alice I agree", visibility="direct", in_reply_to_id=mine["id"])
    assert answer["id"] in [n["status"]["id"] for n in await get(px, alice, "/api/v1/notifications")]


async def test_accepting_a_request_merges_it_and_lets_the_sender_through(px: Instance) -> None:
    _, alice = await px.user("alice")
    carol_id, carol = await px.user("carol")
    dave_id, dave = await px.user("dave")
    await px.follow(alice, dave_id)
    policy = await set_policy(px, alice, for_not_following="filter")
    assert policy["for_not_following"] == "filter"
    first, second = await px.post(alice, status="one"), await px.post(alice, status="two")
    await favourite(px, carol, first["id"])  # not followed: held back
    await favourite(px, carol, second["id"])
    await favourite(px, dave, first["id"])  # followed: shown
    notes = await get(px, alice, "/api/v1/notifications")
    assert [n["account"]["id"] for n in notes] == [str(dave_id)]
    [request] = await get(px, alice, "/api/v1/notifications/requests")
    assert request["notifications_count"] == "2"
    async with served(px) as url, sse(url, "/api/v1/streaming/user", alice) as stream:
        r = await px.client.post(
            f"/api/v1/notifications/requests/{request['id']}/accept", headers=bearer(alice)
        )
        assert r.status_code == 200 and r.json() == {}
        await stream.wait_for("notifications_merged")
    assert (await get(px, alice, "/api/v1/notifications/requests/merged")) == {"merged": True}
    notes = await get(px, alice, "/api/v1/notifications")
    assert sorted(n["account"]["id"] for n in notes) == sorted([str(carol_id)] * 2 + [str(dave_id)])
    assert await get(px, alice, "/api/v1/notifications/requests") == []
    third = await px.post(alice, status="three")
    await favourite(px, carol, third["id"])  # accepted once: let through from now on
    assert (await get(px, alice, "/api/v1/notifications"))[0]["status"]["id"] == third["id"]


async def test_dismissing_drops_what_the_request_held_and_drop_keeps_nothing(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, carol = await px.user("carol")
    _, erin = await px.user("erin")
    _, frank = await px.user("frank")
    await set_policy(px, alice, for_not_followers="filter")
    post = await px.post(alice, status="like me")
    await favourite(px, carol, post["id"])
    await favourite(px, erin, post["id"])
    requests = await get(px, alice, "/api/v1/notifications/requests")
    assert len(requests) == 2
    # Someone else's requests are not found, one by one or in a batch.
    _, bob = await px.user("bob")
    r = await px.client.post(
        f"/api/v1/notifications/requests/{requests[0]['id']}/dismiss", headers=bearer(bob)
    )
    assert r.status_code == 404
    r = await px.client.post(
        "/api/v1/notifications/requests/dismiss",
        data={"id[]": [q["id"] for q in requests]},
        headers=bearer(bob),
    )
    assert r.status_code == 200
    assert len(await get(px, alice, "/api/v1/notifications/requests")) == 2
    r = await px.client.post(
        "/api/v1/notifications/requests/dismiss",
        data={"id[]": [q["id"] for q in requests]},
        headers=bearer(alice),
    )
    assert r.status_code == 200
    assert await get(px, alice, "/api/v1/notifications/requests") == []
    assert await get(px, alice, "/api/v1/notifications", include_filtered="true") == []
    # drop: nothing is kept at all, not even a request.
    await set_policy(px, alice, for_new_accounts="drop")  # every account here is new
    await favourite(px, frank, post["id"])
    assert await get(px, alice, "/api/v1/notifications", include_filtered="true") == []
    assert await get(px, alice, "/api/v1/notifications/requests") == []
    r = await px.client.patch(
        "/api/v2/notifications/policy", data={"for_new_accounts": "maybe"}, headers=bearer(alice)
    )
    assert r.status_code == 422
    assert "error" in r.json()
