"""Entity shapes pinned to Mastodon's documented entities (tests/golden/, from the Mastodon docs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Instance, bearer

GOLDEN = Path(__file__).parent.parent / "golden"
JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "null": type(None),
    "object": dict,
    "array": list,
    "number": (int, float),
}


def values_at(document: Any, path: str) -> list[Any]:
    """Every value at a dotted path; "x[]" steps into each item of an array."""
    found = [document]
    for part in path.split("."):
        step: list[Any] = []
        is_items = part.endswith("[]")
        key = part[:-2] if is_items else part
        for node in found:
            if not isinstance(node, dict) or key not in node or node[key] is None:
                continue
            value = node[key]
            if is_items:
                step.extend(value if isinstance(value, list) else [])
            else:
                step.append(value)
        found = step
    return found


def missing_required(document: Any, path: str) -> bool:
    """A required attribute is missing only where its parent is present."""
    *parents, last = path.split(".")
    holders = values_at(document, ".".join(parents)) if parents else [document]
    key = last[:-2] if last.endswith("[]") else last
    return any(isinstance(h, dict) and key not in h for h in holders)


def check_shape(entity: str, document: Any) -> list[str]:
    spec: dict[str, dict[str, Any]] = json.loads((GOLDEN / f"{entity}.json").read_text())
    problems = []
    for path, rule in spec.items():
        types = rule["type"] if isinstance(rule["type"], list) else [rule["type"]]
        allowed: tuple[type, ...] = ()
        for name in types:
            found = JSON_TYPES[name]
            allowed += found if isinstance(found, tuple) else (found,)
        if path.endswith("[]"):
            values = values_at(document, path)
        else:
            if rule["required"] and missing_required(document, path):
                problems.append(f"{path}: missing")
                continue
            values = values_at(document, path)
            if "null" in types and not values and not missing_required(document, path):
                continue
        for value in values:
            if isinstance(value, bool) and bool not in allowed:
                problems.append(f"{path}: {value!r} is a boolean, documented {types}")
            elif not isinstance(value, allowed):
                problems.append(f"{path}: {type(value).__name__} {value!r:.40}, documented {types}")
    return problems


async def test_account_entities(px: Instance) -> None:
    account_id, token = await px.user("alice", admin=True)
    await px.client.patch(
        "/api/v1/accounts/update_credentials",
        data={"fields_attributes[0][name]": "a", "fields_attributes[0][value]": "b"},
        headers=bearer(token),
    )
    me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).json()
    assert check_shape("CredentialAccount", me) == []
    public = (await px.client.get(f"/api/v1/accounts/{account_id}")).json()
    assert check_shape("Account", public) == []
    assert (
        check_shape("Preferences", (await px.client.get("/api/v1/preferences", headers=bearer(token))).json())
        == []
    )


async def test_application_and_token_entities(px: Instance) -> None:
    app = await px.app_credentials()
    assert check_shape("CredentialApplication", app) == []
    r = await px.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )
    assert check_shape("Token", r.json()) == []
    verified = await px.client.get(
        "/api/v1/apps/verify_credentials", headers=bearer(r.json()["access_token"])
    )
    assert check_shape("Application", verified.json()) == []


@pytest.mark.parametrize(
    ("path", "entity"), [("/api/v2/instance", "Instance"), ("/api/v1/instance", "V1_Instance")]
)
async def test_instance_entities(start: Any, path: str, entity: str) -> None:
    async with start(instance_rules="Be kind", contact_email="admin@pixie.test") as px:
        await px.user("owner", admin=True)
        assert check_shape(entity, (await px.client.get(path)).json()) == []


async def test_rule_and_error_entities(start: Any) -> None:
    async with start(instance_rules="Be kind") as px:
        for rule in (await px.client.get("/api/v1/instance/rules")).json():
            assert check_shape("Rule", rule) == []
        assert check_shape("Error", (await px.client.get("/api/v1/accounts/1")).json()) == []


def test_the_shape_check_catches_a_wrong_type() -> None:
    assert (
        check_shape(
            "Token",
            {"access_token": "a", "token_type": "Bearer", "scope": "read", "created_at": "2024-01-01"},
        )
        != []
    )
    assert check_shape("Rule", {"id": "1", "text": "x"}) == ["hint: missing"]


async def test_status_entities(px: Instance) -> None:
    _, alice = await px.user("alice")
    await px.user("bob")
    r = await px.client.post(
        "/api/v1/statuses",
        data={"status": "hi @bob #art https://example.com", "spoiler_text": "cw", "language": "en"},
        headers=bearer(alice),
    )
    status = r.json()
    assert check_shape("Status", status) == []
    assert check_shape("Account", status["account"]) == []
    for mention in status["mentions"]:
        assert check_shape("StatusMention", mention) == []
    for tag in status["tags"]:
        assert check_shape("StatusTag", tag) == []
    deleted = (await px.client.delete(f"/api/v1/statuses/{status['id']}", headers=bearer(alice))).json()
    assert check_shape("Status", deleted) == []


async def test_relationship_entity(px: Instance) -> None:
    _, alice = await px.user("alice")
    bob_id, _ = await px.user("bob")
    r = await px.client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(alice))
    assert check_shape("Relationship", r.json()) == []


async def test_context_and_source_entities(px: Instance) -> None:
    _, alice = await px.user("alice")
    root = (await px.client.post("/api/v1/statuses", data={"status": "root"}, headers=bearer(alice))).json()
    await px.client.post(
        "/api/v1/statuses", data={"status": "r", "in_reply_to_id": root["id"]}, headers=bearer(alice)
    )
    ctx = (await px.client.get(f"/api/v1/statuses/{root['id']}/context")).json()
    assert check_shape("Context", ctx) == []
    source = (await px.client.get(f"/api/v1/statuses/{root['id']}/source", headers=bearer(alice))).json()
    assert check_shape("StatusSource", source) == []


async def test_reblog_poll_edit_and_scheduled_entities(px: Instance) -> None:
    _, alice = await px.user("alice")
    _, bob = await px.user("bob")
    status = (
        await px.client.post(
            "/api/v1/statuses",
            data={"status": "vote", "poll[options][]": ["a", "b"], "poll[expires_in]": "600"},
            headers=bearer(alice),
        )
    ).json()
    assert check_shape("Poll", status["poll"]) == []
    voted = await px.client.post(
        f"/api/v1/polls/{status['poll']['id']}/votes", data={"choices[]": "0"}, headers=bearer(bob)
    )
    assert check_shape("Poll", voted.json()) == []
    assert check_shape("Poll", (await px.client.get(f"/api/v1/polls/{status['poll']['id']}")).json()) == []
    reblog = (await px.client.post(f"/api/v1/statuses/{status['id']}/reblog", headers=bearer(bob))).json()
    assert check_shape("Status", reblog) == []
    assert check_shape("Status", reblog["reblog"]) == []
    await px.client.put(f"/api/v1/statuses/{status['id']}", data={"status": "edited"}, headers=bearer(alice))
    for version in (await px.client.get(f"/api/v1/statuses/{status['id']}/history")).json():
        assert check_shape("StatusEdit", version) == []
        assert check_shape("Account", version["account"]) == []
    when = "2999-01-01T12:00:00Z"
    for data in (
        {"status": "later", "scheduled_at": when},
        {"status": "poll", "scheduled_at": when, "poll[options][]": ["a", "b"], "poll[expires_in]": "600"},
    ):
        entity = (await px.client.post("/api/v1/statuses", data=data, headers=bearer(alice))).json()
        assert check_shape("ScheduledStatus", entity) == []
