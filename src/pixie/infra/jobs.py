"""Background work kept in the database as a state machine, and the single periodic scheduler.

A job is ``queued`` -> ``running`` -> ``succeeded`` / ``failed`` / ``cancelled``. Every change is a
conditional update on the state, owner and attempt it expects, so a late or duplicate worker
changes nothing. A worker holds a lease; the reaper hands jobs whose lease expired back to the
queue (or fails them after their last attempt), so no job stays ``running`` forever.

What runs a job is chosen at start-up: on embedded defaults the runner polls the database in
this process; with Redis a queue carries only "work on job N" (see ``infra/queue.py``) to
whichever process takes it, and the database stays the only record of the job. A message may be
lost or delivered twice: the claim is conditional, and the sweeper sends the message of a job
left ``queued`` too long again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.engine import Database
from pixie.db.types import utcnow
from pixie.infra.tasks import STOP_TIMEOUT_SECONDS, cancel_all
from pixie.models.system import Job, Lock

log = logging.getLogger("pixie.jobs")

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
# Backoff doubles per attempt from the runner's base, up to this.
MAX_RETRY_DELAY_SECONDS = 3600.0
# The sweeper sends at most this many messages per pass; the rest wait for the next pass.
SWEEP_BATCH = 1000
PROGRESS_MESSAGE_LENGTH = 200


class RetryableJobError(Exception):
    """A transient failure (a rate limit, a time-out of a service the job calls): the job is tried
    again after ``retry_after`` seconds, or after the runner's exponential backoff when None, as
    long as it has attempts left."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class PermanentJobError(Exception):
    """A failure another attempt cannot fix (the input is refused): the job fails now, with
    ``message`` as its error, whatever attempts it has left."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Reporter = Callable[[float, str | None], Awaitable[None]]


@dataclass(frozen=True)
class JobContext:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    reporter: Reporter | None = field(default=None, repr=False, compare=False)

    async def progress(self, fraction: float, message: str | None = None) -> None:
        """Stores how far the job is (0..1, clamped) and, when given, a short line for people on
        the job's row. A job that was cancelled or handed to another worker meanwhile is stopped
        (its task is cancelled) rather than told."""
        if self.reporter is not None:
            await self.reporter(fraction, message)


JobFunction = Callable[[JobContext], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class JobKind:
    function: JobFunction
    timeout: float | None  # seconds one attempt may run; None for no limit


@dataclass(frozen=True)
class JobMessage:
    """What a queue carries: "work on job N", and from when (a retry waits out its backoff)."""

    id: int
    kind: str
    attempts: int  # attempts made when it was sent: tells a resend apart from the next attempt
    run_after: datetime


class JobQueue(Protocol):
    """Carries job messages to the processes that run them (Redis in production)."""

    async def send(self, messages: Sequence[JobMessage]) -> None: ...


def message_for(job: Job) -> JobMessage:
    return JobMessage(job.id, job.kind, job.attempts or 0, job.run_after)


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class _Running:
    task: asyncio.Task[dict[str, Any] | None]
    lost: str | None = None  # why the job stopped being this worker's


class JobRunner:
    """Knows the job kinds and runs claimed jobs: claims, keeps the lease, watches for cancellation,
    enforces the kind's time-out and records the outcome.

    With ``polling`` it also runs ``concurrency`` loops that claim due jobs from the database (the
    embedded default); otherwise jobs come through :meth:`run_job` from a queue's consumer.
    """

    def __init__(
        self,
        db: Database,
        *,
        queue: JobQueue | None = None,
        polling: bool = True,
        concurrency: int = 2,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        retry_base_seconds: float = 5.0,
        watch_seconds: float = 1.0,
        requeue_after_seconds: float = 60.0,
    ) -> None:
        self._db = db
        self._queue = queue
        self._polling = polling
        self._kinds: dict[str, JobKind] = {}
        self._concurrency = concurrency
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self._retry_base = retry_base_seconds
        self._watch = watch_seconds
        self._requeue_after = timedelta(seconds=requeue_after_seconds)
        self._name = worker_name()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running: dict[tuple[int, int], _Running] = {}
        # Jobs announced in this process, due now: the polling loops claim these by id first,
        # which saves them a look at the table.
        self._announced: deque[int] = deque()
        self._keeper: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return self._name

    def register(self, kind: str, function: JobFunction, *, timeout: float | None = None) -> None:
        """Makes ``kind`` runnable here. An attempt that runs past ``timeout`` seconds is stopped and
        counts as a failed attempt (retried with backoff while attempts remain)."""
        self._kinds[kind] = JobKind(function, timeout)

    @property
    def kinds(self) -> list[str]:
        return list(self._kinds)

    def kick(self) -> None:
        self._wake.set()

    async def submit(self, messages: Sequence[JobMessage]) -> None:
        """Announces jobs whose transaction has committed. Never raises: a message that could not
        be sent is sent again by the sweeper, since its job stays ``queued``."""
        if not messages:
            return
        if self._polling and self._tasks:
            now = utcnow()
            self._announced.extend(m.id for m in messages if m.run_after <= now and m.kind in self._kinds)
            self.kick()
        if self._queue is not None:
            try:
                await self._queue.send(messages)
            except Exception:
                log.warning(
                    "could not put jobs on the queue; the sweeper sends them again",
                    exc_info=True,
                    extra={"job_ids": [m.id for m in messages]},
                )

    async def enqueue(
        self,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        run_after: datetime | None = None,
        max_attempts: int = 3,
        unique_key: str | None = None,
    ) -> int | None:
        """Queues a job in a transaction of its own and announces it; None when ``unique_key`` is
        taken already."""
        run_after = run_after or utcnow()
        job_id = await enqueue(
            self._db, kind, payload, run_after=run_after, max_attempts=max_attempts, unique_key=unique_key
        )
        if job_id is not None:
            await self.submit([JobMessage(job_id, kind, 0, run_after)])
        return job_id

    async def start(self) -> None:
        if self._polling:
            self._tasks = [
                asyncio.create_task(self._loop(), name=f"pixie-jobs-{i}") for i in range(self._concurrency)
            ]

    async def stop(self) -> None:
        """Stops polling and hands the jobs still running here back to the queue."""
        await cancel_all(self._tasks)
        self._tasks.clear()
        self._announced.clear()
        # Jobs run by direct calls (run_one, run_job) stop here; each is handed back as it ends.
        orphans = [r.task for r in self._running.values()]
        for task in orphans:
            task.cancel()
        if orphans:
            await asyncio.wait(orphans, timeout=STOP_TIMEOUT_SECONDS)
        if self._keeper is not None:
            await cancel_all([self._keeper])
            self._keeper = None

    async def _loop(self) -> None:
        while True:
            # Cleared before looking, so a kick that comes while this loop looks is not lost.
            self._wake.clear()
            try:
                if self._announced:
                    await self.run_job(self._announced.popleft())
                    ran = True  # look again at once
                else:
                    ran = await self.run_one()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job runner failed")
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    def _claim_values(self, now: datetime) -> dict[str, Any]:
        return {
            "state": RUNNING,
            "attempts": Job.attempts + 1,
            "lease_owner": self._name,
            "lease_expires_at": now + self._lease,
        }

    async def _claim_next(self) -> Job | None:
        # The look costs only a read, so an idle poll never takes SQLite's one writer from the
        # requests; the claim itself is conditional, and another runner may win it (look again).
        for _ in range(3):
            now = utcnow()
            async with self._db.read() as session:
                candidate = await session.scalar(
                    select(Job.id)
                    .where(Job.state == QUEUED, Job.run_after <= now, Job.kind.in_(self.kinds))
                    .order_by(Job.run_after, Job.id)
                    .limit(1)
                )
            if candidate is None:
                return None
            async with self._db.write() as session:
                claimed: Job | None = await session.scalar(
                    update(Job)
                    .where(Job.id == candidate, Job.state == QUEUED)
                    .values(**self._claim_values(now))
                    .returning(Job)
                )
            if claimed is not None:
                return claimed
        return None

    async def run_one(self) -> bool:
        """Claims and runs one due job of this runner's kinds; False when there was none."""
        job = await self._claim_next()
        if job is None:
            return False
        await self._execute(job)
        return True

    async def run_job(self, job_id: int) -> bool:
        """Runs job ``job_id`` if it is queued and due (a queue's message); False when the message
        is stale: the job finished, runs elsewhere, was cancelled, or is not due yet (its message
        is then sent again for when it is)."""
        now = utcnow()
        async with self._db.write() as session:
            job = await session.scalar(
                update(Job)
                .where(Job.id == job_id, Job.state == QUEUED, Job.run_after <= now, Job.kind.in_(self.kinds))
                .values(**self._claim_values(now))
                .returning(Job)
            )
            waiting = None
            if job is None:
                waiting = await session.scalar(
                    select(Job).where(Job.id == job_id, Job.state == QUEUED, Job.run_after > now)
                )
        if job is None:
            if waiting is not None:
                await self.submit([message_for(waiting)])
            return False
        await self._execute(job)
        return True

    def _mine(self, job: Job) -> ColumnElement[bool]:
        return and_(
            Job.id == job.id,
            Job.state == RUNNING,
            Job.lease_owner == self._name,
            Job.attempts == job.attempts,
        )

    async def _report(
        self, key: tuple[int, int], mine: ColumnElement[bool], fraction: float, message: str | None
    ) -> None:
        values: dict[str, Any] = {"progress": min(max(float(fraction), 0.0), 1.0)}
        if message is not None:
            values["progress_message"] = message[:PROGRESS_MESSAGE_LENGTH]
        async with self._db.write() as session:
            changed = await session.execute(update(Job).where(mine).values(**values))
        if not changed.rowcount:  # type: ignore[attr-defined]
            self._lose(key, "it was cancelled or handed to another worker")

    def _lose(self, key: tuple[int, int], why: str) -> None:
        running = self._running.get(key)
        if running is not None and running.lost is None:
            running.lost = why
            running.task.cancel()

    async def _execute(self, job: Job) -> None:
        kind = self._kinds[job.kind]
        key = (job.id, job.attempts)
        mine = self._mine(job)
        info = {"job_id": job.id, "kind": job.kind, "attempt": job.attempts}

        async def report(fraction: float, message: str | None) -> None:
            await self._report(key, mine, fraction, message)

        context = JobContext(job.id, job.kind, dict(job.payload), job.attempts, report)

        async def call() -> dict[str, Any] | None:
            return await kind.function(context)

        # Its own task, so that stopping the job (cancelled, taken over) leaves this one to record it.
        task = asyncio.create_task(call(), name=f"pixie-job-{job.id}")
        running = _Running(task)
        self._running[key] = running
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep(), name="pixie-job-keeper")
        timed_out = False
        try:
            try:
                async with asyncio.timeout(kind.timeout) as limit:
                    result = await task
            except TimeoutError:
                if not limit.expired():
                    raise
                timed_out = True
                raise
        except asyncio.CancelledError:
            if running.lost is None:
                # Not taken away: this process is stopping. The job goes back to the queue now
                # rather than when its lease runs out.
                await asyncio.shield(self._hand_back(job, mine))
            else:
                log.info("job stopped: %s", running.lost, extra=info)
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            return
        except Exception as exc:
            if timed_out:
                error = f"the job ran longer than its limit of {kind.timeout:g} s and was stopped"
            else:
                error = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            log.warning("job attempt failed: %s", error, exc_info=not timed_out, extra=info)
            await self._record_failure(job, mine, exc, error)
            return
        finally:
            self._running.pop(key, None)
        async with self._db.write() as session:
            await session.execute(
                update(Job)
                .where(mine)
                .values(
                    state=SUCCEEDED,
                    result=result,
                    progress=1.0,
                    finished_at=utcnow(),
                    lease_owner=None,
                    lease_expires_at=None,
                )
            )

    async def _record_failure(self, job: Job, mine: ColumnElement[bool], exc: Exception, error: str) -> None:
        now = utcnow()
        values: dict[str, Any] = {"error": error[:2000], "lease_owner": None, "lease_expires_at": None}
        if isinstance(exc, PermanentJobError) or job.attempts >= job.max_attempts:
            values.update(state=FAILED, finished_at=now)
        else:
            delay = self._retry_base * 2 ** (job.attempts - 1)
            if isinstance(exc, RetryableJobError) and exc.retry_after is not None:
                delay = exc.retry_after
            values.update(
                state=QUEUED, run_after=now + timedelta(seconds=min(delay, MAX_RETRY_DELAY_SECONDS))
            )
        async with self._db.write() as session:
            retried = await session.scalar(update(Job).where(mine).values(**values).returning(Job))
        if retried is not None and retried.state == QUEUED:
            await self.submit([message_for(retried)])

    async def _hand_back(self, job: Job, mine: ColumnElement[bool]) -> None:
        """This process is stopping: the job goes back to the queue at once, and the attempt the
        stop cut short does not count against it."""
        try:
            async with self._db.write() as session:
                returned = await session.scalar(
                    update(Job)
                    .where(mine)
                    .values(
                        state=QUEUED,
                        attempts=Job.attempts - 1,
                        run_after=utcnow(),
                        lease_owner=None,
                        lease_expires_at=None,
                    )
                    .returning(Job)
                )
            if returned is not None:
                await self.submit([message_for(returned)])
        except Exception:
            log.warning("could not hand a job back; the reaper will", exc_info=True, extra={"job_id": job.id})

    async def _keep(self) -> None:
        """While jobs run here: notices within ``watch_seconds`` a job that was cancelled or taken
        over (and stops it), and renews the leases, so the reaper only takes jobs whose worker died."""
        loop = asyncio.get_running_loop()
        renew_every = self._lease.total_seconds() / 3
        renew_at = loop.time() + renew_every
        while self._running:
            await asyncio.sleep(min(self._watch, renew_every))
            try:
                await self._watch_running()
                if loop.time() >= renew_at and self._running:
                    renew_at = loop.time() + renew_every
                    ids = {job_id for job_id, _ in self._running}
                    async with self._db.write() as session:
                        await session.execute(
                            update(Job)
                            .where(Job.id.in_(ids), Job.state == RUNNING, Job.lease_owner == self._name)
                            .values(lease_expires_at=utcnow() + self._lease)
                        )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not check or renew job leases", exc_info=True)

    async def _watch_running(self) -> None:
        keys = list(self._running)
        if not keys:
            return
        async with self._db.read() as session:
            rows = await session.execute(
                select(Job.id, Job.attempts).where(
                    Job.id.in_({job_id for job_id, _ in keys}),
                    Job.state == RUNNING,
                    Job.lease_owner == self._name,
                )
            )
            still = {(row.id, row.attempts) for row in rows}
        for key in keys:
            if key not in still:
                self._lose(key, "it was cancelled or handed to another worker")

    async def reap(self) -> int:
        """The reaper (see :func:`reap`); the jobs it returns to the queue are announced again."""
        changed, requeued = await _reap(self._db)
        await self.submit(requeued)
        return changed

    async def sweep(self) -> int:
        """Sends again the messages of jobs left ``queued`` past their due time for longer than
        ``requeue_after_seconds`` (their message may have died with Redis). Nothing to do when
        runners poll the database. Returns how many were sent."""
        if self._queue is None:
            return 0
        async with self._db.read() as session:
            stale = list(
                await session.scalars(
                    select(Job)
                    .where(Job.state == QUEUED, Job.run_after < utcnow() - self._requeue_after)
                    .order_by(Job.run_after)
                    .limit(SWEEP_BATCH)
                )
            )
        if stale:
            log.info("sending the messages of jobs queued too long again", extra={"count": len(stale)})
            await self.submit([message_for(job) for job in stale])
        return len(stale)


def add_job(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
    max_attempts: int = 3,
    unique_key: str | None = None,
) -> Job:
    """Queues a job inside the caller's transaction, so it exists exactly when the write does.
    Written through ``Runtime.write()``, its message goes out once the transaction commits."""
    job = Job(
        kind=kind,
        payload=payload or {},
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
        unique_key=unique_key,
        state=QUEUED,
        attempts=0,
    )
    session.add(job)
    session.info.setdefault("pixie_jobs", []).append(job)
    return job


async def enqueue(
    db: Database,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
    max_attempts: int = 3,
    unique_key: str | None = None,
) -> int | None:
    """Queues a job; with ``unique_key``, a second job with the same key is not queued (None).
    Prefer ``JobRunner.enqueue``, which also announces it."""
    try:
        async with db.write() as session:
            job = add_job(
                session, kind, payload, run_after=run_after, max_attempts=max_attempts, unique_key=unique_key
            )
    except IntegrityError:
        if unique_key is None:
            raise
        return None
    return job.id


async def cancel_job(db: Database, job_id: int) -> bool:
    """Cancels a job that has not finished; False when it had. A running job's worker notices
    within about a second and stops it; whatever it returns afterwards is not stored."""
    now = utcnow()
    async with db.write() as session:
        changed = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_((QUEUED, RUNNING)))
            .values(state=CANCELLED, finished_at=now, lease_owner=None, lease_expires_at=None)
        )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def _reap(db: Database) -> tuple[int, list[JobMessage]]:
    now = utcnow()
    async with db.write() as session:
        expired = and_(Job.state == RUNNING, Job.lease_expires_at < now)
        failed = await session.execute(
            update(Job)
            .where(expired, Job.attempts >= Job.max_attempts)
            .values(
                state=FAILED,
                error="the worker stopped responding",
                finished_at=now,
                lease_owner=None,
                lease_expires_at=None,
            )
        )
        requeued = list(
            await session.scalars(
                update(Job)
                .where(expired)
                .values(state=QUEUED, run_after=now, lease_owner=None, lease_expires_at=None)
                .returning(Job)
            )
        )
    return int(failed.rowcount or 0) + len(requeued), [message_for(job) for job in requeued]  # type: ignore[attr-defined]


async def reap(db: Database) -> int:
    """Returns running jobs whose lease expired to the queue, or fails them after their last try."""
    changed, _ = await _reap(db)
    return changed


async def acquire_lock(db: Database, name: str, owner: str, ttl: timedelta) -> bool:
    """Takes or renews the named lease; True while ``owner`` holds it."""
    now = utcnow()
    async with db.write() as session:
        renewed = await session.execute(
            update(Lock)
            .where(Lock.name == name, or_(Lock.owner == owner, Lock.expires_at < now))
            .values(owner=owner, expires_at=now + ttl)
        )
        if renewed.rowcount:  # type: ignore[attr-defined]
            return True
    try:
        async with db.write() as session:
            await session.execute(insert(Lock).values(name=name, owner=owner, expires_at=now + ttl))
        return True
    except IntegrityError:
        return False


async def release_lock(db: Database, name: str, owner: str) -> None:
    async with db.write() as session:
        await session.execute(delete(Lock).where(Lock.name == name, Lock.owner == owner))


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    every: timedelta
    run: Callable[[], Awaitable[None]]


class Scheduler:
    """Runs periodic tasks in exactly one process at a time: the holder of the scheduler lock."""

    LOCK = "scheduler"

    def __init__(self, db: Database, *, tick_seconds: float = 1.0, lock_ttl_seconds: float = 30.0) -> None:
        self._db = db
        self._tasks: list[PeriodicTask] = []
        self._tick = tick_seconds
        self._ttl = timedelta(seconds=lock_ttl_seconds)
        self._owner = worker_name()
        self._next: dict[str, datetime] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self.holds_lock = False

    def add(self, name: str, every: timedelta, run: Callable[[], Awaitable[None]]) -> None:
        self._tasks.append(PeriodicTask(name, every, run))

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="pixie-scheduler")

    async def stop(self) -> None:
        if self._loop_task is not None:
            await cancel_all([self._loop_task])
            self._loop_task = None
        if self.holds_lock:
            with contextlib.suppress(Exception):
                await release_lock(self._db, self.LOCK, self._owner)
            self.holds_lock = False

    async def tick(self) -> list[str]:
        """Runs what is due if this process holds the lock; returns the names that ran."""
        self.holds_lock = await acquire_lock(self._db, self.LOCK, self._owner, self._ttl)
        if not self.holds_lock:
            return []
        ran = []
        now = utcnow()
        for task in self._tasks:
            if self._next.get(task.name, now) <= now:
                self._next[task.name] = now + task.every
                try:
                    await task.run()
                except Exception:
                    log.exception("periodic task failed", extra={"task": task.name})
                ran.append(task.name)
        return ran

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(self._tick)
