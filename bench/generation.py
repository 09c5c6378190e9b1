"""Generation with the sketch provider through a real server and `pixie worker` processes.

PostgreSQL + Redis; the server runs no jobs, N workers do. Two figures:
- latency: from POST /api/v1/pixie/generations (n=4, 1024x1024) to the first candidate ready, and to
  all four, one request at a time (target: first candidate p50 under 500 ms with 2 workers);
- throughput: generations (n=1, 1024x1024) finished per second with 1, 2 and 4 workers, 40 queued at
  once.
The API is polled every 10 ms, so the latencies carry up to 10 ms of polling.

    .venv/bin/python bench/generation.py [--workers 1,2,4] [--requests 10] [--jobs 40]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import redis

import verify_credentials as vc
from _support import Server, clean_env, free_port, machine, report_background_load, run_cli

REDIS_URL = "redis://127.0.0.1:6379/6"
PIXIE = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "pixie"


def start_workers(env: dict[str, str], root: Path, count: int) -> list[subprocess.Popen[bytes]]:
    workers = []
    for i in range(count):
        log = (root / f"worker-{i}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [str(PIXIE), "worker", "--concurrency", "1"], env=env, cwd=root, stdout=log, stderr=log
            )
        )
    deadline = time.monotonic() + 30
    for i in range(count):
        while " running " not in (root / f"worker-{i}.log").read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {i} did not start: {(root / f'worker-{i}.log').read_text()}")
            time.sleep(0.05)
    return workers


def wait(http: httpx.Client, job_id: str, *, first: bool) -> tuple[float, dict[str, object]]:
    while True:
        job = http.get(f"/api/v1/pixie/generations/{job_id}").json()
        if job["state"] == "failed" or job["state"] == "cancelled":
            raise SystemExit(f"generation {job_id} {job['state']}: {job['error']}")
        if (first and job["candidates"]) or job["state"] == "succeeded":
            return time.perf_counter(), job
        time.sleep(0.01)


def measure(count: int, args: argparse.Namespace) -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()
    with tempfile.TemporaryDirectory(prefix="pixie-bench-generation-") as tmp, vc.postgres_database() as url:
        root = Path(tmp)
        port = free_port()
        settings = {
            "data_dir": str(root / "var"),
            "base_url": f"http://127.0.0.1:{port}",
            "rate_limits": "false",
            "database_url": url,
            "redis_url": REDIS_URL,
            "workers_in_process": "false",
            "generation_max_concurrent": "1000",
            "generation_daily_quota": "0",
        }
        env = clean_env(**settings)
        run_cli(["migrate"], env, cwd=root)
        vc.create_user_with_cli(settings, root)
        server = Server.spawn(env, cwd=root, port=port, log_path=root / "server.log")
        workers = start_workers(env, root, count)
        try:
            server.wait_ready("/api/v1/instance")
            token = vc.password_token(port, scopes="read write")
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as http:
                ask = {"prompt": "a red sun over blue mountains, a lighthouse", "size": "1024x1024"}
                http.post("/api/v1/pixie/generations", data={**ask, "n": "1"})  # warm the workers up
                time.sleep(2)
                firsts, alls = [], []
                for i in range(args.requests):
                    started = time.perf_counter()
                    r = http.post("/api/v1/pixie/generations", data={**ask, "n": "4", "seed": str(i * 10)})
                    assert r.status_code == 202, r.text
                    first_at, _ = wait(http, r.json()["id"], first=True)
                    all_at, _ = wait(http, r.json()["id"], first=False)
                    firsts.append((first_at - started) * 1000)
                    alls.append((all_at - started) * 1000)
                started = time.perf_counter()
                one = {**ask, "n": "1"}
                ids = [
                    http.post("/api/v1/pixie/generations", data={**one, "seed": str(1000 + i)}).json()["id"]
                    for i in range(args.jobs)
                ]
                for job_id in ids:
                    wait(http, job_id, first=False)
                seconds = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=20)
            server.stop()
    print(f"[{count} worker process{'es' if count > 1 else ''}]")
    print(
        f"  n=4 at 1024x1024, first candidate ms: p50 {statistics.median(firsts):.0f}  "
        f"max {max(firsts):.0f};  all four: p50 {statistics.median(alls):.0f}  max {max(alls):.0f}"
    )
    rate = args.jobs / seconds
    print(f"  {args.jobs} generations of one candidate in {seconds:.2f} s = {rate:.1f} per second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=40)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    report_background_load()
    for count in [int(n) for n in args.workers.split(",")]:
        measure(count, args)


if __name__ == "__main__":
    main()
