"""One parser for every way Mastodon clients send parameters.

Query strings, urlencoded forms, multipart and JSON bodies, with Rails-style bracket keys
(``media_ids[]``, ``source[privacy]``, ``fields_attributes[0][name]``), all end up as one nested
dict and are validated into a typed request model. Unknown parameters are ignored, as Mastodon
ignores them. Booleans may be ``1``/``0``/``true``/``false``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from pixie.errors import BadRequest, Invalid, PixieError

M = TypeVar("M", bound=BaseModel)
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")


def _assign(target: dict[str, Any], key: str, value: Any) -> None:
    match = _KEY.match(key)
    if not match:
        target[key] = value
        return
    path = [match.group(1), *_PART.findall(match.group(2))]
    node: Any = target
    for i, part in enumerate(path):
        last = i == len(path) - 1
        nxt = None if last else path[i + 1]
        if part == "":
            # "x[]": append to a list (the parent made it one)
            if not isinstance(node, list):
                return
            if last:
                node.append(value)
                return
            # "x[][k]" fills the last hash until it already has a "k", as Rails reads it:
            # keywords_attributes[][keyword]=a&keywords_attributes[][whole_word]=1 is one hash.
            if not (node and isinstance(node[-1], dict) and nxt is not None and nxt not in node[-1]):
                node.append({})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            return
        if last:
            node[part] = value
        else:
            default: Any = [] if nxt == "" else {}
            if not isinstance(node.get(part), type(default)):
                node[part] = default
            node = node[part]


def nest(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """[("a[b]", 1), ("c[]", 2), ("c[]", 3)] -> {"a": {"b": 1}, "c": [2, 3]}"""
    result: dict[str, Any] = {}
    for key, value in pairs:
        _assign(result, key, value)
    return result


def refuse_nul(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """No text a client sends may hold a NUL character: databases refuse it (PostgreSQL does),
    and nothing legitimate needs it."""
    for key, value in pairs:
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            raise BadRequest("Parameters may not contain NUL characters")
    return pairs


def _json_pairs(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every string in a JSON document, flattened, for the NUL check."""
    if isinstance(data, dict):
        return [pair for key, value in data.items() for pair in _json_pairs(value, prefix + str(key))]
    if isinstance(data, list):
        return [pair for value in data for pair in _json_pairs(value, prefix)]
    return [(prefix, data)]


async def read_params(request: Request, *, limit: int) -> dict[str, Any]:
    params = nest(refuse_nul(list(request.query_params.multi_items())))
    if request.method in ("GET", "HEAD", "DELETE") and not request.headers.get("content-length"):
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        body = await request.body()
        if not body.strip():
            return params
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"The request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise BadRequest("The request body must be a JSON object")
        refuse_nul(_json_pairs(data))
        # JSON may still use bracket keys ("source[privacy]"); read them the same way.
        params.update(nest(list(data.items())))
        return params
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form(max_files=limit, max_fields=1000)
        except PixieError:
            raise  # the body grew past its limit while it streamed in
        except Exception as exc:  # the multipart parser's own errors
            raise BadRequest(f"The form data could not be read: {exc}") from None
        items: list[tuple[str, Any]] = []
        for key, value in form.multi_items():
            items.append((key, value if isinstance(value, UploadFile) else str(value)))
        params.update(nest(refuse_nul(items)))
    return params


def validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "body"
            problems.append(f"{where}: {err['msg']}")
        raise Invalid("Validation failed: " + "; ".join(problems)) from None


def params(model: type[M], *, max_files: int = 8) -> Callable[[Request], Awaitable[M]]:
    """A FastAPI dependency reading ``model`` from wherever the client put it."""

    async def dependency(request: Request) -> M:
        return validate(model, await read_params(request, limit=max_files))

    dependency.__pixie_model__ = model  # type: ignore[attr-defined]
    return dependency


# Request models named in the OpenAPI document; app.py adds their schemas to its components.
REQUEST_MODELS: dict[str, type[BaseModel]] = {}


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the request body in JSON and form encodings."""
    REQUEST_MODELS[model.__name__] = model
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": ref},
                "application/x-www-form-urlencoded": {"schema": ref},
                "multipart/form-data": {"schema": ref},
            },
        },
    }


def upload_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as a multipart upload."""
    REQUEST_MODELS[model.__name__] = model
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": ref}}}}


def query_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a flat ``model`` as query parameters."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return {
        "parameters": [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]
    }
