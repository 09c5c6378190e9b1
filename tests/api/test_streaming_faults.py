"""Live streams when things go wrong: clients that vanish mid-event or stop reading, and Redis
restarting under load."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from pathlib import Path

import pytest

from pixie.realtime import connections
from pixie.realtime.streams import public_channel
from tests.conftest import Backend, Instance, RedisServer, bearer, running
from tests.streaming import served, sse


async def _publish_updates(px: Instance, status_ids: list[str], rounds: int, per_round: int = 20) -> None:
    """The messages a burst of posts would send to the public stream."""
    for _ in range(rounds):
        for status_id in status_ids[:per_round]:
            await px.rt.pubsub.publish(
                public_channel(), json.dumps({"event": "update", "status": int(status_id)})
            )
        await asyncio.sleep(0.01)


async def test_a_client_that_goes_away_mid_event_leaves_the_others_be(
    px: Instance, caplog: pytest.LogCaptureFixture
) -> None:
    _, alice = await px.user("alice")
    posted = [(await px.post(alice, status=f"post {i}"))["id"] for i in range(5)]
    hub = px.app.state.hub
    async with served(px) as url, sse(url, "/api/v1/streaming/public") as steady:
        with caplog.at_level(logging.WARNING, logger="pixie"):
            async with sse(url, "/api/v1/streaming/public") as leaving:
                burst = asyncio.create_task(_publish_updates(px, posted, 20))
                await leaving.wait_for("update")
            # ``leaving`` is gone while the burst goes on.
            await burst
            last = await px.post(alice, status="after the burst")
            await steady.wait_for("update", lambda e: e.json()["id"] == last["id"])
            for _ in range(100):
                if hub.connections == 1:
                    break
                await asyncio.sleep(0.02)
            assert hub.connections == 1
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_client_that_stops_reading_is_closed_and_delays_no_one(
    px: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ten times what one round sends: a reader that reads never comes near it, even when a slow
    # machine lets several rounds pile up before its writer runs.
    monkeypatch.setattr(connections, "MAX_QUEUED_FRAMES", 50)
    _, alice = await px.user("alice")
    posted = [(await px.post(alice, status=f"a long post {i} " + "x" * 400))["id"] for i in range(20)]
    hub = px.app.state.hub
    async with served(px) as url, sse(url, "/api/v1/streaming/public") as steady:
        host, port = url.removeprefix("http://").split(":")
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        stuck.connect((host, int(port)))
        stuck.sendall(b"GET /api/v1/streaming/public HTTP/1.1\r\nHost: pixie.test\r\n\r\n")  # never read
        try:
            for _ in range(100):
                if hub.connections == 2:
                    break
                await asyncio.sleep(0.02)
            assert hub.connections == 2
            # Until the socket's buffers are full and the stream's own queue too (a few MB).
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 60
            rounds = 0
            while hub.connections == 2 and loop.time() < deadline:
                await _publish_updates(px, posted, 10, per_round=5)
                rounds += 10
            assert hub.connections == 1, f"still open after {rounds} rounds"
            # The reader that reads was not held up meanwhile.
            last = await px.post(alice, status="after the burst")
            await steady.wait_for("update", lambda e: e.json()["id"] == last["id"], timeout=2)
            r = await px.client.get("/api/v1/streaming/health")
            assert r.text == "OK"
        finally:
            stuck.close()


async def test_redis_restarting_under_load_loses_no_post_and_streams_resume(
    tmp_path: Path, production: Backend, own_redis: RedisServer
) -> None:
    async with running(tmp_path, production, redis_url=own_redis.url, rate_limits=False) as px:
        alice_id, alice = await px.user("alice")
        _, bob = await px.user("bob")
        await px.follow(bob, alice_id)
        answered: list[str] = []
        refused = 0

        async def keep_posting(stop: asyncio.Event) -> None:
            nonlocal refused
            i = 0
            while not stop.is_set():
                r = await px.client.post("/api/v1/statuses", data={"status": f"n{i}"}, headers=bearer(alice))
                if r.status_code == 200:
                    answered.append(r.json()["id"])
                else:
                    refused += 1
                    assert r.status_code < 500 or r.status_code == 503, r.text
                i += 1
                await asyncio.sleep(0.02)

        async with served(px) as url, sse(url, "/api/v1/streaming/user", bob) as stream:
            stop = asyncio.Event()
            posting = asyncio.create_task(keep_posting(stop))
            await stream.wait_for("update")
            own_redis.stop()
            await asyncio.sleep(1.0)
            own_redis.start()
            # The stream's channel is subscribed again, and new posts arrive on it.
            seen_before = len(stream.named("update"))
            await stream.wait_for(
                "update", lambda e: len(stream.named("update")) > seen_before + 3, timeout=20
            )
            stop.set()
            await posting
        assert answered
        for status_id in answered:
            r = await px.client.get(f"/api/v1/statuses/{status_id}", headers=bearer(bob))
            assert r.status_code == 200, (status_id, r.text)
