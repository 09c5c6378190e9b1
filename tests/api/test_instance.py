"""What clients read first: the instance documents, NodeInfo, rules, emojis, health."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Instance


async def test_v2_instance_reports_what_clients_gate_features_on(px: Instance) -> None:
    r = await px.client.get("/api/v2/instance")
    assert r.status_code == 200
    doc = r.json()
    assert re.fullmatch(r"4\.3\.0 \(compatible; Pixie \d+\.\d+\.\d+\)", doc["version"])
    assert doc["api_versions"] == {"mastodon": 2}
    assert doc["domain"] == "pixie.test"
    assert doc["configuration"]["statuses"]["max_characters"] == 500
    assert doc["configuration"]["statuses"]["characters_reserved_per_url"] == 23
    assert doc["configuration"]["urls"]["streaming"] == "wss://pixie.test"
    assert doc["registrations"]["enabled"] is False  # invite-only by default
    assert doc["pixie"]["registrations"] == "invite"


async def test_v1_instance_and_limits_follow_settings(start: Any) -> None:
    async with start(registrations="approval", max_characters=1000, instance_rules="Be kind|No spam") as px:
        doc = (await px.client.get("/api/v1/instance")).json()
        assert doc["configuration"]["statuses"]["max_characters"] == 1000
        assert doc["registrations"] is True and doc["approval_required"] is True
        assert doc["uri"] == "pixie.test"
        assert doc["urls"]["streaming_api"] == "wss://pixie.test"
        rules = (await px.client.get("/api/v1/instance/rules")).json()
        assert [r["text"] for r in rules] == ["Be kind", "No spam"]
        assert (await px.client.get("/api/v2/instance")).json()["rules"] == rules


async def test_contact_account_is_the_first_admin(px: Instance) -> None:
    await px.user("root_admin", admin=True)
    doc = (await px.client.get("/api/v2/instance")).json()
    assert doc["contact"]["account"]["username"] == "root_admin"
    assert (await px.client.get("/api/v1/instance")).json()["stats"]["user_count"] == 1


async def test_nodeinfo_names_the_software(px: Instance) -> None:
    links = (await px.client.get("/.well-known/nodeinfo")).json()["links"]
    assert links[0]["href"] == "https://pixie.test/nodeinfo/2.1"
    info = (await px.client.get("/nodeinfo/2.1")).json()
    assert info["software"]["name"] == "pixie"
    assert info["version"] == "2.1"
    # 2.0 beside it, for software that reads no other version.
    assert links[1]["href"] == "https://pixie.test/nodeinfo/2.0"
    older = (await px.client.get("/nodeinfo/2.0")).json()
    assert older["version"] == "2.0"
    assert older["software"] == {"name": "pixie", "version": info["software"]["version"]}
    assert older["usage"] == info["usage"]


async def test_custom_emojis_and_health(px: Instance) -> None:
    assert (await px.client.get("/api/v1/custom_emojis")).json() == []
    health = (await px.client.get("/health")).json()
    assert health["status"] == "ok"
    assert health["database"] == "ok"
    assert health["redis"] == ("ok" if px.backend.name == "production" else None)


async def test_openapi_lists_every_route(px: Instance) -> None:
    from pixie.app import api_routes

    doc = (await px.client.get("/openapi.json")).json()
    routes = api_routes()
    assert len(routes) > 20
    for route in routes:
        for method in route.methods or ():
            assert method.lower() in doc["paths"][route.path_format], (method, route.path)
    register = doc["paths"]["/api/v1/accounts"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RegisterRequest"
    )
    assert "invite_code" in doc["components"]["schemas"]["RegisterRequest"]["properties"]
