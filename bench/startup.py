"""Start-up time of `pixie serve`: from process spawn to the first 200 of GET /api/v1/instance.

Every run gets a fresh copy of a migrated SQLite data dir (so it also makes its secret key, as a
first start does) and default settings otherwise. Prints min/median/max over the runs, plus two
reference figures: a bare interpreter start and `import pixie.app` in a fresh interpreter.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import HOST, Server, clean_env, free_port, machine, report_background_load, run_cli, summary

TARGET_SECONDS = 2.0


def time_python(code: str, runs: int = 3) -> float:
    """Median wall time of `python -c CODE` in a fresh interpreter."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="how many starts to time (default 5)")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    report_background_load()
    with tempfile.TemporaryDirectory(prefix="pixie-bench-startup-") as tmp:
        root = Path(tmp)
        template = root / "template"
        run_cli(["migrate"], clean_env(data_dir=str(template)), cwd=root)

        times: list[float] = []
        cpu_times: list[float] = []
        for i in range(args.runs):
            data_dir = root / f"run{i}"
            shutil.copytree(template, data_dir)
            port = free_port()
            env = clean_env(data_dir=str(data_dir), base_url=f"http://{HOST}:{port}")
            server = Server.spawn(env, cwd=root, port=port, log_path=root / f"server{i}.log")
            try:
                elapsed = server.wait_ready("/api/v1/instance", every=0.01)
                cpu = server.cpu_seconds()
            finally:
                server.stop()
            times.append(elapsed)
            line = f"run {i + 1}: {elapsed:.3f} s"
            if cpu is not None:
                cpu_times.append(cpu)
                line += f"  (server process CPU until then: {cpu:.3f} s)"
            print(line)

    print(f"spawn -> first 200 of GET /api/v1/instance over {args.runs} runs (s): {summary(times)}")
    if cpu_times:
        print(f"server process CPU time until that answer (s):              {summary(cpu_times)}")
    median = statistics.median(times)
    verdict = "under" if median < TARGET_SECONDS else "OVER"
    print(f"median is {verdict} the {TARGET_SECONDS:.0f} s target")
    print("reference, median of 3 (s):")
    print(f"  python -c pass:           {time_python('pass'):.3f}")
    print(f"  python -c 'import pixie.app': {time_python('import pixie.app'):.3f}")


if __name__ == "__main__":
    main()
