"""The bytes of a stream event on each transport, as Mastodon's streaming server writes them."""

from __future__ import annotations

import orjson

# Server-sent events: a comment on connect, another every 15 s.
SSE_HELLO = b":)\n"
SSE_HEARTBEAT = b":thump\n"


def sse(event: str, payload: str | None) -> bytes:
    """``event:`` and ``data:`` lines, each ending in a bare newline, then a blank line. An event
    without a payload says ``undefined``, as Mastodon's server writes it."""
    data = payload if payload is not None else "undefined"
    return f"event: {event}\ndata: {data}\n\n".encode()


def websocket(label: list[str], event: str, payload: str | None) -> str:
    """A WebSocket message: the payload is the entity as a JSON string (clients parse it twice),
    left out when the event has none."""
    message: dict[str, object] = {"stream": label, "event": event}
    if payload is not None:
        message["payload"] = payload
    return orjson.dumps(message).decode()


def websocket_error(error: str, status: int, label: list[str] | None = None) -> str:
    message: dict[str, object] = {"error": error, "status": status}
    if label is not None:
        message["stream"] = label
    return orjson.dumps(message).decode()
