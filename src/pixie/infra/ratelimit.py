"""Rate limits through the ``limits`` library: in memory on embedded defaults, in Redis otherwise."""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # unix time at which the window resets

    @property
    def retry_after(self) -> int:
        return max(1, int(self.reset_at - time.time() + 0.999))


class RateLimiter:
    def __init__(self, storage: Storage) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._storage = storage

    @classmethod
    def memory(cls) -> RateLimiter:
        return cls(MemoryStorage())

    @classmethod
    def redis(cls, url: str, *, prefix: str = "pixie:limits") -> RateLimiter:
        return cls(
            RedisStorage(
                url.replace("redis://", "async+redis://", 1), implementation="redispy", key_prefix=prefix
            )
        )

    async def hit(self, rule: RateLimitItem, *identifiers: str) -> Verdict:
        allowed = await self._limiter.hit(rule, *identifiers)
        stats = await self._limiter.get_window_stats(rule, *identifiers)
        return Verdict(allowed, rule.amount, max(0, stats.remaining), stats.reset_time)

    async def reset(self) -> None:
        await self._storage.reset()


def rule(text: str) -> RateLimitItem:
    """'300/5minutes' -> a rate limit item ('300 per 5 minutes' is read too)."""
    return parse(text)
