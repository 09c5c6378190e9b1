"""Live, lossy fan-out: cache invalidation and live streams.

Nothing that must happen goes through here (that is the outbox's job): a message may be lost
when a process is down, or arrive twice.

A channel is subscribed to while it has a listener in this process and unsubscribed when the
last one leaves, so a process hears only what its own listeners want (live streams subscribe one
channel per connected account, as Mastodon's streaming server does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from pixie.infra.tasks import cancel_all

log = logging.getLogger("pixie.pubsub")

Listener = Callable[[str], Awaitable[None]]
# Delivered to every listener after a reconnect: whatever was cached may be stale.
RESET = "*"
# How long ``listen`` waits for Redis to confirm a new subscription before it gives up waiting
# (the listener stays registered and is subscribed once Redis is back).
CONFIRM_SECONDS = 5.0
# Reconnecting after a lost connection: the first wait, and the longest.
BACKOFF_FIRST_SECONDS = 0.1
BACKOFF_MOST_SECONDS = 5.0
_IDLE = "-"
PUBLISH_SLICE = 2000  # channels per script call in ``publish_many``
# ARGV[1] is the message, the rest its channels: PUBLISH to a channel nobody listens to costs
# Redis next to nothing, so nothing asks first who listens.
# Publishes ARGV[1] on each of the newline-separated channel names of ARGV[3], each prefixed by
# ARGV[2]. One argument for a thousand channels: redis-py encodes each argument in Python, and
# that, not Redis, was the cost of publishing a post to its author's followers.
_PUBLISH_TO_ALL = """
local receivers = 0
local payload, prefix = ARGV[1], ARGV[2]
for channel in string.gmatch(ARGV[3], '[^\\n]+') do
  receivers = receivers + redis.call('PUBLISH', prefix .. channel, payload)
end
return receivers
"""


class PubSub(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, channel: str, message: str) -> None: ...
    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None: ...
    def subscribe(self, channel: str, listener: Listener) -> None:
        """Adds a listener (before start, or after it without waiting for the server)."""
        ...

    async def listen(self, channel: str, listener: Listener) -> None:
        """Adds a listener and returns once messages published on the channel reach it."""
        ...

    async def unsubscribe(self, channel: str, listener: Listener) -> None: ...


class _Listeners:
    def __init__(self) -> None:
        self._by_channel: dict[str, list[Listener]] = {}

    def add(self, channel: str, listener: Listener) -> bool:
        """Adds the listener; True when it is the channel's first."""
        listeners = self._by_channel.setdefault(channel, [])
        listeners.append(listener)
        return len(listeners) == 1

    def remove(self, channel: str, listener: Listener) -> bool:
        """Removes the listener; True when the channel has none left."""
        listeners = self._by_channel.get(channel)
        if listeners is None:
            return False
        with contextlib.suppress(ValueError):
            listeners.remove(listener)
        if listeners:
            return False
        del self._by_channel[channel]
        return True

    def has(self, channel: str) -> bool:
        return channel in self._by_channel

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

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        for channel, message in messages:
            await self._listeners.deliver(channel, message)

    def subscribe(self, channel: str, listener: Listener) -> None:
        self._listeners.add(channel, listener)

    async def listen(self, channel: str, listener: Listener) -> None:
        self._listeners.add(channel, listener)

    async def unsubscribe(self, channel: str, listener: Listener) -> None:
        self._listeners.remove(channel, listener)


class RedisPubSub:
    """Redis pub/sub: a publish reaches the listeners of every process connected to the server.

    The publishing process delivers to its own listeners before it returns (so a revoked token
    is refused by the very next request here), and skips its own messages when Redis echoes them.
    One connection carries every subscription of the process; when it drops, it is made again
    with backoff, every channel still listened to is subscribed again, and each listener is told
    (``RESET``) that it may have missed messages.
    """

    def __init__(self, client: aioredis.Redis, *, prefix: str = "pixie:") -> None:
        self._client = client
        # The subscriber's own connection never retries behind this class's back: a reconnect
        # here must be seen, to subscribe again and to tell listeners (RESET).
        pool = client.connection_pool
        self._listen_client = aioredis.Redis(
            connection_pool=pool.__class__(
                connection_class=pool.connection_class,
                **{**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)},
            )
        )
        self._prefix = prefix
        self._origin = secrets.token_hex(8)
        self._listeners = _Listeners()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._connection: Any = None  # the live redis PubSub while connected
        self._confirming: dict[str, list[asyncio.Future[None]]] = {}
        self._publish_to_all = client.register_script(_PUBLISH_TO_ALL)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="pixie-pubsub")
            with contextlib.suppress(TimeoutError):
                # A server starts even while Redis is down; it subscribes once Redis is back.
                await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_all([self._task])
            self._task = None
        self._connection = None
        await self._listen_client.aclose()

    async def publish(self, channel: str, message: str) -> None:
        await self._listeners.deliver(channel, message)
        await self._client.publish(self._prefix + channel, f"{self._origin}\n{message}")

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """Publishes each message on its channel, in one round trip per distinct message (a post
        reaching the channels of a thousand followers): a script publishes to every channel in
        Redis itself and answers one number, so no reply per channel crosses the wire."""
        if not messages:
            return
        by_message: dict[str, list[str]] = {}
        for channel, message in messages:
            if self._listeners.has(channel):
                await self._listeners.deliver(channel, message)
            by_message.setdefault(message, []).append(channel)
        for message, channels in by_message.items():
            payload = f"{self._origin}\n{message}"
            # In slices: Redis runs one script at a time, and every other client (each reader's
            # feed) waits meanwhile; 100,000 followers' channels in one call held it 50 ms.
            for start in range(0, len(channels), PUBLISH_SLICE):
                batch = "\n".join(channels[start : start + PUBLISH_SLICE])
                await self._publish_to_all(args=[payload, self._prefix, batch])

    def subscribe(self, channel: str, listener: Listener) -> None:
        if self._listeners.add(channel, listener):
            self._send_soon("SUBSCRIBE", [channel])

    async def listen(self, channel: str, listener: Listener) -> None:
        first = self._listeners.add(channel, listener)
        if self._connection is None or not (first or channel in self._confirming):
            return  # subscribed already, or with the rest once the connection is back
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirming.setdefault(channel, []).append(waiter)
        if first:
            await self._send("SUBSCRIBE", [channel])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(waiter), timeout=CONFIRM_SECONDS)

    async def unsubscribe(self, channel: str, listener: Listener) -> None:
        if self._listeners.remove(channel, listener):
            await self._send("UNSUBSCRIBE", [channel])

    def _send_soon(self, command: str, channels: list[str]) -> None:
        if self._connection is not None:
            task = asyncio.get_running_loop().create_task(self._send(command, channels))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _send(self, command: str, channels: Iterable[str]) -> None:
        connection = self._connection
        if connection is None:
            return  # the reconnect subscribes whatever is listened to by then
        names = [self._prefix + c for c in channels]
        try:
            if command == "SUBSCRIBE":
                await connection.subscribe(*names)
            else:
                await connection.unsubscribe(*names)
        except Exception:
            # The reader sees the same failure and reconnects; nothing to do here.
            log.debug("pub/sub %s failed", command, exc_info=True)

    def _confirmed(self, channel: str) -> None:
        for waiter in self._confirming.pop(channel, []):
            if not waiter.done():
                waiter.set_result(None)

    async def _run(self) -> None:
        reconnecting = False
        failures = 0
        while True:
            try:
                async with self._listen_client.pubsub() as pubsub:
                    channels = self._listeners.channels
                    # A pub/sub connection is read only while it has a subscription: one that
                    # nothing publishes to keeps it open when every listener has left.
                    await pubsub.subscribe(self._prefix + _IDLE, *(self._prefix + c for c in channels))
                    self._connection = pubsub
                    self._ready.set()
                    failures = 0
                    # Listeners that came or went while the connection was being made:
                    now = set(self._listeners.channels)
                    if missing := now - set(channels):
                        await pubsub.subscribe(*(self._prefix + c for c in missing))
                    if extra := set(channels) - now:
                        await pubsub.unsubscribe(*(self._prefix + c for c in extra))
                    if reconnecting:
                        log.info("pub/sub connection restored", extra={"channels": len(now)})
                        # Messages sent while disconnected are gone: tell listeners to drop
                        # everything they derived from them.
                        for channel in channels:
                            await self._listeners.deliver(channel, RESET)
                    await self._read(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The connection dropped: listeners may have missed messages, which is the
                # contract here; reconnect with backoff and carry on.
                self._connection = None
                failures += 1
                wait = min(BACKOFF_MOST_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (failures - 1))
                log.warning("pub/sub connection lost; reconnecting in %.1f s", wait, exc_info=failures == 1)
                reconnecting = True
                await asyncio.sleep(wait * (0.5 + random.random() / 2))  # noqa: S311 (jitter)
            finally:
                self._connection = None

    async def _read(self, pubsub: Any) -> None:
        skip = len(self._prefix)
        async for raw in pubsub.listen():
            kind = raw["type"]
            channel = raw["channel"].decode()[skip:]
            if kind == "subscribe":
                self._confirmed(channel)
                continue
            if kind != "message":
                continue
            data = raw["data"]
            text = data.decode() if isinstance(data, bytes) else str(data)
            origin, _, message = text.partition("\n")
            if origin != self._origin:
                await self._listeners.deliver(channel, message)
