"""Small pieces the routers share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pixie.api.schemas import Error, as_id
from pixie.errors import Invalid, NotFound


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


def parse_time(raw: str, field: str) -> datetime:
    """An ISO 8601 date-time a client sent (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid(f"Validation failed: {field} is not a valid date-time") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # the year 1 or 9999 moved past the calendar's ends
        raise Invalid(f"Validation failed: {field} is not a valid date-time") from None
