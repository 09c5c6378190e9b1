"""The running instance's backends, chosen by settings at start-up (never by `if` in business code)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.config import Settings
from pixie.db.engine import Database
from pixie.generation.providers import Generator, build_generator
from pixie.generation.safety import PromptChecker
from pixie.infra import redis_client
from pixie.infra.feeds import HomeFeeds, NoFeeds, RedisFeeds
from pixie.infra.id_nodes import IdNodeLease
from pixie.infra.jobs import JobMessage, JobRunner, Scheduler, message_for
from pixie.infra.mail import FileOutbox, Mailer, SmtpMailer
from pixie.infra.outbox import Dispatcher, Handlers, InProcessDispatcher, RedisStreamsDispatcher
from pixie.infra.presence import LocalPresence, Presence, RedisPresence
from pixie.infra.pubsub import InProcessPubSub, PubSub, RedisPubSub
from pixie.infra.queue import RedisJobQueue, RedisWorkers
from pixie.infra.ratelimit import RateLimiter
from pixie.infra.render_cache import LayeredRenderCache, LocalRenderCache, RedisRenderCache, RenderCache
from pixie.infra.search import SearchIndex, search_index_for
from pixie.infra.storage import MediaStorage, build_storage

log = logging.getLogger("pixie.runtime")
# The reaper looks at least this often, and twice per lease when leases are shorter.
REAP_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class WorkerOptions:
    """A `pixie worker` process: it runs jobs from the Redis queue and no periodic tasks."""

    kinds: tuple[str, ...] = ()  # every registered kind when empty
    concurrency: int | None = None  # PIXIE_JOB_CONCURRENCY when None


@dataclass
class Runtime:
    settings: Settings
    db: Database
    pubsub: PubSub
    handlers: Handlers
    dispatcher: Dispatcher
    jobs: JobRunner
    scheduler: Scheduler
    mailer: Mailer
    limiter: RateLimiter
    storage: MediaStorage
    feeds: HomeFeeds
    renders: RenderCache
    presence: Presence = field(default_factory=LocalPresence)
    redis: aioredis.Redis | None = None
    background: bool = True  # run the dispatcher, job runner and scheduler in this process
    job_queue: RedisJobQueue | None = None
    workers: RedisWorkers | None = None  # takes jobs off the Redis queue in this process
    scheduling: bool = True  # a worker process leaves the periodic tasks to the servers
    id_node: IdNodeLease = field(init=False)
    search: SearchIndex = field(init=False)  # FTS5 on SQLite, tsvector on PostgreSQL
    generator: Generator = field(init=False)  # PIXIE_GENERATOR's provider
    prompts: PromptChecker = field(init=False)  # the safety filter run before any provider
    started: bool = False

    def __post_init__(self) -> None:
        self.id_node = IdNodeLease(self.db)
        self.search = search_index_for(self.db)
        self.generator = build_generator(self.settings)
        self.prompts = PromptChecker.from_settings(self.settings)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction; the events it recorded are dispatched once it has committed."""
        async with self.db.write() as session:
            yield session
            has_events = bool(session.info.pop("pixie_events", False))
            added = session.info.pop("pixie_jobs", [])
        if has_events:
            self.dispatcher.kick()
        if added:
            messages: list[JobMessage] = [message_for(job) for job in added]
            await self.jobs.submit(messages)

    @property
    def reap_every(self) -> timedelta:
        return timedelta(seconds=max(1.0, min(REAP_EVERY_SECONDS, self.settings.job_lease_seconds / 2)))

    async def start(self) -> None:
        await self.id_node.acquire()
        if self.background:
            self.id_node.keep()
        await self.pubsub.start()
        if self.background:
            await self.dispatcher.start()
            await self.jobs.start()
            if self.workers is not None:
                await self.workers.start()
            if self.scheduling:
                await self.scheduler.start()
        self.started = True

    async def stop(self) -> None:
        if self.background and self.started:
            await self.scheduler.stop()
            if self.workers is not None:
                await self.workers.stop()
            await self.jobs.stop()
            await self.dispatcher.stop()
        await self.pubsub.stop()
        await self.generator.aclose()
        await self.prompts.aclose()
        try:
            await self.id_node.release()
        except Exception:
            # A lease not handed back expires by itself; stopping must not fail over it (on SQLite a
            # write cut short by the shutdown can hold the lock past the busy timeout).
            log.warning("could not hand back the id node lease; it will expire", exc_info=True)
        if self.job_queue is not None:
            await self.job_queue.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()
        self.started = False


def build_runtime(settings: Settings, *, background: bool = True, **db_options: Any) -> Runtime:
    """The backends ``settings`` choose, for a server or a command."""
    return _build(settings, background=background, worker=None, db_options=db_options)


def build_worker_runtime(settings: Settings, options: WorkerOptions, **db_options: Any) -> Runtime:
    """A `pixie worker` process: jobs from the Redis queue, events relayed, no periodic tasks."""
    if not settings.redis_url:
        raise ValueError(
            "a worker takes its jobs from the Redis queue: set PIXIE_REDIS_URL"
            " (without Redis, `pixie serve` runs the jobs itself)"
        )
    return _build(settings, background=True, worker=options, db_options=db_options)


def _build(
    settings: Settings, *, background: bool, worker: WorkerOptions | None, db_options: dict[str, Any]
) -> Runtime:
    db = Database(settings.database_url, **db_options)
    handlers = Handlers()
    client: aioredis.Redis | None = None
    pubsub: PubSub
    dispatcher: Dispatcher
    if settings.redis_url:
        client = redis_client.connect(settings.redis_url)
        pubsub = RedisPubSub(client)
        dispatcher = RedisStreamsDispatcher(db, handlers, client)
        limiter = RateLimiter.redis(settings.redis_url)
    else:
        pubsub = InProcessPubSub()
        dispatcher = InProcessDispatcher(db, handlers)
        limiter = RateLimiter.memory()
    mailer: Mailer
    if settings.smtp_host:
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
            start_tls=settings.smtp_starttls,
            use_tls=settings.smtp_tls,
        )
    else:
        mailer = FileOutbox(settings.mail_dir)
    job_queue = (
        RedisJobQueue(settings.redis_url, heartbeat_seconds=settings.job_lease_seconds)
        if settings.redis_url
        else None
    )
    runner = JobRunner(
        db,
        queue=job_queue,
        polling=job_queue is None,  # with Redis, jobs come as messages: nothing polls the table
        concurrency=settings.job_concurrency,
        lease_seconds=settings.job_lease_seconds,
        retry_base_seconds=settings.job_retry_seconds,
        requeue_after_seconds=settings.job_requeue_seconds,
    )
    workers = None
    if job_queue is not None and (worker is not None or settings.workers_in_process):
        options = worker or WorkerOptions()
        workers = RedisWorkers(
            runner,
            job_queue,
            kinds=options.kinds,
            concurrency=options.concurrency or settings.job_concurrency,
        )
    return Runtime(
        settings=settings,
        db=db,
        pubsub=pubsub,
        handlers=handlers,
        dispatcher=dispatcher,
        jobs=runner,
        scheduler=Scheduler(db),
        mailer=mailer,
        limiter=limiter,
        storage=build_storage(settings),
        feeds=RedisFeeds(client, size=settings.home_feed_size) if client is not None else NoFeeds(),
        presence=RedisPresence(client) if client is not None else LocalPresence(),
        renders=LayeredRenderCache(RedisRenderCache(client), pubsub)
        if client is not None
        else LocalRenderCache(),
        redis=client,
        background=background,
        job_queue=job_queue,
        workers=workers,
        scheduling=worker is None,
    )
