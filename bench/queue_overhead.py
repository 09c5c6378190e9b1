"""What the job machinery costs.

1. In-process (embedded defaults: SQLite, the runner polling the table, woken on commit): the
   time from queueing a no-op job to its function starting, and to its row saying `succeeded`,
   one job at a time. Target: under 5 ms to finished.
2. With Redis: jobs per second through 1, 2 and 4 `pixie worker` processes (PostgreSQL, a Redis
   server of the bench's own), for a job that sleeps 50 ms (an API call) or hashes for about
   20 ms (CPU). The clock runs from the first job queued to the last one finished.

    .venv/bin/python bench/queue_overhead.py [--jobs 200] [--workers 1,2,4] [--job sleep|cpu]
        [--concurrency 1] [--in-process-runs 300] [--skip-redis]

`measure_workers()` is meant for reuse by other benchmarks (the generation bench with the
sketch provider): it takes the job kind, its payload, the modules that register it and settings.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from _support import PIXIE, clean_env, free_port, machine, report_background_load
from pixie.db.engine import Database
from pixie.db.migrate import upgrade
from pixie.infra.jobs import JobContext, JobRunner
from pixie.infra.queue import RedisJobQueue
from pixie.models.system import Job

BENCH = Path(__file__).parent
PG_ADMIN = "postgresql+asyncpg://root@127.0.0.1:5432/test?ssl=disable"


class TimedRunner(JobRunner):
    """Signals each time it has run a job to the end (row written)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, concurrency=1)
        self.finished = asyncio.Event()

    async def run_one(self) -> bool:
        ran = await super().run_one()
        if ran:
            self.finished.set()
        return ran

    async def run_job(self, job_id: int) -> bool:
        ran = await super().run_job(job_id)
        if ran:
            self.finished.set()
        return ran


def percentiles(values: Sequence[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.2f} ms  p95 {p95 * 1000:.2f} ms"


async def in_process(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/pixie.sqlite3")
        await upgrade(db)
        runner = TimedRunner(db)
        started = asyncio.Event()

        async def noop(ctx: JobContext) -> None:
            started.set()

        runner.register("bench.noop", noop)
        await runner.start()
        to_start: list[float] = []
        to_finish: list[float] = []
        try:
            for i in range(runs + 20):
                started.clear()
                runner.finished.clear()
                t0 = time.perf_counter()
                await runner.enqueue("bench.noop")
                await started.wait()
                t1 = time.perf_counter()
                await runner.finished.wait()
                t2 = time.perf_counter()
                if i >= 20:  # the first ones warm caches and the connection pools
                    to_start.append(t1 - t0)
                    to_finish.append(t2 - t0)
        finally:
            await runner.stop()
            await db.dispose()
    print(f"in-process, SQLite, {runs} no-op jobs one at a time:")
    print(f"  queued -> started   {percentiles(to_start)}")
    print(f"  queued -> finished  {percentiles(to_finish)}   (target: under 5 ms)")


async def _admin(sql: str) -> None:
    db = Database(PG_ADMIN)
    async with db.write_engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(sql))
    await db.dispose()


async def _run_batch(
    database_url: str, redis_url: str, kind: str, payload: dict[str, Any], jobs: int
) -> float:
    db = Database(database_url)
    queue = RedisJobQueue(redis_url)
    producer = JobRunner(db, queue=queue, polling=False)
    try:
        async with db.write() as session:
            await session.execute(text("DELETE FROM jobs"))
        t0 = time.perf_counter()
        for _ in range(jobs):
            await producer.enqueue(kind, payload)
        while True:
            async with db.read() as session:
                done = await session.scalar(
                    select(func.count()).select_from(Job).where(Job.state == "succeeded")
                )
            if done == jobs:
                return time.perf_counter() - t0
            if time.perf_counter() - t0 > 300:
                raise SystemExit(f"only {done} of {jobs} jobs finished within 300 s")
            await asyncio.sleep(0.01)
    finally:
        await queue.close()
        await db.dispose()


def measure_workers(
    kind: str,
    payload: dict[str, Any],
    *,
    worker_counts: Sequence[int] = (1, 2, 4),
    jobs: int = 200,
    concurrency: int = 1,
    job_modules: str = "_queue_jobs",
    pythonpath: str = str(BENCH),
    settings: dict[str, str] | None = None,
) -> list[tuple[int, float]]:
    """Jobs per second of ``kind`` through N `pixie worker` processes, for each N."""
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server is not installed")
    name = f"pixie_bench_{uuid.uuid4().hex[:8]}"
    database_url = f"postgresql+asyncpg://root@127.0.0.1:5432/{name}?ssl=disable"
    port = free_port()
    results: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        redis = subprocess.Popen(
            [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
        )
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        try:

            async def migrate() -> None:
                db = Database(database_url)
                await upgrade(db)
                await db.dispose()

            asyncio.run(migrate())
            redis_url = f"redis://127.0.0.1:{port}/0"
            env = clean_env(
                database_url=database_url,
                redis_url=redis_url,
                data_dir=f"{tmp}/var",
                secret_key="bench",
                job_modules=job_modules,
                log_level="warning",
                **(settings or {}),
            )
            env["PYTHONPATH"] = pythonpath
            for count in worker_counts:
                workers = []
                logs = []
                for n in range(count):
                    log = Path(tmp) / f"worker-{count}-{n}.log"
                    logs.append(log)
                    with log.open("wb") as out:
                        workers.append(
                            subprocess.Popen(
                                [PIXIE, "worker", "--kinds", kind, "--concurrency", str(concurrency)],
                                env=env,
                                cwd=tmp,
                                stdout=out,
                                stderr=subprocess.STDOUT,
                            )
                        )
                try:
                    deadline = time.monotonic() + 60
                    for log in logs:
                        while " running " not in log.read_text(errors="replace"):
                            if time.monotonic() > deadline:
                                raise SystemExit(
                                    f"a worker did not start:\n{log.read_text(errors='replace')}"
                                )
                            time.sleep(0.05)
                    elapsed = asyncio.run(_run_batch(database_url, redis_url, kind, payload, jobs))
                    results.append((count, jobs / elapsed))
                finally:
                    for worker in workers:
                        worker.terminate()
                    for worker in workers:
                        worker.wait(timeout=30)
        finally:
            asyncio.run(_admin(f'DROP DATABASE "{name}" WITH (FORCE)'))
            redis.terminate()
            redis.wait(timeout=10)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--job", choices=("sleep", "cpu"), default="sleep")
    parser.add_argument("--concurrency", type=int, default=1, help="jobs each worker runs at once")
    parser.add_argument("--in-process-runs", type=int, default=300)
    parser.add_argument("--skip-redis", action="store_true")
    args = parser.parse_args()
    print(machine())
    report_background_load()
    asyncio.run(in_process(args.in_process_runs))
    if args.skip_redis:
        return
    kind, payload, ideal = (
        ("bench.sleep", {"seconds": 0.05}, 1 / 0.05) if args.job == "sleep" else ("bench.cpu", {}, None)
    )
    counts = [int(n) for n in args.workers.split(",")]
    print(
        f"with Redis: {args.jobs} {kind} jobs through `pixie worker` processes"
        f" (--concurrency {args.concurrency}), PostgreSQL:"
    )
    for count, rate in measure_workers(
        kind, payload, worker_counts=counts, jobs=args.jobs, concurrency=args.concurrency
    ):
        bound = (
            f"  (at most {ideal * count * args.concurrency:.0f}/s if the queue cost nothing)" if ideal else ""
        )
        print(f"  {count} worker{'s' if count > 1 else ' '}  {rate:7.1f} jobs/s{bound}")


if __name__ == "__main__":
    main()
