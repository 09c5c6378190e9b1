"""`pixie worker` processes taking jobs from a Redis queue, as production runs them.

Everything here is a real process: a Redis server of the module's own (so it can be restarted),
PostgreSQL in a database of the module's own, one `pixie serve` that runs the scheduler (the
reaper and the sweeper) and no jobs, and `pixie worker` processes that run the job kinds of
``tests/e2e/queue_jobs.py``. The test process only queues and cancels jobs, and reads their rows.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pixie.db.engine import Database
from pixie.db.migrate import upgrade
from pixie.infra import jobs
from pixie.infra.jobs import JobMessage, JobRunner
from pixie.infra.queue import RedisJobQueue
from pixie.models.system import Job
from tests.conftest import IN_CI, RedisServer
from tests.e2e.processes import PIXIE, clean_env, fresh_database, serve

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).parent.parent.parent
LEASE_SECONDS = 2.0  # a killed worker's job comes back within about this long
SHARED_KINDS = "test.sleep,test.stubborn,test.flaky,test.limited"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn_workers(env: dict[str, str], cwd: Path, count: int, *args: str) -> list[Worker]:
    started = []
    for _ in range(count):
        log_path = cwd / f"worker-{uuid.uuid4().hex[:6]}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(PIXIE), "worker", *args], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
            )
        started.append(Worker(process, log_path))
    return started


def wait_ready(workers: list[Worker]) -> None:
    """Waits until each worker says it takes jobs (stopping them all if one does not)."""
    deadline = time.monotonic() + 30
    for worker in workers:
        while " running " not in worker.log():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                for each in workers:
                    each.stop()
                raise AssertionError(f"a worker did not start:\n{worker.log()}")
            time.sleep(0.05)


@dataclass
class Stack:
    env: dict[str, str]
    cwd: Path
    redis: RedisServer
    db: Database
    producer: JobRunner  # queues jobs as a server does: the row, then its message
    queue: RedisJobQueue
    workers: list[Worker] = field(default_factory=list)

    def start_workers(self, count: int, *args: str) -> list[Worker]:
        started = spawn_workers(self.env, self.cwd, count, *args)
        self.workers.extend(started)
        wait_ready(started)
        return started

    async def job(self, job_id: int) -> Job:
        async with self.db.read() as session:
            found = await session.get(Job, job_id)
        assert found is not None
        return found

    async def wait_for(self, job_id: int, *states: str, timeout: float = 15.0) -> Job:
        deadline = time.monotonic() + timeout
        while True:
            found = await self.job(job_id)
            if found.state in states:
                return found
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {w.log_path.name}\n{w.log()[-3000:]}" for w in self.workers)
                raise AssertionError(f"job {job_id} is {found.state}, not {'/'.join(states)}\n{logs}")
            await asyncio.sleep(0.05)


def marks(path: Path, what: str) -> list[dict[str, str]]:
    """The lines a test job wrote, as dicts, for one kind of event ("start", "cancelled", ...)."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name, *fields = line.split()
        if name == what:
            found.append(dict(item.split("=", 1) for item in fields))
    return found


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (the queue tests start one of their own)"
        if IN_CI:
            pytest.fail(message + "; CI must run these tests")
        pytest.skip(message)
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_database() as url:

        async def migrate() -> None:
            db = Database(url)
            await upgrade(db)
            await db.dispose()

        asyncio.run(migrate())
        yield url


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, database: str
) -> Iterator[tuple[dict[str, str], Path]]:
    """One `pixie serve` (the scheduler only: the reaper every second, the sweeper after a second)
    and two workers for the shared job kinds."""
    cwd = tmp_path_factory.mktemp("workers")
    env = clean_env(
        database_url=database,
        redis_url=redis_server.url,
        data_dir=str(cwd / "var"),
        secret_key="queue-tests",
        job_modules="tests.e2e.queue_jobs",
        job_lease_seconds=str(LEASE_SECONDS),
        job_requeue_seconds="1",
        job_retry_seconds="1",
        workers_in_process="false",
        rate_limits="false",
    )
    env["PYTHONPATH"] = str(ROOT)
    # Two workers, each running two jobs of each shared kind at a time, kept for the module;
    # started while the server starts.
    workers = spawn_workers(env, cwd, 2, "--kinds", SHARED_KINDS, "--concurrency", "2")
    try:
        with serve(env, cwd, name="server"):
            wait_ready(workers)
            yield env, cwd
    finally:
        for worker in workers:
            worker.stop()


@pytest.fixture
async def stack(deployment: tuple[dict[str, str], Path], redis_server: RedisServer) -> AsyncIterator[Stack]:
    env, cwd = deployment
    db = Database(env["PIXIE_DATABASE_URL"])
    queue = RedisJobQueue(redis_server.url, heartbeat_seconds=LEASE_SECONDS)
    producer = JobRunner(db, queue=queue, polling=False)
    made = Stack(env, cwd, redis_server, db, producer, queue)
    try:
        yield made
    finally:
        for worker in made.workers:
            worker.stop()
        await queue.close()
        await db.dispose()


async def test_a_cancelled_job_stops_within_a_second_or_two_and_keeps_no_result(
    stack: Stack, tmp_path: Path
) -> None:
    marker = tmp_path / "marks"
    job_id = await stack.producer.enqueue("test.stubborn", {"seconds": 30, "marker": str(marker)})
    assert job_id is not None
    await stack.wait_for(job_id, "running")
    while not marks(marker, "start"):
        await asyncio.sleep(0.02)
    asked = time.monotonic()
    assert await jobs.cancel_job(stack.db, job_id) is True
    while not marks(marker, "cancelled"):
        assert time.monotonic() - asked < 2.0, "the worker did not stop the cancelled job within 2 s"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)  # the job returned a result after it was stopped: it must not land
    done = await stack.job(job_id)
    assert (done.state, done.result) == ("cancelled", None)
    assert await jobs.cancel_job(stack.db, job_id) is False  # finished jobs stay as they are

    # The worker that ran it carries on with other work.
    after = await stack.producer.enqueue("test.sleep", {"seconds": 0.1})
    assert after is not None
    assert (await stack.wait_for(after, "succeeded")).result is not None


async def test_progress_is_stored_while_the_job_runs(stack: Stack) -> None:
    job_id = await stack.producer.enqueue("test.sleep", {"seconds": 1.5})
    assert job_id is not None
    seen: set[float] = set()
    deadline = time.monotonic() + 15
    while (found := await stack.job(job_id)).state != "succeeded":
        if found.progress is not None and found.progress < 1:
            seen.add(found.progress)
            assert found.progress_message is not None and found.progress_message.startswith("step ")
        assert time.monotonic() < deadline, f"job is {found.state}"
        await asyncio.sleep(0.05)
    assert len(seen) >= 3 and all(0 < p < 1 for p in seen)
    assert (found.progress, found.result["slept"]) == (1.0, 1.5)  # type: ignore[index]


async def test_a_job_past_its_time_limit_is_stopped_and_failed(stack: Stack, tmp_path: Path) -> None:
    marker = tmp_path / "marks"
    started = time.monotonic()
    job_id = await stack.producer.enqueue(
        "test.limited", {"seconds": 30, "marker": str(marker)}, max_attempts=1
    )
    assert job_id is not None
    failed = await stack.wait_for(job_id, "failed", "succeeded", timeout=10)
    assert failed.state == "failed"
    assert failed.error == "the job ran longer than its limit of 1 s and was stopped"
    assert time.monotonic() - started < 5
    assert len(marks(marker, "cancelled")) == 1  # its task was stopped, not left running
    assert marks(marker, "done") == []


async def test_transient_failures_are_retried_with_growing_delays_then_succeed(
    stack: Stack, tmp_path: Path
) -> None:
    marker = tmp_path / "marks"
    job_id = await stack.producer.enqueue(
        "test.flaky", {"fail_times": 2, "marker": str(marker)}, max_attempts=3
    )
    assert job_id is not None
    done = await stack.wait_for(job_id, "succeeded", "failed", timeout=20)
    assert (done.state, done.attempts, done.result) == ("succeeded", 3, {"attempt": 3})
    starts = [float(m["at"]) for m in marks(marker, "start")]
    assert len(starts) == 3
    # PIXIE_JOB_RETRY_SECONDS=1: the first retry waits a second, the next two.
    assert starts[1] - starts[0] >= 1.0
    assert starts[2] - starts[1] >= 2.0


async def test_a_duplicate_message_runs_the_job_once(stack: Stack, tmp_path: Path) -> None:
    marker = tmp_path / "marks"
    job_id = await stack.producer.enqueue("test.sleep", {"seconds": 0.5, "marker": str(marker)})
    assert job_id is not None
    # The same "work on job N" delivered again and again (a resend, a retried publish): each
    # copy has a key of its own, so the queue hands every one of them to a worker.
    now = (await stack.job(job_id)).run_after
    await stack.queue.send([JobMessage(job_id, "test.sleep", 100 + n, now) for n in range(4)])
    done = await stack.wait_for(job_id, "succeeded")
    await asyncio.sleep(0.5)  # room for a late copy to show up
    assert len(marks(marker, "start")) == 1
    assert (await stack.job(job_id)).attempts == done.attempts == 1


async def test_a_stopped_worker_hands_its_job_back_and_a_killed_ones_job_is_reaped(
    stack: Stack, tmp_path: Path
) -> None:
    marker = tmp_path / "marks"
    workers = stack.start_workers(3, "--kinds", "test.victim", "--concurrency", "1")
    by_pid = {w.process.pid: w for w in workers}

    async def runner_of(attempt: int) -> Worker:
        while len(starts := marks(marker, "start")) < attempt:
            await asyncio.sleep(0.02)
        return by_pid[int(starts[attempt - 1]["pid"])]

    job_id = await stack.producer.enqueue("test.victim", {"seconds": 2, "marker": str(marker)})
    assert job_id is not None

    # A deploy stops the worker (SIGTERM): the job goes back to the queue at once, and the cut
    # short attempt does not count.
    stopped = await runner_of(1)
    stopped.process.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    killed = await runner_of(2)
    assert time.monotonic() - asked < 2.0  # not after the lease would have run out
    assert stopped.process.wait(timeout=10) == 0
    assert (await stack.job(job_id)).attempts == 1

    # A crash (SIGKILL) tells nobody: the lease (2 s) runs out, the reaper (every second) queues
    # the job again and the last worker runs it to the end (2 s).
    killed.process.send_signal(signal.SIGKILL)
    killed.process.wait()
    at = time.monotonic()
    done = await stack.wait_for(job_id, "succeeded", "failed", timeout=20)
    assert time.monotonic() - at < 10
    (survivor,) = [w for w in workers if w not in (stopped, killed)]
    assert (done.state, done.attempts) == ("succeeded", 2)
    assert done.result == {"pid": survivor.process.pid, "slept": 2}
    starts = [int(m["pid"]) for m in marks(marker, "start")]
    assert starts == [stopped.process.pid, killed.process.pid, survivor.process.pid]
    assert [int(m["attempt"]) for m in marks(marker, "start")] == [1, 1, 2]


async def test_jobs_queued_when_redis_restarts_still_finish(stack: Stack, tmp_path: Path) -> None:
    """Redis restarts without persistence while jobs wait in it: their messages are gone. The
    workers reconnect, the sweeper sends the messages of jobs queued too long again, and every
    job runs, once."""
    marker = tmp_path / "marks"
    ids = []
    for _ in range(12):  # more than the four that run at once
        job_id = await stack.producer.enqueue("test.sleep", {"seconds": 0.5, "marker": str(marker)})
        assert job_id is not None
        ids.append(job_id)
    await stack.wait_for(ids[0], "running", "succeeded")
    stack.redis.stop()
    await asyncio.sleep(0.5)
    stack.redis.start()
    for job_id in ids:
        done = await stack.wait_for(job_id, "succeeded", "failed", timeout=30)
        assert done.state == "succeeded"
    assert sorted(int(m["job"]) for m in marks(marker, "start")) == sorted(ids)  # each once
