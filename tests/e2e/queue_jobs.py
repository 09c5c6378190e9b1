"""Job kinds for the queue's tests, loaded by `pixie worker` through PIXIE_JOB_MODULES.

Each job appends what happened to it ("start", "cancelled", ...) to the file its payload names, so
a test sees what ran where, and how often, across processes.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from pixie.infra.jobs import JobContext, RetryableJobError
from pixie.infra.runtime import Runtime

# The kind whose attempts outlive this limit are stopped (the timeout test).
LIMITED_SECONDS = 1.0


def note(ctx: JobContext, what: str) -> None:
    marker = ctx.payload.get("marker")
    if marker:
        with Path(marker).open("a", encoding="utf-8") as fh:
            fh.write(f"{what} job={ctx.id} attempt={ctx.attempt} pid={os.getpid()} at={time.time():.3f}\n")


async def sleep(ctx: JobContext) -> dict[str, Any]:
    """Sleeps ``seconds`` in tenths, reporting progress after each."""
    note(ctx, "start")
    seconds = float(ctx.payload.get("seconds", 0.1))
    steps = max(1, round(seconds * 10))
    try:
        for step in range(steps):
            await asyncio.sleep(seconds / steps)
            await ctx.progress((step + 1) / steps, f"step {step + 1} of {steps}")
    except asyncio.CancelledError:
        note(ctx, "cancelled")
        raise
    note(ctx, "done")
    return {"pid": os.getpid(), "slept": seconds}


async def stubborn(ctx: JobContext) -> dict[str, Any]:
    """Ignores being stopped and returns a result anyway: a worker that answers late."""
    note(ctx, "start")
    try:
        await asyncio.sleep(float(ctx.payload.get("seconds", 30)))
    except asyncio.CancelledError:
        note(ctx, "cancelled")
    return {"late": True}


async def flaky(ctx: JobContext) -> dict[str, Any]:
    """Fails with a transient error until attempt ``fail_times + 1``."""
    note(ctx, "start")
    if ctx.attempt <= int(ctx.payload["fail_times"]):
        raise RetryableJobError(f"the service was busy (attempt {ctx.attempt})")
    return {"attempt": ctx.attempt}


def install(rt: Runtime) -> None:
    rt.jobs.register("test.sleep", sleep)
    rt.jobs.register("test.victim", sleep)  # taken only by the workers that the crash test starts
    rt.jobs.register("test.stubborn", stubborn)
    rt.jobs.register("test.flaky", flaky)
    rt.jobs.register("test.limited", sleep, timeout=LIMITED_SECONDS)
