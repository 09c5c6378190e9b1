"""Small pieces the routers share."""

from __future__ import annotations

from typing import Any

from pixie.api.schemas import Error, as_id
from pixie.errors import NotFound


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documents the error answers a route gives, all in Mastodon's error shape."""
    return {code: {"model": Error} for code in (*codes, 429)}


def html_page(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documents an HTML page and the statuses it is answered with."""
    page = {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "An HTML page"}
    documented: dict[int | str, dict[str, Any]] = {code: page for code in (200, *codes)}
    documented[429] = {"model": Error}
    return documented


def parse_id(raw: str) -> int:
    """An id from a URL: anything that is not one of Pixie's 64-bit ids is a record not found."""
    found = as_id(raw)
    if found is None:
        raise NotFound()
    return found
