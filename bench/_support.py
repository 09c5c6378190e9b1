"""Shared helpers of the benchmarks: the venv's `pixie` command, free ports, a served process."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

BIN = Path(sys.executable).parent
PIXIE = str(BIN / "pixie")
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def clean_env(**pixie: str) -> dict[str, str]:
    """The current environment without any PIXIE_* variable, plus the given ones (PIXIE_ prefixed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXIE_")}
    env.update({f"PIXIE_{k.upper()}": v for k, v in pixie.items()})
    return env


def run_cli(args: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: str | None = None) -> str:
    """Runs `pixie ARGS`; its stdout, or an exit with its output when it fails."""
    done = subprocess.run(
        [PIXIE, *args], env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        sys.exit(f"`pixie {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """The status of GET PATH, or None while nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


@dataclass
class Server:
    """One `pixie serve` process, its output going to a log file."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    spawned_at: float

    @classmethod
    def spawn(
        cls, env: Mapping[str, str], cwd: Path, port: int, log_path: Path, *, workers: int = 1
    ) -> Server:
        log = log_path.open("wb")
        spawned_at = time.perf_counter()
        process = subprocess.Popen(
            [PIXIE, "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return cls(process, port, log_path, spawned_at)

    def wait_ready(self, path: str = "/api/v1/instance", timeout: float = 30.0, every: float = 0.01) -> float:
        """Polls PATH every EVERY seconds; the seconds from spawn to its first 200."""
        deadline = self.spawned_at + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                self.fail(f"the server exited with {self.process.returncode} before answering")
            if http_status(self.port, path) == 200:
                return time.perf_counter() - self.spawned_at
            time.sleep(every)
        self.fail(f"no 200 from {path} within {timeout:.0f} s")

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux /proc), or None."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def tree_cpu_seconds(self) -> float | None:
        """User + system CPU time so far of the server and of the worker processes it spawned."""
        own = self.cpu_seconds()
        if own is None:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        total = own
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def fail(self, message: str) -> NoReturn:
        self.stop()
        sys.exit(f"{message}\n--- server log ({self.log_path}) ---\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def summary(values: Sequence[float]) -> str:
    return f"min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"


def machine() -> str:
    return f"{os.cpu_count()} CPU cores, Python {sys.version.split()[0]}, {sys.platform}"


def busy_cores(seconds: float = 1.0) -> float | None:
    """How many cores' worth of CPU the whole machine used over SECONDS (Linux /proc/stat), or None.

    Printed before a run: other work on the machine skews every figure here.
    """

    def read() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    try:
        busy0, total0 = read()
        time.sleep(seconds)
        busy1, total1 = read()
    except (OSError, ValueError, IndexError):
        return None
    if total1 == total0:
        return 0.0
    return (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1)


def report_background_load() -> None:
    busy = busy_cores()
    if busy is not None:
        note = "  (other work is running: figures will be skewed)" if busy > 0.2 else ""
        print(f"background load before the run: {busy:.2f} of {os.cpu_count()} cores busy{note}")
