"""Background work kept in the database as a state machine, and the single periodic scheduler.

A job is ``queued`` -> ``running`` -> ``succeeded`` / ``failed`` / ``cancelled``. Every change is a
conditional update on the state, owner and attempt it expects, so a late or duplicate worker
changes nothing. A worker holds a lease; the reaper hands jobs whose lease expired back to the
queue (or fails them after their last attempt), so no job stays ``running`` forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.engine import Database
from pixie.db.types import utcnow
from pixie.infra.tasks import cancel_all
from pixie.models.system import Job, Lock

log = logging.getLogger("pixie.jobs")

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
FINISHED = (SUCCEEDED, FAILED, CANCELLED)


@dataclass(frozen=True)
class JobContext:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int


JobFunction = Callable[[JobContext], Awaitable[dict[str, Any] | None]]


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class JobRunner:
    """Runs queued jobs in this process (embedded defaults; later issues add a distributed queue)."""

    def __init__(
        self,
        db: Database,
        *,
        concurrency: int = 2,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        retry_base_seconds: float = 5.0,
    ) -> None:
        self._db = db
        self._functions: dict[str, JobFunction] = {}
        self._concurrency = concurrency
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self._retry_base = retry_base_seconds
        self._name = worker_name()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def register(self, kind: str, function: JobFunction) -> None:
        self._functions[kind] = function

    @property
    def kinds(self) -> list[str]:
        return list(self._functions)

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"pixie-jobs-{i}") for i in range(self._concurrency)
        ]

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        self._tasks.clear()

    async def _loop(self) -> None:
        while True:
            try:
                ran = await self.run_one()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job runner failed")
                ran = False
            if not ran:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def _claim(self) -> Job | None:
        now = utcnow()
        async with self._db.write() as session:
            candidate = await session.scalar(
                select(Job.id)
                .where(Job.state == QUEUED, Job.run_after <= now, Job.kind.in_(self.kinds))
                .order_by(Job.run_after, Job.id)
                .limit(1)
            )
            if candidate is None:
                return None
            claimed = await session.scalar(
                update(Job)
                .where(Job.id == candidate, Job.state == QUEUED)
                .values(
                    state=RUNNING,
                    attempts=Job.attempts + 1,
                    lease_owner=self._name,
                    lease_expires_at=now + self._lease,
                )
                .returning(Job)
            )
            return claimed

    async def _keep_lease(self, mine: Any) -> None:
        """Renews the lease while the job runs, so the reaper only takes jobs whose worker died."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                async with self._db.write() as session:
                    await session.execute(
                        update(Job).where(mine).values(lease_expires_at=utcnow() + self._lease)
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("could not renew a job lease", exc_info=True)

    async def run_one(self) -> bool:
        """Claims and runs one due job; False when there was none."""
        job = await self._claim()
        if job is None:
            return False
        context = JobContext(job.id, job.kind, dict(job.payload), job.attempts)
        mine = and_(
            Job.id == job.id,
            Job.state == RUNNING,
            Job.lease_owner == self._name,
            Job.attempts == job.attempts,
        )
        heartbeat = asyncio.create_task(self._keep_lease(mine), name=f"pixie-lease-{job.id}")
        try:
            result = await self._functions[job.kind](context)
        except Exception as exc:
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind, "attempt": job.attempts})
            async with self._db.write() as session:
                if job.attempts >= job.max_attempts:
                    values: dict[str, Any] = {
                        "state": FAILED,
                        "error": str(exc)[:2000],
                        "finished_at": utcnow(),
                    }
                else:
                    delay = self._retry_base * 2 ** (job.attempts - 1)
                    values = {
                        "state": QUEUED,
                        "error": str(exc)[:2000],
                        "run_after": utcnow() + timedelta(seconds=delay),
                    }
                await session.execute(
                    update(Job).where(mine).values(lease_owner=None, lease_expires_at=None, **values)
                )
            return True
        finally:
            await cancel_all([heartbeat])
        async with self._db.write() as session:
            await session.execute(
                update(Job)
                .where(mine)
                .values(
                    state=SUCCEEDED,
                    result=result,
                    finished_at=utcnow(),
                    lease_owner=None,
                    lease_expires_at=None,
                )
            )
        return True


def add_job(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
    max_attempts: int = 3,
    unique_key: str | None = None,
) -> Job:
    """Queues a job inside the caller's transaction, so it exists exactly when the write does."""
    job = Job(
        kind=kind,
        payload=payload or {},
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
        unique_key=unique_key,
        state=QUEUED,
    )
    session.add(job)
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
    """Queues a job; with ``unique_key``, a second job with the same key is not queued (None)."""
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


async def reap(db: Database) -> int:
    """Returns running jobs whose lease expired to the queue, or fails them after their last try."""
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
        requeued = await session.execute(
            update(Job)
            .where(expired)
            .values(state=QUEUED, run_after=now, lease_owner=None, lease_expires_at=None)
        )
    return int(failed.rowcount or 0) + int(requeued.rowcount or 0)  # type: ignore[attr-defined]


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
