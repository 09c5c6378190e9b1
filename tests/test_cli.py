"""The `pixie` command as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PIXIE = str(Path(sys.executable).parent / "pixie")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PIXIE_")}
    return clean | {"PIXIE_DATA_DIR": str(tmp_path / "var"), "PIXIE_SECRET_KEY": "cli-test"}


def pixie(
    env: dict[str, str], *args: str, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PIXIE, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60, cwd=cwd, check=False
    )


def test_operator_workflow(env: dict[str, str], tmp_path: Path) -> None:
    refused = pixie(env, "create-user", "alice", "alice@example.com", stdin="long enough pw\n")
    assert refused.returncode != 0
    assert "pixie migrate" in refused.stderr  # no schema yet: told what to do
    migrated = pixie(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    made = pixie(env, "create-user", "alice", "alice@example.com", "--admin", stdin="long enough pw\n")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().isdigit()  # the new account's id, alone
    dup = pixie(env, "create-user", "ALICE", "other@example.com", stdin="long enough pw\n")
    assert dup.returncode != 0 and "already taken" in dup.stderr
    weak = pixie(env, "create-user", "bob", "bob@example.com", stdin="short\n")
    assert weak.returncode != 0 and "too short" in weak.stderr
    code = pixie(env, "invite", "--max-uses", "3", "--expires-in", "7d")
    assert code.returncode == 0
    assert code.stdout.strip().isalnum() and len(code.stdout.strip()) == 12 and code.stdout.count("\n") == 1
    revoked = pixie(env, "revoke-invite", code.stdout.strip())
    assert revoked.returncode == 0, revoked.stderr
    again = pixie(env, "revoke-invite", code.stdout.strip())
    assert again.returncode == 1 and "no usable invite" in again.stderr
    bad = pixie(env, "invite", "--expires-in", "soon")
    assert bad.returncode == 2 and "duration" in bad.stderr
    for command in ("suspend", "unsuspend", "approve"):
        done = pixie(env, command, "alice")
        assert done.returncode == 0, done.stderr
    missing = pixie(env, "suspend", "nobody")
    assert missing.returncode == 1 and "no account named" in missing.stderr


def test_settings_are_printed_sorted_with_secrets_masked(env: dict[str, str]) -> None:
    env = env | {
        "PIXIE_DATABASE_URL": "postgresql+asyncpg://pixie:hunter2@db/pixie",
        "PIXIE_SMTP_PASSWORD": "hunter3",
    }
    out = pixie(env, "settings")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines == sorted(lines)
    assert all(line.startswith("PIXIE_") and "=" in line for line in lines)
    assert "PIXIE_REGISTRATIONS=invite" in lines
    assert "PIXIE_SECRET_KEY=********" in lines
    assert "PIXIE_DATABASE_URL=postgresql+asyncpg://pixie:********@db/pixie" in lines
    assert "hunter2" not in out.stdout and "hunter3" not in out.stdout


def test_settings_come_from_a_dot_env_file(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PIXIE_REGISTRATIONS=open\nPIXIE_MAX_CHARACTERS=1000\n")
    out = pixie(env, "settings", cwd=tmp_path)
    assert "PIXIE_REGISTRATIONS=open" in out.stdout.splitlines()
    assert "PIXIE_MAX_CHARACTERS=1000" in out.stdout.splitlines()


def test_invalid_settings_are_reported_plainly(env: dict[str, str]) -> None:
    out = pixie(env | {"PIXIE_REGISTRATIONS": "sometimes"}, "settings")
    assert out.returncode == 1
    assert "registrations" in out.stderr
    assert "Traceback" not in out.stderr


def test_serve_refuses_several_workers_on_sqlite(env: dict[str, str]) -> None:
    out = pixie(env, "serve", "--workers", "2")
    assert out.returncode == 1
    assert "SQLite" in out.stderr
