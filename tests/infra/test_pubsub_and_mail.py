"""Live fan-out through Redis pub/sub, and mail through a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiosmtpd.controller import Controller

from pixie.infra.mail import FileOutbox, SmtpMailer, compose
from pixie.infra.pubsub import RESET, RedisPubSub
from tests.conftest import PASSWORD, REDIS_URL, Backend, RedisServer, bearer, require_service, running


async def test_redis_pubsub_reaches_other_processes_once(tmp_path: Path) -> None:
    require_service("Redis", 6379)
    clients = [aioredis.Redis.from_url(REDIS_URL) for _ in range(2)]
    buses = [RedisPubSub(c, prefix="pixie-test:") for c in clients]
    received: list[list[str]] = [[], []]
    for i, bus in enumerate(buses):

        async def listener(message: str, i: int = i) -> None:
            received[i].append(message)

        bus.subscribe("news", listener)
        await bus.start()
    try:
        await buses[0].publish("news", "hello")
        for _ in range(100):
            if received[1]:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert received == [["hello"], ["hello"]]  # the publisher at once, the other via Redis
    finally:
        for bus, client in zip(buses, clients, strict=True):
            await bus.stop()
            await client.aclose()


async def test_a_revoked_token_is_refused_at_once_by_another_process(
    tmp_path: Path, production: Backend
) -> None:
    """Two app instances share PostgreSQL and Redis, as two server processes do."""
    async with running(tmp_path / "a", production) as first, running(tmp_path / "b", production) as second:
        _, token = await first.user("alice")
        # Both processes have the token cached.
        assert (
            await first.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        ).status_code == 200
        assert (
            await second.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        ).status_code == 200
        from pixie.services import accounts

        await accounts.set_suspended(first.rt, "alice", True)
        for _ in range(100):  # pub/sub delivery takes a moment, never a cache lifetime
            r = await second.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
            if r.status_code == 403:
                break
            await asyncio.sleep(0.01)
        assert r.status_code == 403


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_smtp_sender_delivers_to_a_real_server(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    mailer = SmtpMailer("127.0.0.1", port)
    await mailer.send(
        compose(
            sender="Pixie <n@pixie.test>",
            to="alice@example.com",
            subject="Hi",
            text="Hello",
            domain="pixie.test",
        )
    )
    [envelope] = inbox.messages
    assert envelope.rcpt_tos == ["alice@example.com"]
    assert b"Subject: Hi" in envelope.content


async def test_file_outbox_keeps_each_message(tmp_path: Path) -> None:
    outbox = FileOutbox(tmp_path / "mail")
    for n in range(2):
        await outbox.send(
            compose(sender="a@pixie.test", to="b@example.com", subject=f"n{n}", text="x", domain="pixie.test")
        )
    subjects = [m["Subject"] for m in outbox.messages()]
    assert sorted(subjects) == ["n0", "n1"]
    assert all(isinstance(m, EmailMessage) for m in outbox.messages())


async def test_sign_up_with_smtp_requires_confirmation_by_default(
    tmp_path: Path, backend: Backend, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    async with running(tmp_path, backend, registrations="open", smtp_host="127.0.0.1", smtp_port=port) as px:
        assert px.settings.require_email_confirmation is True
        app_token = await px.app_token(await px.app_credentials())
        r = await px.client.post(
            "/api/v1/accounts",
            data={
                "username": "erin",
                "email": "erin@example.com",
                "password": PASSWORD,
                "agreement": "1",
                "locale": "en",
            },
            headers=bearer(app_token),
        )
        token = r.json()["access_token"]
        assert (
            await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        ).status_code == 403
        await px.rt.dispatcher.drain()
        [envelope] = inbox.messages
        assert envelope.rcpt_tos == ["erin@example.com"]
        text = message_from_bytes(envelope.content, policy=policy.default).get_content()
        link = next(w for w in text.split() if "/auth/confirmation?token=" in w)
        assert (await px.client.get(link.removeprefix("https://pixie.test"))).status_code == 200
        assert (
            await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        ).status_code == 200


async def test_channels_are_subscribed_while_listened_to_and_survive_a_redis_restart(
    own_redis: RedisServer,
) -> None:
    client = aioredis.Redis.from_url(own_redis.url)
    publisher_client = aioredis.Redis.from_url(own_redis.url)
    bus, publisher = RedisPubSub(client, prefix="t:"), RedisPubSub(publisher_client, prefix="t:")
    received: list[str] = []

    async def listener(message: str) -> None:
        received.append(message)

    async def arrives(message: str) -> None:
        for _ in range(200):
            if message in received:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{message!r} did not arrive: {received}")

    async def listened(*channels: str) -> set[str]:
        """The channels Redis has a subscriber for."""
        counts = await publisher_client.pubsub_numsub(*(f"t:{c}" for c in channels))
        return {name.decode()[2:] for name, count in counts if count}

    await bus.start()
    await publisher.start()
    try:
        assert await listened("a", "b") == set()
        await bus.listen("a", listener)  # after start: subscribed once it returns
        assert await listened("a", "b") == {"a"}
        await publisher.publish("a", "one")
        await arrives("one")
        own_redis.stop()
        own_redis.start()  # an empty server: every subscription is gone
        await arrives(RESET)  # listeners hear that they may have missed messages
        for _ in range(200):  # resubscribed with backoff
            if await listened("a") == {"a"}:
                break
            await asyncio.sleep(0.05)
        await publisher.publish("a", "two")
        await arrives("two")
        await bus.unsubscribe("a", listener)
        assert await listened("a") == set()
        await publisher.publish("a", "three")
        await bus.listen("b", listener)
        # Many channels at once, one message each, in one round trip.
        await publisher.publish_many([("b", "four"), ("c", "four"), ("b", "five")])
        await arrives("four")
        await arrives("five")
        assert "three" not in received
        assert received.count("four") == 1
    finally:
        for each in (bus, publisher):
            await each.stop()
        for c in (client, publisher_client):
            await c.aclose()
