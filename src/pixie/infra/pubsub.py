"""Live, lossy fan-out: cache invalidation now, live streams later.

Nothing that must happen goes through here (that is the outbox's job): a message may be lost
when a process is down, or arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Protocol

import redis.asyncio as aioredis

from pixie.infra.tasks import cancel_all

log = logging.getLogger("pixie.pubsub")

Listener = Callable[[str], Awaitable[None]]
# Delivered to every listener after a reconnect: whatever was cached may be stale.
RESET = "*"


class PubSub(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, channel: str, message: str) -> None: ...
    def subscribe(self, channel: str, listener: Listener) -> None: ...


class _Listeners:
    def __init__(self) -> None:
        self._by_channel: dict[str, list[Listener]] = defaultdict(list)

    def add(self, channel: str, listener: Listener) -> None:
        self._by_channel[channel].append(listener)

    @property
    def channels(self) -> list[str]:
        return list(self._by_channel)

    async def deliver(self, channel: str, message: str) -> None:
        for listener in list(self._by_channel.get(channel, ())):
            try:
                await listener(message)
            except Exception:
                log.exception("pub/sub listener failed", extra={"channel": channel})


class InProcessPubSub:
    """One process: a publish reaches this process's listeners directly."""

    def __init__(self) -> None:
        self._listeners = _Listeners()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, channel: str, message: str) -> None:
        await self._listeners.deliver(channel, message)

    def subscribe(self, channel: str, listener: Listener) -> None:
        self._listeners.add(channel, listener)


class RedisPubSub:
    """Redis pub/sub: a publish reaches the listeners of every process connected to the server.

    The publishing process delivers to its own listeners before it returns (so a revoked token
    is refused by the very next request here), and skips its own messages when Redis echoes them.
    """

    def __init__(self, client: aioredis.Redis, *, prefix: str = "pixie:") -> None:
        self._client = client
        self._prefix = prefix
        self._origin = secrets.token_hex(8)
        self._listeners = _Listeners()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        if self._listeners.channels and self._task is None:
            self._task = asyncio.create_task(self._run(), name="pixie-pubsub")
            await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_all([self._task])
            self._task = None

    async def publish(self, channel: str, message: str) -> None:
        await self._listeners.deliver(channel, message)
        await self._client.publish(self._prefix + channel, f"{self._origin}\n{message}")

    def subscribe(self, channel: str, listener: Listener) -> None:
        if self._task is not None:
            raise RuntimeError("subscribe before start()")
        self._listeners.add(channel, listener)

    async def _run(self) -> None:
        reconnecting = False
        while True:
            try:
                async with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(*(self._prefix + c for c in self._listeners.channels))
                    self._ready.set()
                    if reconnecting:
                        # Messages sent while disconnected are gone: tell listeners to drop
                        # everything they derived from them.
                        for channel in self._listeners.channels:
                            await self._listeners.deliver(channel, RESET)
                    async for raw in pubsub.listen():
                        channel = raw["channel"].decode()[len(self._prefix) :]
                        data = raw["data"]
                        text = data.decode() if isinstance(data, bytes) else str(data)
                        origin, _, message = text.partition("\n")
                        if origin != self._origin:
                            await self._listeners.deliver(channel, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The connection dropped: listeners may have missed messages, which is the
                # contract here; reconnect and carry on.
                log.warning("pub/sub connection lost; reconnecting", exc_info=True)
                reconnecting = True
                await asyncio.sleep(1)
