"""Home feeds: none on embedded defaults (the home timeline is a database query), Redis sorted sets
with fan-out on write in production.

A feed is a candidate list, newest last, of at most ``FEED_SIZE`` status ids; the reader still
filters it with the same SQL rule as the database query, so a feed can hold too much but never
shows too much. Members are zero-padded decimal ids read by lexical range, with every score 0:
float scores lose precision past 2**53, and Pixie's ids are larger.

A feed exists only for someone who reads their home timeline: fan-out writes into existing feeds
only, a feed unread for ``IDLE`` expires, and the next read rebuilds it from the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import redis.asyncio as aioredis

FEED_SIZE = 800  # twice what Mastodon keeps
IDLE = timedelta(days=14)
_WIDTH = 20  # digits of the largest 64-bit id
# Marks a feed that exists but may be empty; sorts before every real id and is never returned.
_SENTINEL = "0" * _WIDTH

# Adds posts (members ARGV[4..]) to each existing feed of the comma-separated account ids in
# ARGV[3] (keys ARGV[2] .. id), then trims each to its size ARGV[1] (the sentinel counts as one
# entry). One call, and one argument, for many feeds: redis-py encodes every argument in Python,
# which cost more than Redis did; and several posts in one ZADD cost little more than one. The
# keys are not declared as KEYS, which a Redis Cluster would refuse; Pixie runs on one Redis (or
# a replicated pair).
_PUSH = """
local size, prefix = tonumber(ARGV[1]), ARGV[2]
local members = {}
for i = 4, #ARGV do
  members[#members + 1] = 0
  members[#members + 1] = ARGV[i]
end
local added = 0
for id in string.gmatch(ARGV[3], '[^,]+') do
  local key = prefix .. id
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, unpack(members))
    local extra = redis.call('ZCARD', key) - size - 1
    if extra > 0 then
      redis.call('ZREMRANGEBYRANK', key, 1, extra)
    end
    added = added + 1
  end
end
return added
"""
# One read of a feed (ARGV[1]) in one call: nothing when it does not exist, else its size, its
# oldest real entry and the ids asked for (ARGV[2] "desc" from ARGV[3] down to ARGV[4], or "asc"
# from ARGV[4] up to ARGV[3]; ARGV[5] of them); it is kept ARGV[6] seconds longer. A pipeline of
# the same five commands cost the client several times what this one call does.
_WINDOW = """
local key = ARGV[1]
if redis.call('EXISTS', key) == 0 then
  return false
end
local members
if ARGV[2] == 'asc' then
  members = redis.call('ZRANGEBYLEX', key, ARGV[4], ARGV[3], 'LIMIT', 0, tonumber(ARGV[5]))
else
  members = redis.call('ZREVRANGEBYLEX', key, ARGV[3], ARGV[4], 'LIMIT', 0, tonumber(ARGV[5]))
end
redis.call('EXPIRE', key, tonumber(ARGV[6]))
local oldest = redis.call('ZRANGE', key, 1, 1)
return {redis.call('ZCARD', key), oldest[1] or false, members}
"""
# Feeds per script call: bounds how long one call holds Redis.
_PUSH_BATCH = 1000


def _member(status_id: int) -> str:
    return str(status_id).zfill(_WIDTH)


@dataclass(frozen=True)
class Window:
    """Ids from a feed, newest first. A ``full`` feed has let its oldest entries go, so the
    database may hold posts older than ``oldest`` that the feed no longer has."""

    ids: list[int]
    full: bool
    oldest: int | None


class HomeFeeds(Protocol):
    kept: bool

    async def push(self, account_ids: Iterable[int], status_ids: Sequence[int]) -> None: ...

    async def window(
        self,
        account_id: int,
        *,
        max_id: int | None,
        since_id: int | None,
        min_id: int | None,
        count: int,
    ) -> Window | None: ...

    async def fill(self, account_id: int, status_ids: Iterable[int]) -> None: ...

    async def add(self, account_id: int, status_ids: Iterable[int]) -> None: ...

    async def drop(self, account_ids: Iterable[int]) -> None: ...


class NoFeeds:
    """Embedded defaults: no feeds are kept; every home timeline is read from the database."""

    kept = False

    async def push(self, account_ids: Iterable[int], status_ids: Sequence[int]) -> None:
        return None

    async def window(
        self,
        account_id: int,
        *,
        max_id: int | None,
        since_id: int | None,
        min_id: int | None,
        count: int,
    ) -> Window | None:
        return None

    async def fill(self, account_id: int, status_ids: Iterable[int]) -> None:
        return None

    async def add(self, account_id: int, status_ids: Iterable[int]) -> None:
        return None

    async def drop(self, account_ids: Iterable[int]) -> None:
        return None


class RedisFeeds:
    kept = True

    def __init__(self, client: aioredis.Redis, *, prefix: str = "pixie:feed:", size: int = FEED_SIZE) -> None:
        self._client = client
        self._prefix = prefix
        self.size = size
        self._push = client.register_script(_PUSH)
        self._window = client.register_script(_WINDOW)

    def _key(self, account_id: int) -> str:
        return f"{self._prefix}{account_id}"

    async def push(self, account_ids: Iterable[int], status_ids: Sequence[int]) -> None:
        """Adds the posts to each of these accounts' feeds that exists."""
        if not status_ids:
            return
        members = [_member(i) for i in status_ids]
        ids = [str(account_id) for account_id in account_ids]
        for start in range(0, len(ids), _PUSH_BATCH):
            batch = ",".join(ids[start : start + _PUSH_BATCH])
            # Lua's unpack() takes a few thousand values at most.
            for first in range(0, len(members), _PUSH_BATCH):
                await self._push(args=[self.size, self._prefix, batch, *members[first : first + _PUSH_BATCH]])

    async def window(
        self,
        account_id: int,
        *,
        max_id: int | None,
        since_id: int | None,
        min_id: int | None,
        count: int,
    ) -> Window | None:
        high = "(" + _member(max_id) if max_id is not None else "+"
        if min_id is not None:
            # The page right after min_id: read oldest first, then turn it around.
            order, low = "asc", "(" + _member(min_id)
        else:
            order, low = "desc", "(" + _member(since_id if since_id is not None else 0)
        found = await self._window(
            args=[self._key(account_id), order, high, low, count, int(IDLE.total_seconds())]
        )
        if found is None:
            return None
        size, oldest, members = found
        ids = [int(m) for m in members]
        if min_id is not None:
            ids.reverse()
        return Window(ids, full=size - 1 >= self.size, oldest=int(oldest) if oldest else None)

    async def fill(self, account_id: int, status_ids: Iterable[int]) -> None:
        key = self._key(account_id)
        members = {_member(i): 0 for i in status_ids}
        members[_SENTINEL] = 0
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.zadd(key, members)
            pipe.zremrangebyrank(key, 1, -(self.size + 2))
            pipe.expire(key, IDLE)
            await pipe.execute()

    async def add(self, account_id: int, status_ids: Iterable[int]) -> None:
        await self.push([account_id], list(status_ids))

    async def drop(self, account_ids: Iterable[int]) -> None:
        keys = [self._key(a) for a in account_ids]
        if keys:
            await self._client.delete(*keys)
