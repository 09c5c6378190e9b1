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
# One read of a feed in one call. ARGV: 1 the feed's key, 2 "desc" (from ARGV[3] down to ARGV[4])
# or "asc" (from ARGV[4] up to ARGV[3]), 5 how many ids, 6 seconds to keep the feed, 7 its size,
# 8 the prefix of authors' own lists. Nothing when the feed (or a list it pulls) does not exist.
# Otherwise: whether it is full, the oldest id it can vouch for, and the ids, merged with those
# of the authors the feed pulls (its ":pull" key: comma-separated ids) rather than receives.
# A full list has let its oldest entries go: the merge vouches only for what is newer than the
# newest of the full lists' oldest entries, and stops there. A pipeline of the same commands cost
# the client several times what this one call does.
_WINDOW = """
local key, order, high, low, count = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local size = tonumber(ARGV[7])
if redis.call('EXISTS', key) == 0 then
  return false
end
redis.call('EXPIRE', key, tonumber(ARGV[6]))
local function range(list)
  if order == 'asc' then
    return redis.call('ZRANGEBYLEX', list, low, high, 'LIMIT', 0, count)
  end
  return redis.call('ZREVRANGEBYLEX', list, high, low, 'LIMIT', 0, count)
end
local members = range(key)
local full = redis.call('ZCARD', key) - 1 >= size
local floor = false
if full then
  floor = redis.call('ZRANGE', key, 1, 1)[1] or false
end
local pull = redis.call('GET', key .. ':pull')
if not pull or pull == '' then
  return {full and 1 or 0, floor, members}
end
redis.call('EXPIRE', key .. ':pull', tonumber(ARGV[6]))
local seen = {}
for _, m in ipairs(members) do seen[m] = true end
for author in string.gmatch(pull, '[^,]+') do
  local list = ARGV[8] .. author
  if redis.call('EXISTS', list) == 0 then
    return false
  end
  if redis.call('ZCARD', list) >= size then
    full = true
    local oldest = redis.call('ZRANGE', list, 0, 0)[1]
    if oldest and (not floor or oldest > floor) then floor = oldest end
  end
  for _, m in ipairs(range(list)) do
    if not seen[m] then
      seen[m] = true
      members[#members + 1] = m
    end
  end
end
if order == 'asc' then table.sort(members) else table.sort(members, function(a, b) return a > b end) end
local out = {}
for _, m in ipairs(members) do
  if #out >= count then break end
  if not floor or m >= floor then out[#out + 1] = m end
end
return {full and 1 or 0, floor, out}
"""
# Adds the author ARGV[3] to the pulled authors of each existing feed of the comma-separated
# account ids in ARGV[2] (keys ARGV[1] .. id), each pull list kept ARGV[4] seconds.
_ADD_PULL = """
local prefix, author, ttl = ARGV[1], ARGV[3], tonumber(ARGV[4])
for id in string.gmatch(ARGV[2], '[^,]+') do
  local key = prefix .. id
  if redis.call('EXISTS', key) == 1 then
    local pull = redis.call('GET', key .. ':pull') or ''
    if not string.find(',' .. pull .. ',', ',' .. author .. ',', 1, true) then
      redis.call('SET', key .. ':pull', pull == '' and author or (pull .. ',' .. author), 'EX', ttl)
    end
  end
end
return 0
"""
# Adds posts (members ARGV[3..]) to an author's own list (key ARGV[1]), kept to size ARGV[2].
_AUTHORED = """
local key, size = ARGV[1], tonumber(ARGV[2])
local members = {}
for i = 3, #ARGV do
  members[#members + 1] = 0
  members[#members + 1] = ARGV[i]
end
redis.call('ZADD', key, unpack(members))
local extra = redis.call('ZCARD', key) - size
if extra > 0 then
  redis.call('ZREMRANGEBYRANK', key, 0, extra - 1)
end
return 0
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

    async def fill(self, account_id: int, status_ids: Iterable[int], pulled: Iterable[int] = ()) -> None:
        """Makes the feed anew with these posts; ``pulled``: the followed authors whose posts
        the feed reads from their own lists at each read instead of receiving them."""
        ...

    async def add(self, account_id: int, status_ids: Iterable[int]) -> None: ...

    async def drop(self, account_ids: Iterable[int]) -> None: ...

    async def pulled(self) -> set[int]:
        """The authors whose posts are pulled by their followers' feeds rather than pushed."""
        ...

    async def pull(self, author_id: int, recent: Sequence[int], followers: Sequence[int]) -> None:
        """Makes the author pulled, its own list filled with its ``recent`` posts, and pulled
        by the existing feeds of its ``followers``."""
        ...

    async def add_authored(self, author_id: int, status_ids: Sequence[int]) -> bool:
        """Adds a pulled author's new posts to its own list; False when the list is missing."""
        ...


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

    async def fill(self, account_id: int, status_ids: Iterable[int], pulled: Iterable[int] = ()) -> None:
        return None

    async def add(self, account_id: int, status_ids: Iterable[int]) -> None:
        return None

    async def drop(self, account_ids: Iterable[int]) -> None:
        return None

    async def pulled(self) -> set[int]:
        return set()

    async def pull(self, author_id: int, recent: Sequence[int], followers: Sequence[int]) -> None:
        return None

    async def add_authored(self, author_id: int, status_ids: Sequence[int]) -> bool:
        return True


class RedisFeeds:
    kept = True

    def __init__(self, client: aioredis.Redis, *, prefix: str = "pixie:feed:", size: int = FEED_SIZE) -> None:
        self._client = client
        self._prefix = prefix
        self._authored = prefix + "authored:"
        self._pulled = prefix + "pulled"
        self.size = size
        self._push = client.register_script(_PUSH)
        self._window = client.register_script(_WINDOW)
        self._add_authored = client.register_script(_AUTHORED)
        self._add_pull = client.register_script(_ADD_PULL)

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
            args=[
                self._key(account_id),
                order,
                high,
                low,
                count,
                int(IDLE.total_seconds()),
                self.size,
                self._authored,
            ]
        )
        if found is None:
            return None
        full, oldest, members = found
        ids = [int(m) for m in members]
        if min_id is not None:
            ids.reverse()
        return Window(ids, full=bool(full), oldest=int(oldest) if oldest else None)

    async def fill(self, account_id: int, status_ids: Iterable[int], pulled: Iterable[int] = ()) -> None:
        key = self._key(account_id)
        members = {_member(i): 0 for i in status_ids}
        members[_SENTINEL] = 0
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.zadd(key, members)
            pipe.zremrangebyrank(key, 1, -(self.size + 2))
            pipe.expire(key, IDLE)
            pipe.set(key + ":pull", ",".join(str(a) for a in pulled), ex=IDLE)
            await pipe.execute()

    async def pulled(self) -> set[int]:
        return {int(a) for a in await self._client.smembers(self._pulled)}  # type: ignore[misc]

    async def pull(self, author_id: int, recent: Sequence[int], followers: Sequence[int]) -> None:
        key = f"{self._authored}{author_id}"
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if recent:
                pipe.zadd(key, {_member(i): 0 for i in recent})
                pipe.zremrangebyrank(key, 0, -(self.size + 1))
            else:
                pipe.zadd(key, {_SENTINEL: 0})  # exists, empty of posts
            pipe.sadd(self._pulled, str(author_id))
            await pipe.execute()
        # The followers' feeds made before pull the author from now on, in place: nothing to rebuild.
        ids = [str(a) for a in followers]
        for start in range(0, len(ids), _PUSH_BATCH):
            batch = ",".join(ids[start : start + _PUSH_BATCH])
            await self._add_pull(args=[self._prefix, batch, str(author_id), int(IDLE.total_seconds())])

    async def add_authored(self, author_id: int, status_ids: Sequence[int]) -> bool:
        key = f"{self._authored}{author_id}"
        if not await self._client.sismember(self._pulled, str(author_id)):  # type: ignore[misc]
            return False
        members = [_member(i) for i in status_ids]
        for first in range(0, len(members), _PUSH_BATCH):
            await self._add_authored(args=[key, self.size, *members[first : first + _PUSH_BATCH]])
        return True

    async def add(self, account_id: int, status_ids: Iterable[int]) -> None:
        await self.push([account_id], list(status_ids))

    async def drop(self, account_ids: Iterable[int]) -> None:
        keys = [key for a in account_ids for key in (self._key(a), self._key(a) + ":pull")]
        for start in range(0, len(keys), _PUSH_BATCH):
            await self._client.delete(*keys[start : start + _PUSH_BATCH])
