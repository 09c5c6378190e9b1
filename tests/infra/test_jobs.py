"""The job state machine, its runner, the reaper and the single periodic scheduler."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from pixie.db.engine import Database
from pixie.db.types import utcnow
from pixie.infra import jobs
from pixie.infra.jobs import JobContext, JobRunner, Scheduler
from pixie.models.system import Job
from tests.conftest import Backend, running


async def job(db: Database, job_id: int) -> Job:
    async with db.read() as session:
        found = await session.get(Job, job_id)
    assert found is not None
    return found


async def test_a_job_runs_once_and_records_its_result(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        runner = JobRunner(db)
        ran: list[dict[str, Any]] = []

        async def work(ctx: JobContext) -> dict[str, Any]:
            ran.append(ctx.payload)
            return {"doubled": ctx.payload["n"] * 2}

        runner.register("test.double", work)
        job_id = await jobs.enqueue(db, "test.double", {"n": 21})
        assert job_id is not None
        assert await runner.run_one() is True
        assert await runner.run_one() is False  # nothing left
        done = await job(db, job_id)
        assert (done.state, done.result, done.attempts) == ("succeeded", {"doubled": 42}, 1)
        assert ran == [{"n": 21}]


async def test_failures_retry_with_backoff_then_fail(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        runner = JobRunner(db, retry_base_seconds=60)

        async def broken(ctx: JobContext) -> None:
            raise ValueError(f"attempt {ctx.attempt} failed")

        runner.register("test.broken", broken)
        job_id = await jobs.enqueue(db, "test.broken", max_attempts=2)
        assert job_id is not None
        await runner.run_one()
        first = await job(db, job_id)
        assert first.state == "queued" and first.attempts == 1
        assert first.run_after > utcnow() + timedelta(seconds=50)  # backed off
        assert await runner.run_one() is False  # not due yet
        async with db.write() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))
        await runner.run_one()
        last = await job(db, job_id)
        assert last.state == "failed"
        assert last.error == "attempt 2 failed"


async def test_a_late_worker_cannot_overwrite_a_reaped_job(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        slow = JobRunner(db, lease_seconds=60)
        fast = JobRunner(db)
        release = asyncio.Event()
        results: list[str] = []

        async def slow_work(ctx: JobContext) -> dict[str, str]:
            await release.wait()
            results.append("slow")
            return {"by": "slow"}

        async def fast_work(ctx: JobContext) -> dict[str, str]:
            results.append("fast")
            return {"by": "fast"}

        slow.register("test.race", slow_work)
        fast.register("test.race", fast_work)
        job_id = await jobs.enqueue(db, "test.race")
        assert job_id is not None
        first = asyncio.create_task(slow.run_one())
        await asyncio.sleep(0.1)
        # The slow worker stalls (a network partition, a frozen VM): its lease runs out unrenewed.
        async with db.write() as session:
            await session.execute(
                update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )
        assert await jobs.reap(db) == 1
        assert await fast.run_one() is True
        release.set()
        await first
        done = await job(db, job_id)
        assert done.state == "succeeded"
        assert done.result == {"by": "fast"}  # the late worker changed nothing
        assert done.attempts == 2
        assert results == ["fast", "slow"]


async def test_the_reaper_fails_a_job_out_of_attempts(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        job_id = await jobs.enqueue(db, "test.dead", max_attempts=1)
        async with db.write() as session:
            await session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(
                    state="running",
                    attempts=1,
                    lease_owner="gone",
                    lease_expires_at=utcnow() - timedelta(seconds=1),
                )
            )
        assert await jobs.reap(db) == 1
        dead = await job(db, job_id or 0)
        assert dead.state == "failed"
        assert dead.error == "the worker stopped responding"


async def test_unique_keys_queue_a_job_once(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        first = await jobs.enqueue(px.rt.db, "test.x", unique_key="slot-1")
        second = await jobs.enqueue(px.rt.db, "test.x", unique_key="slot-1")
        assert first is not None and second is None


async def test_only_one_scheduler_runs_periodic_tasks(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        ran: list[str] = []
        schedulers = [Scheduler(db, lock_ttl_seconds=30) for _ in range(3)]
        for i, scheduler in enumerate(schedulers):

            async def task(i: int = i) -> None:
                ran.append(f"s{i}")

            scheduler.add("test.tick", timedelta(hours=1), task)
        for _ in range(3):
            for scheduler in schedulers:
                await scheduler.tick()
        assert len(ran) == 1  # one holder, and the task is not due again within the hour
        holders = [s for s in schedulers if s.holds_lock]
        assert len(holders) == 1
        await holders[0].stop()  # releases the lock: another process takes over
        others = [s for s in schedulers if s is not holders[0]]
        for scheduler in others:
            await scheduler.tick()
        assert len(ran) == 2


async def test_the_scheduler_queues_the_cleanup_job_which_removes_what_expired(
    tmp_path: Path, backend: Backend
) -> None:
    from pixie.models.email_tokens import EmailToken
    from pixie.models.system import OutboxEvent
    from pixie.services import accounts, maintenance

    async with running(tmp_path, backend, background=False) as px:
        account = await accounts.create_user(
            px.rt, username="alice", email="a@example.com", password="long enough pw"
        )
        _, user = await accounts.get_user(px.rt, account.id)
        await accounts.make_email_token(px.rt, user.id, accounts.RESET)
        async with px.rt.db.write() as session:
            await session.execute(update(EmailToken).values(expires_at=utcnow() - timedelta(minutes=1)))
            await session.execute(update(OutboxEvent).values(dispatched_at=utcnow() - timedelta(days=30)))
        assert maintenance.CLEANUP in await px.rt.scheduler.tick()
        assert await maintenance.enqueue_cleanup(px.rt) is None  # one per hour, however often asked
        async with px.rt.db.read() as session:
            job_id = await session.scalar(select(Job.id).where(Job.kind == maintenance.CLEANUP))
        assert job_id is not None
        assert await px.rt.jobs.run_one() is True
        done = await job(px.rt.db, job_id)
        assert done.state == "succeeded"
        assert done.result is not None
        assert done.result["removed"]["email_tokens"] == 1
        assert done.result["removed"]["outbox_events"] >= 1
        async with px.rt.db.read() as session:
            assert list(await session.scalars(select(EmailToken))) == []


async def test_a_long_job_keeps_its_lease_and_is_not_run_twice(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        runner = JobRunner(db, lease_seconds=0.3)
        runs: list[int] = []

        async def long_work(ctx: JobContext) -> dict[str, str]:
            runs.append(ctx.attempt)
            for _ in range(10):  # 1 s: three lease lengths
                await asyncio.sleep(0.1)
                await jobs.reap(db)  # the reaper comes by often
            return {"done": "yes"}

        runner.register("test.long", long_work)
        job_id = await jobs.enqueue(db, "test.long")
        assert job_id is not None
        assert await runner.run_one() is True
        assert await runner.run_one() is False
        done = await job(db, job_id)
        assert (done.state, done.result, runs) == ("succeeded", {"done": "yes"}, [1])
