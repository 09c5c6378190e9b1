"""Mastodon's streaming API: server-sent events under /api/v1/streaming/..., and one WebSocket at
/api/v1/streaming that carries several streams.

Streaming is served as plain ASGI in front of the rest of the app: a connection lives for hours,
and every layer it passes through stays in memory for as long, so it passes through none. Each
connection is one coroutine that writes what the hub queued for it, and one that watches the
client (a disconnect, or WebSocket subscribe and unsubscribe messages).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from pixie.api.middleware import send_error
from pixie.errors import PixieError, Unauthorized
from pixie.infra.runtime import Runtime
from pixie.realtime import frames, streams
from pixie.realtime.connections import Closed, Connection, Transport
from pixie.realtime.hub import Hub
from pixie.realtime.streams import Stream
from pixie.services import oauth
from pixie.services.oauth import Principal, TokenCache

log = logging.getLogger("pixie.streaming")

PREFIX = "/api/v1/streaming"
_STATE_ERRORS = {
    oauth.SUSPENDED: "Your login is currently disabled",
    oauth.UNCONFIRMED: "Your login is missing a confirmed e-mail address",
    oauth.PENDING: "Your login is currently pending approval",
}
_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"private, no-store"),
    (b"x-accel-buffering", b"no"),  # proxies must pass events on at once
    (b"access-control-allow-origin", b"*"),
]
# WebSocket close codes: unsupported data (a binary frame), policy (a revoked token), going away.
_CLOSE_CODES: dict[Closed | None, int] = {
    Closed.REVOKED: 1008,
    Closed.SHUTDOWN: 1001,
    Closed.UNSUPPORTED: 1003,
}
MAX_CLIENT_MESSAGE = 4096
# How Uvicorn serves WebSockets here: a ping every 30 s (a client that does not answer within
# 30 s is gone), and no per-message compression, whose zlib state would cost some 30 KB per idle
# connection for payloads that are small anyway.
SERVER_OPTIONS: dict[str, Any] = {
    "ws_ping_interval": 30.0,
    "ws_ping_timeout": 30.0,
    "ws_per_message_deflate": False,
    # Uvicorn waits for open responses before it stops, and a stream never ends by itself: after
    # this many seconds the streams are cut, and their clients reconnect elsewhere.
    "timeout_graceful_shutdown": 3,
}


def _query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "on", "yes")


class Streaming:
    """Answers /api/v1/streaming and below; passes everything else to the app."""

    def __init__(self, app: ASGIApp, *, runtime: Runtime, hub: Hub, tokens: TokenCache) -> None:
        self.app = app
        self.rt = runtime
        self.hub = hub
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not (
            path == PREFIX or path.startswith(PREFIX + "/")
        ):
            await self.app(scope, receive, send)
            return
        rest = path[len(PREFIX) :].strip("/")
        if scope["type"] == "websocket":
            if rest:
                await send({"type": "websocket.close", "code": 1008})
                return
            await self._websocket(scope, receive, send)
            return
        if rest == "health":
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
            )
            await send({"type": "http.response.body", "body": b"OK"})
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send_error(send, 405, "This method is not allowed")
            return
        query = _query(scope)
        name = streams.PATHS.get(rest) if rest else query.get("stream")
        if rest and name is None:
            await send_error(send, 404, "Not Found")
            return
        if name is not None and name.startswith("public") and _true(query.get("only_media")):
            name += ":media"
        await self._sse(scope, receive, send, name, query)

    async def _principal(self, token: str | None) -> Principal | None:
        if token is None:
            return None
        principal = await oauth.authenticate(self.rt, self.tokens, token)
        if principal.state in _STATE_ERRORS:
            raise Unauthorized(_STATE_ERRORS[principal.state])
        return principal

    @staticmethod
    def _token(scope: Scope, query: dict[str, str]) -> str | None:
        scheme, _, value = (_header(scope, b"authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return query.get("access_token") or None

    # --- server-sent events -------------------------------------------------------------------

    async def _sse(
        self, scope: Scope, receive: Receive, send: Send, name: str | None, query: dict[str, str]
    ) -> None:
        try:
            principal = await self._principal(self._token(scope, query))
            stream = streams.parse(name, tag=query.get("tag"), list_id=query.get("list"))
            streams.authorize(stream, principal)
        except PixieError as failed:
            await send_error(send, failed.status_code, failed.message)
            return
        await serve_sse(self.hub, scope, receive, send, principal, [stream])

    # --- WebSocket ----------------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        query = _query(scope)
        token = self._token(scope, query)
        protocols: list[str] = list(scope.get("subprotocols") or [])
        # Browsers cannot set headers on a WebSocket: they send the token as the subprotocol,
        # which the handshake must echo back.
        via_protocol = token is None and bool(protocols)
        if via_protocol:
            token = protocols[0]
        try:
            principal = await self._principal(token)
        except PixieError as failed:
            await self._reject(scope, send, failed.status_code, failed.message)
            return
        connection = self.hub.open(Transport.WEBSOCKET, principal)
        try:
            await send({"type": "websocket.accept", "subprotocol": token if via_protocol else None})
            if query.get("stream"):
                await self._subscribe(connection, query.get("stream"), query, on=True)
            reader = asyncio.ensure_future(self._read_websocket(receive, connection))
            try:
                await self._write_websocket(connection, send)
            finally:
                reader.cancel()
        finally:
            await self.hub.close(connection)

    @staticmethod
    async def _reject(scope: Scope, send: Send, status: int, message: str) -> None:
        if "websocket.http.response" in scope.get("extensions", {}):
            body = orjson.dumps({"error": message})
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json; charset=utf-8")],
                }
            )
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})

    async def _subscribe(
        self, connection: Connection, name: Any, message: dict[str, Any], *, on: bool
    ) -> None:
        label = [str(name)] if name is not None else None
        try:
            stream = streams.parse(
                name if isinstance(name, str) else None,
                tag=message.get("tag") if isinstance(message.get("tag"), str) else None,
                list_id=str(message.get("list")) if message.get("list") is not None else None,
            )
            label = stream.label
            if not on:
                await self.hub.unsubscribe(connection, stream)
                return
            streams.authorize(stream, connection.principal)
            await self.hub.subscribe(connection, stream)
        except PixieError as failed:
            connection.push(frames.websocket_error(failed.message, failed.status_code, label))

    async def _read_websocket(self, receive: Receive, connection: Connection) -> None:
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                connection.close(Closed.CLIENT)
                return
            if kind != "websocket.receive":
                continue
            if message.get("bytes") is not None:
                connection.close(Closed.UNSUPPORTED)
                return
            text = message.get("text") or ""
            try:
                parsed = orjson.loads(text) if len(text) <= MAX_CLIENT_MESSAGE else None
            except orjson.JSONDecodeError:
                parsed = None
            if not isinstance(parsed, dict) or parsed.get("type") not in ("subscribe", "unsubscribe"):
                connection.push(frames.websocket_error("Unknown message type", 400))
                continue
            await self._subscribe(connection, parsed.get("stream"), parsed, on=parsed["type"] == "subscribe")

    async def _write_websocket(self, connection: Connection, send: Send) -> None:
        try:
            while (batch := await connection.next_frames()) is not None:
                connection.sending = True
                for frame in batch:
                    await send({"type": "websocket.send", "text": frame})
                connection.sending = False
        except asyncio.CancelledError:
            if connection.closed is not Closed.SLOW:
                raise
            _uncancel()
            log.warning("closed a stream whose client stopped reading")
            return
        if connection.closed is not Closed.CLIENT:
            code = _CLOSE_CODES.get(connection.closed, 1000)
            with contextlib.suppress(Exception):  # the client may be gone already
                await send({"type": "websocket.close", "code": code})


def _uncancel() -> None:
    """The hub cancelled this connection's task to free it from a write that never ends: that
    cancellation was for this connection only, and ends here."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


async def serve_sse(
    hub: Hub, scope: Scope, receive: Receive, send: Send, principal: Principal | None, wanted: list[Stream]
) -> None:
    """Server-sent events of the given streams on one connection, until the client goes away (the
    web app's own stream comes through here too, with its session's principal)."""
    connection = hub.open(Transport.SSE, principal)
    try:
        try:
            for stream in wanted:
                await hub.subscribe(connection, stream)
        except PixieError as failed:
            await send_error(send, failed.status_code, failed.message)
            return
        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.body", "body": frames.SSE_HELLO, "more_body": True})
        watcher = asyncio.ensure_future(_until_disconnect(receive, connection))
        try:
            await _write_sse(connection, send)
        finally:
            watcher.cancel()
    finally:
        await hub.close(connection)


async def _until_disconnect(receive: Receive, connection: Connection) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    connection.close(Closed.CLIENT)


async def _write_sse(connection: Connection, send: Send) -> None:
    try:
        while (batch := await connection.next_frames()) is not None:
            connection.sending = True
            await send({"type": "http.response.body", "body": b"".join(batch), "more_body": True})  # type: ignore[arg-type]
            connection.sending = False
    except asyncio.CancelledError:
        if connection.closed is not Closed.SLOW:
            raise
        _uncancel()
        log.warning("closed a stream whose client stopped reading")
        return
    if connection.closed is not Closed.CLIENT:
        await send({"type": "http.response.body", "body": b"", "more_body": False})
