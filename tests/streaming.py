"""Live stream clients for tests: a real Uvicorn server in the test's own loop, a raw SSE reader
over httpx, and a WebSocket reader over the websockets library."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
import websockets

from pixie.api.streaming import SERVER_OPTIONS
from tests.conftest import Instance


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def served(px: Instance) -> AsyncIterator[str]:
    """The running instance behind a real Uvicorn server on loopback (streams need a socket);
    yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        px.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", **SERVER_OPTIONS
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        px.app.state.hub.close_all()
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)


@dataclass
class Event:
    name: str
    data: str | None
    stream: list[str] | None = None

    def json(self) -> Any:
        assert self.data is not None
        return json.loads(self.data)


@dataclass
class Received:
    """What a stream client received so far, to wait on."""

    events: list[Event] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.name == name]

    async def wait_for(
        self, name: str, where: Callable[[Event], bool] = lambda e: True, timeout: float = 5.0
    ) -> Event:
        async def look() -> Event:
            while True:
                for event in self.events:
                    if event.name == name and where(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(look(), timeout)

    def updates(self) -> list[str]:
        """The ids of the statuses that arrived as ``update``."""
        return [e.json()["id"] for e in self.named("update")]


@asynccontextmanager
async def sse(
    url: str, path: str, token: str | None = None, *, params: dict[str, str] | None = None
) -> AsyncIterator[Received]:
    """Reads a server-sent event stream in the background, by Mastodon's line rules."""
    received = Received()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    opened = asyncio.get_running_loop().create_future()

    async def read() -> None:
        async with (
            httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(5, read=None)) as client,
            client.stream("GET", path, headers=headers, params=params) as response,
        ):
            opened.set_result(response)
            if response.status_code != 200:
                await response.aread()
                return
            name: str | None = None
            data: str | None = None
            try:
                async for line in response.aiter_lines():
                    received.lines.append(line)
                    if line.startswith(":"):
                        continue
                    if line == "":
                        if name is not None:
                            received.add(Event(name, data))
                        name, data = None, None
                    elif line.startswith("event: "):
                        name = line[len("event: ") :]
                    elif line.startswith("data: "):
                        data = line[len("data: ") :]
            except httpx.RemoteProtocolError:
                pass
            finally:
                received.closed.set()

    task = asyncio.create_task(read())
    response = await asyncio.wait_for(opened, 10)
    try:
        assert response.status_code == 200, (response.status_code, response.read())
        # The hello comment comes first: the stream is subscribed by then.
        for _ in range(500):
            if received.lines:
                break
            await asyncio.sleep(0.01)
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


@dataclass
class Socket:
    connection: Any
    received: Received

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))


@asynccontextmanager
async def websocket(
    url: str, *, token: str | None = None, protocol_token: str | None = None, query: str = ""
) -> AsyncIterator[Socket]:
    """A WebSocket to /api/v1/streaming; the token as a header or as the subprotocol."""
    ws_url = url.replace("http://", "ws://") + "/api/v1/streaming" + query
    headers = {"Authorization": f"Bearer {token}"} if token else None
    protocols = [protocol_token] if protocol_token else None
    async with websockets.connect(
        ws_url,
        additional_headers=headers,
        subprotocols=protocols,  # type: ignore[arg-type]
        open_timeout=5,
    ) as connection:
        received = Received()

        async def read() -> None:
            try:
                async for raw in connection:
                    message = json.loads(raw)
                    received.add(
                        Event(
                            message.get("event", "error"), message.get("payload", raw), message.get("stream")
                        )
                    )
            except websockets.ConnectionClosed:
                pass
            finally:
                received.close_code = connection.close_code
                received.closed.set()

        task = asyncio.create_task(read())
        try:
            yield Socket(connection, received)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
