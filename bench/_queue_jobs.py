"""Job kinds for bench/queue_overhead.py, loaded by `pixie worker` through PIXIE_JOB_MODULES."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from pixie.infra.jobs import JobContext
from pixie.infra.runtime import Runtime


async def sleep(ctx: JobContext) -> dict[str, Any]:
    """Waits as a job that calls a remote API does: no CPU, only time."""
    await asyncio.sleep(float(ctx.payload.get("seconds", 0.05)))
    return {}


async def cpu(ctx: JobContext) -> dict[str, Any]:
    """A small CPU task (about 20 ms of hashing here), run on the event loop as a careless job would."""
    digest = b"pixie"
    for _ in range(int(ctx.payload.get("rounds", 20_000))):
        digest = hashlib.sha256(digest).digest()
    return {"digest": digest.hex()[:16]}


def install(rt: Runtime) -> None:
    rt.jobs.register("bench.sleep", sleep)
    rt.jobs.register("bench.cpu", cpu)
