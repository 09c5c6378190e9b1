"""The Redis client every part of a process shares (feeds, renders, events, jobs)."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError, TimeoutError

# A command on a connection that Redis dropped (a restart, a failover, an idle timeout) is sent
# again on a new one a few times before it fails: a restart costs the requests of that moment a
# short wait, not an error. (``from_url`` alone would not retry at all.)
RETRIES = 3


def connect(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), RETRIES),
        retry_on_error=[ConnectionError, TimeoutError],
    )
