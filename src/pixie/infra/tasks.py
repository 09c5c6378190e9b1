"""Stopping background tasks without ever hanging a shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger("pixie.tasks")
STOP_TIMEOUT_SECONDS = 5.0


async def cancel_all(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancels the tasks and waits for them, at most STOP_TIMEOUT_SECONDS; a task that does not
    finish by then (stuck in a driver that ignores cancellation) is logged and left behind."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _, stuck = await asyncio.wait(pending, timeout=STOP_TIMEOUT_SECONDS)
    for task in stuck:
        log.warning("background task did not stop in time", extra={"task": task.get_name()})
