"""Bad input on every API endpoint: malformed and unknown ids, broken and wrong-typed bodies,
NUL characters and absurd numbers. Each must get a Mastodon-shaped error with a 4xx status (or be
accepted as harmless), never a server error."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel

from pixie.app import api_routes
from tests.conftest import Instance, bearer

ALLOWED_ERRORS = {400, 401, 403, 404, 409, 413, 422, 429}
ACCEPTED = {200, 202, 206}
_PARAM = re.compile(r"\{([^}:]+)(?::path)?\}")


def _api_routes() -> list[tuple[str, str, APIRoute]]:
    found = []
    for route in api_routes():
        if not route.path.startswith("/api/"):
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path, route))
    return found


def _request_model(route: APIRoute) -> type[BaseModel] | None:
    for dependency in route.dependant.dependencies:
        model = getattr(dependency.call, "__pixie_model__", None)
        if model is not None:
            return model  # type: ignore[no-any-return]
    return None


def _fill(path: str, value: str) -> str:
    return _PARAM.sub(value, path)


def _check(method: str, url: str, r: Any, what: str) -> None:
    where = f"{method} {url} with {what}"
    assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:300]}"
    assert r.status_code in ALLOWED_ERRORS | ACCEPTED, f"{where}: {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        body = r.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], where


async def test_every_endpoint_answers_bad_input_with_a_clear_error(px: Instance) -> None:
    _, token = await px.user("alice", scopes="read write follow push")
    headers = bearer(token)
    routes = _api_routes()
    assert len(routes) > 60
    # The request models are found (so wrong-typed bodies really name each endpoint's parameters).
    assert sum(1 for _, _, route in routes if _request_model(route) is not None) > 30
    for method, path, route in routes:
        model = _request_model(route)
        fields = list(model.model_fields) if model is not None else []
        for ident in ("not-an-id", "99999999999999999", "-1", "1e9", "%2e%2e"):
            url = _fill(path, ident)
            r = await px.client.request(method, url, headers=headers)
            _check(method, url, r, f"id {ident!r}")
        url = _fill(path, "99999999999999999")
        # Every known parameter with the wrong type, in JSON.
        wrong = {name: {"nested": ["not", "what", "was", "asked"]} for name in fields}
        if method in ("POST", "PUT", "PATCH"):
            r = await px.client.request(method, url, json=wrong, headers=headers)
            _check(method, url, r, "wrong-typed JSON")
            r = await px.client.request(
                method,
                url,
                content=b'{"status": "unterminated',
                headers=headers | {"content-type": "application/json"},
            )
            _check(method, url, r, "broken JSON")
            r = await px.client.request(
                method, url, data={name: "\x00" for name in fields} or {"x": "\x00"}, headers=headers
            )
            _check(method, url, r, "NUL characters")
        # Absurd numbers and wrong types in the query string.
        query = {"limit": "99999999999999999999999", "max_id": "nope", "since_id": "-5", "offset": "-1"}
        r = await px.client.request(method, url, params=query, headers=headers)
        _check(method, url, r, "absurd query values")
        r = await px.client.request(
            method, url, params={name: "\x00" for name in fields[:5]} or {"q": "\x00"}, headers=headers
        )
        _check(method, url, r, "NUL in the query")
