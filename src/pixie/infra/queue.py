"""The distributed job queue on Redis (SAQ): it carries only "work on job N".

Each job kind has a queue of its own, so a worker takes only the kinds it runs (a GPU machine
takes generation, nothing else) and ``--concurrency`` applies per kind. A message's key is the
job id and the attempts made so far: sending a job again while its message still waits changes
nothing, while a retry (one more attempt) gets a message of its own. SAQ delays a retry's
message until its backoff has passed, and sweeps up the message of a worker that died (its
heartbeat stops); the job itself is returned by Pixie's reaper, from the database.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from typing import Any

from saq import Worker
from saq.queue.redis import RedisQueue
from saq.types import Context

from pixie.db.types import utcnow
from pixie.infra import redis_client
from pixie.infra.jobs import JobMessage, JobRunner
from pixie.infra.tasks import cancel_all

log = logging.getLogger("pixie.queue")

RUN = "run"  # the one function every message names
# A blocked dequeue returns this often, so a connection that died silently is noticed.
DEQUEUE_TIMEOUT_SECONDS = 5.0
# SAQ retries a message only when running it failed outside the job (the database was down);
# the job's own failures and retries are decided in the database.
MESSAGE_RETRIES = 5
MESSAGE_RETRY_DELAY_SECONDS = 1.0
MESSAGE_RETRY_MAX_DELAY_SECONDS = 30.0


def queue_name(kind: str) -> str:
    return f"pixie:jobs:{kind}"


class _NoGraceWarning(logging.Filter):
    """SAQ warns at every stop that its loops outlived a grace period, which is zero on purpose: the
    runner hands running jobs back rather than waiting for them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "shutdown grace period" not in record.getMessage()


class RedisJobQueue:
    """Sends job messages to Redis, one SAQ queue per job kind."""

    def __init__(self, url: str, *, heartbeat_seconds: float = 60.0) -> None:
        self._client = redis_client.connect(url)
        self._queues: dict[str, RedisQueue] = {}
        # A message whose worker has not touched it for this long is swept (the worker died).
        self._heartbeat = max(2, math.ceil(heartbeat_seconds))
        saq_log = logging.getLogger("saq")
        if saq_log.level == logging.NOTSET:
            saq_log.setLevel(logging.WARNING)  # it logs three lines per job at INFO
        if not any(isinstance(f, _NoGraceWarning) for f in saq_log.filters):
            saq_log.addFilter(_NoGraceWarning())

    @property
    def heartbeat_seconds(self) -> int:
        return self._heartbeat

    def for_kind(self, kind: str) -> RedisQueue:
        queue = self._queues.get(kind)
        if queue is None:
            queue = self._queues[kind] = RedisQueue(self._client, name=queue_name(kind))
        return queue

    async def send(self, messages: Sequence[JobMessage]) -> None:
        now = utcnow()
        for message in messages:
            # SAQ schedules in whole seconds: round up, so a message is never due before its job.
            scheduled = math.ceil(message.run_after.timestamp()) if message.run_after > now else 0
            await self.for_kind(message.kind).enqueue(
                RUN,
                key=f"{message.id}.{message.attempts}",
                job_id=message.id,
                scheduled=scheduled,
                timeout=0,  # the runner enforces each kind's limit, and records it
                heartbeat=self._heartbeat,
                retries=MESSAGE_RETRIES,
                retry_delay=MESSAGE_RETRY_DELAY_SECONDS,
                retry_backoff=MESSAGE_RETRY_MAX_DELAY_SECONDS,
                ttl=-1,  # forgotten once handled: the database keeps the job
            )

    async def close(self) -> None:
        await self._client.aclose()


class _Worker(Worker[Context]):
    # The process's own signal handling (uvicorn's, or `pixie worker`'s) stops it.
    SIGNALS: list[Any] = []


class RedisWorkers:
    """Takes messages off the queues of the given kinds (all the runner's kinds when none are
    given) and runs each job through the runner, ``concurrency`` at a time per kind."""

    def __init__(
        self,
        runner: JobRunner,
        queue: RedisJobQueue,
        *,
        kinds: Sequence[str] = (),
        concurrency: int = 2,
    ) -> None:
        self._runner = runner
        self._queue = queue
        self._kinds = list(kinds)
        self._concurrency = concurrency
        self._workers: list[_Worker] = []
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def kinds(self) -> list[str]:
        return self._kinds or self._runner.kinds

    async def start(self) -> None:
        unknown = sorted(set(self.kinds) - set(self._runner.kinds))
        if unknown:
            raise ValueError(
                f"no job kind named {', '.join(unknown)}; the kinds are: {', '.join(self._runner.kinds)}"
            )
        for kind in self.kinds:
            worker = _Worker(
                self._queue.for_kind(kind),
                [(RUN, self._run)],
                concurrency=self._concurrency,
                dequeue_timeout=DEQUEUE_TIMEOUT_SECONDS,
            )
            self._workers.append(worker)
            self._tasks.append(asyncio.create_task(worker.start(), name=f"pixie-worker-{kind}"))

    async def stop(self) -> None:
        # SAQ cancels the running jobs; the runner hands each back to the queue.
        await asyncio.gather(*(worker.stop() for worker in self._workers), return_exceptions=True)
        await cancel_all(self._tasks)
        self._workers.clear()
        self._tasks.clear()

    async def _run(self, ctx: Context, *, job_id: int) -> None:
        message = ctx.get("job")
        beat = asyncio.create_task(self._heartbeat(message)) if message is not None else None
        try:
            await self._runner.run_job(job_id)
        finally:
            if beat is not None:
                await cancel_all([beat])

    async def _heartbeat(self, message: Any) -> None:
        """Touches the message while its job runs, so SAQ does not sweep it as abandoned."""
        while True:
            await asyncio.sleep(self._queue.heartbeat_seconds / 3)
            try:
                await message.update()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not touch a job's message", exc_info=True)
