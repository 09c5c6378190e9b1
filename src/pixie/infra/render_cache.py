"""Renderings kept between requests (a status's or an account's JSON): in this process on embedded
defaults, in Redis in production, so every process shares one copy and one invalidation.

Each name (``s:123``, ``a:45``) has a version; a rendering is stored under its name and the version
it was rendered at. ``read`` gives, for each name, the rendering of its current version, or the
current version to ``write`` a new rendering under. ``forget`` moves the name to a new version, so
a rendering made from data read before the change can never be found again, even when it is
written after the change (the reader took the version before it read the database). A lost
version (expired, evicted, a Redis restart) gives a new one: what was kept becomes unreachable,
never stale. Everything here can be rebuilt from the database.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from cachetools import LRUCache

from pixie.infra.pubsub import RESET, PubSub

# Kept renderings expire after a day unread: a day-old post is rarely read again.
TTL_SECONDS = 86_400


@dataclass(frozen=True)
class Lookup:
    found: dict[str, bytes]
    # For each name not found, the version to write its new rendering under.
    versions: dict[str, str]


class RenderCache(Protocol):
    async def read(self, names: Sequence[str]) -> Lookup: ...

    async def write(self, renderings: Sequence[tuple[str, str, bytes]]) -> None:
        """Stores (name, version, rendering) triples; a version that is no longer current is
        stored where nobody looks."""
        ...

    async def forget(self, names: Iterable[str]) -> None: ...

    async def clear(self) -> None:
        """Drops every kept rendering (an operator's reset; tests that read cold)."""
        ...


class LocalRenderCache:
    """This process's own: right for one process (embedded defaults), where every write and its
    invalidation happen here."""

    def __init__(self, maxsize: int = 20_000) -> None:
        self._versions: LRUCache[str, str] = LRUCache(maxsize=maxsize * 2)
        self._kept: LRUCache[tuple[str, str], bytes] = LRUCache(maxsize=maxsize)
        self._next = itertools.count(1)

    def _version(self, name: str) -> str:
        version = self._versions.get(name)
        if version is None:
            version = self._versions[name] = str(next(self._next))
        return version

    async def read(self, names: Sequence[str]) -> Lookup:
        found: dict[str, bytes] = {}
        versions: dict[str, str] = {}
        for name in names:
            version = self._version(name)
            kept = self._kept.get((name, version))
            if kept is None:
                versions[name] = version
            else:
                found[name] = kept
        return Lookup(found, versions)

    async def write(self, renderings: Sequence[tuple[str, str, bytes]]) -> None:
        for name, version, rendering in renderings:
            if self._versions.get(name) == version:
                self._kept[(name, version)] = rendering

    async def forget(self, names: Iterable[str]) -> None:
        for name in names:
            old = self._versions.pop(name, None)
            if old is not None:
                self._kept.pop((name, old), None)
            self._versions[name] = str(next(self._next))

    async def clear(self) -> None:
        self._versions.clear()
        self._kept.clear()


# For each name in ARGV[3..]: its version (a new one when missing) and the rendering
# kept under it, as a flat list [version1, rendering1 or false, version2, ...]. One round trip.
_NEXT_VERSION = """
-- A new version. The counter starts from the clock (in microseconds) when Redis has lost it,
-- so a version handed out before a restart is never handed out again after it: a slow reader's
-- rendering of old data can never be written under a version that is current again.
local function next_version(prefix)
  local seq = prefix .. 'seq'
  if redis.call('EXISTS', seq) == 0 then
    local now = redis.call('TIME')
    redis.call('SET', seq, now[1] .. string.format('%06d', tonumber(now[2])))
  end
  return tostring(redis.call('INCR', seq))
end
"""
_READ = (
    _NEXT_VERSION
    + """
local prefix, ttl = ARGV[1], tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local vkey = prefix .. 'v:' .. ARGV[i]
  local version = redis.call('GET', vkey)
  if not version then
    version = next_version(prefix)
    redis.call('SET', vkey, version, 'EX', ttl)
  end
  out[#out + 1] = version
  out[#out + 1] = redis.call('GET', prefix .. 'e:' .. ARGV[i] .. ':' .. version)
end
return out
"""
)
# A new version for each name in ARGV[2..]; the rendering of the old one is deleted.
_FORGET = (
    _NEXT_VERSION
    + """
local prefix, ttl = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV do
  local vkey = prefix .. 'v:' .. ARGV[i]
  local old = redis.call('GET', vkey)
  if old then
    redis.call('DEL', prefix .. 'e:' .. ARGV[i] .. ':' .. old)
  end
  redis.call('SET', vkey, next_version(prefix), 'EX', ttl)
end
return 0
"""
)


class RedisRenderCache:
    """Shared by every process: one invalidation reaches them all at once. The prefix names the
    renderings' layout (``convert.status_pages``): a release that changes it changes the prefix,
    so no process reads another release's bytes."""

    def __init__(
        self, client: aioredis.Redis, *, prefix: str = "pixie:render:1:", ttl: int = TTL_SECONDS
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = ttl
        self._read = client.register_script(_READ)
        self._forget = client.register_script(_FORGET)

    async def read(self, names: Sequence[str]) -> Lookup:
        if not names:
            return Lookup({}, {})
        flat = await self._read(args=[self._prefix, self._ttl, *names])
        found: dict[str, bytes] = {}
        versions: dict[str, str] = {}
        for name, version, kept in zip(names, flat[::2], flat[1::2], strict=True):
            if kept is None:
                versions[name] = version.decode()
            else:
                found[name] = kept
        return Lookup(found, versions)

    async def write(self, renderings: Sequence[tuple[str, str, bytes]]) -> None:
        if not renderings:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for name, version, rendering in renderings:
                pipe.set(f"{self._prefix}e:{name}:{version}", rendering, ex=self._ttl)
            await pipe.execute()

    async def forget(self, names: Iterable[str]) -> None:
        listed = list(names)
        if listed:
            await self._forget(args=[self._prefix, self._ttl, *listed])

    async def clear(self) -> None:
        names = [key async for key in self._client.scan_iter(match=f"{self._prefix}*", count=1000)]
        for start in range(0, len(names), 1000):
            await self._client.delete(*names[start : start + 1000])


class LayeredRenderCache:
    """Redis's renderings with a copy in this process on top, so a page whose posts were read a
    moment ago costs no round trip. The copy is filled only from reads of Redis (which give
    current versions), and only when no invalidation arrived while the read was on its way (it
    may have been answered before the change). Every process drops a name at once when any of
    them forgets it (pub/sub; a reconnection, which may have lost messages, drops everything),
    and nothing is kept longer than ``local_seconds`` in any case."""

    CHANNEL = "renders"

    def __init__(
        self, shared: RedisRenderCache, pubsub: PubSub, *, local_seconds: float = 10.0, most: int = 50_000
    ) -> None:
        self._shared = shared
        self._pubsub = pubsub
        self._seconds = local_seconds
        self._most = most
        self._local: dict[str, tuple[float, bytes]] = {}
        self._invalidations = 0
        pubsub.subscribe(self.CHANNEL, self._on_message)

    async def _on_message(self, message: str) -> None:
        self._invalidations += 1
        if message == RESET:
            self._local.clear()
            return
        for name in message.split(","):
            self._local.pop(name, None)

    async def read(self, names: Sequence[str]) -> Lookup:
        now = time.monotonic()
        found: dict[str, bytes] = {}
        wanted: list[str] = []
        for name in names:
            kept = self._local.get(name)
            if kept is not None and kept[0] > now:
                found[name] = kept[1]
            else:
                wanted.append(name)
        if not wanted:
            return Lookup(found, {})
        invalidations = self._invalidations
        fetched = await self._shared.read(wanted)
        if invalidations == self._invalidations:
            if len(self._local) > self._most:
                self._local.clear()  # crude, and rare: the hot set refills in a moment
            expires = now + self._seconds
            for name, kept_bytes in fetched.found.items():
                self._local[name] = (expires, kept_bytes)
        found.update(fetched.found)
        return Lookup(found, fetched.versions)

    async def write(self, renderings: Sequence[tuple[str, str, bytes]]) -> None:
        await self._shared.write(renderings)

    async def forget(self, names: Iterable[str]) -> None:
        listed = list(names)
        if listed:
            await self._shared.forget(listed)
            await self._pubsub.publish(self.CHANNEL, ",".join(listed))

    async def clear(self) -> None:
        await self._shared.clear()
        await self._pubsub.publish(self.CHANNEL, RESET)
