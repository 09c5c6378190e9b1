"""Reports to the moderators: what may be reported, and what is refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pixie.models.reports import Report
from tests.api.test_golden import check_shape
from tests.conftest import Instance, bearer


async def test_a_report_is_stored_for_moderators(start: Any) -> None:
    async with start(instance_rules="Be kind|No spam") as px:
        alice_id, alice = await px.user("alice")
        _, bob = await px.user("bob")
        first = await px.post(alice, status="buy now")
        second = await px.post(alice, status="really, buy now")
        r = await px.client.post(
            "/api/v1/reports",
            json={
                "account_id": str(alice_id),
                "status_ids": [first["id"], second["id"]],
                "rule_ids": ["2"],
                "comment": "spam in every post",
            },
            headers=bearer(bob),
        )
        assert r.status_code == 200, r.text
        report = r.json()
        assert check_shape("Report", report) == []
        assert report["category"] == "violation" and report["rule_ids"] == ["2"]
        assert report["status_ids"] == [first["id"], second["id"]]
        assert report["target_account"]["username"] == "alice"
        assert (report["action_taken"], report["forwarded"]) == (False, False)
        async with px.rt.db.read() as session:
            stored = await session.scalar(select(Report).where(Report.id == int(report["id"])))
        assert stored is not None and stored.comment == "spam in every post"
        plain = await px.client.post(
            "/api/v1/reports", data={"account_id": str(alice_id), "category": "spam"}, headers=bearer(bob)
        )
        assert plain.status_code == 200 and plain.json()["status_ids"] == []


async def test_bad_reports_are_refused(px: Instance) -> None:
    alice_id, alice = await px.user("alice")
    bob_id, bob = await px.user("bob")
    _, carol = await px.user("carol")
    hidden = await px.post(alice, status="only for @carol", visibility="direct")
    bobs = await px.post(bob, status="bob's own")

    async def report(token: str | None, **data: Any) -> int:
        headers = bearer(token) if token else {}
        return (await px.client.post("/api/v1/reports", json=data, headers=headers)).status_code

    assert await report(None, account_id=str(alice_id)) == 401
    assert await report(bob, account_id="99999999") == 404
    assert await report(bob, account_id="not-an-id") == 404
    assert await report(bob) == 422  # no account
    assert await report(bob, account_id=str(bob_id)) == 422  # oneself
    assert await report(bob, account_id=str(alice_id), category="rude") == 422
    assert await report(bob, account_id=str(alice_id), category="violation", rule_ids=["7"]) == 422
    assert await report(bob, account_id=str(alice_id), comment="x" * 1001) == 422
    # A post of someone else, or one the reporter may not see, is answered as if it did not exist.
    assert await report(carol, account_id=str(alice_id), status_ids=[bobs["id"]]) == 422
    assert await report(bob, account_id=str(alice_id), status_ids=[hidden["id"]]) == 422
    assert await report(carol, account_id=str(alice_id), status_ids=[hidden["id"]]) == 200
    _, reader = await px.user("dave", scopes="read")
    assert await report(reader, account_id=str(alice_id)) == 403
