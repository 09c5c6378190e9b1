"""Two `pixie serve` processes sharing PostgreSQL and Redis, as a production deployment runs.

An account event (the sign-up that sends a confirmation mail) is handled once, not once per
process; a token revoked through one process is refused by the other; one scheduler runs the
periodic clean-up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from pixie.db.engine import Database
from tests.conftest import PASSWORD, require_service
from tests.e2e.processes import clean_env, free_port, fresh_database, pixie, serve, shared_redis_url

pytestmark = pytest.mark.e2e


class Inbox:
    def __init__(self) -> None:
        self.recipients: list[str] = []
        self.bodies: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.recipients.extend(envelope.rcpt_tos)
        self.bodies.append(message_from_bytes(envelope.content, policy=policy.default).get_content())
        return "250 OK"


@pytest.fixture
def database() -> Iterator[str]:
    """A database of its own, so both processes share it and nothing else."""
    require_service("Redis", 6379)
    with fresh_database() as url:
        yield url


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_two_processes_share_the_work(tmp_path: Path, database: str, inbox: tuple[Inbox, int]) -> None:
    handler, smtp_port = inbox
    redis_url = shared_redis_url()
    env = clean_env(
        database_url=database,
        redis_url=redis_url,
        data_dir=str(tmp_path / "var"),
        secret_key="two-processes",
        registrations="open",
        smtp_host="127.0.0.1",
        smtp_port=str(smtp_port),
        rate_limits="false",
    )
    pixie(["migrate"], env=env, cwd=tmp_path)
    with serve(env, tmp_path, name="first") as first, serve(env, tmp_path, name="second") as second:
        servers = [first, second]
        app = httpx.post(
            first.url + "/api/v1/apps", data={"client_name": "e2e", "scopes": "read write"}
        ).json()
        creds = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
        app_token = httpx.post(
            second.url + "/oauth/token",
            data=creds | {"grant_type": "client_credentials", "scope": "read write"},
        ).json()["access_token"]
        tokens = []
        for n in range(6):  # sign-ups land on both processes
            r = httpx.post(
                servers[n % 2].url + "/api/v1/accounts",
                data={
                    "username": f"user{n}",
                    "email": f"user{n}@example.com",
                    "password": PASSWORD,
                    "agreement": "1",
                },
                headers={"Authorization": f"Bearer {app_token}"},
            )
            assert r.status_code == 200, r.text
            tokens.append(r.json()["access_token"])
        deadline = time.monotonic() + 20
        while len(handler.recipients) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # room for a duplicate to show up
        assert sorted(handler.recipients) == sorted(f"user{n}@example.com" for n in range(6))

        # Confirm through one process, use the token through the other.
        link = next(w for w in handler.bodies[0].split() if "/auth/confirmation?token=" in w)
        address = handler.recipients[0]
        token = tokens[int(address.removeprefix("user").split("@")[0])]
        refused = httpx.get(
            second.url + "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 403
        assert httpx.get(first.url + link.split("127.0.0.1:8000", 1)[-1]).status_code == 200
        assert (
            httpx.get(
                second.url + "/api/v1/accounts/verify_credentials",
                headers={"Authorization": f"Bearer {token}"},
            ).status_code
            == 200
        )

        # Revoked through the first process: refused by the second at once.
        assert httpx.post(first.url + "/oauth/revoke", data=creds | {"token": token}).status_code == 200
        r = httpx.get(
            second.url + "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 401

    async def cleanup_jobs() -> list[Any]:
        db = Database(database)
        async with db.read() as session:
            rows = (
                await session.execute(text("SELECT state FROM jobs WHERE kind = 'maintenance.cleanup'"))
            ).all()
        await db.dispose()
        return [row[0] for row in rows]

    # Both processes started a scheduler; one held the lock and queued the clean-up once.
    assert asyncio.run(cleanup_jobs()) == ["succeeded"]
