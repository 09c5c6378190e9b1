from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse, Response


class JSON(JSONResponse):
    """orjson straight to bytes: feeds never go through FastAPI's jsonable_encoder."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class RawJSON(Response):
    """A body already encoded as JSON (timeline pages assembled from cached renderings)."""

    media_type = "application/json"


def error(
    status_code: int,
    message: str,
    *,
    description: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSON:
    body: dict[str, Any] = {"error": message}
    if description:
        body["error_description"] = description
    body.update(extra)
    return JSON(body, status_code=status_code, headers=headers)
