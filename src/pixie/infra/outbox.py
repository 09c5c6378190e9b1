"""Domain events: written to the outbox in the write's own transaction, dispatched after commit.

Embedded defaults hand events to their handlers in-process. With Redis, a relay moves outbox rows
onto a Redis Stream and every handler group reads it through its own consumer group, so each event
is handled once per group across any number of processes, and retried until acknowledged.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Protocol

import orjson
import redis.asyncio as aioredis
from pydantic import BaseModel, ConfigDict
from redis.exceptions import ResponseError
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.engine import Database
from pixie.db.types import utcnow
from pixie.infra.tasks import cancel_all
from pixie.models.system import OutboxEvent

log = logging.getLogger("pixie.events")


class DomainEvent(BaseModel):
    """Base of every domain event; subclasses set ``type`` and register themselves."""

    model_config = ConfigDict(frozen=True)
    type: ClassVar[str]
    _registry: ClassVar[dict[str, builtins.type[DomainEvent]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            DomainEvent._registry[cls.type] = cls

    @classmethod
    def parse(cls, type_: str, payload: dict[str, Any]) -> DomainEvent:
        return DomainEvent._registry[type_].model_validate(payload)


def record(session: AsyncSession, event: DomainEvent) -> None:
    """Adds the event to the outbox as part of the session's transaction."""
    session.add(OutboxEvent(type=event.type, payload=event.model_dump(mode="json")))
    session.info["pixie_events"] = True


@dataclass(frozen=True)
class Delivery:
    """An event as a handler receives it."""

    id: int
    event: DomainEvent


Handler = Callable[[Delivery], Awaitable[None]]
BatchHandler = Callable[[list[Delivery]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    group: str  # one handler group: a name that stays the same across releases
    event_types: frozenset[str]
    handler: Handler
    # A group that handles many events at once for less than one at a time (a burst of posts:
    # one feed write per follower for all of them); ``handler`` is then that, for one event.
    batch_handler: BatchHandler | None = None


class Handlers:
    def __init__(self) -> None:
        self._subs: dict[str, Subscription] = {}

    def add(self, group: str, event_types: list[type[DomainEvent]], handler: Handler) -> None:
        self._add(Subscription(group, frozenset(t.type for t in event_types), handler))

    def add_batch(self, group: str, event_types: list[type[DomainEvent]], handler: BatchHandler) -> None:
        """A group whose handler takes every event waiting for it at once (at least one). It
        succeeds or fails as a whole, and a failed batch is retried whole: run again safely."""

        async def one(delivery: Delivery) -> None:
            await handler([delivery])

        self._add(Subscription(group, frozenset(t.type for t in event_types), one, handler))

    def _add(self, subscription: Subscription) -> None:
        if subscription.group in self._subs:
            raise ValueError(f"handler group {subscription.group!r} is registered twice")
        self._subs[subscription.group] = subscription

    def __iter__(self) -> Any:
        return iter(self._subs.values())


class Dispatcher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def kick(self) -> None: ...
    async def drain(self) -> None: ...


async def _pending(db: Database, limit: int) -> list[OutboxEvent]:
    async with db.read() as session:
        rows = await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        return list(rows)


class InProcessDispatcher:
    """Embedded defaults: after each commit, this process runs the handlers itself.

    An event stays pending until every handler has run it, so a crash re-runs it at the next
    start: handlers are written to be run again safely.
    """

    BATCH = 500

    # The poll finds events that another process (a CLI run) wrote to the shared database.
    def __init__(self, db: Database, handlers: Handlers, *, poll_seconds: float = 1.0) -> None:
        self._db = db
        self._handlers = handlers
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Per pending event: the groups that handled it, its failures, when to try again.
        self._done: dict[int, set[str]] = {}
        self._failures: dict[int, int] = {}
        self._retry_at: dict[int, float] = {}

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pixie-dispatch")
        self.kick()

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_all([self._task])
            self._task = None

    def kick(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def drain(self) -> None:
        """Waits until every event committed so far has been handled (tests, shutdown)."""
        self.kick()
        await asyncio.wait_for(self._idle.wait(), timeout=30)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.dispatch_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event dispatch failed")
            if not self._wake.is_set():
                self._idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def dispatch_pending(self) -> None:
        """Runs every pending event's handlers. A handler that fails is retried with backoff and
        the event stays pending until every handler has run it; the handlers that succeeded are
        not run again meanwhile."""
        loop = asyncio.get_running_loop()
        while True:
            rows = await _pending(self._db, self.BATCH)
            finished = 0
            for row in rows:
                if self._retry_at.get(row.id, 0.0) > loop.time():
                    continue
                done = self._done.setdefault(row.id, set())
                delivery = Delivery(row.id, DomainEvent.parse(row.type, row.payload))
                for sub in self._handlers:
                    if row.type not in sub.event_types or sub.group in done:
                        continue
                    try:
                        await sub.handler(delivery)
                        done.add(sub.group)
                    except Exception:
                        failures = self._failures.get(row.id, 0) + 1
                        self._failures[row.id] = failures
                        self._retry_at[row.id] = loop.time() + min(0.5 * 2**failures, 300.0)
                        log.exception(
                            "event handler failed; it will be retried",
                            extra={"group": sub.group, "event_id": row.id, "attempt": failures},
                        )
                if all(sub.group in done for sub in self._handlers if row.type in sub.event_types):
                    async with self._db.write() as session:
                        await session.execute(
                            update(OutboxEvent).where(OutboxEvent.id == row.id).values(dispatched_at=utcnow())
                        )
                    for state in (self._done, self._failures, self._retry_at):
                        state.pop(row.id, None)
                    finished += 1
            if len(rows) < self.BATCH or not finished:
                return


class RedisStreamsDispatcher:
    """Production: outbox -> Redis Stream -> one consumer group per handler group."""

    STREAM = "pixie:events"
    # The stream is trimmed to what some handler group still needs, this often.
    TRIM_EVERY_SECONDS = 60.0
    # A message that a consumer took and did not acknowledge within this is handed out again
    # (the consumer died, or its handler failed).
    RETRY_IDLE_MS = 15_000
    DONE_TTL_SECONDS = int(timedelta(days=2).total_seconds())

    def __init__(
        self,
        db: Database,
        handlers: Handlers,
        client: aioredis.Redis,
        *,
        poll_seconds: float = 5.0,
        retry_idle_ms: int | None = None,
        stream: str | None = None,
    ) -> None:
        self._db = db
        self._handlers = handlers
        self._client = client
        self._poll = poll_seconds
        self._retry_idle_ms = retry_idle_ms or self.RETRY_IDLE_MS
        self._stream = stream or self.STREAM
        self._consumer = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _ensure_group(self, group: str) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._client.xgroup_create(self._stream, group, id="0", mkstream=True)

    async def start(self) -> None:
        for sub in self._handlers:
            await self._ensure_group(sub.group)
        self._tasks.append(asyncio.create_task(self._relay_loop(), name="pixie-relay"))
        for sub in self._handlers:
            self._tasks.append(
                asyncio.create_task(self._consume_loop(sub), name=f"pixie-consume-{sub.group}")
            )
        self.kick()

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        self._tasks.clear()

    def kick(self) -> None:
        self._wake.set()

    async def drain(self) -> None:
        """Relays what is pending and waits until every group has acknowledged everything."""
        async with self._db.read() as session:
            newest = await session.scalar(select(func.max(OutboxEvent.id)))
        for _ in range(600):
            await self.relay_pending()
            if newest is not None:
                # Another relay (this process's own loop) may hold some rows, still on their way
                # to the stream: not drained until every event committed so far is on it.
                async with self._db.read() as session:
                    unrelayed = await session.scalar(
                        select(OutboxEvent.id)
                        .where(OutboxEvent.id <= newest, OutboxEvent.dispatched_at.is_(None))
                        .limit(1)
                    )
                if unrelayed is not None:
                    await asyncio.sleep(0.05)
                    continue
            last_id = (await self._client.xinfo_stream(self._stream))["last-generated-id"]
            groups = {g["name"].decode(): g for g in await self._client.xinfo_groups(self._stream)}
            busy = False
            for sub in self._handlers:
                group = groups.get(sub.group)
                # Busy while a group has not been handed the newest entry or holds unacknowledged ones.
                if group is None or group["pending"] or group["last-delivered-id"] != last_id:
                    busy = True
            if not busy:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("events were not acknowledged in time")

    async def relay_pending(self) -> int:
        """Moves committed outbox rows onto the stream; returns how many."""
        moved = 0
        while True:
            async with self._db.write() as session:
                query = (
                    select(OutboxEvent)
                    .where(OutboxEvent.dispatched_at.is_(None))
                    .order_by(OutboxEvent.id)
                    .limit(200)
                )
                if not self._db.is_sqlite:
                    # Two relays never take the same rows.
                    query = query.with_for_update(skip_locked=True)
                rows = list(await session.scalars(query))
                if not rows:
                    return moved
                async with self._client.pipeline(transaction=False) as pipe:
                    for row in rows:
                        pipe.xadd(
                            self._stream,
                            {"id": str(row.id), "type": row.type, "payload": orjson.dumps(row.payload)},
                        )
                    await pipe.execute()
                now = utcnow()
                for row in rows:
                    row.dispatched_at = now
                moved += len(rows)

    async def trim(self) -> None:
        """Drops the entries every registered group has read and acknowledged. Not a length cap:
        that would drop what a lagging group has yet to read."""
        floors = []
        groups = {g["name"].decode(): g for g in await self._client.xinfo_groups(self._stream)}
        for sub in self._handlers:
            group = groups.get(sub.group)
            if group is None:
                return  # a group not created yet needs everything
            floor = group["last-delivered-id"]
            if group["pending"]:
                # Acknowledged meanwhile (min None): nothing is pending, the delivered id is the floor.
                floor = (await self._client.xpending(self._stream, sub.group))["min"] or floor
            floors.append(_stream_id(floor))
        if floors:
            oldest = min(floors)
            await self._client.xtrim(self._stream, minid=f"{oldest[0]}-{oldest[1]}", approximate=False)

    async def _relay_loop(self) -> None:
        next_trim = 0.0
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                await self.relay_pending()
                if loop.time() >= next_trim:
                    next_trim = loop.time() + self.TRIM_EVERY_SECONDS
                    await self.trim()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def _consume_loop(self, sub: Subscription) -> None:
        loop = asyncio.get_running_loop()
        next_claim = 0.0
        while True:
            try:
                # First what others (or we) took and never acknowledged, then new messages. A
                # message becomes claimable only after ``retry_idle_ms``: looking twice as often
                # is enough, and a busy group does not pay a round trip per message for it.
                if loop.time() >= next_claim:
                    next_claim = loop.time() + self._retry_idle_ms / 2000
                    _, claimed, _ = await self._client.xautoclaim(
                        self._stream, sub.group, self._consumer, self._retry_idle_ms, "0-0", count=50
                    )
                    await self._handle_all(sub, claimed)
                    if len(claimed) == 50:
                        next_claim = loop.time()  # there may be more
                batches = await self._client.xreadgroup(
                    sub.group,
                    self._consumer,
                    {self._stream: ">"},
                    count=100,
                    block=min(1000, max(1, int((next_claim - loop.time()) * 1000))),
                )
                for _stream, messages in batches or []:
                    await self._handle_all(sub, messages)
            except asyncio.CancelledError:
                raise
            except ResponseError as exc:
                if "NOGROUP" in str(exc) or "UNBLOCKED" in str(exc):
                    # Redis lost the stream (a restart without persistence, or the stream deleted
                    # while this read waited on it): make the group again.
                    log.warning("event stream or group missing; recreating it", extra={"group": sub.group})
                    await self._ensure_group(sub.group)
                else:
                    log.exception("event consumer failed", extra={"group": sub.group})
                    await asyncio.sleep(1)
            except Exception:
                log.exception("event consumer failed", extra={"group": sub.group})
                await asyncio.sleep(1)

    async def _handle_all(self, sub: Subscription, messages: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        """Handles a batch in order; the events of types the group does not handle are
        acknowledged together, in one call (every group reads every event)."""
        skipped = [
            message_id for message_id, fields in messages if fields[b"type"].decode() not in sub.event_types
        ]
        if skipped:
            await self._client.xack(self._stream, sub.group, *skipped)
        wanted = [(m, fields) for m, fields in messages if fields[b"type"].decode() in sub.event_types]
        if not wanted:
            return
        if sub.batch_handler is not None:
            await self._handle(sub, sub.batch_handler, wanted)
            return
        handler = sub.handler

        async def one(deliveries: list[Delivery]) -> None:
            await handler(deliveries[0])

        for message in wanted:  # each on its own: one that fails holds up no other
            await self._handle(sub, one, [message])

    def _keys(self, group: str, fields: dict[bytes, bytes]) -> tuple[str, str]:
        event_id = int(fields[b"id"])
        return f"pixie:events:done:{group}:{event_id}", f"pixie:events:claim:{group}:{event_id}"

    async def _handle(
        self, sub: Subscription, handler: BatchHandler, messages: list[tuple[bytes, dict[bytes, bytes]]]
    ) -> None:
        """Runs the handler on the messages no one handled or holds yet, then acknowledges them.

        The relay may put one outbox row on the stream twice (it crashed between XADD and its
        commit): a per-group "done" marker makes the second copy a no-op, and a short claim keeps
        two consumers from running the copies at the same moment. Checks and claims for the
        whole batch take one round trip before, acknowledgements one after."""
        keys = [self._keys(sub.group, fields) for _, fields in messages]
        async with self._client.pipeline(transaction=False) as pipe:
            for done_key, claim_key in keys:
                pipe.exists(done_key)
                pipe.set(claim_key, self._consumer, nx=True, px=self._retry_idle_ms)
            replies = await pipe.execute()
        finished: list[bytes] = []  # handled before: acknowledged, not run again
        taken: list[int] = []  # claimed here (the others are another consumer's for now)
        ours: list[str] = []  # the claims this batch made, to let go of at the end
        for i, (done, claimed) in enumerate(zip(replies[0::2], replies[1::2], strict=True)):
            if claimed:
                ours.append(keys[i][1])
            if done:
                finished.append(messages[i][0])
            elif claimed:
                taken.append(i)
        keep = asyncio.create_task(
            self._keep_claims(sub.group, [messages[i][0] for i in taken], [keys[i][1] for i in taken])
        )
        try:
            if taken:
                await handler(
                    [
                        Delivery(
                            int(fields[b"id"]),
                            DomainEvent.parse(fields[b"type"].decode(), orjson.loads(fields[b"payload"])),
                        )
                        for fields in (messages[i][1] for i in taken)
                    ]
                )
        except Exception:
            log.exception(
                "event handler failed; it will be retried",
                extra={"group": sub.group, "event_ids": [int(messages[i][1][b"id"]) for i in taken]},
            )
            taken = []  # not acknowledged: handed out again after the retry interval
        finally:
            await cancel_all([keep])
        async with self._client.pipeline(transaction=True) as pipe:
            for i in taken:
                pipe.set(keys[i][0], "1", ex=self.DONE_TTL_SECONDS)
            # Every claim this batch made goes: done, failed (retried later) or never run.
            if ours:
                pipe.delete(*ours)
            acknowledged = finished + [messages[i][0] for i in taken]
            if acknowledged:
                pipe.xack(self._stream, sub.group, *acknowledged)
            await pipe.execute()

    async def _keep_claims(self, group: str, message_ids: list[bytes], claim_keys: list[str]) -> None:
        """While a slow handler runs, keeps its claims and the messages' idle time fresh, so no
        other consumer takes them over and runs them a second time."""
        if not message_ids:
            return
        claimed: list[Any] = list(message_ids)
        while True:
            await asyncio.sleep(self._retry_idle_ms / 3000)
            async with self._client.pipeline(transaction=False) as pipe:
                for claim_key in claim_keys:
                    pipe.pexpire(claim_key, self._retry_idle_ms)
                pipe.xclaim(self._stream, group, self._consumer, 0, claimed, justid=True)
                await pipe.execute()


def _stream_id(raw: bytes | str) -> tuple[int, int]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)
