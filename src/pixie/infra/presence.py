"""Who has a live user stream open, on any process: so a post by an account with a hundred
thousand followers is published to the channels of those of them who are listening, not to
every follower's.

Each process marks the accounts whose user stream it holds when the stream opens and again at
each of its streams' heartbeats while it stays open; a mark lapses after ``LAPSE_SECONDS``, so a
process that dies leaves nothing behind for long. Being marked a little longer than one streams only costs a
message nobody reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

import redis.asyncio as aioredis

LAPSE_SECONDS = 60.0


class Presence(Protocol):
    async def mark(self, account_ids: Iterable[int]) -> None: ...

    async def present(self) -> set[int] | None:
        """The accounts with a user stream open somewhere; None when every process is this one
        (embedded defaults: each delivery is already local and costs nothing to skip)."""
        ...


class LocalPresence:
    async def mark(self, account_ids: Iterable[int]) -> None:
        return None

    async def present(self) -> set[int] | None:
        return None


class RedisPresence:
    def __init__(self, client: aioredis.Redis, *, key: str = "pixie:streaming") -> None:
        self._client = client
        self._key = key

    async def mark(self, account_ids: Iterable[int]) -> None:
        until = time.time() + LAPSE_SECONDS
        members = {str(a): until for a in account_ids}
        if members:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.zadd(self._key, members)
                pipe.zremrangebyscore(self._key, "-inf", time.time())
                await pipe.execute()

    async def present(self) -> set[int] | None:
        found = await self._client.zrangebyscore(self._key, time.time(), "+inf")
        return {int(a) for a in found}
