"""The job runner's guarantees inside one process, on both backends: messages leave only after the
commit, cancellation and time limits stop a job's task, transient and permanent failures, the
hand-back on shutdown and the sweeper. `tests/e2e/test_workers.py` runs the same through
`pixie worker` processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from pixie.db.engine import Database
from pixie.db.types import utcnow
from pixie.infra import jobs
from pixie.infra.jobs import JobContext, JobRunner, PermanentJobError, RetryableJobError
from pixie.infra.queue import RedisJobQueue
from pixie.models.system import Job
from tests.conftest import REDIS_URL, Backend, running

ROOT = Path(__file__).parent.parent.parent
PIXIE = str(Path(sys.executable).parent / "pixie")


async def job(db: Database, job_id: int) -> Job:
    async with db.read() as session:
        found = await session.get(Job, job_id)
    assert found is not None
    return found


async def wait_for(db: Database, job_id: int, state: str, timeout: float = 10.0) -> Job:
    deadline = time.monotonic() + timeout
    while (found := await job(db, job_id)).state != state:
        assert time.monotonic() < deadline, f"job {job_id} is {found.state}, not {state}"
        await asyncio.sleep(0.02)
    return found


async def test_a_job_added_in_a_write_runs_in_process_once_committed(
    tmp_path: Path, backend: Backend
) -> None:
    """Embedded: the runner polling the table is woken. With Redis (PIXIE_WORKERS_IN_PROCESS on by
    default): the message goes on the queue and this process's own workers take it."""
    async with running(tmp_path, backend, job_modules=["tests.e2e.queue_jobs"]) as px:
        async with px.rt.write() as session:
            added = jobs.add_job(session, "test.sleep", {"seconds": 0.1})
        done = await wait_for(px.rt.db, added.id, "succeeded", timeout=5)
        assert done.result is not None and done.result["slept"] == 0.1
        assert done.progress == 1.0


async def test_a_message_is_sent_after_the_commit_and_never_for_a_rollback(
    tmp_path: Path, production: Backend
) -> None:
    async with running(tmp_path, production, background=False) as px:
        queue = RedisJobQueue(REDIS_URL)
        waiting = queue.for_kind("test.sleep")
        try:
            async with px.rt.write() as session:
                kept = jobs.add_job(session, "test.sleep")
                await session.flush()
                assert await waiting.count("queued") == 0  # not before the row is visible
            assert await waiting.count("queued") == 1
            with pytest.raises(RuntimeError):
                async with px.rt.write() as session:
                    jobs.add_job(session, "test.sleep")
                    raise RuntimeError("the write failed")
            assert await waiting.count("queued") == 1  # nothing for the job that never existed
            assert (await job(px.rt.db, kept.id)).state == "queued"
        finally:
            await queue.close()


async def test_the_sweeper_sends_a_lost_message_again_without_doubling_a_live_one(
    tmp_path: Path, production: Backend
) -> None:
    async with running(tmp_path, production, background=False) as px:
        queue = RedisJobQueue(REDIS_URL)
        runner = JobRunner(px.rt.db, queue=queue, polling=False, requeue_after_seconds=1)
        waiting = queue.for_kind("test.sleep")
        try:
            job_id = await jobs.enqueue(px.rt.db, "test.sleep")  # the row, and no message (lost)
            assert job_id is not None
            assert await runner.sweep() == 0  # not queued long enough yet
            async with px.rt.db.write() as session:
                await session.execute(
                    update(Job).where(Job.id == job_id).values(run_after=utcnow() - timedelta(seconds=5))
                )
            assert await runner.sweep() == 1
            assert await runner.sweep() == 1
            assert await waiting.count("queued") == 1  # sent twice, waiting once
        finally:
            await queue.close()


async def test_cancelling_stops_a_running_job_and_drops_its_late_result(
    tmp_path: Path, backend: Backend
) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        runner = JobRunner(db, watch_seconds=0.1)
        stopped = asyncio.Event()
        started = asyncio.Event()

        async def stubborn(ctx: JobContext) -> dict[str, Any]:
            started.set()
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                stopped.set()
            return {"late": True}  # a result after it was told to stop

        runner.register("test.stubborn", stubborn)
        job_id = await jobs.enqueue(db, "test.stubborn")
        assert job_id is not None
        running_job = asyncio.create_task(runner.run_one())
        await asyncio.wait_for(started.wait(), 5)
        assert await jobs.cancel_job(db, job_id) is True
        await asyncio.wait_for(stopped.wait(), 1.0)
        await asyncio.wait_for(running_job, 5)
        done = await job(db, job_id)
        assert (done.state, done.result) == ("cancelled", None)
        assert await jobs.cancel_job(db, job_id) is False


async def test_time_limits_stop_the_attempt_and_count_as_failures(tmp_path: Path, backend: Backend) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        runner = JobRunner(db, retry_base_seconds=60)
        stops: list[int] = []

        async def hangs(ctx: JobContext) -> None:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                stops.append(ctx.attempt)
                raise

        runner.register("test.hangs", hangs, timeout=0.2)
        job_id = await jobs.enqueue(db, "test.hangs", max_attempts=2)
        assert job_id is not None
        started = time.monotonic()
        assert await runner.run_one() is True
        assert time.monotonic() - started < 2
        first = await job(db, job_id)
        assert (first.state, first.attempts) == ("queued", 1)
        assert first.error == "the job ran longer than its limit of 0.2 s and was stopped"
        assert first.run_after > utcnow() + timedelta(seconds=50)  # backed off like any failure
        async with db.write() as session:
            await session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))
        await runner.run_one()
        assert (await job(db, job_id)).state == "failed"
        assert stops == [1, 2]


async def test_transient_errors_wait_as_asked_and_permanent_ones_fail_at_once(
    tmp_path: Path, backend: Backend
) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        runner = JobRunner(db, retry_base_seconds=1)

        async def rate_limited(ctx: JobContext) -> None:
            raise RetryableJobError("the provider asks us to slow down", retry_after=120)

        async def refused(ctx: JobContext) -> None:
            raise PermanentJobError("the prompt was refused by the provider")

        runner.register("test.rate_limited", rate_limited)
        runner.register("test.refused", refused)
        slow = await jobs.enqueue(db, "test.rate_limited", max_attempts=5)
        bad = await jobs.enqueue(db, "test.refused", max_attempts=5)
        assert slow is not None and bad is not None
        await runner.run_one()
        await runner.run_one()
        waiting = await job(db, slow)
        assert (waiting.state, waiting.error) == ("queued", "the provider asks us to slow down")
        assert utcnow() + timedelta(seconds=110) < waiting.run_after < utcnow() + timedelta(seconds=125)
        failed = await job(db, bad)
        assert (failed.state, failed.attempts) == ("failed", 1)
        assert failed.error == "the prompt was refused by the provider"


async def test_a_stopping_runner_hands_its_job_back_without_spending_an_attempt(
    tmp_path: Path, backend: Backend
) -> None:
    async with running(tmp_path, backend, background=False) as px:
        db = px.rt.db
        runner = JobRunner(db)
        started = asyncio.Event()

        async def long(ctx: JobContext) -> None:
            started.set()
            await asyncio.sleep(30)

        runner.register("test.long", long)
        job_id = await jobs.enqueue(db, "test.long")
        assert job_id is not None
        await runner.start()
        runner.kick()
        await asyncio.wait_for(started.wait(), 5)
        assert (await job(db, job_id)).attempts == 1
        await runner.stop()
        back = await job(db, job_id)
        assert (back.state, back.attempts, back.lease_owner) == ("queued", 0, None)
        assert back.run_after <= utcnow()  # due now, not after the lease would have run out


def test_pixie_worker_explains_what_it_needs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXIE_")}
    env |= {"PIXIE_DATA_DIR": str(tmp_path), "PIXIE_SECRET_KEY": "x", "PYTHONPATH": str(ROOT)}

    def worker(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PIXIE, "worker", *args],
            env=env | settings,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    without_redis = worker()
    assert without_redis.returncode == 1
    assert "set PIXIE_REDIS_URL" in without_redis.stderr
    # Nothing listens on port 1: the kinds are checked before anything is reached.
    unknown = worker(
        "--kinds",
        "test.sleep,test.nothing",
        PIXIE_REDIS_URL="redis://127.0.0.1:1/0",
        PIXIE_JOB_MODULES="tests.e2e.queue_jobs",
    )
    assert unknown.returncode == 2
    assert "no job kind named test.nothing" in unknown.stderr
    assert "test.sleep" in unknown.stderr and "media.process" in unknown.stderr
