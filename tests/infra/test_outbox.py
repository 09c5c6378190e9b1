"""Domain events: written with the write, dispatched after commit, handled once per group."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from pixie.infra.outbox import Delivery, DomainEvent, InProcessDispatcher, RedisStreamsDispatcher, record
from pixie.infra.runtime import build_runtime
from pixie.models.system import OutboxEvent
from tests.conftest import REDIS_URL, Backend, make_settings, running


class Pinged(DomainEvent):
    type = "test.pinged"
    n: int


async def test_events_are_written_with_the_write_and_only_if_it_commits(
    tmp_path: Path, backend: Backend
) -> None:
    async with running(tmp_path, backend) as px:
        async with px.rt.write() as session:
            record(session, Pinged(n=1))
        with pytest.raises(RuntimeError):
            async with px.rt.write() as session:
                record(session, Pinged(n=2))
                raise RuntimeError("the write fails")
        async with px.rt.db.read() as session:
            payloads = [
                p
                for (p,) in (
                    await session.execute(select(OutboxEvent.payload).where(OutboxEvent.type == Pinged.type))
                )
            ]
        assert payloads == [{"n": 1}]


async def test_handlers_run_after_commit(tmp_path: Path, backend: Backend) -> None:
    seen: list[int] = []
    settings = make_settings(tmp_path, backend)
    rt = build_runtime(settings, schema=backend.schema)

    async def handler(delivery: Delivery) -> None:
        assert isinstance(delivery.event, Pinged)
        seen.append(delivery.event.n)

    rt.handlers.add("test.collect", [Pinged], handler)
    from pixie.app import create_app

    app = create_app(settings, runtime=rt)
    if backend.name == "production":
        from tests.conftest import _reset_production

        await _reset_production(backend)
    async with app.router.lifespan_context(app):
        for n in range(5):
            async with rt.write() as session:
                record(session, Pinged(n=n))
        await rt.dispatcher.drain()
        assert sorted(seen) == [0, 1, 2, 3, 4]
        async with rt.db.read() as session:
            pending = await session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
            )
        assert pending == 0


async def test_two_processes_handle_each_event_once_per_group(tmp_path: Path, production: Backend) -> None:
    """Two dispatchers share Redis and the database, as two server processes do."""
    from tests.conftest import _reset_production

    await _reset_production(production)
    settings = make_settings(tmp_path, production)
    counts: dict[tuple[str, int], int] = {}
    runtimes = []
    for _ in range(2):
        rt = build_runtime(settings, schema=production.schema)
        for group in ("group.a", "group.b"):

            async def handler(delivery: Delivery, group: str = group) -> None:
                key = (group, delivery.id)
                counts[key] = counts.get(key, 0) + 1
                await asyncio.sleep(0.001)

            rt.handlers.add(group, [Pinged], handler)
        runtimes.append(rt)
    for rt in runtimes:
        await rt.dispatcher.start()
    try:
        for n in range(40):
            async with runtimes[n % 2].write() as session:
                record(session, Pinged(n=n))
        for rt in runtimes:
            await rt.dispatcher.drain()
        assert len(counts) == 80  # 40 events x 2 groups
        assert set(counts.values()) == {1}  # never twice
    finally:
        for rt in runtimes:
            await rt.dispatcher.stop()
            await rt.stop()


async def test_a_failing_handler_is_retried_until_it_acknowledges(
    tmp_path: Path, production: Backend
) -> None:
    from tests.conftest import _reset_production

    await _reset_production(production)
    settings = make_settings(tmp_path, production)
    rt = build_runtime(settings, schema=production.schema)
    client = aioredis.Redis.from_url(REDIS_URL)
    attempts: list[int] = []

    async def flaky(delivery: Delivery) -> None:
        attempts.append(delivery.id)
        if len(attempts) < 3:
            raise ConnectionError("the mail server is down")

    rt.handlers.add("test.flaky", [Pinged], flaky)
    rt.dispatcher = RedisStreamsDispatcher(rt.db, rt.handlers, client, retry_idle_ms=100)
    await rt.dispatcher.start()
    try:
        async with rt.write() as session:
            record(session, Pinged(n=7))
        await rt.dispatcher.drain()
        assert len(attempts) == 3 and len(set(attempts)) == 1
    finally:
        await rt.dispatcher.stop()
        await client.aclose()
        await rt.stop()


async def test_a_batch_handler_takes_a_burst_at_once_and_a_failed_batch_again(
    tmp_path: Path, production: Backend
) -> None:
    """A burst waiting on the stream reaches a batch handler together; a batch that fails comes
    back whole after the retry interval, and in the end every event was handled once."""
    from tests.conftest import _reset_production

    await _reset_production(production)
    rt = build_runtime(make_settings(tmp_path, production), schema=production.schema)
    client = aioredis.Redis.from_url(REDIS_URL)
    failed: list[list[int]] = []
    handled: list[list[int]] = []

    async def handler(deliveries: list[Delivery]) -> None:
        ids = [d.id for d in deliveries]
        assert all(isinstance(d.event, Pinged) for d in deliveries)
        if not failed:
            failed.append(ids)
            raise ConnectionError("the feeds are away")
        handled.append(ids)

    rt.handlers.add_batch("test.batch", [Pinged], handler)
    rt.dispatcher = RedisStreamsDispatcher(rt.db, rt.handlers, client, retry_idle_ms=200)
    async with rt.write() as session:  # the burst is on the stream before anyone reads it
        for n in range(30):
            record(session, Pinged(n=n))
    async with rt.db.read() as session:
        written = set(await session.scalars(select(OutboxEvent.id).where(OutboxEvent.type == Pinged.type)))
    await rt.dispatcher.relay_pending()
    await rt.dispatcher.start()
    try:
        await rt.dispatcher.drain()
        assert len(failed[0]) > 1  # the burst came as one batch
        every = [i for batch in handled for i in batch]
        assert sorted(every) == sorted(written)  # each event once, the failed ones included
        assert set(failed[0]) <= set(every)
    finally:
        await rt.dispatcher.stop()
        await client.aclose()
        await rt.stop()


async def test_a_duplicate_stream_entry_is_not_handled_twice(tmp_path: Path, production: Backend) -> None:
    """If the relay put one outbox row on the stream twice (it died before its commit)."""
    from tests.conftest import _reset_production

    await _reset_production(production)
    rt = build_runtime(make_settings(tmp_path, production), schema=production.schema)
    handled: list[int] = []

    async def handler(delivery: Delivery) -> None:
        handled.append(delivery.id)

    rt.handlers.add("test.once", [Pinged], handler)
    dispatcher = rt.dispatcher
    assert isinstance(dispatcher, RedisStreamsDispatcher)
    await dispatcher.start()
    try:
        assert rt.redis is not None
        fields: dict[Any, Any] = {"id": "12345", "type": Pinged.type, "payload": b'{"n": 1}'}
        await rt.redis.xadd(dispatcher.STREAM, fields)
        await rt.redis.xadd(dispatcher.STREAM, fields)
        await dispatcher.drain()
        assert handled == [12345]
    finally:
        await rt.stop()


async def _two_dispatchers(
    tmp_path: Path, production: Backend, handler: Any, *, retry_idle_ms: int = 15_000
) -> tuple[list[Any], list[aioredis.Redis]]:
    from tests.conftest import _reset_production

    await _reset_production(production)
    settings = make_settings(tmp_path, production)
    runtimes, clients = [], []
    for _ in range(2):
        rt = build_runtime(settings, schema=production.schema)
        rt.handlers.add("test.group", [Pinged], handler)
        client = aioredis.Redis.from_url(REDIS_URL)
        rt.dispatcher = RedisStreamsDispatcher(rt.db, rt.handlers, client, retry_idle_ms=retry_idle_ms)
        await rt.dispatcher.start()
        runtimes.append(rt)
        clients.append(client)
    return runtimes, clients


async def _stop(runtimes: list[Any], clients: list[aioredis.Redis]) -> None:
    for rt in runtimes:
        await rt.dispatcher.stop()
        await rt.stop()
    for client in clients:
        await client.aclose()


async def test_a_slow_handler_is_not_taken_over_by_another_process(
    tmp_path: Path, production: Backend
) -> None:
    runs: list[int] = []

    async def slow(delivery: Delivery) -> None:
        runs.append(delivery.id)
        await asyncio.sleep(1.0)  # several retry intervals

    runtimes, clients = await _two_dispatchers(tmp_path, production, slow, retry_idle_ms=250)
    try:
        async with runtimes[0].write() as session:
            record(session, Pinged(n=1))
        await runtimes[0].dispatcher.drain()
        await asyncio.sleep(0.5)
        assert len(runs) == 1
    finally:
        await _stop(runtimes, clients)


async def test_the_dispatcher_recovers_when_redis_loses_the_stream(
    tmp_path: Path, production: Backend
) -> None:
    seen: list[int] = []

    async def handler(delivery: Delivery) -> None:
        assert isinstance(delivery.event, Pinged)
        seen.append(delivery.event.n)

    runtimes, clients = await _two_dispatchers(tmp_path, production, handler)
    try:
        await clients[0].delete(RedisStreamsDispatcher.STREAM)  # as after a restart without persistence
        await asyncio.sleep(0.1)
        async with runtimes[0].write() as session:
            record(session, Pinged(n=5))
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.05)
        assert seen == [5]
    finally:
        await _stop(runtimes, clients)


async def test_trimming_keeps_what_a_group_has_not_acknowledged(tmp_path: Path, production: Backend) -> None:
    from tests.conftest import _reset_production

    await _reset_production(production)
    rt = build_runtime(make_settings(tmp_path, production), schema=production.schema)
    client = aioredis.Redis.from_url(REDIS_URL)
    stream = RedisStreamsDispatcher.STREAM
    done: list[int] = []

    async def quick(delivery: Delivery) -> None:
        done.append(delivery.id)

    async def never(delivery: Delivery) -> None:
        raise RuntimeError("down")

    rt.handlers.add("test.quick", [Pinged], quick)
    rt.handlers.add("test.lagging", [Pinged], never)
    dispatcher = RedisStreamsDispatcher(rt.db, rt.handlers, client, retry_idle_ms=60_000)
    await dispatcher.start()
    try:
        for n in range(5):
            async with rt.write() as session:
                record(session, Pinged(n=n))
        await dispatcher.relay_pending()
        for _ in range(100):
            if len(done) == 5:
                break
            await asyncio.sleep(0.05)
        await dispatcher.trim()
        assert await client.xlen(stream) == 5  # the lagging group still holds all five
        # The lagging group catches up: it acknowledges everything it holds.
        await client.xgroup_setid(stream, "test.lagging", "$")
        held = await client.xpending_range(stream, "test.lagging", "-", "+", 100)
        await client.xack(stream, "test.lagging", *[entry["message_id"] for entry in held])
        await dispatcher.trim()
        assert await client.xlen(stream) <= 1
    finally:
        await dispatcher.stop()
        await client.aclose()
        await rt.stop()


async def test_embedded_dispatch_keeps_a_failing_event_until_it_succeeds(
    tmp_path: Path, sqlite_template: Path
) -> None:
    import shutil

    db_path = tmp_path / "pixie.sqlite3"
    shutil.copy(sqlite_template, db_path)
    backend = Backend("embedded", {"database_url": f"sqlite+aiosqlite:///{db_path}"})
    rt = build_runtime(make_settings(tmp_path, backend), background=False)
    calls: dict[str, int] = {"ok": 0, "flaky": 0}

    async def ok(delivery: Delivery) -> None:
        calls["ok"] += 1

    async def flaky(delivery: Delivery) -> None:
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise ConnectionError("the mail server is down")

    rt.handlers.add("test.ok", [Pinged], ok)
    rt.handlers.add("test.flaky", [Pinged], flaky)
    dispatcher = rt.dispatcher
    assert isinstance(dispatcher, InProcessDispatcher)
    try:
        async with rt.write() as session:
            record(session, Pinged(n=1))
        for _ in range(100):
            await dispatcher.dispatch_pending()
            if calls["flaky"] >= 3:
                break
            await asyncio.sleep(0.1)
        async with rt.db.read() as session:
            pending = await session.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
            )
        assert calls == {"ok": 1, "flaky": 3}  # the one that worked ran once
        assert pending == 0
    finally:
        await rt.stop()
