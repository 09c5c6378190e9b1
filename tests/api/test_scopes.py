"""Every route declares who may call it, and scopes mean what Mastodon says they mean."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from pixie.api.deps import Auth
from pixie.app import api_routes
from pixie.services import scopes


def declared_auth(route: APIRoute) -> list[Auth]:
    return [dep.call for dep in route.dependant.dependencies if isinstance(dep.call, Auth)]


def test_every_route_declares_its_scope_or_that_it_is_public() -> None:
    routes = api_routes()
    assert len(routes) > 20
    undeclared = [f"{sorted(r.methods or ())} {r.path}" for r in routes if len(declared_auth(r)) != 1]
    assert undeclared == [], "routes without exactly one Auth(...) dependency"


def test_writes_to_the_account_need_a_write_scope() -> None:
    for route in api_routes():
        if route.path.startswith("/api/") and (route.methods or set()) & {"PATCH", "PUT", "DELETE"}:
            [auth] = declared_auth(route)
            assert auth.scopes and all(s.startswith("write") for s in auth.scopes), route.path


@pytest.mark.parametrize(
    ("granted", "required", "allowed"),
    [
        ({"read"}, "read:accounts", True),
        ({"read:accounts"}, "read:accounts", True),
        ({"read:statuses"}, "read:accounts", False),
        ({"write"}, "read:accounts", False),
        ({"follow"}, "write:follows", True),
        ({"follow"}, "write:statuses", False),
        ({"admin:read"}, "admin:read:accounts", True),
        ({"admin:write:reports"}, "admin:write:accounts", False),
        ({"read:accounts"}, "profile", True),
        ({"profile"}, "read:accounts", False),
    ],
)
def test_scope_coverage(granted: set[str], required: str, allowed: bool) -> None:
    assert scopes.covers(frozenset(granted), required) is allowed


def test_unknown_scopes_are_refused() -> None:
    from pixie.errors import Invalid

    with pytest.raises(Invalid):
        scopes.parse("read everything")
    assert scopes.parse("read+write") == frozenset({"read", "write"})
    assert scopes.parse(None) == frozenset({"read"})


def test_every_scope_has_words_for_the_consent_page() -> None:
    for scope in scopes.ALL_SCOPES:
        words = scopes.describe(scope)
        assert " " in words and words != scope, scope
    assert scopes.describe("write:media") == "upload images as you"


async def test_the_token_cache_does_not_keep_a_read_older_than_an_invalidation() -> None:
    from pixie.services.oauth import ACTIVE, Principal, TokenCache

    cache = TokenCache(ttl_seconds=60)
    principal = Principal(1, "h", 1, 1, frozenset({"read"}), ACTIVE, False, None)
    started = cache.generation  # a look-up starts reading the database...
    await cache.on_message("t:h")  # ...the token is revoked meanwhile...
    cache.put(principal, read_at_generation=started)  # ...and the stale read comes back
    assert cache.get("h") is None
    cache.put(principal, read_at_generation=cache.generation)
    assert cache.get("h") == principal
