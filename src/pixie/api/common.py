"""Small pieces the routers share."""

from __future__ import annotations

from typing import Any

from pixie.api.schemas import Error


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documents the error answers a route gives, all in Mastodon's error shape."""
    return {code: {"model": Error} for code in (*codes, 429)}
